import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { CLUSTER_ID } from './fake-node.ts';
import type { Harness } from './harness.ts';
import { BASE, createTopic, newHarness, ORIGIN } from './harness.ts';

let h: Harness;
beforeEach(() => {
  h = newHarness();
});
afterEach(async () => {
  await h.close();
});

function topicData(
  name: string,
  partitionsCount: number,
  replicationFactor: number,
  topicId: unknown = expect.any(String),
): Record<string, unknown> {
  const self = `${ORIGIN}${BASE}/topics/${name}`;
  return {
    kind: 'KafkaTopic',
    metadata: { self, resource_name: `crn:///kafka=${CLUSTER_ID}/topic=${name}` },
    cluster_id: CLUSTER_ID,
    topic_name: name,
    topic_id: topicId,
    is_internal: false,
    replication_factor: replicationFactor,
    partitions_count: partitionsCount,
    partitions: { related: `${self}/partitions` },
    configs: { related: `${self}/configs` },
    partition_reassignments: { related: `${self}/partitions/-/reassignment` },
    authorized_operations: [],
  };
}

describe('GET /v3/clusters/{c}/topics', () => {
  it('lists no topics at first', async () => {
    const reply = await h.get(`${BASE}/topics`);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      kind: 'KafkaTopicList',
      metadata: { self: `${ORIGIN}${BASE}/topics`, next: null },
      data: [],
    });
  });

  it('lists topics sorted by name', async () => {
    for (const name of ['orders', 'audit', 'payments']) await createTopic(h, name, 1, 1);
    const reply = await h.get(`${BASE}/topics`);
    expect(reply.json.data?.map((topic) => topic.topic_name)).toEqual(['audit', 'orders', 'payments']);
  });

  it('refuses another cluster id', async () => {
    const reply = await h.get('/v3/clusters/other-cluster/topics');
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({ error_code: 404, message: 'Cluster other-cluster cannot be found.' });
  });
});

