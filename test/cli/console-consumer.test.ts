import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConsumedRecord, FormatterConfig } from '../../src/cli/console-consumer.ts';
import {
  consoleConsumerMain,
  formatRecord,
  parseConsumerCommand,
  readRecords,
} from '../../src/cli/console-consumer.ts';
import { consoleProducerMain } from '../../src/cli/console-producer.ts';
import { HelpRequested, UsageError } from '../../src/cli/errors.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { DataCluster } from './data-cluster.ts';

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
  it('needs --topic and starts at the end by default', () => {
    expect(usageError([]).showUsage).toBe(true);
    const missing = usageError(['--from-beginning']);
    expect(missing.message).toBe('Exactly one of --include/--topic is required. ');
    expect(missing.showUsage).toBe(true);
    expect(parseConsumerCommand(['--topic', 't'])).toEqual({
      bootstrapServer: '127.0.0.1:8081',
      topic: 't',
      group: null,
      partition: null,
      start: 'latest',
      reset: 'latest',
      maxMessages: null,
      timeoutMs: null,
      formatter: {
        printKey: false,
        printValue: true,
        printOffset: false,
        printPartition: false,
        keySeparator: '\t',
        nullLiteral: 'null',
      },
    });
    expect(() => parseConsumerCommand(['--help'])).toThrow(HelpRequested);
  });

  it('--from-beginning starts every partition at its log start', () => {
    expect(parseConsumerCommand(['--topic', 't', '--from-beginning'])).toMatchObject({
      start: 'earliest',
      reset: 'earliest',
    });
    expect(parseConsumerCommand(['--topic', 't', '--partition', '2', '--from-beginning'])).toMatchObject({
      partition: 2,
      start: 'earliest',
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

  it('takes --group, but not with --partition or --offset (test/cli/console-consumer-group.test.ts)', () => {
    expect(parseConsumerCommand(['--topic', 't', '--group', 'g']).group).toBe('g');
    expect(usageError(['--topic', 't', '--group', 'g', '--partition', '0']).message).toBe(
      'Options group and partition cannot be specified together.',
    );
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

  it("reads the formatter's properties and refuses those the REST read cannot serve", () => {
    const command = parseConsumerCommand([
      '--topic',
      't',
      '--property',
      'print.key=true',
      '--property',
      'print.offset=TRUE',
      '--property',
      'print.partition=true',
      '--property',
      'print.value=false',
      '--property',
      'key.separator=|',
      '--property',
      'null.literal=<none>',
      '--property',
      'print.timestamp=false',
      '--property',
      'some.other=ignored',
    ]);
    expect(command.formatter).toEqual({
      printKey: true,
      printValue: false,
      printOffset: true,
      printPartition: true,
      keySeparator: '|',
      nullLiteral: '<none>',
    });
    expect(usageError(['--topic', 't', '--property', 'print.timestamp=true']).message).toBe(
      '--property print.timestamp=true is not supported: the REST read (GET /topics/{t}/partitions/{p}/records) ' +
        'does not return record timestamps',
    );
    expect(usageError(['--topic', 't', '--property', 'print.headers=true']).message).toMatch(
      /does not return record headers$/,
    );
    expect(usageError(['--topic', 't', '--property', 'value.deserializer=x']).message).toBe(
      '--property value.deserializer=x is not supported: values print as UTF-8 text',
    );
  });

  it('refuses the Kafka options it does not support', () => {
    expect(usageError(['--include', 'a.*']).message).toBe(
      '--include is not supported: give one topic with --topic',
    );
    expect(usageError(['--topic', 't', '--consumer-property', 'group.id=g']).message).toMatch(
      /^--consumer-property is not supported/,
    );
  });
});

describe('formatRecord', () => {
  const record: ConsumedRecord = { partition: 2, offset: 17, key: 'k', value: 'v' };
  const config = (overrides: Partial<FormatterConfig> = {}): FormatterConfig => ({
    printKey: false,
    printValue: true,
    printOffset: false,
    printPartition: false,
    keySeparator: '\t',
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
  });

  it('prints null keys and values as null.literal', () => {
    const empty: ConsumedRecord = { partition: 0, offset: 0, key: null, value: null };
    expect(formatRecord(config({ printKey: true }), empty)).toBe('null\tnull');
    expect(formatRecord(config({ printKey: true, nullLiteral: '' }), empty)).toBe('\t');
  });

  it('decodes the binary read format as UTF-8', () => {
    const body = [
      { topic: 't', partition: 0, offset: 3, key: null, value: Buffer.from('héllo').toString('base64') },
      { topic: 't', partition: 0, offset: 4, key: 'aw==', value: '' },
    ];
    expect(readRecords(body, 'read')).toEqual([
      { partition: 0, offset: 3, key: null, value: 'héllo' },
      { partition: 0, offset: 4, key: 'k', value: '' },
    ]);
    expect(() => readRecords({}, 'read')).toThrow(
      'Unexpected response from the server: expected an array (in read)',
    );
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

  async function* linesOf(lines: readonly string[]): AsyncGenerator<string> {
    for (const line of lines) yield line;
  }

  async function produce(topic: string, lines: readonly string[], ...args: string[]): Promise<void> {
    const io = bufferedIo();
    const argv = ['--bootstrap-server', server, '--topic', topic, ...args];
    expect(await consoleProducerMain(argv, io, { input: linesOf(lines) })).toBe(0);
  }

  async function consume(args: string[], signal?: AbortSignal) {
    const io = bufferedIo();
    const code = await consoleConsumerMain(
      ['--bootstrap-server', server, ...args],
      io,
      signal === undefined ? {} : { signal },
    );
    return { code, stdout: io.stdout, stderr: io.stderr };
  }

  const keyed = ['--property', 'parse.key=true', '--property', 'key.separator=:'];

  it('reads back produced lines --from-beginning, with keys', async () => {
    await produce('one', ['alice:1', 'bob:2', 'alice:3', 'carol:'], ...keyed);
    const result = await consume([
      '--topic',
      'one',
      '--from-beginning',
      '--property',
      'print.key=true',
      '--property',
      'key.separator=:',
      '--timeout-ms',
      '300',
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: ['alice:1', 'bob:2', 'alice:3', 'carol:'],
      stderr: ['Processed a total of 4 messages'],
    });
  });

  it('reads every partition, each in offset order', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `key${i % 7}:value${i}`);
    await produce('three', lines, ...keyed);
    const result = await consume([
      '--topic',
      'three',
      '--from-beginning',
      '--max-messages',
      '30',
      '--property',
      'print.partition=true',
      '--property',
      'print.offset=true',
      '--property',
      'print.key=true',
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
    expect(parsed.map((record) => record.value).sort()).toEqual(
      [...lines.map((line) => line.split(':')[1]!)].sort(),
    );
    const partitions = new Set(parsed.map((record) => record.partition));
    expect(partitions.size).toBeGreaterThan(1);
    for (const partition of partitions) {
      const records = parsed.filter((record) => record.partition === partition);
      expect(records.map((record) => record.offset)).toEqual(records.map((_, index) => index));
      // A key always lands on the same partition; its values keep the order they were produced in.
      for (const key of new Set(records.map((record) => record.key))) {
        const values = records
          .filter((record) => record.key === key)
          .map((record) => Number(record.value.slice(5)));
        expect(values).toEqual([...values].sort((a, b) => a - b));
      }
    }
  });

  it('--max-messages stops after N records', async () => {
    await produce('one', ['a', 'b', 'c', 'd']);
    const result = await consume(['--topic', 'one', '--from-beginning', '--max-messages', '2']);
    expect(result).toEqual({ code: 0, stdout: ['a', 'b'], stderr: ['Processed a total of 2 messages'] });
  });

  it('--timeout-ms ends a quiet consumer with the total line', async () => {
    const result = await consume(['--topic', 'one', '--timeout-ms', '200']);
    expect(result).toEqual({ code: 0, stdout: [], stderr: ['Processed a total of 0 messages'] });
  });

  it('starts at the end by default: only records produced after it started', async () => {
    await produce('one', ['old 1', 'old 2']);
    const running = consume(['--topic', 'one', '--max-messages', '2']);
    // Once it reads at the end offset (2), produce more.
    await vi.waitFor(() => expect(cluster.requestsTo('/partitions/0/records?offset=2')).not.toHaveLength(0), { timeout: 15_000 });
    await produce('one', ['new 1', 'new 2', 'new 3']);
    expect(await running).toEqual({
      code: 0,
      stdout: ['new 1', 'new 2'],
      stderr: ['Processed a total of 2 messages'],
    });
  });

  it('--partition reads one partition, from --offset', async () => {
    await produce(
      'three',
      Array.from({ length: 12 }, (_, i) => `k${i}:v${i}`),
      ...keyed,
    );
    const all = await consume([
      '--topic',
      'three',
      '--from-beginning',
      '--timeout-ms',
      '300',
      '--property',
      'print.partition=true',
      '--property',
      'print.offset=true',
    ]);
    const ofPartition1 = all.stdout.filter((line) => line.startsWith('Partition:1\t'));
    expect(ofPartition1.length).toBeGreaterThan(1);
    const before = cluster.requests.length;
    const result = await consume([
      '--topic',
      'three',
      '--partition',
      '1',
      '--offset',
      '1',
      '--timeout-ms',
      '300',
      '--property',
      'print.partition=true',
      '--property',
      'print.offset=true',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual(ofPartition1.slice(1));
    const reads = cluster.requests.slice(before).filter((request) => request.includes('/records?'));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((request) => request.includes('/partitions/1/records?'))).toBe(true);
  });

  it('an --offset past the end starts at the end (auto.offset.reset=latest)', async () => {
    await produce('one', ['a', 'b']);
    const result = await consume([
      '--topic',
      'one',
      '--partition',
      '0',
      '--offset',
      '99',
      '--timeout-ms',
      '300',
    ]);
    expect(result).toEqual({ code: 0, stdout: [], stderr: ['Processed a total of 0 messages'] });
    expect(cluster.requestsTo('/partitions/0/records?offset=2')).not.toHaveLength(0);
  });

  it('Ctrl-C (the signal) ends it cleanly with the total line', async () => {
    await produce('one', ['a']);
    const controller = new AbortController();
    const running = consume(['--topic', 'one', '--from-beginning'], controller.signal);
    await vi.waitFor(() => expect(cluster.requestsTo('/partitions/0/records?offset=1')).not.toHaveLength(0), { timeout: 15_000 });
    controller.abort();
    expect(await running).toEqual({ code: 0, stdout: ['a'], stderr: ['Processed a total of 1 messages'] });
  });

  it('fails with exit code 1 on a missing topic or partition', async () => {
    expect(await consume(['--topic', 'nope'])).toEqual({
      code: 1,
      stdout: [],
      stderr: [
        'ERROR Error processing message, terminating consumer process: This server does not host this topic-partition.',
        'Processed a total of 0 messages',
      ],
    });
    expect((await consume(['--topic', 'three', '--partition', '3'])).stderr).toEqual([
      'ERROR Error processing message, terminating consumer process: Partition 3 of topic three does not exist (the topic has 3 partitions)',
      'Processed a total of 0 messages',
    ]);
  });

  it('--group: reads as a member of the group, commits on exit, and the next run resumes there', async () => {
    await produce('three', ['a', 'b', 'c', 'd']);
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
    // The instance was deleted: it left the group after committing what it read.
    expect(cluster.requestsTo('DELETE /consumers/g/instances/')).toHaveLength(1);
    expect(cluster.node.groups.memberIds('g')).toEqual([]);
    const offsets = await cluster.node.groups.fetchOffsets({ groupId: 'g', partitions: null });
    expect(offsets.reduce((sum, o) => sum + o.offset, 0)).toBe(4);
    await produce('three', ['e']);
    const second = await consume([
      '--topic',
      'three',
      '--group',
      'g',
      '--from-beginning',
      '--timeout-ms',
      '300',
    ]);
    expect(second).toEqual({ code: 0, stdout: ['e'], stderr: ['Processed a total of 1 messages'] });
  });

  it('--group without --from-beginning starts at the end; Ctrl-C deletes the instance', async () => {
    await produce('one', ['old']);
    const controller = new AbortController();
    const running = consume(['--topic', 'one', '--group', 'g2'], controller.signal);
    await vi.waitFor(() => expect(cluster.requestsTo('/consumers/g2/instances/')).not.toHaveLength(0), { timeout: 15_000 });
    // The second poll has come: the first one placed the position at the end.
    await vi.waitFor(() => expect(cluster.requestsTo('/records?timeout=').length).toBeGreaterThan(1));
    await produce('one', ['new']);
    await vi.waitFor(() => expect(cluster.requestsTo('/records?timeout=').length).toBeGreaterThan(3));
    controller.abort();
    expect(await running).toEqual({ code: 0, stdout: ['new'], stderr: ['Processed a total of 1 messages'] });
    expect(cluster.node.groups.memberIds('g2')).toEqual([]);
    expect(await cluster.node.groups.fetchOffsets({ groupId: 'g2', partitions: null })).toEqual([
      { topic: 'one', partition: 0, offset: 2, metadata: '' },
    ]);
  });

  it('--max-messages 0 reads nothing', async () => {
    expect(await consume(['--topic', 'one', '--max-messages', '0'])).toEqual({
      code: 0,
      stdout: [],
      stderr: ['Processed a total of 0 messages'],
    });
  });
});
