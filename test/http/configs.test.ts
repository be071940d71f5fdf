import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOPIC_CONFIGS } from '../../src/metadata/topic-configs.ts';
import { CLUSTER_ID } from './fake-node.ts';
import type { Harness } from './harness.ts';
import { BASE, ORIGIN, createTopic, newHarness } from './harness.ts';

const CONFIGS = `${BASE}/topics/orders/configs`;

let h: Harness;
beforeEach(async () => {
  h = newHarness({ staticTopicConfig: new Map([['log.retention.ms', '3600000']]) });
  await createTopic(h, 'orders');
});
afterEach(async () => {
  await h.close();
});

async function config(name: string): Promise<Record<string, unknown>> {
  const reply = await h.get(`${CONFIGS}/${name}`);
  expect(reply.status).toBe(200);
  return reply.json;
}

describe('GET .../topics/{t}/configs', () => {
  it('lists every known topic config with its value and source', async () => {
    const reply = await h.get(CONFIGS);
    expect(reply.status).toBe(200);
    expect(reply.json.kind).toBe('KafkaTopicConfigList');
    expect(reply.json.metadata).toEqual({ self: `${ORIGIN}${CONFIGS}`, next: null });
    expect(reply.json.data?.map((entry) => entry.name)).toEqual([...TOPIC_CONFIGS.keys()]);
    const cleanup = reply.json.data?.find((entry) => entry.name === 'cleanup.policy');
    expect(cleanup).toEqual({
      kind: 'KafkaTopicConfig',
      metadata: {
        self: `${ORIGIN}${CONFIGS}/cleanup.policy`,
        resource_name: `crn:///kafka=${CLUSTER_ID}/topic=orders/config=cleanup.policy`,
      },
      cluster_id: CLUSTER_ID,
      topic_name: 'orders',
      name: 'cleanup.policy',
      value: 'delete',
      is_default: true,
      is_read_only: false,
      is_sensitive: false,
      source: 'DEFAULT_CONFIG',
      synonyms: [{ name: 'log.cleanup.policy', value: 'delete', source: 'DEFAULT_CONFIG' }],
    });
  });

  it("shows the node's static config as STATIC_BROKER_CONFIG", async () => {
    expect(await config('retention.ms')).toMatchObject({
      value: '3600000',
      is_default: false,
      source: 'STATIC_BROKER_CONFIG',
    });
  });

  it('answers an unknown topic with 404 / 40401', async () => {
    const reply = await h.get(`${BASE}/topics/nope/configs`);
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(40401);
  });
});

describe('GET .../configs/{name}', () => {
  it('answers an unknown config with 404 / 404', async () => {
    const reply = await h.get(`${CONFIGS}/no.such.config`);
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({
      error_code: 404,
      message: 'Config no.such.config cannot be found for topic orders.',
    });
  });

  it('answers an unknown topic with 404 / 40401', async () => {
    expect((await h.get(`${BASE}/topics/nope/configs/retention.ms`)).json.error_code).toBe(40401);
  });
});

describe('PUT .../configs/{name}', () => {
  it('sets a config: 204, then it is a DYNAMIC_TOPIC_CONFIG', async () => {
    const reply = await h.send('PUT', `${CONFIGS}/retention.ms`, { value: '60000' });
    expect(reply.status).toBe(204);
    const retention = await config('retention.ms');
    expect(retention).toMatchObject({ value: '60000', source: 'DYNAMIC_TOPIC_CONFIG', is_default: false });
    expect(retention.synonyms).toEqual([
      { name: 'retention.ms', value: '60000', source: 'DYNAMIC_TOPIC_CONFIG' },
      { name: 'log.retention.ms', value: '3600000', source: 'STATIC_BROKER_CONFIG' },
      { name: 'log.retention.ms', value: '604800000', source: 'DEFAULT_CONFIG' },
    ]);
  });

  it('resets a config when the value is null', async () => {
    await h.send('PUT', `${CONFIGS}/retention.ms`, { value: '60000' });
    expect((await h.send('PUT', `${CONFIGS}/retention.ms`, { value: null })).status).toBe(204);
    expect(await config('retention.ms')).toMatchObject({ value: '3600000', source: 'STATIC_BROKER_CONFIG' });
  });

  it.each([
    [
      'retention.ms',
      { value: 'soon' },
      400,
      40002,
      'Invalid value soon for configuration retention.ms: Not a number of type LONG',
    ],
    [
      'min.insync.replicas',
      { value: '0' },
      400,
      40002,
      'Invalid value 0 for configuration min.insync.replicas: Value must be at least 1',
    ],
    ['no.such.config', { value: '1' }, 404, 404, 'Config no.such.config cannot be found for topic orders.'],
    ['retention.ms', {}, 422, 42206, "Field 'value' is required."],
    ['retention.ms', { value: 60000 }, 422, 42206, "Field 'value' must be string or null."],
    ['retention.ms', { value: '1', extra: true }, 422, 42206, "Unrecognized field 'extra'."],
  ])('refuses %s = %j with %i / %i', async (name, body, status, errorCode, message) => {
    const reply = await h.send('PUT', `${CONFIGS}/${name}`, body);
    expect(reply.status).toBe(status);
    expect(reply.json).toEqual({ error_code: errorCode, message });
  });

  it('answers an unknown topic with 404 / 40401', async () => {
    const reply = await h.send('PUT', `${BASE}/topics/nope/configs/retention.ms`, { value: '1' });
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(40401);
  });
});

