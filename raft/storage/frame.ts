// The frame every file of the adapter is made of (log records, the hard state, snapshots):
//
//   length  u32 LE   bytes of payload
//   crc     u32 LE   CRC-32 (zlib's) of the payload
//   payload length bytes
//
// Integers inside payloads are little endian; u64 fields hold safe integers (< 2^53).

import { crc32 } from 'node:zlib';
import { assert } from '../assert.ts';
import { CorruptStorageError } from './errors.ts';

export const FRAME_HEADER_BYTES = 8;
const U32_RANGE = 0x1_0000_0000;
/** The high word of a safe integer is below 2^21. */
const U64_HIGH_WORD_MAX = 0x1f_ffff;

/** A frame buffer for `payloadBytes` bytes of payload; fill the payload, then call sealFrame(). */
export function allocateFrame(payloadBytes: number): Buffer {
  assert(payloadBytes >= 0 && payloadBytes < U32_RANGE, () => `frame payload of ${payloadBytes} bytes`);
  return Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadBytes);
}

/** Writes the length and checksum of a frame whose payload is filled in. */
export function sealFrame(frame: Buffer): Buffer {
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  return frame;
}

export type FrameRead =
  | { readonly status: 'ok'; readonly payload: Buffer; readonly endBytes: number }
  /** The header or payload runs past the end of the buffer (a torn write, or a damaged length). */
  | { readonly status: 'incomplete' }
  | { readonly status: 'checksum' };

/** Reads the frame starting at `offsetBytes`; the payload is a view into `buffer`. */
export function readFrame(buffer: Buffer, offsetBytes: number): FrameRead {
  assert(offsetBytes >= 0 && offsetBytes <= buffer.length, () => `frame offset ${offsetBytes}`);
  if (buffer.length - offsetBytes < FRAME_HEADER_BYTES) return { status: 'incomplete' };
  const payloadBytes = buffer.readUInt32LE(offsetBytes);
  const payloadStart = offsetBytes + FRAME_HEADER_BYTES;
  const endBytes = payloadStart + payloadBytes;
  if (endBytes > buffer.length) return { status: 'incomplete' };
  const payload = buffer.subarray(payloadStart, endBytes);
  if (crc32(payload) !== buffer.readUInt32LE(offsetBytes + 4)) return { status: 'checksum' };
  return { status: 'ok', payload, endBytes };
}

/** The payload of a file that holds exactly one frame (hard state, snapshot); throws if it does not. */
export function readSingleFrameFile(buffer: Buffer, path: string): Buffer {
  const frame = readFrame(buffer, 0);
  if (frame.status !== 'ok') {
    throw new CorruptStorageError({ path, offsetBytes: 0, reason: `frame ${frame.status}` });
  }
  if (frame.endBytes !== buffer.length) {
    const reason = `${buffer.length - frame.endBytes} bytes after the frame`;
    throw new CorruptStorageError({ path, offsetBytes: frame.endBytes, reason });
  }
  return frame.payload;
}

export function writeU64(buffer: Buffer, offsetBytes: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, () => `u64 field holds ${value}`);
  buffer.writeUInt32LE(value >>> 0, offsetBytes);
  buffer.writeUInt32LE(Math.floor(value / U32_RANGE), offsetBytes + 4);
}

/** Reads a u64 field; null when it does not hold a safe integer (a payload this code did not write). */
export function readU64(buffer: Buffer, offsetBytes: number): number | null {
  const high = buffer.readUInt32LE(offsetBytes + 4);
  if (high > U64_HIGH_WORD_MAX) return null;
  return high * U32_RANGE + buffer.readUInt32LE(offsetBytes);
}

/** A copy of `bytes` as a plain Uint8Array, so a decoded value does not pin a whole file's buffer. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}
