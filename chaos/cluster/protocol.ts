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

/**
 * What travels between simulated processes: Raft messages (one way), controller RPCs, replica fetches
 * (the product's protobuf encoding, as on the wire) and clients' produces and reads.
 */
export type ClusterProtocol = {
  raft: { request: Message; response: never };
  controller: { request: { operation: string; body: Uint8Array }; response: ControllerReply };
  fetch: { request: Uint8Array; response: Uint8Array };
  produce: { request: ProduceRequest; response: { readonly lastOffset: number } };
  read: { request: ReadRequest; response: ReadResponse };
};
