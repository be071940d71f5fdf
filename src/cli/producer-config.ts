// The producer behind console-producer, configured as Kafka's ConsoleProducer configures its
// KafkaProducer: `--producer-property name=value` under Kafka's producer config names, and the tool's own
// options merged over them (CommandLineUtils.maybeMergeOptions: an option given on the command line wins,
// else the property, else the option's default). Values are checked with Kafka's ConfigDef messages and
// the cross checks of ProducerConfig (acks and idempotence, delivery.timeout.ms). Pure: no I/O.

import { UsageError } from './errors.ts';
import { parseIntegerOption } from './io.ts';

export type Acks = 'all' | 0 | 1;
export type Compression = 'none' | 'gzip' | 'zstd';

/** What the SDK Producer is given, plus buffer.memory, which the tool applies while reading stdin. */
export interface ProducerSettings {
  readonly acks: Acks;
  readonly lingerMs: number;
  readonly batchSize: number;
  readonly compression: Compression;
  readonly idempotence: boolean;
  readonly deliveryTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  /** buffer.memory: lines read but not acknowledged may hold about this much before reading waits. */
  readonly bufferMemory: number;
}

/** The tool's producer options as typed (undefined when not given). */
export interface ProducerToolOptions {
  /** --timeout */
  readonly lingerMs?: string;
  /** --request-required-acks */
  readonly acks?: string;
  /** --request-timeout-ms */
  readonly requestTimeoutMs?: string;
  /** --retry-backoff-ms */
  readonly retryBackoffMs?: string;
  /** --batch-size */
  readonly batchSize?: string;
  /** --max-partition-memory-bytes (also batch.size; wins over --batch-size, as in Kafka) */
  readonly maxPartitionMemoryBytes?: string;
  /** --max-memory-bytes */
  readonly maxMemoryBytes?: string;
  /** --compression-codec ('' when given without a value: gzip, as Kafka) */
  readonly compressionCodec?: string;
}

/**
 * The defaults of the tool's options (Kafka's ConsoleProducer), which apply when neither the option nor
 * the property is given. linger.ms is 50 where Kafka's --timeout defaults to 1000, so that typed lines
 * go out at once.
 */
export const TOOL_DEFAULTS = {
  'linger.ms': '50',
  acks: '-1',
  'request.timeout.ms': '1500',
  'retry.backoff.ms': '100',
  'batch.size': '16384',
  'buffer.memory': String(32 * 1024 * 1024),
} as const;

/** Kafka's producer default. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;

/** The properties this producer takes; others are reported as not used (Kafka's AbstractConfig.logUnused). */
const USED_PROPERTIES = new Set([
  'acks',
  'batch.size',
  'buffer.memory',
  'compression.type',
  'delivery.timeout.ms',
  'enable.idempotence',
  'linger.ms',
  'request.timeout.ms',
  'retry.backoff.ms',
]);
/** Properties the tool sets itself (as Kafka's ConsoleProducer does), whatever the user gives. */
const TOOL_SET_PROPERTIES = new Set(['bootstrap.servers', 'key.serializer', 'value.serializer']);

const KAFKA_COMPRESSION_TYPES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const SDK_COMPRESSION_TYPES: readonly Compression[] = ['none', 'gzip', 'zstd'];

function invalid(value: string, name: string, reason: string): UsageError {
  return new UsageError(`Invalid value ${value} for configuration ${name}: ${reason}`);
}

/** ConfigDef's INT / LONG with a lower bound. */
function numberConfig(value: string, name: string, min: number, type: 'INT' | 'LONG'): number {
  const trimmed = value.trim();
  const limit = type === 'INT' ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
  if (!/^[+-]?\d+$/.test(trimmed) || Math.abs(Number(trimmed)) > limit)
    throw invalid(value, name, `Not a number of type ${type}`);
  const parsed = Number(trimmed);
  if (parsed < min) throw invalid(value, name, `Value must be at least ${min}`);
  return parsed;
}

function acksConfig(value: string): Acks {
  switch (value.trim().toLowerCase()) {
    case 'all':
    case '-1':
      return 'all';
    case '1':
      return 1;
    case '0':
      return 0;
    default:
      throw invalid(value, 'acks', 'String must be one of: all, -1, 0, 1');
  }
}

