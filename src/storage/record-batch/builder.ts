// Encodes records into one record batch (magic 2): the producer's side of the format in format.ts.
// The REST edge and the tests build batches here; the log itself only ever handles the bytes.

import { assert } from '../../../raft/assert.ts';
import { crc32c } from '../crc32c.ts';
import { NO_PARTITION_LEADER_EPOCH, offset } from '../types.ts';
import { compress } from './compression.ts';
import {
  ATTRIBUTES_AT,
  BASE_SEQUENCE_AT,
  BASE_TIMESTAMP_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  COMPRESSION_MASK,
  CONTROL_MASK,
  type CompressionName,
  CompressionType,
  CRC_AT,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD_BYTES,
  MAGIC_AT,
  MAGIC_V2,
  MAX_TIMESTAMP_AT,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  TRANSACTIONAL_MASK,
} from './format.ts';
import { crcScope, stampBaseOffset, stampPartitionLeaderEpoch, writeInt64 } from './header.ts';
import type { ProducerRecord } from './record.ts';
import { ByteWriter, varintBytes } from './varint.ts';

export interface BatchOptions {
  readonly records: readonly ProducerRecord[];
  /** The leader overwrites it on append; producers send 0. */
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: CompressionName;
  /** Idempotence fields; -1 without. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly transactional?: boolean;
  readonly control?: boolean;
}

/** One batch holding `records` in order (offset deltas 0..n-1). */
export function buildRecordBatch(options: BatchOptions): Buffer {
  const { records } = options;
  assert(records.length > 0, 'a record batch holds at least one record');
  return encodeBatch(
    {
      baseOffset: options.baseOffset ?? 0,
      lastOffsetDelta: records.length - 1,
      partitionLeaderEpoch: options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
      attributes: attributes(options),
      baseTimestamp: records[0]!.timestamp,
      maxTimestamp: Math.max(...records.map((record) => record.timestamp)),
      producerId: options.producerId ?? -1,
      producerEpoch: options.producerEpoch ?? -1,
      baseSequence: options.baseSequence ?? -1,
    },
    records,
  );
}

/** Every header field a batch is written with, but the length, the record count and the CRC. */
export interface BatchFields {
  readonly baseOffset: number;
  readonly lastOffsetDelta: number;
  readonly partitionLeaderEpoch: number;
  /** The attributes as stored; bits 0-2 name the codec the records are compressed with. */
  readonly attributes: number;
  /** The timestamp record deltas are taken from (a delete horizon when bit 6 says so, KIP-534). */
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/**
 * A record with its place in its batch: `offsetDelta`, else its index in the batch (a producer's batch:
 * no copy of each record to say so).
 */
export interface PlacedRecord extends ProducerRecord {
  readonly offsetDelta?: number;
}

/**
 * A batch with exactly these fields and records (none, or fewer than LastOffsetDelta + 1: the log
 * cleaner writes such batches, keeping the original offsets), compressed with the attributes' codec.
 */
export function encodeBatch(fields: BatchFields, records: readonly PlacedRecord[]): Buffer {
  const codec = codecName(fields.attributes & COMPRESSION_MASK);
  let batch: Buffer;
  if (codec === 'none') {
    // Records written in place behind the header: one buffer of the exact size, no copy.
    const sizes = recordSizes(records, fields.baseTimestamp);
    const writer = new ByteWriter(BATCH_HEADER_BYTES + sizes.totalBytes);
    writer.advance(BATCH_HEADER_BYTES);
    writeRecords(writer, records, fields.baseTimestamp, sizes);
    batch = writer.finish();
    assert(batch.length === writer.capacityBytes, 'a batch is exactly the size computed for it', {
      computed: writer.capacityBytes,
      written: batch.length,
    });
  } else {
    const encoded =
      records.length === 0 ? Buffer.alloc(0) : compress(codec, encodeRecords(records, fields.baseTimestamp));
    batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + encoded.length);
    encoded.copy(batch, BATCH_HEADER_BYTES);
  }
  // Every header byte is written below (the buffer is not zeroed).
  stampBaseOffset(batch, offset(fields.baseOffset));
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_AT);
  stampPartitionLeaderEpoch(batch, fields.partitionLeaderEpoch);
  batch.writeInt8(MAGIC_V2, MAGIC_AT);
  batch.writeInt16BE(fields.attributes, ATTRIBUTES_AT);
  batch.writeInt32BE(fields.lastOffsetDelta, LAST_OFFSET_DELTA_AT);
  writeInt64(batch, BASE_TIMESTAMP_AT, fields.baseTimestamp);
  writeInt64(batch, MAX_TIMESTAMP_AT, fields.maxTimestamp);
  writeInt64(batch, PRODUCER_ID_AT, fields.producerId);
  batch.writeInt16BE(fields.producerEpoch, PRODUCER_EPOCH_AT);
  batch.writeInt32BE(fields.baseSequence, BASE_SEQUENCE_AT);
  batch.writeInt32BE(records.length, RECORD_COUNT_AT);
  batch.writeUInt32BE(crc32c(crcScope(batch)), CRC_AT);
  return batch;
}

