// Consumer groups over the Kafka protocol with real clients against real processes (issue 7): kafkajs,
// confluent-kafka (librdkafka) and kafka-python consumers in groups that rebalance and commit, and a
// group shared by a REST v2 consumer instance and a kafkajs consumer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Admin as PlatAdmin,
  Consumer as PlatConsumer,
  Producer as PlatProducer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { Kafka, type Consumer as KafkaJsConsumer, logLevel, Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { consumerGroupsMain } from '../../src/cli/consumer-groups.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';
import {
  createReplicatedTopic,
  kafkaBootstrap,
  PYTHON,
  requireClient,
  run,
  useKafkaTestCluster,
} from './kafka-client-tools.ts';
import { type ProcessCluster, waitFor } from './process-cluster.ts';
import { createConsumer, poll, v2 } from './v2-consumer.ts';

/** Debian's Go packages live in GOPATH /usr/share/gocode (no modules, no network). */
const GO_ENV = {
  ...process.env,
  GOPATH: '/usr/share/gocode',
  GO111MODULE: 'off',
  GOCACHE: join(tmpdir(), 'go-build-cache'),
};
const SARAMA_SOURCE = fileURLToPath(new URL('./clients/sarama/', import.meta.url));

let cluster: ProcessCluster;
useKafkaTestCluster((started) => {
  cluster = started;
});

const bootstrap = (id = 1): string => kafkaBootstrap(cluster, id);

function kafkaJs(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap(1), bootstrap(2)], logLevel: logLevel.NOTHING });
}

const createTopic = (name: string, partitions: number): Promise<void> =>
  createReplicatedTopic(cluster, name, partitions);

async function produce(topic: string, values: readonly string[]): Promise<void> {
  const producer = kafkaJs('producer').producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: value, value })) });
  await producer.disconnect();
}

/** The group's members and their partitions, as DescribeGroups answers (assignments decoded). */
async function describeGroup(groupId: string) {
  const admin = kafkaJs('admin').admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0]!;
    return {
      state: group.state,
      protocol: group.protocol,
      members: group.members.map((member) => ({
        memberId: member.memberId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        partitions: (consumerProtocol.decodeAssignment(member.memberAssignment) ?? [])
          .map(({ topic, partition }) => `${topic}-${partition}`)
          .sort(),
      })),
    };
  } finally {
    await admin.disconnect();
  }
}

