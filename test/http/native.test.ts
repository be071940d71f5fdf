import { afterEach, describe, expect, it } from 'vitest';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { clientCodec } from '../../src/http/native/codec.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { createTopic, type Harness, newHarness } from './harness.ts';

// The native API's routes over the in-memory node: protobuf in and out, batches as bytes.

let h: Harness;
afterEach(async () => h.close());

function batch(...values: string[]): Buffer {
  return buildRecordBatch({
    records: values.map((value, i) => ({
      key: null,
      value: Buffer.from(value),
      headers: [],
      timestamp: 1_000 + i,
    })),
  });
}

async function post(path: string, body: Buffer, contentType = 'application/x-protobuf') {
  const response = await h.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': contentType },
    payload: body,
  });
  return {
    status: response.statusCode,
    type: response.headers['content-type'],
    bytes: response.rawPayload,
    text: response.body,
  };
}

function values(records: Uint8Array): string[] {
  return [...batchesIn(Buffer.from(records))].flatMap(({ header }) =>
    decodeRecords(header).map((record) => record.value?.toString('utf8') ?? '<null>'),
  );
}

describe('native API', () => {
  it('produces batches to several partitions in one request and fetches them back as stored', async () => {
    h = newHarness();
    await createTopic(h, 'orders', 2, 1);
    const produced = await post(
      '/v1/produce',
      clientCodec.produceRequest({
        acks: -1,
        timeoutMs: 0,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partition: 0, records: Buffer.concat([batch('a', 'b'), batch('c')]) },
              { partition: 1, records: batch('x') },
            ],
          },
        ],
      }),
    );
    expect(produced.status).toBe(200);
    expect(produced.type).toBe('application/x-protobuf');
    expect(clientCodec.produceResponse(produced.bytes)).toEqual({
      topics: [
        {
          name: 'orders',
          partitions: [
            { partition: 0, errorCode: 0, errorMessage: '', baseOffset: 0 },
            { partition: 1, errorCode: 0, errorMessage: '', baseOffset: 0 },
          ],
        },
      ],
    });
    expect(h.node.data.produces.map((p) => [p.partitionId, p.acks, p.timeoutMs])).toEqual([
      [0, -1, 30_000],
      [1, -1, 30_000],
    ]);
    const fetched = await post(
      '/v1/fetch',
      clientCodec.fetchRequest({
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 0,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partition: 0, fetchOffset: 1, partitionMaxBytes: 0 },
              { partition: 1, fetchOffset: 0, partitionMaxBytes: 0 },
            ],
          },
        ],
      }),
    );
    expect(fetched.status).toBe(200);
    const [topic] = clientCodec.fetchResponse(fetched.bytes).topics;
    expect(
      topic!.partitions.map((p) => [p.partition, p.errorCode, p.highWatermark, values(p.records)]),
    ).toEqual([
      // Whole batches, the first holding the offset asked: offset 1 is inside [a, b].
      [0, 0, 3, ['a', 'b', 'c']],
      [1, 0, 1, ['x']],
    ]);
  });

  it("answers a partition's failure as its Kafka error code, the others as usual", async () => {
    h = newHarness();
    await createTopic(h, 'orders', 1, 1);
    const produced = await post(
      '/v1/produce',
      clientCodec.produceRequest({
        acks: 1,
        timeoutMs: 500,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partition: 0, records: batch('ok') },
              { partition: 7, records: batch('no') },
            ],
          },
          { name: 'missing', partitions: [{ partition: 0, records: batch('no') }] },
        ],
      }),
    );
    const answer = clientCodec.produceResponse(produced.bytes);
    expect(
      answer.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partition, p.errorCode, p.baseOffset])),
    ).toEqual([
      ['orders', 0, 0, 0],
      ['orders', 7, KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code, -1],
      ['missing', 0, KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code, -1],
    ]);
    const fetched = clientCodec.fetchResponse(
      (
        await post(
          '/v1/fetch',
          clientCodec.fetchRequest({
            maxWaitMs: 5_000,
            minBytes: 1,
            maxBytes: 0,
            topics: [
              { name: 'orders', partitions: [{ partition: 0, fetchOffset: 5, partitionMaxBytes: 0 }] },
            ],
          }),
        )
      ).bytes,
    );
    expect(fetched.topics[0]!.partitions[0]).toMatchObject({
      errorCode: KafkaErrors.OFFSET_OUT_OF_RANGE.code,
      highWatermark: -1,
    });
  });

  it('keeps a fetch within max_bytes, except for the first batch', async () => {
    h = newHarness();
    await createTopic(h, 'orders', 2, 1);
    const big = batch('x'.repeat(1000));
    await post(
      '/v1/produce',
      clientCodec.produceRequest({
        acks: -1,
        timeoutMs: 0,
        topics: [{ name: 'orders', partitions: [0, 1].map((partition) => ({ partition, records: big })) }],
      }),
    );
    const fetched = clientCodec.fetchResponse(
      (
        await post(
          '/v1/fetch',
          clientCodec.fetchRequest({
            maxWaitMs: 0,
            minBytes: 1,
            maxBytes: 10,
            topics: [
              {
                name: 'orders',
                partitions: [0, 1].map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: 0 })),
              },
            ],
          }),
        )
      ).bytes,
    );
    expect(fetched.topics[0]!.partitions.map((p) => [p.records.length > 0, p.highWatermark])).toEqual([
      [true, 1],
      [false, 1],
    ]);
  });

  it('describes brokers with their client listener, and topics with leaders, epochs, replicas and ISR', async () => {
    h = newHarness();
    await createTopic(h, 'orders', 2, 3);
    const answer = clientCodec.metadataResponse(
      (await post('/v1/metadata', clientCodec.metadataRequest({ topics: ['orders', 'missing'] }))).bytes,
    );
    expect(answer.clusterId).toBe(h.node.clusterId);
    expect(answer.brokers.map((b) => [b.id, b.host, b.port, b.fenced])).toEqual([
      [1, 'localhost', 8081, false],
      [2, 'localhost', 8082, false],
      [3, 'localhost', 8083, false],
    ]);
    expect(answer.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ['orders', 0, 2],
      ['missing', KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code, 0],
    ]);
    const partition = answer.topics[0]!.partitions[0]!;
    expect(partition.replicas).toHaveLength(3);
    expect(partition.isr).toEqual(partition.replicas);
    expect(partition.replicas).toContain(partition.leader);
    const all = clientCodec.metadataResponse(
      (await post('/v1/metadata', clientCodec.metadataRequest({ topics: [] }))).bytes,
    );
    expect(all.topics.map((t) => t.name)).toEqual(['orders']);
  });

  it('refuses a body that does not decode, bad acks, and another content type', async () => {
    h = newHarness();
    const garbage = await post('/v1/produce', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.text)).toMatchObject({ error_code: 400 });
    const acks = await post('/v1/produce', clientCodec.produceRequest({ acks: 2, timeoutMs: 0, topics: [] }));
    expect(acks.status).toBe(400);
    expect(JSON.parse(acks.text)).toMatchObject({
      error_code: 40002,
      message: 'acks must be -1 (all), 0 or 1, not 2.',
    });
    const json = await post('/v1/fetch', Buffer.from('{}'), 'application/json');
    expect(json.status).toBe(415);
  });
});