describe('POST /v3/clusters/{c}/topics', () => {
  it('creates a topic: 201, Location, TopicData from the image', async () => {
    const reply = await h.send('POST', `${BASE}/topics`, {
      topic_name: 'orders',
      partitions_count: 3,
      replication_factor: 2,
      configs: [{ name: 'cleanup.policy', value: 'compact' }],
    });
    expect(reply.status).toBe(201);
    expect(reply.headers.location).toBe(`${ORIGIN}${BASE}/topics/orders`);
    expect(reply.json).toEqual(topicData('orders', 3, 2));
    expect((await h.get(`${BASE}/topics/orders`)).json).toEqual(topicData('orders', 3, 2));
    const config = await h.get(`${BASE}/topics/orders/configs/cleanup.policy`);
    expect(config.json).toMatchObject({ value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' });
  });

  it("replicas_assignments (Confluent's field): partition i's brokers; with a count or factor too, 400 INVALID_REQUEST", async () => {
    const reply = await h.send('POST', `${BASE}/topics`, {
      topic_name: 'placed',
      replicas_assignments: [
        { partition_id: 1, broker_ids: [3, 1] },
        { partition_id: 0, broker_ids: [2, 3] },
      ],
    });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ partitions_count: 2, replication_factor: 2 });
    const both = await h.send('POST', `${BASE}/topics`, {
      topic_name: 'both',
      partitions_count: 2,
      replicas_assignments: [{ partition_id: 0, broker_ids: [1] }],
    });
    expect(both.status).toBe(400);
    expect(both.json.message).toMatch(
      /^Both numPartitions or replicationFactor and replicasAssignments were set/,
    );
    const gap = await h.send('POST', `${BASE}/topics`, {
      topic_name: 'gap',
      replicas_assignments: [{ partition_id: 1, broker_ids: [1] }],
    });
    expect(gap.status).toBe(400);
    expect(gap.json.message).toBe('Partitions should be a consecutive 0-based integer sequence');
  });

  it('uses the cluster defaults when counts are absent or null', async () => {
    const reply = await h.send('POST', `${BASE}/topics`, { topic_name: 'x', partitions_count: null });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ partitions_count: 1, replication_factor: 1 });
  });

  it('validate_only: 200, nothing created, defaults from the static config', async () => {
    const withDefaults = newHarness({
      staticTopicConfig: new Map([
        ['num.partitions', '6'],
        ['default.replication.factor', '3'],
      ]),
    });
    try {
      const reply = await withDefaults.send('POST', `${BASE}/topics`, {
        topic_name: 'dry',
        validate_only: true,
      });
      expect(reply.status).toBe(200);
      expect(reply.headers.location).toBeUndefined();
      expect(reply.json).toEqual(topicData('dry', 6, 3, null));
      expect((await withDefaults.get(`${BASE}/topics/dry`)).status).toBe(404);
    } finally {
      await withDefaults.close();
    }
  });

  it('validate_only still reports what the controller refuses', async () => {
    const reply = await h.send('POST', `${BASE}/topics`, {
      topic_name: 'x',
      replication_factor: 4,
      validate_only: true,
    });
    expect(reply.status).toBe(400);
    expect(reply.json.error_code).toBe(40002);
  });

  it.each([
    [{ topic_name: 'dup' }, 400, 40002, "Topic 'dup' already exists."],
    [
      { topic_name: 'rf', replication_factor: 4 },
      400,
      40002,
      'Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.',
    ],
    [
      { topic_name: 'bad name' },
      400,
      40002,
      `Topic name "bad name" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    ],
    [{ topic_name: '' }, 400, 40002, "Topic name is illegal, it can't be empty"],
    [{ topic_name: 'd_p' }, 400, 40002, "Topic 'd_p' collides with existing topic: d.p"],
    [
      { topic_name: 'cfg', configs: [{ name: 'retention.ms', value: 'abc' }] },
      400,
      40002,
      'Invalid value abc for configuration retention.ms: Not a number of type LONG',
    ],
    [
      { topic_name: 'cfg', configs: [{ name: 'no.such.config', value: '1' }] },
      400,
      40002,
      'Unknown topic config name: no.such.config',
    ],
    [
      {
        topic_name: 'cfg',
        configs: [
          { name: 'retention.ms', value: '1' },
          { name: 'retention.ms', value: '2' },
        ],
      },
      400,
      40002,
      'Config retention.ms is given more than once.',
    ],
  ])('answers %j with %i / %i', async (body, status, errorCode, message) => {
    await createTopic(h, 'dup', 1, 1);
    await createTopic(h, 'd.p', 1, 1);
    const reply = await h.send('POST', `${BASE}/topics`, body);
    expect(reply.status).toBe(status);
    expect(reply.json).toEqual({ error_code: errorCode, message });
  });

  it.each([
    [{}, "Field 'topic_name' is required."],
    [{ topic_name: 5 }, "Field 'topic_name' must be string."],
    [{ topic_name: 't', partitions_count: '3' }, "Field 'partitions_count' must be integer or null."],
    [{ topic_name: 't', partitions_count: 1.5 }, "Field 'partitions_count' must be integer or null."],
    [{ topic_name: 't', partitions_count: true }, "Field 'partitions_count' must be integer or null."],
    [{ topic_name: 't', partitions_count: 0 }, "Field 'partitions_count' must be >= 1."],
    [{ topic_name: 't', partitions_count: -3 }, "Field 'partitions_count' must be >= 1."],
    [{ topic_name: 't', partitions_count: 2147483648 }, "Field 'partitions_count' must be <= 2147483647."],
    [{ topic_name: 't', partitions_count: 1e300 }, "Field 'partitions_count' must be <= 2147483647."],
    [{ topic_name: 't', replication_factor: 32768 }, "Field 'replication_factor' must be <= 32767."],
    [{ topic_name: 't', configs: {} }, "Field 'configs' must be array."],
    [{ topic_name: 't', configs: [{ value: 'x' }] }, "Field 'configs[0].name' is required."],
    [
      { topic_name: 't', configs: [{ name: 'a', value: 1 }] },
      "Field 'configs[0].value' must be string or null.",
    ],
    [{ topic_name: 't', validate_only: 'yes' }, "Field 'validate_only' must be boolean."],
    [{ topic_name: 't', replica_assignments: [] }, "Unrecognized field 'replica_assignments'."],
    [
      { topic_name: 't', replicas_assignments: [{ partition_id: 0 }] },
      "Field 'replicas_assignments[0].broker_ids' is required.",
    ],
    [[{ topic_name: 't' }], 'Request body must be object.'],
    ['"orders"', 'Request body must be object.'],
    ['null', 'Request body must be object.'],
  ])('refuses %j with 422 / 42206', async (body, message) => {
    const reply = await h.send('POST', `${BASE}/topics`, body);
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({ error_code: 42206, message });
  });

  it('refuses a missing body with 422', async () => {
    const reply = await h.request({ method: 'POST', url: `${BASE}/topics` });
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({ error_code: 42206, message: 'Request body must be object.' });
  });

  it.each([
    ['{"topic_name": "t",', 'Malformed JSON: '],
    ["{'topic_name': 't'}", 'Malformed JSON: '],
    ['{"topic_name": "t"} trailing', 'Malformed JSON: '],
    [
      '{"topic_name": "t", "__proto__": {"admin": true}}',
      'Malformed JSON: Object contains forbidden prototype property',
    ],
    [
      '{"topic_name": "t", "constructor": {"prototype": {}}}',
      'Malformed JSON: Object contains forbidden prototype property',
    ],
  ])('refuses malformed JSON %s with 400 / 400', async (payload, prefix) => {
    const reply = await h.send('POST', `${BASE}/topics`, payload);
    expect(reply.status).toBe(400);
    expect(reply.json.error_code).toBe(400);
    expect(String(reply.json.message).startsWith(prefix)).toBe(true);
  });

  it('refuses another content type with 415', async () => {
    const reply = await h.request({
      method: 'POST',
      url: `${BASE}/topics`,
      headers: { 'content-type': 'text/plain' },
      payload: 'topic_name=t',
    });
    expect(reply.status).toBe(415);
    expect(reply.json.error_code).toBe(415);
  });

  it('refuses a body above the limit with 413', async () => {
    const small = newHarness({ bodyBytesMax: 1024 });
    try {
      const reply = await small.send('POST', `${BASE}/topics`, { topic_name: 'x'.repeat(2000) });
      expect(reply.status).toBe(413);
      expect(reply.json).toEqual({
        error_code: 413,
        message: `Request body is too large: POST ${BASE}/topics accepts at most 1024 bytes (1 KiB).`,
      });
    } finally {
      await small.close();
    }
  });

  it('answers a retriable controller failure with 500 / 50003 and its message', async () => {
    h.node.failWith = new KafkaError('NOT_CONTROLLER', 'This node is not the active controller.');
    const reply = await h.send('POST', `${BASE}/topics`, { topic_name: 't' });
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ error_code: 50003, message: 'This node is not the active controller.' });
  });
});

describe('GET /v3/clusters/{c}/topics/{t}', () => {
  it('answers an unknown topic with 404 / 40401', async () => {
    const reply = await h.get(`${BASE}/topics/nope`);
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({
      error_code: 40401,
      message: 'This server does not host this topic-partition.',
    });
  });

  it('serves the longest legal topic name (249 characters)', async () => {
    const name = 'n'.repeat(249);
    await createTopic(h, name, 1, 1);
    const reply = await h.get(`${BASE}/topics/${name}`);
    expect(reply.status).toBe(200);
    expect(reply.json.topic_name).toBe(name);
  });

  it('builds links from the Host header', async () => {
    await createTopic(h, 'orders');
    const reply = await h.request({
      method: 'GET',
      url: `${BASE}/topics/orders`,
      headers: { host: 'proxy.example:8082' },
    });
    expect(reply.json.metadata).toEqual({
      self: `http://proxy.example:8082${BASE}/topics/orders`,
      resource_name: `crn:///kafka=${CLUSTER_ID}/topic=orders`,
    });
  });
});

