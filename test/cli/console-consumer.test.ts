import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Producer, type ProducerRecord } from '../../src/client/index.ts';
import {
  consoleConsumerMain,
  consumerOptionsOf,
  parseConsumerCommand,
} from '../../src/cli/console-consumer.ts';
import { HelpRequested, UsageError } from '../../src/cli/errors.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import {
  type FormattableRecord,
  type FormatterConfig,
  formatRecord,
} from '../../src/cli/message-formatter.ts';
import { DataCluster } from './data-cluster.ts';

// console-consumer: parsing and formatting (pure), and runs of the tool's SDK consumer against the real
// client app over the in-memory FakeNode (test/cli/data-cluster.ts). On real nodes, with failover:
// test/integration/console-consumer-sdk.test.ts.

function usageError(argv: string[]): UsageError {
  try {
    parseConsumerCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseConsumerCommand', () => {
  it('needs --topic; without --partition the consumer starts where auto.offset.reset (latest) says', () => {
    expect(usageError([]).showUsage).toBe(true);
    const missing = usageError(['--from-beginning']);
    expect(missing.message).toBe('Exactly one of --include/--topic is required. ');
    expect(missing.showUsage).toBe(true);
    expect(parseConsumerCommand(['--topic', 't'])).toEqual({
      bootstrapServer: '127.0.0.1:8081',
      bootstrap: ['http://127.0.0.1:8081'],
      topic: 't',
      group: null,
      partition: null,
      start: null,
      reset: 'latest',
      maxMessages: null,
      timeoutMs: null,
      consumer: { clientId: 'console-consumer' },
      warnings: [],
      formatter: {
        printTimestamp: false,
        printKey: false,
        printValue: true,
        printOffset: false,
        printPartition: false,
        printHeaders: false,
        keySeparator: '\t',
        headersSeparator: ',',
        nullLiteral: 'null',
      },
    });
    expect(() => parseConsumerCommand(['--help'])).toThrow(HelpRequested);
  });

  it('takes every --bootstrap-server address as a bootstrap origin of the consumer', () => {
    const command = parseConsumerCommand(['--topic', 't', '--bootstrap-server', 'a:9092, b:8082']);
    expect(command.bootstrap).toEqual(['http://a:9092', 'http://b:8082']);
    expect(consumerOptionsOf(command)).toEqual({
      bootstrap: ['http://a:9092', 'http://b:8082'],
      clientId: 'console-consumer',
      autoOffsetReset: 'latest',
    });
    expect(usageError(['--topic', 't', '--bootstrap-server', 'nohost']).message).toBe(
      'Invalid url in bootstrap.servers: nohost',
    );
  });

  it('--from-beginning is auto.offset.reset=earliest, and the start of --partition', () => {
    expect(parseConsumerCommand(['--topic', 't', '--from-beginning'])).toMatchObject({
      start: null,
      reset: 'earliest',
    });
    expect(parseConsumerCommand(['--topic', 't', '--partition', '2', '--from-beginning'])).toMatchObject({
      partition: 2,
      start: 'earliest',
      reset: 'earliest',
    });
  });

  it("applies Kafka's --partition / --offset rules", () => {
    expect(usageError(['--topic', 't', '--offset', '5']).message).toBe(
      'The partition is required when offset is specified.',
    );
    expect(
      usageError(['--topic', 't', '--partition', '0', '--offset', '5', '--from-beginning']).message,
    ).toBe('Options from-beginning and offset cannot be specified together.');
    expect(parseConsumerCommand(['--topic', 't', '--partition', '0'])).toMatchObject({
      partition: 0,
      start: 'latest',
    });
    expect(parseConsumerCommand(['--topic', 't', '--partition', '1', '--offset', '42'])).toMatchObject({
      partition: 1,
      start: 42,
      reset: 'latest',
    });
    expect(parseConsumerCommand(['--topic', 't', '--partition', '1', '--offset', 'EARLIEST']).start).toBe(
      'earliest',
    );
    expect(parseConsumerCommand(['--topic', 't', '--partition', '1', '--offset', 'latest']).start).toBe(
      'latest',
    );
    for (const bad of ['-1', 'abc', '1.5']) {
      expect(usageError(['--topic', 't', '--partition', '1', '--offset', bad]).message).toBe(
        `The provided offset value '${bad}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`,
      );
    }
    expect(usageError(['--topic', 't', '--partition', 'x']).message).toBe(
      "Cannot parse argument 'x' of option partition",
    );
  });

  it('takes --group (or group.id), but not with --partition or --offset', () => {
    expect(parseConsumerCommand(['--topic', 't', '--group', 'g']).group).toBe('g');
    expect(parseConsumerCommand(['--topic', 't', '--consumer-property', 'group.id=p']).group).toBe('p');
    expect(
      parseConsumerCommand(['--topic', 't', '--group', 'g', '--consumer-property', 'group.id=g']).group,
    ).toBe('g');
    expect(usageError(['--topic', 't', '--group', 'g', '--consumer-property', 'group.id=h']).message).toBe(
      "The group ids provided in different places (directly using '--group', via '--consumer-property', or " +
        "via '--consumer.config') do not match. Detected group ids: 'g', 'h'",
    );
    expect(usageError(['--topic', 't', '--group', 'g', '--partition', '0']).message).toBe(
      'Options group and partition cannot be specified together.',
    );
    expect(
      usageError(['--topic', 't', '--consumer-property', 'group.id=g', '--partition', '0']).message,
    ).toBe('Options group and partition cannot be specified together.');
    const command = parseConsumerCommand(['--topic', 't', '--group', 'g', '--from-beginning']);
    expect(consumerOptionsOf(command)).toMatchObject({ groupId: 'g', autoOffsetReset: 'earliest' });
  });

  it('reads --max-messages and --timeout-ms as Kafka: -1 (and for the timeout any negative) is no limit', () => {
    expect(
      parseConsumerCommand(['--topic', 't', '--max-messages', '10', '--timeout-ms', '500']),
    ).toMatchObject({
      maxMessages: 10,
      timeoutMs: 500,
    });
    expect(
      parseConsumerCommand(['--topic', 't', '--max-messages', '-1', '--timeout-ms', '-1']),
    ).toMatchObject({
      maxMessages: null,
      timeoutMs: null,
    });
    expect(parseConsumerCommand(['--topic', 't', '--max-messages', '0']).maxMessages).toBe(0);
    expect(usageError(['--topic', 't', '--max-messages', 'many']).message).toBe(
      "Cannot parse argument 'many' of option max-messages",
    );
  });

  it("reads the formatter's properties and refuses those it cannot honour", () => {
    const command = parseConsumerCommand([
      '--topic',
      't',
      ...['--property', 'print.key=true', '--property', 'print.offset=TRUE'],
      ...['--property', 'print.partition=true', '--property', 'print.value=false'],
      ...['--property', 'print.timestamp=true', '--property', 'print.headers=true'],
      ...['--property', 'key.separator=|', '--property', 'headers.separator=;'],
      ...['--property', 'null.literal=<none>', '--property', 'some.other=ignored'],
    ]);
    expect(command.formatter).toEqual({
      printTimestamp: true,
      printKey: true,
      printValue: false,
      printOffset: true,
      printPartition: true,
      printHeaders: true,
      keySeparator: '|',
      headersSeparator: ';',
      nullLiteral: '<none>',
    });
    expect(usageError(['--topic', 't', '--property', 'value.deserializer=x']).message).toBe(
      '--property value.deserializer=x is not supported: values print as UTF-8 text',
    );
    expect(usageError(['--topic', 't', '--property', 'line.separator=;']).message).toBe(
      '--property line.separator=; is not supported: records are printed one per line',
    );
  });

  it('reads --consumer-property into the consumer options, as Kafka checks them', () => {
    const command = parseConsumerCommand([
      '--topic',
      't',
      ...['--consumer-property', 'fetch.max.wait.ms=100', '--consumer-property', 'max.poll.records=7'],
      ...[
        '--consumer-property',
        'session.timeout.ms=6000',
        '--consumer-property',
        'heartbeat.interval.ms=500',
      ],
      ...['--consumer-property', 'enable.auto.commit=FALSE', '--consumer-property', 'client.id=me'],
      ...['--consumer-property', 'auto.offset.reset=earliest', '--consumer-property', 'retry.backoff.ms=50'],
      ...['--consumer-property', 'isolation.level=read_committed'],
      ...['--consumer-property', 'bootstrap.servers=elsewhere:1'],
    ]);
    expect(command.reset).toBe('earliest');
    expect(command.warnings).toEqual([]);
    expect(consumerOptionsOf(command)).toEqual({
      bootstrap: ['http://127.0.0.1:8081'],
      autoOffsetReset: 'earliest',
      clientId: 'me',
      fetchMaxWaitMs: 100,
      maxPollRecords: 7,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      enableAutoCommit: false,
      retryBackoffMs: 50,
    });
    expect(usageError(['--topic', 't', '--consumer-property', 'max.poll.records=lots']).message).toBe(
      'Invalid value lots for configuration max.poll.records: Not a number of type INT',
    );
    expect(usageError(['--topic', 't', '--consumer-property', 'max.poll.records=0']).message).toBe(
      'Invalid value 0 for configuration max.poll.records: Value must be at least 1',
    );
    expect(usageError(['--topic', 't', '--consumer-property', 'enable.auto.commit=yes']).message).toBe(
      'Invalid value yes for configuration enable.auto.commit: Expected value to be either true or false',
    );
    expect(usageError(['--topic', 't', '--consumer-property', 'auto.offset.reset=first']).message).toBe(
      'Invalid value first for configuration auto.offset.reset: String must be one of: latest, earliest, none',
    );
    expect(usageError(['--topic', 't', '--consumer-property', 'session.timeout.ms=2000']).message).toBe(
      'Invalid value 3000 for configuration heartbeat.interval.ms: must be lower than session.timeout.ms (2000)',
    );
  });

  it('warns about consumer configs it does not use, and ignores them, as Kafka', () => {
    const command = parseConsumerCommand([
      '--topic',
      't',
      ...['--consumer-property', 'security.protocol=SSL', '--consumer-property', 'no.such.config=1'],
    ]);
    expect(command.warnings).toEqual([
      "WARN The configuration 'security.protocol' was supplied but is not used by this consumer.",
      "WARN The configuration 'no.such.config' was supplied but is not used by this consumer.",
    ]);
  });

  it("refuses --from-beginning with another auto.offset.reset, as Kafka's tool", () => {
    expect(
      usageError(['--topic', 't', '--from-beginning', '--consumer-property', 'auto.offset.reset=latest'])
        .message,
    ).toBe(
      "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option",
    );
    expect(
      parseConsumerCommand([
        '--topic',
        't',
        '--from-beginning',
        '--consumer-property',
        'auto.offset.reset=earliest',
      ]).reset,
    ).toBe('earliest');
    expect(
      parseConsumerCommand(['--topic', 't', '--consumer-property', 'auto.offset.reset=none']).reset,
    ).toBe('none');
  });

  it('accepts --isolation-level read_committed and read_uncommitted (there are no transactions)', () => {
    expect(parseConsumerCommand(['--topic', 't', '--isolation-level', 'read_committed']).topic).toBe('t');
    expect(parseConsumerCommand(['--topic', 't', '--isolation-level', 'READ_UNCOMMITTED']).topic).toBe('t');
    expect(usageError(['--topic', 't', '--isolation-level', 'dirty']).message).toBe(
      'Invalid value dirty for configuration isolation.level: String must be one of: read_committed, read_uncommitted',
    );
  });

  it('refuses the Kafka options it does not support', () => {
    expect(usageError(['--include', 'a.*']).message).toBe(
      '--include is not supported: give one topic with --topic',
    );
    expect(usageError(['--topic', 't', '--consumer.config', 'c.properties']).message).toBe(
      '--consumer.config is not supported: give the consumer configs with --consumer-property',
    );
  });
});

