// The topic configs this platform knows, with Kafka's names, types, defaults and validators
// (TopicConfig/LogConfig as of Kafka 3.9, plus `acks`, ours), and the validation the controller runs
// before it writes a ConfigRecord. Values are stored as the normalized strings validateTopicConfig returns.

import { DEAD_LETTER_CONFIGS, defaultDeadLetterTopic, isDeadLetterTopicName } from '../common/dead-letter.ts';
import { validateTopicName } from './topic-rules.ts';

export type ConfigType = 'boolean' | 'int' | 'long' | 'double' | 'string' | 'list';

export interface TopicConfigDefinition {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's default, as a normalized string. */
  readonly defaultValue: string;
  /** The broker config that supplies the default (Kafka's "Server Default Property"); none for ours. */
  readonly brokerSynonym?: string;
  /** Bounds of numeric types, inclusive. */
  readonly atLeast?: number;
  readonly atMost?: number;
  /** Allowed values of 'string' (the value) and 'list' (each element) types; case-sensitive. */
  readonly validValues?: readonly string[];
  /** A default that depends on the topic's name (then `defaultValue` is '' and stands for it). */
  readonly defaultFor?: (topicName: string) => string;
  /** A check of a parsed value beyond the type's: a reason, or null when the value is fine. */
  readonly validate?: (value: string) => string | null;
}

const LONG_MAX = '9223372036854775807';

/** The values of `acks`, as Kafka's producer config takes them ('all' and '-1' are the same). */
export const ACKS_VALUES = ['all', '-1', '0', '1'] as const;
export type AcksNumber = -1 | 0 | 1;
const WEEK_MS = '604800000';

/** dead.letter.topic names a legal topic ending with `.dlq`: a dead-letter topic never has one itself. */
function deadLetterTopicProblem(name: string): string | null {
  const check = validateTopicName(name);
  if (!check.ok) return check.reason;
  if (!isDeadLetterTopicName(name)) return "A dead-letter topic's name must end with .dlq";
  return null;
}

