import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { partitionForKey } from '../../src/common/partitioner.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import type { DecodedRecord } from '../../src/storage/record-batch/record.ts';
import { CLUSTER_ID } from './fake-node.ts';
import type { Harness } from './harness.ts';
import { BASE, createTopic, newHarness } from './harness.ts';

const RECORDS = `${BASE}/topics/orders/records`;
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

let h: Harness;
beforeEach(async () => {
  // Deterministic: the sticky partitioner always draws the last partition, the clock is fixed.
  h = newHarness({ partitionerRandom: (bound) => bound - 1, now: () => NOW });
  await createTopic(h, 'orders', 3, 2);
});
afterEach(async () => {
  await h.close();
});

/** Everything stored in a partition, decoded. */
async function stored(topic: string, partition: number): Promise<DecodedRecord[]> {
  const result = await h.node.data.read({
    topicName: topic,
    partitionId: partition,
    offset: 0,
    maxBytes: 1 << 30,
    maxWaitMs: 0,
  });
  return [...batchesIn(result.records)].flatMap(({ header }) => decodeRecords(header));
}

function lines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('POST .../topics/{t}/records', () => {
  it('produces one record and reports where it went (Confluent ProduceResponse)', async () => {
    const reply = await h.send('POST', RECORDS, {
      headers: [
        { name: 'trace', value: b64('abc') },
        { name: 'empty', value: null },
      ],
      key: { type: 'BINARY', data: b64('key-1') },
      value: { type: 'JSON', data: { amount: 3, items: ['a'] } },
      timestamp: '2021-02-05T19:14:42.274Z',
    });
    const partition = partitionForKey(Buffer.from('key-1'), 3);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      error_code: 200,
      cluster_id: CLUSTER_ID,
      topic_name: 'orders',
      partition_id: partition,
      offset: 0,
      timestamp: '2021-02-05T19:14:42.274Z',
      key: { type: 'BINARY', size: 5 },
      value: { type: 'JSON', size: Buffer.byteLength('{"amount":3,"items":["a"]}') },
    });
    expect(h.node.data.produces.map((p) => [p.topicName, p.partitionId, p.acks, p.timeoutMs])).toEqual([
      ['orders', partition, -1, 30_000],
    ]);
    const [record] = await stored('orders', partition);
    expect(record).toEqual({
      offset: 0,
      timestamp: Date.parse('2021-02-05T19:14:42.274Z'),
      key: Buffer.from('key-1'),
      value: Buffer.from('{"amount":3,"items":["a"]}'),
      headers: [
        { key: 'trace', value: Buffer.from('abc') },
        { key: 'empty', value: null },
      ],
    });
  });

  it('stores STRING data as UTF-8, a missing key/value as null, and stamps the time when none is given', async () => {
    const reply = await h.send('POST', RECORDS, {
      partition_id: 1,
      value: { type: 'STRING', data: 'héllo' },
    });
    expect(reply.json).toMatchObject({
      partition_id: 1,
      offset: 0,
      timestamp: new Date(NOW).toISOString(),
      key: null,
      value: { type: 'STRING', size: 6 },
    });
    expect(await stored('orders', 1)).toEqual([
      { offset: 0, timestamp: NOW, key: null, value: Buffer.from('héllo'), headers: [] },
    ]);
  });

  it('takes BINARY when the type is left out, and null data as a null value', async () => {
    const reply = await h.send('POST', RECORDS, {
      partition_id: 0,
      key: { data: b64('k') },
      value: { type: 'JSON', data: null },
    });
    expect(reply.json).toMatchObject({ key: { type: 'BINARY', size: 1 }, value: { type: 'JSON', size: 0 } });
    expect((await stored('orders', 0))[0]).toMatchObject({ key: Buffer.from('k'), value: null });
  });

  it('puts a key where Kafka murmur2 puts it (UtilsTest vectors)', async () => {
    await createTopic(h, 'wide', 12, 1);
    for (const [key, hash] of [
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['21', -973932308],
    ] as const) {
      const reply = await h.send('POST', `${BASE}/topics/wide/records`, {
        key: { type: 'STRING', data: key },
        value: { type: 'STRING', data: 'v' },
      });
      expect(reply.json.partition_id).toBe((hash & 0x7fffffff) % 12);
    }
  });

  it('sends keyless records to the sticky partition', async () => {
    const a = await h.send('POST', RECORDS, { value: { type: 'STRING', data: 'a' } });
    const b = await h.send('POST', RECORDS, { value: { type: 'STRING', data: 'b' } });
    expect([a.json.partition_id, b.json.partition_id]).toEqual([2, 2]);
    expect([a.json.offset, b.json.offset]).toEqual([0, 1]);
  });

  it('answers an unknown topic with 404 / 40401 and produces nothing', async () => {
    const reply = await h.send('POST', `${BASE}/topics/nope/records`, { value: { data: b64('x') } });
    expect(reply.status).toBe(404);
    expect(reply.json.error_code).toBe(40401);
    expect(h.node.data.produces).toEqual([]);
  });

  it('answers an unknown or negative partition with 404 / 40402', async () => {
    for (const partition_id of [3, -1]) {
      const reply = await h.send('POST', RECORDS, { partition_id, value: { data: b64('x') } });
      expect(reply.status).toBe(404);
      expect(reply.json.error_code).toBe(40402);
    }
  });

  it.each([
    [{ key: { type: 'AVRO', data: 1 } }, 42206, "Field 'key.type' must be one of BINARY, JSON, STRING."],
    [{ value: { type: 'BINARY', data: 'not base64!' } }, 42207, "Field 'value.data' is not valid base64."],
    [{ value: { type: 'BINARY', data: 'QR==' } }, 42207, "Field 'value.data' is not valid base64."],
    [
      { value: { type: 'BINARY', data: 12 } },
      42207,
      "Field 'value.data' must be a base64 string for type BINARY.",
    ],
    [
      { value: { type: 'STRING', data: { a: 1 } } },
      42207,
      "Field 'value.data' must be a string for type STRING.",
    ],
    [{ headers: [{ name: 'h', value: '%%%' }] }, 42207, "Field 'headers[0].value' is not valid base64."],
    [{ headers: [{ value: b64('x') }] }, 42206, "Field 'headers[0].name' must be a string."],
    [{ headers: {} }, 42206, "Field 'headers' must be an array."],
    [{ value: 'plain' }, 42206, "Field 'value' must be an object {type, data}."],
    [{ value: { type: 'JSON', data: 1, schema_id: 3 } }, 42206, "Field 'value.schema_id' is not allowed."],
    [{ partition_id: '1' }, 42206, "Field 'partition_id' must be an integer."],
    [{ timestamp: 'yesterday' }, 42206, "Field 'timestamp' must be an ISO-8601 instant"],
    [{ topic: 'orders' }, 42206, "Field 'topic' is not allowed."],
    [[1, 2], 42206, 'A record must be a JSON object.'],
  ])('refuses a bad record %j with 422 / %i', async (body, code, message) => {
    const reply = await h.send('POST', RECORDS, body);
    expect(reply.status).toBe(422);
    expect(reply.json.error_code).toBe(code);
    expect(reply.json.message).toContain(message);
    expect(h.node.data.produces).toEqual([]);
  });

  it('accepts epoch milliseconds as a timestamp', async () => {
    const reply = await h.send('POST', RECORDS, {
      partition_id: 0,
      timestamp: 1_000,
      value: { data: b64('x') },
    });
    expect(reply.json.timestamp).toBe('1970-01-01T00:00:01.000Z');
  });

  it('refuses an empty body (400), malformed JSON (400) and other content types (415)', async () => {
    expect((await h.send('POST', RECORDS, '')).json).toMatchObject({
      error_code: 400,
      message: 'Payload error. Request body is empty. Data is required.',
    });
    const broken = await h.send('POST', RECORDS, '{"value": ');
    expect(broken.status).toBe(400);
    expect(broken.json.error_code).toBe(400);
    const text = await h.request({
      method: 'POST',
      url: RECORDS,
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect([text.status, text.json.error_code]).toEqual([415, 415]);
    const none = await h.request({ method: 'POST', url: RECORDS });
    expect(none.status).toBe(400);
  });

  it('answers 404 for another cluster', async () => {
    const reply = await h.send('POST', `/v3/clusters/other/topics/orders/records`, {
      value: { data: b64('x') },
    });
    expect([reply.status, reply.json.error_code]).toEqual([404, 404]);
  });

  it.each([
    [
      new KafkaError(
        'NOT_ENOUGH_REPLICAS',
        'Messages are rejected since there are fewer in-sync replicas than required.',
      ),
      500,
      50003,
    ],
    [new KafkaError('REQUEST_TIMED_OUT', 'timed out'), 500, 50003],
    [new KafkaError('LEADER_NOT_AVAILABLE', 'no leader'), 500, 50003],
    [
      new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.'),
      404,
      40401,
    ],
    [new KafkaError('INVALID_RECORD', 'bad'), 400, 40002],
    [new KafkaError('RECORD_LIST_TOO_LARGE', 'too large'), 413, 413],
  ])('maps a data-layer %s to its status and code', async (failure, status, code) => {
    h.node.data.failure = failure;
    const reply = await h.send('POST', RECORDS, { partition_id: 0, value: { data: b64('x') } });
    expect([reply.status, reply.json.error_code, reply.json.message]).toEqual([
      status,
      code,
      failure.message,
    ]);
  });

  it('answers a record above message.max.bytes with 413 and a body above the limit with 413', async () => {
    h.node.data.maxBatchBytes = 1000;
    const big = await h.send('POST', RECORDS, {
      partition_id: 0,
      value: { data: Buffer.alloc(2000).toString('base64') },
    });
    expect([big.status, big.json.error_code]).toEqual([413, 413]);
    const small = newHarness({ recordsBodyBytesMax: 100 });
    await createTopic(small, 'orders');
    const reply = await small.send('POST', RECORDS, { value: { type: 'STRING', data: 'x'.repeat(200) } });
    expect([reply.status, reply.json.error_code]).toEqual([413, 413]);
    await small.close();
  });

  it('never leaks an unexpected failure: 500 / 50002, logged with its stack', async () => {
    h.node.data.produce = async () => {
      throw new Error('disk on fire');
    };
    const reply = await h.send('POST', RECORDS, { partition_id: 0, value: { data: b64('x') } });
    expect(reply.json).toEqual({ error_code: 50002, message: 'Internal server error' });
    expect(reply.status).toBe(500);
    expect(h.logs.some((line) => line.msg === 'produce failed unexpectedly')).toBe(true);
  });
});

