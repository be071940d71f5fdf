// A partition log reduced to what the partition core reads (PartitionLogView): the leader epoch of
// every record, and how far it is flushed. Epoch lookups follow LeaderEpochCache.endOffsetFor.
import type { EpochEndOffset } from '../../src/replication/fetch-messages.ts';
import type { PartitionLogView } from '../../src/replication/partition-core-types.ts';

export class FakePartitionLog implements PartitionLogView {
  /** The leader epoch of the record at each offset. */
  readonly epochs: number[] = [];
  flushedOffset = 0;
  readonly logStartOffset = 0;

  get logEndOffset(): number {
    return this.epochs.length;
  }

  get latestEpoch(): number | undefined {
    return this.epochs.at(-1);
  }

  endOffsetForEpoch(requested: number): EpochEndOffset {
    const latest = this.latestEpoch;
    if (requested < 0 || latest === undefined) return { epoch: -1, endOffset: -1 };
    if (requested === latest) return { epoch: requested, endOffset: this.logEndOffset };
    const higherAt = this.epochs.findIndex((epoch) => epoch > requested);
    if (higherAt === -1) return { epoch: -1, endOffset: -1 };
    return { epoch: higherAt === 0 ? requested : this.epochs[higherAt - 1]!, endOffset: higherAt };
  }

  append(epochs: readonly number[]): void {
    this.epochs.push(...epochs);
  }

  flush(): void {
    this.flushedOffset = this.logEndOffset;
  }

  truncateTo(offset: number): void {
    if (offset >= this.logEndOffset) return;
    this.epochs.length = offset;
    this.flushedOffset = Math.min(this.flushedOffset, offset);
  }
}

/** How many leading records two logs share (same epoch at the same offset means the same record). */
export function commonPrefix(a: FakePartitionLog, b: FakePartitionLog): number {
  const end = Math.min(a.logEndOffset, b.logEndOffset);
  let at = 0;
  while (at < end && a.epochs[at] === b.epochs[at]) at++;
  return at;
}