describe('DELETE .../configs/{name}', () => {
  it('resets a config: 204, back to the default', async () => {
    await h.send('PUT', `${CONFIGS}/cleanup.policy`, { value: 'compact' });
    expect((await h.send('DELETE', `${CONFIGS}/cleanup.policy`)).status).toBe(204);
    expect(await config('cleanup.policy')).toMatchObject({ value: 'delete', source: 'DEFAULT_CONFIG' });
  });

  it('answers an unknown config with 404', async () => {
    expect((await h.send('DELETE', `${CONFIGS}/nope`)).json.error_code).toBe(404);
  });
});

describe('POST .../configs:alter', () => {
  const ALTER = `${CONFIGS}:alter`;

  it('sets and deletes in one batch: 204', async () => {
    await h.send('PUT', `${CONFIGS}/cleanup.policy`, { value: 'compact' });
    const reply = await h.send('POST', ALTER, {
      data: [
        { name: 'cleanup.policy', operation: 'DELETE' },
        { name: 'compression.type', value: 'gzip' },
        { name: 'retention.ms', value: '1000', operation: 'SET' },
      ],
    });
    expect(reply.status).toBe(204);
    expect(await config('cleanup.policy')).toMatchObject({ value: 'delete', source: 'DEFAULT_CONFIG' });
    expect(await config('compression.type')).toMatchObject({ value: 'gzip', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect(await config('retention.ms')).toMatchObject({ value: '1000', source: 'DYNAMIC_TOPIC_CONFIG' });
  });

  it('validate_only changes nothing', async () => {
    const reply = await h.send('POST', ALTER, {
      data: [{ name: 'compression.type', value: 'gzip' }],
      validate_only: true,
    });
    expect(reply.status).toBe(204);
    expect(await config('compression.type')).toMatchObject({ value: 'producer', source: 'DEFAULT_CONFIG' });
  });

  it('is atomic: one bad entry changes nothing', async () => {
    const reply = await h.send('POST', ALTER, {
      data: [
        { name: 'compression.type', value: 'gzip' },
        { name: 'min.compaction.lag.ms', value: '10' },
        { name: 'max.compaction.lag.ms', value: '5' },
      ],
    });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({
      error_code: 40002,
      message: 'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)',
    });
    expect(await config('compression.type')).toMatchObject({ value: 'producer' });
  });

  it.each([
    [{ data: [{ name: 'nope', value: '1' }] }, 400, 40002, 'Unknown topic config name: nope'],
    [
      {
        data: [
          { name: 'retention.ms', value: '1' },
          { name: 'retention.ms', operation: 'DELETE' },
        ],
      },
      400,
      40002,
      'Error due to duplicate config keys',
    ],
    [
      { data: [{ name: 'retention.ms' }] },
      422,
      42206,
      "Field 'data[0].value' is required when operation is SET.",
    ],
    [
      { data: [{ name: 'retention.ms', value: null }] },
      422,
      42206,
      "Field 'data[0].value' is required when operation is SET.",
    ],
    [
      { data: [{ name: 'retention.ms', value: '1', operation: 'set' }] },
      422,
      42206,
      "Field 'data[0].operation' must be one of SET, DELETE.",
    ],
    [
      { data: [{ name: 'retention.ms', value: '1', operation: 'APPEND' }] },
      422,
      42206,
      "Field 'data[0].operation' must be one of SET, DELETE.",
    ],
    [{ data: [{ value: '1' }] }, 422, 42206, "Field 'data[0].name' is required."],
    [
      { data: [{ name: '', value: '1' }] },
      422,
      42206,
      "Field 'data[0].name' must NOT have fewer than 1 characters.",
    ],
    [{ data: {} }, 422, 42206, "Field 'data' must be array."],
    [{}, 422, 42206, "Field 'data' is required."],
  ])('answers %j with %i / %i', async (body, status, errorCode, message) => {
    const reply = await h.send('POST', ALTER, body);
    expect(reply.status).toBe(status);
    expect(reply.json).toEqual({ error_code: errorCode, message });
  });

  it('answers an unknown topic with 404 / 40401', async () => {
    const reply = await h.send('POST', `${BASE}/topics/nope/configs:alter`, { data: [] });
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(40401);
  });
});
