// Kafka's admin clients against a real 3-node cluster over the PLAINTEXT listener (issue 7): configs
// described and altered by kafka-python and confluent-kafka (librdkafka), and what they see or change
// is what REST shows.
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { bufferedIo } from '../../src/cli/io.ts';
import { topicsMain } from '../../src/cli/topics.ts';
import {
  createReplicatedTopic,
  kafkaBootstrap,
  PYTHON,
  requireClient,
  run,
  runPython,
  useKafkaTestCluster,
} from './kafka-client-tools.ts';
import { type ProcessCluster, waitFor } from './process-cluster.ts';

let cluster: ProcessCluster;
useKafkaTestCluster((started) => {
  cluster = started;
});

const bootstrap = (id = 1): string => kafkaBootstrap(cluster, id);

const createTopic = (name: string, configs: Record<string, string> = {}): Promise<void> =>
  createReplicatedTopic(cluster, name, 1, configs);

/** A topic's configs as REST shows them: name -> [value, source]. */
async function restConfigs(via: number, topic: string): Promise<Map<string, [string, string]>> {
  const answer = await cluster.get(via, `${cluster.topicsPath()}/${topic}/configs`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const data = answer.body.data as Array<{ name: string; value: string; source: string }>;
  return new Map(data.map((config) => [config.name, [config.value, config.source]]));
}

/**
 * A topic's configs through REST once they show `expected` (name -> [value, source]): a change answered
 * by one node reaches the others' images a moment later.
 */
async function restConfigsShowing(
  via: number,
  topic: string,
  expected: Record<string, [string, string]>,
): Promise<Map<string, [string, string]>> {
  return waitFor(`${topic}'s configs through node ${via} showing ${JSON.stringify(expected)}`, async () => {
    const configs = await restConfigs(via, topic);
    const shown = Object.entries(expected).every(
      ([name, [value, source]]) => configs.get(name)?.[0] === value && configs.get(name)?.[1] === source,
    );
    return shown ? configs : undefined;
  });
}

// Kafka's ConfigSource numbers.
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

describe('Kafka admin clients: configs', () => {
  it('kafka-python describe_configs: a topic with its override and synonyms, a broker with its settings, an unknown topic', async (context) => {
    await requireClient(context, 'python3-kafka', () => run(PYTHON, ['-c', 'import kafka']));
    await createTopic('kp-described', { 'retention.ms': '60000' });
    const script = `
import json, sys
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1])
answers = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, sys.argv[2]),
                                  ConfigResource(ConfigResourceType.BROKER, sys.argv[3]),
                                  ConfigResource(ConfigResourceType.TOPIC, 'kp-missing')],
                                 include_synonyms=True)
resources = {}
for answer in answers:
    for code, message, kind, name, entries in answer.resources:
        resources[name] = {'error': code, 'configs': {e[0]: [e[1], e[2], e[3], [list(s) for s in e[5]]] for e in entries}}
admin.close()
print(json.dumps(resources))
`;
    type Entry = [string | null, boolean, number, Array<[string, string | null, number]>];
    const resources = await runPython<Record<string, { error: number; configs: Record<string, Entry> }>>(
      script,
      [bootstrap(2), 'kp-described', '3'],
    );
    const topic = resources['kp-described']!;
    expect(topic.error).toBe(0);
    expect(topic.configs['retention.ms']).toEqual([
      '60000',
      false,
      DYNAMIC_TOPIC_CONFIG,
      [
        ['retention.ms', '60000', DYNAMIC_TOPIC_CONFIG],
        ['log.retention.ms', '604800000', DEFAULT_CONFIG],
      ],
    ]);
    expect(topic.configs['cleanup.policy']?.slice(0, 3)).toEqual(['delete', false, DEFAULT_CONFIG]);
    // What REST shows of the same topic.
    const rest = await restConfigs(1, 'kp-described');
    for (const [name, [value]] of rest) expect(topic.configs[name]?.[0], name).toBe(value);
    expect(Object.keys(topic.configs).sort()).toEqual([...rest.keys()].sort());

    const node3 = resources['3']!;
    expect(node3.error).toBe(0);
    expect(node3.configs['node.id']?.slice(0, 3)).toEqual(['3', true, STATIC_BROKER_CONFIG]);
    expect(node3.configs['message.max.bytes']?.slice(0, 3)).toEqual(['1048588', true, DEFAULT_CONFIG]);
    expect(resources['kp-missing']).toEqual({ error: 3, configs: {} });
  });

  it('confluent-kafka describe_configs: topic and broker resources (librdkafka routes the broker one to that broker)', async (context) => {
    await requireClient(context, 'python3-confluent-kafka', () =>
      run(PYTHON, ['-c', 'import confluent_kafka']),
    );
    await createTopic('ck-described', { 'cleanup.policy': 'compact' });
    const script = `
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
futures = admin.describe_configs([ConfigResource('topic', sys.argv[2]), ConfigResource('broker', sys.argv[3])])
out = {}
for resource, future in futures.items():
    entries = future.result(timeout=30)
    out[resource.name] = {name: [e.value, e.source, e.is_read_only, e.is_default] for name, e in entries.items()}
print(json.dumps(out))
`;
    const described = await runPython<
      Record<string, Record<string, [string | null, number, boolean, boolean]>>
    >(script, [bootstrap(1), 'ck-described', '2']);
    expect(described['ck-described']?.['cleanup.policy']).toEqual([
      'compact',
      DYNAMIC_TOPIC_CONFIG,
      false,
      false,
    ]);
    expect(described['ck-described']?.['segment.bytes']).toEqual(['1073741824', DEFAULT_CONFIG, false, true]);
    expect(described['2']?.['node.id']).toEqual(['2', STATIC_BROKER_CONFIG, true, false]);
  });

  it('kafka-python alter_configs replaces the whole dynamic set (REST sees it); an unknown key: INVALID_CONFIG', async (context) => {
    await requireClient(context, 'python3-kafka', () => run(PYTHON, ['-c', 'import kafka']));
    await createTopic('kp-altered', { 'segment.ms': '3600000' });
    const script = `
import json, sys
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1])
def alter(configs):
    answer = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, sys.argv[2], configs=configs)])
    return [[code, message] for code, message, kind, name in answer.resources]
out = {'set': alter({'retention.ms': '120000'}), 'unknown': alter({'no.such.config': '1'})}
admin.close()
print(json.dumps(out))
`;
    const result = await runPython<Record<string, Array<[number, string | null]>>>(script, [
      bootstrap(3),
      'kp-altered',
    ]);
    expect(result.set).toEqual([[0, null]]);
    expect(result.unknown).toEqual([[40, 'Unknown topic config name: no.such.config']]);
    await restConfigsShowing(2, 'kp-altered', {
      'retention.ms': ['120000', 'DYNAMIC_TOPIC_CONFIG'],
      // Not listed in the AlterConfigs: back to its default.
      'segment.ms': ['604800000', 'DEFAULT_CONFIG'],
    });
  });

  it('confluent-kafka alter_configs: a topic altered, a bad value refused (INVALID_CONFIG), a broker config refused (INVALID_REQUEST)', async (context) => {
    await requireClient(context, 'python3-confluent-kafka', () =>
      run(PYTHON, ['-c', 'import confluent_kafka']),
    );
    await createTopic('ck-altered');
    const script = `
import json, sys
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
def alter(resource):
    future = admin.alter_configs([resource])[resource]
    try:
        future.result(timeout=30)
        return 'ok'
    except KafkaException as error:
        return error.args[0].name()
out = {
    'topic': alter(ConfigResource('topic', sys.argv[2], set_config={'cleanup.policy': 'compact', 'max.message.bytes': '2000000'})),
    'bad': alter(ConfigResource('topic', sys.argv[2], set_config={'max.message.bytes': 'big'})),
    'broker': alter(ConfigResource('broker', '1', set_config={'log.retention.ms': '1000'})),
}
print(json.dumps(out))
`;
    const result = await runPython<Record<string, string>>(script, [bootstrap(1), 'ck-altered']);
    expect(result).toEqual({ topic: 'ok', bad: 'INVALID_CONFIG', broker: 'INVALID_REQUEST' });
    await restConfigsShowing(3, 'ck-altered', {
      'cleanup.policy': ['compact', 'DYNAMIC_TOPIC_CONFIG'],
      'max.message.bytes': ['2000000', 'DYNAMIC_TOPIC_CONFIG'],
    });
  });

  it('@platformatic/kafka incrementalAlterConfigs: APPEND to a list config from its default, SET, DELETE (the installed confluent-kafka, 1.7.0, has none)', async () => {
    await createTopic('plat-incremental', { 'retention.ms': '90000' });
    const admin = new Admin({ clientId: 'it-admin', bootstrapBrokers: [bootstrap(2)] });
    try {
      await admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: 2,
            resourceName: 'plat-incremental',
            configs: [
              { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
              { name: 'segment.ms', configOperation: 0, value: '7200000' },
              { name: 'retention.ms', configOperation: 1 },
            ],
          },
        ],
      });
      await restConfigsShowing(1, 'plat-incremental', {
        'cleanup.policy': ['delete,compact', 'DYNAMIC_TOPIC_CONFIG'],
        'segment.ms': ['7200000', 'DYNAMIC_TOPIC_CONFIG'],
        'retention.ms': ['604800000', 'DEFAULT_CONFIG'],
      });
      await expect(
        admin.incrementalAlterConfigs({
          resources: [
            {
              resourceType: 2,
              resourceName: 'plat-incremental',
              configs: [{ name: 'segment.ms', configOperation: 2, value: '1' }],
            },
          ],
        }),
      ).rejects.toThrow();
      expect((await restConfigs(1, 'plat-incremental')).get('segment.ms')?.[0]).toBe('7200000');
    } finally {
      await admin.close();
    }
  });
});

