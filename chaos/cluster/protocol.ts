import type { Message } from '../../raft/types.ts';
import type { ControllerReply } from '../../src/http/internal-controller-routes.ts';

/** A produce from a client to the partition's leader (what the REST layer hands ReplicaManager). */
export interface ProduceRequest {
  readonly topicId: string;
  readonly partition: number;
  /** One Kafka v2 record batch. */
  readonly batch: Uint8Array;
  readonly acks: -1 | 1;
}

/** A group-less read of committed records from the partition's leader (ReplicaManager.readRecords). */
export interface ReadRequest {
  readonly topicId: string;
  readonly partition: number;
  readonly startOffset: number;
}

export interface ReadResponse {
  /** Record batches as stored. */
  readonly bytes: Uint8Array;
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/** A consumer group request in the product's group RPC encoding (src/node/group-rpc.ts). */
export interface GroupRpcRequest {
  readonly operation: string;
  readonly body: Uint8Array;
}

/** Its answer as answerGroupRequest gives it: the HTTP status, and an encoded result or a reason. */
export interface GroupRpcResponse {
  readonly status: number;
  readonly body: Uint8Array | string;
}

/**
 * What travels between simulated processes: Raft messages (one way), controller RPCs, replica fetches
 * (the product's protobuf encoding, as on the wire), clients' produces and reads, and group requests:
 * a consumer's to a node's GroupService (`group-client`, what the REST v2 consumer path calls), and
 * that service's forward to the group's coordinator (`group`, the internal group route), and Kafka
 * clients' request frames to a node's Kafka listener (`kafka`).
 */
export type ClusterProtocol = {
  raft: { request: Message; response: never };
  controller: { request: { operation: string; body: Uint8Array }; response: ControllerReply };
  fetch: { request: Uint8Array; response: Uint8Array };
  produce: { request: ProduceRequest; response: { readonly lastOffset: number } };
  read: { request: ReadRequest; response: ReadResponse };
  group: { request: GroupRpcRequest; response: GroupRpcResponse };
  'group-client': { request: GroupRpcRequest; response: GroupRpcResponse };
  /** A Kafka client's request frame to a node's Kafka listener: its response frame, or the connection closed. */
  kafka: { request: Uint8Array; response: KafkaAnswer };
};

export type KafkaAnswer =
  | { readonly kind: 'response'; readonly frame: Uint8Array }
  | { readonly kind: 'close'; readonly reason: string };
