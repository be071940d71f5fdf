// REST v2 rejections and delayed retries over the in-memory node: what a rejected record's dead-letter
// copy carries, which rejections are refused, when retries come back, and what commits pass.
import { afterEach, describe, expect, it } from 'vitest';
import type { Harness, Reply } from './harness.ts';
import { BASE, newHarness } from './harness.ts';

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

const b64 = (text: string) => Buffer.from(text).toString('base64');
const text = (base64: string | null) =>
  base64 === null ? null : Buffer.from(base64, 'base64').toString('utf8');

function v2(method: 'POST' | 'DELETE' | 'GET', url: string, body?: unknown): Promise<Reply> {
  return harness.request({
    method,
    url,
    headers: { accept: BINARY, ...(body !== undefined && { 'content-type': V2 }) },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
}

interface Rec {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: { name: string; value: string | null }[];
}

/** The headers of a record read back, as text. */
const headersOf = (record: Rec) =>
  Object.fromEntries(record.headers.map((h) => [h.name, text(h.value)])) as Record<string, string | null>;

async function createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<void> {
  const reply = await harness.send('POST', `${BASE}/topics`, {
    topic_name: name,
    partitions_count: partitions,
    replication_factor: 1,
    configs: Object.entries(configs).map(([config, value]) => ({ name: config, value })),
  });
  expect(reply.status, reply.text).toBe(201);
}

async function produce(topic: string, partition: number, values: string[]): Promise<void> {
  for (const value of values) {
    const reply = await harness.send('POST', `${BASE}/topics/${topic}/records`, {
      partition_id: partition,
      key: { type: 'STRING', data: `k-${value}` },
      value: { type: 'STRING', data: value },
      headers: [{ name: 'trace', value: b64(`t-${value}`) }],
    });
    expect(reply.status, reply.text).toBe(200);
  }
}

async function consumer(group: string, name: string, topics: string[], extra = {}): Promise<string> {
  const created = await v2('POST', `/consumers/${group}`, {
    name,
    format: 'binary',
    'auto.offset.reset': 'earliest',
    'auto.commit.enable': 'false',
    ...extra,
  });
  expect(created.status, created.text).toBe(200);
  const base = `/consumers/${group}/instances/${name}`;
  const subscribed = await v2('POST', `${base}/subscription`, { topics });
  expect(subscribed.status, subscribed.text).toBe(204);
  return base;
}

async function records(base: string, timeout = 0): Promise<Rec[]> {
  const reply = await v2('GET', `${base}/records?timeout=${timeout}`);
  expect(reply.status, reply.text).toBe(200);
  return JSON.parse(reply.text) as Rec[];
}

async function reject(
  base: string,
  list: { topic: string; partition: number; offset: number; reason?: string }[],
): Promise<Reply> {
  return v2('POST', `${base}/rejections`, { records: list });
}

async function readTopic(topic: string, partition: number): Promise<Rec[]> {
  const reply = await v2('GET', `/topics/${topic}/partitions/${partition}/records?offset=0&timeout=0`);
  expect(reply.status, reply.text).toBe(200);
  return JSON.parse(reply.text) as Rec[];
}

async function committed(group: string): Promise<Record<string, number>> {
  const offsets = await harness.node.groups.fetchOffsets({ groupId: group, partitions: null });
  return Object.fromEntries(offsets.map((o) => [`${o.topic}-${o.partition}`, o.offset]));
}

const DLQ = {
  'dead.letter.enable': 'true',
  'max.delivery.attempts': '2',
  'dead.letter.retry.delay.ms': '1000',
};

describe('REST v2 rejections (dead-letter topics)', () => {
  it('sets a record aside with its origin and state, retries it when due, and keeps it once final', async () => {
    let clock = 1_700_000_000_000;
    harness = newHarness({ now: () => clock });
    await createTopic('orders', 2, DLQ);
    await createTopic('plain', 1, {});
    await produce('orders', 0, ['a', 'b', 'c', 'd']);
    await produce('plain', 0, ['p']);
    const base = await consumer('g1', 'c1', ['orders', 'plain']);
    // The subscription brings the dead-letter topic, created with the topic's partitions.
    expect((await v2('GET', `${base}/subscription`)).json).toEqual({
      topics: ['orders', 'orders.dlq', 'plain'],
    });
    const dlqTopic = await harness.get(`${BASE}/topics/orders.dlq`);
    expect(dlqTopic.json.partitions_count).toBe(2);

    const first = await records(base);
    expect(first.map((r) => `${r.topic}-${r.partition}@${r.offset}`).sort()).toEqual([
      'orders-0@0',
      'orders-0@1',
      'orders-0@2',
      'orders-0@3',
      'plain-0@0',
    ]);
    const rejectedAt = clock;
    expect((await reject(base, [{ topic: 'orders', partition: 0, offset: 1, reason: 'bad b' }])).status).toBe(
      204,
    );
    const [copy, ...none] = await readTopic('orders.dlq', 0);
    expect(none).toEqual([]);
    expect(text(copy!.key)).toBe('k-b');
    expect(text(copy!.value)).toBe('b');
    expect(headersOf(copy!)).toEqual({
      trace: 't-b',
      'dlq.origin.topic': 'orders',
      'dlq.origin.partition': '0',
      'dlq.origin.offset': '1',
      'dlq.origin.timestamp': String(rejectedAt),
      'dlq.group.id': 'g1',
      'dlq.attempts': '1',
      'dlq.reason': 'bad b',
      'dlq.retry.at': String(rejectedAt + 1000),
    });

    // Refusals: each names what is wrong, and nothing is written.
    const refusals: [unknown[], number, string][] = [
      [[{ topic: 'orders', partition: 0, offset: 1 }], 40903, 'Record orders-0@1 was rejected already.'],
      [[{ topic: 'orders', partition: 0, offset: 9 }], 40903, 'was not returned to this consumer instance'],
      [[{ topic: 'orders', partition: 1, offset: 0 }], 40903, 'was not returned to this consumer instance'],
      [
        [{ topic: 'plain', partition: 0, offset: 0 }],
        40002,
        'Topic plain does not have dead.letter.enable=true',
      ],
      [[{ topic: 'other', partition: 0, offset: 0 }], 40903, 'No current assignment for partition other-0'],
      [
        [
          { topic: 'orders', partition: 0, offset: 2 },
          { topic: 'orders', partition: 0, offset: 2 },
        ],
        42206,
        'Record orders-0@2 is listed more than once.',
      ],
      [[{ topic: 'orders', partition: 0, offset: 2, reason: 'x'.repeat(1001) }], 42206, 'reason'],
      [[], 42206, 'records'],
    ];
    for (const [list, code, message] of refusals) {
      const reply = await v2('POST', `${base}/rejections`, { records: list });
      expect(reply.json.error_code, JSON.stringify(list)).toBe(code);
      expect(reply.status).toBe(Math.floor(code / 100));
      expect(String(reply.json.message)).toContain(message);
    }
    expect(await readTopic('orders.dlq', 0)).toHaveLength(1);

    // Not due yet: nothing comes back; due: the dead-letter record, as what it is.
    clock += 999;
    expect(await records(base)).toEqual([]);
    clock += 1;
    const [retry, ...more] = await records(base);
    expect(more).toEqual([]);
    expect(retry).toMatchObject({ topic: 'orders.dlq', partition: 0, offset: 0 });
    expect(headersOf(retry!)['dlq.attempts']).toBe('1');

    // Its rejection is the last attempt: final, no retry time; never delivered again.
    expect(
      (await reject(base, [{ topic: 'orders.dlq', partition: 0, offset: 0, reason: 'still bad' }])).status,
    ).toBe(204);
    const final = (await readTopic('orders.dlq', 0))[1]!;
    expect(headersOf(final)).toMatchObject({
      trace: 't-b',
      'dlq.origin.topic': 'orders',
      'dlq.origin.offset': '1',
      'dlq.attempts': '2',
      'dlq.reason': 'still bad',
    });
    expect(headersOf(final)['dlq.retry.at']).toBeUndefined();
    clock += 60_000;
    expect(await records(base)).toEqual([]);

    // A commit of everything consumed passes the rejected record and the final one.
    expect((await v2('POST', `${base}/offsets`)).status).toBe(200);
    expect(await committed('g1')).toMatchObject({ 'orders-0': 4, 'orders.dlq-0': 2, 'plain-0': 1 });
    const passed = await reject(base, [{ topic: 'orders', partition: 0, offset: 2 }]);
    expect(passed.json.error_code).toBe(40903);
  });

  it('holds a partition at a retry not due yet; another group never gets this group’s retries', async () => {
    let clock = 1_700_000_000_000;
    harness = newHarness({ now: () => clock });
    await createTopic('orders', 1, { ...DLQ, 'max.delivery.attempts': '5' });
    await produce('orders', 0, ['a', 'b', 'c']);
    const base = await consumer('g1', 'c1', ['orders']);
    expect(await records(base)).toHaveLength(3);
    expect((await reject(base, [{ topic: 'orders', partition: 0, offset: 0 }])).status).toBe(204);
    clock += 500;
    expect(
      (
        await reject(base, [
          { topic: 'orders', partition: 0, offset: 1 },
          { topic: 'orders', partition: 0, offset: 2 },
        ])
      ).status,
    ).toBe(204);
    clock += 700;
    expect((await records(base)).map((r) => headersOf(r)['dlq.origin.offset'])).toEqual(['0']);
    expect(await records(base)).toEqual([]);
    clock += 300;
    expect((await records(base)).map((r) => headersOf(r)['dlq.origin.offset'])).toEqual(['1', '2']);

    // g2 reads the same topics: the records and none of g1's retries; its position passes them.
    const other = await consumer('g2', 'd1', ['orders']);
    expect((await records(other)).map((r) => `${r.topic}@${r.offset}`)).toEqual([
      'orders@0',
      'orders@1',
      'orders@2',
    ]);
    expect((await v2('POST', `${other}/offsets`)).status).toBe(200);
    expect(await committed('g2')).toEqual({ 'orders-0': 3, 'orders.dlq-0': 3 });
  });

  it('answers a long poll when a retry falls due, not before and not at the timeout', async () => {
    harness = newHarness();
    await createTopic('orders', 1, { ...DLQ, 'dead.letter.retry.delay.ms': '400' });
    await produce('orders', 0, ['a']);
    const base = await consumer('g1', 'c1', ['orders'], { 'consumer.request.timeout.ms': 10_000 });
    expect(await records(base)).toHaveLength(1);
    const rejectedAt = Date.now();
    expect((await reject(base, [{ topic: 'orders', partition: 0, offset: 0 }])).status).toBe(204);
    const readsBefore = harness.node.data.reads.length;
    const retried = await records(base, 8_000);
    const after = Date.now() - rejectedAt;
    expect(retried.map((r) => r.topic)).toEqual(['orders.dlq']);
    expect(after).toBeGreaterThanOrEqual(400);
    expect(after).toBeLessThan(6_000);
    // It slept until the record was due rather than reading again and again.
    expect(harness.node.data.reads.length - readsBefore).toBeLessThan(20);
  });

  it('refuses dead.letter.enable on a dead-letter topic, and a dead.letter.topic not ending with .dlq', async () => {
    harness = newHarness();
    await createTopic('orders', 1, {});
    const alter = (topic: string, name: string, value: string) =>
      harness.send('POST', `${BASE}/topics/${topic}/configs:alter`, { data: [{ name, value }] });
    expect((await alter('orders', 'dead.letter.enable', 'true')).status).toBe(204);
    const badName = await alter('orders', 'dead.letter.topic', 'failed');
    expect(badName.json.error_code).toBe(40002);
    expect(String(badName.json.message)).toContain('must end with .dlq');
    await createTopic('orders.dlq', 1, {});
    const chain = await alter('orders.dlq', 'dead.letter.enable', 'true');
    expect(chain.json.error_code).toBe(40002);
    expect(String(chain.json.message)).toContain('dead.letter.enable must stay false');
  });
});
