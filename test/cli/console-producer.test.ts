import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import {
  batchEntry,
  consoleProducerMain,
  formatSendError,
  LineParseError,
  parseLine,
  parseLineReaderConfig,
  parseProducerCommand,
} from '../../src/cli/console-producer.ts';
import { consoleConsumerMain } from '../../src/cli/console-consumer.ts';
import { HelpRequested, UsageError } from '../../src/cli/errors.ts';
import { bufferedIo } from '../../src/cli/io.ts';
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

describe('parseProducerCommand', () => {
  it('needs --topic, and has these defaults', () => {
    expect(usageError([]).showUsage).toBe(true);
    expect(usageError(['--bootstrap-server', 'h:1']).message).toBe('Missing required argument "[topic]"');
    expect(parseProducerCommand(['--topic', 't'])).toEqual({
      bootstrapServer: '127.0.0.1:8081',
      topic: 't',
      sync: false,
      batchSize: 100,
      lingerMs: 50,
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

  it('takes --sync, --batch-size (at most 100 lines) and --timeout (linger)', () => {
    expect(parseProducerCommand(['--topic', 't', '--sync', '--batch-size', '7'])).toMatchObject({
      sync: true,
      batchSize: 1,
      lingerMs: 0,
    });
    expect(
      parseProducerCommand(['--topic', 't', '--batch-size', '16384', '--timeout', '1000']),
    ).toMatchObject({
      batchSize: 100,
      lingerMs: 1000,
    });
    expect(usageError(['--topic', 't', '--batch-size', '0']).message).toBe(
      '--batch-size must be at least 1, not 0',
    );
    expect(usageError(['--topic', 't', '--batch-size', 'x']).message).toBe(
      "Cannot parse argument 'x' of option batch-size",
    );
    expect(usageError(['--topic', 't', '--timeout', '-1']).message).toBe(
      '--timeout must not be negative, not -1',
    );
  });

  it('accepts acks=all only', () => {
    for (const acks of ['all', '-1', 'ALL']) {
      expect(parseProducerCommand(['--topic', 't', '--request-required-acks', acks]).topic).toBe('t');
    }
    expect(usageError(['--topic', 't', '--request-required-acks', '1']).message).toBe(
      '--request-required-acks 1 is not supported: a produce over REST is always acknowledged by every ' +
        'in-sync replica (acks=all); use -1 or all',
    );
    expect(usageError(['--topic', 't', '--request-required-acks', '0']).message).toMatch(
      /^--request-required-acks 0 is not supported/,
    );
    expect(usageError(['--topic', 't', '--request-required-acks', '2']).message).toBe(
      'Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1',
    );
  });

  it("refuses Kafka options it does not support, and unknown ones with joptsimple's message", () => {
    expect(usageError(['--topic', 't', '--broker-list', 'h:1']).message).toBe(
      '--broker-list is not supported: use --bootstrap-server host:port (default 127.0.0.1:8081)',
    );
    expect(usageError(['--topic', 't', '--producer-property', 'acks=1']).message).toMatch(
      /^--producer-property is not supported/,
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

describe('formatting', () => {
  it('sends key, value and header values as BINARY: base64 of the UTF-8 bytes', () => {
    expect(
      batchEntry(
        {
          key: 'é',
          value: '☃ x',
          headers: [
            ['h', 'v'],
            ['n', null],
          ],
        },
        '3',
      ),
    ).toEqual({
      id: '3',
      headers: [
        { name: 'h', value: 'dg==' },
        { name: 'n', value: null },
      ],
      key: { type: 'BINARY', data: 'w6k=' },
      value: { type: 'BINARY', data: Buffer.from('☃ x').toString('base64') },
    });
    expect(batchEntry({ key: null, value: null, headers: [] }, '0')).toEqual({ id: '0' });
  });

  it("reports a failed record as Kafka's ErrorLoggingCallback: sizes, not contents", () => {
    expect(formatSendError('t', { key: 'ké', value: 'hello', headers: [] }, 'boom')).toBe(
      'ERROR Error when sending message to topic t with key: 3 bytes, value: 5 bytes with error: boom',
    );
    expect(formatSendError('t', { key: null, value: null, headers: [] }, 'boom')).toBe(
      'ERROR Error when sending message to topic t with key: null, value: null with error: boom',
    );
  });
});

describe('console-producer against a node', () => {
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

  it('produces every line, exactly, in order', async () => {
    const lines = ['first', '', 'tab\tinside', 'héllo ☃ 🎉', '  spaces  ', 'last'];
    expect(await produce(['--topic', 't'], lines)).toEqual({ code: 0, stdout: [], stderr: [] });
    expect(await readBack()).toEqual(lines);
  });

  it('sends up to --batch-size lines per request, one request at a time', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => `line ${i}`);
    expect((await produce(['--topic', 't', '--batch-size', '2'], lines)).code).toBe(0);
    expect(cluster.requestsTo('records:batch')).toHaveLength(3);
    expect(await readBack()).toEqual(lines);
  });

  it('sends 100 lines per request by default', async () => {
    const lines = Array.from({ length: 250 }, (_, i) => `line ${i}`);
    expect((await produce(['--topic', 't'], lines)).code).toBe(0);
    expect(cluster.requestsTo('records:batch')).toHaveLength(3);
    expect(await readBack()).toEqual(lines);
  });

  it('--sync sends each line alone', async () => {
    expect((await produce(['--topic', 't', '--sync'], ['a', 'b', 'c'])).code).toBe(0);
    expect(cluster.requestsTo('records:batch')).toHaveLength(3);
    expect(await readBack()).toEqual(['a', 'b', 'c']);
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

  it('reports each record the cluster refused and exits 1', async () => {
    cluster.node.data.failure = new KafkaError(
      'NOT_ENOUGH_REPLICAS',
      'Messages are rejected since there are fewer in-sync replicas than required.',
    );
    const result = await produce(['--topic', 't', '--property', 'parse.key=true'], ['k\tvalue', 'k2\tv']);
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([
      'ERROR Error when sending message to topic t with key: 1 bytes, value: 5 bytes with error: ' +
        'Messages are rejected since there are fewer in-sync replicas than required.',
      'ERROR Error when sending message to topic t with key: 2 bytes, value: 1 bytes with error: ' +
        'Messages are rejected since there are fewer in-sync replicas than required.',
    ]);
  });

  it('reports every line of a missing topic; ignore.error=true keeps exit code 0', async () => {
    const result = await produce(['--topic', 'nope'], ['a', 'b']);
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([
      'ERROR Error when sending message to topic nope with key: null, value: 1 bytes with error: This server does not host this topic-partition.',
      'ERROR Error when sending message to topic nope with key: null, value: 1 bytes with error: This server does not host this topic-partition.',
    ]);
    const ignoring = await produce(['--topic', 'nope', '--property', 'ignore.error=true'], ['a']);
    expect(ignoring.code).toBe(0);
    expect(ignoring.stderr).toHaveLength(1);
  });

  it('--sync stops at the first failure', async () => {
    const result = await produce(['--topic', 'nope', '--sync'], ['a', 'b', 'c']);
    expect(result.code).toBe(1);
    expect(result.stderr).toHaveLength(1);
    expect(cluster.requestsTo('records:batch')).toHaveLength(1);
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
