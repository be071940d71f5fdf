// Issue 6, finding 1, on real processes: a compound crash. The leader L of a partition is killed, another
// replica is elected and acknowledges records, then the two others are killed too, and L restarts
// first, then the others. A restarting node must not act on the metadata image it kept on disk before it
// has caught up with the quorum: L would lead an epoch the controller replaced, and followers whose
// images lag would truncate records acknowledged in the newer epoch. Every acks=all record must survive,
// at its offset. Rounds repeat the schedule because whether an on-disk image lags is up to timing.
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

const ROUNDS = 3;

describe('compound crash (real processes)', () => {
  it('acks=all records survive: leader killed, failover, the rest killed, the old leader restarted first', async () => {
    const c = await ProcessCluster.create({ controllers: 3 });
    cluster = c;
    await c.startAll();
    const created = await c.http(1, 'POST', c.topicsPath(), {
      topic_name: 'ledger',
      partitions_count: 1,
      replication_factor: 3,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const acked: Acked[] = [];
    let sequence = 0;
    const produceThrough = async (nodes: readonly number[], count: number) => {
      for (let i = 0; i < count; i++) {
        const value = `v${sequence++}`;
        const via = nodes[i % nodes.length]!;
        acked.push(
          await waitFor(
            `${value} acknowledged`,
            () => produce(c, via, 'ledger', 0, value).then((r) => r ?? undefined),
            30_000,
          ),
        );
      }
    };

    for (let round = 0; round < ROUNDS; round++) {
      await produceThrough([1, 2, 3], 10);
      const before = (await c.partitions(1, 'ledger'))[0]!;
      const oldLeader = before.leader_id;
      const others = [1, 2, 3].filter((id) => id !== oldLeader);
      await c.stop(oldLeader, 'SIGKILL');
      await waitFor(
        `a new leader of ledger-0 after node ${oldLeader}`,
        async () => {
          const now = (await c.partitions(others[0]!, 'ledger'))[0]!;
          return now.leader_id !== oldLeader && now.leader_id > 0;
        },
        30_000,
      );
      // Acknowledged in the new leader's epoch, by the two replicas left.
      await produceThrough(others, 15);
      for (const id of others) await c.stop(id, 'SIGKILL');
      c.start(oldLeader);
      await waitFor(
        `node ${oldLeader} answers`,
        async () => (await c.get(oldLeader, '/health')).status === 200,
        30_000,
      );
      for (const id of others) c.start(id);
      await c.waitReady(60_000);
      await waitFor(
        'ledger-0 has a leader and a full ISR',
        async () => {
          const now = (await c.partitions(1, 'ledger'))[0]!;
          return now.leader_id > 0 && now.isr.length === 3;
        },
        60_000,
      );
    }

    for (const via of [1, 2, 3]) {
      const records = await waitFor(
        `every acknowledged record readable through node ${via}`,
        async () => {
          const read = await readAll(c, via, 'ledger', 0);
          return read.size >= acked.length ? read : undefined;
        },
        30_000,
      ).catch(() => readAll(c, via, 'ledger', 0));
      const lost = acked.filter((record) => records.get(record.offset) !== record.value);
      expect(
        lost.map((r) => `${r.value}@${r.offset}:${records.get(r.offset) ?? 'missing'}`),
        `via node ${via}`,
      ).toEqual([]);
    }
  }, 300_000);
});
