import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../src/common/dead-letter.ts';
import { type ConsumerRecord, PartitionState } from '../../src/client/fetcher.ts';

const record = (offset: number): ConsumerRecord => ({
  topic: 't.dlq',
  partition: 0,
  offset,
  timestamp: 0,
  key: null,
  value: Buffer.from(String(offset)),
  headers: [],
});

function buffered(offsets: number[]): PartitionState {
  const state = new PartitionState('t.dlq', 0);
  state.moveTo(offsets[0]!);
  state.buffer = offsets.map(record);
  state.fetchOffset = offsets.at(-1)! + 1;
  return state;
}

describe('PartitionState.take with a dead-letter decision', () => {
  it('passes skipped records, stops at a held one with the position at it, and delivers it once due', () => {
    const decisions = new Map<number, Delivery>([
      [10, { kind: 'deliver' }],
      [11, { kind: 'skip', why: 'final' }],
      [12, { kind: 'hold', until: 500 }],
      [13, { kind: 'deliver' }],
    ]);
    const state = buffered([10, 11, 12, 13]);
    const decide = (r: ConsumerRecord) => decisions.get(r.offset)!;
    expect(state.take(10, decide).map((r) => r.offset)).toEqual([10]);
    expect(state.position).toBe(12);
    expect(state.heldUntil).toBe(500);
    expect(state.buffered).toBe(2);
    // Asked again before it is due: still nothing, still held.
    expect(state.take(10, decide)).toEqual([]);
    expect(state.position).toBe(12);
    decisions.set(12, { kind: 'deliver' });
    expect(state.take(10, decide).map((r) => r.offset)).toEqual([12, 13]);
    expect(state.position).toBe(14);
    expect(state.heldUntil).toBeNull();
    expect(state.buffered).toBe(0);
  });

  it('stops at max records; without a decision every buffered record is taken', () => {
    const state = buffered([0, 1, 2]);
    expect(state.take(2, () => ({ kind: 'deliver' })).map((r) => r.offset)).toEqual([0, 1]);
    expect(state.position).toBe(2);
    expect(state.take(5).map((r) => r.offset)).toEqual([2]);
    expect(state.position).toBe(3);
  });
});
