import { describe, expect, it } from 'vitest';
import { LeaderEpochCache, UNDEFINED_EPOCH_END } from '../../src/storage/leader-epoch-cache.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';

function cache(...entries: [number, number][]): LeaderEpochCache {
  const result = new LeaderEpochCache();
  for (const [epoch, start] of entries) result.assign(leaderEpoch(epoch), offset(start));
  return result;
}

describe('leader-epoch cache', () => {
  it('answers OffsetsForLeaderEpoch as Kafka does', () => {
    const epochs = cache([1, 0], [3, 10], [6, 25]);
    const leo = offset(40);
    expect(epochs.endOffsetFor(6, leo)).toEqual({ epoch: 6, endOffset: 40 });
    expect(epochs.endOffsetFor(3, leo)).toEqual({ epoch: 3, endOffset: 25 });
    expect(epochs.endOffsetFor(4, leo)).toEqual({ epoch: 3, endOffset: 25 });
    expect(epochs.endOffsetFor(2, leo)).toEqual({ epoch: 1, endOffset: 10 });
    expect(epochs.endOffsetFor(0, leo)).toEqual({ epoch: 0, endOffset: 0 });
    expect(epochs.endOffsetFor(7, leo)).toEqual(UNDEFINED_EPOCH_END);
    expect(new LeaderEpochCache().endOffsetFor(1, leo)).toEqual(UNDEFINED_EPOCH_END);
  });

  it('ignores a repeated epoch and truncates from both ends', () => {
    const epochs = cache([1, 0], [3, 10], [6, 25]);
    expect(epochs.assign(leaderEpoch(6), offset(30))).toBe(false);
    epochs.truncateFromEnd(offset(25));
    expect(epochs.all().map((entry) => entry.epoch)).toEqual([1, 3]);
    epochs.truncateFromStart(offset(12));
    expect(epochs.all()).toEqual([{ epoch: 3, startOffset: 12 }]);
  });

  it('asserts that a lower epoch is never assigned', () => {
    expect(() => cache([3, 0], [2, 5])).toThrow(/invariant/);
  });
});
