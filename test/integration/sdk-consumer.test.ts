import { afterEach, describe, expect, it } from 'vitest';
import { Consumer, type ConsumerRecord, KafkaError, Producer } from '../../src/client/index.ts';
import { createReplicatedTopic, useKafkaTestCluster } from './kafka-client-tools.ts';
import type { ProcessCluster } from './process-cluster.ts';

// The SDK consumer on real nodes: groups (assignment by the coordinator, rebalances, commits, resuming at
// the committed offsets), manual assignment with seek, auto.offset.reset, and consuming through the
// kill -9 of a partition leader and of the node it bootstrapped from.

let cluster: ProcessCluster;
useKafkaTestCluster((started) => {
  cluster = started;
});

const open: (Consumer | Producer)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((client) => client.close().catch(() => undefined)));
});

const origin = (id: number) => `http://127.0.0.1:${cluster.node(id).clientPort}`;

function consumer(options: Partial<ConstructorParameters<typeof Consumer>[0]> = {}): Consumer {
  const created = new Consumer({
    bootstrap: origin(1),
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 200,
    sessionTimeoutMs: 6_000,
    fetchMaxWaitMs: 200,
    requestTimeoutMs: 10_000,
    ...options,
  });
  open.push(created);
  return created;
}

async function produce(topic: string, from: number, to: number, bootstrap = origin(1)): Promise<void> {
  const producer = new Producer({ bootstrap, lingerMs: 2, deliveryTimeoutMs: 60_000 });
  open.push(producer);
  const sends: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) sends.push(producer.send({ topic, key: `k-${i % 50}`, value: `v-${i}` }));
  await Promise.all(sends);
  await producer.close();
}

/** Polls until `count` records came (or the deadline passes: the test fails with what came). */
async function pollUntil(
  consumers: readonly Consumer[],
  count: number,
  into: ConsumerRecord[] = [],
  deadlineMs = 60_000,
): Promise<ConsumerRecord[]> {
  const deadline = Date.now() + deadlineMs;
  while (into.length < count && Date.now() < deadline)
    for (const c of consumers) into.push(...(await c.poll(100)));
  expect(into.length).toBe(count);
  return into;
}

/** Per partition, the offsets come in order without a gap, from `from`. */
function expectContiguous(records: readonly ConsumerRecord[], from = 0): void {
  const next = new Map<number, number>();
  for (const record of records) {
    expect(record.offset, `${record.topic}-${record.partition}`).toBe(next.get(record.partition) ?? from);
    next.set(record.partition, record.offset + 1);
  }
}

const valuesOf = (records: readonly ConsumerRecord[]) =>
  records.map((r) => r.value!.toString('utf8')).sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `v-${from + i}`);

