import { afterEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type { Harness } from './harness.ts';
import { BASE, createTopic, newHarness, ORIGIN } from './harness.ts';
import { CLUSTER_ID } from './fake-node.ts';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

async function produce(topic: string, partition: number, count: number): Promise<void> {
  const reply = await harness.request({
    method: 'POST',
    url: `/topics/${topic}/partitions/${partition}`,
    headers: { 'content-type': 'application/vnd.kafka.binary.v2+json' },
    payload: JSON.stringify({ records: Array.from({ length: count }, () => ({ value: 'AA==' })) }),
  });
  expect(reply.status).toBe(200);
}

/** Group g: one member "m" on t (2 partitions), commits t-0 at 3 and t-1 at 1; t has 5 and 2 records. */
async function groupWithLag(): Promise<string> {
  harness = newHarness();
  await createTopic(harness, 't', 2);
  await produce('t', 0, 5);
  await produce('t', 1, 2);
  const member = await harness.node.groups.join({
    groupId: 'g',
    memberId: null,
    clientId: 'client-1',
    host: '/10.0.0.1',
    topics: ['t'],
    sessionTimeoutMs: 45_000,
  });
  await harness.node.groups.commit({
    groupId: 'g',
    memberId: member.memberId,
    generation: member.generation,
    offsets: [
      { topic: 't', partition: 0, offset: 3, metadata: '' },
      { topic: 't', partition: 1, offset: 1, metadata: '' },
    ],
  });
  return member.memberId;
}

describe('REST v3 consumer groups', () => {
  it('lists and describes groups in Confluent shapes; an unknown group is 404', async () => {
    const memberId = await groupWithLag();
    await harness.node.groups.commit({
      groupId: 'simple',
      memberId: null,
      generation: -1,
      offsets: [{ topic: 't', partition: 0, offset: 1, metadata: '' }],
    });
    const list = await harness.get(`${BASE}/consumer-groups`);
    expect(list.status).toBe(200);
    expect(list.json.kind).toBe('KafkaConsumerGroupList');
    expect(list.json.metadata).toEqual({ self: `${ORIGIN}${BASE}/consumer-groups`, next: null });
    expect(list.json.data?.map((g) => [g.consumer_group_id, g.state])).toEqual([
      ['g', 'STABLE'],
      ['simple', 'EMPTY'],
    ]);
    const group = await harness.get(`${BASE}/consumer-groups/g`);
    expect(group.json).toEqual({
      kind: 'KafkaConsumerGroup',
      metadata: {
        self: `${ORIGIN}${BASE}/consumer-groups/g`,
        resource_name: `crn:///kafka=${CLUSTER_ID}/consumer-group=g`,
      },
      cluster_id: CLUSTER_ID,
      consumer_group_id: 'g',
      is_simple: false,
      partition_assignor: 'range',
      state: 'STABLE',
      coordinator: { related: `${ORIGIN}${BASE}/brokers/1` },
      consumers: { related: `${ORIGIN}${BASE}/consumer-groups/g/consumers` },
      lag_summary: { related: `${ORIGIN}${BASE}/consumer-groups/g/lag-summary` },
    });
    const missing = await harness.get(`${BASE}/consumer-groups/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error_code: 404, message: 'Consumer group nope cannot be found.' });
    for (const suffix of ['/consumers', '/lags', '/lag-summary']) {
      expect((await harness.get(`${BASE}/consumer-groups/nope${suffix}`)).status).toBe(404);
    }
    expect((await harness.get(`/v3/clusters/other/consumer-groups`)).status).toBe(404);
    void memberId;
  });

  it('lists consumers and their assignments', async () => {
    const memberId = await groupWithLag();
    const consumers = await harness.get(`${BASE}/consumer-groups/g/consumers`);
    expect(consumers.json.kind).toBe('KafkaConsumerList');
    expect(consumers.json.data).toEqual([
      {
        kind: 'KafkaConsumer',
        metadata: {
          self: `${ORIGIN}${BASE}/consumer-groups/g/consumers/${memberId}`,
          resource_name: `crn:///kafka=${CLUSTER_ID}/consumer-group=g/consumer=${memberId}`,
        },
        cluster_id: CLUSTER_ID,
        consumer_group_id: 'g',
        consumer_id: memberId,
        instance_id: null,
        client_id: 'client-1',
        host: '/10.0.0.1',
        assignments: { related: `${ORIGIN}${BASE}/consumer-groups/g/consumers/${memberId}/assignments` },
      },
    ]);
    const one = await harness.get(`${BASE}/consumer-groups/g/consumers/${memberId}`);
    expect(one.json.consumer_id).toBe(memberId);
    expect((await harness.get(`${BASE}/consumer-groups/g/consumers/nobody`)).status).toBe(404);
    const assignments = await harness.get(`${BASE}/consumer-groups/g/consumers/${memberId}/assignments`);
    expect(assignments.json.kind).toBe('KafkaConsumerAssignmentList');
    expect(assignments.json.data?.map((a) => [a.kind, a.topic_name, a.partition_id])).toEqual([
      ['KafkaConsumerAssignment', 't', 0],
      ['KafkaConsumerAssignment', 't', 1],
    ]);
    expect(assignments.json.data?.[0]?.lag).toEqual({
      related: `${ORIGIN}${BASE}/consumer-groups/g/lags/t/partitions/0`,
    });
  });

  it('reports lags per committed partition and their summary', async () => {
    const memberId = await groupWithLag();
    const lags = await harness.get(`${BASE}/consumer-groups/g/lags`);
    expect(lags.json.kind).toBe('KafkaConsumerLagList');
    expect(
      lags.json.data?.map((l) => [
        l.topic_name,
        l.partition_id,
        l.current_offset,
        l.log_end_offset,
        l.lag,
        l.consumer_id,
        l.client_id,
      ]),
    ).toEqual([
      ['t', 0, 3, 5, 2, memberId, 'client-1'],
      ['t', 1, 1, 2, 1, memberId, 'client-1'],
    ]);
    expect(lags.json.data?.[0]).toMatchObject({
      kind: 'KafkaConsumerLag',
      instance_id: null,
      metadata: {
        self: `${ORIGIN}${BASE}/consumer-groups/g/lags/t/partitions/0`,
        resource_name: `crn:///kafka=${CLUSTER_ID}/consumer-group=g/lag=t/partition=0`,
      },
    });
    const one = await harness.get(`${BASE}/consumer-groups/g/lags/t/partitions/1`);
    expect(one.json.lag).toBe(1);
    expect((await harness.get(`${BASE}/consumer-groups/g/lags/t/partitions/7`)).status).toBe(404);
    const summary = await harness.get(`${BASE}/consumer-groups/g/lag-summary`);
    expect(summary.json).toMatchObject({
      kind: 'KafkaConsumerGroupLagSummary',
      consumer_group_id: 'g',
      max_lag_consumer_id: memberId,
      max_lag_client_id: 'client-1',
      max_lag_topic_name: 't',
      max_lag_partition_id: 0,
      max_lag: 2,
      total_lag: 3,
      max_lag_partition: { related: `${ORIGIN}${BASE}/topics/t/partitions/0` },
    });
  });

  it('commits offsets for a group without members (ours) and deletes empty groups only', async () => {
    const memberId = await groupWithLag();
    const commit = (groupId: string) =>
      harness.send('POST', `${BASE}/consumer-groups/${groupId}/offsets`, {
        offsets: [{ topic_name: 't', partition_id: 0, offset: 0 }],
      });
    const busy = await commit('g');
    expect(busy.status).toBe(409);
    expect(busy.json.error_code).toBe(40903);
    const deleteBusy = await harness.send('DELETE', `${BASE}/consumer-groups/g`);
    expect(deleteBusy.status).toBe(409);
    await harness.node.groups.leave({ groupId: 'g', memberId });
    expect((await commit('g')).status).toBe(204);
    expect((await harness.get(`${BASE}/consumer-groups/g/lags`)).json.data?.[0]?.current_offset).toBe(0);
    expect(
      (
        await harness.send('POST', `${BASE}/consumer-groups/g/offsets`, {
          offsets: [{ topic_name: 'nope', partition_id: 0, offset: 0 }],
        })
      ).status,
    ).toBe(404);
    expect((await harness.send('POST', `${BASE}/consumer-groups/g/offsets`, {})).status).toBe(422);
    expect((await harness.send('DELETE', `${BASE}/consumer-groups/g`)).status).toBe(204);
    expect((await harness.get(`${BASE}/consumer-groups/g`)).status).toBe(404);
    expect((await harness.send('DELETE', `${BASE}/consumer-groups/g`)).status).toBe(404);
    harness.node.groups.failure = new KafkaError(
      'COORDINATOR_NOT_AVAILABLE',
      'The coordinator is not available.',
    );
    const down = await harness.get(`${BASE}/consumer-groups`);
    expect(down.status).toBe(500);
    expect(down.json.error_code).toBe(50003);
  });
});
