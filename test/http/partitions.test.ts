import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_LEADER, brokerId, partitionId } from '../../src/metadata/ids.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { CLUSTER_ID } from './fake-node.ts';
import type { Harness } from './harness.ts';
import { BASE, ORIGIN, createTopic, newHarness } from './harness.ts';

const PARTITIONS = `${BASE}/topics/orders/partitions`;

let h: Harness;
beforeEach(async () => {
  h = newHarness();
  await createTopic(h, 'orders', 3, 2);
});
afterEach(async () => {
  await h.close();
});

describe('GET .../topics/{t}/partitions', () => {
  it('lists partitions with Confluent links and the plain leader, replicas and ISR', async () => {
    const reply = await h.get(PARTITIONS);
    expect(reply.status).toBe(200);
    expect(reply.json.kind).toBe('KafkaPartitionList');
    expect(reply.json.metadata).toEqual({ self: `${ORIGIN}${PARTITIONS}`, next: null });
    expect(reply.json.data?.map((p) => [p.partition_id, p.leader_id, p.replica_ids, p.isr])).toEqual([
      [0, 1, [1, 2], [1, 2]],
      [1, 2, [2, 3], [2, 3]],
      [2, 3, [3, 1], [3, 1]],
    ]);
    expect(reply.json.data?.[1]).toEqual({
      kind: 'KafkaPartition',
      metadata: {
        self: `${ORIGIN}${PARTITIONS}/1`,
        resource_name: `crn:///kafka=${CLUSTER_ID}/topic=orders/partition=1`,
      },
      cluster_id: CLUSTER_ID,
      topic_name: 'orders',
      partition_id: 1,
      leader: { related: `${ORIGIN}${PARTITIONS}/1/replicas/2` },
      replicas: { related: `${ORIGIN}${PARTITIONS}/1/replicas` },
      reassignment: { related: `${ORIGIN}${PARTITIONS}/1/reassignment` },
      leader_id: 2,
      leader_epoch: 0,
      replica_ids: [2, 3],
      isr: [2, 3],
    });
  });

  it('answers an unknown topic with 404 / 40401', async () => {
    const reply = await h.get(`${BASE}/topics/nope/partitions`);
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(40401);
  });
});

describe('GET .../partitions/{p}', () => {
  it('shows a partition', async () => {
    const reply = await h.get(`${PARTITIONS}/2`);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ partition_id: 2, leader_id: 3, isr: [3, 1] });
  });

  it('shows a partition without a leader: leader null, leader_id -1', async () => {
    const topic = topicByName(h.node.image(), 'orders')!;
    h.node.applyRecords([
      {
        type: 'partitionChange',
        topicId: topic.id,
        partitionId: partitionId(0),
        leader: NO_LEADER,
        isr: [],
        replicas: null,
      },
    ]);
    const reply = await h.get(`${PARTITIONS}/0`);
    expect(reply.json).toMatchObject({
      leader: null,
      leader_id: -1,
      leader_epoch: 1,
      isr: [],
      replica_ids: [1, 2],
    });
  });

  it.each(['3', '99', '-1', 'abc', '01', '1.0', '99999999999999999999', '2147483648'])(
    'answers partition %s with 404 / 40402',
    async (partition) => {
      const reply = await h.get(`${PARTITIONS}/${partition}`);
      expect(reply.status).toBe(404);
      expect(reply.json).toEqual({
        error_code: 40402,
        message: `Partition ${partition} of topic orders cannot be found.`,
      });
    },
  );

  it('answers an unknown topic with 404 / 40401', async () => {
    expect((await h.get(`${BASE}/topics/nope/partitions/0`)).json.error_code).toBe(40401);
  });
});

describe('GET .../partitions/{p}/replicas', () => {
  it('lists the replicas with leadership and sync state', async () => {
    const topic = topicByName(h.node.image(), 'orders')!;
    h.node.applyRecords([
      {
        type: 'partitionChange',
        topicId: topic.id,
        partitionId: partitionId(0),
        leader: null,
        isr: [brokerId(1)],
        replicas: null,
      },
    ]);
    const reply = await h.get(`${PARTITIONS}/0/replicas`);
    expect(reply.status).toBe(200);
    expect(reply.json.kind).toBe('KafkaReplicaList');
    expect(reply.json.data).toEqual([
      {
        kind: 'KafkaReplica',
        metadata: {
          self: `${ORIGIN}${PARTITIONS}/0/replicas/1`,
          resource_name: `crn:///kafka=${CLUSTER_ID}/topic=orders/partition=0/replica=1`,
        },
        cluster_id: CLUSTER_ID,
        topic_name: 'orders',
        partition_id: 0,
        broker_id: 1,
        is_leader: true,
        is_in_sync: true,
        broker: { related: `${ORIGIN}${BASE}/brokers/1` },
      },
      expect.objectContaining({ broker_id: 2, is_leader: false, is_in_sync: false }),
    ]);
  });

  it('follows the leader link of a partition', async () => {
    const partition = await h.get(`${PARTITIONS}/1`);
    const leaderUrl = new URL((partition.json.leader as { related: string }).related);
    const replica = await h.get(leaderUrl.pathname);
    expect(replica.status).toBe(200);
    expect(replica.json).toMatchObject({ broker_id: 2, is_leader: true });
  });

  it.each(['1', '9', 'x'])('answers replica %s of partition 1 (replicas 2, 3) with 404', async (broker) => {
    const reply = await h.get(`${PARTITIONS}/1/replicas/${broker}`);
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(404);
  });

  it('answers an unknown partition with 404 / 40402', async () => {
    expect((await h.get(`${PARTITIONS}/7/replicas`)).json.error_code).toBe(40402);
  });
});
