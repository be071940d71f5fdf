// Kafka's LineMessageReader (org.apache.kafka.tools.LineMessageReader), the default line reader of
// console-producer: its properties (`--property name=value`) and how one line becomes a record's key,
// value and headers. Pure: no I/O.

import { UsageError } from './errors.ts';
import { booleanProperty } from './io.ts';

/** LineMessageReader's properties (`--property name=value`). */
export interface LineReaderConfig {
  readonly parseKey: boolean;
  readonly keySeparator: string;
  readonly parseHeaders: boolean;
  readonly headersDelimiter: string;
  readonly headersSeparator: string;
  readonly headersKeySeparator: string;
  readonly ignoreError: boolean;
  /** A key, value or header value equal to it is null. */
  readonly nullMarker: string | null;
}

/** LineMessageReader.configure: the properties and the checks between them (KafkaException messages). */
export function parseLineReaderConfig(properties: ReadonlyMap<string, string>): LineReaderConfig {
  const config: LineReaderConfig = {
    parseKey: booleanProperty(properties, 'parse.key', false),
    keySeparator: properties.get('key.separator') ?? '\t',
    parseHeaders: booleanProperty(properties, 'parse.headers', false),
    headersDelimiter: properties.get('headers.delimiter') ?? '\t',
    headersSeparator: properties.get('headers.separator') ?? ',',
    headersKeySeparator: properties.get('headers.key.separator') ?? ':',
    ignoreError: booleanProperty(properties, 'ignore.error', false),
    nullMarker: properties.get('null.marker') ?? null,
  };
  const mayNotEqual = (a: string, b: string, aName: string, bName: string): void => {
    if (a === b) throw new UsageError(`${aName} and ${bName} may not be equal`);
  };
  mayNotEqual(config.headersDelimiter, config.headersSeparator, 'headers.delimiter', 'headers.separator');
  mayNotEqual(
    config.headersDelimiter,
    config.headersKeySeparator,
    'headers.delimiter',
    'headers.key.separator',
  );
  mayNotEqual(
    config.headersSeparator,
    config.headersKeySeparator,
    'headers.separator',
    'headers.key.separator',
  );
  if (config.nullMarker !== null) {
    mayNotEqual(config.nullMarker, config.keySeparator, 'null.marker', 'key.separator');
    mayNotEqual(config.nullMarker, config.headersSeparator, 'null.marker', 'headers.separator');
    mayNotEqual(config.nullMarker, config.headersDelimiter, 'null.marker', 'headers.delimiter');
    mayNotEqual(config.nullMarker, config.headersKeySeparator, 'null.marker', 'headers.key.separator');
  }
  try {
    new RegExp(config.headersSeparator);
  } catch {
    throw new UsageError(`headers.separator '${config.headersSeparator}' is not a valid regular expression`);
  }
  return config;
}

export interface LineRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly (readonly [string, string | null])[];
}

/** A line the reader cannot turn into a record: Kafka throws a KafkaException and stops. */
export class LineParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LineParseError';
  }
}

/** Java's String.split(regex): trailing empty strings are dropped (but "" gives [""]). */
function javaSplit(text: string, regex: string): string[] {
  const parts = text.split(new RegExp(regex));
  while (parts.length > 1 && parts.at(-1) === '') parts.pop();
  return parts;
}

/** The record of one line; `lineNumber` counts from 1 (for the messages). */
export function parseLine(config: LineReaderConfig, line: string, lineNumber: number): LineRecord {
  const part = (enabled: boolean, start: number, separator: string, name: string): string | null => {
    if (!enabled) return null;
    const index = line.indexOf(separator, start);
    if (index === -1) {
      if (config.ignoreError) return null;
      throw new LineParseError(`No ${name} found on line number ${lineNumber}: '${line}'`);
    }
    return line.slice(start, index);
  };
  const headersText = part(config.parseHeaders, 0, config.headersDelimiter, 'headers delimiter');
  const headerOffset = headersText === null ? 0 : headersText.length + config.headersDelimiter.length;
  const key = part(config.parseKey, headerOffset, config.keySeparator, 'key separator');
  const keyOffset = key === null ? 0 : key.length + config.keySeparator.length;
  const value = line.slice(headerOffset + keyOffset);
  const marker = config.nullMarker;
  const headers: (readonly [string, string | null])[] = [];
  if (headersText !== null && headersText !== marker) {
    for (const pair of javaSplit(headersText, config.headersSeparator)) {
      const at = pair.indexOf(config.headersKeySeparator);
      if (at === -1) {
        if (!config.ignoreError) {
          throw new LineParseError(
            `No header key separator found in pair '${pair}' on line number ${lineNumber}`,
          );
        }
        headers.push([pair, null]);
        continue;
      }
      const name = pair.slice(0, at);
      if (name === marker) {
        throw new LineParseError(
          `Header keys should not be equal to the null marker '${marker}' as they can't be null`,
        );
      }
      const headerValue = pair.slice(at + config.headersKeySeparator.length);
      headers.push([name, headerValue === marker ? null : headerValue]);
    }
  }
  return {
    key: key !== null && key !== marker ? key : null,
    value: value !== marker ? value : null,
    headers,
  };
}