describe('formatRecord', () => {
  const record: FormattableRecord = {
    partition: 2,
    offset: 17,
    timestamp: 1_700_000_000_123,
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    headers: [
      { key: 'h1', value: Buffer.from('x') },
      { key: 'h2', value: null },
    ],
  };
  const config = (overrides: Partial<FormatterConfig> = {}): FormatterConfig => ({
    printTimestamp: false,
    printKey: false,
    printValue: true,
    printOffset: false,
    printPartition: false,
    printHeaders: false,
    keySeparator: '\t',
    headersSeparator: ',',
    nullLiteral: 'null',
    ...overrides,
  });

  it("prints what Kafka's DefaultMessageFormatter prints, in its order", () => {
    expect(formatRecord(config(), record)).toBe('v');
    expect(formatRecord(config({ printKey: true }), record)).toBe('k\tv');
    expect(formatRecord(config({ printKey: true, printOffset: true, printPartition: true }), record)).toBe(
      'Partition:2\tOffset:17\tk\tv',
    );
    expect(formatRecord(config({ printKey: true, printValue: false, keySeparator: ':' }), record)).toBe('k');
    expect(formatRecord(config({ printValue: false }), record)).toBeNull();
    expect(
      formatRecord(
        config({
          printTimestamp: true,
          printPartition: true,
          printOffset: true,
          printHeaders: true,
          printKey: true,
        }),
        record,
      ),
    ).toBe('CreateTime:1700000000123\tPartition:2\tOffset:17\th1:x,h2:null\tk\tv');
  });

  it('prints headers with headers.separator, NO_HEADERS without any', () => {
    expect(formatRecord(config({ printHeaders: true, headersSeparator: ' | ' }), record)).toBe(
      'h1:x | h2:null\tv',
    );
    expect(formatRecord(config({ printHeaders: true }), { ...record, headers: [] })).toBe('NO_HEADERS\tv');
  });

  it('prints null keys and values as null.literal, and bytes as UTF-8 text', () => {
    const empty: FormattableRecord = { ...record, key: null, value: null };
    expect(formatRecord(config({ printKey: true }), empty)).toBe('null\tnull');
    expect(formatRecord(config({ printKey: true, nullLiteral: '' }), empty)).toBe('\t');
    expect(formatRecord(config(), { ...record, value: Buffer.from('héllo ☃') })).toBe('héllo ☃');
  });
});