/** Where a partition starts and ends, through REST (v2 offsets). */
async function restOffsets(
  via: number,
  topic: string,
): Promise<{ beginning_offset: number; end_offset: number }> {
  const answer = await cluster.get(via, `/topics/${topic}/partitions/0/offsets`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

describe('Kafka admin clients: DeleteRecords', () => {
  it('@platformatic/kafka deleteRecords moves the log start (REST through every node sees it); reads below it are out of range; above the high watermark refused; -1 deletes to the high watermark', async () => {
    await createTopic('plat-trimmed');
    const bootstrapBrokers = [bootstrap(1)];
    const producer = new Producer({ clientId: 'it-admin', bootstrapBrokers, serializers: stringSerializers });
    const admin = new Admin({ clientId: 'it-admin', bootstrapBrokers });
    try {
      await producer.send({
        acks: -1,
        messages: Array.from({ length: 10 }, (_, i) => ({
          topic: 'plat-trimmed',
          value: `v${i}`,
          partition: 0,
        })),
      });
      const deleted = await admin.deleteRecords({
        topics: [{ name: 'plat-trimmed', partitions: [{ partition: 0, offset: 4n }] }],
      });
      expect(deleted).toEqual([{ name: 'plat-trimmed', partitions: [{ partition: 0, lowWatermark: 4n }] }]);
      for (const via of [1, 2, 3])
        await waitFor(
          `node ${via} sees the new log start`,
          async () => (await restOffsets(via, 'plat-trimmed')).beginning_offset === 4,
        );
      const below = await cluster.get(2, '/topics/plat-trimmed/partitions/0/records?offset=3&timeout=200');
      expect(below.status, JSON.stringify(below.body)).not.toBe(200);
      const from = await cluster.get(2, '/topics/plat-trimmed/partitions/0/records?offset=4&timeout=200');
      expect(from.status).toBe(200);
      expect((from.body as Array<{ offset: number }>).map((record) => record.offset)).toContain(4);

      await expect(
        admin.deleteRecords({
          topics: [{ name: 'plat-trimmed', partitions: [{ partition: 0, offset: 11n }] }],
        }),
      ).rejects.toThrow();
      const all = await admin.deleteRecords({
        topics: [{ name: 'plat-trimmed', partitions: [{ partition: 0, offset: -1n }] }],
      });
      expect(all[0]!.partitions[0]!.lowWatermark).toBe(10n);
      expect(await restOffsets(3, 'plat-trimmed')).toMatchObject({ end_offset: 10 });
    } finally {
      await producer.close();
      await admin.close();
    }
  });

  it('kafkajs deleteTopicRecords (DeleteRecords v1) and fetchTopicOffsets see the new earliest offset', async () => {
    await createTopic('kjs-trimmed');
    const kafka = new Kafka({ clientId: 'it-admin', brokers: [bootstrap(2)], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await producer.send({
        topic: 'kjs-trimmed',
        acks: -1,
        messages: Array.from({ length: 6 }, (_, i) => ({ value: `k${i}`, partition: 0 })),
      });
      // kafkajs's deleteTopicRecords finds leaders in metadata it does not load itself.
      await admin.fetchTopicMetadata({ topics: ['kjs-trimmed'] });
      await admin.deleteTopicRecords({ topic: 'kjs-trimmed', partitions: [{ partition: 0, offset: '5' }] });
      const offsets = await admin.fetchTopicOffsets('kjs-trimmed');
      expect(offsets.map(({ partition, low, high }) => [partition, low, high])).toEqual([[0, '5', '6']]);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});

describe('ListOffsets v7', () => {
  it('@platformatic/kafka listOffsets MAX_TIMESTAMP (-3): the first record with the largest timestamp, its timestamp and leader epoch', async () => {
    await createTopic('plat-max-time');
    const bootstrapBrokers = [bootstrap(3)];
    const producer = new Producer({ clientId: 'it-admin', bootstrapBrokers, serializers: stringSerializers });
    const admin = new Admin({ clientId: 'it-admin', bootstrapBrokers });
    try {
      const base = 1_700_000_000_000n;
      const offsets = [0n, 5_000n, 2_000n, 5_000n, 1_000n];
      for (const [index, delta] of offsets.entries()) {
        await producer.send({
          acks: -1,
          messages: [{ topic: 'plat-max-time', value: `t${index}`, partition: 0, timestamp: base + delta }],
        });
      }
      const listed = await admin.listOffsets({
        topics: [{ name: 'plat-max-time', partitions: [{ partitionIndex: 0, timestamp: -3n }] }],
      });
      const partition = listed[0]!.partitions[0]!;
      expect([partition.offset, partition.timestamp]).toEqual([1n, base + 5_000n]);
      expect(partition.leaderEpoch).toBeGreaterThanOrEqual(0);
    } finally {
      await producer.close();
      await admin.close();
    }
  });
});

describe('manual replica assignments', () => {
  it('kafkajs createTopics and createPartitions with assignments, and the CLI --replica-assignment through the Kafka port: replicas as given, the first the leader', async () => {
    const kafka = new Kafka({ clientId: 'assign', brokers: [bootstrap(2)], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'assigned',
          replicaAssignment: [
            { partition: 0, replicas: [3, 1] },
            { partition: 1, replicas: [2, 3] },
          ],
        },
      ],
    });
    await admin.createPartitions({
      topicPartitions: [{ topic: 'assigned', count: 3, assignments: [[1, 2]] }],
    });
    const refused = await admin
      .createPartitions({ topicPartitions: [{ topic: 'assigned', count: 4, assignments: [[1, 1]] }] })
      .then(
        () => null,
        (error: Error) => error.message,
      );
    expect(refused).toBe('Replica assignment is invalid'); // kafkajs names INVALID_REPLICA_ASSIGNMENT (39) so
    await admin.disconnect();
    const placed = await waitFor('the partitions in node 1 image', async () => {
      const partitions = await cluster.partitions(1, 'assigned').catch(() => []);
      return partitions.length === 3 ? partitions : undefined;
    });
    expect(placed.map((p) => [p.partition_id, p.replica_ids, p.leader_id])).toEqual([
      [0, [3, 1], 3],
      [1, [2, 3], 2],
      [2, [1, 2], 1],
    ]);
    const io = bufferedIo();
    const code = await topicsMain(
      [
        '--bootstrap-server',
        bootstrap(3),
        '--create',
        '--topic',
        'cli-assigned',
        '--replica-assignment',
        '2:1,1:3',
      ],
      io,
    );
    expect(code, io.stderr.join('\n')).toBe(0);
    const cli = await cluster.partitions(3, 'cli-assigned');
    expect(cli.map((p) => [p.partition_id, p.replica_ids])).toEqual([
      [0, [2, 1]],
      [1, [1, 3]],
    ]);
  });
});
