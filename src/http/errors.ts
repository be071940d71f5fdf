// The one registry of the client API's errors: every error the HTTP layer answers with has a name here,
// an HTTP status and a REST proxy `error_code` whose first three digits are the status (design §6). Both
// KafkaErrors (src/common/kafka-errors.ts) and the HTTP layer's own errors (HttpError) go through
// toErrorBody, which fastify's error handler and not-found handler call.
//
// Sources followed (Confluent REST Proxy):
// - confluentinc/rest-utils core/src/main/java/io/confluent/rest/exceptions/KafkaExceptionMapper.java:
//   TopicExists, InvalidPartitions, InvalidReplicationFactor, InvalidConfiguration, InvalidRequest,
//   InvalidTopic, PolicyViolation -> 400 / 40002; BrokerNotAvailable -> 503 / 50302; ThrottlingQuota ->
//   429 / 42901; RecordTooLarge -> 413 / 413; any other RetriableException -> 500 / 50003; any other
//   KafkaException -> 500 / 50002.
// - JsonParseExceptionMapper / JsonMappingExceptionMapper -> 400 / 400 (malformed JSON).
// - confluentinc/kafka-rest kafka-rest/src/main/java/io/confluent/kafkarest/Errors.java: 40401 topic,
//   40402 partition, 40403 consumer instance, 40404 leader not available, 40601, 40901-40903, 42201-42205;
//   its newer versions: 42206 invalid payload, 42207 serialization exception.
// - v3 resources throw javax NotFoundException -> 404 / 404 ("HTTP 404 Not Found"; controllers/Entities
//   .java: "Cluster %s cannot be found.").
// Where design §6 differs it wins: UnknownTopicOrPartition is 404 / 40401 here (Confluent: 40403, which the
// design gives to consumer instances). Deliberate deviation: UNKNOWN_SERVER_ERROR is 500 / 50002 (Confluent
// maps UnknownServerException to 400 / 40002, which blames the client for a server failure).

import type { KafkaErrorName } from '../common/kafka-errors.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import { validationMessage } from './validation-message.ts';

export interface HttpErrorSpec {
  readonly status: number;
  readonly errorCode: number;
  /** The message when the thrower gives none. */
  readonly message: string;
}

export const HTTP_ERRORS = {
  MALFORMED_REQUEST: { status: 400, errorCode: 400, message: 'Malformed request' },
  KAFKA_BAD_REQUEST: { status: 400, errorCode: 40002, message: 'Bad request' },
  /** No credentials, or wrong ones, where the listener requires them (Confluent's 40101). */
  UNAUTHENTICATED: { status: 401, errorCode: 40101, message: 'Authentication failed' },
  /** The authorizer refused (Confluent's 40301; KafkaExceptionMapper: any AuthorizationException). */
  FORBIDDEN: { status: 403, errorCode: 40301, message: 'Not authorized' },
  NOT_FOUND: { status: 404, errorCode: 404, message: 'HTTP 404 Not Found' },
  TOPIC_NOT_FOUND: {
    status: 404,
    errorCode: 40401,
    message: 'This server does not host this topic-partition.',
  },
  PARTITION_NOT_FOUND: { status: 404, errorCode: 40402, message: 'Partition not found.' },
  CONSUMER_INSTANCE_NOT_FOUND: { status: 404, errorCode: 40403, message: 'Consumer instance not found.' },
  LEADER_NOT_AVAILABLE: { status: 404, errorCode: 40404, message: 'Leader not available.' },
  METHOD_NOT_ALLOWED: { status: 405, errorCode: 405, message: 'HTTP 405 Method Not Allowed' },
  CONSUMER_FORMAT_MISMATCH: {
    status: 406,
    errorCode: 40601,
    message: 'The requested embedded data format does not match the deserializer for this consumer instance',
  },
  CONSUMER_ALREADY_SUBSCRIBED: {
    status: 409,
    errorCode: 40901,
    message:
      'Consumer cannot subscribe the the specified target because it has already subscribed to other topics.',
  },
  CONSUMER_ALREADY_EXISTS: {
    status: 409,
    errorCode: 40902,
    message: 'Consumer with specified consumer ID already exists in the specified consumer group.',
  },
  ILLEGAL_STATE: { status: 409, errorCode: 40903, message: 'Illegal state' },
  PAYLOAD_TOO_LARGE: { status: 413, errorCode: 413, message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, errorCode: 415, message: 'HTTP 415 Unsupported Media Type' },
  /** The request's body or path parameters do not fit the route's schema (first free code of 422xx). */
  INVALID_PAYLOAD: { status: 422, errorCode: 42206, message: 'Invalid request payload' },
  /** A record's key, value or header cannot be turned into bytes (kafka-rest SERIALIZATION_EXCEPTION). */
  SERIALIZATION_ERROR: { status: 422, errorCode: 42207, message: 'Error serializing message.' },
  THROTTLED: { status: 429, errorCode: 42901, message: 'Request was throttled' },
  INTERNAL: { status: 500, errorCode: 50002, message: 'Internal server error' },
  KAFKA_ERROR: { status: 500, errorCode: 50002, message: 'Kafka error' },
  KAFKA_RETRIABLE_ERROR: { status: 500, errorCode: 50003, message: 'Retriable Kafka error' },
  NOT_READY: { status: 503, errorCode: 50301, message: 'This node is not ready' },
  BROKER_NOT_AVAILABLE: { status: 503, errorCode: 50302, message: 'Broker not available' },
} as const satisfies Record<string, HttpErrorSpec>;

