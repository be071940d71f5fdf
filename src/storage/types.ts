// Branded numbers of the partition log. Offsets are safe integers, not bigint: 2^53 offsets outlast any
// partition, arithmetic on them stays cheap, and every value read from disk or the wire is range-checked
// before it becomes an Offset. LeaderEpoch is the metadata layer's brand, so that epochs from partition
// registrations reach the log without conversion.

import { assert } from '../../raft/assert.ts';
import { type LeaderEpoch, leaderEpoch } from '../metadata/ids.ts';

export { type LeaderEpoch, leaderEpoch };

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** The position of a record in a partition (Kafka: int64 >= 0). */
export type Offset = Brand<number, 'Offset'>;

export const offset = (n: number): Offset => {
  assert(Number.isSafeInteger(n) && n >= 0, 'offset out of range', { value: n });
  return n as Offset;
};

/** A batch carries no leader epoch (Kafka's RecordBatch.NO_PARTITION_LEADER_EPOCH). */
export const NO_PARTITION_LEADER_EPOCH = -1;
/** A timestamp that is not known (Kafka's RecordBatch.NO_TIMESTAMP). */
export const NO_TIMESTAMP = -1;
