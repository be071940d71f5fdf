// `console-consumer`: the equivalent of Kafka's kafka-console-consumer.sh (org.apache.kafka.tools.consumer.
// ConsoleConsumer with its DefaultMessageFormatter) over the REST v2 API. Without a group it reads every
// partition of the topic (or the one of --partition) with the group-less long-poll read
// `GET /topics/{t}/partitions/{p}/records`, from the end (or --from-beginning, or --offset); with --group
// it is a v2 consumer instance of that group (subscribed to the topic, auto commit on, deleted on exit so
// that its offsets are committed and it leaves the group). It prints
// each record as Kafka's formatter does, each partition in offset order. It stops after --max-messages,
// after --timeout-ms without a record, or on Ctrl-C, and then prints "Processed a total of N messages"
// on stderr. The tool is split into parsing (parseConsumerCommand: pure), executing (executeConsumer-
// Command, against a RestClient) and formatting (formatRecord: pure). Differences: src/cli/README.md.

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
import type { JsonObject } from './json.ts';
import { asArray, asObject, numberField, stringField } from './json.ts';

/** The long poll of each read (the route caps it at 30 s). */
export const POLL_TIMEOUT_MS = 1000;
/** A read that answers nothing sooner than this is not repeated before it (a server that does not wait). */
const EMPTY_POLL_MIN_MS = 100;
/** Wait before reading again after a retriable error (leader election, node restart). */
const RETRY_BACKOFF_MS = 500;
const V2_BINARY = 'application/vnd.kafka.binary.v2+json';

/** Where reading starts: Kafka's ListOffsets EARLIEST / LATEST, or an offset. */
export type StartOffset = 'earliest' | 'latest' | number;

/** DefaultMessageFormatter's properties. */
export interface FormatterConfig {
  readonly printKey: boolean;
  readonly printValue: boolean;
  readonly printOffset: boolean;
  readonly printPartition: boolean;
  readonly keySeparator: string;
  readonly nullLiteral: string;
}

export interface ConsumerCommand {
  readonly bootstrapServer: string;
  readonly topic: string;
  /** --group: consume as a member of that group (a REST v2 consumer instance); null: no group. */
  readonly group: string | null;
  /** --partition: only that partition; null: every partition of the topic. */
  readonly partition: number | null;
  readonly start: StartOffset;
  /** auto.offset.reset: where a partition whose position is out of range restarts. */
  readonly reset: 'earliest' | 'latest';
  /** null: no limit (Kafka's -1). */
  readonly maxMessages: number | null;
  /** null: wait for records forever. */
  readonly timeoutMs: number | null;
  readonly formatter: FormatterConfig;
}

