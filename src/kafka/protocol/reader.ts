// The decoder's input: a bounds-checked cursor over one frame. Every read checks the bytes it needs
// against what remains, and every length read from the wire is checked against what remains before
// anything is allocated for it, so a truncated or hostile frame ends in a MalformedMessageError.
import { MalformedMessageError } from './errors.ts';
import { STRING_BYTES_MAX } from './writer.ts';
import { uuidFromHex } from './uuid.ts';

const VARINT_BYTES_MAX = 5;

export class Reader {
  private readonly buffer: Buffer;
  private position: number;
  private readonly end: number;

  /** Reads `bytes` from `start` to `end` (the whole array by default). Decoded bytes fields alias it. */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (start < 0 || end > bytes.length || start > end) {
      throw new RangeError(`reader bounds ${start}..${end} outside 0..${bytes.length}`);
    }
    this.position = start;
    this.end = end;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private need(bytes: number): void {
    if (bytes > this.end - this.position) {
      throw new MalformedMessageError(
        'truncated',
        `needed ${bytes} bytes, ${this.end - this.position} remain`,
        this.position,
      );
    }
  }

  /** A length read from the wire: not negative (beyond the null marker) and not past the end. */
  private checkLength(length: number, unitBytes: number, what: string): void {
    if (length < 0) {
      throw new MalformedMessageError('negative-length', `${what} has length ${length}`, this.position);
    }
    if (length * unitBytes > this.end - this.position) {
      throw new MalformedMessageError(
        'length-past-end',
        `${what} of length ${length} runs past the end (${this.end - this.position} bytes remain)`,
        this.position,
      );
    }
  }

  readInt8(): number {
    this.need(1);
    return this.buffer.readInt8(this.position++);
  }

  readInt16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  readUInt16(): number {
    this.need(2);
    const value = this.buffer.readUInt16BE(this.position);
    this.position += 2;
    return value;
  }

  readInt32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  readUInt32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  readInt64(): bigint {
    this.need(8);
    const value = this.buffer.readBigInt64BE(this.position);
    this.position += 8;
    return value;
  }

  readFloat64(): number {
    this.need(8);
    const value = this.buffer.readDoubleBE(this.position);
    this.position += 8;
    return value;
  }

  /** Any non-zero byte is true, as in Kafka's decoder. */
  readBool(): boolean {
    this.need(1);
    return this.buffer[this.position++] !== 0;
  }

