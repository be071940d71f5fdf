import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.ts';
import { isTopicAlreadyExists } from '../../src/cli/errors.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { isLiteralTopicName, parseTopicCommand, topicRegex, topicsMain } from '../../src/cli/topics.ts';
import { CLUSTER_ID, FakeCluster } from './fake-cluster.ts';

let cluster: FakeCluster;
let server: string;

beforeEach(async () => {
  cluster = new FakeCluster();
  server = await cluster.start();
});

afterEach(async () => {
  await cluster.close();
});

async function topics(...args: string[]) {
  const io = bufferedIo();
  const code = await topicsMain(['--bootstrap-server', server, ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const ORDERS_LINES = [
  'Topic: orders\tTopicId: 6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c\tPartitionCount: 3\tReplicationFactor: 3' +
    '\tConfigs: min.insync.replicas=2,retention.ms=86400000',
  '\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3',
  '\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3,1\tIsr: 2,1',
  '\tTopic: orders\tPartition: 2\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,1,2',
];
const PAYMENTS_LINES = [
  'Topic: payments\tTopicId: 0b7e2a52-3c0f-4a8e-8d7e-5a1f0c9b6d31\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: ',
  '\tTopic: payments\tPartition: 0\tLeader: none\tReplicas: 2\tIsr: ',
];
const OFFSETS_LINES = [
  'Topic: __consumer_offsets\tTopicId: c2a5d3e1-7b44-4c0b-9a61-2f8e4d7c9b10\tPartitionCount: 1' +
    '\tReplicationFactor: 3\tConfigs: cleanup.policy=compact',
  '\tTopic: __consumer_offsets\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3',
];

describe('topics --list', () => {
  it('prints every topic name, sorted, internal ones included', async () => {
    expect(await topics('--list')).toEqual({
      code: 0,
      stdout: ['__consumer_offsets', 'orders', 'payments'],
      stderr: [],
    });
  });

  it('drops internal topics with --exclude-internal', async () => {
    expect((await topics('--list', '--exclude-internal')).stdout).toEqual(['orders', 'payments']);
  });

  it('filters by exact name or by regular expression', async () => {
    expect((await topics('--list', '--topic', 'orders')).stdout).toEqual(['orders']);
    expect((await topics('--list', '--topic', 'ord')).stdout).toEqual([]);
    expect((await topics('--list', '--topic', 'p.*|__.*')).stdout).toEqual([
      '__consumer_offsets',
      'payments',
    ]);
  });
});

describe('topics --describe', () => {
  it("prints Kafka's topic line and one line per partition, sorted by partition", async () => {
    const result = await topics('--describe', '--topic', 'orders');
    expect(result).toEqual({ code: 0, stdout: ORDERS_LINES, stderr: [] });
    expect(cluster.actions().map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /v3/clusters/${CLUSTER_ID}/topics/orders`,
      `GET /v3/clusters/${CLUSTER_ID}/topics/orders/partitions`,
      `GET /v3/clusters/${CLUSTER_ID}/topics/orders/configs`,
    ]);
  });

  it('also reads partitions whose `replicas` is a plain id array', async () => {
    cluster.override = (request) =>
      request.path.endsWith('/topics/payments/partitions')
        ? {
            status: 200,
            body: { data: [{ partition_id: 0, leader_id: 2, replicas: [2, 3], isr: [2], leader_epoch: 1 }] },
          }
        : undefined;
    expect((await topics('--describe', '--topic', 'payments')).stdout).toEqual([
      'Topic: payments\tTopicId: 0b7e2a52-3c0f-4a8e-8d7e-5a1f0c9b6d31\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: ',
      '\tTopic: payments\tPartition: 0\tLeader: 2\tReplicas: 2,3\tIsr: 2',
    ]);
  });

  it('describes every topic in name order without --topic', async () => {
    expect((await topics('--describe')).stdout).toEqual([
      ...OFFSETS_LINES,
      ...ORDERS_LINES,
      ...PAYMENTS_LINES,
    ]);
    expect((await topics('--describe', '--exclude-internal')).stdout).toEqual([
      ...ORDERS_LINES,
      ...PAYMENTS_LINES,
    ]);
  });

  it('treats a --topic that is not a legal name as a regular expression', async () => {
    expect((await topics('--describe', '--topic', 'ord.*')).stdout).toEqual(ORDERS_LINES);
    expect((await topics('--describe', '--topic', 'orders,payments')).stdout).toEqual([
      ...ORDERS_LINES,
      ...PAYMENTS_LINES,
    ]);
  });

  it('--under-replicated-partitions prints only those partitions, without topic lines', async () => {
    expect((await topics('--describe', '--under-replicated-partitions')).stdout).toEqual([
      ORDERS_LINES[2],
      PAYMENTS_LINES[1],
    ]);
  });

  it('--unavailable-partitions prints partitions without a leader or led by a fenced broker', async () => {
    expect((await topics('--describe', '--unavailable-partitions')).stdout).toEqual([
      ORDERS_LINES[3],
      PAYMENTS_LINES[1],
    ]);
  });

  it('--under-min-isr-partitions and --at-min-isr-partitions use min.insync.replicas', async () => {
    expect((await topics('--describe', '--under-min-isr-partitions')).stdout).toEqual([PAYMENTS_LINES[1]]);
    expect((await topics('--describe', '--exclude-internal', '--at-min-isr-partitions')).stdout).toEqual([
      ORDERS_LINES[2],
    ]);
  });

  it('--topics-with-overrides prints the topic lines of topics with overrides only', async () => {
    expect((await topics('--describe', '--topics-with-overrides')).stdout).toEqual([
      OFFSETS_LINES[0],
      ORDERS_LINES[0],
    ]);
  });

  it('fails as Kafka does for a topic that does not exist, unless --if-exists', async () => {
    expect(await topics('--describe', '--topic', 'nope')).toEqual({
      code: 1,
      stdout: [],
      stderr: ["Error while executing topic command : Topic 'nope' does not exist as expected"],
    });
    expect(await topics('--describe', '--topic', 'nope', '--if-exists')).toEqual({
      code: 0,
      stdout: [],
      stderr: [],
    });
    expect((await topics('--describe', '--topic', 'no.*pe')).stderr).toEqual([
      "Error while executing topic command : Topic 'no.*pe' does not exist as expected",
    ]);
  });
});

describe('topics --create', () => {
  it('sends partitions, replication factor and configs and prints "Created topic"', async () => {
    const result = await topics(
      '--create',
      '--topic',
      'events',
      '--partitions',
      '6',
      '--replication-factor',
      '3',
      '--config',
      'cleanup.policy=compact',
      '--config',
      ' retention.ms = 1000 ',
    );
    expect(result).toEqual({ code: 0, stdout: ['Created topic events.'], stderr: [] });
    expect(cluster.actions()).toEqual([
      {
        method: 'POST',
        path: `/v3/clusters/${CLUSTER_ID}/topics`,
        body: {
          topic_name: 'events',
          partitions_count: 6,
          replication_factor: 3,
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '1000' },
          ],
        },
      },
    ]);
  });

  it("leaves partitions and replication factor to the cluster's defaults when not given", async () => {
    await topics('--create', '--topic', 'events');
    expect(cluster.actions()[0]?.body).toEqual({ topic_name: 'events' });
  });

  it("warns about '.' and '_' in the name, as Kafka does", async () => {
    expect((await topics('--create', '--topic', 'my.events')).stdout).toEqual([
      "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could " +
        'collide. To avoid issues it is best to use either, but not both.',
      'Created topic my.events.',
    ]);
  });

  it('reports an existing topic with the server message, or says nothing with --if-not-exists', async () => {
    expect(await topics('--create', '--topic', 'orders')).toEqual({
      code: 1,
      stdout: [],
      stderr: ["Error while executing topic command : Topic 'orders' already exists."],
    });
    expect(await topics('--create', '--topic', 'orders', '--if-not-exists')).toEqual({
      code: 0,
      stdout: [],
      stderr: [],
    });
  });

  it('still fails with --if-not-exists when the server refuses for another reason', async () => {
    expect(
      await topics('--create', '--topic', 'events', '--config', 'retention.bytez=1', '--if-not-exists'),
    ).toEqual({
      code: 1,
      stdout: [],
      stderr: ['Error while executing topic command : Unknown topic config name: retention.bytez'],
    });
  });

  it('refuses bad counts before sending anything', async () => {
    expect(await topics('--create', '--topic', 't', '--partitions', '0')).toEqual({
      code: 2,
      stdout: [],
      stderr: ['The partitions must be greater than 0'],
    });
    expect((await topics('--create', '--topic', 't', '--replication-factor', '40000')).stderr).toEqual([
      'The replication factor must be between 1 and 32767 inclusive',
    ]);
    expect(cluster.requests).toEqual([]);
  });
});

describe('topics --delete', () => {
  it('deletes the named topic and prints nothing', async () => {
    expect(await topics('--delete', '--topic', 'orders')).toEqual({ code: 0, stdout: [], stderr: [] });
    expect(cluster.actions().map((request) => `${request.method} ${request.path}`)).toEqual([
      `DELETE /v3/clusters/${CLUSTER_ID}/topics/orders`,
    ]);
    expect(cluster.topics.has('orders')).toBe(false);
  });

  it('fails for a missing topic unless --if-exists', async () => {
    expect(await topics('--delete', '--topic', 'nope')).toEqual({
      code: 1,
      stdout: [],
      stderr: ["Error while executing topic command : Topic 'nope' does not exist as expected"],
    });
    expect((await topics('--delete', '--topic', 'nope', '--if-exists')).code).toBe(0);
  });

  it('deletes every topic a regular expression matches', async () => {
    expect((await topics('--delete', '--topic', 'orders,payments')).code).toBe(0);
    expect([...cluster.topics.keys()]).toEqual(['__consumer_offsets']);
  });
});

describe('topics --alter', () => {
  it('raises the partition count', async () => {
    expect(await topics('--alter', '--topic', 'orders', '--partitions', '6')).toEqual({
      code: 0,
      stdout: [],
      stderr: [],
    });
    expect(cluster.actions()).toEqual([
      { method: 'PATCH', path: `/v3/clusters/${CLUSTER_ID}/topics/orders`, body: { partitions_count: 6 } },
    ]);
  });

  it("prints the server's refusal", async () => {
    expect(await topics('--alter', '--topic', 'orders', '--partitions', '2')).toEqual({
      code: 1,
      stdout: [],
      stderr: [
        'Error while executing topic command : Topic currently has 3 partitions, which is higher than the requested 2.',
      ],
    });
  });

  it('sets and deletes configs through configs:alter', async () => {
    const result = await topics(
      '--alter',
      '--topic',
      'orders',
      '--config',
      'retention.ms=1000',
      '--delete-config',
      'min.insync.replicas',
    );
    expect(result).toEqual({ code: 0, stdout: ['Updated config for topic orders.'], stderr: [] });
    expect(cluster.actions()).toEqual([
      {
        method: 'POST',
        path: `/v3/clusters/${CLUSTER_ID}/topics/orders/configs:alter`,
        body: {
          data: [
            { name: 'retention.ms', value: '1000', operation: 'SET' },
            { name: 'min.insync.replicas', operation: 'DELETE' },
          ],
        },
      },
    ]);
  });

  it('fails for a missing topic unless --if-exists', async () => {
    expect((await topics('--alter', '--topic', 'nope', '--partitions', '3')).stderr).toEqual([
      "Error while executing topic command : Topic 'nope' does not exist as expected",
    ]);
    expect((await topics('--alter', '--topic', 'nope', '--partitions', '3', '--if-exists')).code).toBe(0);
  });
});

describe('topics argument checks', () => {
  async function usageError(...args: string[]): Promise<string[]> {
    const result = await topics(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    return result.stderr;
  }

  it('prints the usage without arguments', async () => {
    const io = bufferedIo();
    expect(await topicsMain([], io)).toBe(2);
    expect(io.stderr[0]).toBe('Create, delete, describe, or change a topic.');
    expect(io.stderr.some((line) => /^------ +-----------$/.test(line))).toBe(true);
  });

  it('requires --topic for create, alter and delete', async () => {
    for (const action of ['--create', '--delete']) {
      const stderr = await usageError(action);
      expect(stderr[0]).toBe('Missing required argument "[topic]"');
      expect(stderr[1]).toBe('This tool helps to create, delete, describe, or change a topic.');
    }
    expect((await usageError('--alter', '--partitions', '3'))[0]).toBe('Missing required argument "[topic]"');
  });

  it('requires --partitions (or a config change) with --alter', async () => {
    expect((await usageError('--alter', '--topic', 'orders'))[0]).toBe(
      'Missing required argument "[partitions]"',
    );
  });

  it('requires exactly one action', async () => {
    const message =
      'Command must include exactly one action: --list, --describe, --create, --alter or --delete';
    expect((await usageError('--topic', 'orders'))[0]).toBe(message);
    expect((await usageError('--list', '--describe'))[0]).toBe(message);
  });

  it('refuses options that do not go with the action', async () => {
    expect((await usageError('--list', '--partitions', '3'))[0]).toBe(
      'Option "[partitions]" can\'t be used with option "[list]"',
    );
    expect(
      (await usageError('--alter', '--topic', 't', '--partitions', '3', '--replication-factor', '2'))[0],
    ).toBe('Option "[replication-factor]" can\'t be used with option "[alter]"');
    expect((await usageError('--describe', '--if-not-exists'))[0]).toBe(
      'Option "[if-not-exists]" can\'t be used with option "[describe]"',
    );
    expect((await usageError('--describe', '--topics-with-overrides', '--unavailable-partitions'))[0]).toBe(
      'Option "[unavailable-partitions]" can\'t be used with option "[topics-with-overrides]"',
    );
  });

  it('refuses a --partitions that is not a number', async () => {
    expect(await usageError('--create', '--topic', 't', '--partitions', 'abc')).toEqual([
      "Cannot parse argument 'abc' of option partitions",
    ]);
    expect(await usageError('--create', '--topic', 't', '--partitions', '3.5')).toEqual([
      "Cannot parse argument '3.5' of option partitions",
    ]);
  });

  it("refuses a --config without '=' (or with two)", async () => {
    const message =
      'requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".';
    expect(await usageError('--create', '--topic', 't', '--config', 'retention.ms')).toEqual([message]);
    expect(await usageError('--create', '--topic', 't', '--config', 'a=b=c')).toEqual([message]);
    expect(await usageError('--create', '--topic', 't', '--config', 'a=')).toEqual([message]);
  });

  it('words option errors as Kafka does', async () => {
    expect((await usageError('--list', '--frobnicate'))[0]).toBe('frobnicate is not a recognized option');
    expect((await usageError('--describe', '--topic'))[0]).toBe('Option topic requires an argument');
    expect(await usageError('--list', '--zookeeper', 'localhost:2181')).toEqual([
      '--zookeeper is not supported: this cluster runs in KRaft mode; use --bootstrap-server host:port ' +
        '(default 127.0.0.1:8081)',
    ]);
  });

  it('refuses a bootstrap server without a port', async () => {
    const io = bufferedIo();
    expect(await topicsMain(['--list', '--bootstrap-server', 'localhost'], io)).toBe(2);
    expect(io.stderr[0]).toBe('Invalid url in bootstrap.servers: localhost');
  });

  it('prints the help on stdout with --help', async () => {
    const io = bufferedIo();
    expect(await topicsMain(['--help'], io)).toBe(0);
    expect(io.stdout[0]).toBe('This tool helps to create, delete, describe, or change a topic.');
    expect(io.stdout.some((line) => line.startsWith('--bootstrap-server <host:port[,host:port...]>'))).toBe(
      true,
    );
    expect(io.stderr).toEqual([]);
  });
});

describe('topics helpers', () => {
  it('parses a full command', () => {
    expect(parseTopicCommand(['--create', '--topic=t', '--partitions=3', '--config', 'a=b'])).toMatchObject({
      action: 'create',
      topic: 't',
      partitions: 3,
      replicationFactor: null,
      configs: new Map([['a', 'b']]),
      bootstrapServer: '127.0.0.1:8081',
    });
  });

  it('parses --replica-assignment as Kafka does, alone (not with --partitions or --replication-factor)', () => {
    expect(parseTopicCommand(['--create', '--topic=t', '--replica-assignment', '1:2, 2:3,3:1'])).toMatchObject({
      replicaAssignment: [
        [1, 2],
        [2, 3],
        [3, 1],
      ],
      partitions: null,
    });
    expect(() => parseTopicCommand(['--create', '--topic=t', '--replica-assignment', '1:1'])).toThrow(
      'Partition replica lists may not contain duplicate entries: 1,1',
    );
    expect(() =>
      parseTopicCommand(['--create', '--topic=t', '--replica-assignment', '1:2', '--partitions', '1']),
    ).toThrow('Option "[replica-assignment]" can\'t be used with option "[partitions]"');
    expect(() => parseTopicCommand(['--create', '--topic=t', '--replica-assignment', '1:x'])).toThrow(
      "Cannot parse argument 'x' of option replica-assignment",
    );
  });

  it('tells exact names from regular expressions', () => {
    expect(isLiteralTopicName('orders.v1_x-2')).toBe(true);
    expect(isLiteralTopicName('orders.*')).toBe(false);
    expect(isLiteralTopicName('a,b')).toBe(false);
    expect(topicRegex('"a,b"').test('b')).toBe(true);
    expect(topicRegex('a.*').test('ba')).toBe(false);
    expect(() => topicRegex('(')).toThrow('( is an invalid regex.');
  });

  it('recognises "already exists" in both REST proxy dialects', () => {
    const confluent = new CliError('server', "Topic 'x' already exists.", { status: 400, errorCode: 40002 });
    const conflict = new CliError('server', "Topic 'x' already exists.", { status: 409, errorCode: 40903 });
    const badConfig = new CliError('server', 'Unknown topic config name: x', {
      status: 400,
      errorCode: 40002,
    });
    const collision = new CliError('server', "Topic 'a.b' collides with existing topic: a_b", {
      status: 400,
      errorCode: 40002,
    });
    expect([confluent, conflict, badConfig, collision].map(isTopicAlreadyExists)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
