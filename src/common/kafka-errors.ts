// Operating errors, named and numbered as Kafka's protocol errors (org.apache.kafka.common.protocol.Errors)
// so that users recognise them. A broken invariant is not one of these: it is an InvariantError
// (raft/assert.ts) and crashes the node. Every layer throws these; src/http/errors.ts maps each to an
// HTTP status and a REST proxy error_code.

export const KafkaErrors = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false },
  CORRUPT_MESSAGE: { code: 2, retriable: true },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true },
  INVALID_FETCH_SIZE: { code: 4, retriable: false },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true },
  REQUEST_TIMED_OUT: { code: 7, retriable: true },
  BROKER_NOT_AVAILABLE: { code: 8, retriable: false },
  REPLICA_NOT_AVAILABLE: { code: 9, retriable: true },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false },
  NETWORK_EXCEPTION: { code: 13, retriable: true },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true },
  NOT_COORDINATOR: { code: 16, retriable: true },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false },
  ILLEGAL_GENERATION: { code: 22, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false },
  INVALID_GROUP_ID: { code: 24, retriable: false },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false },
  INVALID_COMMIT_OFFSET_SIZE: { code: 28, retriable: false },
  TOPIC_AUTHORIZATION_FAILED: { code: 29, retriable: false },
  GROUP_AUTHORIZATION_FAILED: { code: 30, retriable: false },
  CLUSTER_AUTHORIZATION_FAILED: { code: 31, retriable: false },
  INVALID_TIMESTAMP: { code: 32, retriable: false },
  UNSUPPORTED_SASL_MECHANISM: { code: 33, retriable: false },
  ILLEGAL_SASL_STATE: { code: 34, retriable: false },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false },
  INVALID_PARTITIONS: { code: 37, retriable: false },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false },
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false },
  INVALID_CONFIG: { code: 40, retriable: false },
  NOT_CONTROLLER: { code: 41, retriable: true },
  INVALID_REQUEST: { code: 42, retriable: false },
  POLICY_VIOLATION: { code: 44, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false },
  OPERATION_NOT_ATTEMPTED: { code: 55, retriable: false },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true },
  SASL_AUTHENTICATION_FAILED: { code: 58, retriable: false },
  SECURITY_DISABLED: { code: 54, retriable: false },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: { code: 53, retriable: false },
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: { code: 65, retriable: false },
  RESOURCE_NOT_FOUND: { code: 91, retriable: false },
  DUPLICATE_RESOURCE: { code: 92, retriable: false },
  UNACCEPTABLE_CREDENTIAL: { code: 93, retriable: false },
  UNSUPPORTED_VERSION: { code: 35, retriable: false },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false },
  NON_EMPTY_GROUP: { code: 68, retriable: false },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true },
  UNSUPPORTED_COMPRESSION_TYPE: { code: 76, retriable: false },
  STALE_BROKER_EPOCH: { code: 77, retriable: false },
  OFFSET_NOT_AVAILABLE: { code: 78, retriable: true },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false },
  FENCED_INSTANCE_ID: { code: 82, retriable: false },
  INVALID_RECORD: { code: 87, retriable: false },
  PREFERRED_LEADER_NOT_AVAILABLE: { code: 80, retriable: true },
  THROTTLING_QUOTA_EXCEEDED: { code: 89, retriable: true },
  INVALID_UPDATE_VERSION: { code: 95, retriable: false },
  DUPLICATE_BROKER_REGISTRATION: { code: 101, retriable: false },
  INCONSISTENT_CLUSTER_ID: { code: 104, retriable: false },
  INELIGIBLE_REPLICA: { code: 107, retriable: false },
  UNKNOWN_TOPIC_ID: { code: 100, retriable: true },
} as const satisfies Record<string, { code: number; retriable: boolean }>;

export type KafkaErrorName = keyof typeof KafkaErrors;

/** An operating error with Kafka's name for it; `message` is for people, `name` for programs. */
export class KafkaError extends Error {
  readonly errorName: KafkaErrorName;
  readonly code: number;
  readonly retriable: boolean;
  constructor(errorName: KafkaErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaError';
    this.errorName = errorName;
    this.code = KafkaErrors[errorName].code;
    this.retriable = KafkaErrors[errorName].retriable;
  }
}

/**
 * Retriable in Kafka's table, but a verdict once the active controller has looked at its committed image
 * (every node reads through it before it answers): asking again gets the same answer until the deadline.
 * A missing topic is answered at once, not after a timeout.
 */
const FINAL_ANSWERS: ReadonlySet<KafkaErrorName> = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
]);

export function isFinalAnswer(error: unknown): boolean {
  return error instanceof KafkaError && FINAL_ANSWERS.has(error.errorName);
}

export function isKafkaError(error: unknown, errorName?: KafkaErrorName): error is KafkaError {
  return error instanceof KafkaError && (errorName === undefined || error.errorName === errorName);
}

export function kafkaErrorByCode(code: number): KafkaErrorName | null {
  for (const [name, spec] of Object.entries(KafkaErrors))
    if (spec.code === code) return name as KafkaErrorName;
  return null;
}
