// The encoder's output: one Buffer that doubles when it runs out, written front to back. Generated
// encoders call these methods in field order; nothing here knows about messages.
import { assert } from '../../../raft/assert.ts';
import { isUuid } from './uuid.ts';

const INITIAL_CAPACITY_BYTES = 256;
/** Kafka's strings carry at most an int16 of UTF-8 bytes, compact ones too (the Java decoder refuses more). */
export const STRING_BYTES_MAX = 0x7fff;

export class Writer {
  private buffer: Buffer;
  private position = 0;

  constructor(initialCapacityBytes = INITIAL_CAPACITY_BYTES) {
    this.buffer = Buffer.allocUnsafe(Math.max(16, initialCapacityBytes));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.position;
  }

  /** The bytes written so far: a view of the writer's buffer, valid until the next write. */
  view(): Buffer {
    return this.buffer.subarray(0, this.position);
  }

  /** A copy of the bytes written so far. */
  toBuffer(): Buffer {
    return Buffer.from(this.view());
  }

  private ensure(bytes: number): void {
    const needed = this.position + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }

  writeInt8(value: number): void {
    this.ensure(1);
    this.position = this.buffer.writeInt8(value, this.position);
  }

  writeInt16(value: number): void {
    this.ensure(2);
    this.position = this.buffer.writeInt16BE(value, this.position);
  }

  writeUInt16(value: number): void {
    this.ensure(2);
    this.position = this.buffer.writeUInt16BE(value, this.position);
  }

  writeInt32(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeInt32BE(value, this.position);
  }

  writeUInt32(value: number): void {
    this.ensure(4);
    this.position = this.buffer.writeUInt32BE(value, this.position);
  }

  writeInt64(value: bigint): void {
    this.ensure(8);
    this.position = this.buffer.writeBigInt64BE(value, this.position);
  }

  writeFloat64(value: number): void {
    this.ensure(8);
    this.position = this.buffer.writeDoubleBE(value, this.position);
  }

  writeBool(value: boolean): void {
    this.ensure(1);
    this.buffer[this.position++] = value ? 1 : 0;
  }

  /** Kafka's unsigned varint (protobuf style, seven bits a byte, least significant first) of a uint32. */
  writeUnsignedVarint(value: number): void {
    this.ensure(5);
    if (value >= 0 && value < 0x80) {
      // The common case (counts, lengths and tags below 128); a fraction is caught by the check below.
      if (Number.isInteger(value)) {
        this.buffer[this.position++] = value;
        return;
      }
    }
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff)) {
      assert(false, 'unsigned varint out of range', { value });
    }
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.position++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[this.position++] = rest;
  }

  /** A UUID in its 8-4-4-4-12 lower-case text form, as 16 bytes. */
  writeUuid(value: string): void {
    assert(isUuid(value), 'not a lower-case UUID', { value });
    this.ensure(16);
    this.buffer.write(value.replaceAll('-', ''), this.position, 16, 'hex');
    this.position += 16;
  }

  /** STRING: int16 length, UTF-8 bytes. */
  writeString(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    assert(bytes <= STRING_BYTES_MAX, 'string longer than 32767 bytes', { bytes });
    this.ensure(2 + bytes);
    this.position = this.buffer.writeInt16BE(bytes, this.position);
    this.position += this.buffer.write(value, this.position, bytes, 'utf8');
  }

  writeNullableString(value: string | null): void {
    if (value === null) this.writeInt16(-1);
    else this.writeString(value);
  }

  /** COMPACT_STRING: unsigned varint length + 1, UTF-8 bytes. */
  writeCompactString(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    assert(bytes <= STRING_BYTES_MAX, 'string longer than 32767 bytes', { bytes });
    this.writeUnsignedVarint(bytes + 1);
    this.ensure(bytes);
    this.position += this.buffer.write(value, this.position, bytes, 'utf8');
  }

  writeCompactNullableString(value: string | null): void {
    if (value === null) this.writeUnsignedVarint(0);
    else this.writeCompactString(value);
  }

  /** BYTES (and RECORDS): int32 length, the bytes. */
  writeBytes(value: Uint8Array): void {
    this.writeInt32(value.length);
    this.writeRaw(value);
  }

  writeNullableBytes(value: Uint8Array | null): void {
    if (value === null) this.writeInt32(-1);
    else this.writeBytes(value);
  }

  /** COMPACT_BYTES (and COMPACT_RECORDS): unsigned varint length + 1, the bytes. */
  writeCompactBytes(value: Uint8Array): void {
    this.writeUnsignedVarint(value.length + 1);
    this.writeRaw(value);
  }

  writeCompactNullableBytes(value: Uint8Array | null): void {
    if (value === null) this.writeUnsignedVarint(0);
    else this.writeCompactBytes(value);
  }

  /** ARRAY length: int32, -1 for null. */
  writeArrayLength(count: number | null): void {
    this.writeInt32(count === null ? -1 : count);
  }

  /** COMPACT_ARRAY length: unsigned varint count + 1, 0 for null. */
  writeCompactArrayLength(count: number | null): void {
    this.writeUnsignedVarint(count === null ? 0 : count + 1);
  }

  writeRaw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  /**
   * Starts a part prefixed by its size as an unsigned varint (a tagged field's value): returns the mark
   * to pass to endSizePrefixed once the part is written.
   */
  startSizePrefixed(): number {
    this.ensure(1);
    return this.position++;
  }

  /** Writes the size of the part started at `mark` before it, in as few bytes as it takes. */
  endSizePrefixed(mark: number): void {
    const size = this.position - mark - 1;
    if (size < 0x80) {
      this.buffer[mark] = size;
      return;
    }
    let prefixBytes = 1;
    for (let rest = size; rest >= 0x80; rest = Math.floor(rest / 128)) prefixBytes++;
    this.ensure(prefixBytes - 1);
    this.buffer.copyWithin(mark + prefixBytes, mark + 1, this.position);
    const end = this.position + prefixBytes - 1;
    this.position = mark;
    this.writeUnsignedVarint(size);
    this.position = end;
  }

  /** Reserves an int32 (a frame's size) to be set later with setInt32. */
  reserveInt32(): number {
    this.ensure(4);
    const mark = this.position;
    this.position += 4;
    return mark;
  }

  setInt32(mark: number, value: number): void {
    assert(mark + 4 <= this.position, 'int32 mark past the written bytes', { mark, position: this.position });
    this.buffer.writeInt32BE(value, mark);
  }
}
