// One segment of a partition log: the `.log` file of whole record batches starting at `baseOffset`,
// and its offset and time indexes (in memory, mirrored to `.index` and `.timeindex`).
//
// Byte accounting: `sizeBytes` counts only bytes whose write has completed (readers never see a batch
// being written); `flushedBytes` <= sizeBytes counts those an fdatasync has covered.

import { type FileHandle, open, unlink } from 'node:fs/promises';
import { assert } from '../../raft/assert.ts';
import { writeAll } from '../../raft/storage/file-io.ts';
import { isNotFound } from './errors.ts';
import { encodeIndexEntries, entryBytes, type IndexKind } from './index-files.ts';
import { BATCH_HEADER_BYTES } from './record-batch/format.ts';
import { RecordBatchHeader } from './record-batch/header.ts';
import { type SegmentPaths, segmentPaths } from './segment-files.ts';
import { SparseIndex } from './sparse-index.ts';
import { NO_TIMESTAMP, type Offset, offset } from './types.ts';

export class LogSegment {
  readonly baseOffset: Offset;
  readonly paths: SegmentPaths;
  private readonly handle: FileHandle;
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

  private constructor(options: { dir: string; baseOffset: Offset; handle: FileHandle; sizeBytes: number }) {
    this.baseOffset = options.baseOffset;
    this.paths = segmentPaths(options.dir, options.baseOffset);
    this.handle = options.handle;
    this.sizeBytes = options.sizeBytes;
    this.flushedBytes = options.sizeBytes;
    this.nextOffset = options.baseOffset;
    this.offsetOfMaxTimestamp = options.baseOffset;
  }

  /** A new, empty segment file (it must not exist). */
  static async create(dir: string, baseOffset: Offset): Promise<LogSegment> {
    const handle = await open(segmentPaths(dir, baseOffset).log, 'wx+');
    const segment = new LogSegment({ dir, baseOffset, handle, sizeBytes: 0 });
    segment.flushedBytes = 0;
    return segment;
  }

  /** An existing segment file; its accounting is empty until recovery fills it in. */
  static async open(dir: string, baseOffset: Offset): Promise<LogSegment> {
    const handle = await open(segmentPaths(dir, baseOffset).log, 'r+');
    const { size } = await handle.stat();
    return new LogSegment({ dir, baseOffset, handle, sizeBytes: size });
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
    await writeAll(this.handle, bytes, positionBytes);
    let at = positionBytes;
    for (const header of headers) {
      this.account(header, at, indexIntervalBytes);
      at += header.sizeBytes;
    }
    assert(at === positionBytes + bytes.length, 'appended batches do not fill the bytes written');
    this.sizeBytes = at;
  }

  async readAt(positionBytes: number, lengthBytes: number): Promise<Buffer> {
    assert(
      positionBytes >= 0 && positionBytes + lengthBytes <= this.sizeBytes,
      () => `read ${lengthBytes} at ${positionBytes}`,
    );
    const buffer = Buffer.allocUnsafe(lengthBytes);
    let readBytes = 0;
    while (readBytes < lengthBytes) {
      const { bytesRead } = await this.handle.read(
        buffer,
        readBytes,
        lengthBytes - readBytes,
        positionBytes + readBytes,
      );
      assert(
        bytesRead > 0,
        () => `segment ${this.paths.log} ends before byte ${positionBytes + lengthBytes}`,
      );
      readBytes += bytesRead;
    }
    return buffer;
  }

  /** The header of the batch at `positionBytes` (a position this segment accounted for). */
  async headerAt(positionBytes: number): Promise<RecordBatchHeader> {
    return new RecordBatchHeader(await this.readAt(positionBytes, BATCH_HEADER_BYTES));
  }

  /**
   * The position and header of the batch holding `target`, or of the first batch after it; null when
   * no batch of this segment ends at or after `target`.
   */
  async locate(target: number): Promise<{ positionBytes: number; header: RecordBatchHeader } | null> {
    if (target >= this.nextOffset) return null;
    let positionBytes = this.offsetIndex.floorValue(target) ?? 0;
    for (;;) {
      const header = await this.headerAt(positionBytes);
      if (header.lastOffset >= target) return { positionBytes, header };
      positionBytes += header.sizeBytes;
    }
  }

  /** Cuts the file at `positionBytes` and makes the cut durable before anything is written past it. */
  async truncateFile(positionBytes: number): Promise<void> {
    assert(positionBytes <= this.sizeBytes, () => `cut at ${positionBytes} beyond ${this.sizeBytes}`);
    await this.handle.truncate(positionBytes);
    await this.handle.datasync();
    this.sizeBytes = positionBytes;
    this.flushedBytes = positionBytes;
  }

  async datasync(): Promise<void> {
    await this.handle.datasync();
  }

  /** Writes the index entries the files lack (no fsync: indexes are rebuilt when they are wrong). */
  async writeIndexes(): Promise<void> {
    await this.writeIndex('offset', this.offsetIndex, this.paths.offsetIndex);
    await this.writeIndex('time', this.timeIndex, this.paths.timeIndex);
  }

  /** The segment stops being active: a last time entry (its max timestamp), indexes written and synced. */
  async seal(): Promise<void> {
    this.maybeAppendTimeEntry();
    await this.writeIndexes();
    for (const path of [this.paths.offsetIndex, this.paths.timeIndex]) {
      // 'a' creates an index that never had an entry, so every sealed segment has both files.
      const handle = await open(path, 'a');
      await handle.sync().finally(() => handle.close());
    }
  }

  private async writeIndex(kind: IndexKind, index: SparseIndex, path: string): Promise<void> {
    const written = this.entriesInFile[kind];
    if (written === index.entryCount) return;
    const from = written > index.entryCount ? 0 : written;
    const handle = await open(path, from === 0 ? 'w' : 'r+');
    try {
      await writeAll(handle, encodeIndexEntries(kind, index, from, this.baseOffset), from * entryBytes(kind));
    } finally {
      await handle.close();
    }
    this.entriesInFile[kind] = index.entryCount;
  }

  /** Marks the index files as holding exactly the in-memory entries (recovery loaded them). */
  indexesLoaded(): void {
    this.entriesInFile.offset = this.offsetIndex.entryCount;
    this.entriesInFile.time = this.timeIndex.entryCount;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** Closes and removes the segment's files. */
  async delete(): Promise<void> {
    await this.close();
    for (const path of [this.paths.log, this.paths.offsetIndex, this.paths.timeIndex]) {
      await unlink(path).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
  }
}
