// Kafka's own clients against a real 3-node cluster over the PLAINTEXT listener (issue 7): kcat and
// confluent-kafka (librdkafka), kafkajs, @platformatic/kafka and kafka-python produce and read back, and
// what they wrote is what REST reads. Consumer groups have their own tests (kafka-groups.test.ts): the
// consumers here assign partitions themselves (or fetch without a group).
//
// The command-line clients come from Debian (kcat, python3-confluent-kafka, python3-kafka; .ci/run
// installs them). Without one, a test is skipped with the reason printed, except under CI=true, where a
// missing client fails the test: CI must run every client.
import { execFile } from 'node:child_process';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  createReplicatedTopic,
  kafkaBootstrap,
  PYTHON,
  requireClient,
  run,
  useKafkaTestCluster,
} from './kafka-client-tools.ts';
import { type ProcessCluster, waitFor } from './process-cluster.ts';

let cluster: ProcessCluster;
useKafkaTestCluster((started) => {
  cluster = started;
});

const bootstrap = (id = 1): string => kafkaBootstrap(cluster, id);

const createTopic = (name: string, partitions: number): Promise<void> =>
  createReplicatedTopic(cluster, name, partitions);

interface RestRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** Every record of a partition through REST (the group-less v2 read), keys and values as text. */
async function readThroughRest(via: number, topic: string, partition: number): Promise<RestRecord[]> {
  const records: RestRecord[] = [];
  for (let offset = 0; ; ) {
    const response = await request(
      `http://127.0.0.1:${cluster.node(via).clientPort}/topics/${topic}/partitions/${partition}/records?offset=${offset}&timeout=200`,
      { headers: { accept: 'application/vnd.kafka.binary.v2+json' } },
    );
    const body = (await response.body.json()) as Array<{
      offset: number;
      key: string | null;
      value: string | null;
    }>;
    expect(response.statusCode, JSON.stringify(body)).toBe(200);
    if (body.length === 0) return records;
    for (const record of body) {
      const text = (base64: string | null) =>
        base64 === null ? null : Buffer.from(base64, 'base64').toString('utf8');
      records.push({ offset: record.offset, key: text(record.key), value: text(record.value) });
      offset = record.offset + 1;
    }
  }
}

