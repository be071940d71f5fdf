// Consumer groups on real processes: REST v2 consumer instances on different nodes share a topic's
// partitions, commit, hand partitions over when one leaves, and resume from committed offsets after the
// group's coordinator is killed (offsets are records in __consumer_offsets, loaded by the new leader).
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor } from './process-cluster.ts';
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

async function produce(c: ProcessCluster, via: number, partition: number, value: string): Promise<void> {
  const answer = await c.http(via, 'POST', `${c.topicsPath()}/events/records`, {
    partition_id: partition,
    value: { type: 'STRING', data: value },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

describe('consumer groups (real processes)', () => {
  it('share partitions, commit, rebalance, and resume from committed offsets after the coordinator dies', async () => {
    cluster = await ProcessCluster.create({
      controllers: 3,
      overrides: { 'offsets.topic.num.partitions': '6' },
    });
    await cluster.startAll();
    const created = await cluster.http(1, 'POST', cluster.topicsPath(), {
      topic_name: 'events',
      partitions_count: 4,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    for (let i = 0; i < 40; i++) await produce(cluster, (i % 3) + 1, i % 4, `first-${i}`);

    const a = await createConsumer(cluster, 1, 'a');
    const b = await createConsumer(cluster, 2, 'b');
    // Both members in one generation with disjoint assignments covering the 4 partitions.
    const groupPath = `/v3/clusters/${cluster.clusterId}/consumer-groups/g1`;
    const seen = new Set<string>();
    await waitFor('two members sharing the four partitions', async () => {
      for (const value of [...(await poll(cluster!, a)), ...(await poll(cluster!, b))]) seen.add(value);
      const consumers = await cluster!.get(3, `${groupPath}/consumers`);
      return consumers.status === 200 && consumers.body.data.length === 2;
    });
    await waitFor('all 40 records consumed by the group', async () => {
      for (const value of [...(await poll(cluster!, a)), ...(await poll(cluster!, b))]) seen.add(value);
      return seen.size === 40;
    });
    await commitAll(cluster, a);
    await commitAll(cluster, b);

    // a leaves: b takes every partition and finds nothing new (the committed offsets are at the end).
    expect((await v2(cluster, 1, 'DELETE', a.path)).status).toBe(204);
    await waitFor('b alone in the group', async () => {
      await poll(cluster!, b);
      const consumers = await cluster!.get(3, `${groupPath}/consumers`);
      return consumers.status === 200 && consumers.body.data.length === 1;
    });
    expect(await poll(cluster, b)).toEqual([]);

    // The coordinator dies: its __consumer_offsets partition gets a new leader, which loads the committed
    // offsets. A new member c on a surviving node (with b, if b's node survived) reads only what comes
    // after them.
    const group = await cluster.get(2, groupPath);
    const coordinator = Number(String(group.body.coordinator.related).split('/').at(-1));
    await cluster.stop(coordinator, 'SIGKILL');
    const survivors = [1, 2, 3].filter((id) => id !== coordinator);
    const c = await createConsumer(cluster, survivors[0]!, 'c');
    const members = coordinator === b.node ? [c] : [b, c];
    for (let i = 0; i < 8; i++) await produce(cluster, survivors[i % 2]!, i % 4, `second-${i}`);
    const after: string[] = [];
    await waitFor(
      'the 8 new records',
      async () => {
        for (const member of members) after.push(...(await poll(cluster!, member)));
        return new Set(after).size >= 8;
      },
      30_000,
    );
    expect([...new Set(after)].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `second-${i}`).sort());
    const survivor = survivors[1]!;
    const lags = await cluster.get(survivor, `${groupPath}/lag-summary`);
    expect(lags.status, JSON.stringify(lags.body)).toBe(200);
  });
});
