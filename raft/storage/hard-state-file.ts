// The file `hardstate`: two fixed slots, each one frame (frame.ts) whose payload is
// sequence u64 | term u64 | vote u64 | commit u64.
//
// A write overwrites the slot the previous write did not use, in place, then one fdatasync: about a
// fifth of the cost of tmp + fsync + rename + directory fsync, and the hard state changes at almost
// every sync (the commit index). A write torn by a crash leaves the other slot, the previous state,
// intact; that is safe because nothing depending on the new state was sent before the fdatasync ended.

import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type HardState, logIndex, nodeId, term } from '../types.ts';
import { CorruptStorageError, isNotFound } from './errors.ts';
import { syncDirectory, writeAll } from './file-io.ts';
import { allocateFrame, FRAME_HEADER_BYTES, readFrame, readU64, sealFrame, writeU64 } from './frame.ts';

export const HARD_STATE_FILE_NAME = 'hardstate';
const PAYLOAD_BYTES = 32;
const SLOT_BYTES = FRAME_HEADER_BYTES + PAYLOAD_BYTES;

export interface StoredHardState {
  readonly hardState: HardState;
  /** Incremented by each write; the slot with the higher valid sequence is the current one. */
  readonly sequence: number;
}

export function encodeHardStateSlot(hardState: HardState, sequence: number): Buffer {
  const frame = allocateFrame(PAYLOAD_BYTES);
  writeU64(frame, FRAME_HEADER_BYTES, sequence);
  writeU64(frame, FRAME_HEADER_BYTES + 8, hardState.term);
  writeU64(frame, FRAME_HEADER_BYTES + 16, hardState.vote);
  writeU64(frame, FRAME_HEADER_BYTES + 24, hardState.commit);
  return sealFrame(frame);
}

function decodeSlot(buffer: Buffer, slot: number): StoredHardState | null {
  const start = slot * SLOT_BYTES;
  if (buffer.length < start + SLOT_BYTES) return null;
  const frame = readFrame(buffer.subarray(start, start + SLOT_BYTES), 0);
  if (frame.status !== 'ok' || frame.payload.length !== PAYLOAD_BYTES) return null;
  const [sequence, hardStateTerm, vote, commit] = [0, 8, 16, 24].map((at) => readU64(frame.payload, at));
  if (sequence == null || hardStateTerm == null || vote == null || commit == null) return null;
  return { sequence, hardState: { term: term(hardStateTerm), vote: nodeId(vote), commit: logIndex(commit) } };
}

/** The hard state in `dir`, or null when none was ever written. Throws if neither slot is valid. */
export async function readHardStateFile(dir: string): Promise<StoredHardState | null> {
  const path = join(dir, HARD_STATE_FILE_NAME);
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  // Created but never written: the first write was torn before any slot became valid.
  if (buffer.every((byte) => byte === 0)) return null;
  const slots = [decodeSlot(buffer, 0), decodeSlot(buffer, 1)].filter((slot) => slot !== null);
  if (slots.length === 0) throw new CorruptStorageError({ path, offsetBytes: 0, reason: 'no valid hard state slot' });
  return slots.reduce((a, b) => (b.sequence > a.sequence ? b : a));
}

/** Writes the hard state in place, alternating slots. */
export class HardStateWriter {
  private handle: FileHandle | null = null;
  private sequence: number;
  private readonly dir: string;

  constructor(dir: string, recoveredSequence: number) {
    this.dir = dir;
    this.sequence = recoveredSequence;
  }

  async write(hardState: HardState): Promise<void> {
    const handle = await this.openHandle();
    this.sequence++;
    const slot = this.sequence % 2;
    await writeAll(handle, encodeHardStateSlot(hardState, this.sequence), slot * SLOT_BYTES);
    await handle.datasync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  private async openHandle(): Promise<FileHandle> {
    if (this.handle !== null) return this.handle;
    const path = join(this.dir, HARD_STATE_FILE_NAME);
    try {
      this.handle = await open(path, 'r+');
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.handle = await open(path, 'wx+');
      await writeAll(this.handle, Buffer.alloc(2 * SLOT_BYTES), 0);
      await this.handle.sync();
      await syncDirectory(this.dir);
    }
    return this.handle;
  }
}
