import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { DeadLetterProducer } from '../../src/http/consumers/dead-letter-producer.ts';
import type { DataApi, ProduceRequest } from '../../src/http/ports.ts';
import { RecordBatchHeader } from '../../src/storage/record-batch/header.ts';

/** A DataApi whose produces fail with the queued errors first, then succeed. */
function stubData(failures: unknown[]): DataApi & { produced: ProduceRequest[]; ids: number } {
  let offset = 0;
  const stub = {
    produced: [] as ProduceRequest[],
    ids: 0,
    async initProducerId() {
      return { producerId: 100 + stub.ids++, producerEpoch: 0 };
    },
    async produce(request: ProduceRequest) {
      stub.produced.push(request);
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      const count = new RecordBatchHeader(request.records).recordCount;
      offset += count;
      return { baseOffset: offset - count, lastOffset: offset - 1 };
    },
    read: () => Promise.reject(new Error('not used')),
    offsets: () => Promise.reject(new Error('not used')),
    offsetForTimestamp: () => Promise.reject(new Error('not used')),
  };
  return stub;
}

const record = (value: string) => ({ timestamp: 1, key: null, value: Buffer.from(value), headers: [] });
const header = (request: ProduceRequest) => new RecordBatchHeader(request.records);

describe('DeadLetterProducer', () => {
  it('sends the same idempotent batch again after an unknown outcome, then goes on with the sequence', async () => {
    const data = stubData([
      new KafkaError('NETWORK_EXCEPTION', 'the leader died: the records may or may not have been written'),
    ]);
    const producer = new DeadLetterProducer({ data, now: Date.now });
    const deadline = Date.now() + 10_000;
    await producer.send('t.dlq', 0, [record('a'), record('b')], deadline);
    expect(data.produced).toHaveLength(2);
    expect(data.produced[1]!.records.equals(data.produced[0]!.records)).toBe(true);
    expect(data.produced.every((p) => p.acks === -1)).toBe(true);
    expect(header(data.produced[0]!)).toMatchObject({ producerId: 100, producerEpoch: 0, baseSequence: 0 });
    await producer.send('t.dlq', 0, [record('c')], deadline);
    await producer.send('t.dlq', 1, [record('d')], deadline);
    expect(header(data.produced[2]!).baseSequence).toBe(2);
    expect(header(data.produced[3]!).baseSequence).toBe(0);
    expect(data.ids).toBe(1);
  });

  it('gives up at the deadline or on an error a resend cannot mend, and starts over with a new producer id', async () => {
    const data = stubData([new KafkaError('OUT_OF_ORDER_SEQUENCE_NUMBER', 'gap')]);
    const producer = new DeadLetterProducer({ data, now: Date.now });
    await expect(producer.send('t.dlq', 0, [record('a')], Date.now() + 10_000)).rejects.toMatchObject({
      errorName: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    });
    expect(data.produced).toHaveLength(1);
    await producer.send('t.dlq', 0, [record('a')], Date.now() + 10_000);
    expect(header(data.produced[1]!)).toMatchObject({ producerId: 101, baseSequence: 0 });

    const slow = stubData(Array.from({ length: 1000 }, () => new KafkaError('NOT_ENOUGH_REPLICAS', 'isr')));
    const late = new DeadLetterProducer({ data: slow, now: Date.now });
    await expect(late.send('t.dlq', 0, [record('a')], Date.now() + 350)).rejects.toMatchObject({
      errorName: 'NOT_ENOUGH_REPLICAS',
    });
    expect(slow.produced.length).toBeGreaterThan(1);
    expect(slow.produced.length).toBeLessThan(10);
  });
});
