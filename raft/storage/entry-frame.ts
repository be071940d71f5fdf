// One log record: a frame (frame.ts) whose payload is
//
//   term   u64 LE
//   index  u64 LE
//   type   u8      EntryType (0 normal, 1 config)
//   data   the rest of the payload

import { type Entry, EntryType, logIndex, term } from '../types.ts';
import { assert } from '../assert.ts';
import { FRAME_HEADER_BYTES, allocateFrame, copyBytes, readU64, sealFrame, writeU64 } from './frame.ts';

export const ENTRY_HEADER_BYTES = 17;

export function encodeEntryFrame(entry: Entry): Buffer {
  // Recovery would read an unknown type as a torn frame: refuse to write one.
  assert(
    entry.type === EntryType.Normal || entry.type === EntryType.Config,
    () => `entry type ${entry.type}`,
  );
  assert(entry.index >= 1, () => `entry index ${entry.index}`);
  const frame = allocateFrame(ENTRY_HEADER_BYTES + entry.data.length);
  writeU64(frame, FRAME_HEADER_BYTES, entry.term);
  writeU64(frame, FRAME_HEADER_BYTES + 8, entry.index);
  frame.writeUInt8(entry.type, FRAME_HEADER_BYTES + 16);
  frame.set(entry.data, FRAME_HEADER_BYTES + ENTRY_HEADER_BYTES);
  return sealFrame(frame);
}

/** The entry in a frame's payload, or null when the payload is not a valid entry layout. */
export function decodeEntryPayload(payload: Buffer): Entry | null {
  if (payload.length < ENTRY_HEADER_BYTES) return null;
  const entryTerm = readU64(payload, 0);
  const index = readU64(payload, 8);
  const type = payload.readUInt8(16);
  if (entryTerm === null || index === null || index === 0) return null;
  if (type !== EntryType.Normal && type !== EntryType.Config) return null;
  const data = copyBytes(payload.subarray(ENTRY_HEADER_BYTES));
  return { term: term(entryTerm), index: logIndex(index), type, data };
}