export type HttpErrorName = keyof typeof HTTP_ERRORS;

/**
 * How each Kafka error is answered. `satisfies Record<KafkaErrorName, ...>` makes a new KafkaErrorName
 * without a mapping a compile error; test/http/errors.test.ts checks the same at run time.
 */
export const KAFKA_ERROR_HTTP = {
  UNKNOWN_SERVER_ERROR: 'INTERNAL',
  OFFSET_OUT_OF_RANGE: 'KAFKA_BAD_REQUEST',
  CORRUPT_MESSAGE: 'KAFKA_RETRIABLE_ERROR',
  UNKNOWN_TOPIC_OR_PARTITION: 'TOPIC_NOT_FOUND',
  INVALID_FETCH_SIZE: 'KAFKA_BAD_REQUEST',
  LEADER_NOT_AVAILABLE: 'KAFKA_RETRIABLE_ERROR',
  NOT_LEADER_OR_FOLLOWER: 'KAFKA_RETRIABLE_ERROR',
  REQUEST_TIMED_OUT: 'KAFKA_RETRIABLE_ERROR',
  BROKER_NOT_AVAILABLE: 'BROKER_NOT_AVAILABLE',
  REPLICA_NOT_AVAILABLE: 'KAFKA_RETRIABLE_ERROR',
  MESSAGE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NETWORK_EXCEPTION: 'KAFKA_RETRIABLE_ERROR',
  COORDINATOR_LOAD_IN_PROGRESS: 'KAFKA_RETRIABLE_ERROR',
  COORDINATOR_NOT_AVAILABLE: 'KAFKA_RETRIABLE_ERROR',
  NOT_COORDINATOR: 'KAFKA_RETRIABLE_ERROR',
  INVALID_TOPIC_EXCEPTION: 'KAFKA_BAD_REQUEST',
  RECORD_LIST_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_ENOUGH_REPLICAS: 'KAFKA_RETRIABLE_ERROR',
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 'KAFKA_RETRIABLE_ERROR',
  INVALID_REQUIRED_ACKS: 'KAFKA_BAD_REQUEST',
  ILLEGAL_GENERATION: 'ILLEGAL_STATE',
  INCONSISTENT_GROUP_PROTOCOL: 'ILLEGAL_STATE',
  INVALID_GROUP_ID: 'KAFKA_BAD_REQUEST',
  UNKNOWN_MEMBER_ID: 'ILLEGAL_STATE',
  INVALID_SESSION_TIMEOUT: 'KAFKA_BAD_REQUEST',
  REBALANCE_IN_PROGRESS: 'ILLEGAL_STATE',
  INVALID_COMMIT_OFFSET_SIZE: 'KAFKA_BAD_REQUEST',
  INVALID_TIMESTAMP: 'KAFKA_BAD_REQUEST',
  TOPIC_ALREADY_EXISTS: 'KAFKA_BAD_REQUEST',
  INVALID_PARTITIONS: 'KAFKA_BAD_REQUEST',
  INVALID_REPLICATION_FACTOR: 'KAFKA_BAD_REQUEST',
  INVALID_REPLICA_ASSIGNMENT: 'KAFKA_BAD_REQUEST',
  INVALID_CONFIG: 'KAFKA_BAD_REQUEST',
  NOT_CONTROLLER: 'KAFKA_RETRIABLE_ERROR',
  INVALID_REQUEST: 'KAFKA_BAD_REQUEST',
  POLICY_VIOLATION: 'KAFKA_BAD_REQUEST',
  OUT_OF_ORDER_SEQUENCE_NUMBER: 'KAFKA_ERROR',
  DUPLICATE_SEQUENCE_NUMBER: 'KAFKA_ERROR',
  INVALID_PRODUCER_EPOCH: 'KAFKA_ERROR',
  OPERATION_NOT_ATTEMPTED: 'KAFKA_ERROR',
  KAFKA_STORAGE_ERROR: 'KAFKA_RETRIABLE_ERROR',
  GROUP_ID_NOT_FOUND: 'NOT_FOUND',
  NON_EMPTY_GROUP: 'ILLEGAL_STATE',
  FENCED_LEADER_EPOCH: 'KAFKA_RETRIABLE_ERROR',
  UNKNOWN_LEADER_EPOCH: 'KAFKA_RETRIABLE_ERROR',
  UNSUPPORTED_COMPRESSION_TYPE: 'KAFKA_BAD_REQUEST',
  STALE_BROKER_EPOCH: 'KAFKA_ERROR',
  OFFSET_NOT_AVAILABLE: 'KAFKA_RETRIABLE_ERROR',
  MEMBER_ID_REQUIRED: 'ILLEGAL_STATE',
  FENCED_INSTANCE_ID: 'ILLEGAL_STATE',
  INVALID_RECORD: 'KAFKA_BAD_REQUEST',
  PREFERRED_LEADER_NOT_AVAILABLE: 'KAFKA_RETRIABLE_ERROR',
  THROTTLING_QUOTA_EXCEEDED: 'THROTTLED',
  INVALID_UPDATE_VERSION: 'KAFKA_ERROR',
  DUPLICATE_BROKER_REGISTRATION: 'KAFKA_ERROR',
  INCONSISTENT_CLUSTER_ID: 'KAFKA_ERROR',
  INELIGIBLE_REPLICA: 'KAFKA_ERROR',
  UNKNOWN_TOPIC_ID: 'TOPIC_NOT_FOUND',
  TOPIC_AUTHORIZATION_FAILED: 'FORBIDDEN',
  GROUP_AUTHORIZATION_FAILED: 'FORBIDDEN',
  CLUSTER_AUTHORIZATION_FAILED: 'FORBIDDEN',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'FORBIDDEN',
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 'FORBIDDEN',
  SASL_AUTHENTICATION_FAILED: 'UNAUTHENTICATED',
  UNSUPPORTED_SASL_MECHANISM: 'UNAUTHENTICATED',
  ILLEGAL_SASL_STATE: 'UNAUTHENTICATED',
  SECURITY_DISABLED: 'KAFKA_BAD_REQUEST',
  RESOURCE_NOT_FOUND: 'NOT_FOUND',
  DUPLICATE_RESOURCE: 'KAFKA_BAD_REQUEST',
  UNACCEPTABLE_CREDENTIAL: 'KAFKA_BAD_REQUEST',
  UNSUPPORTED_VERSION: 'KAFKA_BAD_REQUEST',
} as const satisfies Record<KafkaErrorName, HttpErrorName>;

