// A zero-copy view of a record batch header over the bytes it was read from or will be written as.
// Reading a field reads the buffer; nothing is decoded up front, so walking the batches of a segment
// costs a few loads per batch.

import { assert } from '../../../raft/assert.ts';
import type { Offset } from '../types.ts';
import {
  ATTRIBUTES_AT,
  BASE_OFFSET_AT,
  BASE_SEQUENCE_AT,
  BASE_TIMESTAMP_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  COMPRESSION_MASK,
  CONTROL_MASK,
  CRC_AT,
  DELETE_HORIZON_MASK,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD_BYTES,
  MAGIC_AT,
  MAX_TIMESTAMP_AT,
  PARTITION_LEADER_EPOCH_AT,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORD_COUNT_AT,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from './format.ts';

/** Reads a big-endian int64 as a number; NaN when it is outside the safe integer range. */
export function readInt64(buffer: Buffer, at: number): number {
  const high = buffer.readInt32BE(at);
  const low = buffer.readUInt32BE(at + 4);
  const value = high * 0x1_0000_0000 + low;
  return Number.isSafeInteger(value) ? value : Number.NaN;
}

export function writeInt64(buffer: Buffer, at: number, value: number): void {
  assert(Number.isSafeInteger(value), () => `int64 field holds ${value}`);
  buffer.writeInt32BE(Math.floor(value / 0x1_0000_0000), at);
  buffer.writeUInt32BE(value >>> 0, at + 4);
}

export class RecordBatchHeader {
  /** The bytes of the batch, starting at BaseOffset; at least BATCH_HEADER_BYTES long. */
  readonly buffer: Buffer;

  constructor(buffer: Buffer) {
    assert(buffer.length >= BATCH_HEADER_BYTES, () => `batch header view over ${buffer.length} bytes`);
    this.buffer = buffer;
  }

  /** NaN when the field is not a safe integer (validation rejects such a batch). */
  get baseOffset(): number {
    return readInt64(this.buffer, BASE_OFFSET_AT);
  }
  get batchLength(): number {
    return this.buffer.readInt32BE(BATCH_LENGTH_AT);
  }
  /** The whole batch, BaseOffset included. */
  get sizeBytes(): number {
    return LOG_OVERHEAD_BYTES + this.batchLength;
  }
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(PARTITION_LEADER_EPOCH_AT);
  }
  get magic(): number {
    return this.buffer.readInt8(MAGIC_AT);
  }
  get crc(): number {
    return this.buffer.readUInt32BE(CRC_AT);
  }
  get attributes(): number {
    return this.buffer.readInt16BE(ATTRIBUTES_AT);
  }
  get compressionCode(): number {
    return this.attributes & COMPRESSION_MASK;
  }
  get isLogAppendTime(): boolean {
    return (this.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_MASK) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_MASK) !== 0;
  }
  /** KIP-534: the time after which the log cleaner drops this batch's tombstones (BaseTimestamp). */
  get deleteHorizonMs(): number | null {
    return (this.attributes & DELETE_HORIZON_MASK) !== 0 ? this.baseTimestamp : null;
  }
  get lastOffsetDelta(): number {
    return this.buffer.readInt32BE(LAST_OFFSET_DELTA_AT);
  }
  /** BaseOffset + LastOffsetDelta. */
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  get baseTimestamp(): number {
    return readInt64(this.buffer, BASE_TIMESTAMP_AT);
  }
  get maxTimestamp(): number {
    return readInt64(this.buffer, MAX_TIMESTAMP_AT);
  }
  get producerId(): number {
    return readInt64(this.buffer, PRODUCER_ID_AT);
  }
  get producerEpoch(): number {
    return this.buffer.readInt16BE(PRODUCER_EPOCH_AT);
  }
  get baseSequence(): number {
    return this.buffer.readInt32BE(BASE_SEQUENCE_AT);
  }
  get recordCount(): number {
    return this.buffer.readInt32BE(RECORD_COUNT_AT);
  }
}

/**
 * Sets BaseOffset in place. It is outside the CRC, so the leader assigns offsets to a producer's batch
 * without recomputing the checksum (and without copying the batch).
 */
export function stampBaseOffset(batch: Buffer, baseOffset: Offset): void {
  writeInt64(batch, BASE_OFFSET_AT, baseOffset);
}

/** Sets PartitionLeaderEpoch in place; also outside the CRC. */
export function stampPartitionLeaderEpoch(batch: Buffer, epoch: number): void {
  batch.writeInt32BE(epoch, PARTITION_LEADER_EPOCH_AT);
}

/** The bytes the CRC covers: Attributes to the end of the batch. */
export function crcScope(batch: Buffer): Buffer {
  return batch.subarray(ATTRIBUTES_AT);
}
