// A log segment: the file `<first index, 20 digits>.log` holding consecutive entry frames, and its
// in-memory index (the term and end offset of every entry, plus the bytes not yet written).

import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry } from '../types.ts';
import { assert } from '../assert.ts';
import { CorruptStorageError } from './errors.ts';
import { ENTRY_HEADER_BYTES, decodeEntryPayload } from './entry-frame.ts';
import { FRAME_HEADER_BYTES, readFrame } from './frame.ts';

const SEGMENT_NAME_PATTERN = /^(\d{20})\.log$/;

export function segmentFileName(baseIndex: number): string {
  return `${String(baseIndex).padStart(20, '0')}.log`;
}

/** The first index of the segment file called `name`, or null if `name` is not a segment file. */
export function parseSegmentFileName(name: string): number | null {
  const match = SEGMENT_NAME_PATTERN.exec(name);
  return match === null ? null : Number(match[1]);
}

/**
 * Byte accounting: the file holds `sealedBytes` once every sealed sync batch has run; the batch being
 * built then cuts it to `cutToBytes` (if set) and appends `chunks`.
 */
export class Segment {
  readonly baseIndex: number;
  readonly path: string;
  /** Term and end offset of each entry, in index order from baseIndex. */
  readonly terms: number[];
  readonly endsBytes: number[];
  /** True once a sealed batch creates the file (or recovery found it). */
  fileExists: boolean;
  sealedBytes: number;
  cutToBytes: number | null = null;
  chunks: Buffer[] = [];
  chunksBytes = 0;
  /** Open while the segment is being written: the active (last) segment keeps it between syncs. */
  handle: FileHandle | null = null;

  constructor(options: { dir: string; baseIndex: number; terms?: number[]; endsBytes?: number[] }) {
    assert(Number.isSafeInteger(options.baseIndex) && options.baseIndex >= 1, 'segment base index');
    this.baseIndex = options.baseIndex;
    this.path = join(options.dir, segmentFileName(options.baseIndex));
    this.terms = options.terms ?? [];
    this.endsBytes = options.endsBytes ?? [];
    assert(this.terms.length === this.endsBytes.length, 'segment index arrays differ in length');
    this.fileExists = options.terms !== undefined;
    this.sealedBytes = this.endsBytes.at(-1) ?? 0;
  }

  /** The index of the last entry; baseIndex - 1 when the segment is empty. */
  lastIndex(): number {
    return this.baseIndex + this.terms.length - 1;
  }

  /** The size of the file once everything buffered is written. */
  sizeBytes(): number {
    return (this.cutToBytes ?? this.sealedBytes) + this.chunksBytes;
  }

  appendFrame(frame: Buffer, entry: Entry): void {
    assert(entry.index === this.lastIndex() + 1, () => `entry ${entry.index} after ${this.lastIndex()}`);
    this.chunks.push(frame);
    this.chunksBytes += frame.length;
    this.terms.push(entry.term);
    this.endsBytes.push(this.sizeBytes());
  }

  /** Keeps the first `entryCount` entries: trims the unwritten bytes, or cuts the file at the next sync. */
  keepEntries(entryCount: number): void {
    assert(entryCount >= 0 && entryCount <= this.terms.length, () => `keep ${entryCount} entries`);
    const keptBytes = entryCount === 0 ? 0 : this.endsBytes[entryCount - 1]!;
    this.terms.length = entryCount;
    this.endsBytes.length = entryCount;
    const writtenBytes = this.cutToBytes ?? this.sealedBytes;
    if (keptBytes >= writtenBytes) {
      const joined = Buffer.concat(this.chunks, this.chunksBytes);
      this.chunksBytes = keptBytes - writtenBytes;
      this.chunks = this.chunksBytes === 0 ? [] : [joined.subarray(0, this.chunksBytes)];
    } else {
      assert(this.fileExists, 'a segment without a file has nothing written to cut');
      this.cutToBytes = keptBytes;
      this.chunks = [];
      this.chunksBytes = 0;
    }
    assert(this.sizeBytes() === keptBytes, 'segment size after keepEntries');
  }
}

export interface SegmentScan {
  readonly entries: Entry[];
  readonly endsBytes: number[];
  /** Where the first frame that does not decode starts, or null when the whole file decodes. */
  readonly damageOffsetBytes: number | null;
}

/**
 * Decodes the frames of a segment file up to the first one that does not decode. A frame that decodes
 * but is out of place (wrong index, decreasing term) cannot come from a torn write: it throws.
 */
export function scanSegment(options: {
  buffer: Buffer;
  path: string;
  baseIndex: number;
  termMin: number;
}): SegmentScan {
  const { buffer, path, baseIndex } = options;
  const entries: Entry[] = [];
  const endsBytes: number[] = [];
  let offsetBytes = 0;
  let termMin = options.termMin;
  while (offsetBytes < buffer.length) {
    const frame = readFrame(buffer, offsetBytes);
    const entry = frame.status === 'ok' ? decodeEntryPayload(frame.payload) : null;
    if (frame.status !== 'ok' || entry === null)
      return { entries, endsBytes, damageOffsetBytes: offsetBytes };
    const indexExpected = baseIndex + entries.length;
    if (entry.index !== indexExpected || entry.term < termMin) {
      const reason = `entry ${entry.index} of term ${entry.term}, expected ${indexExpected} of term >= ${termMin}`;
      throw new CorruptStorageError({ path, offsetBytes, reason });
    }
    entries.push(entry);
    endsBytes.push(frame.endBytes);
    termMin = entry.term;
    offsetBytes = frame.endBytes;
  }
  return { entries, endsBytes, damageOffsetBytes: null };
}

/**
 * True if some valid entry frame with index >= indexMin starts after `offsetBytes`: then the damage at
 * `offsetBytes` is in the middle of the log, not a torn tail. Linear: most offsets fail the length check.
 */
export function hasEntryFrameAfter(buffer: Buffer, offsetBytes: number, indexMin: number): boolean {
  for (let start = offsetBytes + 1; start + FRAME_HEADER_BYTES <= buffer.length; start++) {
    // Cheap rejection first: a zero-filled tail (common after a crash) has length 0 everywhere.
    if (buffer.readUInt32LE(start) < ENTRY_HEADER_BYTES) continue;
    const frame = readFrame(buffer, start);
    if (frame.status !== 'ok') continue;
    const entry = decodeEntryPayload(frame.payload);
    if (entry !== null && entry.index >= indexMin) return true;
  }
  return false;
}
