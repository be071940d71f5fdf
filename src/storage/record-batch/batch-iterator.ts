// Walks the record batches laid end to end in a buffer (a produce request, a fetch response, a chunk
// of a segment file). It stops at the first batch that does not fit: the bytes of a torn write, the end
// of a read chunk, or a length field that cannot be a batch's.

import { assert } from '../../../raft/assert.ts';
import { BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES } from './format.ts';
import { RecordBatchHeader } from './header.ts';

export type BatchAt =
  | { readonly status: 'ok'; readonly header: RecordBatchHeader; readonly endBytes: number }
  /** The bytes end before the batch does (or before its length field). */
  | { readonly status: 'partial' }
  /** BatchLength is smaller than a header: garbage, not a batch. */
  | { readonly status: 'bad-length' };

/** The batch starting at `positionBytes`; its header views a subarray of `buffer` (no copy). */
export function batchAt(buffer: Buffer, positionBytes: number): BatchAt {
  assert(positionBytes >= 0 && positionBytes <= buffer.length, () => `batch position ${positionBytes}`);
  if (buffer.length - positionBytes < LOG_OVERHEAD_BYTES) return { status: 'partial' };
  const batchLength = buffer.readInt32BE(positionBytes + 8);
  if (batchLength < BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES) return { status: 'bad-length' };
  const endBytes = positionBytes + LOG_OVERHEAD_BYTES + batchLength;
  if (endBytes > buffer.length) return { status: 'partial' };
  return { status: 'ok', header: new RecordBatchHeader(buffer.subarray(positionBytes, endBytes)), endBytes };
}

export interface PositionedBatch {
  readonly header: RecordBatchHeader;
  /** Where the batch starts in the buffer walked. */
  readonly positionBytes: number;
}

/** Every whole batch from `startBytes` on, up to the first that does not fit. */
export function* batchesIn(buffer: Buffer, startBytes = 0): Generator<PositionedBatch> {
  let positionBytes = startBytes;
  for (;;) {
    const at = batchAt(buffer, positionBytes);
    if (at.status !== 'ok') return;
    yield { header: at.header, positionBytes };
    positionBytes = at.endBytes;
  }
}
