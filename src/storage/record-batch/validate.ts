// Checks a record batch before it enters the log (produce, follower fetch) and when it comes back from
// disk. The header's own fields are checked here; the records inside are the producer's business (and
// the CRC proves they are the bytes the producer sealed).
//
// A stored batch may have been compacted (the log cleaner removed records but kept BaseOffset and
// LastOffsetDelta, so that offsets and producer sequences stay what they were): its RecordCount is then
// anywhere from 0 to LastOffsetDelta + 1. A producer's batch holds exactly LastOffsetDelta + 1 records
// (Kafka's LogValidator: "Inconsistent batch offset range and record count").

import { crc32c } from '../crc32c.ts';
import { type RecordBatchHeader, crcScope } from './header.ts';
import { CompressionType, MAGIC_V2 } from './format.ts';

/** Why a batch is not valid, or null when it is. */
export type BatchDefect =
  | { readonly kind: 'magic'; readonly message: string }
  | { readonly kind: 'crc'; readonly message: string }
  | { readonly kind: 'fields'; readonly message: string }
  | { readonly kind: 'compression'; readonly code: number; readonly message: string };

const SUPPORTED_COMPRESSION = new Set<number>([
  CompressionType.none,
  CompressionType.gzip,
  CompressionType.zstd,
]);

/** True when the batch's checksum matches its bytes. */
export function hasValidCrc(header: RecordBatchHeader): boolean {
  return crc32c(crcScope(header.buffer)) === header.crc;
}

/**
 * Structure, checksum and codec of one whole batch as a log may hold it, compacted or not (the header
 * views exactly the batch's bytes).
 */
export function batchDefect(header: RecordBatchHeader): BatchDefect | null {
  if (header.magic !== MAGIC_V2) return { kind: 'magic', message: `magic ${header.magic}, expected 2` };
  if (!hasValidCrc(header)) {
    return { kind: 'crc', message: `CRC ${header.crc} does not match ${crc32c(crcScope(header.buffer))}` };
  }
  const fieldsMessage = fieldsDefect(header);
  if (fieldsMessage !== null) return { kind: 'fields', message: fieldsMessage };
  const code = header.compressionCode;
  if (!SUPPORTED_COMPRESSION.has(code)) return { kind: 'compression', code, message: `codec ${code}` };
  return null;
}

/** batchDefect, and a record count that must be LastOffsetDelta + 1: a producer's batch, never compacted. */
export function producedBatchDefect(header: RecordBatchHeader): BatchDefect | null {
  const defect = batchDefect(header);
  if (defect !== null) return defect;
  const count = header.recordCount;
  if (count < 1) return { kind: 'fields', message: `record count ${count}` };
  if (header.lastOffsetDelta !== count - 1) {
    return { kind: 'fields', message: `last offset delta ${header.lastOffsetDelta} with ${count} records` };
  }
  return null;
}

function fieldsDefect(header: RecordBatchHeader): string | null {
  const count = header.recordCount;
  if (header.lastOffsetDelta < 0) return `last offset delta ${header.lastOffsetDelta}`;
  if (count < 0 || count > header.lastOffsetDelta + 1) {
    return `last offset delta ${header.lastOffsetDelta} with ${count} records`;
  }
  if (!Number.isSafeInteger(header.baseOffset) || header.baseOffset < 0) return 'base offset out of range';
  if (Number.isNaN(header.baseTimestamp) || Number.isNaN(header.maxTimestamp)) {
    return 'timestamp out of range';
  }
  if (Number.isNaN(header.producerId)) return 'producer id out of range';
  return null;
}
