// The producer state's rules, one by one (Kafka's ProducerStateManagerTest cases that apply without
// transactions): duplicates, epochs, sequences with int32 wrap, unknown producers, retention.

import { describe, expect, it } from 'vitest';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { decodeProducerSnapshot, encodeProducerSnapshot } from '../../src/storage/producer-snapshot.ts';
import {
  BATCHES_RETAINED_PER_PRODUCER,
  lastSequenceOf,
  type PlacedBatchHeader,
  type ProducerEntry,
  ProducerStateTable,
} from '../../src/storage/producer-state.ts';
import { offset } from '../../src/storage/types.ts';

const INT32_MAX = 0x7fff_ffff;

function batch(fields: {
  producerId?: number;
  epoch?: number;
  sequence: number;
  count?: number;
  at?: number;
  control?: boolean;
}): PlacedBatchHeader {
  return {
    producerId: fields.producerId ?? 7,
    producerEpoch: fields.epoch ?? 0,
    baseSequence: fields.sequence,
    lastOffsetDelta: (fields.count ?? 1) - 1,
    isControl: fields.control ?? false,
    baseOffset: fields.at ?? 0,
  };
}

function errorName(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isKafkaError(error)) return error.errorName;
    throw error;
  }
  throw new Error('expected a KafkaError');
}