  /** An unsigned varint of at most five bytes that fits in 32 bits. */
  readUnsignedVarint(): number {
    let value = 0;
    let multiplier = 1;
    for (let index = 0; index < VARINT_BYTES_MAX; index++) {
      this.need(1);
      const byte = this.buffer[this.position++]!;
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        if (value > 0xffff_ffff) {
          throw new MalformedMessageError('invalid-varint', 'varint larger than 32 bits', this.position - 1);
        }
        return value;
      }
      multiplier *= 128;
    }
    throw new MalformedMessageError('invalid-varint', 'varint longer than 5 bytes', this.position - 1);
  }

  readUuid(): string {
    this.need(16);
    const hex = this.buffer.toString('hex', this.position, this.position + 16);
    this.position += 16;
    return uuidFromHex(hex);
  }

  private readUtf8(length: number, what: string): string {
    if (length > STRING_BYTES_MAX) {
      throw new MalformedMessageError('string-too-long', `${what} of ${length} bytes`, this.position);
    }
    this.checkLength(length, 1, what);
    const value = this.buffer.toString('utf8', this.position, this.position + length);
    this.position += length;
    return value;
  }

  private nullNotAllowed(what: string): never {
    throw new MalformedMessageError('null-not-allowed', `${what} is null`, this.position);
  }

  /** STRING: int16 length. */
  readString(what = 'string'): string {
    const length = this.readInt16();
    if (length === -1) this.nullNotAllowed(what);
    return this.readUtf8(length, what);
  }

  readNullableString(what = 'string'): string | null {
    const length = this.readInt16();
    return length === -1 ? null : this.readUtf8(length, what);
  }

  /** COMPACT_STRING: unsigned varint length + 1. */
  readCompactString(what = 'string'): string {
    const lengthPlusOne = this.readUnsignedVarint();
    if (lengthPlusOne === 0) this.nullNotAllowed(what);
    return this.readUtf8(lengthPlusOne - 1, what);
  }

  readCompactNullableString(what = 'string'): string | null {
    const lengthPlusOne = this.readUnsignedVarint();
    return lengthPlusOne === 0 ? null : this.readUtf8(lengthPlusOne - 1, what);
  }

  /** `length` bytes as a view of the frame (no copy). */
  readRaw(length: number, what = 'bytes'): Uint8Array {
    this.checkLength(length, 1, what);
    const view = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset + this.position, length);
    this.position += length;
    return view;
  }

  /** BYTES (and RECORDS): int32 length. */
  readBytes(what = 'bytes'): Uint8Array {
    const length = this.readInt32();
    if (length === -1) this.nullNotAllowed(what);
    return this.readRaw(length, what);
  }

  readNullableBytes(what = 'bytes'): Uint8Array | null {
    const length = this.readInt32();
    return length === -1 ? null : this.readRaw(length, what);
  }

  /** COMPACT_BYTES (and COMPACT_RECORDS): unsigned varint length + 1. */
  readCompactBytes(what = 'bytes'): Uint8Array {
    const lengthPlusOne = this.readUnsignedVarint();
    if (lengthPlusOne === 0) this.nullNotAllowed(what);
    return this.readRaw(lengthPlusOne - 1, what);
  }

  readCompactNullableBytes(what = 'bytes'): Uint8Array | null {
    const lengthPlusOne = this.readUnsignedVarint();
    return lengthPlusOne === 0 ? null : this.readRaw(lengthPlusOne - 1, what);
  }

  /**
   * ARRAY: int32 count. Each element takes at least `elementBytesMin` bytes (at least 1, as Kafka's
   * decoder assumes), so a count the remaining bytes cannot hold is refused before any allocation.
   */
  readArrayLength(elementBytesMin: number, what = 'array'): number {
    const count = this.readInt32();
    if (count === -1) this.nullNotAllowed(what);
    this.checkLength(count, Math.max(1, elementBytesMin), what);
    return count;
  }

  /** As readArrayLength; -1 for null. */
  readNullableArrayLength(elementBytesMin: number, what = 'array'): number {
    const count = this.readInt32();
    if (count === -1) return -1;
    this.checkLength(count, Math.max(1, elementBytesMin), what);
    return count;
  }

  /** COMPACT_ARRAY: unsigned varint count + 1. */
  readCompactArrayLength(elementBytesMin: number, what = 'array'): number {
    const countPlusOne = this.readUnsignedVarint();
    if (countPlusOne === 0) this.nullNotAllowed(what);
    this.checkLength(countPlusOne - 1, Math.max(1, elementBytesMin), what);
    return countPlusOne - 1;
  }

  /** As readCompactArrayLength; -1 for null. */
  readCompactNullableArrayLength(elementBytesMin: number, what = 'array'): number {
    const countPlusOne = this.readUnsignedVarint();
    if (countPlusOne === 0) return -1;
    this.checkLength(countPlusOne - 1, Math.max(1, elementBytesMin), what);
    return countPlusOne - 1;
  }

  /** A tagged field's size: checked against what remains; returns where the field must end. */
  readTaggedFieldEnd(tag: number): number {
    const size = this.readUnsignedVarint();
    this.checkLength(size, 1, `tagged field ${tag}`);
    return this.position + size;
  }

  /** After a known tagged field is decoded: it must have used exactly the size it declared. */
  expectTaggedFieldEnd(tag: number, end: number): void {
    if (this.position !== end) {
      throw new MalformedMessageError(
        'tagged-field-size',
        `tagged field ${tag} ends at ${this.position}, its size said ${end}`,
        this.position,
      );
    }
  }
}
