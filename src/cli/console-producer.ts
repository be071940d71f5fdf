// `console-producer`: the equivalent of Kafka's kafka-console-producer.sh (org.apache.kafka.tools.
// ConsoleProducer with its LineMessageReader) on the SDK's Producer over the native API: every line of
// stdin becomes a record whose value is the line's UTF-8 bytes; with `--property parse.key=true` the line
// is split into key and value at the first key.separator (line-reader.ts). As a Kafka producer, it is
// idempotent by default, batches per partition, retries a record until delivery.timeout.ms and fails
// over to the brokers it learned from the metadata, so losing the node given as --bootstrap-server loses
// nothing. Parsing (parseProducerCommand, producer-config.ts, line-reader.ts) is pure; sending is
// line-sender.ts. Differences from Kafka: src/cli/README.md.

import { createInterface } from 'node:readline';
import { Producer } from '../client/index.ts';
import { EXIT_ERROR, EXIT_OK, HelpRequested, UsageError } from './errors.ts';
import {
  COMMAND_CONFIG_OPTION,
  DEFAULT_BOOTSTRAP_SERVER,
  parseBootstrapServers,
  readClientConfig,
} from './client-config.ts';
import type { Io, OptionSpec } from './io.ts';
import { formatOptionTable, parseOptions, parseProperties } from './io.ts';
import { type LineReaderConfig, LineParseError, parseLine, parseLineReaderConfig } from './line-reader.ts';
import { LineSender, type RecordSink } from './line-sender.ts';
import { type ProducerSettings, producerSettings, TOOL_DEFAULTS } from './producer-config.ts';
import { reportUsageError } from './tool-start.ts';
import type { ClientSecurity } from '../client/security.ts';

export interface ProducerCommand {
  /** The bootstrap origins, http://host:port (https:// with --command-config security.protocol=SSL). */
  readonly bootstrap: readonly string[];
  /** TLS options from --command-config; absent without one. */
  readonly security?: ClientSecurity;
  readonly topic: string;
  /** --sync: each line acknowledged before the next line is read. */
  readonly sync: boolean;
  readonly producer: ProducerSettings;
  /** --producer-property names this producer does not use (reported, as Kafka's producer logs them). */
  readonly unusedProducerProperties: readonly string[];
  readonly reader: LineReaderConfig;
}

export const PRODUCER_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'batch-size',
    type: 'string',
    argName: 'Integer: size',
    description: `The producer's batch.size: a partition's batch is sent once it holds this many bytes (0: one record per batch). Default: ${TOOL_DEFAULTS['batch.size']}.`,
  },
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `The server(s) to connect to: the HTTP API or the Kafka listener of any node; the others are learned from it. Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  COMMAND_CONFIG_OPTION,
  {
    name: 'compression-codec',
    type: 'string',
    argName: 'compression-codec',
    description:
      "The compression codec: either 'none', 'gzip' or 'zstd'. If specified without value, then it defaults to 'gzip'.",
  },
  { name: 'help', type: 'boolean', description: 'Print usage information.' },
  {
    name: 'max-memory-bytes',
    type: 'string',
    argName: 'Long: total memory in bytes',
    description: `The producer's buffer.memory: lines read but not yet acknowledged hold at most about this much before reading stdin waits. Default: ${TOOL_DEFAULTS['buffer.memory']}.`,
  },
  {
    name: 'max-partition-memory-bytes',
    type: 'string',
    argName: 'Integer: memory in bytes per partition',
    description: "The producer's batch.size, as --batch-size (this one wins when both are given).",
  },
  {
    name: 'producer-property',
    type: 'string',
    multiple: true,
    argName: 'producer_prop',
    description:
      'A producer property in the form key=value (repeatable): acks, batch.size, buffer.memory, ' +
      'compression.type, delivery.timeout.ms, enable.idempotence, linger.ms, request.timeout.ms, ' +
      'retry.backoff.ms. The options of this tool win over them.',
  },
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
    description: `The required acks of the producer requests: all (-1), 1 or 0. Default: ${TOOL_DEFAULTS.acks}.`,
  },
  {
    name: 'request-timeout-ms',
    type: 'string',
    argName: 'Integer: request timeout ms',
    description: `The ack timeout of the producer requests. Value must be non-negative and non-zero. Default: ${TOOL_DEFAULTS['request.timeout.ms']}.`,
  },
  {
    name: 'retry-backoff-ms',
    type: 'string',
    argName: 'Long',
    description: `How long the producer waits before it refreshes the metadata and retries. Default: ${TOOL_DEFAULTS['retry.backoff.ms']}.`,
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
    argName: 'Long: timeout_ms',
    description: `If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size, in ms (linger.ms). Default: ${TOOL_DEFAULTS['linger.ms']}.`,
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
  ['producer.config', 'give producer properties with --producer-property'],
  ['line-reader', 'only the default line reader is built in'],
  ['reader-config', 'give the line reader its properties with --property'],
  ['max-block-ms', 'reading stdin waits for room in buffer.memory as long as it takes'],
  [
    'message-send-max-retries',
    'a record is retried until delivery.timeout.ms (--producer-property delivery.timeout.ms=MS)',
  ],
  ['metadata-expiry-ms', 'the producer refreshes its metadata when an error says it moved'],
  ['socket-buffer-size', 'not applicable to HTTP/2'],
]);