describe('ProducerStateTable', () => {
  it('computes the last sequence with the int32 wrap', () => {
    expect(lastSequenceOf(batch({ sequence: 5, count: 3 }))).toBe(7);
    expect(lastSequenceOf(batch({ sequence: INT32_MAX, count: 1 }))).toBe(INT32_MAX);
    expect(lastSequenceOf(batch({ sequence: INT32_MAX, count: 2 }))).toBe(0);
    expect(lastSequenceOf(batch({ sequence: INT32_MAX - 1, count: 4 }))).toBe(1);
  });

  it('accepts a new producer at any sequence (KIP-360), then only the next sequence', () => {
    const table = new ProducerStateTable();
    expect(table.check([batch({ sequence: 0 })])).toEqual({ kind: 'append' });
    expect(table.check([batch({ sequence: 42 })])).toEqual({ kind: 'append' });
    table.apply(batch({ sequence: 0, count: 3, at: 10 }));
    expect(table.check([batch({ sequence: 3 })])).toEqual({ kind: 'append' });
    expect(errorName(() => table.check([batch({ sequence: 4 })]))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(errorName(() => table.check([batch({ sequence: 1, count: 2 })]))).toBe(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
    );
  });

  it('answers a retry of any of the last 5 batches with its original offsets', () => {
    const table = new ProducerStateTable();
    for (let index = 0; index < 7; index++) {
      table.apply(batch({ sequence: index * 2, count: 2, at: 100 + index * 10 }));
    }
    expect(table.entry(7)!.batches).toHaveLength(BATCHES_RETAINED_PER_PRODUCER);
    expect(table.check([batch({ sequence: 4, count: 2 })])).toEqual({
      kind: 'duplicate',
      firstOffset: 120,
      lastOffset: 121,
    });
    expect(table.check([batch({ sequence: 12, count: 2 })])).toEqual({
      kind: 'duplicate',
      firstOffset: 160,
      lastOffset: 161,
    });
    // Older than the last 5, or the same first sequence with another range: out of order.
    expect(errorName(() => table.check([batch({ sequence: 2, count: 2 })]))).toBe(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
    );
    expect(errorName(() => table.check([batch({ sequence: 4, count: 1 })]))).toBe(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
    );
  });

  it('refuses an older epoch; a newer one must start at sequence 0 and replaces the batches', () => {
    const table = new ProducerStateTable();
    table.apply(batch({ epoch: 3, sequence: 0, count: 2, at: 0 }));
    expect(errorName(() => table.check([batch({ epoch: 2, sequence: 2 })]))).toBe('INVALID_PRODUCER_EPOCH');
    // A retry of an older epoch's batch is not a duplicate: the epoch is checked first.
    expect(errorName(() => table.check([batch({ epoch: 2, sequence: 0, count: 2 })]))).toBe(
      'INVALID_PRODUCER_EPOCH',
    );
    expect(errorName(() => table.check([batch({ epoch: 4, sequence: 2 })]))).toBe(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
    );
    expect(table.check([batch({ epoch: 4, sequence: 0 })])).toEqual({ kind: 'append' });
    table.apply(batch({ epoch: 4, sequence: 0, at: 2 }));
    expect(table.entry(7)).toEqual({
      producerEpoch: 4,
      batches: [{ firstSequence: 0, lastSequence: 0, firstOffset: 2, lastOffset: 2 }],
    });
  });

  it('checks the batches of one append against each other, and changes nothing', () => {
    const table = new ProducerStateTable();
    table.apply(batch({ sequence: 0, at: 0 }));
    expect(
      table.check([batch({ sequence: 1 }), batch({ sequence: 2, count: 3 }), batch({ sequence: 5 })]),
    ).toEqual({
      kind: 'append',
    });
    expect(errorName(() => table.check([batch({ sequence: 1 }), batch({ sequence: 1 })]))).toBe(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
    );
    expect(table.check([batch({ producerId: 8, sequence: 0 }), batch({ sequence: 0 })])).toMatchObject({
      kind: 'duplicate',
      firstOffset: 0,
    });
    expect(table.snapshot()).toEqual([
      [
        7,
        { producerEpoch: 0, batches: [{ firstSequence: 0, lastSequence: 0, firstOffset: 0, lastOffset: 0 }] },
      ],
    ]);
  });

  it('follows the sequence across the int32 wrap', () => {
    const table = new ProducerStateTable();
    table.apply(batch({ sequence: INT32_MAX - 1, count: 2, at: 0 }));
    expect(errorName(() => table.check([batch({ sequence: INT32_MAX })]))).toBe(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
    );
    expect(table.check([batch({ sequence: 0 })])).toEqual({ kind: 'append' });
  });

  it('ignores batches without a producer id and control batches; refuses a negative sequence', () => {
    const table = new ProducerStateTable();
    table.apply(batch({ producerId: -1, sequence: -1, at: 0 }));
    table.apply(batch({ sequence: -1, control: true, at: 1 }));
    expect(table.producerCount).toBe(0);
    expect(table.check([batch({ producerId: -1, sequence: -1 })])).toEqual({ kind: 'append' });
    expect(errorName(() => table.check([batch({ sequence: -1 })]))).toBe('INVALID_RECORD');
  });

  it('forgets batches of deleted segments, and producers with none left', () => {
    const table = new ProducerStateTable();
    table.apply(batch({ producerId: 1, sequence: 0, at: 0 }));
    table.apply(batch({ producerId: 2, sequence: 0, at: 1 }));
    table.apply(batch({ producerId: 1, sequence: 1, at: 2 }));
    expect(table.reachesOffset(offset(2))).toBe(true);
    expect(table.reachesOffset(offset(3))).toBe(false);
    table.forgetBefore(offset(2));
    expect(table.snapshot()).toEqual([
      [
        1,
        { producerEpoch: 0, batches: [{ firstSequence: 1, lastSequence: 1, firstOffset: 2, lastOffset: 2 }] },
      ],
    ]);
  });

  it("asserts that a producer's batches are applied in offset order", () => {
    const table = new ProducerStateTable();
    table.apply(batch({ sequence: 0, at: 5 }));
    expect(() => table.apply(batch({ sequence: 1, at: 5 }))).toThrow(/producer batches go back/);
  });
});

describe('producer snapshot file', () => {
  const snapshot = {
    offset: offset(40),
    producers: [
      [
        3,
        {
          producerEpoch: 2,
          batches: [
            { firstSequence: 0, lastSequence: 4, firstOffset: offset(10), lastOffset: offset(14) },
            { firstSequence: 5, lastSequence: 5, firstOffset: offset(30), lastOffset: offset(30) },
          ],
        },
      ],
      [
        9,
        {
          producerEpoch: 0,
          batches: [{ firstSequence: 7, lastSequence: 7, firstOffset: offset(39), lastOffset: offset(39) }],
        },
      ],
    ] as [number, ProducerEntry][],
  };

  it('decodes what it encodes', () => {
    expect(decodeProducerSnapshot(encodeProducerSnapshot(snapshot))).toEqual(snapshot);
  });

  it('is ignored (null) when torn, flipped or describing batches past its offset', () => {
    const bytes = encodeProducerSnapshot(snapshot);
    expect(decodeProducerSnapshot(bytes.subarray(0, bytes.length - 1))).toBeNull();
    for (const at of [0, 5, 9, bytes.length - 2]) {
      const flipped = Buffer.from(bytes);
      flipped[at]! ^= 0x10;
      expect(decodeProducerSnapshot(flipped), `byte ${at}`).toBeNull();
    }
    expect(decodeProducerSnapshot(encodeProducerSnapshot({ ...snapshot, offset: offset(39) }))).toBeNull();
  });
});
