// A record to produce, as the REST edge has it once the request is checked: bytes, an optional explicit
// partition and timestamp, and the embedded types the report echoes.

import type { RecordHeader } from '../../storage/record-batch/record.ts';
import type { EmbeddedType } from './embedded.ts';

export interface RecordInput {
  /** null: the partitioner decides (murmur2 of the key, else sticky). */
  readonly partitionId: number | null;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /** Milliseconds since the epoch; null: the time the request is served. */
  readonly timestamp: number | null;
  /** The embedded types given; null when the key/value was absent (the report then says null). */
  readonly keyType: EmbeddedType | null;
  readonly valueType: EmbeddedType | null;
  /**
   * An idempotent REST producer's record (our extension of the v3 record): produced alone in a batch
   * with these producer fields, so the partition leader answers a retry with the original offset.
   * null: an ordinary record.
   */
  readonly idempotence: ProducerSequence | null;
}

/** The producer fields of an idempotent record: who sent it, and its sequence in its partition. */
export interface ProducerSequence {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly sequence: number;
}

/** The bytes a record carries, as the sticky partitioner counts them. */
export function recordBytes(record: RecordInput): number {
  let bytes = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers) bytes += header.key.length + (header.value?.length ?? 0);
  return bytes;
}
