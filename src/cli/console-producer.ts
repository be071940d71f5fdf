// `console-producer`: the equivalent of Kafka's kafka-console-producer.sh (org.apache.kafka.tools.
// ConsoleProducer with its LineMessageReader) over the REST v3 API: every line of stdin becomes a record
// whose value is the line's UTF-8 bytes (sent as BINARY, so any text round-trips exactly); with
// `--property parse.key=true` the line is split into key and value at the first key.separator. Lines go
// out in order, up to --batch-size per `POST .../records:batch` request with one request in flight. The
// tool is split into parsing (parseProducerCommand, parseLine: pure), executing (LineSender, against a
// RestClient) and formatting (batchEntry, formatSendError: pure). Differences from Kafka: src/cli/README.md.

import { createInterface } from 'node:readline';
import { CliError, EXIT_ERROR, EXIT_OK, HelpRequested, UsageError } from './errors.ts';
import { DEFAULT_BOOTSTRAP_SERVER, type RestClient } from './http-client.ts';
import { startTool } from './tool-start.ts';
import type { Io, OptionSpec } from './io.ts';
import {
  booleanProperty,
  formatOptionTable,
  parseIntegerOption,
  parseOptions,
  parseProperties,
} from './io.ts';
import { asObject, objectArrayField, optionalNumberField, optionalStringField, stringField } from './json.ts';

/** records:batch takes at most 100 entries (Confluent's api.v3.produce.batch.max.entries). */
export const BATCH_SIZE_MAX = 100;
export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_LINGER_MS = 50;
/** Batches read ahead of the one in flight before the tool stops reading stdin. */
const QUEUED_BATCHES_MAX = 4;

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

export interface ProducerCommand {
  readonly bootstrapServer: string;
  readonly topic: string;
  /** --sync: one line per request, each acknowledged before the next line is read. */
  readonly sync: boolean;
  /** Lines per request. */
  readonly batchSize: number;
  /** How long the first line of a batch waits for the batch to fill (Kafka's --timeout, linger.ms). */
  readonly lingerMs: number;
  readonly reader: LineReaderConfig;
}

