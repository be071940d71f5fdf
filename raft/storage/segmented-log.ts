// The log as a list of segments, changed at call time (append, snapshot) in memory only. Each change
// leaves its file work in the segments (bytes to write, a cut) and in `deletions`; seal() hands that
// work over as one LogBatch for sync to run, so one sync writes everything buffered before it.

import type { Entry } from '../types.ts';
import { assert } from '../assert.ts';
import { encodeEntryFrame } from './entry-frame.ts';
import { Segment } from './segment.ts';

export interface SegmentWrite {
  readonly segment: Segment;
  /** The file does not exist yet: create it. */
  readonly create: boolean;
  /** Cut the file to this size before writing (a conflicting append truncated written entries). */
  readonly cutToBytes: number | null;
  readonly positionBytes: number;
  readonly data: Buffer;
}

export interface LogBatch {
  /** Segment files to remove (their segments are gone from the log). */
  readonly deletions: readonly Segment[];
  /** In ascending segment order. */
  readonly writes: readonly SegmentWrite[];
}

export class SegmentedLog {
  private readonly dir: string;
  private readonly segmentBytesMax: number;
  /** Ascending, contiguous: each segment starts right after the previous one's last entry. */
  private readonly segments: Segment[];
  private deletions: Segment[] = [];
  /** Entries <= snapshotIndex are compacted (they may still sit at the head of the first segment). */
  private snapshotIndex: number;
  private snapshotTerm: number;

  constructor(options: {
    dir: string;
    segmentBytesMax: number;
    segments: Segment[];
    snapshotIndex: number;
    snapshotTerm: number;
  }) {
    assert(options.segmentBytesMax > 0, 'segmentBytesMax must be positive');
    this.dir = options.dir;
    this.segmentBytesMax = options.segmentBytesMax;
    this.segments = options.segments;
    this.snapshotIndex = options.snapshotIndex;
    this.snapshotTerm = options.snapshotTerm;
    this.assertInvariants();
  }

  lastIndex(): number {
    const last = this.segments.at(-1);
    return last === undefined ? this.snapshotIndex : last.lastIndex();
  }

  /** The term of the entry at `index`; snapshotTerm at snapshotIndex; null if compacted or absent. */
  termAt(index: number): number | null {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return null;
    const segment = this.segmentContaining(index);
    return segment.terms[index - segment.baseIndex]!;
  }

  /** Ready.entries semantics: drop every entry >= entries[0].index, then append. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assertContiguous(entries);
    const lastIndex = this.lastIndex();
    assert(
      first.index > this.snapshotIndex,
      () => `append at ${first.index} <= snapshot ${this.snapshotIndex}`,
    );
    assert(first.index <= lastIndex + 1, () => `append at ${first.index} leaves a gap after ${lastIndex}`);
    const termBefore = this.termAt(first.index - 1)!;
    assert(first.term >= termBefore, () => `entry ${first.index} term ${first.term} < term ${termBefore}`);
    if (first.index <= lastIndex) this.truncateAfter(first.index - 1);
    for (const entry of entries) this.appendEntry(entry);
    assert(this.lastIndex() === entries.at(-1)!.index, 'last index after append');
  }

  /**
   * Ready.snapshot semantics: entries <= index are dropped (whole segments deleted); when the entry at
   * index has another term, or the log does not reach it, the whole log is discarded.
   */
  applySnapshot(index: number, snapshotTerm: number): void {
    assert(
      index >= this.snapshotIndex,
      () => `snapshot ${index} is older than snapshot ${this.snapshotIndex}`,
    );
    assert(index > this.snapshotIndex || snapshotTerm === this.snapshotTerm, 'two snapshots at one index');
    if (this.termAt(index) === snapshotTerm) {
      while (this.segments.length > 0 && this.segments[0]!.lastIndex() <= index) this.removeSegment(0);
    } else {
      while (this.segments.length > 0) this.removeSegment(this.segments.length - 1);
    }
    this.snapshotIndex = index;
    this.snapshotTerm = snapshotTerm;
    this.assertInvariants();
  }

