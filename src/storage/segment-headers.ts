// Walks the batch headers of a segment without reading the records: the producer state is rebuilt from
// the headers of the whole log at open and after a truncation. Reads go by chunks; a batch larger than a
// chunk is skipped over (only its 61-byte header is needed).

import type { LogSegment } from './log-segment.ts';
import { BATCH_HEADER_BYTES } from './record-batch/format.ts';
import { RecordBatchHeader } from './record-batch/header.ts';

const HEADER_CHUNK_BYTES = 1024 * 1024;

/** Where a walk stopped: a header that is not where it should be (bit rot: the segment was accounted). */
export interface HeaderDefect {
  readonly positionBytes: number;
  readonly reason: string;
}

/**
 * Calls `visit` with each batch header of `segment`, in order, while each is where the previous batch
 * ends, with the offset that follows it, inside the segment. Returns the first header that is not, or
 * null when the walk reached the segment's end. It does not throw for damage: finding and repairing bit
 * rot is the read path's business (the replica manager), which needs the log open to do it.
 */
export async function visitBatchHeaders(
  segment: LogSegment,
  visit: (header: RecordBatchHeader) => void,
): Promise<HeaderDefect | null> {
  let positionBytes = 0;
  let expected: number = segment.baseOffset;
  while (positionBytes < segment.sizeBytes) {
    const chunkStart = positionBytes;
    const chunk = await segment.readAt(
      chunkStart,
      Math.min(HEADER_CHUNK_BYTES, segment.sizeBytes - chunkStart),
    );
    do {
      const at = positionBytes - chunkStart;
      if (chunk.length - at < BATCH_HEADER_BYTES) {
        if (chunkStart + chunk.length === segment.sizeBytes) {
          return { positionBytes, reason: 'a batch header runs past the end of the segment' };
        }
        break;
      }
      const header = new RecordBatchHeader(chunk.subarray(at, at + BATCH_HEADER_BYTES));
      if (header.baseOffset !== expected) {
        return {
          positionBytes,
          reason: `batch at offset ${header.baseOffset} where ${expected} was expected`,
        };
      }
      if (
        header.sizeBytes < BATCH_HEADER_BYTES ||
        positionBytes + header.sizeBytes > segment.sizeBytes ||
        header.lastOffsetDelta < 0 ||
        header.lastOffset >= segment.nextOffset
      ) {
        return { positionBytes, reason: `batch of ${header.sizeBytes} bytes does not fit the segment` };
      }
      visit(header);
      positionBytes += header.sizeBytes;
      expected = header.lastOffset + 1;
    } while (positionBytes < chunkStart + chunk.length);
  }
  if (expected !== segment.nextOffset) {
    return {
      positionBytes,
      reason: `the batches end at offset ${expected}, the segment at ${segment.nextOffset}`,
    };
  }
  return null;
}
