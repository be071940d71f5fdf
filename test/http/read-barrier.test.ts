// A node applies committed metadata a few milliseconds after the controller answers the write that made
// it. Before a read says "not found", or lists topics, the node catches up with the controller (the read
// barrier), so a topic created through another node is never reported missing here.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { brokerId, leaderEpoch, partitionEpoch, partitionId, topicId } from '../../src/metadata/ids.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import type { Harness } from './harness.ts';
import { BASE, newHarness } from './harness.ts';

let h: Harness;
beforeEach(() => {
  h = newHarness();
});
afterEach(async () => {
  await h.close();
});

const ELSEWHERE_ID = '7d6c2b7e-3c44-4a51-9f0e-5b0f3a2d1c10';

function topicCreatedElsewhere(name: string): MetadataRecord[] {
  const replicas = [brokerId(1), brokerId(2), brokerId(3)];
  return [
    { type: 'topic', name, topicId: topicId(ELSEWHERE_ID) },
    {
      type: 'partition',
      topicId: topicId(ELSEWHERE_ID),
      partitionId: partitionId(0),
      replicas,
      isr: replicas,
      leader: replicas[0]!,
      leaderEpoch: leaderEpoch(0),
      partitionEpoch: partitionEpoch(0),
    },
    { type: 'config', resourceType: 'topic', resourceName: name, name: 'retention.ms', value: '1000' },
  ];
}

describe('the read barrier', () => {
  it('finds a topic committed through another node but not applied here yet', async () => {
    h.node.commitElsewhere(topicCreatedElsewhere('fresh'));
    expect(h.node.image().topics.size).toBe(0);

    const paths = [
      '/topics/fresh',
      '/topics/fresh/partitions',
      '/topics/fresh/partitions/0',
      '/topics/fresh/partitions/0/replicas',
      '/topics/fresh/partitions/0/replicas/2',
      '/topics/fresh/configs',
      '/topics/fresh/configs/retention.ms',
    ];
    for (const path of paths) {
      h.node.commitElsewhere([]);
      const reply = await h.get(`${BASE}${path}`);
      expect(reply.status, `${path}: ${reply.text}`).toBe(200);
    }
    expect(h.node.catchUps).toBe(1);
  });

  it('lists topics only after catching up', async () => {
    h.node.commitElsewhere(topicCreatedElsewhere('listed'));
    const reply = await h.get(`${BASE}/topics`);
    expect(reply.status).toBe(200);
    expect(reply.json.data?.map((topic) => topic.topic_name)).toEqual(['listed']);
    expect(h.node.catchUps).toBe(1);
  });

  it('answers what the node holds without asking when the answer is found', async () => {
    await h.send('POST', `${BASE}/topics`, { topic_name: 'here', partitions_count: 2 });
    expect((await h.get(`${BASE}/topics/here/partitions/1`)).status).toBe(200);
    expect(h.node.catchUps).toBe(0);
  });

  it('still answers 404 for what does not exist after catching up', async () => {
    const reply = await h.get(`${BASE}/topics/nope/partitions`);
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(40401);
    expect(h.node.catchUps).toBe(1);
    const partition = await h.get(`${BASE}/brokers/9`);
    expect(partition.status).toBe(404);
    expect(h.node.catchUps).toBe(2);
  });

  it('without a reachable controller answers from the image as it is', async () => {
    h.node.catchUpFailure = new KafkaError(
      'REQUEST_TIMED_OUT',
      'No active controller answered read-index within 2000 ms.',
    );
    h.node.commitElsewhere(topicCreatedElsewhere('unseen'));
    const missing = await h.get(`${BASE}/topics/unseen`);
    expect(missing.status).toBe(404);
    const list = await h.get(`${BASE}/topics`);
    expect(list.status).toBe(200);
    expect(list.json.data).toEqual([]);
  });

  it('a failure that is not a Kafka error stays a 500', async () => {
    h.node.catchUp = async () => {
      throw new TypeError('a bug');
    };
    const reply = await h.get(`${BASE}/topics/anything`);
    expect(reply.status).toBe(500);
  });
});
