// The SDK's Admin on a real 3-node cluster: every method, the Kafka errors users branch on, and failover
// when a node is killed (kill -9) — through the rest of the bootstrap list, and through the brokers an
// admin with one bootstrap node learned.
import { afterEach, describe, expect, it } from 'vitest';
import { Admin, KafkaError, Producer } from '../../src/client/index.ts';
import type { KafkaErrorName } from '../../src/common/kafka-errors.ts';
import { useKafkaTestCluster } from './kafka-client-tools.ts';
import { type ProcessCluster, waitFor } from './process-cluster.ts';
import { createConsumer, poll, v2 } from './v2-consumer.ts';

let cluster: ProcessCluster;
useKafkaTestCluster((started) => {
  cluster = started;
});

const origin = (id: number) => `http://127.0.0.1:${cluster.node(id).clientPort}`;

const opened: Admin[] = [];
function admin(bootstrap: string | string[], requestTimeoutMs = 30_000): Admin {
  const client = new Admin({ bootstrap, requestTimeoutMs });
  opened.push(client);
  return client;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((client) => client.close()));
});

/** The KafkaError `promise` rejects with; the test fails if it resolves or rejects with anything else. */
async function kafkaErrorOf(promise: Promise<unknown>): Promise<KafkaError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`resolved with ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(KafkaError);
  return outcome.error as KafkaError;
}

async function expectKafkaError(promise: Promise<unknown>, name: KafkaErrorName): Promise<void> {
  const error = await kafkaErrorOf(promise);
  expect(error.errorName, error.message).toBe(name);
}

describe('SDK Admin on a 3-node cluster', () => {
  it('describes the cluster; creates, lists, describes, grows and deletes topics', async () => {
    const client = admin([origin(1), origin(2), origin(3)]);
    const description = await client.describeCluster();
    expect(description.clusterId).toBe(cluster.clusterId);
    expect(description.brokers).toEqual(
      [1, 2, 3].map((id) => ({ id, host: '127.0.0.1', port: cluster.node(id).clientPort, rack: null })),
    );
    expect([1, 2, 3]).toContain(description.controller);
    const quorum = await client.describeMetadataQuorum();
    expect([1, 2, 3]).toContain(quorum.leaderId);
    expect(quorum.voters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3]);
    expect(quorum.highWatermark).toBeGreaterThan(0);

    const created = await client.createTopics([
      { topic: 'orders', numPartitions: 3, replicationFactor: 3, configs: { 'retention.ms': '3600000' } },
      // The cluster's num.partitions (1) and default.replication.factor (3).
      { topic: 'defaults' },
      { topic: 'placed', replicaAssignment: { 0: [2, 3], 1: [3, 1] } },
    ]);
    expect(created.map(({ topicId, ...rest }) => rest)).toEqual([
      { topic: 'orders', numPartitions: 3, replicationFactor: 3 },
      { topic: 'defaults', numPartitions: 1, replicationFactor: 3 },
      { topic: 'placed', numPartitions: 2, replicationFactor: 2 },
    ]);
    for (const topic of created) expect(topic.topicId).toMatch(/^[0-9a-f-]{36}$/);
    const dryRun = await client.createTopics([{ topic: 'dry', numPartitions: 2 }], { validateOnly: true });
    expect(dryRun).toEqual([{ topic: 'dry', topicId: null, numPartitions: 2, replicationFactor: 3 }]);
    expect(await client.listTopics()).toEqual(['defaults', 'orders', 'placed']);

    const [orders, placed] = await client.describeTopics(['orders', 'placed']);
    expect(orders).toMatchObject({ name: 'orders', topicId: created[0]!.topicId, internal: false });
    expect(orders!.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of orders!.partitions) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect(p.replicas).toContain(p.leader);
      expect(p.isr.length).toBeGreaterThanOrEqual(2);
    }
    expect(placed!.partitions.map((p) => p.replicas)).toEqual([
      [2, 3],
      [3, 1],
    ]);
    expect(placed!.partitions.map((p) => p.leader)).toEqual([2, 3]);

    await client.createPartitions({ orders: 5 });
    expect((await client.describeTopics(['orders']))[0]!.partitions).toHaveLength(5);

    await expectKafkaError(client.createTopics([{ topic: 'orders' }]), 'TOPIC_ALREADY_EXISTS');
    await expectKafkaError(client.createTopics([{ topic: 't', numPartitions: 0 }]), 'INVALID_PARTITIONS');
    await expectKafkaError(
      client.createTopics([{ topic: 't', replicationFactor: 4 }]),
      'INVALID_REPLICATION_FACTOR',
    );
    await expectKafkaError(
      client.createTopics([{ topic: 't', configs: { 'retention.ms': 'soon' } }]),
      'INVALID_CONFIG',
    );
    await expectKafkaError(client.createTopics([{ topic: 'no spaces' }]), 'INVALID_TOPIC_EXCEPTION');
    await expectKafkaError(
      client.createTopics([{ topic: 't', replicaAssignment: { 0: [1, 1] } }]),
      'INVALID_REPLICA_ASSIGNMENT',
    );
    await expectKafkaError(client.describeTopics(['missing']), 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectKafkaError(client.deleteTopics(['missing']), 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectKafkaError(client.createPartitions({ orders: 4 }), 'INVALID_PARTITIONS');
    await expectKafkaError(client.createPartitions({ orders: 5 }), 'INVALID_PARTITIONS');
    await expectKafkaError(client.createPartitions({ orders: 0 }), 'INVALID_PARTITIONS');
    await expectKafkaError(client.createPartitions({ missing: 3 }), 'UNKNOWN_TOPIC_OR_PARTITION');
    // As Kafka's all(): the first failure, once every topic's request has been carried out.
    await expectKafkaError(
      client.createTopics([{ topic: 'orders' }, { topic: 'beside' }]),
      'TOPIC_ALREADY_EXISTS',
    );
    expect(await client.listTopics()).toEqual(['beside', 'defaults', 'orders', 'placed']);

    await client.deleteTopics(['defaults', 'beside']);
    expect(await client.listTopics()).toEqual(['orders', 'placed']);
    await expectKafkaError(client.describeTopics(['defaults']), 'UNKNOWN_TOPIC_OR_PARTITION');
  }, 120_000);

  it('describes and alters topic configs, all of a request or nothing', async () => {
    const client = admin(origin(2));
    const before = await client.describeConfigs({ topic: 'orders' });
    expect(before['retention.ms']).toMatchObject({
      value: '3600000',
      source: 'DYNAMIC_TOPIC_CONFIG',
      isDefault: false,
      isSensitive: false,
      isReadOnly: false,
    });
    expect(before['cleanup.policy']).toMatchObject({ value: 'delete', isDefault: true });

    await client.incrementalAlterConfigs({
      topic: 'orders',
      set: { 'cleanup.policy': 'compact' },
      delete: ['retention.ms'],
    });
    const after = await client.describeConfigs({ topic: 'orders' });
    expect(after['cleanup.policy']).toMatchObject({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(after['retention.ms']).toMatchObject({ isDefault: true });
    expect(after['retention.ms']!.source).not.toBe('DYNAMIC_TOPIC_CONFIG');

    await client.incrementalAlterConfigs(
      { topic: 'orders', set: { 'segment.ms': '60000' } },
      { validateOnly: true },
    );
    expect((await client.describeConfigs({ topic: 'orders' }))['segment.ms']).toMatchObject({
      isDefault: true,
    });

    await expectKafkaError(
      client.incrementalAlterConfigs({
        topic: 'orders',
        set: { 'segment.ms': '1', 'retention.ms': 'never' },
      }),
      'INVALID_CONFIG',
    );
    await expectKafkaError(
      client.incrementalAlterConfigs({ topic: 'orders', set: { colour: 'blue' } }),
      'INVALID_CONFIG',
    );
    await expectKafkaError(
      client.incrementalAlterConfigs({ topic: 'orders', delete: ['colour'] }),
      'INVALID_CONFIG',
    );
    await expectKafkaError(
      client.incrementalAlterConfigs({ topic: 'missing', set: { 'segment.ms': '60000' } }),
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
    await expectKafkaError(client.describeConfigs({ topic: 'missing' }), 'UNKNOWN_TOPIC_OR_PARTITION');
    // The refused request set segment.ms nowhere.
    expect((await client.describeConfigs({ topic: 'orders' }))['segment.ms']).toMatchObject({
      isDefault: true,
    });
  }, 60_000);

  it('lists partition offsets, and lists, describes, commits for and deletes consumer groups', async () => {
    const producer = new Producer({ bootstrap: origin(1), lingerMs: 1 });
    try {
      // Keyed: the configs test above made 'orders' compacted, which refuses records without a key.
      const sends = [];
      for (let i = 0; i < 10; i++)
        sends.push(producer.send({ topic: 'orders', partition: 0, key: `a${i}`, value: `a${i}` }));
      for (let i = 0; i < 4; i++)
        sends.push(producer.send({ topic: 'orders', partition: 1, key: `b${i}`, value: `b${i}` }));
      await Promise.all(sends);
    } finally {
      await producer.close();
    }
    const client = admin(origin(3));
    expect(
      await client.listOffsets([
        { topic: 'orders', partition: 0, spec: 'earliest' },
        { topic: 'orders', partition: 0, spec: 'latest' },
        { topic: 'orders', partition: 1, spec: 'latest' },
        { topic: 'orders', partition: 2, spec: 'latest' },
      ]),
    ).toEqual([
      { topic: 'orders', partition: 0, offset: 0 },
      { topic: 'orders', partition: 0, offset: 10 },
      { topic: 'orders', partition: 1, offset: 4 },
      { topic: 'orders', partition: 2, offset: 0 },
    ]);
    await expectKafkaError(
      client.listOffsets([{ topic: 'orders', partition: 99, spec: 'latest' }]),
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
    await expectKafkaError(
      client.listOffsets([{ topic: 'missing', partition: 0, spec: 'earliest' }]),
      'UNKNOWN_TOPIC_OR_PARTITION',
    );

    // A group of commits only (kafka-consumer-groups --reset-offsets).
    await client.alterConsumerGroupOffsets('reset', [
      { topic: 'orders', partition: 0, offset: 7 },
      { topic: 'orders', partition: 1, offset: 4 },
    ]);
    expect(await client.listConsumerGroupOffsets('reset')).toEqual([
      { topic: 'orders', partition: 0, offset: 7, logEndOffset: 10, lag: 3 },
      { topic: 'orders', partition: 1, offset: 4, logEndOffset: 4, lag: 0 },
    ]);
    expect(await client.listTopics({ includeInternal: true })).toContain('__consumer_offsets');
    expect(await client.listTopics()).not.toContain('__consumer_offsets');

    // A group with a member: a REST v2 consumer instance, subscribed to orders.
    const consumer = await createConsumer(cluster, 1, 'member-1', { group: 'live', topic: 'orders' });
    try {
      const live = await waitFor(
        'the member of group live assigned every partition of orders',
        async () => {
          await poll(cluster, consumer);
          const [group] = await client.describeGroups(['live']);
          return group?.state === 'STABLE' && group.members[0]?.assignment.length === 5 ? group : undefined;
        },
        30_000,
      );
      expect(live.members).toHaveLength(1);
      expect(live.members[0]!.assignment.map((tp) => tp.topic)).toEqual(Array(5).fill('orders'));
      expect(live.partitionAssignor).not.toBe('');
      expect([1, 2, 3]).toContain(live.coordinator);
      expect(await client.listGroups()).toEqual([
        { groupId: 'live', state: 'STABLE' },
        { groupId: 'reset', state: 'EMPTY' },
      ]);
      const [reset] = await client.describeGroups(['reset']);
      expect(reset).toMatchObject({ groupId: 'reset', state: 'EMPTY', members: [] });

      await expectKafkaError(client.deleteGroups(['live']), 'NON_EMPTY_GROUP');
      await expectKafkaError(client.deleteGroups(['no-such-group']), 'GROUP_ID_NOT_FOUND');
      await expectKafkaError(client.describeGroups(['no-such-group']), 'GROUP_ID_NOT_FOUND');
    } finally {
      expect((await v2(cluster, 1, 'DELETE', consumer.path)).status).toBe(204);
    }

    await client.deleteGroups(['reset']);
    expect((await client.listGroups()).map((g) => g.groupId)).not.toContain('reset');
    await expectKafkaError(client.listConsumerGroupOffsets('reset'), 'GROUP_ID_NOT_FOUND');
  }, 120_000);

  it('fails over when a node is killed: through the bootstrap list and through the brokers it learned', async () => {
    // Learns the brokers from its one bootstrap node, before that node dies.
    const learned = admin(origin(1));
    await learned.createTopics([{ topic: 'before-kill' }]);
    expect(await learned.listTopics()).toContain('before-kill');
    await cluster.stop(1, 'SIGKILL');

    const listed = admin([origin(1), origin(2), origin(3)]);
    expect(await listed.listTopics()).toContain('before-kill');
    // Node 1 may have been the controller: NOT_CONTROLLER is retried until a new one is elected.
    await listed.createTopics([{ topic: 'after-kill', numPartitions: 2, replicationFactor: 2 }]);
    const [afterKill] = await listed.describeTopics(['after-kill']);
    expect(afterKill!.partitions).toHaveLength(2);

    expect(await learned.listTopics()).toEqual(expect.arrayContaining(['after-kill', 'before-kill']));
    await learned.deleteTopics(['after-kill', 'before-kill']);
    await expectKafkaError(learned.describeTopics(['after-kill']), 'UNKNOWN_TOPIC_OR_PARTITION');
    expect(await learned.describeCluster()).toMatchObject({ clusterId: cluster.clusterId });

    // Nothing answers: the call gives up at its deadline.
    const alone = admin(origin(1), 1_500);
    const timedOut = await kafkaErrorOf(alone.listTopics());
    expect(timedOut.errorName).toBe('REQUEST_TIMED_OUT');
    expect(timedOut.message).toContain('no broker could be reached');
  }, 120_000);
});
