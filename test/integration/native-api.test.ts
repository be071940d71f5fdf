import { describe, expect, it } from 'vitest';
import { request } from 'undici';
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
});
