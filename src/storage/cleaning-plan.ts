// Where a log cleaning round works (Kafka's LogCleanerManager.cleanableOffsets, LogToClean and
// Cleaner.groupSegmentsBySize), without I/O. The log splits into a clean section (cleaned by earlier
// rounds, below the first dirty offset) and a dirty one; a round maps the keys of the dirty section's
// closed segments that may be cleaned, then rewrites every segment below the map's end, a group of small
// segments into one.

/** What a round reads of each segment (LogSegment has it). */
export interface SegmentSummary {
  readonly baseOffset: number;
  /** The offset after the segment's last batch (the next segment's base offset, but for the active one). */
  readonly nextOffset: number;
  readonly sizeBytes: number;
  readonly maxTimestamp: number;
  /** -1 when unknown (a segment opened from its indexes). */
  readonly firstBatchMaxTimestamp: number;
}

export interface CleanableRange {
  /** Where the dirty section starts (the checkpointed offset, unless outside the log). */
  readonly firstDirtyOffset: number;
  /** The round maps and cleans only whole segments below this (a segment's base offset). */
  readonly firstUncleanableOffset: number;
  /** Bytes of the segments wholly below the first dirty offset. */
  readonly cleanBytes: number;
  /** Bytes of the segments from the one holding the first dirty offset up to the uncleanable one. */
  readonly dirtyBytes: number;
  /** max.compaction.lag.ms passed for the oldest dirty batch: clean whatever the ratio. */
  readonly overdue: boolean;
}

/**
 * The cleanable part of a log of `segments` (the last one active). Cleaning stops before: the active
 * segment, the segment holding `committedOffset` (the high watermark, and only what is durable here),
 * and the first dirty segment with a record newer than min.compaction.lag.ms.
 */
export function cleanableRange(
  segments: readonly SegmentSummary[],
  options: {
    readonly firstDirtyOffset: number;
    readonly logStartOffset: number;
    readonly committedOffset: number;
    readonly nowMs: number;
    readonly minCompactionLagMs: number;
    readonly maxCompactionLagMs: number;
  },
): CleanableRange {
  const logEndOffset = segments.at(-1)!.nextOffset;
  // A checkpointed offset outside the log (truncation, retention, DeleteRecords moved it): from the start.
  const firstDirtyOffset =
    options.firstDirtyOffset < options.logStartOffset || options.firstDirtyOffset > logEndOffset
      ? options.logStartOffset
      : options.firstDirtyOffset;
  let uncleanable = segments.length - 1;
  for (let at = 0; at < segments.length - 1; at++) {
    const segment = segments[at]!;
    const tooYoung =
      options.minCompactionLagMs > 0 &&
      segment.nextOffset > firstDirtyOffset &&
      segment.maxTimestamp > options.nowMs - options.minCompactionLagMs;
    if (segment.nextOffset > options.committedOffset || tooYoung) {
      uncleanable = at;
      break;
    }
  }
  const firstUncleanableOffset = Math.max(firstDirtyOffset, segments[uncleanable]!.baseOffset);
  let cleanBytes = 0;
  let dirtyBytes = 0;
  let overdue = false;
  for (const segment of segments.slice(0, uncleanable)) {
    if (segment.nextOffset <= firstDirtyOffset) {
      cleanBytes += segment.sizeBytes;
      continue;
    }
    dirtyBytes += segment.sizeBytes;
    const firstTimestamp =
      segment.firstBatchMaxTimestamp >= 0 ? segment.firstBatchMaxTimestamp : segment.maxTimestamp;
    if (firstTimestamp >= 0 && options.nowMs - firstTimestamp > options.maxCompactionLagMs) overdue = true;
  }
  return { firstDirtyOffset, firstUncleanableOffset, cleanBytes, dirtyBytes, overdue };
}

/** The dirty share of the bytes a round would look at (Kafka's cleanableRatio). */
export function dirtyRatio(range: CleanableRange): number {
  const total = range.cleanBytes + range.dirtyBytes;
  return total === 0 ? 0 : range.dirtyBytes / total;
}

/** Whether a round is due: enough dirty bytes, a dirty batch older than max.compaction.lag.ms, or a tombstone to drop. */
export function cleaningDue(
  range: CleanableRange,
  options: { readonly minCleanableDirtyRatio: number; readonly tombstoneDue: boolean },
): boolean {
  if (range.dirtyBytes > 0 && (range.overdue || dirtyRatio(range) > options.minCleanableDirtyRatio))
    return true;
  return options.tombstoneDue && range.cleanBytes + range.dirtyBytes > 0;
}

/** Kafka checks that offsets relative to a segment's base fit an int32 (the index files store u32). */
const RELATIVE_OFFSET_MAX = 0x7fff_ffff;

/**
 * Consecutive segments cleaned into one (Kafka's groupSegmentsBySize): each group at most `maxBytes`
 * (segment.bytes) of the segments as they are, and offsets within an int32 of its base. Returns the
 * groups as [first index, count] over `segments` (all of them closed, in order).
 */
export function groupSegments(
  segments: readonly Pick<SegmentSummary, 'baseOffset' | 'nextOffset' | 'sizeBytes'>[],
  maxBytes: number,
): [number, number][] {
  const groups: [number, number][] = [];
  let at = 0;
  while (at < segments.length) {
    const first = segments[at]!;
    let count = 1;
    let bytes = first.sizeBytes;
    while (at + count < segments.length) {
      const next = segments[at + count]!;
      if (bytes + next.sizeBytes > maxBytes) break;
      if (next.nextOffset - 1 - first.baseOffset > RELATIVE_OFFSET_MAX) break;
      bytes += next.sizeBytes;
      count++;
    }
    groups.push([at, count]);
    at += count;
  }
  return groups;
}
