// Encoding of the controller RPCs (proto/controller.proto). Messages are plain objects with the
// proto's field names in camelCase; 64-bit fields become numbers (they hold metadata offsets and
// epochs, safe integers), and absent optional fields are undefined.
import protobuf from 'protobufjs';
import { KafkaError, type KafkaErrorName, KafkaErrors } from '../../common/kafka-errors.ts';

const root = protobuf.loadSync(new URL('../../../proto/controller.proto', import.meta.url).pathname);

export const CONTROLLER_RPC_PATH = '/internal/v1/controller/';

/** Operation name -> [request type, response type]. */
export const CONTROLLER_OPERATIONS = {
  'register-broker': ['RegisterBrokerRequest', 'RegisterBrokerResponse'],
  'broker-heartbeat': ['BrokerHeartbeatRequest', 'BrokerHeartbeatResponse'],
  'create-topic': ['CreateTopicRequest', 'WriteResponse'],
  'delete-topic': ['DeleteTopicRequest', 'WriteResponse'],
  'create-partitions': ['CreatePartitionsRequest', 'WriteResponse'],
  'alter-configs': ['AlterConfigsRequest', 'WriteResponse'],
  'alter-partition': ['AlterPartitionRequest', 'AlterPartitionResponse'],
  'allocate-producer-ids': ['AllocateProducerIdsRequest', 'AllocateProducerIdsResponse'],
  'describe-quorum': ['DescribeQuorumRequest', 'DescribeQuorumResponse'],
  'create-acls': ['CreateAclsRequest', 'CreateAclsResponse'],
  'delete-acls': ['DeleteAclsRequest', 'DeleteAclsResponse'],
  'alter-scram-credentials': ['AlterScramCredentialsRequest', 'AlterScramCredentialsResponse'],
  'alter-client-quotas': ['AlterClientQuotasRequest', 'AlterClientQuotasResponse'],
  'read-index': ['ReadIndexRequest', 'ReadIndexResponse'],
} as const;

export type ControllerOperation = keyof typeof CONTROLLER_OPERATIONS;

export interface Endpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}
export interface ConfigEntry {
  name: string;
  value?: string;
}
export interface ReplicaState {
  replicaId: number;
  /** Undefined: unknown (the leader has heard nothing from the replica in its term). */
  logEndOffset?: number;
  lastFetchTimestamp?: number;
  lastCaughtUpTimestamp?: number;
}

/** An ACL binding (or stored ACL, with its id) with Kafka's numeric codes. */
export interface AclBindingMessage {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
  /** '' in requests. */
  id: string;
}
export interface AclBindingFilterMessage {
  resourceType: number;
  resourceName?: string;
  patternType: number;
  principal?: string;
  host?: string;
  operation: number;
  permissionType: number;
}
/** errorName '' = success. */
export interface ItemResultMessage {
  errorName: string;
  message: string;
  user: string;
}

/** The request and response shapes of each operation. */
export interface ControllerMessages {
  'register-broker': {
    request: {
      clusterId: string;
      brokerId: number;
      incarnationId: string;
      endpoints: Endpoint[];
      rack?: string;
      processRoles: string[];
    };
    response: { brokerEpoch: number };
  };
  'broker-heartbeat': {
    request: {
      brokerId: number;
      brokerEpoch: number;
      currentMetadataOffset: number;
      wantFence: boolean;
      wantShutDown: boolean;
    };
    response: { isCaughtUp: boolean; isFenced: boolean; shouldShutDown: boolean };
  };
  'create-topic': {
    request: {
      name: string;
      partitionsCount?: number;
      replicationFactor?: number;
      configs: ConfigEntry[];
      validateOnly: boolean;
      /** Decoded as [] when absent. */
      assignments?: { brokerIds: number[] }[];
    };
    response: { offset?: number; topicId: string };
  };
  'delete-topic': { request: { name: string }; response: { offset?: number; topicId: string } };
  'create-partitions': {
    request: {
      name: string;
      partitionsCount: number;
      validateOnly: boolean;
      assignments?: { brokerIds: number[] }[];
    };
    response: { offset?: number; topicId: string };
  };
  'alter-configs': {
    request: { name: string; alterations: ConfigEntry[]; validateOnly: boolean };
    response: { offset?: number; topicId: string };
  };
  'alter-partition': {
    request: {
      brokerId: number;
      brokerEpoch: number;
      topicId: string;
      partitionId: number;
      leaderEpoch: number;
      partitionEpoch: number;
      newIsr: number[];
    };
    response: {
      replicas: number[];
      isr: number[];
      leader: number;
      leaderEpoch: number;
      partitionEpoch: number;
    };
  };
  'allocate-producer-ids': {
    request: { brokerId: number; brokerEpoch: number };
    response: { producerIdStart: number; producerIdLen: number };
  };
  'read-index': { request: Record<string, never>; response: { offset: number } };
  'create-acls': {
    request: { creations: AclBindingMessage[] };
    response: { offset?: number; results: ItemResultMessage[] };
  };
  'delete-acls': {
    request: { filters: AclBindingFilterMessage[] };
    response: { offset?: number; results: { acls: AclBindingMessage[] }[] };
  };
  'alter-scram-credentials': {
    request: {
      upsertions: {
        user: string;
        mechanism: string;
        iterations: number;
        salt: Uint8Array;
        saltedPassword: Uint8Array;
      }[];
      deletions: { user: string; mechanism: string }[];
    };
    response: { offset?: number; results: ItemResultMessage[] };
  };
  'alter-client-quotas': {
    request: { entries: { user?: string; ops: { key: string; value?: number }[] }[]; validateOnly: boolean };
    response: { offset?: number; results: ItemResultMessage[] };
  };
  'describe-quorum': {
    request: Record<string, never>;
    response: {
      leaderId: number;
      leaderEpoch: number;
      highWatermark: number;
      voters: ReplicaState[];
      observers: ReplicaState[];
    };
  };
}

