// One segment of a partition log: the `.log` file of whole record batches starting at `baseOffset`,
// and its offset and time indexes (in memory, mirrored to `.index` and `.timeindex`).
//
// Byte accounting: `sizeBytes` counts only bytes whose write has completed (readers never see a batch
// being written); `flushedBytes` <= sizeBytes counts those an fdatasync has covered.

import { assert } from '../../raft/assert.ts';
import { CorruptLogError, isNotFound } from './errors.ts';
import type { FileSystem, StorageFile } from './file-system.ts';
import { encodeIndexEntries, entryBytes, type IndexKind } from './index-files.ts';
import { BATCH_HEADER_BYTES, MAGIC_AT, MAGIC_V2 } from './record-batch/format.ts';
import { RecordBatchHeader } from './record-batch/header.ts';
import { hasValidCrc } from './record-batch/validate.ts';
import { cleanedSegmentPaths, type SegmentPaths, segmentPaths } from './segment-files.ts';
import { SparseIndex } from './sparse-index.ts';
import { NO_TIMESTAMP, type Offset, offset } from './types.ts';

const REWRITE_CHUNK_BYTES = 1024 * 1024;

/** Whether `bytes` holds at `at` a whole magic-2 batch starting at offset `baseOffset` whose CRC matches. */
function intactBatchAt(bytes: Buffer, at: number, baseOffset: number): boolean {
  if (at + BATCH_HEADER_BYTES > bytes.length || bytes[at + MAGIC_AT] !== MAGIC_V2) return false;
  const header = new RecordBatchHeader(bytes.subarray(at, at + BATCH_HEADER_BYTES));
  const { sizeBytes } = header;
  if (header.baseOffset !== baseOffset || sizeBytes < BATCH_HEADER_BYTES || at + sizeBytes > bytes.length)
    return false;
  return hasValidCrc(new RecordBatchHeader(bytes.subarray(at, at + sizeBytes)));
}

/** How far past a damaged batch header `locate` looks for the next intact batch. */
const RESYNC_WINDOW_BYTES = 16 << 20;

/**
 * The hot tail: the latest appends of a segment kept in memory, so that the reads at the head of the
 * log (followers' fetches right after an append, consumers at the end) need no read through the thread
 * pool and no new buffer. Bounded per segment: the newest append always, older ones while the tail
 * stays within these.
 */
const TAIL_BYTES_MAX = 256 * 1024;
const TAIL_CHUNKS_MAX = 16;

export class LogSegment {
  readonly baseOffset: Offset;
  /** Where its files are: a cleaned segment's change when it is swapped in (`renamed`). */
  paths: SegmentPaths;
  private readonly fs: FileSystem;
  private readonly file: StorageFile;
  sizeBytes: number;
  flushedBytes: number;
  /** The offset after the last batch; baseOffset when the segment is empty. */
  nextOffset: Offset;
  maxTimestamp = NO_TIMESTAMP;
  /** Base offset of the first batch that reached maxTimestamp. */
  offsetOfMaxTimestamp: Offset;
  /** The first batch's max timestamp: segment age for segment rolling is measured from it (as Kafka). */
  firstBatchMaxTimestamp = NO_TIMESTAMP;
  offsetIndex = new SparseIndex();
  timeIndex = new SparseIndex();
  private bytesSinceIndexEntry = 0;
  /** Entries of each index already in its file; the file is cut first when the index shrank below. */
  private readonly entriesInFile = { offset: 0, time: 0 };
  /** The hot tail's appends, in order, contiguous and ending at `sizeBytes`; it starts at `tailStart`. */
  private tail: Buffer[] = [];
  private tailStart = 0;

  private constructor(options: {
    fs: FileSystem;
    dir: string;
    baseOffset: Offset;
    file: StorageFile;
    sizeBytes: number;
    paths?: SegmentPaths;
  }) {
    this.baseOffset = options.baseOffset;
    this.paths = options.paths ?? segmentPaths(options.dir, options.baseOffset);
    this.fs = options.fs;
    this.file = options.file;
    this.sizeBytes = options.sizeBytes;
    this.flushedBytes = options.sizeBytes;
    this.nextOffset = options.baseOffset;
    this.offsetOfMaxTimestamp = options.baseOffset;
  }

  /** A new, empty segment file (it must not exist). */
  static async create(fs: FileSystem, dir: string, baseOffset: Offset): Promise<LogSegment> {
    const file = await fs.open(segmentPaths(dir, baseOffset).log, 'create');
    const segment = new LogSegment({ fs, dir, baseOffset, file, sizeBytes: 0 });
    segment.flushedBytes = 0;
    return segment;
  }

