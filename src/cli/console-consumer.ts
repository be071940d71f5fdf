// `console-consumer`: the equivalent of Kafka's kafka-console-consumer.sh (org.apache.kafka.tools.consumer.
// ConsoleConsumer with its DefaultMessageFormatter), an SDK Consumer (src/client) over the native API.
// Without a group it assigns itself every partition of the topic (or the one of --partition) and starts
// where auto.offset.reset says (the end; the log start with --from-beginning) or, for --partition, at
// --offset; with --group it subscribes as a member of that group (the coordinator assigns, auto commit on)
// and closes the consumer at the end, which commits and leaves the group. It prints each record as
// Kafka's formatter does, each partition in offset order. It stops after --max-messages, after
// --timeout-ms without a record, or on Ctrl-C/SIGTERM, and then prints "Processed a total of N messages"
// on stderr. The consumer does what a Kafka client does: it learns every broker from the metadata, routes
// fetches to the partition leaders and rides out leader elections and nodes that die. The tool is split
// into parsing (parseConsumerCommand: pure), executing (executeConsumerCommand) and formatting
// (message-formatter.ts: pure). Differences from Kafka: src/cli/README.md.

import { Consumer, type ConsumerOptions, type ConsumerRecord, KafkaError } from '../client/index.ts';
import {
  AUTO_OFFSET_RESET_VALUES,
  type AutoOffsetReset,
  type ConsumerTuning,
  isolationLevel,
  oneOf,
  parseConsumerProperties,
} from './consumer-properties.ts';
import { CliError, EXIT_ERROR, EXIT_OK, HelpRequested, UsageError } from './errors.ts';
import {
  COMMAND_CONFIG_OPTION,
  DEFAULT_BOOTSTRAP_SERVER,
  parseBootstrapServers,
  readClientConfig,
} from './client-config.ts';
import type { Io, OptionSpec } from './io.ts';
import { formatOptionTable, parseIntegerOption, parseOptions, parseProperties } from './io.ts';
import { type FormatterConfig, formatRecord, parseFormatterConfig } from './message-formatter.ts';
import { reportUsageError } from './tool-start.ts';
import type { ClientSecurity } from '../client/security.ts';

export { type FormatterConfig, formatRecord, parseFormatterConfig } from './message-formatter.ts';

/** The longest one poll waits: how soon the loop sees Ctrl-C (the SDK's poll cannot be woken up). */
export const POLL_TIMEOUT_MS = 200;
/** Positioning (seekToBeginning/seekToEnd) is retried this long through leader elections. */
const POSITION_TIMEOUT_MS = 60_000;
const RETRY_BACKOFF_MS = 200;
/** Kafka's console consumer's client.id. */
const CLIENT_ID = 'console-consumer';

/** Where --partition starts: ListOffsets EARLIEST / LATEST, or an offset. */
export type StartOffset = 'earliest' | 'latest' | number;

export interface ConsumerCommand {
  /** As typed (or the default). */
  readonly bootstrapServer: string;
  /** The consumer's bootstrap origins, http://host:port: a node's HTTP API or Kafka listener. */
  readonly bootstrap: readonly string[];
  /** TLS options from --command-config; absent without one. */
  readonly security?: ClientSecurity;
  readonly topic: string;
  /** --group (or group.id): consume as a member of that group; null: no group. */
  readonly group: string | null;
  /** --partition: only that partition; null: every partition of the topic. */
  readonly partition: number | null;
  /** Where --partition starts; null (no --partition) where auto.offset.reset, or the group, says. */
  readonly start: StartOffset | null;
  /** auto.offset.reset: where a partition without a position (or out of range) starts. */
  readonly reset: AutoOffsetReset;
  /** null: no limit (Kafka's -1). */
  readonly maxMessages: number | null;
  /** null: wait for records forever. */
  readonly timeoutMs: number | null;
  /** The SDK Consumer's other options, from --consumer-property. */
  readonly consumer: ConsumerTuning;
  /** Lines for stderr before consuming (configs that are ignored). */
  readonly warnings: readonly string[];
  readonly formatter: FormatterConfig;
}