describe('Kafka clients over the PLAINTEXT listener (real processes)', () => {
  it('kcat: -L lists the three brokers at their Kafka ports; produce and consume; REST reads the same records', async (context) => {
    await requireClient(context, 'kcat', () => run('kcat', ['-V']));
    const { stdout: listed } = await run('kcat', ['-b', bootstrap(2), '-L', '-J'], { timeout: 20_000 });
    const metadata = JSON.parse(listed) as { brokers: Array<{ id: number; name: string }> };
    expect(metadata.brokers.map((broker) => [broker.id, broker.name]).sort()).toEqual(
      [1, 2, 3].map((id) => [id, bootstrap(id)]),
    );

    await createTopic('kcat-orders', 3);
    const produced = execFile('kcat', ['-b', bootstrap(1), '-P', '-t', 'kcat-orders', '-p', '1', '-K:'], {
      timeout: 20_000,
    });
    produced.stdin?.end('alice:1\nbob:2\ncarol:3\n');
    await new Promise<void>((resolve, reject) =>
      produced.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat -P exited ${code}`)))),
    );
    const { stdout: consumed } = await run(
      'kcat',
      ['-b', bootstrap(3), '-C', '-t', 'kcat-orders', '-p', '1', '-o', 'beginning', '-e', '-f', '%k=%s@%o\n'],
      { timeout: 20_000 },
    );
    expect(consumed.trim().split('\n')).toEqual(['alice=1@0', 'bob=2@1', 'carol=3@2']);
    const metrics = await request(`http://127.0.0.1:${cluster.node(2).clientPort}/metrics`);
    expect(await metrics.body.text()).toMatch(
      /kraftling_kafka_requests_total\{api="Metadata",outcome="response"\} [1-9]/,
    );
    expect(await readThroughRest(2, 'kcat-orders', 1)).toEqual([
      { offset: 0, key: 'alice', value: '1' },
      { offset: 1, key: 'bob', value: '2' },
      { offset: 2, key: 'carol', value: '3' },
    ]);
  });

  it('kcat: batches in every compression codec are stored as sent and read back, through REST too', async (context) => {
    await requireClient(context, 'kcat', () => run('kcat', ['-V']));
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `kcat-${codec}`;
      const produced = execFile('kcat', ['-b', bootstrap(2), '-P', '-t', topic, '-K:', '-z', codec], {
        timeout: 20_000,
      });
      produced.stdin?.end(`k1:${codec}-1\nk2:${codec}-2\n`);
      await new Promise<void>((resolve, reject) =>
        produced.on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`kcat -P -z ${codec} exited ${code}`)),
        ),
      );
      const { stdout } = await run(
        'kcat',
        ['-b', bootstrap(1), '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k=%s@%o\n'],
        { timeout: 20_000 },
      );
      expect(stdout.trim().split('\n'), codec).toEqual([`k1=${codec}-1@0`, `k2=${codec}-2@1`]);
      expect(await readThroughRest(3, topic, 0), codec).toEqual([
        { offset: 0, key: 'k1', value: `${codec}-1` },
        { offset: 1, key: 'k2', value: `${codec}-2` },
      ]);
    }
  });

  it('kafkajs: admin creates, grows and deletes topics; keyed records land where REST (murmur2) puts them', async () => {
    const kafka = new Kafka({ clientId: 'it-kafkajs', brokers: [bootstrap(1)], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await admin.connect();
    await producer.connect();
    try {
      expect(
        await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 3, replicationFactor: 3 }] }),
      ).toBe(true);
      const keys = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
      const sent = await producer.send({
        topic: 'kjs',
        acks: -1,
        messages: keys.map((key) => ({ key, value: `from-kafkajs-${key}` })),
      });
      expect(sent.every((result) => result.errorCode === 0)).toBe(true);
      const offsets = await admin.fetchTopicOffsets('kjs');
      expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(keys.length);

      // REST's produce picks the partition of a key with Kafka's murmur2, as kafkajs's default partitioner.
      const viaRest = await cluster.http(2, 'POST', `${cluster.topicsPath()}/kjs/records`, {
        key: { type: 'STRING', data: 'alice' },
        value: { type: 'STRING', data: 'from-rest-alice' },
      });
      expect(viaRest.status, JSON.stringify(viaRest.body)).toBe(200);
      const alicePartition = viaRest.body.partition_id as number;
      const records = await readThroughRest(3, 'kjs', alicePartition);
      expect(records.filter((record) => record.key === 'alice').map((record) => record.value)).toEqual([
        'from-kafkajs-alice',
        'from-rest-alice',
      ]);
      const everything = (await Promise.all([0, 1, 2].map((p) => readThroughRest(1, 'kjs', p)))).flat();
      expect(
        everything
          .filter((record) => record.value?.startsWith('from-kafkajs-'))
          .map((r) => r.key)
          .sort(),
      ).toEqual([...keys].sort());

      await admin.createPartitions({ topicPartitions: [{ topic: 'kjs', count: 5 }] });
      await waitFor('kjs with 5 partitions', async () => {
        const described = await admin.fetchTopicMetadata({ topics: ['kjs'] });
        return described.topics[0]?.partitions.length === 5;
      });
      await admin.deleteTopics({ topics: ['kjs'] });
      // Answered once the controller's node sees it; another broker's image may follow a moment later.
      await waitFor('kjs gone from every broker', async () => !(await admin.listTopics()).includes('kjs'));
      const cluster1 = await admin.describeCluster();
      expect(cluster1.brokers.map((broker) => broker.nodeId).sort()).toEqual([1, 2, 3]);
      expect(cluster1.clusterId).toBe(cluster.clusterId);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('@platformatic/kafka (flexible versions): create, produce, list offsets and fetch without a group', async () => {
    const bootstrapBrokers = [bootstrap(3)];
    const admin = new Admin({ clientId: 'it-platformatic', bootstrapBrokers });
    const producer = new Producer({
      clientId: 'it-platformatic',
      bootstrapBrokers,
      serializers: stringSerializers,
    });
    const consumer = new Consumer({
      clientId: 'it-platformatic',
      groupId: 'unused',
      bootstrapBrokers,
      deserializers: stringDeserializers,
    });
    try {
      await admin.createTopics({ topics: ['plat'], partitions: 2, replicas: 3 });
      await waitFor('plat has leaders', async () => {
        const metadata = await consumer.metadata({ topics: ['plat'], forceUpdate: true });
        return metadata.topics.get('plat')?.partitions.every((partition) => partition.leader >= 1);
      });
      await producer.send({
        acks: -1,
        messages: [
          { topic: 'plat', key: 'k1', value: 'first', partition: 1 },
          { topic: 'plat', key: 'k2', value: 'second', partition: 1 },
        ],
      });
      const offsets = await consumer.listOffsets({ topics: ['plat'] });
      expect(offsets.get('plat')).toEqual([0n, 2n]);
      const metadata = await consumer.metadata({ topics: ['plat'] });
      const topic = metadata.topics.get('plat')!;
      const fetched = await consumer.fetch({
        node: topic.partitions[1]!.leader,
        topics: [
          {
            topicId: topic.id,
            partitions: [
              {
                partition: 1,
                currentLeaderEpoch: -1,
                fetchOffset: 0n,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1 << 20,
              },
            ],
          },
        ],
      });
      const partition = fetched.responses[0]!.partitions[0]!;
      expect(partition.errorCode).toBe(0);
      expect(partition.highWatermark).toBe(2n);
      expect(await readThroughRest(1, 'plat', 1)).toEqual([
        { offset: 0, key: 'k1', value: 'first' },
        { offset: 1, key: 'k2', value: 'second' },
      ]);
    } finally {
      await producer.close();
      await consumer.close();
      await admin.close();
    }
  });

  it('confluent-kafka (librdkafka, zstd): produce to an auto-created topic and consume by assignment', async (context) => {
    await requireClient(context, 'python3-confluent-kafka', () =>
      run(PYTHON, ['-c', 'import confluent_kafka']),
    );
    const script = `
import json, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
producer = Producer({'bootstrap.servers': bootstrap, 'compression.type': 'zstd', 'acks': 'all'})
delivered = []
for i in range(20):
    producer.produce(topic, key=b'ck-%d' % i, value=b'value-%d' % i, partition=0,
                     on_delivery=lambda error, message: delivered.append(None if error else message.offset()))
producer.flush(30)
consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused', 'enable.auto.commit': False})
consumer.assign([TopicPartition(topic, 0, 0)])
consumed = []
deadline = time.time() + 30
while len(consumed) < 20 and time.time() < deadline:
    message = consumer.poll(1.0)
    if message is None or message.error():
        continue
    consumed.append([message.offset(), message.key().decode(), message.value().decode()])
consumer.close()
print(json.dumps({'delivered': delivered, 'consumed': consumed}))
`;
    const { stdout } = await run(PYTHON, ['-c', script, bootstrap(2), 'confluent-auto'], { timeout: 60_000 });
    const result = JSON.parse(stdout) as {
      delivered: Array<number | null>;
      consumed: Array<[number, string, string]>;
    };
    const expected = Array.from({ length: 20 }, (_, i) => [i, `ck-${i}`, `value-${i}`]);
    expect(result.delivered.sort((a, b) => (a ?? -1) - (b ?? -1))).toEqual(
      expected.map(([offset]) => offset),
    );
    expect(result.consumed).toEqual(expected);
    const viaRest = await readThroughRest(3, 'confluent-auto', 0);
    expect(viaRest.map((record) => [record.offset, record.key, record.value])).toEqual(expected);
  });

  it('kafka-python (gzip): produce and consume by assignment', async (context) => {
    await requireClient(context, 'python3-kafka', () => run(PYTHON, ['-c', 'import kafka']));
    await createTopic('kafka-python', 1);
    const script = `
import json, sys
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
# retries: kafka-python's default is none; a node whose image lags (a loaded machine) answers the
# retriable UNKNOWN_TOPIC_OR_PARTITION for a topic just created, as Kafka may.
producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type='gzip', acks='all', retries=5, max_in_flight_requests_per_connection=1)
futures = [producer.send(topic, key=b'kp-%d' % i, value=b'value-%d' % i) for i in range(10)]
producer.flush()
sent = [future.get(30).offset for future in futures]
consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, consumer_timeout_ms=5000)
partition = TopicPartition(topic, 0)
consumer.assign([partition])
consumer.seek_to_beginning(partition)
consumed = [[m.offset, m.key.decode(), m.value.decode()] for m in consumer]
print(json.dumps({'sent': sent, 'consumed': consumed}))
`;
    const { stdout } = await run(PYTHON, ['-c', script, bootstrap(1), 'kafka-python'], { timeout: 60_000 });
    const result = JSON.parse(stdout) as { sent: number[]; consumed: Array<[number, string, string]> };
    const expected = Array.from({ length: 10 }, (_, i) => [i, `kp-${i}`, `value-${i}`]);
    expect(result.sent).toEqual(expected.map(([offset]) => offset));
    expect(result.consumed).toEqual(expected);
    const viaRest = await readThroughRest(2, 'kafka-python', 0);
    expect(viaRest.map((record) => [record.offset, record.key, record.value])).toEqual(expected);
  });

  it('confluent-kafka, idempotent (InitProducerId): produce goes on through kill -9 of the leader (NOT_LEADER_OR_FOLLOWER, metadata refresh); nothing lost, nothing duplicated', async (context) => {
    await requireClient(context, 'python3-confluent-kafka', () =>
      run(PYTHON, ['-c', 'import confluent_kafka']),
    );
    await createTopic('failover', 1);
    const leader = (await cluster.partitions(1, 'failover'))[0]!.leader_id;
    const survivors = [1, 2, 3].filter((id) => id !== leader);
    const script = `
import json, sys, time
from confluent_kafka import Producer
producer = Producer({'bootstrap.servers': sys.argv[1], 'acks': 'all', 'linger.ms': 5, 'enable.idempotence': True})
acked = []
failed = []
def report(error, message):
    if error is None:
        acked.append([message.offset(), message.value().decode()])
    else:
        failed.append(str(error))
for i in range(300):
    producer.produce('failover', value=b'value-%d' % i, partition=0, on_delivery=report)
    producer.poll(0)
    time.sleep(0.01)
producer.flush(60)
print(json.dumps({'acked': acked, 'failed': failed}))
`;
    const producing = run(PYTHON, ['-c', script, survivors.map(bootstrap).join(',')], { timeout: 90_000 });
    await waitFor(
      'some records acknowledged before the kill',
      async () => (await readThroughRest(survivors[0]!, 'failover', 0)).length >= 50,
    );
    await cluster.stop(leader, 'SIGKILL');
    const { stdout } = await producing;
    const result = JSON.parse(stdout) as { acked: Array<[number, string]>; failed: string[] };
    expect(result.failed).toEqual([]);
    expect(new Set(result.acked.map(([, value]) => value)).size).toBe(300);
    // REST reads through the new leader once the survivors' images show it.
    const records = await waitFor('the partition readable after failover', () =>
      readThroughRest(survivors[1]!, 'failover', 0),
    );
    const stored = new Map(records.map((record) => [record.offset, record.value]));
    for (const [offset, value] of result.acked) expect(stored.get(offset), `offset ${offset}`).toBe(value);
    // Idempotence: a batch retried across the failover is answered with its first offsets, not written twice.
    expect(records.map((record) => record.value)).toEqual(
      Array.from({ length: 300 }, (_, i) => `value-${i}`),
    );
    cluster.start(leader);
    await cluster.waitReady();
  }, 120_000);
});