/** An error raised by the HTTP layer itself; its name is a key of HTTP_ERRORS. */
export class HttpError extends Error {
  readonly errorName: HttpErrorName;
  constructor(errorName: HttpErrorName, message?: string, options?: { cause?: unknown }) {
    super(message ?? HTTP_ERRORS[errorName].message, options);
    this.name = 'HttpError';
    this.errorName = errorName;
  }
}

export interface ErrorBody {
  readonly error_code: number;
  readonly message: string;
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  /** True when the error is a bug or an unexpected failure that the caller should log with its stack. */
  readonly unexpected: boolean;
}

function response(name: HttpErrorName, message: string, unexpected = false): ErrorResponse {
  const spec: HttpErrorSpec = HTTP_ERRORS[name];
  return { status: spec.status, body: { error_code: spec.errorCode, message }, unexpected };
}

// fastify's own errors (node_modules/fastify/lib/errors.js) that a client can cause.
const FASTIFY_ERRORS: Readonly<Record<string, HttpErrorName>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_BAD_URL: 'MALFORMED_REQUEST',
  FST_ERR_INVALID_URL: 'MALFORMED_REQUEST',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
};

function fieldOf(error: object, field: string): unknown {
  return (error as Record<string, unknown>)[field];
}

/** Maps any thrown value to the status and body to answer with. Never leaks a stack or internals. */
export function toErrorBody(error: unknown): ErrorResponse {
  if (error instanceof HttpError) return response(error.errorName, error.message);
  if (error instanceof KafkaError) return response(KAFKA_ERROR_HTTP[error.errorName], error.message);
  if (typeof error !== 'object' || error === null)
    return response('INTERNAL', HTTP_ERRORS.INTERNAL.message, true);
  const validation = fieldOf(error, 'validation');
  if (Array.isArray(validation)) {
    const context = fieldOf(error, 'validationContext');
    return response(
      'INVALID_PAYLOAD',
      validationMessage(validation, typeof context === 'string' ? context : 'body'),
    );
  }
  const code = fieldOf(error, 'code');
  const name = typeof code === 'string' ? FASTIFY_ERRORS[code] : undefined;
  if (name !== undefined) {
    const message = fieldOf(error, 'message');
    return response(
      name,
      typeof message === 'string' && message !== '' ? message : HTTP_ERRORS[name].message,
    );
  }
  return response('INTERNAL', HTTP_ERRORS.INTERNAL.message, true);
}
