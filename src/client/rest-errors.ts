// How an error answer of the REST API becomes the error a Kafka user branches on. The body says only
// `{error_code, message}` (design §6), and one REST code stands for several Kafka errors (src/http/
// errors.ts: 40002 is TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG,
// ...). Where it does, the message tells them apart: it is the message of Kafka's own exception
// ("Topic 'orders' already exists.", "Replication factor: 4 larger than available brokers: 3.", ...), which
// these nodes give and a Confluent REST Proxy in front of Kafka passes on. An answer that names no Kafka
// error (an unknown route, a cluster id that is not this cluster's) is a RestError.

import { KafkaError, type KafkaErrorName } from '../common/kafka-errors.ts';

/** An error answer of the REST API, with its HTTP status and REST `error_code`. */
export class RestError extends Error {
  readonly status: number;
  readonly errorCode: number;
  /** The server said the failure is temporary (50003, or a 502/503/504): asking again may succeed. */
  readonly retriable: boolean;
  /** The answer's own `message` (without the request it answered), e.g. for a tool to print. */
  readonly serverMessage: string;
  constructor(status: number, errorCode: number, message: string, serverMessage = message) {
    super(message);
    this.serverMessage = serverMessage;
    this.name = 'RestError';
    this.status = status;
    this.errorCode = errorCode;
    this.retriable = errorCode === 50003 || status === 502 || status === 503 || status === 504;
  }
}

type Rule = readonly [RegExp, KafkaErrorName];

interface CodeMeaning {
  /** The first rule whose pattern the message matches names the error. */
  readonly rules: readonly Rule[];
  /** Without a matching rule: this error, or (null) none. */
  readonly otherwise: KafkaErrorName | null;
}

// Ordered: a more specific message first (a config error's message may name a replication setting).
const BAD_REQUEST: readonly Rule[] = [
  [/already exists/i, 'TOPIC_ALREADY_EXISTS'],
  [
    /manual partition assignment|assignment\(s\) were specified|0-based integer sequence/i,
    'INVALID_REPLICA_ASSIGNMENT',
  ],
  [/duplicate config keys|more than once|cannot be used at the same time/i, 'INVALID_REQUEST'],
  [/\bconfiguration\b|\bconfig name\b|topic config/i, 'INVALID_CONFIG'],
  [/topic name|collides with existing topic|internal topic/i, 'INVALID_TOPIC_EXCEPTION'],
  [/replication factor|unable to replicate/i, 'INVALID_REPLICATION_FACTOR'],
  [/partitions/i, 'INVALID_PARTITIONS'],
  [/group ?id/i, 'INVALID_GROUP_ID'],
  [/session timeout/i, 'INVALID_SESSION_TIMEOUT'],
  [/\backs\b/i, 'INVALID_REQUIRED_ACKS'],
];