export const CONSUMER_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description:
      'The server(s) to connect to: the HTTP API or the Kafka listener of any node (the others are ' +
      `learned from the metadata). Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  COMMAND_CONFIG_OPTION,
  {
    name: 'consumer-property',
    type: 'string',
    multiple: true,
    argName: 'consumer_prop',
    description:
      'A consumer config as key=value (repeatable): group.id, client.id, auto.offset.reset, ' +
      'enable.auto.commit, auto.commit.interval.ms, fetch.min.bytes, fetch.max.wait.ms, fetch.max.bytes, ' +
      'max.partition.fetch.bytes, max.poll.records, session.timeout.ms, heartbeat.interval.ms, ' +
      'request.timeout.ms, retry.backoff.ms, isolation.level. Others are ignored with a warning.',
  },
  {
    name: 'from-beginning',
    type: 'boolean',
    description:
      'If the consumer does not already have an established offset to consume from, start with the ' +
      'earliest message present in the log rather than the latest message.',
  },
  {
    name: 'group',
    type: 'string',
    argName: 'consumer group id',
    description:
      "The consumer group id of the consumer: it shares the topic with the group's other members and commits its offsets.",
  },
  { name: 'help', type: 'boolean', description: 'Print usage information.' },
  {
    name: 'isolation-level',
    type: 'string',
    argName: 'read_committed|read_uncommitted',
    description:
      'Accepted for compatibility: both read up to the high watermark (there are no transactions).',
  },
  {
    name: 'max-messages',
    type: 'string',
    argName: 'Integer: num_messages',
    description:
      'The maximum number of messages to consume before exiting. If not set, consumption is continual.',
  },
  {
    name: 'offset',
    type: 'string',
    argName: 'consume offset',
    description:
      "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or " +
      "'latest' which means from end (default: latest). Requires --partition.",
  },
  {
    name: 'partition',
    type: 'string',
    argName: 'Integer: partition',
    description:
      'The partition to consume from. Consumption starts from the end of the partition unless --offset is specified.',
  },
  {
    name: 'property',
    type: 'string',
    multiple: true,
    argName: 'prop',
    description:
      'The properties to initialize the message formatter: print.timestamp, print.key, print.value, ' +
      'print.offset, print.partition, print.headers, key.separator, headers.separator, null.literal ' +
      '(repeatable).',
  },
  {
    name: 'skip-message-on-error',
    type: 'boolean',
    description: 'Accepted for compatibility: printing a record cannot fail here.',
  },
  {
    name: 'timeout-ms',
    type: 'string',
    argName: 'Integer: timeout_ms',
    description: 'If specified, exit if no message is available for consumption for the specified interval.',
  },
  { name: 'topic', type: 'string', argName: 'topic', description: 'The topic to consume on.' },
];

const UNSUPPORTED_OPTIONS = new Map([
  ['include', 'give one topic with --topic'],
  ['whitelist', 'give one topic with --topic'],
  ['formatter', "only Kafka's default formatter is built in; configure it with --property"],
  ['formatter-config', 'configure the formatter with --property'],
  ['consumer.config', 'give the consumer configs with --consumer-property'],
  ['key-deserializer', 'keys print as UTF-8 text'],
  ['value-deserializer', 'values print as UTF-8 text'],
  ['enable-systest-events', 'not applicable'],
]);

export const CONSUMER_TOOL_DESCRIPTION =
  'This tool helps to read data from Kafka topics and outputs it to standard output.';

export function consumerUsage(): string[] {
  return [CONSUMER_TOOL_DESCRIPTION, ...formatOptionTable(CONSUMER_OPTIONS)];
}

/** ConsoleConsumerOptions.parseOffset. */
function parseOffset(value: string): StartOffset {
  const lower = value.toLowerCase();
  if (lower === 'earliest' || lower === 'latest') return lower;
  if (/^[+-]?\d+$/.test(value.trim())) {
    const offset = Number(value.trim());
    if (Number.isSafeInteger(offset) && offset >= 0) return offset;
  }
  throw new UsageError(
    `The provided offset value '${value}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`,
    { showUsage: true },
  );
}

/** ConsoleConsumerOptions.checkConsumerGroup: --group and group.id must agree. */
function groupOf(option: string | undefined, property: string | null): string | null {
  const provided = new Set<string>();
  if (option !== undefined) provided.add(option);
  if (property !== null) provided.add(property);
  if (provided.size > 1) {
    throw new UsageError(
      "The group ids provided in different places (directly using '--group', via '--consumer-property', " +
        `or via '--consumer.config') do not match. Detected group ids: ${[...provided].map((g) => `'${g}'`).join(', ')}`,
      { showUsage: true },
    );
  }
  return provided.values().next().value ?? null;
}

/**
 * ConsoleConsumerOptions.setAutoOffsetResetValue: auto.offset.reset as given, else earliest with
 * --from-beginning, else latest; --from-beginning with another value is refused.
 */
function resetOf(given: string | null, fromBeginning: boolean): AutoOffsetReset {
  if (given === null) return fromBeginning ? 'earliest' : 'latest';
  if (fromBeginning && given !== 'earliest') {
    throw new UsageError(
      `Can't simultaneously specify --from-beginning and 'auto.offset.reset=${given}', please remove one option`,
    );
  }
  return oneOf(given, 'auto.offset.reset', AUTO_OFFSET_RESET_VALUES);
}

