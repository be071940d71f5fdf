// The rules of dead-letter topics with delayed retry, shared by the REST v2 consumer instances and the
// SDK: the `dlq.*` headers a dead-letter record carries (where it came from, which group set it aside,
// how many deliveries failed, when it is due again), how a rejection advances them, and whether a record
// read back from a dead-letter topic is delivered now, later (it holds back its partition) or never.
// Pure: time is a parameter.

/** A dead-letter topic's name ends with this; such a topic may not have a dead-letter topic itself. */
export const DEAD_LETTER_TOPIC_SUFFIX = '.dlq';

/** Every header of this prefix is the platform's: a rejection replaces whatever the record carried. */
export const DEAD_LETTER_HEADER_PREFIX = 'dlq.';

export const DEAD_LETTER_HEADERS = {
  originTopic: 'dlq.origin.topic',
  originPartition: 'dlq.origin.partition',
  originOffset: 'dlq.origin.offset',
  originTimestamp: 'dlq.origin.timestamp',
  /** The consumer group that rejected it: only that group's members get it back. */
  groupId: 'dlq.group.id',
  /** How many deliveries failed so far (1 after the first rejection). */
  attempts: 'dlq.attempts',
  reason: 'dlq.reason',
  /** Milliseconds since the epoch when it is delivered again; absent once final. */
  retryAt: 'dlq.retry.at',
} as const;

/** The longest reason a rejection may give, in characters. */
export const REJECTION_REASON_LENGTH_MAX = 1000;

/** The names of the topic configs (defined with their types and defaults in src/metadata/topic-configs.ts). */
export const DEAD_LETTER_CONFIGS = {
  enable: 'dead.letter.enable',
  topic: 'dead.letter.topic',
  maxDeliveryAttempts: 'max.delivery.attempts',
  retryDelayMs: 'dead.letter.retry.delay.ms',
} as const;

/** A topic's dead-letter configs, when `dead.letter.enable` is true. */
export interface DeadLetterPolicy {
  /** dead.letter.topic (default `<topic>.dlq`). */
  readonly topic: string;
  /** max.delivery.attempts: the rejection that reaches it is final. */
  readonly maxDeliveryAttempts: number;
  /** dead.letter.retry.delay.ms: how long after a rejection the record is delivered again. */
  readonly retryDelayMs: number;
}

/**
 * The policy a topic's effective config values give (`value`: by config name, defaults applied, as
 * validated by the controller); null when dead.letter.enable is not true.
 */
export function deadLetterPolicyOf(value: (name: string) => string): DeadLetterPolicy | null {
  if (value(DEAD_LETTER_CONFIGS.enable) !== 'true') return null;
  return {
    topic: value(DEAD_LETTER_CONFIGS.topic),
    maxDeliveryAttempts: Number(value(DEAD_LETTER_CONFIGS.maxDeliveryAttempts)),
    retryDelayMs: Number(value(DEAD_LETTER_CONFIGS.retryDelayMs)),
  };
}

/** The record as the group first read it, in its own topic. */
export interface DeadLetterOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Its timestamp (ms since the epoch; -1: none). */
  readonly timestamp: number;
}

export interface DeadLetterState {
  readonly origin: DeadLetterOrigin;
  readonly groupId: string;
  /** Deliveries that failed so far, at least 1. */
  readonly attempts: number;
  readonly reason: string | null;
  /** When it is due again (ms since the epoch); null: final, never delivered again. */
  readonly retryAt: number | null;
}

/** A record header as the record batch codec has it (the structure of storage's RecordHeader). */
export interface HeaderLike {
  readonly key: string;
  readonly value: Buffer | null;
}

export function defaultDeadLetterTopic(topic: string): string {
  return `${topic}${DEAD_LETTER_TOPIC_SUFFIX}`;
}

export function isDeadLetterTopicName(topic: string): boolean {
  return topic.endsWith(DEAD_LETTER_TOPIC_SUFFIX);
}

/**
 * The state after one more failed delivery: `previousAttempts` is 0 for a record of the origin topic, else
 * the attempts its dead-letter copy carried. The rejection that reaches max.delivery.attempts is final.
 */