export const PRODUCER_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'batch-size',
    type: 'string',
    argName: 'Integer: size',
    description: `Number of lines to send in one request if they are not being sent synchronously (1..${BATCH_SIZE_MAX}). Default: ${DEFAULT_BATCH_SIZE}.`,
  },
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `The server(s) to connect to (the REST API of any node). Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  { name: 'help', type: 'boolean', description: 'Print usage information.' },
  {
    name: 'property',
    type: 'string',
    multiple: true,
    argName: 'prop',
    description:
      'A mechanism to pass user-defined properties in the form key=value to the line reader: ' +
      'parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, ' +
      'null.marker, ignore.error (repeatable).',
  },
  {
    name: 'request-required-acks',
    type: 'string',
    argName: 'request required acks',
    description:
      'The required acks of the producer requests: only -1 or all (the default) - a produce over REST ' +
      'is acknowledged once every in-sync replica has the record.',
  },
  {
    name: 'sync',
    type: 'boolean',
    description:
      'If set message send requests to the brokers are synchronously, one at a time as they arrive.',
  },
  {
    name: 'timeout',
    type: 'string',
    argName: 'Integer: timeout_ms',
    description: `If set and the producer is running in asynchronous mode, this gives the maximum amount of time a line will queue awaiting sufficient batch size, in ms. Default: ${DEFAULT_LINGER_MS}.`,
  },
  {
    name: 'topic',
    type: 'string',
    argName: 'topic',
    description: 'REQUIRED: The topic id to produce messages to.',
  },
];

const UNSUPPORTED_OPTIONS = new Map([
  ['broker-list', `use --bootstrap-server host:port (default ${DEFAULT_BOOTSTRAP_SERVER})`],
  ['producer-property', 'there is no producer to configure: records go through the REST API'],
  ['producer.config', 'there is no producer to configure: records go through the REST API'],
  ['command-config', 'there are no client properties to set'],
  ['compression-codec', 'the node compresses nothing it is sent over REST'],
  ['line-reader', 'only the default line reader is built in'],
  ['reader-config', 'give the line reader its properties with --property'],
  ['max-block-ms', 'there is no producer buffer to block on'],
  ['max-memory-bytes', 'there is no producer buffer'],
  ['max-partition-memory-bytes', 'there is no producer buffer'],
  ['message-send-max-retries', 'a failed request is reported, not retried'],
  ['retry-backoff-ms', 'a failed request is reported, not retried'],
  ['metadata-expiry-ms', 'the nodes route records; the tool keeps no metadata'],
  ['request-timeout-ms', 'the node waits up to 30 s for acks=all'],
  ['socket-buffer-size', 'not applicable to HTTP'],
]);

export const PRODUCER_TOOL_DESCRIPTION =
  'This tool helps to read data from standard input and publish it to Kafka.';

export function producerUsage(): string[] {
  return [PRODUCER_TOOL_DESCRIPTION, ...formatOptionTable(PRODUCER_OPTIONS)];
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

/** Kafka's accepted values of acks; only acks=all can be honoured over REST. */
function checkAcks(value: string | undefined): void {
  if (value === undefined) return;
  const acks = value.trim().toLowerCase();
  if (acks === 'all' || acks === '-1') return;
  if (acks === '0' || acks === '1') {
    throw new UsageError(
      `--request-required-acks ${value} is not supported: a produce over REST is always acknowledged by ` +
        'every in-sync replica (acks=all); use -1 or all',
    );
  }
  throw new UsageError(`Invalid value ${value} for configuration acks: String must be one of: all, -1, 0, 1`);
}

/** Parses console-producer arguments with Kafka's checks and messages. Throws UsageError or HelpRequested. */
export function parseProducerCommand(argv: readonly string[]): ProducerCommand {
  if (argv.length === 0) {
    throw new UsageError('Read data from standard input and publish it to Kafka.', { showUsage: true });
  }
  const args = parseOptions(argv, PRODUCER_OPTIONS, { unsupported: UNSUPPORTED_OPTIONS });
  if (args.flag('help')) throw new HelpRequested();
  const topic = args.string('topic');
  if (topic === undefined) throw new UsageError('Missing required argument "[topic]"', { showUsage: true });
  checkAcks(args.string('request-required-acks'));
  const sync = args.flag('sync');
  const batchText = args.string('batch-size');
  const lingerText = args.string('timeout');
  let batchSize = batchText === undefined ? DEFAULT_BATCH_SIZE : parseIntegerOption(batchText, 'batch-size');
  if (batchSize < 1) throw new UsageError(`--batch-size must be at least 1, not ${batchSize}`);
  batchSize = Math.min(batchSize, BATCH_SIZE_MAX);
  const lingerMs = lingerText === undefined ? DEFAULT_LINGER_MS : parseIntegerOption(lingerText, 'timeout');
  if (lingerMs < 0) throw new UsageError(`--timeout must not be negative, not ${lingerMs}`);
  return {
    bootstrapServer: args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
    topic,
    sync,
    batchSize: sync ? 1 : batchSize,
    lingerMs: sync ? 0 : lingerMs,
    reader: parseLineReaderConfig(parseProperties(args.strings('property'))),
  };
}

// ---------------------------------------------------------------------------------------------------
// Lines to records (LineMessageReader.readRecords).

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

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** One entry of a records:batch body: key, value and header values as BINARY (base64 of the UTF-8). */
export function batchEntry(record: LineRecord, id: string): Record<string, unknown> {
  const entry: Record<string, unknown> = { id };
  if (record.headers.length > 0) {
    entry.headers = record.headers.map(([name, value]) => ({
      name,
      value: value === null ? null : base64(value),
    }));
  }
  if (record.key !== null) entry.key = { type: 'BINARY', data: base64(record.key) };
  if (record.value !== null) entry.value = { type: 'BINARY', data: base64(record.value) };
  return entry;
}

/** ErrorLoggingCallback's line (sizes, not contents), with the server's message on the same line. */
export function formatSendError(topic: string, record: LineRecord, message: string): string {
  const size = (text: string | null): string =>
    text === null ? 'null' : `${Buffer.byteLength(text, 'utf8')} bytes`;
  return (
    `ERROR Error when sending message to topic ${topic} with key: ${size(record.key)}, ` +
    `value: ${size(record.value)} with error: ${message}`
  );
}

// ---------------------------------------------------------------------------------------------------
// Sending: batches of lines, in order, one request in flight.

/**
 * Collects records into batches (full at `batchSize`, or `lingerMs` after their first record) and sends
 * the batches one after the other, so records reach each partition in the order of the lines. `add`
 * waits while too many batches are queued (stdin is not read ahead without bound).
 */
export class LineSender {
  readonly #client: RestClient;
  readonly #command: ProducerCommand;
  readonly #io: Io;
  #pending: LineRecord[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #chain: Promise<void> = Promise.resolve();
  /** Settles when each queued batch has been answered, oldest first. */
  readonly #queued: Promise<void>[] = [];
  #path: string | null = null;
  /** Records the cluster did not take. */
  failed = 0;
  sent = 0;

  constructor(client: RestClient, command: ProducerCommand, io: Io) {
    this.#client = client;
    this.#command = command;
    this.#io = io;
  }

  async add(record: LineRecord): Promise<void> {
    this.#pending.push(record);
    if (this.#pending.length >= this.#command.batchSize) this.#flushPending();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#flushPending(), this.#command.lingerMs);
    }
    while (this.#queued.length > QUEUED_BATCHES_MAX) await this.#queued[0];
    if (this.#command.sync) await this.#chain;
  }

  /** Sends what is pending and resolves when every batch has been answered. */
  async flush(): Promise<void> {
    this.#flushPending();
    await this.#chain;
  }

  #flushPending(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    const done = this.#chain.then(() => this.#send(batch));
    this.#chain = done;
    this.#queued.push(done);
    const dequeue = (): void => {
      this.#queued.shift();
    };
    void done.then(dequeue, dequeue);
  }

  async #send(batch: readonly LineRecord[]): Promise<void> {
    let failures: Map<number, string>;
    try {
      this.#path ??= await this.#client.clusterPath(
        `/topics/${encodeURIComponent(this.#command.topic)}/records:batch`,
      );
      const body = { entries: batch.map((record, index) => batchEntry(record, String(index))) };
      failures = readBatchFailures(await this.#client.send('POST', this.#path, body), batch.length);
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      failures = new Map(batch.map((_, index) => [index, error.message]));
    }
    batch.forEach((record, index) => {
      const message = failures.get(index);
      if (message === undefined) {
        this.sent += 1;
        return;
      }
      this.failed += 1;
      this.#io.err(formatSendError(this.#command.topic, record, message));
    });
  }
}