/** Our schema's refusals name the field (validation-message.ts): "Field 'partitions_count' must be >= 1." */
const INVALID_PAYLOAD: readonly Rule[] = [
  [/'partitions_count'/, 'INVALID_PARTITIONS'],
  [/'replication_factor'/, 'INVALID_REPLICATION_FACTOR'],
  [/'configs\b|'data\[\d+\]\.value'/, 'INVALID_CONFIG'],
];

const CONFLICT: readonly Rule[] = [
  [/group is not empty/i, 'NON_EMPTY_GROUP'],
  [/rebalanc/i, 'REBALANCE_IN_PROGRESS'],
  [/not aware of this member/i, 'UNKNOWN_MEMBER_ID'],
  [/generation/i, 'ILLEGAL_GENERATION'],
  [/protocols are incompatible/i, 'INCONSISTENT_GROUP_PROTOCOL'],
  [/valid member id/i, 'MEMBER_ID_REQUIRED'],
  [/static consumer|group\.instance\.id/i, 'FENCED_INSTANCE_ID'],
];

// Every 50003 is retried whatever its name; the name says what the caller waited for when time runs out.
const RETRIABLE: readonly Rule[] = [
  // "No active controller answered delete-topic within 2000 ms: ..." is a timeout, not a redirect.
  [/within \d+ ?ms|timed out/i, 'REQUEST_TIMED_OUT'],
  [/controller|does not lead the metadata quorum|read index/i, 'NOT_CONTROLLER'],
  [/coordinator is loading/i, 'COORDINATOR_LOAD_IN_PROGRESS'],
  [/not the correct coordinator/i, 'NOT_COORDINATOR'],
  [
    /coordinator|offsets topic|__consumer_offsets|serving groups|offsets of group/i,
    'COORDINATOR_NOT_AVAILABLE',
  ],
  [/were written, but the ISR|after append/i, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'],
  [/min\.isr|in-sync replicas|not enough replicas/i, 'NOT_ENOUGH_REPLICAS'],
  [/epoch .* is older/i, 'FENCED_LEADER_EPOCH'],
  [/epoch .* is newer/i, 'UNKNOWN_LEADER_EPOCH'],
  [/not the leader|does not lead|not a broker/i, 'NOT_LEADER_OR_FOLLOWER'],
  [/leader|not caught up/i, 'LEADER_NOT_AVAILABLE'],
  [/timeout|catch up/i, 'REQUEST_TIMED_OUT'],
  [/storage|disk/i, 'KAFKA_STORAGE_ERROR'],
];

const BY_CODE: ReadonlyMap<number, CodeMeaning> = new Map<number, CodeMeaning>([
  [400, { rules: [], otherwise: 'INVALID_REQUEST' }],
  [40002, { rules: BAD_REQUEST, otherwise: 'INVALID_REQUEST' }],
  [
    404,
    {
      rules: [[/^consumer group .* cannot be found|group id does not exist/i, 'GROUP_ID_NOT_FOUND']],
      otherwise: null,
    },
  ],
  [40401, { rules: [], otherwise: 'UNKNOWN_TOPIC_OR_PARTITION' }],
  [40402, { rules: [], otherwise: 'UNKNOWN_TOPIC_OR_PARTITION' }],
  [40404, { rules: [], otherwise: 'LEADER_NOT_AVAILABLE' }],
  [40903, { rules: CONFLICT, otherwise: null }],
  [413, { rules: [], otherwise: 'MESSAGE_TOO_LARGE' }],
  [42206, { rules: INVALID_PAYLOAD, otherwise: 'INVALID_REQUEST' }],
  [42901, { rules: [], otherwise: 'THROTTLING_QUOTA_EXCEEDED' }],
  [50002, { rules: [], otherwise: 'UNKNOWN_SERVER_ERROR' }],
  [50003, { rules: RETRIABLE, otherwise: null }],
  [50302, { rules: [], otherwise: 'BROKER_NOT_AVAILABLE' }],
]);

/** The Kafka error an error body names, or null when it names none. */
export function kafkaErrorNameOf(errorCode: number, message: string): KafkaErrorName | null {
  const meaning = BY_CODE.get(errorCode);
  if (meaning === undefined) return null;
  return meaning.rules.find(([pattern]) => pattern.test(message))?.[1] ?? meaning.otherwise;
}

function errorBodyOf(status: number, text: string): { errorCode: number; message: string } {
  try {
    const body = JSON.parse(text) as { error_code?: unknown; message?: unknown } | null;
    if (typeof body?.error_code === 'number')
      return { errorCode: body.error_code, message: typeof body.message === 'string' ? body.message : '' };
  } catch {
    // Not JSON (a proxy's error page): the status is all there is.
  }
  return { errorCode: status, message: text.slice(0, 300) };
}

/**
 * The error an answer with `status` (>= 300) and body `text` stands for: a KafkaError with the server's
 * message when the body names a Kafka error (the RestError, which says which request, as its cause), else
 * the RestError. `request` says which request, e.g. "POST http://127.0.0.1:8081/v3/clusters/x/topics".
 */
export function errorFromRest(status: number, text: string, request: string): KafkaError | RestError {
  const { errorCode, message } = errorBodyOf(status, text);
  const rest = new RestError(
    status,
    errorCode,
    `${request} answered ${status} (${errorCode}): ${message}`,
    message,
  );
  const name = kafkaErrorNameOf(errorCode, message);
  return name === null ? rest : new KafkaError(name, message, { cause: rest });
}
