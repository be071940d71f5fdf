// The index files of a segment, in Kafka's layouts (big endian, offsets relative to the segment's base):
//   .index      entries of 8 bytes:  relativeOffset u32 | position u32      (offset -> byte position)
//   .timeindex  entries of 12 bytes: timestamp i64 | relativeOffset u32     (time -> offset)
// The files are caches of what a scan of the .log file would compute: they are written without fsync
// at flush, roll and close, and recovery rebuilds any that is missing or fails these checks.

import { readInt64, writeInt64 } from './record-batch/header.ts';
import { SparseIndex } from './sparse-index.ts';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
export const TIME_INDEX_ENTRY_BYTES = 12;

export type IndexKind = 'offset' | 'time';

export function entryBytes(kind: IndexKind): number {
  return kind === 'offset' ? OFFSET_INDEX_ENTRY_BYTES : TIME_INDEX_ENTRY_BYTES;
}

/** Entries [from, index.entryCount) in the file layout of `kind`. */
export function encodeIndexEntries(
  kind: IndexKind,
  index: SparseIndex,
  from: number,
  baseOffset: number,
): Buffer {
  const size = entryBytes(kind);
  const bytes = Buffer.allocUnsafe((index.entryCount - from) * size);
  for (let entry = from; entry < index.entryCount; entry++) {
    const at = (entry - from) * size;
    if (kind === 'offset') {
      bytes.writeUInt32BE(index.keys[entry]! - baseOffset, at);
      bytes.writeUInt32BE(index.values[entry]!, at + 4);
    } else {
      writeInt64(bytes, at, index.keys[entry]!);
      bytes.writeUInt32BE(index.values[entry]! - baseOffset, at + 8);
    }
  }
  return bytes;
}

/**
 * Decodes an index file and checks it against its segment: whole entries, increasing keys, offsets
 * inside [baseOffset, nextOffset), positions inside the log file. Null when any check fails.
 */
export function decodeIndexFile(
  kind: IndexKind,
  bytes: Buffer,
  segment: { baseOffset: number; nextOffset: number; logBytes: number },
): SparseIndex | null {
  const size = entryBytes(kind);
  if (bytes.length % size !== 0) return null;
  const index = new SparseIndex();
  for (let at = 0; at < bytes.length; at += size) {
    const key = kind === 'offset' ? segment.baseOffset + bytes.readUInt32BE(at) : readInt64(bytes, at);
    const value =
      kind === 'offset' ? bytes.readUInt32BE(at + 4) : segment.baseOffset + bytes.readUInt32BE(at + 8);
    const offsetOfEntry = kind === 'offset' ? key : value;
    if (offsetOfEntry >= segment.nextOffset || Number.isNaN(key)) return null;
    if (kind === 'offset' && value >= segment.logBytes) return null;
    const lastKey = index.lastKey();
    if (lastKey !== undefined && key <= lastKey) return null;
    index.append(key, value);
  }
  return index;
}
