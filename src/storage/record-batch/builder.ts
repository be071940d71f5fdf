// Encodes records into one record batch (magic 2): the producer's side of the format in format.ts.
// The REST edge and the tests build batches here; the log itself only ever handles the bytes.

import { assert } from '../../../raft/assert.ts';
import { NO_PARTITION_LEADER_EPOCH } from '../types.ts';
import { crc32c } from '../crc32c.ts';
import { compress } from './compression.ts';
import {
  ATTRIBUTES_AT,
  BASE_SEQUENCE_AT,
  BASE_TIMESTAMP_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  CONTROL_MASK,
  CRC_AT,
  CompressionType,
  type CompressionName,
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
import { ByteWriter } from './varint.ts';
import { offset } from '../types.ts';

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
  const baseTimestamp = records[0]!.timestamp;
  const encoded = compress(options.compression ?? 'none', encodeRecords(records, baseTimestamp));
  const batch = Buffer.alloc(BATCH_HEADER_BYTES + encoded.length);
  encoded.copy(batch, BATCH_HEADER_BYTES);
  stampBaseOffset(batch, offset(options.baseOffset ?? 0));
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BATCH_LENGTH_AT);
  stampPartitionLeaderEpoch(batch, options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH);
  batch.writeInt8(MAGIC_V2, MAGIC_AT);
  batch.writeInt16BE(attributes(options), ATTRIBUTES_AT);
  batch.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA_AT);
  writeInt64(batch, BASE_TIMESTAMP_AT, baseTimestamp);
  writeInt64(batch, MAX_TIMESTAMP_AT, Math.max(...records.map((record) => record.timestamp)));
  writeInt64(batch, PRODUCER_ID_AT, options.producerId ?? -1);
  batch.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH_AT);
  batch.writeInt32BE(options.baseSequence ?? -1, BASE_SEQUENCE_AT);
  batch.writeInt32BE(records.length, RECORD_COUNT_AT);
  batch.writeUInt32BE(crc32c(crcScope(batch)), CRC_AT);
  return batch;
}

function attributes(options: BatchOptions): number {
  let bits: number = CompressionType[options.compression ?? 'none'];
  if (options.transactional === true) bits |= TRANSACTIONAL_MASK;
  if (options.control === true) bits |= CONTROL_MASK;
  return bits;
}

/** The records section, uncompressed: each record is its varint length and its body. */
export function encodeRecords(records: readonly ProducerRecord[], baseTimestamp: number): Buffer {
  const section = new ByteWriter(records.length * 64);
  const body = new ByteWriter();
  records.forEach((record, offsetDelta) => {
    body.lengthBytes = 0;
    encodeRecordBody(body, record, record.timestamp - baseTimestamp, offsetDelta);
    const bytes = body.finish();
    section.writeVarint(bytes.length);
    section.writeBytes(bytes);
  });
  return section.finish();
}

function encodeRecordBody(
  writer: ByteWriter,
  record: ProducerRecord,
  timestampDelta: number,
  offsetDelta: number,
): void {
  writer.writeInt8(0);
  writer.writeVarint(timestampDelta);
  writer.writeVarint(offsetDelta);
  writer.writeNullableBytes(record.key);
  writer.writeNullableBytes(record.value);
  writer.writeVarint(record.headers.length);
  for (const header of record.headers) {
    writer.writeNullableBytes(Buffer.from(header.key, 'utf8'));
    writer.writeNullableBytes(header.value);
  }
}
