// GET .../topics/{t}/partitions/{p}/records (ours): records with timestamps and headers, from an offset
// (clamped into the log), a timestamp or the log start; max_records; errors of bad queries.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { MAX_RECORDS_CAP } from '../../src/http/routes/partition-records.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import type { Harness } from './harness.ts';
import { BASE, createTopic, newHarness, ORIGIN } from './harness.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const PATH = `${BASE}/topics/orders/partitions/0/records`;

let h: Harness;
beforeEach(async () => {
  h = newHarness();
  await createTopic(h, 'orders', 2, 1);
  // Offsets 0..9 at T0 + 1000 * offset; batches of 3, 3, 4 records.
  for (const [first, count] of [
    [0, 3],
    [3, 3],
    [6, 4],
  ] as const) {
    const records = Array.from({ length: count }, (_, i) => ({
      timestamp: T0 + 1000 * (first + i),
      key: first + i === 0 ? null : Buffer.from(`k${first + i}`),
      value: Buffer.from(JSON.stringify({ n: first + i })),
      headers: [
        { key: 'trace', value: Buffer.from(`t${first + i}`) },
        { key: 'none', value: null },
      ],
    }));
    await h.node.data.produce({
      topicName: 'orders',
      partitionId: 0,
      records: buildRecordBatch({ records }),
      acks: -1,
      timeoutMs: 1000,
    });
  }
});
afterEach(async () => {
  await h.close();
});

const offsetsOf = (reply: { json: { data?: Record<string, unknown>[] } }): unknown[] =>
  (reply.json.data ?? []).map((record) => record.offset);

describe('GET .../partitions/{p}/records', () => {
  it('answers records with timestamps, keys, values and headers as a produce body has them', async () => {
    const reply = await h.get(`${PATH}?offset=1&max_records=2`);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      kind: 'KafkaPartitionRecordList',
      topic_name: 'orders',
      partition_id: 0,
      log_start_offset: 0,
      high_watermark: 10,
      start_offset: 1,
      metadata: { next: `${ORIGIN}${PATH}?offset=3&max_records=2` },
    });
    expect(reply.json.data?.[0]).toEqual({
      partition_id: 0,
      offset: 1,
      timestamp: new Date(T0 + 1000).toISOString(),
      timestamp_type: 'CREATE_TIME',
      key: { type: 'BINARY', data: Buffer.from('k1').toString('base64') },
      value: { type: 'BINARY', data: Buffer.from('{"n":1}').toString('base64') },
      headers: [
        { name: 'trace', value: Buffer.from('t1').toString('base64') },
        { name: 'none', value: null },
      ],
    });
    expect(offsetsOf(reply)).toEqual([1, 2]);
    const first = await h.get(`${PATH}?offset=0&max_records=1`);
    expect(first.json.data?.[0]?.key).toBeNull();
  });

  it('reads across batches up to max_records, and to the high watermark (then no next link)', async () => {
    const middle = await h.get(`${PATH}?offset=2&max_records=5`);
    expect(offsetsOf(middle)).toEqual([2, 3, 4, 5, 6]);
    const rest = await h.get(`${PATH}?offset=7`);
    expect(offsetsOf(rest)).toEqual([7, 8, 9]);
    expect(rest.json.metadata).toMatchObject({ next: null });
    const all = await h.get(PATH);
    expect(offsetsOf(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('clamps an offset into the log: below its start reads from the start, past the end reads nothing', async () => {
    h.node.data.truncateBefore('orders', 0, 3);
    const below = await h.get(`${PATH}?offset=0&max_records=2`);
    expect(below.json).toMatchObject({ log_start_offset: 3, start_offset: 3 });
    expect(offsetsOf(below)).toEqual([3, 4]);
    const past = await h.get(`${PATH}?offset=99`);
    expect(past.status).toBe(200);
    expect(past.json).toMatchObject({ start_offset: 10, high_watermark: 10, data: [] });
  });

  it('starts at the first record at or after a timestamp (epoch ms or ISO-8601); none: at the end', async () => {
    const ms = await h.get(`${PATH}?timestamp=${T0 + 4500}&max_records=2`);
    expect(ms.json).toMatchObject({ start_offset: 5 });
    expect(offsetsOf(ms)).toEqual([5, 6]);
    const iso = await h.get(`${PATH}?timestamp=${encodeURIComponent(new Date(T0 + 7000).toISOString())}`);
    expect(offsetsOf(iso)).toEqual([7, 8, 9]);
    const offsetZone = await h.get(`${PATH}?timestamp=2024-05-01T14:00:02%2B02:00&max_records=1`);
    expect(offsetsOf(offsetZone)).toEqual([2]);
    const later = await h.get(`${PATH}?timestamp=${T0 + 60_000}`);
    expect(later.json).toMatchObject({ start_offset: 10, data: [] });
  });

  it('max_records=0 tells only where a read would start; max_records is capped', async () => {
    const position = await h.get(`${PATH}?timestamp=${T0 + 3000}&max_records=0`);
    expect(position.json).toMatchObject({ start_offset: 3, high_watermark: 10, data: [] });
    expect(position.json.metadata).toMatchObject({ next: null });
    const many = Array.from({ length: MAX_RECORDS_CAP + 5 }, (_, i) => ({
      timestamp: T0,
      key: null,
      value: Buffer.from(String(i)),
      headers: [],
    }));
    await h.node.data.produce({
      topicName: 'orders',
      partitionId: 1,
      records: buildRecordBatch({ records: many }),
      acks: -1,
      timeoutMs: 1000,
    });
    const capped = await h.get(
      `${BASE}/topics/orders/partitions/1/records?max_records=${MAX_RECORDS_CAP + 5}`,
    );
    expect(capped.json.data).toHaveLength(MAX_RECORDS_CAP);
    expect(capped.json.metadata).toMatchObject({
      next: expect.stringContaining(`offset=${MAX_RECORDS_CAP}&`),
    });
  });

  it('refuses bad queries with 422 / 42206 and unknown topics and partitions with 404', async () => {
    for (const query of [
      'offset=-1',
      'offset=abc',
      'max_records=1.5',
      'timestamp=yesterday',
      'offset=1&timestamp=5',
    ]) {
      const reply = await h.get(`${PATH}?${query}`);
      expect(reply.status, query).toBe(422);
      expect(reply.json.error_code, query).toBe(42206);
    }
    expect((await h.get(`${BASE}/topics/nope/partitions/0/records`)).json.error_code).toBe(40401);
    expect((await h.get(`${BASE}/topics/orders/partitions/7/records`)).json.error_code).toBe(40402);
  });

  it('answers a data-plane failure with its Kafka error', async () => {
    h.node.data.failure = new KafkaError('LEADER_NOT_AVAILABLE', 'Partition orders-0 has no leader.');
    const reply = await h.get(PATH);
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ error_code: 50003, message: 'Partition orders-0 has no leader.' });
  });
});