describe('streaming mode', () => {
  it('answers one report per record, in order, with each record its own offset from one batch per partition', async () => {
    const body = [
      { partition_id: 1, value: { type: 'STRING', data: 'a' } },
      { partition_id: 1, value: { type: 'BINARY', data: 'bad base64!' } },
      { partition_id: 1, value: { type: 'STRING', data: 'b' } },
      { partition_id: 0, value: { type: 'STRING', data: 'c' } },
      { partition_id: 7, value: { type: 'STRING', data: 'd' } },
      { partition_id: 1, value: { type: 'STRING', data: 'e' } },
    ]
      .map((record) => JSON.stringify(record))
      .join('\n');
    const reply = await h.send('POST', RECORDS, body);
    expect(reply.status).toBe(200);
    const reports = lines(reply.text);
    expect(reports.map((r) => [r.error_code, r.partition_id ?? null, r.offset ?? null])).toEqual([
      [200, 1, 0],
      [42207, null, null],
      [200, 1, 1],
      [200, 0, 0],
      [40402, null, null],
      [200, 1, 2],
    ]);
    expect(h.node.data.batchesOf('orders', 1).map((batch) => batch.recordCount)).toEqual([3]);
    expect((await stored('orders', 1)).map((r) => r.value?.toString())).toEqual(['a', 'b', 'e']);
  });

  it('takes records back to back with no separator', async () => {
    const reply = await h.send(
      'POST',
      RECORDS,
      '{"partition_id":0,"value":{"data":"eA=="}}{"partition_id":0,"value":{"data":"eQ=="}}',
    );
    expect(lines(reply.text).map((r) => r.offset)).toEqual([0, 1]);
  });

  it('ends the reports at malformed JSON (400), after producing what came before', async () => {
    const reply = await h.send(
      'POST',
      RECORDS,
      '{"partition_id":0,"value":{"data":"eA=="}}\n{"partition_id": oops}\n{"partition_id":0}',
    );
    const reports = lines(reply.text);
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatchObject({ error_code: 200, offset: 0 });
    expect(reports[1]?.error_code).toBe(400);
    expect(String(reports[1]?.message)).toContain('Malformed JSON');
  });

  it('reports a data-layer failure for every record of the failed batch', async () => {
    h.node.data.failure = new KafkaError('NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'not enough');
    const reply = await h.send('POST', RECORDS, '{"partition_id":0}\n{"partition_id":0}');
    expect(lines(reply.text).map((r) => r.error_code)).toEqual([50003, 50003]);
  });

  it('splits a big request into batches of about 512 KiB, offsets still per record', async () => {
    const value = { data: Buffer.alloc(200 * 1024, 1).toString('base64') };
    const body = Array.from({ length: 5 }, () => JSON.stringify({ partition_id: 2, value })).join('');
    const reply = await h.send('POST', RECORDS, body);
    expect(lines(reply.text).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(h.node.data.batchesOf('orders', 2).map((batch) => batch.recordCount)).toEqual([2, 2, 1]);
  });
});

describe('POST .../topics/{t}/records:batch', () => {
  const BATCH = `${RECORDS}:batch`;

  it('answers 207 with successes and failures by entry id', async () => {
    const reply = await h.send('POST', BATCH, {
      entries: [
        { id: 'a', partition_id: 0, value: { type: 'STRING', data: 'x' } },
        { id: 'b-2', partition_id: 9, value: { type: 'STRING', data: 'y' } },
        {
          id: 'c_3',
          partition_id: 0,
          key: { type: 'JSON', data: [1] },
          value: { type: 'STRING', data: 'z' },
        },
        { id: 'd', key: { type: 'NOPE' } },
      ],
    });
    expect(reply.status).toBe(207);
    expect(reply.json).toEqual({
      successes: [
        {
          id: 'a',
          cluster_id: CLUSTER_ID,
          topic_name: 'orders',
          partition_id: 0,
          offset: 0,
          timestamp: new Date(NOW).toISOString(),
          key: null,
          value: { type: 'STRING', size: 1 },
        },
        {
          id: 'c_3',
          cluster_id: CLUSTER_ID,
          topic_name: 'orders',
          partition_id: 0,
          offset: 1,
          timestamp: new Date(NOW).toISOString(),
          key: { type: 'JSON', size: 3 },
          value: { type: 'STRING', size: 1 },
        },
      ],
      failures: [
        { id: 'b-2', error_code: 40402, message: 'Partition 9 of topic orders cannot be found.' },
        { id: 'd', error_code: 42206, message: "Field 'key.type' must be one of BINARY, JSON, STRING." },
      ],
    });
  });

  it.each([
    [{ entries: [] }, 42206],
    [{ entries: [{ id: 'a' }, { id: 'a' }] }, 42206],
    [{ entries: [{ id: 'not ok' }] }, 42206],
    [{ entries: [{ id: 7 }] }, 42206],
    [{ entries: [{}] }, 42206],
    [{ records: [] }, 42206],
    [{ entries: Array.from({ length: 101 }, (_, i) => ({ id: `e${i}` })) }, 42206],
  ])('refuses a bad batch %j with 422', async (body, code) => {
    const reply = await h.send('POST', BATCH, body);
    expect([reply.status, reply.json.error_code]).toEqual([422, code]);
    expect(h.node.data.produces).toEqual([]);
  });

  it('answers an unknown topic with 404 / 40401', async () => {
    const reply = await h.send('POST', `${BASE}/topics/nope/records:batch`, { entries: [{ id: 'a' }] });
    expect([reply.status, reply.json.error_code]).toEqual([404, 40401]);
  });
});

describe('produce then read', () => {
  it('gives back the same keys, values and headers (any bytes)', async () => {
    const bytes = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null });
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: bytes,
            value: bytes,
            headers: fc.array(fc.record({ name: fc.string({ maxLength: 8 }), value: bytes }), {
              maxLength: 3,
            }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (records) => {
          const local = newHarness();
          await createTopic(local, 'orders', 2, 1);
          const enc = (data: Uint8Array | null) =>
            data === null ? null : Buffer.from(data).toString('base64');
          const body = records
            .map((r) =>
              JSON.stringify({
                partition_id: 1,
                key: r.key === null ? null : { type: 'BINARY', data: enc(r.key) },
                value: { type: 'BINARY', data: enc(r.value) },
                headers: r.headers.map((header) => ({ name: header.name, value: enc(header.value) })),
              }),
            )
            .join('\n');
          const reply = await local.send('POST', RECORDS, body);
          expect(reply.status).toBe(200);
          const result = await local.node.data.read({
            topicName: 'orders',
            partitionId: 1,
            offset: 0,
            maxBytes: 1 << 20,
            maxWaitMs: 0,
          });
          const read = [...batchesIn(result.records)].flatMap(({ header }) => decodeRecords(header));
          expect(read.map((r) => [r.key, r.value, r.headers])).toEqual(
            records.map((r) => [
              r.key === null ? null : Buffer.from(r.key),
              r.value === null ? null : Buffer.from(r.value),
              r.headers.map((header) => ({
                key: header.name,
                value: header.value === null ? null : Buffer.from(header.value),
              })),
            ]),
          );
          await local.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