/** Parses console-consumer arguments with Kafka's checks and messages. Throws UsageError or HelpRequested. */
export function parseConsumerCommand(argv: readonly string[]): ConsumerCommand {
  if (argv.length === 0) {
    throw new UsageError(
      'The console consumer is a tool that reads data from Kafka and outputs it to standard output.',
      { showUsage: true },
    );
  }
  const args = parseOptions(argv, CONSUMER_OPTIONS, { unsupported: UNSUPPORTED_OPTIONS });
  if (args.flag('help')) throw new HelpRequested();
  const properties = parseConsumerProperties(parseProperties(args.strings('consumer-property')));
  const group = groupOf(args.string('group'), properties.groupId);
  if (group !== null && (args.has('partition') || args.has('offset'))) {
    throw new UsageError(
      `Options group and ${args.has('partition') ? 'partition' : 'offset'} cannot be specified together.`,
      { showUsage: true },
    );
  }
  const topic = args.string('topic');
  if (topic === undefined) {
    throw new UsageError('Exactly one of --include/--topic is required. ', { showUsage: true });
  }
  const fromBeginning = args.flag('from-beginning');
  const partitionText = args.string('partition');
  const offsetText = args.string('offset');
  if (partitionText !== undefined) {
    if (fromBeginning && offsetText !== undefined) {
      throw new UsageError('Options from-beginning and offset cannot be specified together.', {
        showUsage: true,
      });
    }
  } else if (offsetText !== undefined) {
    throw new UsageError('The partition is required when offset is specified.', { showUsage: true });
  }
  const partition = partitionText === undefined ? null : parseIntegerOption(partitionText, 'partition');
  if (partition !== null && partition < 0) {
    throw new UsageError(`Cannot parse argument '${partitionText}' of option partition`);
  }
  // Kafka's ConsoleConsumer seeks only the partition of --partition; otherwise the consumer's reset (or
  // the group's committed offsets) places it.
  const start: StartOffset | null =
    partition === null
      ? null
      : offsetText !== undefined
        ? parseOffset(offsetText)
        : fromBeginning
          ? 'earliest'
          : 'latest';
  const reset = resetOf(properties.autoOffsetReset, fromBeginning);
  // --isolation-level wins over isolation.level (CommandLineUtils.maybeMergeOptions).
  const isolation = args.string('isolation-level');
  if (isolation !== undefined) isolationLevel(isolation);
  const maxText = args.string('max-messages');
  const maxMessages = maxText === undefined ? -1 : parseIntegerOption(maxText, 'max-messages');
  const timeoutText = args.string('timeout-ms');
  const timeoutMs = timeoutText === undefined ? -1 : parseIntegerOption(timeoutText, 'timeout-ms');
  const bootstrapServer = args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER;
  const clientConfig = readClientConfig(args.string('command-config') ?? null);
  return {
    bootstrapServer,
    bootstrap: parseBootstrapServers(bootstrapServer, clientConfig.scheme),
    ...(Object.keys(clientConfig.security).length > 0 ? { security: clientConfig.security } : {}),
    topic,
    group,
    partition,
    start,
    reset,
    // Kafka: -1 is no limit; any other value stops after that many (none when it is not positive).
    maxMessages: maxMessages === -1 ? null : Math.max(maxMessages, 0),
    timeoutMs: timeoutMs < 0 ? null : timeoutMs,
    consumer: { clientId: CLIENT_ID, ...properties.tuning },
    warnings: properties.warnings,
    formatter: parseFormatterConfig(parseProperties(args.strings('property'))),
  };
}

// ---------------------------------------------------------------------------------------------------
// Consuming.

/** The SDK Consumer's options for a command. */
export function consumerOptionsOf(command: ConsumerCommand): ConsumerOptions {
  return {
    ...command.consumer,
    bootstrap: command.bootstrap,
    ...(command.security !== undefined ? { security: command.security } : {}),
    ...(command.group === null ? {} : { groupId: command.group }),
    autoOffsetReset: command.reset,
  };
}

/** An SDK failure as the tool reports it: Kafka's errors by their message, the rest as connection errors. */
function toolError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof KafkaError)
    return new CliError('server', error.message || error.errorName, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new CliError('connection', message, { cause: error });
}

/** Runs an SDK call; what it throws becomes a CliError (an operating error, not a bug of the tool). */
async function sdk<T>(call: () => Promise<T> | T): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toolError(error);
  }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * seekToBeginning / seekToEnd, tried again while a partition has no leader to answer its offsets (an
 * election), as Kafka's consumer waits up to default.api.timeout.ms.
 */
async function seekRetrying(seek: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + POSITION_TIMEOUT_MS;
  for (;;) {
    try {
      return await seek();
    } catch (error) {
      const retriable = error instanceof KafkaError && error.retriable;
      if (!retriable || Date.now() >= deadline || signal?.aborted) throw toolError(error);
      await delay(RETRY_BACKOFF_MS, signal);
    }
  }
}

