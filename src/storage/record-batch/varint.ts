// Kafka's varint and varlong: zigzag-encoded signed integers in base-128 little-endian groups (as
// protobuf's sint32/sint64). Values are JavaScript numbers: a varlong holds a safe integer here, which
// covers every timestamp delta in milliseconds.

import { assert } from '../../../raft/assert.ts';

/** The bytes `value` takes as a zigzag varint (what ByteWriter.writeVarint writes). */
export function varintBytes(value: number): number {
  assert(Number.isSafeInteger(value), () => `varint of ${value}`);
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (zigzag >= 0x80) {
    bytes++;
    zigzag = Math.floor(zigzag / 0x80);
  }
  return bytes;
}

/** A growable buffer the record encoder writes into. */
export class ByteWriter {
  private bytes: Buffer;
  lengthBytes = 0;

  constructor(capacityBytes = 256) {
    this.bytes = Buffer.allocUnsafe(capacityBytes);
  }

  /** The size of the buffer (not grown yet). */
  get capacityBytes(): number {
    return this.bytes.length;
  }

  /** Moves past `count` bytes that the caller fills in afterwards (a header in front of the records). */
  advance(count: number): void {
    this.reserve(count);
    this.lengthBytes += count;
  }

  private reserve(extraBytes: number): void {
    if (this.lengthBytes + extraBytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.lengthBytes + extraBytes));
    this.bytes.copy(grown, 0, 0, this.lengthBytes);
    this.bytes = grown;
  }

  writeInt8(value: number): void {
    this.reserve(1);
    this.bytes.writeInt8(value, this.lengthBytes++);
  }

  writeVarint(value: number): void {
    assert(Number.isSafeInteger(value), () => `varint of ${value}`);
    let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
    // Exactly what it takes near the end, so that a writer sized exactly never grows.
    if (this.lengthBytes + 10 > this.bytes.length) this.reserve(varintBytes(value));
    while (zigzag >= 0x80) {
      this.bytes[this.lengthBytes++] = (zigzag % 0x80) | 0x80;
      zigzag = Math.floor(zigzag / 0x80);
    }
    this.bytes[this.lengthBytes++] = zigzag;
  }

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.lengthBytes);
    this.lengthBytes += bytes.length;
  }

  /** A string as its UTF-8 byte length (a varint) and those bytes. */
  writeString(text: string): void {
    const length = Buffer.byteLength(text, 'utf8');
    this.writeVarint(length);
    this.reserve(length);
    this.lengthBytes += this.bytes.write(text, this.lengthBytes, 'utf8');
  }

  /** Length-prefixed bytes; null is length -1. */
  writeNullableBytes(bytes: Uint8Array | null): void {
    if (bytes === null) {
      this.writeVarint(-1);
      return;
    }
    this.writeVarint(bytes.length);
    this.writeBytes(bytes);
  }

  /** The bytes written so far (a view; the writer must not be used afterwards). */
  finish(): Buffer {
    return this.bytes.subarray(0, this.lengthBytes);
  }
}

/** Reads varints from untrusted bytes: every read past the end or overlong value returns null. */
export class ByteReader {
  private readonly bytes: Buffer;
  positionBytes: number;

  constructor(bytes: Buffer, positionBytes = 0) {
    this.bytes = bytes;
    this.positionBytes = positionBytes;
  }

  get remainingBytes(): number {
    return this.bytes.length - this.positionBytes;
  }

  readInt8(): number | null {
    if (this.remainingBytes < 1) return null;
    return this.bytes.readInt8(this.positionBytes++);
  }

  /** A zigzag varint or varlong; null if truncated or beyond a safe integer. */
  readVarint(): number | null {
    let value = 0;
    let scale = 1;
    for (let groups = 0; groups < 8; groups++) {
      if (this.positionBytes >= this.bytes.length) return null;
      const byte = this.bytes[this.positionBytes++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) return null;
        return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      }
      scale *= 0x80;
    }
    return null;
  }

  /** Length-prefixed bytes as a view; undefined when malformed (null is a valid, null, value). */
  readNullableBytes(): Buffer | null | undefined {
    const lengthBytes = this.readVarint();
    if (lengthBytes === null || lengthBytes < -1) return undefined;
    if (lengthBytes === -1) return null;
    if (lengthBytes > this.remainingBytes) return undefined;
    const view = this.bytes.subarray(this.positionBytes, this.positionBytes + lengthBytes);
    this.positionBytes += lengthBytes;
    return view;
  }
}