describe('PATCH /v3/clusters/{c}/topics/{t}', () => {
  beforeEach(async () => {
    await createTopic(h, 'orders', 3, 2);
  });

  it('increases the partition count: 200 TopicData', async () => {
    const reply = await h.send('PATCH', `${BASE}/topics/orders`, { partitions_count: 5 });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual(topicData('orders', 5, 2));
  });

  it.each([
    [2, 'Topic currently has 3 partitions, which is higher than the requested 2.'],
    [3, 'Topic already has 3 partitions.'],
  ])('refuses %i partitions with 400 / 40002 (the controller says why)', async (count, message) => {
    const reply = await h.send('PATCH', `${BASE}/topics/orders`, { partitions_count: count });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error_code: 40002, message });
  });

  it('answers an unknown topic with 404 / 40401', async () => {
    const reply = await h.send('PATCH', `${BASE}/topics/nope`, { partitions_count: 5 });
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(40401);
  });

  it.each([
    [{}, "Field 'partitions_count' is required."],
    [{ partitions_count: -1 }, "Field 'partitions_count' must be >= 1."],
    [{ partitions_count: null }, "Field 'partitions_count' must be integer."],
    ['{"partitions_count": 99999999999999999999999}', "Field 'partitions_count' must be <= 2147483647."],
    ['{"partitions_count": 1e400}', "Field 'partitions_count' must be integer."],
    [{ partitions_count: 5, replication_factor: 3 }, "Unrecognized field 'replication_factor'."],
  ])('refuses %j with 422', async (body, message) => {
    const reply = await h.send('PATCH', `${BASE}/topics/orders`, body);
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({ error_code: 42206, message });
  });
});

describe('DELETE /v3/clusters/{c}/topics/{t}', () => {
  it('deletes: 204, then the topic is gone', async () => {
    await createTopic(h, 'orders');
    const reply = await h.send('DELETE', `${BASE}/topics/orders`);
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect((await h.get(`${BASE}/topics/orders`)).status).toBe(404);
  });

  it('accepts an empty body sent with a JSON content type', async () => {
    await createTopic(h, 'orders');
    const reply = await h.request({
      method: 'DELETE',
      url: `${BASE}/topics/orders`,
      headers: { 'content-type': 'application/json' },
    });
    expect(reply.status).toBe(204);
  });

  it('answers an unknown topic with 404 / 40401', async () => {
    const reply = await h.send('DELETE', `${BASE}/topics/nope`);
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(40401);
  });
});
