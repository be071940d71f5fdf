// The leader-epoch cache (KIP-101, KIP-279): for each leader epoch present in the log, the offset of
// its first batch. A follower asks the leader where its last epoch ends (OffsetsForLeaderEpoch) and
// truncates there, instead of to a high watermark that may be stale.

import { assert } from '../../raft/assert.ts';
import { type LeaderEpoch, type Offset, offset } from './types.ts';

export interface EpochEntry {
  readonly epoch: LeaderEpoch;
  readonly startOffset: Offset;
}

/** OffsetsForLeaderEpoch's answer; both -1 (Kafka's UNDEFINED_EPOCH[_OFFSET]) when it has none. */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export const UNDEFINED_EPOCH_END: EpochEndOffset = { epoch: -1, endOffset: -1 };

export class LeaderEpochCache {
  private entries: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.entries = [...entries];
    for (let at = 1; at < this.entries.length; at++) {
      const previous = this.entries[at - 1]!;
      const entry = this.entries[at]!;
      assert(
        entry.epoch > previous.epoch && entry.startOffset >= previous.startOffset,
        'epoch entries out of order',
        {
          previous,
          entry,
        },
      );
    }
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  latest(): EpochEntry | undefined {
    return this.entries.at(-1);
  }

  /** The epoch of the batch holding `at` (an offset of the log), or undefined before every entry. */
  epochAt(at: number): LeaderEpoch | undefined {
    let low = 0;
    let high = this.entries.length - 1;
    let found: LeaderEpoch | undefined;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.entries[middle]!.startOffset <= at) {
        found = this.entries[middle]!.epoch;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /** Records that `epoch` starts at `startOffset` if it is newer than the latest; true if it was. */
  assign(epoch: LeaderEpoch, startOffset: Offset): boolean {
    const latest = this.latest();
    if (latest !== undefined && epoch <= latest.epoch) {
      assert(epoch === latest.epoch, () => `epoch ${epoch} appended after epoch ${latest.epoch}`);
      return false;
    }
    assert(
      latest === undefined || startOffset >= latest.startOffset,
      () => `epoch ${epoch} starts at ${startOffset}`,
    );
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * Kafka's LeaderEpochFileCache.endOffsetFor: the largest epoch <= `requested` and where it ends (the
   * start of the next higher epoch, or the log end offset for the latest epoch).
   */
  endOffsetFor(requested: number, logEndOffset: Offset): EpochEndOffset {
    const latest = this.latest();
    if (requested < 0 || latest === undefined) return UNDEFINED_EPOCH_END;
    if (requested === latest.epoch) return { epoch: requested, endOffset: logEndOffset };
    const higherAt = this.entries.findIndex((entry) => entry.epoch > requested);
    if (higherAt === -1) return UNDEFINED_EPOCH_END;
    const higher = this.entries[higherAt]!;
    const floor = higherAt === 0 ? undefined : this.entries[higherAt - 1]!;
    return { epoch: floor?.epoch ?? requested, endOffset: higher.startOffset };
  }

  /** Drops the epochs that start at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: Offset): void {
    this.entries = this.entries.filter((entry) => entry.startOffset < endOffset);
  }

  /**
   * The log now starts at `startOffset`: epochs that start before it go, except the one in force there,
   * which is kept as starting at `startOffset` (Kafka keeps it so a follower can still be answered).
   */
  truncateFromStart(startOffset: Offset): void {
    const inForce = this.entries.filter((entry) => entry.startOffset <= startOffset).at(-1);
    const later = this.entries.filter((entry) => entry.startOffset > startOffset);
    this.entries =
      inForce === undefined ? later : [{ epoch: inForce.epoch, startOffset: offset(startOffset) }, ...later];
  }
}
