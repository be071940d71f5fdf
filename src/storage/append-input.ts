// Checks the bytes of an append (a produce request's records, a follower fetch's response) before any
// of it reaches the log: whole batches only, each valid and within the size limit. Either every batch
// of an append is accepted or none is. A producer's batches hold every record of their offset range; a
// follower's may come from a compacted log (record-batch/validate.ts).

import { KafkaError } from '../common/kafka-errors.ts';
import { invalidRecordError, unsupportedCompressionError } from './errors.ts';
import { batchAt } from './record-batch/batch-iterator.ts';
import type { RecordBatchHeader } from './record-batch/header.ts';
import { decodeRecords } from './record-batch/decoder.ts';
import { batchDefect, producedBatchDefect } from './record-batch/validate.ts';

export interface AppendInput {
  readonly bytes: Buffer;
  readonly headers: readonly RecordBatchHeader[];
  readonly maxTimestamp: number;
}

export function parseAppendInput(
  bytes: Buffer,
  limits: { batchBytesMax: number; segmentBytesMax: number },
  source: 'producer' | 'replica',
): AppendInput {
  if (bytes.length > limits.segmentBytesMax) {
    throw new KafkaError(
      'RECORD_LIST_TOO_LARGE',
      `The record batches (${bytes.length} bytes) are larger than the topic's segment.bytes (${limits.segmentBytesMax} bytes).`,
    );
  }
  const headers: RecordBatchHeader[] = [];
  let maxTimestamp = -1;
  let positionBytes = 0;
  while (positionBytes < bytes.length) {
    const found = batchAt(bytes, positionBytes);
    if (found.status !== 'ok') {
      throw new KafkaError('CORRUPT_MESSAGE', `${found.status} record batch at byte ${positionBytes}`);
    }
    checkBatch(found.header, limits.batchBytesMax, source);
    headers.push(found.header);
    maxTimestamp = Math.max(maxTimestamp, found.header.maxTimestamp);
    positionBytes = found.endBytes;
  }
  if (headers.length === 0) throw invalidRecordError('no record batch');
  return { bytes, headers, maxTimestamp };
}

/**
 * A compacted topic keeps the latest record of each key: a producer's record without a key is refused
 * (Kafka's LogValidator), and so is one whose offset delta is not its place in the batch (the cleaner
 * maps records by offset). Decodes the records, which nothing else on the append path does.
 */
export function requireKeys(input: AppendInput, partition: string): void {
  for (const header of input.headers) {
    if (header.isControl) continue;
    decodeRecords(header).forEach((record, index) => {
      if (record.key === null) {
        throw new KafkaError(
          'INVALID_RECORD',
          `Compacted topic cannot accept message without key in topic partition ${partition}.`,
        );
      }
      if (record.offset !== header.baseOffset + index) {
        throw invalidRecordError(`offset delta ${record.offset - header.baseOffset} of record ${index}`);
      }
    });
  }
}

function checkBatch(header: RecordBatchHeader, batchBytesMax: number, source: 'producer' | 'replica'): void {
  if (header.sizeBytes > batchBytesMax) {
    throw new KafkaError(
      'MESSAGE_TOO_LARGE',
      `The record batch (${header.sizeBytes} bytes) is larger than the topic's max.message.bytes (${batchBytesMax} bytes).`,
    );
  }
  const defect = source === 'producer' ? producedBatchDefect(header) : batchDefect(header);
  if (defect === null) return;
  switch (defect.kind) {
    case 'compression':
      throw unsupportedCompressionError(defect.code);
    case 'fields':
      throw invalidRecordError(defect.message);
    case 'magic':
    case 'crc':
      throw new KafkaError('CORRUPT_MESSAGE', `record batch: ${defect.message}`);
  }
}
