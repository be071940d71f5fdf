import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProducerRecord, RecordMetadata } from '../../src/client/index.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { consoleConsumerMain } from '../../src/cli/console-consumer.ts';
import { consoleProducerMain, parseProducerCommand } from '../../src/cli/console-producer.ts';
import { HelpRequested, UsageError } from '../../src/cli/errors.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { LineParseError, parseLine, parseLineReaderConfig } from '../../src/cli/line-reader.ts';
import {
  describeSendError,
  formatSendError,
  LineSender,
  RECORD_OVERHEAD_BYTES,
  type RecordSink,
  toProducerRecord,
} from '../../src/cli/line-sender.ts';
import { CompressionType } from '../../src/storage/record-batch/format.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { DataCluster } from './data-cluster.ts';

async function* linesOf(lines: readonly string[]): AsyncGenerator<string> {
  for (const line of lines) yield line;
}

function usageError(argv: string[]): UsageError {
  try {
    parseProducerCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

const reader = (properties: Record<string, string> = {}) =>
  parseLineReaderConfig(new Map(Object.entries(properties)));

const producerOf = (...argv: string[]) => parseProducerCommand(['--topic', 't', ...argv]).producer;

describe('parseProducerCommand', () => {
  it("needs --topic, and has Kafka's console-producer defaults (linger 50 ms)", () => {
    expect(usageError([]).showUsage).toBe(true);
    expect(usageError(['--bootstrap-server', 'h:1']).message).toBe('Missing required argument "[topic]"');
    expect(parseProducerCommand(['--topic', 't'])).toEqual({
      bootstrap: ['http://127.0.0.1:8081'],
      topic: 't',
      sync: false,
      producer: {
        acks: 'all',
        lingerMs: 50,
        batchSize: 16384,
        compression: 'none',
        idempotence: true,
        deliveryTimeoutMs: 120_000,
        requestTimeoutMs: 1500,
        retryBackoffMs: 100,
        bufferMemory: 32 * 1024 * 1024,
      },
      unusedProducerProperties: [],
      reader: {
        parseKey: false,
        keySeparator: '\t',
        parseHeaders: false,
        headersDelimiter: '\t',
        headersSeparator: ',',
        headersKeySeparator: ':',
        ignoreError: false,
        nullMarker: null,
      },
    });
    expect(() => parseProducerCommand(['--topic', 't', '--help'])).toThrow(HelpRequested);
  });

  it('takes every --bootstrap-server address (either listener of a node) as an origin', () => {
    expect(
      parseProducerCommand(['--topic', 't', '--bootstrap-server', 'a:9092, b:8082,http://c:1']).bootstrap,
    ).toEqual(['http://a:9092', 'http://b:8082', 'http://c:1']);
    expect(usageError(['--topic', 't', '--bootstrap-server', 'nohost']).message).toBe(
      'Invalid url in bootstrap.servers: nohost',
    );
  });

  it('reads the line reader properties as Kafka does', () => {
    const command = parseProducerCommand([
      '--topic',
      't',
      '--property',
      'parse.key= TRUE ',
      '--property',
      'key.separator=:=',
      '--property',
      'ignore.error=true',
      '--property',
      'null.marker=',
    ]);
    expect(command.reader).toMatchObject({
      parseKey: true,
      keySeparator: ':=',
      ignoreError: true,
      nullMarker: '',
    });
    expect(parseProducerCommand(['--topic', 't', '--property', 'parse.key=yes']).reader.parseKey).toBe(false);
    expect(
      usageError(['--topic', 't', '--property', 'null.marker=:', '--property', 'key.separator=:']).message,
    ).toBe('null.marker and key.separator may not be equal');
    expect(usageError(['--topic', 't', '--property', 'headers.separator=:']).message).toBe(
      'headers.separator and headers.key.separator may not be equal',
    );
  });

  it('maps the tool options to producer configs: --batch-size is batch.size bytes, --timeout linger.ms', () => {
    expect(
      producerOf(
        '--batch-size',
        '100',
        '--timeout',
        '1000',
        '--request-timeout-ms',
        '30000',
        '--retry-backoff-ms',
        '250',
        '--max-memory-bytes',
        '1048576',
      ),
    ).toMatchObject({
      batchSize: 100,
      lingerMs: 1000,
      requestTimeoutMs: 30_000,
      retryBackoffMs: 250,
      bufferMemory: 1_048_576,
    });
    // Kafka's batch.size may be 0 (no batching); --max-partition-memory-bytes sets it too, and wins.
    expect(producerOf('--batch-size', '0').batchSize).toBe(0);
    expect(producerOf('--batch-size', '10', '--max-partition-memory-bytes', '20').batchSize).toBe(20);
    expect(usageError(['--topic', 't', '--batch-size', 'x']).message).toBe(
      "Cannot parse argument 'x' of option batch-size",
    );
    expect(usageError(['--topic', 't', '--batch-size', '-1']).message).toBe(
      'Invalid value -1 for configuration batch.size: Value must be at least 0',
    );
    expect(usageError(['--topic', 't', '--timeout', '-1']).message).toBe(
      'Invalid value -1 for configuration linger.ms: Value must be at least 0',
    );
    expect(usageError(['--topic', 't', '--request-timeout-ms', '0']).message).toBe(
      'Invalid value 0 for configuration request.timeout.ms: Value must be at least 1',
    );
  });

  it('--sync sends each line alone, at once', () => {
    const command = parseProducerCommand(['--topic', 't', '--sync', '--timeout', '1000']);
    expect(command.sync).toBe(true);
    expect(command.producer.lingerMs).toBe(0);
  });

  it('takes --producer-property under Kafka names; the tool options win over them', () => {
    const properties = [
      'linger.ms=7',
      'batch.size=2048',
      'compression.type=zstd',
      'request.timeout.ms=5000',
      'retry.backoff.ms=20',
      'delivery.timeout.ms=60000',
      'buffer.memory=4096',
    ].flatMap((property) => ['--producer-property', property]);
    expect(producerOf(...properties)).toMatchObject({
      lingerMs: 7,
      batchSize: 2048,
      compression: 'zstd',
      requestTimeoutMs: 5000,
      retryBackoffMs: 20,
      deliveryTimeoutMs: 60_000,
      bufferMemory: 4096,
    });
    expect(
      producerOf(...properties, '--timeout', '3', '--batch-size', '99', '--compression-codec', 'gzip'),
    ).toMatchObject({ lingerMs: 3, batchSize: 99, compression: 'gzip' });
    expect(usageError(['--topic', 't', '--producer-property', 'linger.ms=soon']).message).toBe(
      'Invalid value soon for configuration linger.ms: Not a number of type LONG',
    );
  });

  it('lists the producer properties it does not use (the tool sets bootstrap.servers itself)', () => {
    const command = parseProducerCommand([
      '--topic',
      't',
      '--producer-property',
      'retries=5',
      '--producer-property',
      'bootstrap.servers=elsewhere:9092',
      '--producer-property',
      'client.id=me',
    ]);
    expect(command.unusedProducerProperties).toEqual(['retries', 'client.id']);
  });

  it('takes acks all, -1, 1 and 0; acks other than all turn idempotence off unless it was asked for', () => {
    for (const acks of ['all', '-1', 'ALL']) {
      expect(producerOf('--request-required-acks', acks)).toMatchObject({ acks: 'all', idempotence: true });
    }
    expect(producerOf('--request-required-acks', '1')).toMatchObject({ acks: 1, idempotence: false });
    expect(producerOf('--producer-property', 'acks=0')).toMatchObject({ acks: 0, idempotence: false });
    expect(producerOf('--producer-property', 'enable.idempotence=false')).toMatchObject({
      acks: 'all',
      idempotence: false,
    });
    expect(
      usageError([
        '--topic',
        't',
        '--request-required-acks',
        '1',
        '--producer-property',
        'enable.idempotence=true',
      ]).message,
    ).toBe(
      'Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.',
    );
    expect(usageError(['--topic', 't', '--request-required-acks', '2']).message).toBe(
      'Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1',
    );
    expect(usageError(['--topic', 't', '--producer-property', 'enable.idempotence=yes']).message).toBe(
      'Invalid value yes for configuration enable.idempotence: Expected value to be either true or false',
    );
  });

  it('checks delivery.timeout.ms against linger.ms + request.timeout.ms as Kafka does', () => {
    expect(usageError(['--topic', 't', '--producer-property', 'delivery.timeout.ms=1000']).message).toBe(
      'delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms',
    );
    // Not set: raised to what the other two need.
    expect(producerOf('--request-timeout-ms', '200000').deliveryTimeoutMs).toBe(200_050);
  });

  it('--compression-codec: none, gzip or zstd; without a value gzip', () => {
    expect(producerOf('--compression-codec', 'zstd').compression).toBe('zstd');
    expect(producerOf('--compression-codec').compression).toBe('gzip');
    expect(parseProducerCommand(['--compression-codec', '--topic', 't']).producer.compression).toBe('gzip');
    expect(usageError(['--topic', 't', '--compression-codec', 'lz4']).message).toBe(
      'compression.type lz4 is not supported: this producer compresses with none, gzip, zstd',
    );
    expect(usageError(['--topic', 't', '--compression-codec', 'zip']).message).toBe(
      'Invalid value zip for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd',
    );
  });

  it("refuses Kafka options it does not support, and unknown ones with joptsimple's message", () => {
    expect(usageError(['--topic', 't', '--broker-list', 'h:1']).message).toBe(
      '--broker-list is not supported: use --bootstrap-server host:port (default 127.0.0.1:8081)',
    );
    expect(usageError(['--topic', 't', '--message-send-max-retries', '3']).message).toBe(
      '--message-send-max-retries is not supported: a record is retried until delivery.timeout.ms ' +
        '(--producer-property delivery.timeout.ms=MS)',
    );
    const unknown = usageError(['--topic', 't', '--nope']);
    expect(unknown.message).toBe('nope is not a recognized option');
    expect(unknown.showUsage).toBe(true);
  });
});

describe('parseLine', () => {
  it('takes the whole line as the value by default (tabs included)', () => {
    expect(parseLine(reader(), 'a\tb', 1)).toEqual({ key: null, value: 'a\tb', headers: [] });
    expect(parseLine(reader(), '', 1)).toEqual({ key: null, value: '', headers: [] });
  });

  it('splits key and value at the first key.separator (default a tab)', () => {
    expect(parseLine(reader({ 'parse.key': 'true' }), 'k\tv\tw', 1)).toEqual({
      key: 'k',
      value: 'v\tw',
      headers: [],
    });
    const colon = reader({ 'parse.key': 'true', 'key.separator': '::' });
    expect(parseLine(colon, 'alice::x::y', 1)).toEqual({ key: 'alice', value: 'x::y', headers: [] });
    expect(parseLine(colon, '::', 1)).toEqual({ key: '', value: '', headers: [] });
  });

  it("refuses a line without the separator with Kafka's message, unless ignore.error", () => {
    const config = reader({ 'parse.key': 'true', 'key.separator': ':' });
    expect(() => parseLine(config, 'no key here', 4)).toThrow(LineParseError);
    expect(() => parseLine(config, 'no key here', 4)).toThrow(
      "No key separator found on line number 4: 'no key here'",
    );
    const ignoring = reader({ 'parse.key': 'true', 'key.separator': ':', 'ignore.error': 'true' });
    expect(parseLine(ignoring, 'no key here', 4)).toEqual({ key: null, value: 'no key here', headers: [] });
  });

  it('turns the null.marker into a null key or value', () => {
    const config = reader({ 'parse.key': 'true', 'key.separator': ':', 'null.marker': '<null>' });
    expect(parseLine(config, '<null>:v', 1)).toEqual({ key: null, value: 'v', headers: [] });
    expect(parseLine(config, 'k:<null>', 1)).toEqual({ key: 'k', value: null, headers: [] });
  });

  it('parses headers before the key with parse.headers', () => {
    const config = reader({ 'parse.headers': 'true', 'parse.key': 'true', 'null.marker': 'N' });
    expect(parseLine(config, 'h1:v1,h2:N,h3:\tk\tv', 1)).toEqual({
      key: 'k',
      value: 'v',
      headers: [
        ['h1', 'v1'],
        ['h2', null],
        ['h3', ''],
      ],
    });
    expect(() => parseLine(config, 'h1\tk\tv', 2)).toThrow(
      "No header key separator found in pair 'h1' on line number 2",
    );
    expect(() => parseLine(config, 'no delimiter', 3)).toThrow(
      "No headers delimiter found on line number 3: 'no delimiter'",
    );
  });
});

describe('records and errors', () => {
  it('hands the producer the headers as a list: names may repeat, values may be null', () => {
    expect(
      toProducerRecord('t', {
        key: 'k',
        value: null,
        headers: [
          ['h', 'v'],
          ['h', null],
        ],
      }),
    ).toEqual({
      topic: 't',
      key: 'k',
      value: null,
      headers: [
        { key: 'h', value: 'v' },
        { key: 'h', value: null },
      ],
    });
  });

  it("reports a failed record as Kafka's ErrorLoggingCallback: sizes, not contents", () => {
    expect(formatSendError('t', { key: 'ké', value: 'hello', headers: [] }, 'boom')).toBe(
      'ERROR Error when sending message to topic t with key: 3 bytes, value: 5 bytes with error: boom',
    );
    expect(formatSendError('t', { key: null, value: null, headers: [] }, 'boom')).toBe(
      'ERROR Error when sending message to topic t with key: null, value: null with error: boom',
    );
  });

  it('names the error as Kafka does: a retry cannot cure it, or the delivery timeout passed', () => {
    expect(describeSendError(new KafkaError('MESSAGE_TOO_LARGE', 'Too big.'), 1000)).toBe(
      'MESSAGE_TOO_LARGE: Too big.',
    );
    expect(describeSendError(new KafkaError('NOT_ENOUGH_REPLICAS', 'Few.'), 1000)).toBe(
      'REQUEST_TIMED_OUT: Expiring the record: 1000 ms (delivery.timeout.ms) has passed since it was ' +
        'sent; the last attempt failed with NOT_ENOUGH_REPLICAS: Few.',
    );
    expect(describeSendError(new Error('connect ECONNREFUSED 127.0.0.1:1'), 5)).toBe(
      'REQUEST_TIMED_OUT: Expiring the record: 5 ms (delivery.timeout.ms) has passed since it was ' +
        'sent; the last attempt failed with connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});

/** A producer whose sends are answered by the test, one by one. */
class HeldSink implements RecordSink {
  readonly sent: ProducerRecord[] = [];
  readonly #answers: { resolve: (m: RecordMetadata) => void; reject: (e: Error) => void }[] = [];
  flushes = 0;

  send(record: ProducerRecord): Promise<RecordMetadata> {
    this.sent.push(record);
    return new Promise((resolve, reject) => this.#answers.push({ resolve, reject }));
  }

  async flush(): Promise<void> {
    this.flushes += 1;
  }

  acknowledge(index: number): void {
    this.#answers[index]!.resolve({ topic: 't', partition: 0, offset: index });
  }

  fail(index: number, error: Error): void {
    this.#answers[index]!.reject(error);
  }
}

/** Whether `promise` settles within a few turns of the event loop. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('LineSender', () => {
  const line = (value: string) => ({ key: null, value, headers: [] });
  const options = {
    topic: 't',
    sync: false,
    bufferMemory: 3 * (RECORD_OVERHEAD_BYTES + 1),
    deliveryTimeoutMs: 9,
  };

  it('hands lines over in order and stops taking more while buffer.memory is full of unacknowledged ones', async () => {
    const sink = new HeldSink();
    const sender = new LineSender(sink, options, bufferedIo());
    await sender.add(line('a'));
    await sender.add(line('b'));
    const third = sender.add(line('c'));
    expect(await settlesSoon(third)).toBe(false);
    expect(sink.sent.map((record) => record.value)).toEqual(['a', 'b', 'c']);
    sink.acknowledge(1);
    expect(await settlesSoon(third)).toBe(true);
    const flushed = sender.flush();
    expect(await settlesSoon(flushed)).toBe(false);
    sink.acknowledge(0);
    sink.acknowledge(2);
    await flushed;
    expect({ sent: sender.sent, failed: sender.failed, flushes: sink.flushes }).toEqual({
      sent: 3,
      failed: 0,
      flushes: 1,
    });
  });

  it('always lets one line through, however small buffer.memory is', async () => {
    const sink = new HeldSink();
    const sender = new LineSender(sink, { ...options, bufferMemory: 0 }, bufferedIo());
    const first = sender.add(line('a'));
    expect(await settlesSoon(first)).toBe(false);
    sink.acknowledge(0);
    await first;
  });

  it('reports each failed line once', async () => {
    const sink = new HeldSink();
    const io = bufferedIo();
    const sender = new LineSender(sink, { ...options, bufferMemory: 1 << 20 }, io);
    await sender.add(line('a'));
    await sender.add(line('bb'));
    sink.fail(0, new KafkaError('INVALID_RECORD', 'Bad.'));
    sink.acknowledge(1);
    await sender.flush();
    expect(io.stderr).toEqual([
      'ERROR Error when sending message to topic t with key: null, value: 1 bytes with error: INVALID_RECORD: Bad.',
    ]);
    expect({ sent: sender.sent, failed: sender.failed }).toEqual({ sent: 1, failed: 1 });
  });

  it('--sync: each line is answered before the next is taken', async () => {
    const sink = new HeldSink();
    const sender = new LineSender(sink, { ...options, sync: true, bufferMemory: 1 << 20 }, bufferedIo());
    const first = sender.add(line('a'));
    expect(await settlesSoon(first)).toBe(false);
    sink.acknowledge(0);
    await first;
  });
});

describe('console-producer against a node (the SDK producer over h2c)', () => {
  let cluster: DataCluster;
  let server: string;

  beforeEach(async () => {
    cluster = new DataCluster();
    server = await cluster.start();
    await cluster.createTopic('t', 1);
  });

  afterEach(async () => {
    await cluster.close();
  });

  async function produce(args: string[], lines: readonly string[]) {
    const io = bufferedIo();
    const code = await consoleProducerMain(['--bootstrap-server', server, ...args], io, {
      input: linesOf(lines),
    });
    return { code, stdout: io.stdout, stderr: io.stderr };
  }

  async function readBack(...args: string[]): Promise<string[]> {
    const io = bufferedIo();
    const code = await consoleConsumerMain(
      ['--bootstrap-server', server, '--topic', 't', '--from-beginning', '--timeout-ms', '300', ...args],
      io,
    );
    expect(code).toBe(0);
    return io.stdout;
  }

  const batches = () => cluster.node.data.batchesOf('t', 0);
  /** A short delivery timeout, for the tests of records that cannot be delivered. */
  const impatient = ['--request-timeout-ms', '300', '--producer-property', 'delivery.timeout.ms=800'];

  it('produces every line, exactly, in order, idempotently', async () => {
    const lines = ['first', '', 'tab\tinside', 'héllo ☃ 🎉', '  spaces  ', 'last'];
    expect(await produce(['--topic', 't'], lines)).toEqual({ code: 0, stdout: [], stderr: [] });
    expect(await readBack()).toEqual(lines);
    expect(batches().every((batch) => batch.producerId >= 0 && batch.baseSequence >= 0)).toBe(true);
  });

  it('--batch-size is in bytes: 0 sends every line in a batch of its own, the default gathers them', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => `line ${i}`);
    expect((await produce(['--topic', 't', '--batch-size', '0'], lines)).code).toBe(0);
    expect(batches().map((batch) => batch.recordCount)).toEqual([1, 1, 1, 1, 1]);
    expect((await produce(['--topic', 't'], lines)).code).toBe(0);
    expect(
      batches()
        .slice(5)
        .map((batch) => batch.recordCount),
    ).toEqual([5]);
    expect(await readBack()).toEqual([...lines, ...lines]);
  });

  it('--sync sends each line alone', async () => {
    expect((await produce(['--topic', 't', '--sync'], ['a', 'b', 'c'])).code).toBe(0);
    expect(batches().map((batch) => batch.recordCount)).toEqual([1, 1, 1]);
    expect(await readBack()).toEqual(['a', 'b', 'c']);
  });

  it('--compression-codec compresses the batches', async () => {
    expect((await produce(['--topic', 't', '--compression-codec', 'zstd'], ['x', 'y'])).code).toBe(0);
    expect(batches().map((batch) => batch.compressionCode)).toEqual([CompressionType.zstd]);
    expect(await readBack()).toEqual(['x', 'y']);
  });

  it('sends keys and headers: repeated names, null values', async () => {
    const properties = ['parse.headers=true', 'parse.key=true', 'null.marker=N'].flatMap((p) => [
      '--property',
      p,
    ]);
    expect((await produce(['--topic', 't', ...properties], ['h:1,h:N\tk\tv', 'N\tN\tN'])).code).toBe(0);
    const records = batches().flatMap((batch) => decodeRecords(batch));
    expect(
      records.map((record) => ({
        key: record.key?.toString('utf8') ?? null,
        value: record.value?.toString('utf8') ?? null,
        headers: record.headers.map((header) => [header.key, header.value?.toString('utf8') ?? null]),
      })),
    ).toEqual([
      {
        key: 'k',
        value: 'v',
        headers: [
          ['h', '1'],
          ['h', null],
        ],
      },
      { key: null, value: null, headers: [] },
    ]);
  });

  it('stops at a line without the key separator: the lines before it are produced, exit 1', async () => {
    const result = await produce(
      ['--topic', 't', '--property', 'parse.key=true', '--property', 'key.separator=:'],
      ['a:1', 'b:2', 'oops', 'c:3'],
    );
    expect(result).toEqual({
      code: 1,
      stdout: [],
      stderr: ["org.apache.kafka.common.KafkaException: No key separator found on line number 3: 'oops'"],
    });
    expect(await readBack('--property', 'print.key=true', '--property', 'key.separator=:')).toEqual([
      'a:1',
      'b:2',
    ]);
  });

  it('with ignore.error=true produces such a line with a null key', async () => {
    const properties = [
      '--property',
      'parse.key=true',
      '--property',
      'key.separator=:',
      '--property',
      'ignore.error=true',
    ];
    expect((await produce(['--topic', 't', ...properties], ['a:1', 'oops'])).code).toBe(0);
    expect(await readBack('--property', 'print.key=true')).toEqual(['a\t1', 'null\toops']);
  });

  it('reports each record the cluster refused for good, at once, and exits 1', async () => {
    cluster.node.data.maxBatchBytes = 10;
    const result = await produce(['--topic', 't', '--sync', '--property', 'parse.key=true'], ['k\tvalue']);
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([
      'ERROR Error when sending message to topic t with key: 1 bytes, value: 5 bytes with error: ' +
        'MESSAGE_TOO_LARGE: The request included a message larger than the max message size the server will accept.',
    ]);
  });

  it('retries a retriable error until delivery.timeout.ms, then reports each record once', async () => {
    cluster.node.data.failure = new KafkaError(
      'NOT_ENOUGH_REPLICAS',
      'Messages are rejected since there are fewer in-sync replicas than required.',
    );
    // acks=1: no idempotence, so no producer id is needed (the fake refuses that too).
    const result = await produce(['--topic', 't', '--request-required-acks', '1', ...impatient], ['a', 'b']);
    expect(result.code).toBe(1);
    const expected = (value: string) =>
      `ERROR Error when sending message to topic t with key: null, value: ${value.length} bytes with error: ` +
      'REQUEST_TIMED_OUT: Expiring the record: 800 ms (delivery.timeout.ms) has passed since it was sent; ' +
      'the last attempt failed with NOT_ENOUGH_REPLICAS: Messages are rejected since there are fewer ' +
      'in-sync replicas than required.';
    expect(result.stderr).toEqual([expected('a'), expected('b')]);
    expect(cluster.node.data.produces.length).toBeGreaterThan(1);
  });

  it('reports every line of a missing topic; ignore.error=true keeps exit code 0', async () => {
    const result = await produce(['--topic', 'nope', ...impatient], ['a', 'b']);
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([
      'ERROR Error when sending message to topic nope with key: null, value: 1 bytes with error: ' +
        'REQUEST_TIMED_OUT: Expiring the record: 800 ms (delivery.timeout.ms) has passed since it was sent; ' +
        'the last attempt failed with UNKNOWN_TOPIC_OR_PARTITION: Topic nope does not exist.',
      'ERROR Error when sending message to topic nope with key: null, value: 1 bytes with error: ' +
        'REQUEST_TIMED_OUT: Expiring the record: 800 ms (delivery.timeout.ms) has passed since it was sent; ' +
        'the last attempt failed with UNKNOWN_TOPIC_OR_PARTITION: Topic nope does not exist.',
    ]);
    const ignoring = await produce(
      ['--topic', 'nope', ...impatient, '--property', 'ignore.error=true'],
      ['a'],
    );
    expect(ignoring.code).toBe(0);
    expect(ignoring.stderr).toHaveLength(1);
  });

  it('--sync stops at the first failure', async () => {
    const result = await produce(['--topic', 'nope', '--sync', ...impatient], ['a', 'b', 'c']);
    expect(result.code).toBe(1);
    expect(result.stderr).toHaveLength(1);
  });

  it('warns of the producer properties it does not use, and goes on', async () => {
    const result = await produce(['--topic', 't', '--producer-property', 'retries=3'], ['a']);
    expect(result).toEqual({
      code: 0,
      stdout: [],
      stderr: ["WARN These configurations '[retries]' were supplied but are not used."],
    });
  });

  it('prints usage errors with exit code 2 and --help with 0', async () => {
    const missing = await produce([], []);
    expect(missing.code).toBe(2);
    expect(missing.stderr[0]).toBe('Missing required argument "[topic]"');
    const help = await produce(['--help'], []);
    expect(help.code).toBe(0);
    expect(help.stdout[0]).toBe('This tool helps to read data from standard input and publish it to Kafka.');
  });
});
