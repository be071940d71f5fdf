// Kafka's DefaultMessageFormatter (org.apache.kafka.tools.consumer), which console-consumer prints records
// with: configured by `--property name=value`, it writes a record's chosen fields joined by key.separator,
// in Kafka's order (timestamp, partition, offset, headers, key, value). Keys, values and header values
// print as UTF-8 text; the tool writes one line per record, so line.separator stays a newline. Pure.

import { UsageError } from './errors.ts';
import { booleanProperty } from './io.ts';

export interface FormatterConfig {
  readonly printTimestamp: boolean;
  readonly printKey: boolean;
  readonly printValue: boolean;
  readonly printOffset: boolean;
  readonly printPartition: boolean;
  readonly printHeaders: boolean;
  readonly keySeparator: string;
  /** Between a record's headers (print.headers). */
  readonly headersSeparator: string;
  readonly nullLiteral: string;
}

/** What the formatter reads of a record (the SDK's ConsumerRecord has it). */
export interface FormattableRecord {
  readonly partition: number;
  readonly offset: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer | null }[];
}

/** Formatter properties this tool knows but cannot honour, with why. */
const UNSUPPORTED_PROPERTIES = new Map<string, (value: string) => string | null>([
  ['line.separator', (value) => (value === '\n' ? null : 'records are printed one per line')],
  ['key.deserializer', () => 'keys print as UTF-8 text'],
  ['value.deserializer', () => 'values print as UTF-8 text'],
  ['headers.deserializer', () => 'header values print as UTF-8 text'],
]);

/** DefaultMessageFormatter.configure; other property names are ignored, as Kafka does. */
export function parseFormatterConfig(properties: ReadonlyMap<string, string>): FormatterConfig {
  for (const [name, value] of properties) {
    const reason = UNSUPPORTED_PROPERTIES.get(name)?.(value) ?? null;
    if (reason !== null) throw new UsageError(`--property ${name}=${value} is not supported: ${reason}`);
  }
  return {
    printTimestamp: booleanProperty(properties, 'print.timestamp', false),
    printKey: booleanProperty(properties, 'print.key', false),
    printValue: booleanProperty(properties, 'print.value', true),
    printOffset: booleanProperty(properties, 'print.offset', false),
    printPartition: booleanProperty(properties, 'print.partition', false),
    printHeaders: booleanProperty(properties, 'print.headers', false),
    keySeparator: properties.get('key.separator') ?? '\t',
    headersSeparator: properties.get('headers.separator') ?? ',',
    nullLiteral: properties.get('null.literal') ?? 'null',
  };
}

function text(bytes: Buffer | null, nullLiteral: string): string {
  return bytes === null ? nullLiteral : bytes.toString('utf8');
}

/**
 * The text Kafka's formatter prints for a record, without the final line separator (Io.out adds it);
 * null when the properties print nothing at all for it. The timestamp prints as CreateTime: this
 * cluster's brokers never stamp LogAppendTime.
 */
export function formatRecord(config: FormatterConfig, record: FormattableRecord): string | null {
  const fields: string[] = [];
  if (config.printTimestamp) fields.push(`CreateTime:${record.timestamp}`);
  if (config.printPartition) fields.push(`Partition:${record.partition}`);
  if (config.printOffset) fields.push(`Offset:${record.offset}`);
  if (config.printHeaders) {
    fields.push(
      record.headers.length === 0
        ? 'NO_HEADERS'
        : record.headers
            .map((header) => `${header.key}:${text(header.value, config.nullLiteral)}`)
            .join(config.headersSeparator),
    );
  }
  if (config.printKey) fields.push(text(record.key, config.nullLiteral));
  if (config.printValue) fields.push(text(record.value, config.nullLiteral));
  return fields.length === 0 ? null : fields.join(config.keySeparator);
}
