import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { crc32c } from '../../src/storage/crc32c.ts';
import { batchAt, batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import {
  RecordBatchHeader,
  stampBaseOffset,
  stampPartitionLeaderEpoch,
} from '../../src/storage/record-batch/header.ts';
import type { ProducerRecord } from '../../src/storage/record-batch/record.ts';
import { batchDefect } from '../../src/storage/record-batch/validate.ts';
import { offset } from '../../src/storage/types.ts';
import { batchOf, fcParameters, record } from './helpers.ts';

/** Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78): an independent check of the native one. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffff_ffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f6_3b78 : crc >>> 1;
  }
  return (crc ^ 0xffff_ffff) >>> 0;
}

describe('CRC-32C', () => {
  it('gives the check value of the Castagnoli polynomial and agrees with a bitwise version', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe306_9283);
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, index) => (index * 31) & 0xff));
    expect(crc32c(bytes)).toBe(referenceCrc32c(bytes));
  });
});

describe('record batch golden bytes', () => {
  it('encodes one record (key "k", value "v", timestamp 1000) as the Kafka v2 grammar says', () => {
    const batch = buildRecordBatch({ records: [record('v', 1000, 'k')] });
    // Record: length 8 (zigzag 0x10) | attributes 0 | timestampDelta 0 | offsetDelta 0 |
    // keyLength 1 (zigzag 0x02) 'k' | valueLength 1 (0x02) 'v' | headerCount 0.
    const recordBytes = '10' + '00' + '00' + '00' + '026b' + '0276' + '00';
    const afterCrc =
      '0000' + // attributes: no compression, CreateTime, not transactional, not control
      '00000000' + // lastOffsetDelta
      '00000000000003e8' + // baseTimestamp 1000
      '00000000000003e8' + // maxTimestamp 1000
      'ffffffffffffffff' + // producerId -1
      'ffff' + // producerEpoch -1
      'ffffffff' + // baseSequence -1
      '00000001' + // recordCount
      recordBytes;
    const crc = referenceCrc32c(Buffer.from(afterCrc, 'hex')).toString(16).padStart(8, '0');
    const expected =
      '0000000000000000' + // baseOffset
      '0000003a' + // batchLength: 70 bytes - 12
      'ffffffff' + // partitionLeaderEpoch -1
      '02' + // magic
      crc +
      afterCrc;
    expect(batch.toString('hex')).toBe(expected);
    expect(batch.length).toBe(70);
  });

  it('reads every header field back through the view', () => {
    const batch = buildRecordBatch({
      records: [record('a', 5000), record('b', 7000), record('c', 6000)],
      baseOffset: 42,
      partitionLeaderEpoch: 3,
      producerId: 9,
      producerEpoch: 2,
      baseSequence: 11,
      transactional: true,
    });
    const header = new RecordBatchHeader(batch);
    expect({
      baseOffset: header.baseOffset,
      sizeBytes: header.sizeBytes,
      epoch: header.partitionLeaderEpoch,
      magic: header.magic,
      lastOffsetDelta: header.lastOffsetDelta,
      lastOffset: header.lastOffset,
      baseTimestamp: header.baseTimestamp,
      maxTimestamp: header.maxTimestamp,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      recordCount: header.recordCount,
      transactional: header.isTransactional,
      control: header.isControl,
    }).toEqual({
      baseOffset: 42,
      sizeBytes: batch.length,
      epoch: 3,
      magic: 2,
      lastOffsetDelta: 2,
      lastOffset: 44,
      baseTimestamp: 5000,
      maxTimestamp: 7000,
      producerId: 9,
      producerEpoch: 2,
      baseSequence: 11,
      recordCount: 3,
      transactional: true,
      control: false,
    });
  });
});

describe('record batch validation and stamping', () => {
  it('stamping the base offset and leader epoch keeps the CRC valid', () => {
    const batch = batchOf(3);
    stampBaseOffset(batch, offset(1_000_000_000_000));
    stampPartitionLeaderEpoch(batch, 17);
    const header = new RecordBatchHeader(batch);
    expect(batchDefect(header)).toBeNull();
    expect(header.baseOffset).toBe(1_000_000_000_000);
    expect(header.partitionLeaderEpoch).toBe(17);
  });

  it('a flipped byte in the CRC scope is a crc defect', () => {
    const batch = batchOf(2);
    batch[batch.length - 2]! ^= 0x40;
    expect(batchDefect(new RecordBatchHeader(batch))?.kind).toBe('crc');
  });

  it('a wrong magic and a record count that contradicts lastOffsetDelta are defects', () => {
    const wrongMagic = batchOf(1);
    wrongMagic[16] = 1;
    expect(batchDefect(new RecordBatchHeader(wrongMagic))?.kind).toBe('magic');
    const records = [record('a'), record('b')];
    const batch = buildRecordBatch({ records });
    batch.writeInt32BE(5, 57); // recordCount, inside the CRC: recompute so only the fields disagree
    batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
    expect(batchDefect(new RecordBatchHeader(batch))?.kind).toBe('fields');
  });

  it('snappy and lz4 batches are refused as unsupported compression', () => {
    const batch = batchOf(1);
    batch.writeInt16BE(2, 21);
    batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
    expect(batchDefect(new RecordBatchHeader(batch))).toMatchObject({ kind: 'compression', code: 2 });
    expect(() => buildRecordBatch({ records: [record('a')], compression: 'lz4' })).toThrow(/unsupported/);
  });
});

describe('batch iterator', () => {
  it('walks concatenated batches and stops cleanly at a partial one', () => {
    const batches = [batchOf(1), batchOf(2), batchOf(3)];
    const whole = Buffer.concat(batches);
    for (let cut = 0; cut <= whole.length; cut++) {
      const walked = [...batchesIn(whole.subarray(0, cut))];
      const complete = batches.filter((_, index) => {
        const end = batches.slice(0, index + 1).reduce((sum, batch) => sum + batch.length, 0);
        return end <= cut;
      });
      expect(walked.map((batch) => batch.header.recordCount)).toEqual(complete.map((_, i) => i + 1));
    }
  });

  it('reports a length field too small for a header as bad-length', () => {
    const batch = batchOf(1);
    batch.writeInt32BE(3, 8);
    expect(batchAt(batch, 0).status).toBe('bad-length');
  });
});

const headerArbitrary = fc.record({
  key: fc.string({ maxLength: 8, unit: 'grapheme' }),
  value: fc.option(fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes))),
});
const recordArbitrary: fc.Arbitrary<ProducerRecord> = fc.record({
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  key: fc.option(fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes))),
  value: fc.option(fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes))),
  headers: fc.array(headerArbitrary, { maxLength: 3 }),
});

describe('builder and decoder', () => {
  it('round-trip arbitrary records under every supported codec', () => {
    fc.assert(
      fc.property(
        fc.array(recordArbitrary, { minLength: 1, maxLength: 20 }),
        fc.constantFrom('none', 'gzip', 'zstd') as fc.Arbitrary<'none' | 'gzip' | 'zstd'>,
        fc.integer({ min: 0, max: 2 ** 40 }),
        (records, compression, baseOffset) => {
          const batch = buildRecordBatch({ records, compression, baseOffset });
          const header = new RecordBatchHeader(batch);
          expect(batchDefect(header)).toBeNull();
          const decoded = decodeRecords(header);
          expect(decoded).toEqual(records.map((r, index) => ({ ...r, offset: baseOffset + index })));
        },
      ),
      fcParameters('record round-trip', 200),
    );
  });

  it('a damaged records section is an invalid-record KafkaError, not a crash', () => {
    const batch = buildRecordBatch({ records: [record('abc')], compression: 'gzip' });
    batch.fill(0xff, 61);
    let caught: unknown;
    try {
      decodeRecords(new RecordBatchHeader(batch));
    } catch (error) {
      caught = error;
    }
    expect(isKafkaError(caught)).toBe(true);
  });
});