  /**
   * A new, empty segment that the log cleaner fills (`<base>.log.cleaned`, replaced if a cleaning that
   * gave up left one): no reader sees it until it is swapped in, under its final name (`renamed`).
   */
  static async createCleaned(fs: FileSystem, dir: string, baseOffset: Offset): Promise<LogSegment> {
    const paths = cleanedSegmentPaths(dir, baseOffset);
    await fs.unlink(paths.log).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    const file = await fs.open(paths.log, 'create');
    const segment = new LogSegment({ fs, dir, baseOffset, file, sizeBytes: 0, paths });
    segment.flushedBytes = 0;
    return segment;
  }

  /** Its files were renamed to `paths` (a cleaned segment swapped in). */
  renamed(paths: SegmentPaths): void {
    this.paths = paths;
  }

  /** An existing segment file; its accounting is empty until recovery fills it in. */
  static async open(fs: FileSystem, dir: string, baseOffset: Offset): Promise<LogSegment> {
    const file = await fs.open(segmentPaths(dir, baseOffset).log, 'update');
    return new LogSegment({ fs, dir, baseOffset, file, sizeBytes: await file.size() });
  }

  isEmpty(): boolean {
    return this.nextOffset === this.baseOffset;
  }

  /** Accounts for the whole batch `header` found or written at `positionBytes` (in offset order). */
  account(header: RecordBatchHeader, positionBytes: number, indexIntervalBytes: number): void {
    assert(
      header.baseOffset === this.nextOffset,
      () => `batch ${header.baseOffset} after ${this.nextOffset}`,
    );
    if (this.isEmpty()) this.firstBatchMaxTimestamp = header.maxTimestamp;
    if (header.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = header.maxTimestamp;
      this.offsetOfMaxTimestamp = offset(header.baseOffset);
    }
    if (this.bytesSinceIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(header.baseOffset, positionBytes);
      this.maybeAppendTimeEntry();
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += header.sizeBytes;
    this.nextOffset = offset(header.lastOffset + 1);
  }

  /** Forgets everything accounted (before a rescan). */
  resetAccounting(): void {
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = NO_TIMESTAMP;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.firstBatchMaxTimestamp = NO_TIMESTAMP;
    this.offsetIndex = new SparseIndex();
    this.timeIndex = new SparseIndex();
    this.bytesSinceIndexEntry = 0;
    this.entriesInFile.offset = Number.POSITIVE_INFINITY;
    this.entriesInFile.time = Number.POSITIVE_INFINITY;
    this.dropTail();
  }

  private maybeAppendTimeEntry(): void {
    const lastKey = this.timeIndex.lastKey();
    if (this.maxTimestamp !== NO_TIMESTAMP && (lastKey === undefined || this.maxTimestamp > lastKey)) {
      this.timeIndex.append(this.maxTimestamp, this.offsetOfMaxTimestamp);
    }
  }

  /** Appends whole batches (`bytes` is exactly `headers`, laid end to end) with one write. */
  async append(
    bytes: Buffer,
    headers: readonly RecordBatchHeader[],
    indexIntervalBytes: number,
  ): Promise<void> {
    const positionBytes = this.sizeBytes;
    await this.file.write(positionBytes, bytes);
    let at = positionBytes;
    for (const header of headers) {
      this.account(header, at, indexIntervalBytes);
      at += header.sizeBytes;
    }
    assert(at === positionBytes + bytes.length, 'appended batches do not fill the bytes written');
    this.sizeBytes = at;
    this.keepInTail(positionBytes, bytes);
  }

  private keepInTail(positionBytes: number, bytes: Buffer): void {
    if (this.tail.length === 0) this.tailStart = positionBytes;
    assert(
      this.tailStart + this.tailBytes() === positionBytes,
      () => `append at ${positionBytes} is not where the tail (${this.tailStart}) ends`,
    );
    this.tail.push(bytes);
    while (this.tail.length > 1 && (this.tail.length > TAIL_CHUNKS_MAX || this.tailBytes() > TAIL_BYTES_MAX))
      this.tailStart += this.tail.shift()!.length;
  }

  private tailBytes(): number {
    let total = 0;
    for (const chunk of this.tail) total += chunk.length;
    return total;
  }

  private dropTail(): void {
    this.tail = [];
    this.tailStart = this.sizeBytes;
  }

  /** The bytes at [positionBytes, positionBytes + lengthBytes) from the hot tail; null if not all there. */
  private fromTail(positionBytes: number, lengthBytes: number): Buffer | null {
    if (this.tail.length === 0 || positionBytes < this.tailStart) return null;
    let chunkStart = this.tailStart;
    const pieces: Buffer[] = [];
    let left = lengthBytes;
    for (const chunk of this.tail) {
      const chunkEnd = chunkStart + chunk.length;
      if (positionBytes < chunkEnd && left > 0) {
        const from = Math.max(0, positionBytes - chunkStart);
        const piece = chunk.subarray(from, Math.min(chunk.length, from + left));
        pieces.push(piece);
        left -= piece.length;
      }
      chunkStart = chunkEnd;
    }
    if (left > 0) return null;
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, lengthBytes);
  }