const definitions: readonly TopicConfigDefinition[] = [
  // Ours (Kafka has it as a producer config only): the acks of a REST produce that does not choose with
  // ?acks=. Kafka's protocol and the native API always carry the client's acks; this does not apply there.
  { name: 'acks', type: 'string', defaultValue: 'all', validValues: ACKS_VALUES },
  {
    name: 'cleanup.policy',
    type: 'list',
    defaultValue: 'delete',
    brokerSynonym: 'log.cleanup.policy',
    validValues: ['compact', 'delete'],
  },
  {
    name: 'compression.type',
    type: 'string',
    defaultValue: 'producer',
    brokerSynonym: 'compression.type',
    validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
  },
  // Ours: dead-letter topics with delayed retry (src/common/dead-letter.ts, docs/design.md §6).
  { name: DEAD_LETTER_CONFIGS.enable, type: 'boolean', defaultValue: 'false' },
  {
    name: DEAD_LETTER_CONFIGS.topic,
    type: 'string',
    defaultValue: '',
    defaultFor: defaultDeadLetterTopic,
    validate: deadLetterTopicProblem,
  },
  { name: DEAD_LETTER_CONFIGS.retryDelayMs, type: 'long', defaultValue: '30000', atLeast: 0 },
  { name: DEAD_LETTER_CONFIGS.maxDeliveryAttempts, type: 'int', defaultValue: '3', atLeast: 1 },
  {
    name: 'delete.retention.ms',
    type: 'long',
    defaultValue: '86400000',
    brokerSynonym: 'log.cleaner.delete.retention.ms',
    atLeast: 0,
  },
  {
    name: 'file.delete.delay.ms',
    type: 'long',
    defaultValue: '60000',
    brokerSynonym: 'log.segment.delete.delay.ms',
    atLeast: 0,
  },
  {
    name: 'flush.messages',
    type: 'long',
    defaultValue: LONG_MAX,
    brokerSynonym: 'log.flush.interval.messages',
    atLeast: 1,
  },
  {
    name: 'flush.ms',
    type: 'long',
    defaultValue: LONG_MAX,
    brokerSynonym: 'log.flush.interval.ms',
    atLeast: 0,
  },
  {
    name: 'index.interval.bytes',
    type: 'int',
    defaultValue: '4096',
    brokerSynonym: 'log.index.interval.bytes',
    atLeast: 0,
  },
  {
    name: 'max.compaction.lag.ms',
    type: 'long',
    defaultValue: LONG_MAX,
    brokerSynonym: 'log.cleaner.max.compaction.lag.ms',
    atLeast: 1,
  },
  {
    name: 'max.message.bytes',
    type: 'int',
    defaultValue: '1048588',
    brokerSynonym: 'message.max.bytes',
    atLeast: 0,
  },
  {
    name: 'message.timestamp.after.max.ms',
    type: 'long',
    defaultValue: LONG_MAX,
    brokerSynonym: 'log.message.timestamp.after.max.ms',
    atLeast: 0,
  },
  {
    name: 'message.timestamp.before.max.ms',
    type: 'long',
    defaultValue: LONG_MAX,
    brokerSynonym: 'log.message.timestamp.before.max.ms',
    atLeast: 0,
  },
  {
    // Deprecated by Kafka (KIP-937) in favour of the two above; kept for clients that still set it.
    name: 'message.timestamp.difference.max.ms',
    type: 'long',
    defaultValue: LONG_MAX,
    brokerSynonym: 'log.message.timestamp.difference.max.ms',
    atLeast: 0,
  },
  {
    name: 'message.timestamp.type',
    type: 'string',
    defaultValue: 'CreateTime',
    brokerSynonym: 'log.message.timestamp.type',
    validValues: ['CreateTime', 'LogAppendTime'],
  },
  {
    name: 'min.cleanable.dirty.ratio',
    type: 'double',
    defaultValue: '0.5',
    brokerSynonym: 'log.cleaner.min.cleanable.ratio',
    atLeast: 0,
    atMost: 1,
  },
  {
    name: 'min.compaction.lag.ms',
    type: 'long',
    defaultValue: '0',
    brokerSynonym: 'log.cleaner.min.compaction.lag.ms',
    atLeast: 0,
  },
  {
    name: 'min.insync.replicas',
    type: 'int',
    defaultValue: '1',
    brokerSynonym: 'min.insync.replicas',
    atLeast: 1,
  },
  { name: 'preallocate', type: 'boolean', defaultValue: 'false', brokerSynonym: 'log.preallocate' },
  // Negative = no size limit (Kafka has no validator here).
  { name: 'retention.bytes', type: 'long', defaultValue: '-1', brokerSynonym: 'log.retention.bytes' },
  // -1 = no time limit.
  {
    name: 'retention.ms',
    type: 'long',
    defaultValue: WEEK_MS,
    brokerSynonym: 'log.retention.ms',
    atLeast: -1,
  },
  // 14 = LegacyRecord.RECORD_OVERHEAD_V0, the smallest record.
  {
    name: 'segment.bytes',
    type: 'int',
    defaultValue: '1073741824',
    brokerSynonym: 'log.segment.bytes',
    atLeast: 14,
  },
  {
    name: 'segment.index.bytes',
    type: 'int',
    defaultValue: '10485760',
    brokerSynonym: 'log.index.size.max.bytes',
    atLeast: 4,
  },
  {
    name: 'segment.jitter.ms',
    type: 'long',
    defaultValue: '0',
    brokerSynonym: 'log.roll.jitter.ms',
    atLeast: 0,
  },
  { name: 'segment.ms', type: 'long', defaultValue: WEEK_MS, brokerSynonym: 'log.roll.ms', atLeast: 1 },
  {
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    defaultValue: 'false',
    brokerSynonym: 'unclean.leader.election.enable',
  },
];

/** Every known topic config, by name, in name order. */
export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigDefinition> = new Map(
  [...definitions]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((definition) => [definition.name, definition]),
);

export type ConfigValidation =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: string };