/** Codec names by attribute code, built once (every batch looks its codec up). */
const CODEC_NAMES = new Map(
  (Object.keys(CompressionType) as CompressionName[]).map((name) => [CompressionType[name], name]),
);

function codecName(code: number): CompressionName {
  const name = CODEC_NAMES.get(code as (typeof CompressionType)[CompressionName]);
  assert(name !== undefined, () => `compression code ${code}`);
  return name;
}

function attributes(options: BatchOptions): number {
  let bits: number = CompressionType[options.compression ?? 'none'];
  if (options.transactional === true) bits |= TRANSACTIONAL_MASK;
  if (options.control === true) bits |= CONTROL_MASK;
  return bits;
}

/** The records section, uncompressed: each record is its varint length and its body. */
export function encodeRecords(records: readonly PlacedRecord[], baseTimestamp: number): Buffer {
  const sizes = recordSizes(records, baseTimestamp);
  const writer = new ByteWriter(sizes.totalBytes);
  writeRecords(writer, records, baseTimestamp, sizes);
  return writer.finish();
}

/** Each record's body size, and the section's (bodies with their length prefixes). */
interface RecordSizes {
  readonly bodyBytes: readonly number[];
  readonly totalBytes: number;
}

/** Sizes first, so that the bodies are written once, in place, into a buffer that never grows. */
function recordSizes(records: readonly PlacedRecord[], baseTimestamp: number): RecordSizes {
  const bodyBytes: number[] = new Array(records.length);
  let totalBytes = 0;
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    let size =
      1 +
      varintBytes(record.timestamp - baseTimestamp) +
      varintBytes(record.offsetDelta ?? index) +
      nullableBytes(record.key) +
      nullableBytes(record.value) +
      varintBytes(record.headers.length);
    for (const header of record.headers) {
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      size += varintBytes(keyBytes) + keyBytes + nullableBytes(header.value);
    }
    bodyBytes[index] = size;
    totalBytes += varintBytes(size) + size;
  }
  return { bodyBytes, totalBytes };
}

function nullableBytes(bytes: Uint8Array | null): number {
  return bytes === null ? varintBytes(-1) : varintBytes(bytes.length) + bytes.length;
}

function writeRecords(
  writer: ByteWriter,
  records: readonly PlacedRecord[],
  baseTimestamp: number,
  sizes: RecordSizes,
): void {
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    const bodyBytes = sizes.bodyBytes[index]!;
    writer.writeVarint(bodyBytes);
    const bodyStart = writer.lengthBytes;
    writer.writeInt8(0);
    writer.writeVarint(record.timestamp - baseTimestamp);
    writer.writeVarint(record.offsetDelta ?? index);
    writer.writeNullableBytes(record.key);
    writer.writeNullableBytes(record.value);
    writer.writeVarint(record.headers.length);
    for (const header of record.headers) {
      writer.writeString(header.key);
      writer.writeNullableBytes(header.value);
    }
    const written = writer.lengthBytes - bodyStart;
    // Checked before the assert call, so that a record that passes allocates no context object.
    if (written !== bodyBytes)
      assert(false, 'a record body is the size computed for it', { index, computed: bodyBytes, written });
  }
}
