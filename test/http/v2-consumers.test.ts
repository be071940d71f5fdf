import { afterEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { encodeBatch } from '../../src/storage/record-batch/builder.ts';
import type { Harness, Reply } from './harness.ts';
import { createTopic, newHarness, ORIGIN } from './harness.ts';

/** What a record read back carries beyond Confluent's fields: a produce through v2 sets no header. */
const PRODUCED = { headers: [], timestamp: expect.any(Number), timestamp_type: 'CREATE_TIME' };

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSON_TYPE = 'application/vnd.kafka.json.v2+json';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

function v2(method: 'POST' | 'DELETE' | 'GET', url: string, body?: unknown, accept?: string): Promise<Reply> {
  return harness.request({
    method,
    url,
    headers: {
      ...(body !== undefined && { 'content-type': V2 }),
      ...(accept !== undefined && { accept }),
    },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
}

async function produce(topic: string, partition: number, values: string[]): Promise<void> {
  const reply = await harness.request({
    method: 'POST',
    url: `/topics/${topic}/partitions/${partition}`,
    headers: { 'content-type': BINARY },
    payload: JSON.stringify({
      records: values.map((value) => ({ value: Buffer.from(value).toString('base64') })),
    }),
  });
  expect(reply.status).toBe(200);
}

async function createConsumer(group: string, body: Record<string, unknown>): Promise<string> {
  const reply = await v2('POST', `/consumers/${group}`, body);
  expect(reply.status, reply.text).toBe(200);
  return `/consumers/${group}/instances/${reply.json.instance_id as string}`;
}

interface Rec {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
}

async function records(base: string, accept = BINARY): Promise<Rec[]> {
  const reply = await v2('GET', `${base}/records?timeout=0`, undefined, accept);
  expect(reply.status, reply.text).toBe(200);
  return JSON.parse(reply.text) as Rec[];
}

async function recordsOf(base: string, maxBytes: number): Promise<Rec[]> {
  const reply = await v2('GET', `${base}/records?timeout=0&max_bytes=${maxBytes}`, undefined, BINARY);
  expect(reply.status, reply.text).toBe(200);
  return JSON.parse(reply.text) as Rec[];
}

const text = (record: Rec): string => Buffer.from(record.value as string, 'base64').toString('utf8');

async function committed(group: string): Promise<Record<string, number>> {
  const offsets = await harness.node.groups.fetchOffsets({ groupId: group, partitions: null });
  return Object.fromEntries(offsets.map((o) => [`${o.topic}-${o.partition}`, o.offset]));
}

describe('REST v2 consumer instances', () => {
  it('creates an instance with a base_uri from the Host and refuses a second one of the same name', async () => {
    harness = newHarness();
    const reply = await v2('POST', '/consumers/g1', {
      name: 'c1',
      format: 'binary',
      'auto.offset.reset': 'earliest',
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/vnd\.kafka\.v2\+json/);
    expect(reply.json).toEqual({ instance_id: 'c1', base_uri: `${ORIGIN}/consumers/g1/instances/c1` });
    const again = await v2('POST', '/consumers/g1', { name: 'c1' });
    expect(again.status).toBe(409);
    expect(again.json.error_code).toBe(40902);
    // Another group may have an instance of that name; without a name one is made up.
    expect((await v2('POST', '/consumers/g2', { name: 'c1' })).status).toBe(200);
    const generated = await v2('POST', '/consumers/g1', {});
    expect(generated.json.instance_id).toMatch(/^rest-consumer-/);
    // Plain application/json bodies are accepted too; strings for numbers and booleans, as Confluent's.
    const plain = await harness.send('POST', '/consumers/g3', {
      'auto.commit.enable': 'false',
      'fetch.min.bytes': '1',
      'consumer.request.timeout.ms': 500,
    });
    expect(plain.status).toBe(200);
  });

  it('refuses bad configs and unknown instances', async () => {
    harness = newHarness();
    const bad = await v2('POST', '/consumers/g', { format: 'avro' });
    expect(bad.status).toBe(422);
    expect(bad.json.error_code).toBe(42206);
    expect((await v2('POST', '/consumers/g', { 'auto.offset.reset': 'none' })).status).toBe(422);
    expect((await v2('POST', '/consumers/g', { unknown: 1 })).status).toBe(422);
    const base = '/consumers/g/instances/nope';
    for (const [method, path, body] of [
      ['DELETE', '', undefined],
      ['POST', '/subscription', { topics: ['t'] }],
      ['GET', '/subscription', undefined],
      ['DELETE', '/subscription', undefined],
      ['POST', '/assignments', { partitions: [] }],
      ['GET', '/assignments', undefined],
      ['POST', '/positions', { offsets: [] }],
      ['POST', '/positions/beginning', { partitions: [] }],
      ['POST', '/positions/end', { partitions: [] }],
      ['GET', '/records', undefined],
      ['POST', '/offsets', {}],
      ['GET', '/offsets', undefined],
    ] as const) {
      const reply = await v2(method, `${base}${path}`, body);
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.json).toEqual({ error_code: 40403, message: 'Consumer instance not found.' });
    }
  });

  it('subscribes, reads from the earliest offset, auto-commits on the next read and on DELETE', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 2);
    await produce('t', 0, ['a', 'b']);
    await produce('t', 1, ['c']);
    const base = await createConsumer('g', { name: 'c', 'auto.offset.reset': 'earliest' });
    const subscribe = await v2('POST', `${base}/subscription`, { topics: ['t'] });
    expect(subscribe.status).toBe(204);
    expect((await v2('GET', `${base}/subscription`)).json).toEqual({ topics: ['t'] });
    expect((await v2('GET', `${base}/assignments`)).json).toEqual({
      partitions: [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
      ],
    });
    const first = await v2('GET', `${base}/records?timeout=0`, undefined, BINARY);
    expect(first.headers['content-type']).toMatch(/^application\/vnd\.kafka\.binary\.v2\+json/);
    const got = JSON.parse(first.text) as Rec[];
    expect(got.map((r) => [r.partition, r.offset, text(r)])).toEqual([
      [0, 0, 'a'],
      [0, 1, 'b'],
      [1, 0, 'c'],
    ]);
    expect(got[0]).toMatchObject({ topic: 't', key: null });
    // Nothing committed yet: the Java consumer commits what the last poll returned at the next poll.
    expect(await committed('g')).toEqual({});
    expect(await records(base)).toEqual([]);
    expect(await committed('g')).toEqual({ 't-0': 2, 't-1': 1 });
    await produce('t', 0, ['d']);
    expect((await records(base)).map(text)).toEqual(['d']);
    expect((await v2('DELETE', base)).status).toBe(204);
    expect(await committed('g')).toEqual({ 't-0': 3, 't-1': 1 });
    expect(harness.node.groups.memberIds('g')).toEqual([]);
    expect((await v2('DELETE', base)).status).toBe(404);
  });

  it('starts at the end with auto.offset.reset latest and commits nothing without auto commit', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 1);
    await produce('t', 0, ['old']);
    const base = await createConsumer('g', { 'auto.commit.enable': 'false' });
    await v2('POST', `${base}/subscription`, { topics: ['t'] });
    expect(await records(base)).toEqual([]);
    await produce('t', 0, ['new']);
    expect((await records(base)).map((r) => [r.offset, text(r)])).toEqual([[1, 'new']]);
    expect(await records(base)).toEqual([]);
    await v2('DELETE', base);
    expect(await committed('g')).toEqual({});
  });

  it('splits partitions between two instances and rebalances when one leaves', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 3);
    for (const p of [0, 1, 2]) await produce('t', p, [`p${p}-0`, `p${p}-1`]);
    const a = await createConsumer('g', { name: 'a', 'auto.offset.reset': 'earliest' });
    const b = await createConsumer('g', { name: 'b', 'auto.offset.reset': 'earliest' });
    await v2('POST', `${a}/subscription`, { topics: ['t'] });
    await v2('POST', `${b}/subscription`, { topics: ['t'] });
    const fromA = await records(a);
    const fromB = await records(b);
    const partitionsOf = (list: Rec[]) => [...new Set(list.map((r) => r.partition))].sort();
    // Range assignment by member id ("a-..." < "b-..."): a gets 0 and 1, b gets 2.
    expect(partitionsOf(fromA)).toEqual([0, 1]);
    expect(partitionsOf(fromB)).toEqual([2]);
    expect((await v2('GET', `${b}/assignments`)).json).toEqual({
      partitions: [{ topic: 't', partition: 2 }],
    });
    // b reads one more record on its partition and leaves: DELETE commits it.
    await produce('t', 2, ['p2-2']);
    expect((await records(b)).map(text)).toEqual(['p2-2']);
    expect((await v2('DELETE', b)).status).toBe(204);
    expect((await committed('g'))['t-2']).toBe(3);
    await produce('t', 2, ['p2-3']);
    // a's next read: its stale generation's auto commit is dropped, the heartbeat brings partition 2,
    // which starts at b's committed offset.
    const after = await records(a);
    expect(after.map((r) => [r.partition, text(r)])).toEqual([[2, 'p2-3']]);
    expect((await v2('GET', `${a}/assignments`)).json).toEqual({
      partitions: [0, 1, 2].map((partition) => ({ topic: 't', partition })),
    });
    expect(await records(a)).toEqual([]);
    expect(await committed('g')).toEqual({ 't-0': 2, 't-1': 2, 't-2': 4 });
  });

  it('commits given offsets as Confluent (offset + 1), reads them back, and a new instance resumes there', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 1);
    await produce('t', 0, ['a', 'b', 'c', 'd']);
    const first = await createConsumer('g', {
      'auto.offset.reset': 'earliest',
      'auto.commit.enable': 'false',
    });
    await v2('POST', `${first}/subscription`, { topics: ['t'] });
    expect((await records(first)).length).toBe(4);
    const commit = await v2('POST', `${first}/offsets`, {
      offsets: [{ topic: 't', partition: 0, offset: 1, metadata: 'note' }],
    });
    expect(commit.status).toBe(200);
    const read = await harness.request({
      method: 'GET',
      url: `${first}/offsets`,
      headers: { 'content-type': V2 },
      payload: JSON.stringify({
        partitions: [
          { topic: 't', partition: 0 },
          { topic: 'other', partition: 0 },
        ],
      }),
    });
    expect(read.json).toEqual({ offsets: [{ topic: 't', partition: 0, offset: 2, metadata: 'note' }] });
    const byQuery = await v2('GET', `${first}/offsets?topic=t&partition=0`);
    expect(byQuery.json).toEqual(read.json);
    await v2('DELETE', first);
    const second = await createConsumer('g', { 'auto.offset.reset': 'earliest' });
    await v2('POST', `${second}/subscription`, { topics: ['t'] });
    expect((await records(second)).map(text)).toEqual(['c', 'd']);
    // An empty commit commits everything consumed.
    expect((await v2('POST', `${second}/offsets`)).status).toBe(200);
    expect(await committed('g')).toEqual({ 't-0': 4 });
  });

  it('serves manual assignments, exclusive with subscriptions, with seeks and commits without a member', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 2);
    await produce('t', 0, ['a', 'b', 'c']);
    await produce('t', 1, ['x']);
    const base = await createConsumer('g', { 'auto.offset.reset': 'earliest' });
    const notYet = await v2('GET', `${base}/records?timeout=0`);
    expect(notYet.status).toBe(409);
    expect(notYet.json.error_code).toBe(40903);
    const seekUnassigned = await v2('POST', `${base}/positions`, {
      offsets: [{ topic: 't', partition: 0, offset: 1 }],
    });
    expect(seekUnassigned.json).toEqual({
      error_code: 40903,
      message: 'No current assignment for partition t-0',
    });
    expect(
      (await v2('POST', `${base}/assignments`, { partitions: [{ topic: 't', partition: 0 }] })).status,
    ).toBe(204);
    expect((await v2('GET', `${base}/assignments`)).json).toEqual({
      partitions: [{ topic: 't', partition: 0 }],
    });
    const subscribe = await v2('POST', `${base}/subscription`, { topics: ['t'] });
    expect(subscribe.status).toBe(409);
    expect(subscribe.json).toEqual({
      error_code: 40903,
      message: 'Subscription to topics, partitions and pattern are mutually exclusive',
    });
    expect(
      (await v2('POST', `${base}/positions`, { offsets: [{ topic: 't', partition: 0, offset: 1 }] })).status,
    ).toBe(204);
    expect((await records(base)).map(text)).toEqual(['b', 'c']);
    expect(
      (await v2('POST', `${base}/positions/beginning`, { partitions: [{ topic: 't', partition: 0 }] }))
        .status,
    ).toBe(204);
    expect((await records(base)).map(text)).toEqual(['a', 'b', 'c']);
    await v2('POST', `${base}/positions/end`, { partitions: [{ topic: 't', partition: 0 }] });
    expect(await records(base)).toEqual([]);
    // Auto commit without a member: memberId null, generation -1.
    expect(await committed('g')).toEqual({ 't-0': 3 });
    const commit = harness.node.groups.calls.filter((call) => call.method === 'commit').at(-1);
    expect(commit?.request).toMatchObject({ memberId: null, generation: -1 });
    // Unsubscribing clears the manual assignment; then a subscription is allowed.
    expect((await v2('DELETE', `${base}/subscription`)).status).toBe(204);
    expect((await v2('GET', `${base}/assignments`)).json).toEqual({ partitions: [] });
    expect((await v2('POST', `${base}/subscription`, { topics: ['t'] })).status).toBe(204);
    expect((await v2('POST', `${base}/assignments`, { partitions: [] })).status).toBe(409);
  });

  it('moves past batches without records (a compacted partition), not stuck before them', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 1);
    await produce('t', 0, ['a']);
    // A filler of the log cleaner (offsets 1..4, no record), then a record at 5.
    const filler = encodeBatch(
      {
        baseOffset: 0,
        lastOffsetDelta: 3,
        partitionLeaderEpoch: 0,
        attributes: 0,
        baseTimestamp: -1,
        maxTimestamp: 1,
        producerId: -1,
        producerEpoch: -1,
        baseSequence: -1,
      },
      [],
    );
    await harness.node.data.produce({
      topicName: 't',
      partitionId: 0,
      records: filler,
      acks: -1,
      timeoutMs: 1,
    });
    const base = await createConsumer('g', { 'auto.offset.reset': 'earliest' });
    expect(
      (await v2('POST', `${base}/assignments`, { partitions: [{ topic: 't', partition: 0 }] })).status,
    ).toBe(204);
    await v2('POST', `${base}/positions`, { offsets: [{ topic: 't', partition: 0, offset: 1 }] });
    // One batch per read: the filler alone, then what follows it.
    expect(await recordsOf(base, 1)).toEqual([]);
    await produce('t', 0, ['b']);
    expect((await recordsOf(base, 1)).map((record) => [record.offset, text(record)])).toEqual([[5, 'b']]);
  });

  it('subscribes by pattern over the image, and refuses both or neither of topics and topic_pattern', async () => {
    harness = newHarness();
    await createTopic(harness, 'orders-eu', 1);
    await createTopic(harness, 'orders-us', 1);
    await createTopic(harness, 'payments', 1);
    const base = await createConsumer('g', {});
    expect((await v2('POST', `${base}/subscription`, { topics: ['a'], topic_pattern: 'b' })).status).toBe(
      422,
    );
    expect((await v2('POST', `${base}/subscription`, {})).status).toBe(422);
    expect((await v2('POST', `${base}/subscription`, { topic_pattern: '(' })).status).toBe(422);
    expect((await v2('POST', `${base}/subscription`, { topic_pattern: 'orders-.*' })).status).toBe(204);
    expect((await v2('GET', `${base}/subscription`)).json).toEqual({ topics: ['orders-eu', 'orders-us'] });
    await createTopic(harness, 'orders-ap', 1);
    await records(base);
    expect((await v2('GET', `${base}/subscription`)).json).toEqual({
      topics: ['orders-ap', 'orders-eu', 'orders-us'],
    });
    expect((await v2('DELETE', `${base}/subscription`)).status).toBe(204);
    expect((await v2('GET', `${base}/subscription`)).json).toEqual({ topics: [] });
    expect(harness.node.groups.memberIds('g')).toEqual([]);
  });

  it('decodes JSON in a json instance; a value that is not JSON and a mismatched Accept are 40601', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 1);
    await produce('t', 0, ['{"n":1}']);
    const reply = await harness.request({
      method: 'POST',
      url: '/topics/t/partitions/0',
      headers: { 'content-type': JSON_TYPE },
      payload: JSON.stringify({ records: [{ key: 'k', value: { n: 2 } }] }),
    });
    expect(reply.status).toBe(200);
    const base = await createConsumer('g', { format: 'json', 'auto.offset.reset': 'earliest' });
    await v2('POST', `${base}/subscription`, { topics: ['t'] });
    const mismatch = await v2('GET', `${base}/records?timeout=0`, undefined, BINARY);
    expect(mismatch.status).toBe(406);
    expect(mismatch.json.error_code).toBe(40601);
    const got = await v2('GET', `${base}/records?timeout=0`, undefined, JSON_TYPE);
    expect(got.headers['content-type']).toMatch(/^application\/vnd\.kafka\.json\.v2\+json/);
    expect(JSON.parse(got.text)).toEqual([
      { topic: 't', key: null, value: { n: 1 }, partition: 0, offset: 0, ...PRODUCED },
      { topic: 't', key: 'k', value: { n: 2 }, partition: 0, offset: 1, ...PRODUCED },
    ]);
    // Raw bytes that are not JSON.
    const raw = await harness.request({
      method: 'POST',
      url: '/topics/t/partitions/0',
      headers: { 'content-type': BINARY },
      payload: JSON.stringify({ records: [{ value: Buffer.from('not json').toString('base64') }] }),
    });
    expect(raw.status).toBe(200);
    const bad = await v2('GET', `${base}/records?timeout=0`, undefined, JSON_TYPE);
    expect(bad.status).toBe(406);
    expect(bad.json.error_code).toBe(40601);
  });

  it('spreads max_bytes but returns at least one record, and refuses bad query parameters', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 1);
    await produce('t', 0, ['aaaa', 'bbbb', 'cccc']);
    const base = await createConsumer('g', { 'auto.offset.reset': 'earliest' });
    await v2('POST', `${base}/subscription`, { topics: ['t'] });
    expect((await v2('GET', `${base}/records?max_bytes=x`)).status).toBe(422);
    const one = JSON.parse((await v2('GET', `${base}/records?timeout=0&max_bytes=1`)).text) as Rec[];
    expect(one.map(text)).toEqual(['aaaa']);
    const two = JSON.parse((await v2('GET', `${base}/records?timeout=0&max_bytes=8`)).text) as Rec[];
    expect(two.map(text)).toEqual(['bbbb', 'cccc']);
  });

  it('joins again when its session expired, and answers GroupApi failures with the registry', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 1);
    const clock = { now: 1_000_000 };
    harness.node.groups.now = () => clock.now;
    const base = await createConsumer('g', { 'auto.offset.reset': 'earliest' });
    await v2('POST', `${base}/subscription`, { topics: ['t'] });
    const [before] = harness.node.groups.memberIds('g');
    clock.now += 60_000;
    expect(harness.node.groups.memberIds('g')).toEqual([]);
    await produce('t', 0, ['a']);
    expect((await records(base)).map(text)).toEqual(['a']);
    const [after] = harness.node.groups.memberIds('g');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    harness.node.groups.failNext(
      'heartbeat',
      new KafkaError('COORDINATOR_NOT_AVAILABLE', 'The coordinator is not available.'),
    );
    const unavailable = await v2('GET', `${base}/records?timeout=0`);
    expect(unavailable.status).toBe(500);
    expect(unavailable.json).toEqual({ error_code: 50003, message: 'The coordinator is not available.' });
    harness.node.groups.failNext(
      'commit',
      new KafkaError('ILLEGAL_GENERATION', 'Specified group generation id is not valid.'),
    );
    const stale = await v2('POST', `${base}/offsets`, { offsets: [{ topic: 't', partition: 0, offset: 0 }] });
    expect(stale.status).toBe(409);
    expect(stale.json.error_code).toBe(40903);
  });

  it('an auto commit refused REBALANCE_IN_PROGRESS (a Kafka leader is assigning) does not fail the read', async () => {
    harness = newHarness();
    await createTopic(harness, 't', 1);
    await produce('t', 0, ['a', 'b']);
    const base = await createConsumer('g', { 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'true' });
    await v2('POST', `${base}/subscription`, { topics: ['t'] });
    expect((await records(base)).map(text)).toEqual(['a', 'b']);
    harness.node.groups.failNext(
      'commit',
      new KafkaError('REBALANCE_IN_PROGRESS', 'The group is rebalancing, so a rejoin is needed.'),
    );
    const next = await v2('GET', `${base}/records?timeout=0`);
    expect(next.status).toBe(200);
  });

  it('expires idle instances: they commit and leave', async () => {
    let now = 1_000_000;
    harness = newHarness({ now: () => now, consumerInstanceTimeoutMs: 1000 });
    await createTopic(harness, 't', 1);
    await produce('t', 0, ['a']);
    const base = await createConsumer('g', { 'auto.offset.reset': 'earliest' });
    await v2('POST', `${base}/subscription`, { topics: ['t'] });
    expect((await records(base)).length).toBe(1);
    now += 999;
    expect((await v2('GET', `${base}/assignments`)).status).toBe(200);
    now += 1001;
    const gone = await v2('GET', `${base}/assignments`);
    expect(gone.status).toBe(404);
    expect(gone.json.error_code).toBe(40403);
    await new Promise((resolve) => setImmediate(resolve));
    expect(harness.node.groups.memberIds('g')).toEqual([]);
    expect(await committed('g')).toEqual({ 't-0': 1 });
  });
});