const INTEGER = /^[+-]?[0-9]+$/;
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const INTEGER_RANGE: Readonly<Record<'int' | 'long', readonly [bigint, bigint]>> = {
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** Parses by type (as Kafka's ConfigDef.parseType, which trims first): a normalized value or a reason. */
function parse(definition: TopicConfigDefinition, trimmed: string): ConfigValidation {
  switch (definition.type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true' || lower === 'false') return { ok: true, value: lower };
      return { ok: false, reason: 'Expected value to be either true or false' };
    }
    case 'int':
    case 'long': {
      const [min, max] = INTEGER_RANGE[definition.type];
      const number = INTEGER.test(trimmed) ? BigInt(trimmed) : null;
      if (number === null || number < min || number > max) {
        return { ok: false, reason: `Not a number of type ${definition.type.toUpperCase()}` };
      }
      return { ok: true, value: number.toString() };
    }
    case 'double':
      if (!DECIMAL.test(trimmed) || !Number.isFinite(Number(trimmed))) {
        return { ok: false, reason: 'Not a number of type DOUBLE' };
      }
      return { ok: true, value: String(Number(trimmed)) };
    case 'string':
      return { ok: true, value: trimmed };
    case 'list':
      return { ok: true, value: trimmed.split(/\s*,\s*/).join(',') };
    default: {
      const unknown: never = definition.type;
      return { ok: false, reason: `unknown config type ${String(unknown)}` };
    }
  }
}

/** Applies the definition's validator to a parsed value. */
function check(definition: TopicConfigDefinition, value: string): string | null {
  const { atLeast, atMost, validValues } = definition;
  if (definition.type === 'int' || definition.type === 'long' || definition.type === 'double') {
    const number = definition.type === 'double' ? Number(value) : BigInt(value);
    if (atLeast !== undefined && number < atLeast) return `Value must be at least ${atLeast}`;
    if (atMost !== undefined && number > atMost) return `Value must be no more than ${atMost}`;
  }
  if (validValues !== undefined) {
    const values = definition.type === 'list' ? value.split(',') : [value];
    if (!values.every((item) => validValues.includes(item))) {
      return `String must be one of: ${validValues.join(', ')}`;
    }
  }
  return definition.validate?.(value) ?? null;
}

/**
 * Validates one topic config as Kafka does (with Kafka's messages) and returns the value normalized:
 * trimmed, booleans lower-case, numbers in canonical decimal, lists joined with ','.
 */
export function validateTopicConfig(name: string, value: string): ConfigValidation {
  const definition = TOPIC_CONFIGS.get(name);
  if (definition === undefined) return { ok: false, reason: `Unknown topic config name: ${name}` };
  const parsed = parse(definition, value.trim());
  const reason = parsed.ok ? check(definition, parsed.value) : parsed.reason;
  if (reason !== null)
    return { ok: false, reason: `Invalid value ${value} for configuration ${name}: ${reason}` };
  return parsed;
}

/** The default of a config for topic `topicName` (most do not depend on the topic). */
export function topicConfigDefault(definition: TopicConfigDefinition, topicName: string): string {
  return definition.defaultFor?.(topicName) ?? definition.defaultValue;
}

/** The config's value in a topic's `overrides`, else its default for that topic. */
export function effectiveTopicConfig(
  overrides: ReadonlyMap<string, string> | undefined,
  name: string,
  topicName: string,
): string {
  const definition = TOPIC_CONFIGS.get(name);
  if (definition === undefined) throw new Error(`no topic config named ${name}`);
  return overrides?.get(name) ?? topicConfigDefault(definition, topicName);
}

/**
 * Rules that span configs (Kafka's LogConfig.validateValues, and ours), on topic `topicName`'s normalized
 * overrides after a change; a reason or null.
 */
export function topicConfigConflict(
  overrides: ReadonlyMap<string, string>,
  topicName: string,
): string | null {
  const effective = (name: string) => effectiveTopicConfig(overrides, name, topicName);
  const minLag = effective('min.compaction.lag.ms');
  const maxLag = effective('max.compaction.lag.ms');
  if (BigInt(minLag) > BigInt(maxLag)) {
    return `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`;
  }
  if (effective(DEAD_LETTER_CONFIGS.enable) === 'true') {
    // No chains: the records a dead-letter topic holds are never set aside a second time elsewhere.
    if (isDeadLetterTopicName(topicName)) {
      return `Topic ${topicName} is a dead-letter topic (its name ends with .dlq): dead.letter.enable must stay false`;
    }
    const target = effective(DEAD_LETTER_CONFIGS.topic);
    const problem = deadLetterTopicProblem(target);
    if (problem !== null) {
      return `The dead-letter topic of ${topicName} would be ${target}, which is not possible (${problem}): set dead.letter.topic`;
    }
  }
  return null;
}

/** A valid acks value as a number (all is -1), or null for anything else. */
export function acksNumber(value: string): AcksNumber | null {
  switch (value) {
    case 'all':
    case '-1':
      return -1;
    case '0':
      return 0;
    case '1':
      return 1;
    default:
      return null;
  }
}

/** The acks a topic's produces get when the client does not choose: its `acks` override, else all. */
export function topicAcks(overrides: ReadonlyMap<string, string> | undefined): AcksNumber {
  const value = overrides?.get('acks');
  // Stored values were validated by the controller; anything else would be a bug, so fail safe (all).
  return (value === undefined ? null : acksNumber(value)) ?? -1;
}