describe('SDK consumer on a 3-node cluster', () => {
  it('a group member reads every partition, commits, and a new member resumes at the commits', async () => {
    await createReplicatedTopic(cluster, 'orders', 6);
    await produce('orders', 0, 3000);
    const first = consumer({ groupId: 'g1', enableAutoCommit: false });
    await first.subscribe(['orders']);
    expect(first.assignment()).toHaveLength(6);
    const records = await pollUntil([first], 3000);
    expectContiguous(records);
    expect(valuesOf(records)).toEqual(range(0, 3000));
    expect(records[0]!.key?.toString('utf8')).toMatch(/^k-/);
    await first.commit();
    const committed = await first.committed(first.assignment());
    expect(committed.reduce((sum, c) => sum + c.offset, 0)).toBe(3000);
    await first.close();

    await produce('orders', 3000, 3100);
    const second = consumer({ groupId: 'g1' });
    await second.subscribe(['orders']);
    const more = await pollUntil([second], 100);
    expect(valuesOf(more)).toEqual(range(3000, 3100));
    // Nothing more: the commits were where the first member left off.
    expect(await second.poll(500)).toEqual([]);
    await second.close(); // auto commit on close
    const check = consumer({ groupId: 'g1' });
    const after = await check.committed(
      Array.from({ length: 6 }, (_, partition) => ({ topic: 'orders', partition })),
    );
    expect(after.reduce((sum, c) => sum + c.offset, 0)).toBe(3100);
  }, 120_000);

  it('two members share the partitions; when one leaves the other takes them all', async () => {
    await createReplicatedTopic(cluster, 'shared', 4);
    const a = consumer({ groupId: 'g2' });
    const b = consumer({ groupId: 'g2' });
    await a.subscribe(['shared']);
    await b.subscribe(['shared']);
    // b's join moved the group to a new generation; a learns its share from its next heartbeat.
    const deadline = Date.now() + 20_000;
    while (a.assignment().length !== 2 && Date.now() < deadline) await a.poll(100);
    const owned = [...a.assignment(), ...b.assignment()].map((tp) => tp.partition).sort();
    expect(owned).toEqual([0, 1, 2, 3]);
    await produce('shared', 0, 400);
    const records = await pollUntil([a, b], 400);
    expect(valuesOf(records)).toEqual(range(0, 400));
    await b.close();
    while (a.assignment().length !== 4 && Date.now() < deadline + 20_000) await a.poll(100);
    expect(a.assignment()).toHaveLength(4);
    await produce('shared', 400, 500);
    // b committed what it read on close: a goes on from there, so nothing comes twice.
    const rest = await pollUntil([a], 100);
    expect(valuesOf(rest)).toEqual(range(400, 500));
  }, 120_000);

  it('assign and seek without a group; auto.offset.reset latest and none', async () => {
    await createReplicatedTopic(cluster, 'manual', 2);
    await produce('manual', 0, 200);
    const manual = consumer({ autoOffsetReset: 'latest' });
    manual.assign([{ topic: 'manual', partition: 0 }]);
    expect(await manual.poll(300)).toEqual([]);
    const end = manual.position({ topic: 'manual', partition: 0 })!;
    expect(end).toBeGreaterThan(0);
    manual.seek({ topic: 'manual', partition: 0, offset: end - 5 });
    const tail = await pollUntil([manual], 5);
    expect(tail.map((r) => r.offset)).toEqual([end - 5, end - 4, end - 3, end - 2, end - 1]);
    expect(() => manual.seek({ topic: 'manual', partition: 1, offset: 0 })).toThrow(/No current assignment/);
    expect(await manual.partitionsFor('manual')).toEqual([0, 1]);
    await expect(manual.partitionsFor('no-such-topic')).rejects.toMatchObject({
      errorName: 'UNKNOWN_TOPIC_OR_PARTITION',
    });
    await manual.seekToBeginning([{ topic: 'manual', partition: 0 }]);
    const again = await pollUntil([manual], end);
    expect(again.map((r) => r.offset)).toEqual(Array.from({ length: end }, (_, i) => i));
    await manual.seekToEnd([{ topic: 'manual', partition: 0 }]);
    expect(manual.position({ topic: 'manual', partition: 0 })).toBe(end);
    expect(await manual.poll(300)).toEqual([]);
    await expect(manual.commit()).rejects.toThrow(KafkaError);

    const strict = consumer({ groupId: 'never-committed', autoOffsetReset: 'none' });
    await strict.subscribe(['manual']);
    await expect(strict.poll(300)).rejects.toMatchObject({ errorName: 'OFFSET_OUT_OF_RANGE' });
  }, 60_000);

  it('keeps consuming, without a gap, through the kill -9 of a partition leader and of its bootstrap node', async () => {
    await createReplicatedTopic(cluster, 'through', 3);
    await produce('through', 0, 600);
    const reader = consumer({ groupId: 'g3', requestTimeoutMs: 5_000 });
    await reader.subscribe(['through']);
    const records = await pollUntil([reader], 600);
    // Node 1 is the bootstrap node; it leads one of the partitions too.
    await cluster.stop(1, 'SIGKILL');
    await produce('through', 600, 1200, origin(2));
    await pollUntil([reader], 1200, records, 90_000);
    expectContiguous(records);
    expect(valuesOf(records)).toEqual(range(0, 1200));
    await reader.commit();
    cluster.start(1);
    await cluster.waitReady(60_000);
  }, 180_000);
});
