// The Writer's varints and size prefixes at their boundaries, against the bytes Kafka's ByteUtils writes.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../raft/assert.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';

const varint = (value: number) => {
  const writer = new Writer(16);
  writer.writeUnsignedVarint(value);
  return writer.toBuffer().toString('hex');
};

describe('Writer', () => {
  it('writes unsigned varints in as few bytes as they take, and reads them back', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [127, '7f'],
      [128, '8001'],
      [300, 'ac02'],
      [16_383, 'ff7f'],
      [16_384, '808001'],
      [0x7fff_ffff, 'ffffffff07'],
      [0xffff_ffff, 'ffffffff0f'],
    ];
    for (const [value, hex] of cases) {
      expect(varint(value)).toBe(hex);
      expect(new Reader(Buffer.from(hex, 'hex')).readUnsignedVarint()).toBe(value);
    }
  });

  it('writes the fixed-width types no vendored schema uses yet (uint16, uint32, float64) big-endian', () => {
    const writer = new Writer(16);
    writer.writeUInt16(0xfffe);
    writer.writeUInt32(0xffff_fffd);
    writer.writeFloat64(-1.5);
    expect(writer.toBuffer().toString('hex')).toBe('fffe' + 'fffffffd' + 'bff8000000000000');
    const reader = new Reader(writer.toBuffer());
    expect([reader.readUInt16(), reader.readUInt32(), reader.readFloat64()]).toEqual([
      0xfffe, 0xffff_fffd, -1.5,
    ]);
  });

  it('refuses a varint that is negative, fractional or above 32 bits', () => {
    for (const value of [-1, 0.5, 200.5, 2 ** 32]) expect(() => varint(value)).toThrow(InvariantError);
  });

  it('prefixes a part with its size, moving it when the size takes more than one byte', () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 70_000]) {
      const writer = new Writer(16);
      writer.writeInt8(7);
      const mark = writer.startSizePrefixed();
      for (let index = 0; index < size; index++) writer.writeInt8(index % 100);
      writer.endSizePrefixed(mark);
      writer.writeInt8(9);
      const reader = new Reader(writer.toBuffer());
      expect(reader.readInt8()).toBe(7);
      expect(reader.readUnsignedVarint()).toBe(size);
      const part = reader.readRaw(size);
      expect(part.every((byte, index) => byte === index % 100)).toBe(true);
      expect(reader.readInt8()).toBe(9);
      expect(reader.remaining).toBe(0);
    }
  });

  it('grows past its first buffer without losing what it wrote, and sets a reserved frame size', () => {
    const writer = new Writer(16);
    const mark = writer.reserveInt32();
    for (let index = 0; index < 1000; index++) writer.writeCompactString(`s${index}`);
    writer.setInt32(mark, writer.length - 4);
    const reader = new Reader(writer.toBuffer());
    expect(reader.readInt32()).toBe(reader.remaining);
    for (let index = 0; index < 1000; index++) expect(reader.readCompactString()).toBe(`s${index}`);
  });
});
