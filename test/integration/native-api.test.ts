import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { Producer, type RecordMetadata } from '../../src/client/index.ts';
import { clientCodec, type NativeFetchResponse } from '../../src/http/native/codec.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { createReplicatedTopic, useKafkaTestCluster } from './kafka-client-tools.ts';
import type { ProcessCluster } from './process-cluster.ts';

// The native API on real nodes: batches produced through any node (forwarded to the leader), fetched by
// a long poll that answers as soon as records come.

let cluster: ProcessCluster;
useKafkaTestCluster((started) => {
  cluster = started;
});

async function post(node: number, path: string, body: Buffer): Promise<Buffer> {
  const response = await request(`http://127.0.0.1:${cluster.node(node).clientPort}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body,
  });
  const bytes = Buffer.from(await response.body.arrayBuffer());
  expect(response.statusCode, bytes.toString('utf8')).toBe(200);
  return bytes;
}

const batch = (...values: string[]) =>
  buildRecordBatch({
    records: values.map((value) => ({
      key: null,
      value: Buffer.from(value),
      headers: [],
      timestamp: Date.now(),
    })),
  });

function values(answer: NativeFetchResponse): string[] {
  return answer.topics.flatMap((topic) =>
    topic.partitions.flatMap((p) =>
      [...batchesIn(Buffer.from(p.records))].flatMap(({ header }) =>
        decodeRecords(header).map((record) => record.value!.toString('utf8')),
      ),
    ),
  );
}

describe('native API on a 3-node cluster', () => {
  it('produces through every node, and a long-polling fetch answers once records come', async () => {
    await createReplicatedTopic(cluster, 'native', 3);
    const metadata = clientCodec.metadataResponse(
      await post(1, '/v1/metadata', clientCodec.metadataRequest({ topics: ['native'] })),
    );
    expect(metadata.topics[0]!.partitions.map((p) => p.isr.length)).toEqual([3, 3, 3]);
    for (const node of [1, 2, 3]) {
      const answer = clientCodec.produceResponse(
        await post(
          node,
          '/v1/produce',
          clientCodec.produceRequest({
            acks: -1,
            timeoutMs: 10_000,
            topics: [{ name: 'native', partitions: [{ partition: 0, records: batch(`via-${node}`) }] }],
          }),
        ),
      );
      expect(answer.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, baseOffset: node - 1 });
    }
    const fetchAt = (offset: number, maxWaitMs: number) =>
      clientCodec.fetchRequest({
        maxWaitMs,
        minBytes: 1,
        maxBytes: 0,
        topics: [
          {
            name: 'native',
            partitions: [
              { partition: 0, fetchOffset: offset, partitionMaxBytes: 0 },
              { partition: 1, fetchOffset: 0, partitionMaxBytes: 0 },
            ],
          },
        ],
      });
    expect(values(clientCodec.fetchResponse(await post(2, '/v1/fetch', fetchAt(0, 0))))).toEqual([
      'via-1',
      'via-2',
      'via-3',
    ]);
    // At the end of every partition asked: the fetch waits until a record comes (30 s at most, and an
    // answer at the deadline would hold no record).
    const waiting = post(3, '/v1/fetch', fetchAt(3, 30_000));
    await post(
      1,
      '/v1/produce',
      clientCodec.produceRequest({
        acks: -1,
        timeoutMs: 10_000,
        topics: [{ name: 'native', partitions: [{ partition: 1, records: batch('late') }] }],
      }),
    );
    const answer = clientCodec.fetchResponse(await waiting);
    expect(values(answer)).toEqual(['late']);
  });

  it('the SDK producer never builds a batch over batch.size unless one record alone is (batch.size 1 MiB, 64 KiB values)', async () => {
    await createReplicatedTopic(cluster, 'big-values', 1);
    const producer = new Producer({
      bootstrap: `http://127.0.0.1:${cluster.node(1).clientPort}`,
      batchSize: 1024 * 1024,
      lingerMs: 50,
    });
    const value = Buffer.alloc(64 * 1024, 7);
    const acknowledged = await Promise.all(
      Array.from({ length: 40 }, () => producer.send({ topic: 'big-values', value })),
    );
    expect(acknowledged.map((m) => m.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // A record over max.request.size fails at send(), before it takes a sequence number: the records
    // after it are not stuck behind a gap in the partition's sequence.
    await expect(
      producer.send({ topic: 'big-values', value: Buffer.alloc(2 * 1024 * 1024) }),
    ).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE' });
    expect((await producer.send({ topic: 'big-values', value: 'after' })).offset).toBe(40);
    await producer.close();
  }, 60_000);

  it('the SDK producer sendMany: one promise for a group, metadata in call order, a bad record fails the group after the rest settled', async () => {
    await createReplicatedTopic(cluster, 'many', 3);
    const producer = new Producer({ bootstrap: `http://127.0.0.1:${cluster.node(2).clientPort}` });
    // The topic is new to the producer: the whole group waits for its metadata, in order.
    const records = Array.from({ length: 300 }, (_, i) => ({
      topic: 'many',
      partition: i % 3,
      value: `v${i}`,
    }));
    const acknowledged = await producer.sendMany(records);
    expect(acknowledged.map((m) => m.partition)).toEqual(records.map((r) => r.partition));
    for (const partition of [0, 1, 2])
      expect(acknowledged.filter((m) => m.partition === partition).map((m) => m.offset)).toEqual(
        Array.from({ length: 100 }, (_, i) => i),
      );
    expect(await producer.sendMany([])).toEqual([]);
    // A record that cannot be sent rejects the group, once the records around it are acknowledged.
    const mixed = producer.sendMany([
      { topic: 'many', partition: 0, value: 'ok-before' },
      { topic: 'many', partition: 7, value: 'no such partition' },
      { topic: 'many', partition: 0, value: 'ok-after' },
    ]);
    await expect(mixed).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect((await producer.send({ topic: 'many', partition: 0, value: 'next' })).offset).toBe(102);
    await producer.close();
  }, 60_000);

  it('the SDK producer goes on past a batch its leader refused for good: a new producer id, the batches behind it sent again in order', async () => {
    await createReplicatedTopic(cluster, 'gap', 1);
    // max.request.size above the broker's max.message.bytes: the leader refuses the big record (Kafka's
    // case where the topic allows less than the producer). Its sequence numbers are lost with it.
    const producer = new Producer({
      bootstrap: `http://127.0.0.1:${cluster.node(1).clientPort}`,
      maxRequestSize: 8 * 1024 * 1024,
      batchSize: 100,
      lingerMs: 0,
    });
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'gap', value: `before-${i}` });
    const big = producer.send({ topic: 'gap', value: Buffer.alloc(2 * 1024 * 1024) });
    const after = Array.from({ length: 20 }, (_, i) => producer.send({ topic: 'gap', value: `after-${i}` }));
    await expect(big).rejects.toMatchObject({ errorName: 'MESSAGE_TOO_LARGE' });
    const offsets = (await Promise.all(after)).map((metadata) => metadata.offset);
    await producer.close();
    expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => 5 + i));
    const answer = clientCodec.fetchResponse(
      await post(
        1,
        '/v1/fetch',
        clientCodec.fetchRequest({
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 0,
          topics: [{ name: 'gap', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 0 }] }],
        }),
      ),
    );
    expect(values(answer)).toEqual([
      ...Array.from({ length: 5 }, (_, i) => `before-${i}`),
      ...Array.from({ length: 20 }, (_, i) => `after-${i}`),
    ]);
  }, 60_000);

  it('the SDK producer (idempotent) loses nothing and writes nothing twice while a partition leader is killed', async () => {
    await createReplicatedTopic(cluster, 'sdk', 3);
    const producer = new Producer({
      bootstrap: `http://127.0.0.1:${cluster.node(1).clientPort}`,
      lingerMs: 2,
      batchSize: 2048,
      deliveryTimeoutMs: 60_000,
      requestTimeoutMs: 10_000,
    });
    const route = clientCodec.metadataResponse(
      await post(1, '/v1/metadata', clientCodec.metadataRequest({ topics: ['sdk'] })),
    );
    const victim = route.topics[0]!.partitions[0]!.leader;
    const sends: Promise<RecordMetadata>[] = [];
    const send = (i: number) =>
      sends.push(producer.send({ topic: 'sdk', key: `k-${i % 30}`, value: `v-${i}` }));
    for (let i = 0; i < 1500; i++) send(i);
    await Promise.all(sends);
    await cluster.stop(victim, 'SIGKILL');
    for (let i = 1500; i < 3000; i++) send(i);
    const acknowledged = await Promise.all(sends);
    await producer.close();
    cluster.start(victim);
    await cluster.waitReady();

    // Read every partition to its high watermark through a survivor.
    const survivor = [1, 2, 3].find((id) => id !== victim)!;
    const stored = new Map<string, string>();
    for (const partition of [0, 1, 2]) {
      let offset = 0;
      for (;;) {
        const answer = clientCodec.fetchResponse(
          await post(
            survivor,
            '/v1/fetch',
            clientCodec.fetchRequest({
              maxWaitMs: 0,
              minBytes: 1,
              maxBytes: 0,
              topics: [
                { name: 'sdk', partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 0 }] },
              ],
            }),
          ),
        );
        const fetched = answer.topics[0]!.partitions[0]!;
        expect(fetched.errorCode).toBe(0);
        let next = offset;
        for (const { header } of batchesIn(Buffer.from(fetched.records)))
          for (const record of decodeRecords(header)) {
            if (record.offset >= offset)
              stored.set(`${partition}@${record.offset}`, record.value!.toString('utf8'));
            next = record.offset + 1;
          }
        if (next >= fetched.highWatermark || next === offset) break;
        offset = next;
      }
    }
    // Every acknowledged record at its offset; each value once; per key, in the order sent.
    acknowledged.forEach((metadata, i) => {
      expect(stored.get(`${metadata.partition}@${metadata.offset}`)).toBe(`v-${i}`);
    });
    expect(new Set(stored.values()).size).toBe(stored.size);
    expect(stored.size).toBe(3000);
    const lastByKey = new Map<string, number>();
    for (const [at, value] of [...stored].sort(([a], [b]) => {
      const [pa, oa] = a.split('@').map(Number);
      const [pb, ob] = b.split('@').map(Number);
      return pa! - pb! || oa! - ob!;
    })) {
      const i = Number(value.slice(2));
      const key = `${at.split('@')[0]}:${i % 30}`;
      expect(i).toBeGreaterThan(lastByKey.get(key) ?? -1);
      lastByKey.set(key, i);
    }
  }, 120_000);
});