function compressionConfig(value: string): Compression {
  const chosen = SDK_COMPRESSION_TYPES.find((type) => type === value);
  if (chosen !== undefined) return chosen;
  if (KAFKA_COMPRESSION_TYPES.includes(value)) {
    throw new UsageError(
      `compression.type ${value} is not supported: this producer compresses with ${SDK_COMPRESSION_TYPES.join(', ')}`,
    );
  }
  throw invalid(value, 'compression.type', `String must be one of: ${KAFKA_COMPRESSION_TYPES.join(', ')}`);
}

function booleanConfig(value: string, name: string): boolean {
  const trimmed = value.trim().toLowerCase();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  throw invalid(value, name, 'Expected value to be either true or false');
}

/**
 * The producer's settings from the tool's options and `--producer-property` values, and the names of the
 * properties given that it does not use. Throws UsageError for a bad value or a conflict.
 */
export function producerSettings(
  tool: ProducerToolOptions,
  properties: ReadonlyMap<string, string>,
  sync: boolean,
): { readonly settings: ProducerSettings; readonly unused: readonly string[] } {
  // An option typed on the command line must first be a number at all (joptsimple's check).
  const option = (text: string | undefined, optionName: string): string | undefined =>
    text === undefined ? undefined : String(parseIntegerOption(text, optionName));
  const merged = (name: keyof typeof TOOL_DEFAULTS, given: string | undefined): string =>
    given ?? properties.get(name) ?? TOOL_DEFAULTS[name];

  const lingerMs = numberConfig(
    merged('linger.ms', option(tool.lingerMs, 'timeout')),
    'linger.ms',
    0,
    'LONG',
  );
  const acks = acksConfig(merged('acks', tool.acks));
  const requestTimeoutMs = numberConfig(
    merged('request.timeout.ms', option(tool.requestTimeoutMs, 'request-timeout-ms')),
    'request.timeout.ms',
    1,
    'INT',
  );
  const retryBackoffMs = numberConfig(
    merged('retry.backoff.ms', option(tool.retryBackoffMs, 'retry-backoff-ms')),
    'retry.backoff.ms',
    0,
    'LONG',
  );
  const batchOption =
    option(tool.maxPartitionMemoryBytes, 'max-partition-memory-bytes') ??
    option(tool.batchSize, 'batch-size');
  const batchSize = numberConfig(merged('batch.size', batchOption), 'batch.size', 0, 'INT');
  const bufferMemory = numberConfig(
    merged('buffer.memory', option(tool.maxMemoryBytes, 'max-memory-bytes')),
    'buffer.memory',
    0,
    'LONG',
  );
  const codec = tool.compressionCodec === '' ? 'gzip' : tool.compressionCodec;
  const compression = compressionConfig(codec ?? properties.get('compression.type') ?? 'none');

  // ProducerConfig: idempotence is on by default, but only with acks=all; asked for explicitly, it
  // refuses any other acks.
  const idempotenceText = properties.get('enable.idempotence');
  const idempotence =
    idempotenceText === undefined ? acks === 'all' : booleanConfig(idempotenceText, 'enable.idempotence');
  if (idempotence && acks !== 'all') {
    throw new UsageError(
      'Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.',
    );
  }

  // --sync sends each line alone, at once.
  const effectiveLingerMs = sync ? 0 : lingerMs;
  const deliveryText = properties.get('delivery.timeout.ms');
  const lowest = effectiveLingerMs + requestTimeoutMs;
  let deliveryTimeoutMs = DEFAULT_DELIVERY_TIMEOUT_MS;
  if (deliveryText !== undefined) {
    deliveryTimeoutMs = numberConfig(deliveryText, 'delivery.timeout.ms', 0, 'INT');
    if (deliveryTimeoutMs < lowest) {
      throw new UsageError(
        'delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms',
      );
    }
  } else {
    // Kafka raises the default (with a warning) rather than refuse a configuration the user did not make.
    deliveryTimeoutMs = Math.max(deliveryTimeoutMs, lowest);
  }

  const unused = [...properties.keys()].filter(
    (name) => !USED_PROPERTIES.has(name) && !TOOL_SET_PROPERTIES.has(name),
  );
  return {
    settings: {
      acks,
      lingerMs: effectiveLingerMs,
      batchSize,
      compression,
      idempotence,
      deliveryTimeoutMs,
      requestTimeoutMs,
      retryBackoffMs,
      bufferMemory,
    },
    unused,
  };
}
