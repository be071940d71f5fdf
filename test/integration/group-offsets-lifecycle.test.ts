// Issue 6, findings 5 and 7, on real processes, as a user would meet them through the REST API:
// - committed offsets belong to a topic, not to its name: after a topic is deleted and created again, a
//   group reads the new topic from its beginning (Kafka deletes a topic's committed offsets with it);
// - __consumer_offsets is never created with fewer replicas than offsets.topic.replication.factor:
//   while brokers are down, group requests fail (retriably) instead.
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor } from './process-cluster.ts';
import { produce } from './records.ts';
import { commitAll, createConsumer, poll, v2 } from './v2-consumer.ts';

let cluster: ProcessCluster | null = null;

afterEach(async (context) => {
  if (cluster !== null && context.task.result?.state === 'fail') {
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  }
  await cluster?.destroy();
  cluster = null;
});

async function createTopic(c: ProcessCluster, name: string): Promise<void> {
  const created = await c.http(1, 'POST', c.topicsPath(), {
    topic_name: name,
    partitions_count: 1,
    replication_factor: 3,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

describe('committed offsets and the offsets topic (real processes)', () => {
  it('a topic deleted and created again is read from its beginning by a group that committed on the old one', async () => {
    const c = await ProcessCluster.create({
      controllers: 3,
      overrides: { 'offsets.topic.num.partitions': '3' },
    });
    cluster = c;
    await c.startAll();
    await createTopic(c, 'orders');
    for (let i = 0; i < 3; i++) expect(await produce(c, 1, 'orders', 0, `old-${i}`)).not.toBeNull();
    const first = await createConsumer(c, 1, 'first', { group: 'billing', topic: 'orders' });
    const read: string[] = [];
    await waitFor(
      'the old records',
      async () => {
        read.push(...(await poll(c, first)));
        return read.length >= 3;
      },
      30_000,
    );
    await commitAll(c, first);
    expect((await v2(c, 1, 'DELETE', first.path)).status).toBe(204);

    const deleted = await c.http(2, 'DELETE', `${c.topicsPath()}/orders`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    await waitFor('orders gone on every node', async () => {
      for (const id of [1, 2, 3])
        if ((await c.get(id, `${c.topicsPath()}/orders`)).status !== 404) return false;
      return true;
    });
    await createTopic(c, 'orders');
    for (let i = 0; i < 3; i++) {
      const value = `new-${i}`;
      await waitFor(
        `${value} acknowledged`,
        () => produce(c, 2, 'orders', 0, value).then((r) => r ?? undefined),
        30_000,
      );
    }

    const second = await createConsumer(c, 3, 'second', { group: 'billing', topic: 'orders' });
    const fresh: string[] = [];
    await waitFor(
      'the new topic read by the group',
      async () => {
        fresh.push(...(await poll(c, second)));
        return fresh.length >= 3;
      },
      30_000,
    );
    expect(fresh).toEqual(['new-0', 'new-1', 'new-2']);
  }, 120_000);

  it('__consumer_offsets is not created with a reduced replication factor while brokers are down', async () => {
    const c = await ProcessCluster.create({
      controllers: 3,
      overrides: { 'offsets.topic.num.partitions': '3' },
    });
    cluster = c;
    await c.startAll();
    await createTopic(c, 'events');
    expect(await produce(c, 1, 'events', 0, 'e-0')).not.toBeNull();
    // Two of three brokers down; the quorum is lost too, so node 1 cannot create anything. Bring one voter
    // back (quorum, two brokers alive: still fewer than offsets.topic.replication.factor = 3).
    await c.stop(2, 'SIGKILL');
    await c.stop(3, 'SIGKILL');
    c.start(2);
    await waitFor('node 2 ready', async () => (await c.get(2, '/ready')).status === 200, 30_000);
    await waitFor(
      'node 3 fenced',
      async () => {
        const brokers = await c.get(1, `/v3/clusters/${c.clusterId}/brokers`);
        return (
          brokers.status === 200 &&
          brokers.body.data.some((b: { broker_id: number; fenced: boolean }) => b.broker_id === 3 && b.fenced)
        );
      },
      30_000,
    );

    // A group request now: it must fail, not create the offsets topic with 2 replicas.
    const created = await v2(c, 1, 'POST', '/consumers/early', {
      name: 'e1',
      format: 'binary',
      'auto.offset.reset': 'earliest',
    });
    expect(created.status).toBe(200);
    await v2(c, 1, 'POST', '/consumers/early/instances/e1/subscription', { topics: ['events'] });
    const polled = await v2(c, 1, 'GET', '/consumers/early/instances/e1/records?timeout=500');
    const offsetsTopic = await c.get(1, `${c.topicsPath()}/__consumer_offsets/partitions`);
    if (offsetsTopic.status === 200) {
      for (const partition of offsetsTopic.body.data)
        expect(partition.replica_ids.length, JSON.stringify(polled.body)).toBe(3);
    } else {
      expect(offsetsTopic.status).toBe(404);
    }

    c.start(3);
    await c.waitReady(60_000);
    const late = await createConsumer(c, 2, 'late', { group: 'late', topic: 'events' });
    const values: string[] = [];
    await waitFor(
      'the group works once every broker is back',
      async () => {
        values.push(...(await poll(c, late)));
        return values.includes('e-0');
      },
      60_000,
    );
    const partitions = await c.get(1, `${c.topicsPath()}/__consumer_offsets/partitions`);
    expect(partitions.status).toBe(200);
    for (const partition of partitions.body.data) expect(partition.replica_ids.length).toBe(3);
  }, 180_000);
});