export function rejectedState(rejection: {
  readonly origin: DeadLetterOrigin;
  readonly groupId: string;
  readonly previousAttempts: number;
  readonly reason: string | null;
  readonly now: number;
  readonly policy: DeadLetterPolicy;
}): DeadLetterState {
  const { origin, groupId, previousAttempts, reason, now, policy } = rejection;
  if (!Number.isSafeInteger(previousAttempts) || previousAttempts < 0) {
    throw new Error(`attempts so far must be a natural number, not ${previousAttempts}`);
  }
  if (!Number.isSafeInteger(policy.maxDeliveryAttempts) || policy.maxDeliveryAttempts < 1) {
    throw new Error(`max.delivery.attempts must be at least 1, not ${policy.maxDeliveryAttempts}`);
  }
  const attempts = previousAttempts + 1;
  const final = attempts >= policy.maxDeliveryAttempts;
  return { origin, groupId, attempts, reason, retryAt: final ? null : now + policy.retryDelayMs };
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** The record's own headers without any `dlq.*` one, then the state's. */
export function deadLetterHeaders(original: readonly HeaderLike[], state: DeadLetterState): HeaderLike[] {
  const names = DEAD_LETTER_HEADERS;
  const headers: HeaderLike[] = original.filter(
    (header) => !header.key.startsWith(DEAD_LETTER_HEADER_PREFIX),
  );
  headers.push(
    { key: names.originTopic, value: utf8(state.origin.topic) },
    { key: names.originPartition, value: utf8(String(state.origin.partition)) },
    { key: names.originOffset, value: utf8(String(state.origin.offset)) },
    { key: names.originTimestamp, value: utf8(String(state.origin.timestamp)) },
    { key: names.groupId, value: utf8(state.groupId) },
    { key: names.attempts, value: utf8(String(state.attempts)) },
  );
  if (state.reason !== null) headers.push({ key: names.reason, value: utf8(state.reason) });
  if (state.retryAt !== null) headers.push({ key: names.retryAt, value: utf8(String(state.retryAt)) });
  return headers;
}

const NATURAL = /^(?:0|[1-9][0-9]{0,15})$/;
const INTEGER = /^-?(?:0|[1-9][0-9]{0,15})$/;

function numberOf(text: string | null | undefined, pattern: RegExp): number | null {
  if (text === null || text === undefined || !pattern.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** The state a dead-letter record carries; null when a header is missing or malformed (not ours). */
export function readDeadLetterState(headers: readonly HeaderLike[]): DeadLetterState | null {
  const values = new Map<string, string | null>();
  // The last one wins, as the writer appends its headers after the record's own.
  for (const header of headers) {
    if (header.key.startsWith(DEAD_LETTER_HEADER_PREFIX)) {
      values.set(header.key, header.value === null ? null : header.value.toString('utf8'));
    }
  }
  const names = DEAD_LETTER_HEADERS;
  const topic = values.get(names.originTopic);
  const groupId = values.get(names.groupId);
  const partition = numberOf(values.get(names.originPartition), NATURAL);
  const offset = numberOf(values.get(names.originOffset), NATURAL);
  const timestamp = numberOf(values.get(names.originTimestamp), INTEGER);
  const attempts = numberOf(values.get(names.attempts), NATURAL);
  if (
    topic === undefined ||
    topic === null ||
    topic === '' ||
    groupId === undefined ||
    groupId === null ||
    partition === null ||
    offset === null ||
    timestamp === null ||
    attempts === null ||
    attempts < 1
  ) {
    return null;
  }
  const retryText = values.get(names.retryAt);
  const retryAt = retryText === undefined ? null : numberOf(retryText, NATURAL);
  if (retryText !== undefined && retryAt === null) return null;
  return {
    origin: { topic, partition, offset, timestamp },
    groupId,
    attempts,
    reason: values.get(names.reason) ?? null,
    retryAt,
  };
}

/** What a member does with a record of a dead-letter topic it reads for retries. */
export type Delivery =
  | { readonly kind: 'deliver' }
  /** Not due yet: the partition's position stays at it until `until`. */
  | { readonly kind: 'hold'; readonly until: number }
  /** Never delivered to this group: the position passes it. */
  | { readonly kind: 'skip'; readonly why: 'final' | 'other-group' | 'other-origin' | 'not-dead-letter' };

/**
 * Whether `state` (a record of a dead-letter topic; null: its headers are not ours) is delivered now to
 * a member of `groupId` whose subscription sends rejected records of `origins` to this topic.
 */
export function deliveryOf(
  state: DeadLetterState | null,
  reader: { readonly now: number; readonly groupId: string; readonly origins: ReadonlySet<string> },
): Delivery {
  if (state === null) return { kind: 'skip', why: 'not-dead-letter' };
  if (state.groupId !== reader.groupId) return { kind: 'skip', why: 'other-group' };
  if (!reader.origins.has(state.origin.topic)) return { kind: 'skip', why: 'other-origin' };
  if (state.retryAt === null) return { kind: 'skip', why: 'final' };
  if (state.retryAt > reader.now) return { kind: 'hold', until: state.retryAt };
  return { kind: 'deliver' };
}