  async readAt(positionBytes: number, lengthBytes: number): Promise<Buffer> {
    assert(
      positionBytes >= 0 && positionBytes + lengthBytes <= this.sizeBytes,
      () => `read ${lengthBytes} at ${positionBytes}`,
    );
    const bytes =
      this.fromTail(positionBytes, lengthBytes) ?? (await this.file.read(positionBytes, lengthBytes));
    assert(
      bytes.length === lengthBytes,
      () => `segment ${this.paths.log} ends before byte ${positionBytes + lengthBytes}`,
    );
    return bytes;
  }

  /** The header of the batch at `positionBytes` (a position this segment accounted for). */
  async headerAt(positionBytes: number): Promise<RecordBatchHeader> {
    return new RecordBatchHeader(await this.readAt(positionBytes, BATCH_HEADER_BYTES));
  }

  /**
   * The position and header of the batch holding `target`, or of the first batch after it; null when
   * no batch of this segment ends at or after `target`. The walk from the index entry checks that each
   * header is where the previous batch ends, with the offset that follows it: the header fields outside
   * the CRC (base offset, length) cannot send a read to the wrong bytes. CorruptLogError when not.
   */
  async locate(target: number): Promise<{ positionBytes: number; header: RecordBatchHeader } | null> {
    if (target >= this.nextOffset || this.isEmpty()) return null;
    const entry = this.offsetIndex.floorEntry(target);
    let positionBytes = entry?.value ?? 0;
    let expected = entry?.key ?? this.baseOffset;
    // The last header the walk passed: a flipped length in it sent the walk to the wrong byte.
    let previous: { positionBytes: number; baseOffset: number } | null = null;
    for (;;) {
      const header = await this.walkedHeader(positionBytes, expected);
      if (typeof header === 'string') {
        // Bit rot in a header on the way (this one, or the length of the one before): the batches
        // after it are still readable, found again by their CRC. What the damaged batch held is not:
        // its reader gets the CorruptLogError, which names the earliest batch that may be damaged.
        const damaged = previous ?? { positionBytes, baseOffset: expected };
        const next = await this.resync(damaged.positionBytes, damaged.baseOffset);
        if (next === null || next.header.baseOffset > target)
          throw this.corrupt(damaged.positionBytes, header, damaged.baseOffset);
        ({ positionBytes } = next);
        expected = next.header.baseOffset;
        previous = null;
        continue;
      }
      if (header.lastOffset >= target) return { positionBytes, header };
      previous = { positionBytes, baseOffset: header.baseOffset };
      positionBytes += header.sizeBytes;
      expected = header.lastOffset + 1;
    }
  }

  /** The header at `positionBytes`, which must hold `expected` and fit the segment; else what is wrong. */
  private async walkedHeader(positionBytes: number, expected: number): Promise<RecordBatchHeader | string> {
    if (positionBytes + BATCH_HEADER_BYTES > this.sizeBytes)
      return `no batch header before the end, offset ${expected} expected`;
    const header = await this.headerAt(positionBytes);
    if (header.baseOffset !== expected)
      return `batch at offset ${header.baseOffset} where ${expected} was expected`;
    if (header.sizeBytes < BATCH_HEADER_BYTES || positionBytes + header.sizeBytes > this.sizeBytes)
      return `batch of ${header.sizeBytes} bytes does not fit the segment`;
    if (header.lastOffset >= this.nextOffset)
      return `batch ends at offset ${header.lastOffset}, past the segment`;
    return header;
  }