/**
 * Moves every partition whose records `poll` returned but the tool did not print back to the first of
 * them, so that closing commits only what was printed (Kafka's tool would commit the whole poll).
 */
function unread(consumer: Consumer, records: readonly ConsumerRecord[]): void {
  const first = new Map<string, ConsumerRecord>();
  for (const record of records) {
    const key = `${record.topic}\u0000${record.partition}`;
    const seen = first.get(key);
    if (seen === undefined || record.offset < seen.offset) first.set(key, record);
  }
  for (const { topic, partition, offset } of first.values()) {
    try {
      consumer.seek({ topic, partition, offset });
    } catch {
      // The partition was revoked meanwhile: its new owner reads it from the group's commit.
    }
  }
}

export interface ConsumerRunOptions {
  /** Ctrl-C: stop, print the total, exit. */
  readonly signal?: AbortSignal;
}

/** Places the consumer: a member of the group, or every partition (or --partition) assigned and sought. */
async function startConsuming(consumer: Consumer, command: ConsumerCommand, signal?: AbortSignal) {
  const all = await sdk(() => consumer.partitionsFor(command.topic));
  if (command.group !== null) {
    await sdk(() => consumer.subscribe([command.topic]));
    return;
  }
  if (command.partition !== null && !all.includes(command.partition)) {
    throw new CliError(
      'command',
      `Partition ${command.partition} of topic ${command.topic} does not exist (the topic has ${all.length} partitions)`,
    );
  }
  const partitions = (command.partition === null ? all : [command.partition]).map((partition) => ({
    topic: command.topic,
    partition,
  }));
  consumer.assign(partitions);
  const start = command.start;
  if (start === 'earliest') await seekRetrying(() => consumer.seekToBeginning(partitions), signal);
  else if (start === 'latest') await seekRetrying(() => consumer.seekToEnd(partitions), signal);
  else if (start !== null) consumer.seek({ ...partitions[0]!, offset: start });
}

/**
 * Reads and prints until --max-messages, --timeout-ms, `signal`, or an error the consumer does not ride
 * out; then closes the consumer (with a group: commits what was printed, leaves). Resolves to the number
 * of records printed and the error that ended it, if one did.
 */
export async function executeConsumerCommand(
  command: ConsumerCommand,
  io: Io,
  options: ConsumerRunOptions = {},
): Promise<{ readonly count: number; readonly error: CliError | null }> {
  const signal = options.signal;
  if (command.maxMessages === 0 || signal?.aborted) return { count: 0, error: null };
  const consumer = new Consumer(consumerOptionsOf(command));
  let count = 0;
  let error: CliError | null = null;
  try {
    await startConsuming(consumer, command, signal);
    let idleSince = Date.now();
    while (!signal?.aborted) {
      let waitMs = POLL_TIMEOUT_MS;
      if (command.timeoutMs !== null) {
        const idleLeft = idleSince + command.timeoutMs - Date.now();
        if (idleLeft <= 0) break;
        waitMs = Math.min(waitMs, idleLeft);
      }
      const records = await sdk(() => consumer.poll(waitMs));
      if (records.length > 0) idleSince = Date.now();
      let printed = 0;
      for (const record of records) {
        if (signal?.aborted || (command.maxMessages !== null && count >= command.maxMessages)) break;
        const text = formatRecord(command.formatter, record);
        if (text !== null) io.out(text);
        count += 1;
        printed += 1;
      }
      if (printed < records.length) unread(consumer, records.slice(printed));
      if (command.maxMessages !== null && count >= command.maxMessages) break;
    }
  } catch (failure) {
    if (!(failure instanceof CliError)) throw failure;
    error = failure;
  } finally {
    try {
      await sdk(() => consumer.close());
    } catch (failure) {
      error ??= toolError(failure);
    }
  }
  return { count, error };
}

// ---------------------------------------------------------------------------------------------------
// Entry point.

/** `console-consumer` entry point; resolves to the exit code. */
export async function consoleConsumerMain(
  argv: readonly string[],
  io: Io,
  options: ConsumerRunOptions = {},
): Promise<number> {
  let command: ConsumerCommand;
  try {
    command = parseConsumerCommand(argv);
  } catch (error) {
    if (error instanceof HelpRequested) {
      for (const line of consumerUsage()) io.out(line);
      return EXIT_OK;
    }
    if (error instanceof UsageError) return reportUsageError(error, io, consumerUsage);
    throw error;
  }
  for (const warning of command.warnings) io.err(warning);
  const { count, error } = await executeConsumerCommand(command, io, options);
  if (error !== null)
    io.err(`ERROR Error processing message, terminating consumer process: ${error.message}`);
  io.err(`Processed a total of ${count} messages`);
  return error === null ? EXIT_OK : EXIT_ERROR;
}
