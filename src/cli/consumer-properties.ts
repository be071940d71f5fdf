// Kafka's consumer configs given as `--consumer-property name=value`, read into the SDK Consumer's
// options. Values are checked as Kafka's ConfigDef checks them, with its messages ("Invalid value x for
// configuration max.poll.records: Not a number of type INT"). Configs this consumer does not use are
// ignored with a warning, as Kafka's consumer warns about the configs it does not know;
// bootstrap.servers and the deserializers are silently overridden, as Kafka's console consumer does
// (--bootstrap-server; keys and values are read as bytes). Pure.

import type { ConsumerOptions } from '../client/index.ts';
import { UsageError } from './errors.ts';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The consumer options a property may set (bootstrap, group and auto.offset.reset are the command's). */
export type ConsumerTuning = Omit<ConsumerOptions, 'bootstrap' | 'groupId' | 'autoOffsetReset'>;
type NumericOption = {
  [K in keyof ConsumerTuning]-?: NonNullable<ConsumerTuning[K]> extends number ? K : never;
}[keyof ConsumerTuning];

export interface ConsumerProperties {
  /** group.id, when given. */
  readonly groupId: string | null;
  /** auto.offset.reset as typed (checked later with --from-beginning), when given. */
  readonly autoOffsetReset: string | null;
  /** isolation.level, when given. */
  readonly isolationLevel: string | null;
  readonly tuning: ConsumerTuning;
  /** One line per ignored config, for stderr. */
  readonly warnings: readonly string[];
}

interface NumericConfig {
  readonly option: NumericOption;
  readonly type: 'INT' | 'LONG';
  readonly atLeast: number;
}

// Kafka's ConsumerConfig types and lower bounds; the heartbeat and session timeouts have none in Kafka,
// here at least 1 ms (the SDK's heartbeat timer needs a positive interval).
const NUMERIC_CONFIGS = new Map<string, NumericConfig>([
  ['fetch.min.bytes', { option: 'fetchMinBytes', type: 'INT', atLeast: 0 }],
  ['fetch.max.wait.ms', { option: 'fetchMaxWaitMs', type: 'INT', atLeast: 0 }],
  ['fetch.max.bytes', { option: 'fetchMaxBytes', type: 'INT', atLeast: 0 }],
  ['max.partition.fetch.bytes', { option: 'maxPartitionFetchBytes', type: 'INT', atLeast: 0 }],
  ['max.poll.records', { option: 'maxPollRecords', type: 'INT', atLeast: 1 }],
  ['session.timeout.ms', { option: 'sessionTimeoutMs', type: 'INT', atLeast: 1 }],
  ['heartbeat.interval.ms', { option: 'heartbeatIntervalMs', type: 'INT', atLeast: 1 }],
  ['auto.commit.interval.ms', { option: 'autoCommitIntervalMs', type: 'INT', atLeast: 0 }],
  ['request.timeout.ms', { option: 'requestTimeoutMs', type: 'INT', atLeast: 0 }],
  ['retry.backoff.ms', { option: 'retryBackoffMs', type: 'LONG', atLeast: 0 }],
]);

/** Overridden by the tool itself, as in Kafka's console consumer: no warning. */
const OVERRIDDEN = new Set(['bootstrap.servers', 'key.deserializer', 'value.deserializer']);

export const AUTO_OFFSET_RESET_VALUES = ['latest', 'earliest', 'none'] as const;
export type AutoOffsetReset = (typeof AUTO_OFFSET_RESET_VALUES)[number];
const ISOLATION_LEVELS = ['read_committed', 'read_uncommitted'] as const;

function invalid(value: string, name: string, why: string): UsageError {
  return new UsageError(`Invalid value ${value} for configuration ${name}: ${why}`);
}

function numeric(value: string, name: string, config: NumericConfig): number {
  const trimmed = value.trim();
  const max = config.type === 'INT' ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
  const parsed = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || Math.abs(parsed) > max)
    throw invalid(value, name, `Not a number of type ${config.type}`);
  if (parsed < config.atLeast) throw invalid(value, name, `Value must be at least ${config.atLeast}`);
  return parsed;
}

function boolean(value: string, name: string): boolean {
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  throw invalid(value, name, 'Expected value to be either true or false');
}

/** A value of a fixed list, compared without case (Kafka's CaseInsensitiveValidString). */
export function oneOf<T extends string>(value: string, name: string, allowed: readonly T[]): T {
  const lower = value.trim().toLowerCase();
  const found = allowed.find((candidate) => candidate === lower);
  if (found === undefined) throw invalid(value, name, `String must be one of: ${allowed.join(', ')}`);
  return found;
}

/** Checks an isolation level (isolation.level or --isolation-level). */
export function isolationLevel(value: string): (typeof ISOLATION_LEVELS)[number] {
  return oneOf(value, 'isolation.level', ISOLATION_LEVELS);
}

/** Reads `--consumer-property` values (already split into names and values). */
export function parseConsumerProperties(properties: ReadonlyMap<string, string>): ConsumerProperties {
  const tuning: Writable<ConsumerTuning> = {};
  const warnings: string[] = [];
  let groupId: string | null = null;
  let autoOffsetReset: string | null = null;
  let isolation: string | null = null;
  for (const [name, value] of properties) {
    const numericConfig = NUMERIC_CONFIGS.get(name);
    if (numericConfig !== undefined) {
      tuning[numericConfig.option] = numeric(value, name, numericConfig);
      continue;
    }
    switch (name) {
      case 'group.id':
        groupId = value;
        break;
      case 'client.id':
        tuning.clientId = value;
        break;
      case 'enable.auto.commit':
        tuning.enableAutoCommit = boolean(value, name);
        break;
      case 'auto.offset.reset':
        oneOf(value, name, AUTO_OFFSET_RESET_VALUES);
        autoOffsetReset = value;
        break;
      case 'isolation.level':
        isolationLevel(value);
        isolation = value;
        break;
      default:
        if (!OVERRIDDEN.has(name))
          warnings.push(`WARN The configuration '${name}' was supplied but is not used by this consumer.`);
    }
  }
  const session = tuning.sessionTimeoutMs ?? 45_000;
  const heartbeat = tuning.heartbeatIntervalMs ?? 3_000;
  if (heartbeat >= session) {
    throw invalid(
      String(heartbeat),
      'heartbeat.interval.ms',
      `must be lower than session.timeout.ms (${session})`,
    );
  }
  return { groupId, autoOffsetReset, isolationLevel: isolation, tuning, warnings };
}