  /**
   * The first intact batch after a possibly damaged batch at `damagedAt` (starting at offset
   * `expected`): the first position within RESYNC_WINDOW_BYTES after it where a magic-2 batch with a
   * later offset fits the segment and its CRC matches (a false match needs a CRC-32C collision on a
   * well-formed header). Null when there is none.
   */
  private async resync(
    damagedAt: number,
    expected: number,
  ): Promise<{ positionBytes: number; header: RecordBatchHeader } | null> {
    const start = damagedAt + 1;
    const window = await this.readAt(
      start,
      Math.max(0, Math.min(RESYNC_WINDOW_BYTES, this.sizeBytes - start)),
    );
    for (let at = 0; at + BATCH_HEADER_BYTES <= window.length; at++) {
      if (window[at + MAGIC_AT] !== MAGIC_V2) continue;
      const header = new RecordBatchHeader(window.subarray(at, at + BATCH_HEADER_BYTES));
      const { sizeBytes, baseOffset, lastOffset } = header;
      if (sizeBytes < BATCH_HEADER_BYTES || at + sizeBytes > window.length) continue;
      if (!(baseOffset > expected && lastOffset >= baseOffset && lastOffset < this.nextOffset)) continue;
      const whole = new RecordBatchHeader(window.subarray(at, at + sizeBytes));
      if (!hasValidCrc(whole)) continue;
      // The base offset is outside the CRC: a batch whose own offset field flipped passes the check
      // above. Its successor proves it: the segment's end with this segment's next offset, or an intact
      // batch starting at the offset after it.
      const end = at + sizeBytes;
      const chained =
        start + end === this.sizeBytes
          ? lastOffset + 1 === this.nextOffset
          : intactBatchAt(window, end, lastOffset + 1);
      if (chained) return { positionBytes: start + at, header: whole };
    }
    return null;
  }

  corrupt(positionBytes: number, reason: string, firstOffset?: number): CorruptLogError {
    return new CorruptLogError({
      path: this.paths.log,
      positionBytes,
      reason,
      ...(firstOffset === undefined ? {} : { firstOffset }),
    });
  }

  /** Cuts the file at `positionBytes` and makes the cut durable before anything is written past it. */
  async truncateFile(positionBytes: number): Promise<void> {
    assert(positionBytes <= this.sizeBytes, () => `cut at ${positionBytes} beyond ${this.sizeBytes}`);
    this.dropTail();
    await this.file.truncate(positionBytes);
    await this.file.sync();
    this.sizeBytes = positionBytes;
    this.flushedBytes = positionBytes;
    this.dropTail();
  }

  /** Writes the bytes from `positionBytes` to the end again, so that the next fsync writes them. */
  async rewriteFrom(positionBytes: number): Promise<void> {
    for (let at = positionBytes; at < this.sizeBytes; at += REWRITE_CHUNK_BYTES) {
      const bytes = await this.readAt(at, Math.min(REWRITE_CHUNK_BYTES, this.sizeBytes - at));
      await this.file.write(at, bytes);
    }
  }

  async datasync(): Promise<void> {
    await this.file.sync();
  }

  /** Writes the index entries the files lack (no fsync: indexes are rebuilt when they are wrong). */
  async writeIndexes(): Promise<void> {
    await this.writeIndex('offset', this.offsetIndex, this.paths.offsetIndex);
    await this.writeIndex('time', this.timeIndex, this.paths.timeIndex);
  }

  /** The segment stops being active: a last time entry (its max timestamp), indexes written and synced. */
  async seal(): Promise<void> {
    // Sealed segments are read from the file (the page cache): the memory goes to the new active one.
    this.dropTail();
    this.maybeAppendTimeEntry();
    await this.writeIndexes();
    for (const path of [this.paths.offsetIndex, this.paths.timeIndex]) {
      // 'ensure' creates an index that never had an entry, so every sealed segment has both files.
      const file = await this.fs.open(path, 'ensure');
      await file.sync().finally(() => file.close());
    }
  }

  private async writeIndex(kind: IndexKind, index: SparseIndex, path: string): Promise<void> {
    const written = this.entriesInFile[kind];
    if (written === index.entryCount) return;
    const from = written > index.entryCount ? 0 : written;
    const file = await this.fs.open(path, from === 0 ? 'replace' : 'update');
    try {
      await file.write(from * entryBytes(kind), encodeIndexEntries(kind, index, from, this.baseOffset));
    } finally {
      await file.close();
    }
    this.entriesInFile[kind] = index.entryCount;
  }

  /** Marks the index files as holding exactly the in-memory entries (recovery loaded them). */
  indexesLoaded(): void {
    this.entriesInFile.offset = this.offsetIndex.entryCount;
    this.entriesInFile.time = this.timeIndex.entryCount;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /** Closes and removes the segment's files. */
  async delete(): Promise<void> {
    await this.close();
    for (const path of [this.paths.log, this.paths.offsetIndex, this.paths.timeIndex]) {
      await this.fs.unlink(path).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }
}
