// Acceptance (issue 3): topics are created, listed, described, altered and deleted through any node of
// a real three-node cluster, and every node sees the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor } from './process-cluster.ts';

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.create({ controllers: 3 });
  await cluster.startAll();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('topic administration through any node (real processes)', () => {
  it('creates through one node; every node describes it with leader, replicas and ISR', async () => {
    const created = await cluster.http(2, 'POST', cluster.topicsPath(), {
      topic_name: 'orders',
      partitions_count: 3,
      replication_factor: 3,
      configs: [{ name: 'retention.ms', value: '3600000' }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ topic_name: 'orders', partitions_count: 3, replication_factor: 3 });
    for (const id of [1, 2, 3]) {
      const partitions = await waitFor(`orders on node ${id}`, async () => {
        const answer = await cluster.get(id, `${cluster.topicsPath()}/orders/partitions`);
        return answer.status === 200
          ? (answer.body.data as Array<{ leader_id: number; replica_ids: number[]; isr: number[] }>)
          : undefined;
      });
      expect(partitions).toHaveLength(3);
      for (const partition of partitions) {
        expect(partition.replica_ids.toSorted()).toEqual([1, 2, 3]);
        expect(partition.isr.toSorted()).toEqual([1, 2, 3]);
        expect(partition.replica_ids).toContain(partition.leader_id);
      }
      // Leaders are spread: each broker leads one of the three partitions.
      expect(new Set(partitions.map((partition) => partition.leader_id)).size).toBe(3);
    }
  });

  it('lists, alters partitions and configs, and deletes through different nodes', async () => {
    const list = await cluster.get(3, cluster.topicsPath());
    expect(list.body.data.map((topic: { topic_name: string }) => topic.topic_name)).toContain('orders');

    const patched = await cluster.http(1, 'PATCH', `${cluster.topicsPath()}/orders`, { partitions_count: 5 });
    expect(patched.status).toBe(200);
    expect((await cluster.partitions(1, 'orders')).length).toBe(5);
    await waitFor('5 partitions on node 3', async () => (await cluster.partitions(3, 'orders')).length === 5);

    const altered = await cluster.http(3, 'POST', `${cluster.topicsPath()}/orders/configs:alter`, {
      data: [{ name: 'cleanup.policy', value: 'compact' }],
    });
    expect(altered.status).toBe(204);
    // Read-your-writes through the node that took the write; the others apply it moments later.
    const config = await cluster.get(3, `${cluster.topicsPath()}/orders/configs/cleanup.policy`);
    expect(config.body).toMatchObject({ name: 'cleanup.policy', value: 'compact', is_default: false });
    await waitFor('the config change on node 2', async () => {
      const answer = await cluster.get(2, `${cluster.topicsPath()}/orders/configs/cleanup.policy`);
      return answer.body.value === 'compact';
    });

    expect((await cluster.http(2, 'DELETE', `${cluster.topicsPath()}/orders`)).status).toBe(204);
    for (const id of [1, 2, 3]) {
      await waitFor(
        `orders gone on node ${id}`,
        async () => (await cluster.get(id, `${cluster.topicsPath()}/orders`)).status === 404,
      );
    }
  });

  it('answers Kafka errors with the REST proxy error shape', async () => {
    const first = await cluster.http(1, 'POST', cluster.topicsPath(), {
      topic_name: 'dup',
      partitions_count: 1,
    });
    expect(first.status).toBe(201);
    const again = await cluster.http(3, 'POST', cluster.topicsPath(), {
      topic_name: 'dup',
      partitions_count: 1,
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error_code: 40002, message: "Topic 'dup' already exists." });

    const tooMany = await cluster.http(2, 'POST', cluster.topicsPath(), {
      topic_name: 'rf4',
      replication_factor: 4,
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/replication factor of 4 cannot be reached because only 3 broker/);

    const badName = await cluster.http(2, 'POST', cluster.topicsPath(), { topic_name: 'bad name!' });
    expect(badName.status).toBe(400);

    const missing = await cluster.get(1, `${cluster.topicsPath()}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe(40401);

    const shrink = await cluster.http(1, 'PATCH', `${cluster.topicsPath()}/dup`, { partitions_count: 0 });
    expect(shrink.status).toBeGreaterThanOrEqual(400);
  });

  it('a topic created through one node is found at once through every other node (no waiting)', async () => {
    // What a script does: create through one node, describe through another right after the 201. The
    // other node may not have applied the create yet; its read barrier must catch up before a 404.
    for (let round = 0; round < 6; round++) {
      const via = (round % 3) + 1;
      const name = `instant-${round}`;
      const created = await cluster.http(via, 'POST', cluster.topicsPath(), {
        topic_name: name,
        partitions_count: 2,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      for (const other of [1, 2, 3].filter((id) => id !== via)) {
        const partitions = await cluster.get(other, `${cluster.topicsPath()}/${name}/partitions`);
        expect(partitions.status, `node ${other}: ${JSON.stringify(partitions.body)}`).toBe(200);
        expect(partitions.body.data).toHaveLength(2);
        const listed = await cluster.get(other, cluster.topicsPath());
        expect(listed.body.data.map((topic: { topic_name: string }) => topic.topic_name)).toContain(name);
      }
    }
  });

  it('exposes Prometheus metrics: quorum, partitions by role, per-replica offsets', async () => {
    const created = await cluster.http(2, 'POST', cluster.topicsPath(), {
      topic_name: 'measured',
      partitions_count: 3,
    });
    expect(created.status).toBe(201);
    const text = await waitFor('the measured topic in node 1 metrics', async () => {
      const body = await (await fetch(`http://127.0.0.1:${cluster.node(1).clientPort}/metrics`)).text();
      return body.includes('kraftling_log_end_offset{topic="measured",partition="2"}') ? body : undefined;
    });
    expect(text).toMatch(/^kraftling_metadata_raft_term [1-9]\d*$/m);
    expect(text).toMatch(/^kraftling_partitions\{role="leader"\} [1-9]\d*$/m);
    expect(text).toMatch(/^kraftling_under_replicated_partitions 0$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('describes the metadata quorum: leader, epoch, high watermark, every voter with its lag', async () => {
    const answer = await cluster.quorum(2);
    expect(answer.status).toBe(200);
    expect([1, 2, 3]).toContain(answer.body.leader_id);
    expect(answer.body.leader_epoch).toBeGreaterThan(0);
    expect(answer.body.high_watermark).toBeGreaterThan(0);
    expect(answer.body.voters.map((voter: { replica_id: number }) => voter.replica_id)).toEqual([1, 2, 3]);
    await cluster.waitImagesEqual();
  });
});
