// Idempotent REST producers (our extension of v3 produce): POST .../producer-ids gives an id, and a
// record carrying producer_id, producer_epoch and sequence (with partition_id) is a batch of its own with
// those fields. Through the fake data plane: what reaches the partition and what is refused; through a
// real partition log: a retried record answers its first offset, a gap in sequences is refused.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataApi } from '../../src/http/ports.ts';
import { produceRecords } from '../../src/http/records/producer.ts';
import { PartitionSendOrder } from '../../src/http/records/send-order.ts';
import type { RecordInput } from '../../src/http/records/record-input.ts';
import { StickyPartitioner } from '../../src/common/partitioner.ts';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import type { TopicImage } from '../../src/metadata/image.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { leaderEpoch } from '../../src/storage/types.ts';
import { temporaryDirectory } from '../storage/helpers.ts';
import { CLUSTER_ID } from './fake-node.ts';
import type { Harness } from './harness.ts';
import { BASE, createTopic, newHarness } from './harness.ts';

const RECORDS = `${BASE}/topics/orders/records`;
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

let h: Harness;
beforeEach(async () => {
  h = newHarness({ now: () => 1_700_000_000_000 });
  await createTopic(h, 'orders', 3, 2);
});
afterEach(async () => {
  await h.close();
});

describe('REST idempotent producers over the fake data plane', () => {
  it('POST .../producer-ids hands out a new producer id with epoch 0', async () => {
    const first = await h.send('POST', `${BASE}/producer-ids`);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      kind: 'KafkaProducerId',
      cluster_id: CLUSTER_ID,
      producer_id: 0,
      producer_epoch: 0,
    });
    expect((await h.send('POST', `${BASE}/producer-ids`)).json.producer_id).toBe(1);
  });

  it('sends each idempotent record as a batch of its own with its producer fields', async () => {
    const body = [
      { partition_id: 1, value: { data: b64('a') }, producer_id: 42, producer_epoch: 3, sequence: 7 },
      { partition_id: 1, value: { data: b64('b') }, producer_id: 42, producer_epoch: 3, sequence: 8 },
      { partition_id: 1, value: { data: b64('plain-1') } },
      { partition_id: 1, value: { data: b64('plain-2') } },
    ]
      .map((record) => JSON.stringify(record))
      .join('\n');
    const reply = await h.send('POST', RECORDS, body);
    expect(reply.status).toBe(200);
    const batches = h.node.data.batchesOf('orders', 1);
    expect(
      batches.map((batch) => [batch.producerId, batch.producerEpoch, batch.baseSequence, batch.recordCount]),
    ).toEqual([
      [42, 3, 7, 1],
      [42, 3, 8, 1],
      [-1, -1, -1, 2],
    ]);
  });

  it.each([
    [
      { producer_id: 1, producer_epoch: 0 },
      "Fields 'producer_id', 'producer_epoch', 'sequence' go together.",
    ],
    [{ producer_id: 1, producer_epoch: 0, sequence: 0, partition_id: null }, "needs 'partition_id'"],
    [
      { producer_id: -1, producer_epoch: 0, sequence: 0, partition_id: 0 },
      "Field 'producer_id' must be an integer",
    ],
    [
      { producer_id: 1, producer_epoch: 40000, sequence: 0, partition_id: 0 },
      "Field 'producer_epoch' must be",
    ],
    [{ producer_id: 1, producer_epoch: 0, sequence: 1.5, partition_id: 0 }, "Field 'sequence' must be"],
  ])('refuses bad producer fields %j with 422 / 42206', async (fields, message) => {
    const reply = await h.send('POST', RECORDS, { value: { data: b64('x') }, ...fields });
    expect(reply.status).toBe(422);
    expect(reply.json.error_code).toBe(42206);
    expect(reply.json.message).toContain(message);
    expect(h.node.data.produces).toEqual([]);
  });
});

describe('REST idempotent producers over a real partition log', () => {
  it('answers a retried record with its first offset, and refuses a gap in sequences', async () => {
    const { dir, remove } = await temporaryDirectory();
    const log = await PartitionLog.open({ dir });
    try {
      // The data plane of one partition, led here: the leader's append is the log's.
      const data: Pick<DataApi, 'produce'> = {
        produce: async (request) => {
          const result = await log.appendAsLeader(request.records, leaderEpoch(0));
          return { baseOffset: result.firstOffset, lastOffset: result.lastOffset };
        },
      };
      const topic: TopicImage = topicByName(h.node.image(), 'orders')!;
      const record = (value: string, sequence: number): RecordInput => ({
        partitionId: 0,
        key: null,
        value: Buffer.from(value),
        headers: [],
        timestamp: 1_000,
        keyType: null,
        valueType: 'BINARY',
        idempotence: { producerId: 9, producerEpoch: 0, sequence },
      });
      const deps = {
        data: data as DataApi,
        sticky: new StickyPartitioner(),
        now: () => 1_000,
        sendOrder: new PartitionSendOrder(1 << 20),
        onUnacknowledgedFailure: () => undefined,
      };
      const acks = { acks: -1, explicit: false } as const;
      const first = await produceRecords(deps, topic, [record('a', 0), record('b', 1)], acks);
      expect(first.map((outcome) => outcome.ok && outcome.produced.offset)).toEqual([0, 1]);
      // The response was lost: the producer sends both again, then the next one.
      const retried = await produceRecords(
        deps,
        topic,
        [record('a', 0), record('b', 1), record('c', 2)],
        acks,
      );
      expect(retried.map((outcome) => outcome.ok && outcome.produced.offset)).toEqual([0, 1, 2]);
      expect(log.logEndOffset).toBe(3);
      const [gap] = await produceRecords(deps, topic, [record('e', 4)], acks);
      expect(gap!.ok).toBe(false);
      expect(isKafkaError(gap!.ok ? null : gap!.error, 'OUT_OF_ORDER_SEQUENCE_NUMBER')).toBe(true);
      expect(log.logEndOffset).toBe(3);
    } finally {
      await log.close();
      await remove();
    }
  });
});