describe('consumer groups over the Kafka protocol (real processes)', () => {
  it('kafkajs: two consumers split the partitions, every record is consumed, offsets are committed; one leaves and the other takes all', async () => {
    await createTopic('kjs-group', 4);
    const values = Array.from({ length: 40 }, (_, i) => `a-${i}`);
    await produce('kjs-group', values);
    const seen = new Map<string, string>();
    const consumers: KafkaJsConsumer[] = [];
    const start = async (name: string) => {
      const consumer = kafkaJs(name).consumer({
        groupId: 'kjs',
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
      });
      await consumer.connect();
      await consumer.subscribe({ topic: 'kjs-group', fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.set(message.value!.toString(), name);
        },
      });
      consumers.push(consumer);
      return consumer;
    };
    const first = await start('kjs-1');
    await waitFor('the first consumer to read every record', () => seen.size === values.length, 30_000);
    await start('kjs-2');
    const split = await waitFor(
      'both consumers to own partitions',
      async () => {
        const group = await describeGroup('kjs');
        return group.state === 'Stable' &&
          group.members.length === 2 &&
          group.members.every((member) => member.partitions.length === 2)
          ? group
          : undefined;
      },
      30_000,
    );
    expect(split.protocol).toBe('RoundRobinAssigner');
    expect(split.members.flatMap((member) => member.partitions).sort()).toEqual([
      'kjs-group-0',
      'kjs-group-1',
      'kjs-group-2',
      'kjs-group-3',
    ]);
    expect(split.members.map((member) => member.clientId).sort()).toEqual(['kjs-1', 'kjs-2']);
    expect(split.members.every((member) => member.clientHost === '/127.0.0.1')).toBe(true);
    // The CLI, given the Kafka listener's address as Kafka's tools are, shows the protocol's members.
    const io = bufferedIo();
    expect(
      await consumerGroupsMain(
        ['--bootstrap-server', bootstrap(3), '--describe', '--group', 'kjs', '--members'],
        io,
      ),
      io.stderr.join('\n'),
    ).toBe(0);
    const rows = io.stdout.filter((line) => line.startsWith('kjs '));
    expect(rows.map((line) => line.split(/\s+/)[3]).sort()).toEqual(['kjs-1', 'kjs-2']);
    expect(rows.every((line) => line.split(/\s+/)[2] === '/127.0.0.1')).toBe(true);
    const more = Array.from({ length: 40 }, (_, i) => `b-${i}`);
    await produce('kjs-group', more);
    await waitFor(
      'both consumers to read the new records',
      () => more.every((value) => seen.has(value)),
      30_000,
    );
    expect(new Set(more.map((value) => seen.get(value)))).toEqual(new Set(['kjs-1', 'kjs-2']));
    await first.disconnect(); // LeaveGroup: the other consumer takes every partition
    const alone = await waitFor(
      'the remaining consumer to own every partition',
      async () => {
        const group = await describeGroup('kjs');
        return group.state === 'Stable' &&
          group.members.length === 1 &&
          group.members[0]!.partitions.length === 4
          ? group
          : undefined;
      },
      30_000,
    );
    expect(alone.members[0]!.clientId).toBe('kjs-2');
    const admin = kafkaJs('admin').admin();
    await admin.connect();
    const committed = await waitFor(
      'kafkajs to commit every partition to its end',
      async () => {
        const [topic] = await admin.fetchOffsets({ groupId: 'kjs', topics: ['kjs-group'] });
        const total = topic!.partitions.reduce((sum, { offset }) => sum + Math.max(Number(offset), 0), 0);
        return total === 80 ? topic!.partitions : undefined;
      },
      30_000,
    );
    expect(committed).toHaveLength(4);
    await Promise.all(consumers.slice(1).map((consumer) => consumer.disconnect()));
    // The group is empty now: it can be deleted, and is gone from the list.
    await waitFor('the group to be empty', async () => (await describeGroup('kjs')).state === 'Empty');
    await admin.deleteGroups(['kjs']);
    const listed = await admin.listGroups();
    expect(listed.groups.map((group) => group.groupId)).not.toContain('kjs');
    await admin.disconnect();
  });

  it('a group shared by a REST v2 consumer instance and a kafkajs consumer: disjoint assignments covering the topic, offsets shared', async () => {
    await createTopic('shared-topic', 4);
    const rest = await createConsumer(cluster, 2, 'rest-1', { group: 'shared', topic: 'shared-topic' });
    const restAssignment = async () => {
      const answer = await v2(cluster, rest.node, 'GET', `${rest.path}/assignments`);
      return (answer.body as { partitions: Array<{ partition: number }> }).partitions
        .map((p) => p.partition)
        .sort();
    };
    // Alone in its group it gets the whole topic (once the coordinator's image has the new topic).
    await waitFor(
      'the REST instance to own the whole topic',
      async () => {
        await poll(cluster, rest);
        return (await restAssignment()).length === 4;
      },
      30_000,
    );
    const consumer = kafkaJs('kjs-shared').consumer({
      groupId: 'shared',
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'shared-topic', fromBeginning: true });
    const seenByKafka = new Set<string>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        seenByKafka.add(message.value!.toString());
      },
    });
    const group = await waitFor(
      'the REST instance and the kafkajs consumer to share the topic',
      async () => {
        await poll(cluster, rest); // the REST instance's heartbeat
        const described = await describeGroup('shared');
        return described.state === 'Stable' &&
          described.members.length === 2 &&
          described.members.every((member) => member.partitions.length === 2)
          ? described
          : undefined;
      },
      30_000,
    );
    expect(group.members.flatMap((member) => member.partitions).sort()).toEqual([
      'shared-topic-0',
      'shared-topic-1',
      'shared-topic-2',
      'shared-topic-3',
    ]);
    const restMember = group.members.find((member) => member.clientId === 'rest-1')!;
    // The REST instance learns its assignment on its next poll (its heartbeat) once the leader assigned.
    const expected = restMember.partitions.map((key) => Number(key.split('-').at(-1)));
    await waitFor(
      'the REST instance to hold the partitions the group gave it',
      async () => {
        await poll(cluster, rest);
        return JSON.stringify(await restAssignment()) === JSON.stringify(expected);
      },
      30_000,
    );
    // Records go to both: REST reads its partitions, kafkajs the others.
    const values = Array.from({ length: 40 }, (_, i) => `s-${i}`);
    await produce('shared-topic', values);
    const seenByRest = new Set<string>();
    await waitFor(
      'every record to be read by one of them',
      async () => {
        for (const value of await poll(cluster, rest)) seenByRest.add(value);
        return values.every((value) => seenByRest.has(value) || seenByKafka.has(value));
      },
      30_000,
    );
    expect(seenByRest.size).toBeGreaterThan(0);
    expect(seenByKafka.size).toBeGreaterThan(0);
    // A REST commit is seen through the protocol.
    const committed = await v2(cluster, rest.node, 'POST', `${rest.path}/offsets`);
    expect(committed.status, JSON.stringify(committed.body)).toBe(200);
    const admin = kafkaJs('admin').admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: 'shared', topics: ['shared-topic'] });
    for (const partition of restMember.partitions.map((key) => Number(key.split('-').at(-1)))) {
      expect(Number(offsets!.partitions.find((p) => p.partition === partition)!.offset)).toBeGreaterThan(0);
    }
    await admin.disconnect();
    await consumer.disconnect();
    await waitFor(
      'the REST instance to own the whole topic again',
      async () => {
        await poll(cluster, rest);
        return (await restAssignment()).length === 4;
      },
      30_000,
    );
    expect((await v2(cluster, rest.node, 'DELETE', rest.path)).status).toBe(204);
  });

  it('confluent-kafka (librdkafka): range and cooperative-sticky groups of two consumers read everything once and commit', async (context) => {
    await requireClient(context, 'python3-confluent-kafka', () =>
      run(PYTHON, ['-c', 'import confluent_kafka']),
    );
    const script = `
import json, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
bootstrap, topic, strategy = sys.argv[1], sys.argv[2], sys.argv[3]
producer = Producer({'bootstrap.servers': bootstrap, 'acks': 'all'})
for i in range(60):
    producer.produce(topic, key=b'k%d' % i, value=b'v%d' % i)
producer.flush(30)
def consumer(name):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'ck-' + strategy, 'client.id': name,
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
                  'partition.assignment.strategy': strategy, 'session.timeout.ms': 10000})
    c.subscribe([topic])
    return c
consumers = {'one': consumer('one'), 'two': consumer('two')}
seen = {}
deadline = time.time() + 60
while time.time() < deadline:
    for name, c in consumers.items():
        m = c.poll(0.1)
        if m is not None and not m.error():
            seen.setdefault(m.value().decode(), []).append(name)
    # cooperative-sticky moves partitions in two rebalances: wait until both own some and none is unowned
    owned = sorted(tp.partition for c in consumers.values() for tp in c.assignment())
    # and each owner has consumed to the end of what it owns (a partition that moved is read again by its
    # new owner from the last commit): then every position commits
    positions = sum(max(0, tp.offset) for c in consumers.values() for tp in c.position(c.assignment()))
    if len(seen) == 60 and all(len(c.assignment()) > 0 for c in consumers.values()) and owned == list(range(6)) and positions == 60:
        break
assignments = {name: sorted(tp.partition for tp in c.assignment()) for name, c in consumers.items()}
for c in consumers.values():
    c.commit(asynchronous=False)
committed = consumers['one'].committed([TopicPartition(topic, p) for p in range(6)], timeout=10)
for c in consumers.values():
    c.close()
print(json.dumps({'seen': seen, 'assignments': assignments, 'committed': [tp.offset for tp in committed]}))
`;
    for (const strategy of ['range', 'cooperative-sticky']) {
      const topic = `ck-${strategy}`;
      await createTopic(topic, 6);
      const { stdout } = await run(PYTHON, ['-c', script, bootstrap(3), topic, strategy], {
        timeout: 90_000,
      });
      const result = JSON.parse(stdout) as {
        seen: Record<string, string[]>;
        assignments: Record<string, number[]>;
        committed: number[];
      };
      expect(Object.keys(result.seen), strategy).toHaveLength(60);
      const owned = [...result.assignments.one!, ...result.assignments.two!].sort();
      expect(owned, strategy).toEqual([0, 1, 2, 3, 4, 5]);
      expect(result.assignments.one!.length, strategy).toBeGreaterThan(0);
      expect(
        result.committed.reduce((sum, offset) => sum + offset, 0),
        strategy,
      ).toBe(60);
    }
  });

  it('kafka-python: a group consumer commits; the admin client lists, describes and deletes the group', async (context) => {
    await requireClient(context, 'python3-kafka', () => run(PYTHON, ['-c', 'import kafka']));
    await createTopic('kp-group', 3);
    await produce(
      'kp-group',
      Array.from({ length: 30 }, (_, i) => `kp-${i}`),
    );
    const script = `
import json, sys
from kafka import KafkaConsumer, KafkaAdminClient
bootstrap, topic = sys.argv[1], sys.argv[2]
consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id='kp', auto_offset_reset='earliest',
                         enable_auto_commit=False, consumer_timeout_ms=10000)
values = []
for message in consumer:
    values.append(message.value.decode())
    if len(values) == 30:
        break
consumer.commit()
consumer.close()
admin = KafkaAdminClient(bootstrap_servers=bootstrap)
groups = [g[0] for g in admin.list_consumer_groups()]
described = [(g.group, g.state) for g in admin.describe_consumer_groups(['kp'])]
offsets = sum(o.offset for o in admin.list_consumer_group_offsets('kp').values())
deleted = [str(error.__name__) for _, error in admin.delete_consumer_groups(['kp'])]
after = [g[0] for g in admin.list_consumer_groups()]
print(json.dumps({'values': sorted(values), 'groups': groups, 'described': described, 'offsets': offsets,
                  'deleted': deleted, 'after': after}))
`;
    const { stdout } = await run(PYTHON, ['-c', script, bootstrap(2), 'kp-group'], { timeout: 60_000 });
    const result = JSON.parse(stdout) as {
      values: string[];
      groups: string[];
      described: Array<[string, string]>;
      offsets: number;
      deleted: string[];
      after: string[];
    };
    expect(result.values).toHaveLength(30);
    expect(result.groups).toContain('kp');
    expect(result.described).toEqual([['kp', 'Empty']]);
    expect(result.offsets).toBe(30);
    expect(result.deleted).toEqual(['NoError']);
    expect(result.after).not.toContain('kp');
  });

  it('kafkajs: kill -9 of the group coordinator under a consuming group: the consumer finds the new one, nothing is lost, committed offsets never go back', async () => {
    await createTopic('fo-group', 3);
    const first = Array.from({ length: 30 }, (_, i) => `fo-a-${i}`);
    await produce('fo-group', first);
    const seen = new Set<string>();
    const kafka = new Kafka({
      clientId: 'fo',
      brokers: [1, 2, 3].map((id) => bootstrap(id)),
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: 'fo', sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'fo-group', fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 200,
      eachMessage: async ({ message }) => {
        seen.add(message.value!.toString());
      },
    });
    await waitFor('the first records', () => first.every((value) => seen.has(value)), 30_000);
    const coordinatorOf = async (via: number) => {
      const group = await cluster.get(via, `/v3/clusters/${cluster.clusterId}/consumer-groups/fo`);
      return Number(String(group.body.coordinator.related).split('/').at(-1));
    };
    const coordinator = await coordinatorOf(1);
    const survivor = [1, 2, 3].find((id) => id !== coordinator)!;
    const committedTotal = async () => {
      const answer = await cluster.get(survivor, `/v3/clusters/${cluster.clusterId}/consumer-groups/fo/lags`);
      if (answer.status !== 200) return null;
      return (answer.body.data as Array<{ current_offset: number }>).reduce(
        (sum, lag) => sum + Math.max(lag.current_offset, 0),
        0,
      );
    };
    await waitFor('the first records committed', async () => (await committedTotal()) === 30, 30_000);
    expect(await cluster.stop(coordinator, 'SIGKILL')).not.toBe(0);
    const second = Array.from({ length: 30 }, (_, i) => `fo-b-${i}`);
    const producer = new Kafka({
      clientId: 'fo-producer',
      brokers: [bootstrap(survivor)],
      logLevel: logLevel.NOTHING,
    }).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic: 'fo-group',
      acks: -1,
      messages: second.map((value) => ({ key: value, value })),
    });
    await producer.disconnect();
    await waitFor(
      'the records produced after the kill',
      () => second.every((value) => seen.has(value)),
      60_000,
    );
    let last = 0;
    await waitFor(
      'every record committed, through the new coordinator',
      async () => {
        const total = await committedTotal();
        if (total === null) return false;
        expect(total, 'committed offsets never go back').toBeGreaterThanOrEqual(last);
        last = total;
        return total === 60;
      },
      60_000,
    );
    expect(await coordinatorOf(survivor)).not.toBe(coordinator);
    await consumer.disconnect();
    cluster.start(coordinator);
    await cluster.waitReady(30_000);
  });
  it('sarama (Go, Version 2.1.0): admin creates a topic, produce, a consumer group reads and commits, list and describe', async (context) => {
    await requireClient(context, 'golang-go and golang-github-shopify-sarama-dev', () =>
      run('go', ['list', 'github.com/Shopify/sarama'], { env: GO_ENV }),
    );
    const binary = join(mkdtempSync(join(tmpdir(), 'sarama-')), 'sarama-client');
    await run('go', ['build', '-o', binary, '.'], { cwd: SARAMA_SOURCE, env: GO_ENV, timeout: 240_000 });
    const { stdout } = await run(binary, [bootstrap(2), 'sarama-topic', 'sarama-group'], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ consumed: 30, committed: 30, listed: 'consumer', state: 'Empty' });
  });
  it('@platformatic/kafka (flexible versions): two group consumers split the topic and read everything; admin lists and describes the group', async () => {
    await createTopic('plat-group', 3);
    const brokers = [bootstrap(1), bootstrap(3)];
    const producer = new PlatProducer({
      clientId: 'plat-producer',
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
    });
    await producer.send({
      messages: Array.from({ length: 30 }, (_, i) => ({
        topic: 'plat-group',
        key: `k${i}`,
        value: `p-${i}`,
      })),
    });
    await producer.close();
    const seen = new Set<string>();
    const consumers = await Promise.all(
      ['plat-1', 'plat-2'].map(async (clientId) => {
        const consumer = new PlatConsumer({
          groupId: 'plat',
          clientId,
          bootstrapBrokers: brokers,
          deserializers: stringDeserializers,
        });
        const stream = await consumer.consume({
          autocommit: true,
          topics: ['plat-group'],
          sessionTimeout: 10_000,
          heartbeatInterval: 500,
          mode: 'earliest',
        });
        stream.on('data', (message: { value: string }) => seen.add(message.value));
        return { consumer, stream };
      }),
    );
    await waitFor('every record', () => seen.size === 30, 30_000);
    const admin = new PlatAdmin({ clientId: 'plat-admin', bootstrapBrokers: brokers });
    const described = await waitFor(
      'two members sharing the topic',
      async () => {
        const group = (await admin.describeGroups({ groups: ['plat'] })).get('plat');
        const members = [...(group?.members.values() ?? [])];
        const partitions = members.flatMap((member) =>
          [...(member.assignments?.values() ?? [])].flatMap((assignment) => assignment.partitions),
        );
        return group?.state === 'STABLE' && members.length === 2 && partitions.length === 3
          ? { members, partitions }
          : undefined;
      },
      30_000,
    );
    expect(described.partitions.sort()).toEqual([0, 1, 2]);
    expect(described.members.map((member) => member.clientId).sort()).toEqual(['plat-1', 'plat-2']);
    const listed = await admin.listGroups();
    expect([...listed.values()].find((group) => group.id === 'plat')?.protocolType).toBe('consumer');
    for (const { consumer, stream } of consumers) {
      await stream.close();
      await consumer.close();
    }
    await admin.close();
  });
});
