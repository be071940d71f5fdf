// Idempotent producers through ReplicaManager.appendRecords, on three in-process brokers: a retry is
// answered with the original offsets and written once, by the leader that appended it and by a new
// leader after a failover (whose state came from the batches it replicated, or from its log at restart);
// errors are Kafka's.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import type { BrokerId, TopicId } from '../../src/metadata/ids.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { B1, B2, B3, P0, TestCluster, valuesByOffset } from './cluster.ts';

let cluster: TestCluster;

beforeEach(async () => {
  cluster = await TestCluster.create();
});
afterEach(async () => {
  await cluster.close();
});

const PRODUCER_ID = 4000;

/** The bytes a producer sends (and sends again on a retry): a fresh copy each time. */
function producerBatch(sequence: number, options: { count?: number; epoch?: number } = {}): Buffer {
  const count = options.count ?? 2;
  return buildRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      timestamp: 1_700_000_000_000,
      key: null,
      value: Buffer.from(`e${options.epoch ?? 0}-s${sequence + i}`),
      headers: [],
    })),
    producerId: PRODUCER_ID,
    producerEpoch: options.epoch ?? 0,
    baseSequence: sequence,
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The record values of broker `id`'s log, in offset order. */
async function values(id: BrokerId, topic: TopicId): Promise<string[]> {
  return [...valuesByOffset(await cluster.batches(id, topic)).values()];
}

describe('ReplicaManager: idempotent producers', () => {
  it("answers a retry with the original offsets without appending; errors are Kafka's", async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const first = await cluster.produce(B1, topic, producerBatch(0), -1);
    expect(first).toMatchObject({ firstOffset: 0, lastOffset: 1, duplicate: false });
    const retry = await cluster.produce(B1, topic, producerBatch(0), -1);
    expect(retry).toMatchObject({ firstOffset: 0, lastOffset: 1, duplicate: true });
    expect(cluster.hosted(B1, topic).log.logEndOffset).toBe(2);

    const gap = await rejection(cluster.produce(B1, topic, producerBatch(5), 1));
    expect(isKafkaError(gap, 'OUT_OF_ORDER_SEQUENCE_NUMBER'), String(gap)).toBe(true);
    const newEpochNotAtZero = await rejection(cluster.produce(B1, topic, producerBatch(2, { epoch: 1 }), 1));
    expect(isKafkaError(newEpochNotAtZero, 'OUT_OF_ORDER_SEQUENCE_NUMBER'), String(newEpochNotAtZero)).toBe(
      true,
    );
    expect(await cluster.produce(B1, topic, producerBatch(0, { epoch: 1 }), 1)).toMatchObject({
      firstOffset: 2,
    });
    const fenced = await rejection(cluster.produce(B1, topic, producerBatch(2), 1));
    expect(isKafkaError(fenced, 'INVALID_PRODUCER_EPOCH'), String(fenced)).toBe(true);
    expect(cluster.hosted(B1, topic).log.logEndOffset).toBe(4);
    expect(cluster.errors()).toEqual([]);
  });

  it('checks produces in flight together in the order they were called', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, producerBatch(0), -1);
    const settled = await Promise.allSettled([
      cluster.produce(B1, topic, producerBatch(2), -1),
      cluster.produce(B1, topic, producerBatch(4), -1),
      cluster.produce(B1, topic, producerBatch(2), -1),
      cluster.produce(B1, topic, producerBatch(8), -1),
      cluster.produce(B1, topic, producerBatch(6), -1),
    ]);
    const outcomes = settled.map((result) =>
      result.status === 'fulfilled'
        ? { firstOffset: result.value.firstOffset, duplicate: result.value.duplicate }
        : isKafkaError(result.reason)
          ? result.reason.errorName
          : String(result.reason),
    );
    expect(outcomes.slice(0, 3)).toEqual([
      { firstOffset: 2, duplicate: false },
      { firstOffset: 4, duplicate: false },
      { firstOffset: 2, duplicate: true },
    ]);
    expect(outcomes[3]).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(outcomes[4]).toEqual({ firstOffset: 6, duplicate: false });
    expect(await values(B1, topic)).toEqual([
      'e0-s0',
      'e0-s1',
      'e0-s2',
      'e0-s3',
      'e0-s4',
      'e0-s5',
      'e0-s6',
      'e0-s7',
    ]);
  });

  it('a new leader after a failover answers a retry of a batch the old leader appended with its offsets', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, producerBatch(0), -1);
    // Appended and replicated, but the producer never hears back: it will retry elsewhere.
    const unanswered = await cluster.produce(B1, topic, producerBatch(2, { count: 3 }), -1);
    for (const follower of [B2, B3]) await cluster.waitInSync(topic, B1, follower);
    const leaderState = cluster.hosted(B1, topic).log.producerStateSnapshot();
    for (const follower of [B2, B3]) {
      expect(cluster.hosted(follower, topic).log.producerStateSnapshot()).toEqual(leaderState);
    }

    cluster.commit([
      {
        type: 'partitionChange',
        topicId: topic,
        partitionId: P0,
        leader: B2,
        isr: [B2, B3, B1],
        replicas: null,
      },
    ]);
    await cluster.settled();
    expect(cluster.hosted(B2, topic).leader()).not.toBeNull();
    const retry = await cluster.produce(B2, topic, producerBatch(2, { count: 3 }), -1);
    expect(retry).toMatchObject({
      firstOffset: unanswered.firstOffset,
      lastOffset: unanswered.lastOffset,
      duplicate: true,
    });
    const next = await cluster.produce(B2, topic, producerBatch(5), -1);
    expect(next).toMatchObject({ firstOffset: unanswered.lastOffset + 1, duplicate: false });

    // Broker 3 restarts (its state rebuilt from its log) and leads next: the same retry is a duplicate.
    await cluster.waitInSync(topic, B2, B3);
    await cluster.stop(B3);
    cluster.start(B3);
    await cluster.settled();
    await cluster.waitInSync(topic, B2, B3);
    cluster.commit([
      {
        type: 'partitionChange',
        topicId: topic,
        partitionId: P0,
        leader: B3,
        isr: [B3, B1, B2],
        replicas: null,
      },
    ]);
    await cluster.settled();
    expect(cluster.hosted(B3, topic).leader()).not.toBeNull();
    expect(await cluster.produce(B3, topic, producerBatch(5), -1)).toMatchObject({
      firstOffset: next.firstOffset,
      duplicate: true,
    });
    const expected = ['e0-s0', 'e0-s1', 'e0-s2', 'e0-s3', 'e0-s4', 'e0-s5', 'e0-s6'];
    for (const follower of [B1, B2]) await cluster.waitInSync(topic, B3, follower);
    for (const broker of [B1, B2, B3]) expect(await values(broker, topic)).toEqual(expected);
    expect(cluster.errors()).toEqual([]);
  });
});
