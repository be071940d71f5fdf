// Which __consumer_offsets partition a group lives in, computed exactly as Kafka does
// (GroupCoordinator.partitionFor: Utils.abs(groupId.hashCode) % groupMetadataTopicPartitionCount), so a
// group lands in the partition a Kafka cluster with as many partitions would put it.

import { assert } from '../../raft/assert.ts';

/** The internal topic holding committed offsets. */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

const INT32_MIN = -0x8000_0000;

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit arithmetic. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index++) {
    hash = (Math.imul(31, hash) + text.charCodeAt(index)) | 0;
  }
  return hash;
}

/** Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE (which has no positive int) maps to 0. */
export function kafkaAbs(value: number): number {
  return value === INT32_MIN ? 0 : Math.abs(value);
}

/** The partition of __consumer_offsets (with `partitionsCount` partitions) that holds `groupId`. */
export function partitionForGroup(groupId: string, partitionsCount: number): number {
  assert(Number.isSafeInteger(partitionsCount) && partitionsCount > 0, 'a positive partition count', {
    partitionsCount,
  });
  return kafkaAbs(javaStringHashCode(groupId)) % partitionsCount;
}