  hasPendingWork(): boolean {
    return this.deletions.length > 0 || this.segments.some((segment) => segmentHasWork(segment));
  }

  /** Hands over the file work buffered so far; the segments then account for it as written. */
  seal(): LogBatch {
    const writes: SegmentWrite[] = [];
    for (const segment of this.segments) {
      if (!segmentHasWork(segment)) continue;
      const positionBytes = segment.cutToBytes ?? segment.sealedBytes;
      const data = Buffer.concat(segment.chunks, segment.chunksBytes);
      writes.push({
        segment,
        create: !segment.fileExists,
        cutToBytes: segment.cutToBytes,
        positionBytes,
        data,
      });
      segment.fileExists = true;
      segment.sealedBytes = positionBytes + data.length;
      segment.cutToBytes = null;
      segment.chunks = [];
      segment.chunksBytes = 0;
    }
    const batch = { deletions: this.deletions, writes };
    this.deletions = [];
    return batch;
  }

  /** Every segment that may hold an open file handle: those in the log and those awaiting deletion. */
  segmentsWithFiles(): Segment[] {
    return [...this.deletions, ...this.segments];
  }

  /** The segments before the last: their handles need not stay open. */
  inactiveSegments(): Segment[] {
    return this.segments.slice(0, -1);
  }

  private appendEntry(entry: Entry): void {
    const frame = encodeEntryFrame(entry);
    let segment = this.segments.at(-1);
    const full = segment !== undefined && segment.sizeBytes() + frame.length > this.segmentBytesMax;
    if (segment === undefined || (full && segment.terms.length > 0)) {
      segment = new Segment({ dir: this.dir, baseIndex: entry.index });
      this.segments.push(segment);
    }
    segment.appendFrame(frame, entry);
  }

  /** Drops every entry after `index` (index >= snapshotIndex): later segments go, the last is cut. */
  private truncateAfter(index: number): void {
    while (this.segments.length > 0 && this.segments.at(-1)!.baseIndex > index) {
      this.removeSegment(this.segments.length - 1);
    }
    const last = this.segments.at(-1);
    if (last !== undefined) last.keepEntries(index - last.baseIndex + 1);
    assert(this.lastIndex() === index, () => `last index ${this.lastIndex()} after truncating to ${index}`);
  }

  private removeSegment(position: number): void {
    const [segment] = this.segments.splice(position, 1);
    if (segment?.fileExists) this.deletions.push(segment);
  }

  private segmentContaining(index: number): Segment {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.segments[middle]!.baseIndex <= index) low = middle;
      else high = middle - 1;
    }
    const segment = this.segments[low]!;
    assert(segment.baseIndex <= index && index <= segment.lastIndex(), () => `no segment holds ${index}`);
    return segment;
  }

  private assertInvariants(): void {
    const first = this.segments[0];
    if (first === undefined) return;
    assert(first.baseIndex <= this.snapshotIndex + 1, 'gap between the snapshot and the log');
    assert(this.segments.at(-1)!.lastIndex() >= this.snapshotIndex, 'log ends before the snapshot');
    for (let position = 1; position < this.segments.length; position++) {
      const previous = this.segments[position - 1]!;
      assert(this.segments[position]!.baseIndex === previous.lastIndex() + 1, 'segments are not contiguous');
    }
  }
}

function segmentHasWork(segment: Segment): boolean {
  return segment.cutToBytes !== null || segment.chunks.length > 0;
}

function assertContiguous(entries: readonly Entry[]): void {
  for (let position = 1; position < entries.length; position++) {
    const previous = entries[position - 1]!;
    const entry = entries[position]!;
    assert(entry.index === previous.index + 1, () => `entry ${entry.index} follows entry ${previous.index}`);
    assert(entry.term >= previous.term, () => `entry ${entry.index} has a lower term than its predecessor`);
  }
}
