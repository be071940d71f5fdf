// The guarantee of design.md §5 on real processes: records acknowledged with acks=all through any node
// survive kill -9 of a partition leader, keep their offsets, and are read back in order from every node.
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor } from './process-cluster.ts';
import { type Acked, produce, readAll } from './records.ts';

let cluster: ProcessCluster | null = null;

afterEach(async (context) => {
  if (cluster !== null && context.task.result?.state === 'fail') {
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  }
  await cluster?.destroy();
  cluster = null;
});

describe('produce and read through any node (real processes)', () => {
  it('acks=all records survive kill -9 of their leader, at their offsets, on every node', async () => {
    cluster = await ProcessCluster.create({ controllers: 3 });
    await cluster.startAll();
    const created = await cluster.http(1, 'POST', cluster.topicsPath(), {
      topic_name: 'ledger',
      partitions_count: 3,
      replication_factor: 3,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const acked: Acked[] = [];
    for (let i = 0; i < 30; i++) {
      const record = await produce(cluster, (i % 3) + 1, 'ledger', i % 3, `before-${i}`);
      expect(record, `record ${i} before the kill`).not.toBeNull();
      acked.push(record!);
    }
    // Offsets in a partition are dense and in produce order.
    for (const partition of [0, 1, 2]) {
      expect(acked.filter((r) => r.partition === partition).map((r) => r.offset)).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
      ]);
    }

    const leader = (await cluster.partitions(1, 'ledger')).find((p) => p.partition_id === 0)!.leader_id;
    await cluster.stop(leader, 'SIGKILL');
    const survivors = [1, 2, 3].filter((id) => id !== leader);
    // Produces keep succeeding once a new leader is elected (min.insync.replicas 2 of the 2 left).
    for (let i = 0; i < 30; i++) {
      const via = survivors[i % 2]!;
      const record = await waitFor(`record after-${i} acknowledged`, () =>
        produce(cluster!, via, 'ledger', i % 3, `after-${i}`).then((r) => r ?? undefined),
      );
      acked.push(record);
    }

    cluster.start(leader);
    await cluster.waitReady();
    await waitFor('the restarted broker back in every ISR', async () =>
      (await cluster!.partitions(1, 'ledger')).every((partition) => partition.isr.length === 3),
    );
    for (const via of [1, 2, 3]) {
      for (const partition of [0, 1, 2]) {
        const offsets = await cluster.get(via, `/topics/ledger/partitions/${partition}/offsets`);
        const last = Math.max(...acked.filter((r) => r.partition === partition).map((r) => r.offset));
        expect(offsets.body.beginning_offset).toBe(0);
        expect(offsets.body.end_offset).toBeGreaterThan(last);
        const records = await readAll(cluster, via, 'ledger', partition);
        for (const record of acked.filter((r) => r.partition === partition)) {
          expect(
            records.get(record.offset),
            `${record.value} at ${partition}/${record.offset} via node ${via}`,
          ).toBe(record.value);
        }
      }
    }
  });
});