export interface ControllerErrorMessage {
  errorName: string;
  message: string;
  leaderId: number;
}

/** A request or response body that does not decode. */
export class ControllerRpcCodecError extends Error {
  override readonly name = 'ControllerRpcCodecError';
}

function type(name: string): protobuf.Type {
  return root.lookupType(`controller.${name}`);
}

const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true };

export function encodeMessage(typeName: string, value: object): Uint8Array {
  const messageType = type(typeName);
  const problem = messageType.verify(value);
  if (problem !== null) throw new ControllerRpcCodecError(`${typeName}: ${problem}`);
  return messageType.encode(messageType.fromObject(value)).finish();
}

export function decodeMessage<T>(typeName: string, bytes: Uint8Array): T {
  const messageType = type(typeName);
  try {
    const decoded = messageType.toObject(messageType.decode(bytes), OBJECT_OPTIONS);
    // Unset proto3 optional fields surface as undefined, not as a default.
    for (const field of messageType.fieldsArray) {
      if (field.options?.proto3_optional === true && !Object.hasOwn(decoded, field.name))
        decoded[field.name] = undefined;
    }
    return decoded as T;
  } catch (error) {
    throw new ControllerRpcCodecError(`${typeName}: ${(error as Error).message}`);
  }
}

export function encodeRequest<O extends ControllerOperation>(
  operation: O,
  request: ControllerMessages[O]['request'],
): Uint8Array {
  return encodeMessage(CONTROLLER_OPERATIONS[operation][0], request);
}

export function decodeRequest<O extends ControllerOperation>(
  operation: O,
  bytes: Uint8Array,
): ControllerMessages[O]['request'] {
  return decodeMessage(CONTROLLER_OPERATIONS[operation][0], bytes);
}

export function encodeResponse<O extends ControllerOperation>(
  operation: O,
  response: ControllerMessages[O]['response'],
): Uint8Array {
  return encodeMessage(CONTROLLER_OPERATIONS[operation][1], response);
}

export function decodeResponse<O extends ControllerOperation>(
  operation: O,
  bytes: Uint8Array,
): ControllerMessages[O]['response'] {
  return decodeMessage(CONTROLLER_OPERATIONS[operation][1], bytes);
}

export function encodeError(error: ControllerErrorMessage): Uint8Array {
  return encodeMessage('ControllerError', error);
}

export function decodeError(bytes: Uint8Array): ControllerErrorMessage {
  return decodeMessage('ControllerError', bytes);
}

export function isControllerOperation(name: string): name is ControllerOperation {
  return Object.hasOwn(CONTROLLER_OPERATIONS, name);
}

/** Rebuilds the KafkaError a controller answered with (an unknown name becomes UNKNOWN_SERVER_ERROR). */
export function errorFromMessage(error: ControllerErrorMessage): KafkaError {
  if (Object.hasOwn(KafkaErrors, error.errorName))
    return new KafkaError(error.errorName as KafkaErrorName, error.message);
  return new KafkaError('UNKNOWN_SERVER_ERROR', `${error.errorName}: ${error.message}`);
}