describe('console-consumer against a node', () => {
  let cluster: DataCluster;
  let server: string;

  beforeEach(async () => {
    cluster = new DataCluster();
    server = await cluster.start();
    await cluster.createTopic('one', 1);
    await cluster.createTopic('three', 3);
  });

  afterEach(async () => {
    await cluster.close();
  });

  /** Produces through the SDK, in order, each record acknowledged before the next. */
  async function produce(records: readonly ProducerRecord[]): Promise<void> {
    const producer = new Producer({ bootstrap: `http://${server}`, lingerMs: 0 });
    try {
      for (const record of records) await producer.send(record);
    } finally {
      await producer.close();
    }
  }

  const values = (topic: string, list: readonly string[]): ProducerRecord[] =>
    list.map((value) => ({ topic, value }));

  async function consume(args: string[], signal?: AbortSignal) {
    const io = bufferedIo();
    const code = await consoleConsumerMain(
      ['--bootstrap-server', server, ...args],
      io,
      signal === undefined ? {} : { signal },
    );
    return { code, stdout: io.stdout, stderr: io.stderr };
  }

  /** Whether a request with `fragment` came after the last one with `after`. */
  const requestedAfter = (after: string, fragment: string): boolean => {
    const from = cluster.requests.findLastIndex((request) => request.includes(after));
    return from >= 0 && cluster.requests.slice(from + 1).some((request) => request.includes(fragment));
  };

  it('reads back produced records --from-beginning, with keys', async () => {
    await produce(
      [
        ['alice', '1'],
        ['bob', '2'],
        ['alice', '3'],
        ['carol', ''],
      ].map(([key, value]) => ({ topic: 'one', key: key!, value: value! })),
    );
    const result = await consume([
      ...['--topic', 'one', '--from-beginning', '--timeout-ms', '1000'],
      ...['--property', 'print.key=true', '--property', 'key.separator=:'],
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: ['alice:1', 'bob:2', 'alice:3', 'carol:'],
      stderr: ['Processed a total of 4 messages'],
    });
  });

  it('reads every partition, each in offset order', async () => {
    const records = Array.from({ length: 30 }, (_, i) => ({
      topic: 'three',
      key: `key${i % 7}`,
      value: `value${i}`,
    }));
    await produce(records);
    const result = await consume([
      ...['--topic', 'three', '--from-beginning', '--max-messages', '30'],
      ...[
        '--property',
        'print.partition=true',
        '--property',
        'print.offset=true',
        '--property',
        'print.key=true',
      ],
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual(['Processed a total of 30 messages']);
    const parsed = result.stdout.map((line) => {
      const [partition, offset, key, value] = line.split('\t');
      return {
        partition: partition!,
        offset: Number(offset!.slice('Offset:'.length)),
        key: key!,
        value: value!,
      };
    });
    expect(parsed.map((record) => record.value).sort()).toEqual(records.map((r) => r.value).sort());
    const partitions = new Set(parsed.map((record) => record.partition));
    expect(partitions.size).toBeGreaterThan(1);
    for (const partition of partitions) {
      const ofPartition = parsed.filter((record) => record.partition === partition);
      expect(ofPartition.map((record) => record.offset)).toEqual(ofPartition.map((_, index) => index));
      // A key always lands on the same partition; its values keep the order they were produced in.
      for (const key of new Set(ofPartition.map((record) => record.key))) {
        const order = ofPartition
          .filter((record) => record.key === key)
          .map((record) => Number(record.value.slice(5)));
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    }
  });

  it('prints timestamps and headers (print.timestamp, print.headers)', async () => {
    await produce([
      { topic: 'one', value: 'a', timestamp: 1_700_000_000_000, headers: { trace: 't-1', kind: 'x' } },
      { topic: 'one', value: 'b', timestamp: 1_700_000_000_001 },
    ]);
    const result = await consume([
      ...['--topic', 'one', '--from-beginning', '--max-messages', '2'],
      ...['--property', 'print.timestamp=true', '--property', 'print.headers=true'],
    ]);
    expect(result.stdout).toEqual([
      'CreateTime:1700000000000\ttrace:t-1,kind:x\ta',
      'CreateTime:1700000000001\tNO_HEADERS\tb',
    ]);
  });

  it('--max-messages stops after N records', async () => {
    await produce(values('one', ['a', 'b', 'c', 'd']));
    const result = await consume(['--topic', 'one', '--from-beginning', '--max-messages', '2']);
    expect(result).toEqual({ code: 0, stdout: ['a', 'b'], stderr: ['Processed a total of 2 messages'] });
  });

  it('--timeout-ms ends a quiet consumer with the total line', async () => {
    const result = await consume(['--topic', 'one', '--timeout-ms', '300']);
    expect(result).toEqual({ code: 0, stdout: [], stderr: ['Processed a total of 0 messages'] });
  });

  it('starts at the end by default: only records produced after it started', async () => {
    await produce(values('one', ['old 1', 'old 2']));
    const running = consume(['--topic', 'one', '--max-messages', '2']);
    // It fetches once its position is known: the end offset (2).
    await vi.waitFor(() => expect(requestedAfter('/v1/list-offsets', '/v1/fetch')).toBe(true), {
      timeout: 15_000,
    });
    await produce(values('one', ['new 1', 'new 2', 'new 3']));
    expect(await running).toEqual({
      code: 0,
      stdout: ['new 1', 'new 2'],
      stderr: ['Processed a total of 2 messages'],
    });
  });

  it('--partition reads one partition, from --offset', async () => {
    await produce(Array.from({ length: 12 }, (_, i) => ({ topic: 'three', key: `k${i}`, value: `v${i}` })));
    const fields = ['--property', 'print.partition=true', '--property', 'print.offset=true'];
    const all = await consume(['--topic', 'three', '--from-beginning', '--timeout-ms', '1000', ...fields]);
    expect(all.stdout).toHaveLength(12);
    const ofPartition1 = all.stdout.filter((line) => line.startsWith('Partition:1\t'));
    expect(ofPartition1.length).toBeGreaterThan(1);
    const result = await consume([
      ...['--topic', 'three', '--partition', '1', '--offset', '1', '--timeout-ms', '1000'],
      ...fields,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual(ofPartition1.slice(1));
    const earliest = await consume([
      ...['--topic', 'three', '--partition', '1', '--offset', 'earliest', '--timeout-ms', '1000'],
      ...fields,
    ]);
    expect(earliest.stdout).toEqual(ofPartition1);
  });

  it('an --offset past the end starts at the end (auto.offset.reset=latest)', async () => {
    await produce(values('one', ['a', 'b']));
    const running = consume(['--topic', 'one', '--partition', '0', '--offset', '99', '--max-messages', '1']);
    // The fetch at 99 was out of range: the offsets were listed again, then fetched from the end (2).
    await vi.waitFor(() => expect(requestedAfter('/v1/list-offsets', '/v1/fetch')).toBe(true), {
      timeout: 15_000,
    });
    await produce(values('one', ['c']));
    expect(await running).toEqual({ code: 0, stdout: ['c'], stderr: ['Processed a total of 1 messages'] });
  });

  it('Ctrl-C (the signal) ends it cleanly with the total line', async () => {
    await produce(values('one', ['a']));
    const controller = new AbortController();
    const io = bufferedIo();
    const running = consoleConsumerMain(
      ['--bootstrap-server', server, '--topic', 'one', '--from-beginning'],
      io,
      {
        signal: controller.signal,
      },
    );
    await vi.waitFor(() => expect(io.stdout).toEqual(['a']), { timeout: 15_000 });
    controller.abort();
    expect(await running).toBe(0);
    expect(io.stderr).toEqual(['Processed a total of 1 messages']);
  });

  it('fails with exit code 1 on a missing topic or partition, or an unreachable cluster', async () => {
    expect(await consume(['--topic', 'nope'])).toEqual({
      code: 1,
      stdout: [],
      stderr: [
        'ERROR Error processing message, terminating consumer process: Topic nope does not exist.',
        'Processed a total of 0 messages',
      ],
    });
    expect((await consume(['--topic', 'three', '--partition', '3'])).stderr).toEqual([
      'ERROR Error processing message, terminating consumer process: Partition 3 of topic three does not exist (the topic has 3 partitions)',
      'Processed a total of 0 messages',
    ]);
    const io = bufferedIo();
    expect(await consoleConsumerMain(['--bootstrap-server', '127.0.0.1:1', '--topic', 'one'], io)).toBe(1);
    expect(io.stderr[0]).toMatch(
      /^ERROR Error processing message, terminating consumer process: no broker answered/,
    );
  });

  it('auto.offset.reset=none fails on a partition without a position', async () => {
    const result = await consume(['--topic', 'one', '--consumer-property', 'auto.offset.reset=none']);
    expect(result.code).toBe(1);
    expect(result.stderr[0]).toMatch(/auto\.offset\.reset is none/);
  });

  it('--group: reads as a member of the group, commits on exit, and the next run resumes there', async () => {
    await produce(values('three', ['a', 'b', 'c', 'd']));
    const first = await consume([
      '--topic',
      'three',
      '--group',
      'g',
      '--from-beginning',
      '--max-messages',
      '4',
    ]);
    expect(first.code).toBe(0);
    expect([...first.stdout].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(first.stderr).toEqual(['Processed a total of 4 messages']);
    // The consumer was closed: it committed what it printed and left the group.
    expect(cluster.requestsTo('/v1/groups/leave')).toHaveLength(1);
    expect(cluster.node.groups.memberIds('g')).toEqual([]);
    const offsets = await cluster.node.groups.fetchOffsets({ groupId: 'g', partitions: null });
    expect(offsets.reduce((sum, o) => sum + o.offset, 0)).toBe(4);
    await produce(values('three', ['e']));
    const second = await consume([
      '--topic',
      'three',
      '--group',
      'g',
      '--from-beginning',
      '--timeout-ms',
      '1000',
    ]);
    expect(second).toEqual({ code: 0, stdout: ['e'], stderr: ['Processed a total of 1 messages'] });
  });

  it('--group with --max-messages commits only the records it printed', async () => {
    await produce(values('one', ['a', 'b', 'c', 'd']));
    const group = ['--topic', 'one', '--consumer-property', 'group.id=g3', '--from-beginning'];
    const first = await consume([...group, '--max-messages', '1']);
    expect(first.stdout).toEqual(['a']);
    expect(await cluster.node.groups.fetchOffsets({ groupId: 'g3', partitions: null })).toEqual([
      { topic: 'one', partition: 0, offset: 1, metadata: '' },
    ]);
    const second = await consume([...group, '--max-messages', '3']);
    expect(second.stdout).toEqual(['b', 'c', 'd']);
  });

  it('--group without --from-beginning starts at the end; Ctrl-C closes the consumer', async () => {
    await produce(values('one', ['old']));
    const controller = new AbortController();
    const io = bufferedIo();
    const running = consoleConsumerMain(
      ['--bootstrap-server', server, '--topic', 'one', '--group', 'g2'],
      io,
      {
        signal: controller.signal,
      },
    );
    // Joined, and fetching from the end offset it listed.
    await vi.waitFor(() => expect(requestedAfter('/v1/list-offsets', '/v1/fetch')).toBe(true), {
      timeout: 15_000,
    });
    await produce(values('one', ['new']));
    await vi.waitFor(() => expect(io.stdout).toEqual(['new']), { timeout: 15_000 });
    controller.abort();
    expect(await running).toBe(0);
    expect(io.stderr).toEqual(['Processed a total of 1 messages']);
    expect(cluster.node.groups.memberIds('g2')).toEqual([]);
    expect(await cluster.node.groups.fetchOffsets({ groupId: 'g2', partitions: null })).toEqual([
      { topic: 'one', partition: 0, offset: 2, metadata: '' },
    ]);
  });

  it('prints a warning for each ignored consumer config before consuming', async () => {
    const result = await consume([
      ...['--topic', 'one', '--timeout-ms', '300'],
      ...['--consumer-property', 'partition.assignment.strategy=x'],
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: [],
      stderr: [
        "WARN The configuration 'partition.assignment.strategy' was supplied but is not used by this consumer.",
        'Processed a total of 0 messages',
      ],
    });
  });

  it('--max-messages 0 reads nothing', async () => {
    expect(await consume(['--topic', 'one', '--max-messages', '0'])).toEqual({
      code: 0,
      stdout: [],
      stderr: ['Processed a total of 0 messages'],
    });
    expect(cluster.requestsTo('/v1/')).toEqual([]);
  });
});