export const PRODUCER_TOOL_DESCRIPTION =
  'This tool helps to read data from standard input and publish it to Kafka.';

export function producerUsage(): string[] {
  return [PRODUCER_TOOL_DESCRIPTION, ...formatOptionTable(PRODUCER_OPTIONS)];
}

/** joptsimple's optional argument: `--compression-codec` followed by nothing or another option is ''. */
function withOptionalCodec(argv: readonly string[]): string[] {
  return argv.flatMap((arg, index) => {
    const next = argv[index + 1];
    return arg === '--compression-codec' && (next === undefined || next.startsWith('-'))
      ? ['--compression-codec=']
      : [arg];
  });
}

/** Parses console-producer arguments with Kafka's checks and messages. Throws UsageError or HelpRequested. */
export function parseProducerCommand(argv: readonly string[]): ProducerCommand {
  if (argv.length === 0) {
    throw new UsageError('Read data from standard input and publish it to Kafka.', { showUsage: true });
  }
  const args = parseOptions(withOptionalCodec(argv), PRODUCER_OPTIONS, { unsupported: UNSUPPORTED_OPTIONS });
  if (args.flag('help')) throw new HelpRequested();
  const topic = args.string('topic');
  if (topic === undefined) throw new UsageError('Missing required argument "[topic]"', { showUsage: true });
  const sync = args.flag('sync');
  const { settings, unused } = producerSettings(
    {
      lingerMs: args.string('timeout'),
      acks: args.string('request-required-acks'),
      requestTimeoutMs: args.string('request-timeout-ms'),
      retryBackoffMs: args.string('retry-backoff-ms'),
      batchSize: args.string('batch-size'),
      maxPartitionMemoryBytes: args.string('max-partition-memory-bytes'),
      maxMemoryBytes: args.string('max-memory-bytes'),
      compressionCodec: args.string('compression-codec'),
    },
    parseProperties(args.strings('producer-property')),
    sync,
  );
  const clientConfig = readClientConfig(args.string('command-config') ?? null);
  return {
    bootstrap: parseBootstrapServers(
      args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
      clientConfig.scheme,
    ),
    ...(Object.keys(clientConfig.security).length > 0 ? { security: clientConfig.security } : {}),
    topic,
    sync,
    producer: settings,
    unusedProducerProperties: unused,
    reader: parseLineReaderConfig(parseProperties(args.strings('property'))),
  };
}

/** stdin, line by line (\n, \r\n or \r, as Java's readLine); ends early when `signal` aborts. */
export function stdinLines(signal?: AbortSignal): AsyncIterable<string> {
  // The iterator pauses stdin while the lines it read are not taken: what is read ahead stays bounded.
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  signal?.addEventListener('abort', () => lines.close(), { once: true });
  return lines;
}

/**
 * Reads every line and hands it to `producer`, then waits for every acknowledgement; resolves to the
 * exit code. The caller closes the producer.
 */
export async function executeProducerCommand(
  producer: RecordSink,
  command: ProducerCommand,
  io: Io,
  input: AsyncIterable<string>,
  signal?: AbortSignal,
): Promise<number> {
  if (command.unusedProducerProperties.length > 0) {
    io.err(
      `WARN These configurations '[${command.unusedProducerProperties.join(', ')}]' were supplied but are not used.`,
    );
  }
  const sender = new LineSender(
    producer,
    {
      topic: command.topic,
      sync: command.sync,
      bufferMemory: command.producer.bufferMemory,
      deliveryTimeoutMs: command.producer.deliveryTimeoutMs,
    },
    io,
  );
  let lineNumber = 0;
  let code = EXIT_OK;
  try {
    for await (const line of input) {
      if (signal?.aborted) break;
      lineNumber += 1;
      await sender.add(parseLine(command.reader, line, lineNumber));
      // Kafka's send(record).get() throws: the tool stops at the first failure.
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

export interface ProducerRunOptions {
  /** The lines to produce; default stdin. */
  readonly input?: AsyncIterable<string>;
  /** Ctrl-C: stop reading, send what was read, exit. */
  readonly signal?: AbortSignal;
}

/** `console-producer` entry point; resolves to the exit code. */
export async function consoleProducerMain(
  argv: readonly string[],
  io: Io,
  options: ProducerRunOptions = {},
): Promise<number> {
  let command: ProducerCommand;
  try {
    command = parseProducerCommand(argv);
  } catch (error) {
    if (error instanceof HelpRequested) {
      for (const line of producerUsage()) io.out(line);
      return EXIT_OK;
    }
    if (error instanceof UsageError) return reportUsageError(error, io, producerUsage);
    throw error;
  }
  const settings = command.producer;
  const producer = new Producer({
    bootstrap: command.bootstrap,
    ...(command.security !== undefined ? { security: command.security } : {}),
    acks: settings.acks,
    lingerMs: settings.lingerMs,
    batchSize: settings.batchSize,
    compression: settings.compression,
    idempotence: settings.idempotence,
    deliveryTimeoutMs: settings.deliveryTimeoutMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    retryBackoffMs: settings.retryBackoffMs,
  });
  try {
    const input = options.input ?? stdinLines(options.signal);
    return await executeProducerCommand(producer, command, io, input, options.signal);
  } finally {
    await producer.close();
  }
}
