// Reads a segment file batch by batch from its start, checks each batch (structure, CRC, offsets
// contiguous with the previous batch, plus the caller's check), and accounts for the valid ones. It
// stops at the first batch that is not whole and valid and says where: recovery decides whether that is
// a torn tail (cut it) or damage to durable data (refuse to open).

import { batchAt } from './record-batch/batch-iterator.ts';
import { LOG_OVERHEAD_BYTES } from './record-batch/format.ts';
import type { RecordBatchHeader } from './record-batch/header.ts';
import { batchDefect } from './record-batch/validate.ts';
import type { LogSegment } from './log-segment.ts';

const SCAN_CHUNK_BYTES = 1024 * 1024;

export interface ScanDefect {
  readonly positionBytes: number;
  readonly reason: string;
}

export interface ScanOptions {
  readonly indexIntervalBytes: number;
  /** An extra check of each batch (leader epochs never decrease); a reason when it fails. */
  readonly check: (header: RecordBatchHeader) => string | null;
}

/** Accounts every valid batch of `segment` (from an empty accounting); the first defect, or null. */
export async function scanSegment(segment: LogSegment, options: ScanOptions): Promise<ScanDefect | null> {
  segment.resetAccounting();
  let chunkStart = 0;
  let wantedBytes = SCAN_CHUNK_BYTES;
  while (chunkStart < segment.sizeBytes) {
    const chunk = await segment.readAt(chunkStart, Math.min(wantedBytes, segment.sizeBytes - chunkStart));
    let at = 0;
    for (;;) {
      const found = batchAt(chunk, at);
      if (found.status === 'bad-length')
        return { positionBytes: chunkStart + at, reason: 'batch length below a header' };
      if (found.status === 'partial') break;
      const reason = defectOf(found.header, segment, options);
      if (reason !== null) return { positionBytes: chunkStart + at, reason };
      segment.account(found.header, chunkStart + at, options.indexIntervalBytes);
      at = found.endBytes;
    }
    const lastChunk = chunkStart + chunk.length === segment.sizeBytes;
    if (lastChunk && at < chunk.length)
      return { positionBytes: chunkStart + at, reason: 'partial batch at the end' };
    // A batch larger than the chunk: read again from its start, with room for the whole of it.
    wantedBytes = at === 0 ? neededBytes(chunk) : SCAN_CHUNK_BYTES;
    chunkStart += at;
  }
  return null;
}

function neededBytes(chunk: Buffer): number {
  if (chunk.length < LOG_OVERHEAD_BYTES) return SCAN_CHUNK_BYTES;
  return Math.max(SCAN_CHUNK_BYTES, LOG_OVERHEAD_BYTES + chunk.readInt32BE(8));
}

function defectOf(header: RecordBatchHeader, segment: LogSegment, options: ScanOptions): string | null {
  const defect = batchDefect(header);
  if (defect !== null) return defect.message;
  if (header.baseOffset !== segment.nextOffset) {
    return `batch at offset ${header.baseOffset} where ${segment.nextOffset} was expected`;
  }
  return options.check(header);
}