export const CONSUMER_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `The server(s) to connect to (the REST API of any node). Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  {
    name: 'from-beginning',
    type: 'boolean',
    description: 'Start with the earliest message present in the log rather than the latest message.',
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
      'The properties to initialize the message formatter: print.key, print.value, print.offset, ' +
      'print.partition, key.separator, null.literal (repeatable).',
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
  ['consumer-property', 'there is no consumer to configure: records are read through the REST API'],
  ['consumer.config', 'there is no consumer to configure: records are read through the REST API'],
  ['command-config', 'there are no client properties to set'],
  ['key-deserializer', 'keys print as UTF-8 text'],
  ['value-deserializer', 'values print as UTF-8 text'],
  [
    'isolation-level',
    'a read returns committed records (up to the high watermark); there are no transactions',
  ],
  ['enable-systest-events', 'not applicable'],
]);

/** Formatter properties this tool knows but cannot honour, with why. */
const UNSUPPORTED_PROPERTIES = new Map<string, (value: string) => string | null>([
  [
    'print.timestamp',
    (value) =>
      value.trim().toLowerCase() === 'true'
        ? 'the REST read (GET /topics/{t}/partitions/{p}/records) does not return record timestamps'
        : null,
  ],
  [
    'print.headers',
    (value) =>
      value.trim().toLowerCase() === 'true'
        ? 'the REST read (GET /topics/{t}/partitions/{p}/records) does not return record headers'
        : null,
  ],
  ['line.separator', (value) => (value === '\n' ? null : 'records are printed one per line')],
  ['key.deserializer', () => 'keys print as UTF-8 text'],
  ['value.deserializer', () => 'values print as UTF-8 text'],
  ['headers.deserializer', () => 'headers are not printed'],
]);

export const CONSUMER_TOOL_DESCRIPTION =
  'This tool helps to read data from Kafka topics and outputs it to standard output.';

export function consumerUsage(): string[] {
  return [CONSUMER_TOOL_DESCRIPTION, ...formatOptionTable(CONSUMER_OPTIONS)];
}

/** DefaultMessageFormatter.configure. */
export function parseFormatterConfig(properties: ReadonlyMap<string, string>): FormatterConfig {
  for (const [name, value] of properties) {
    const reason = UNSUPPORTED_PROPERTIES.get(name)?.(value) ?? null;
    if (reason !== null) throw new UsageError(`--property ${name}=${value} is not supported: ${reason}`);
  }
  return {
    printKey: booleanProperty(properties, 'print.key', false),
    printValue: booleanProperty(properties, 'print.value', true),
    printOffset: booleanProperty(properties, 'print.offset', false),
    printPartition: booleanProperty(properties, 'print.partition', false),
    keySeparator: properties.get('key.separator') ?? '\t',
    nullLiteral: properties.get('null.literal') ?? 'null',
  };
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
  const group = args.string('group') ?? null;
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
  const start: StartOffset =
    offsetText !== undefined ? parseOffset(offsetText) : fromBeginning ? 'earliest' : 'latest';
  const maxText = args.string('max-messages');
  const maxMessages = maxText === undefined ? -1 : parseIntegerOption(maxText, 'max-messages');
  const timeoutText = args.string('timeout-ms');
  const timeoutMs = timeoutText === undefined ? -1 : parseIntegerOption(timeoutText, 'timeout-ms');
  return {
    bootstrapServer: args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
    topic,
    group,
    partition,
    start,
    reset: fromBeginning ? 'earliest' : 'latest',
    // Kafka: -1 is no limit; any other value stops after that many (none when it is not positive).
    maxMessages: maxMessages === -1 ? null : Math.max(maxMessages, 0),
    timeoutMs: timeoutMs < 0 ? null : timeoutMs,
    formatter: parseFormatterConfig(parseProperties(args.strings('property'))),
  };
}

// ---------------------------------------------------------------------------------------------------
// Records and their output (DefaultMessageFormatter.writeTo).

export interface ConsumedRecord {
  readonly partition: number;
  readonly offset: number;
  /** UTF-8 text of the key and value; null when the record has none. */
  readonly key: string | null;
  readonly value: string | null;
}

/**
 * The text Kafka's formatter prints for a record, without the final line separator (Io.out adds it);
 * null when the properties print nothing at all for it.
 */
export function formatRecord(config: FormatterConfig, record: ConsumedRecord): string | null {
  const fields: string[] = [];
  if (config.printPartition) fields.push(`Partition:${record.partition}`);
  if (config.printOffset) fields.push(`Offset:${record.offset}`);
  if (config.printKey) fields.push(record.key ?? config.nullLiteral);
  if (config.printValue) fields.push(record.value ?? config.nullLiteral);
  return fields.length === 0 ? null : fields.join(config.keySeparator);
}

function decoded(value: unknown, what: string, context: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') {
    throw new CliError(
      'response',
      `Unexpected response from the server: ${what} is not base64 (in ${context})`,
    );
  }
  return Buffer.from(value, 'base64').toString('utf8');
}

/** A read's answer `[{topic, key, value, partition, offset}]` (binary: base64). */
export function readRecords(body: unknown, context: string): ConsumedRecord[] {
  return asArray(body, context).map((item, index) => {
    const where = `${context}[${index}]`;
    const record: JsonObject = asObject(item, where);
    return {
      partition: numberField(record, 'partition', where),
      offset: numberField(record, 'offset', where),
      key: decoded(record.key, 'key', where),
      value: decoded(record.value, 'value', where),
    };
  });
}

// ---------------------------------------------------------------------------------------------------
// Reading.

function topicPath(topic: string, suffix: string): string {
  return `/topics/${encodeURIComponent(topic)}${suffix}`;
}

/** The topic's partition ids, sorted (REST v2 `GET /topics/{t}/partitions`). */
async function partitionIds(client: RestClient, topic: string): Promise<number[]> {
  const context = `GET /topics/${topic}/partitions`;
  const partitions = asArray(await client.get(topicPath(topic, '/partitions')), context);
  return partitions
    .map((item, index) => numberField(asObject(item, `${context}[${index}]`), 'partition', context))
    .sort((a, b) => a - b);
}

/** `beginning_offset` or `end_offset` of a partition (REST v2 `.../offsets`). */
async function listOffset(
  client: RestClient,
  topic: string,
  partition: number,
  which: 'earliest' | 'latest',
  signal: AbortSignal,
): Promise<number> {
  const path = topicPath(topic, `/partitions/${partition}/offsets`);
  const answer = asObject(await client.send('GET', path, undefined, { signal }), `GET ${path}`);
  return numberField(answer, which === 'earliest' ? 'beginning_offset' : 'end_offset', `GET ${path}`);
}

function isOutOfRange(error: unknown): boolean {
  return error instanceof CliError && error.status === 400 && /out of range/i.test(error.message);
}

/** Errors a Kafka consumer rides out: leader elections (50003), a node not ready (503), a slow answer. */
function isRetriable(error: unknown): boolean {
  if (!(error instanceof CliError)) return false;
  if (error.kind === 'timeout') return true;
  return error.kind === 'server' && (error.errorCode === 50003 || error.status === 503);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Why consumption ended. */
type Stop = { readonly kind: 'done' } | { readonly kind: 'error'; readonly error: unknown };

export interface ConsumerRunOptions {
  /** Ctrl-C: stop, print the total, exit. */
  readonly signal?: AbortSignal;
}

/**
 * Reads and prints until --max-messages, --timeout-ms, `signal`, or an error that is not retriable;
 * resolves to the number of records printed and the error that ended it, if one did.
 */
export async function executeConsumerCommand(
  client: RestClient,
  command: ConsumerCommand,
  io: Io,
  options: ConsumerRunOptions = {},
): Promise<{ readonly count: number; readonly error: unknown }> {
  const stopper = new AbortController();
  const stopSignal = stopper.signal;
  let stop: Stop | null = null;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const end = (reason: Stop): void => {
    if (stop !== null) return;
    stop = reason;
    stopper.abort();
    resolveStopped();
  };
  const onSignal = (): void => end({ kind: 'done' });
  if (options.signal?.aborted) end({ kind: 'done' });
  options.signal?.addEventListener('abort', onSignal, { once: true });

  let count = 0;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;
  const armIdleTimer = (): void => {
    if (command.timeoutMs === null) return;
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => end({ kind: 'done' }), command.timeoutMs);
  };
  if (command.maxMessages === 0) end({ kind: 'done' });

  const emit = (record: ConsumedRecord): void => {
    if (stop !== null) return;
    count += 1;
    const text = formatRecord(command.formatter, record);
    if (text !== null) io.out(text);
    armIdleTimer();
    if (command.maxMessages !== null && count >= command.maxMessages) end({ kind: 'done' });
  };

  const consumePartition = async (partition: number): Promise<void> => {
    let position: number | null = typeof command.start === 'number' ? command.start : null;
    // Where to go when there is no position: the start first, then auto.offset.reset's.
    let reset: 'earliest' | 'latest' = typeof command.start === 'number' ? command.reset : command.start;
    const recordsPath = topicPath(command.topic, `/partitions/${partition}/records`);
    while (stop === null) {
      const started = Date.now();
      try {
        // The start position, and after an out-of-range read auto.offset.reset's (ListOffsets).
        if (position === null) {
          position = await listOffset(client, command.topic, partition, reset, stopSignal).catch(
            (error: unknown) => {
              // Not a position to reset: the offsets answer itself failed. Give up rather than loop.
              throw isOutOfRange(error) && error instanceof CliError
                ? new CliError('server', error.message, { status: 500, errorCode: error.errorCode })
                : error;
            },
          );
          reset = command.reset;
        }
        const path = `${recordsPath}?offset=${position}&timeout=${POLL_TIMEOUT_MS}`;
        const body = await client.send('GET', path, undefined, { accept: V2_BINARY, signal: stopSignal });
        const records = readRecords(body, `GET ${recordsPath}`);
        for (const record of records) {
          if (stop !== null) return;
          if (record.offset < position) continue;
          emit(record);
          position = record.offset + 1;
        }
        const elapsed = Date.now() - started;
        if (records.length === 0 && elapsed < EMPTY_POLL_MIN_MS) {
          await sleep(EMPTY_POLL_MIN_MS - elapsed, stopSignal);
        }
      } catch (error) {
        if (stop !== null) return;
        if (isOutOfRange(error)) {
          position = null;
        } else if (isRetriable(error)) {
          await sleep(RETRY_BACKOFF_MS, stopSignal);
        } else {
          end({ kind: 'error', error });
          return;
        }
      }
    }
  };

  /**
   * A REST v2 consumer instance of `group`: created (binary, auto.offset.reset of --from-beginning, auto
   * commit), subscribed to the topic, polled until the end, and deleted, which commits what it returned
   * and leaves the group (as Kafka's consumer.close()). The poll in flight at the end is not aborted.
   */
  const consumeGroup = async (group: string): Promise<void> => {
    const groupPath = `/consumers/${encodeURIComponent(group)}`;
    let instancePath: string | null = null;
    try {
      const created = asObject(
        await client.send('POST', groupPath, {
          format: 'binary',
          'auto.offset.reset': command.reset,
          'auto.commit.enable': 'true',
        }),
        `POST ${groupPath}`,
      );
      instancePath = `${groupPath}/instances/${encodeURIComponent(stringField(created, 'instance_id', `POST ${groupPath}`))}`;
      await client.send('POST', `${instancePath}/subscription`, { topics: [command.topic] });
      while (stop === null) {
        const started = Date.now();
        try {
          const path = `${instancePath}/records?timeout=${POLL_TIMEOUT_MS}`;
          const records = readRecords(
            await client.send('GET', path, undefined, { accept: V2_BINARY }),
            `GET ${path}`,
          );
          for (const record of records) {
            if (stop !== null) break;
            emit(record);
          }
          const elapsed = Date.now() - started;
          if (records.length === 0 && elapsed < EMPTY_POLL_MIN_MS)
            await sleep(EMPTY_POLL_MIN_MS - elapsed, stopSignal);
        } catch (error) {
          if (stop !== null) break;
          if (!isRetriable(error)) throw error;
          await sleep(RETRY_BACKOFF_MS, stopSignal);
        }
      }
    } catch (error) {
      end({ kind: 'error', error });
    } finally {
      if (instancePath !== null) {
        await client.send('DELETE', instancePath).catch((error: unknown) => {
          if (stop === null || (stop as Stop).kind !== 'error') end({ kind: 'error', error });
        });
      }
    }
  };

  let loops: Promise<void>[] = [];
  if (stop === null) {
    try {
      const all = await partitionIds(client, command.topic);
      if (command.partition !== null && !all.includes(command.partition)) {
        throw new CliError(
          'command',
          `Partition ${command.partition} of topic ${command.topic} does not exist (the topic has ${all.length} partitions)`,
        );
      }
      const partitions = command.partition === null ? all : [command.partition];
      armIdleTimer();
      // Every partition at once, each with its own long poll (Kafka's consumer fetches them together);
      // with a group, one instance reads whatever the group assigns it.
      loops =
        command.group !== null
          ? [consumeGroup(command.group)]
          : partitions.map((partition) => consumePartition(partition));
    } catch (error) {
      end({ kind: 'error', error });
    }
  }

  await stopped;
  if (idleTimer !== null) clearTimeout(idleTimer);
  options.signal?.removeEventListener('abort', onSignal);
  await Promise.allSettled(loops);
  const reason = stop as Stop | null;
  return { count, error: reason !== null && reason.kind === 'error' ? reason.error : null };
}

// ---------------------------------------------------------------------------------------------------
// Entry point.

/** `console-consumer` entry point; resolves to the exit code. */
export async function consoleConsumerMain(
  argv: readonly string[],
  io: Io,
  options: ConsumerRunOptions = {},
): Promise<number> {
  const started = startTool(argv, io, parseConsumerCommand, consumerUsage);
  if ('exitCode' in started) return started.exitCode;
  const { command, client } = started;
  try {
    const { count, error } = await executeConsumerCommand(client, command, io, options);
    if (error !== null && !(error instanceof CliError)) throw error;
    if (error !== null)
      io.err(`ERROR Error processing message, terminating consumer process: ${error.message}`);
    io.err(`Processed a total of ${count} messages`);
    return error === null ? EXIT_OK : EXIT_ERROR;
  } finally {
    await client.close();
  }
}