/** The entries of a records:batch answer that failed, by index, with the server's message. */
export function readBatchFailures(body: unknown, count: number): Map<number, string> {
  const context = 'POST records:batch';
  const answer = asObject(body, context);
  const failures = new Map<number, string>();
  for (const failure of objectArrayField(answer, 'failures', context)) {
    const id = Number(stringField(failure, 'id', context));
    const code = optionalNumberField(failure, 'error_code', context);
    const message = optionalStringField(failure, 'message', context) ?? `error code ${code ?? 'unknown'}`;
    failures.set(id, message);
  }
  const succeeded = objectArrayField(answer, 'successes', context).length;
  if (succeeded + failures.size !== count) {
    throw new CliError(
      'response',
      `Unexpected response from the server: ${succeeded} successes and ${failures.size} failures for ${count} records (in ${context})`,
    );
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------------
// Entry point.

/** stdin, line by line (\n, \r\n or \r, as Java's readLine); ends early when `signal` aborts. */
export function stdinLines(signal?: AbortSignal): AsyncIterable<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  signal?.addEventListener('abort', () => lines.close(), { once: true });
  return lines;
}

export interface ProducerRunOptions {
  /** The lines to produce; default stdin. */
  readonly input?: AsyncIterable<string>;
  /** Ctrl-C: stop reading, send what was read, exit. */
  readonly signal?: AbortSignal;
}

/** Reads every line, sends it, waits for every answer; resolves to the exit code. */
export async function executeProducerCommand(
  client: RestClient,
  command: ProducerCommand,
  io: Io,
  input: AsyncIterable<string>,
  signal?: AbortSignal,
): Promise<number> {
  const sender = new LineSender(client, command, io);
  let lineNumber = 0;
  let code = EXIT_OK;
  try {
    for await (const line of input) {
      if (signal?.aborted) break;
      lineNumber += 1;
      await sender.add(parseLine(command.reader, line, lineNumber));
      if (command.sync && sender.failed > 0) break;
    }
  } catch (error) {
    if (!(error instanceof LineParseError)) throw error;
    // Kafka prints the exception and exits 1; the lines before it are still delivered (producer.close()).
    io.err(`org.apache.kafka.common.KafkaException: ${error.message}`);
    code = EXIT_ERROR;
  }
  await sender.flush();
  if (sender.failed > 0 && (command.sync || !command.reader.ignoreError)) code = EXIT_ERROR;
  return code;
}

/** `console-producer` entry point; resolves to the exit code. */
export async function consoleProducerMain(
  argv: readonly string[],
  io: Io,
  options: ProducerRunOptions = {},
): Promise<number> {
  const started = startTool(argv, io, parseProducerCommand, producerUsage);
  if ('exitCode' in started) return started.exitCode;
  const { command, client } = started;
  try {
    const input = options.input ?? stdinLines(options.signal);
    return await executeProducerCommand(client, command, io, input, options.signal);
  } finally {
    await client.close();
  }
}
