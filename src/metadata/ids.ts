// Branded ids and counters of the metadata layer. All are safe integers except TopicId. The constructors
// assert their range: a value out of range is a bug of the caller (decoders check untrusted input first
// and raise a MetadataCodecError instead).

import { assert } from '../../raft/assert.ts';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A broker's node.id (Kafka: int32 >= 0). NO_LEADER (-1) is the only negative value in use. */
export type BrokerId = Brand<number, 'BrokerId'>;
/** A topic's id: a UUID in its standard lower-case text form (8-4-4-4-12 hex digits). */
export type TopicId = Brand<string, 'TopicId'>;
/** A partition's index within its topic, 0..n-1. */
export type PartitionId = Brand<number, 'PartitionId'>;
/** Bumped when a partition's leader is (re)elected; stamped on data batches (KIP-101). */
export type LeaderEpoch = Brand<number, 'LeaderEpoch'>;
/** Bumped on every change of a partition's registration (ISR, leader, replicas). */
export type PartitionEpoch = Brand<number, 'PartitionEpoch'>;
/** The metadata offset of the RegisterBroker record of a broker's current registration. */
export type BrokerEpoch = Brand<number, 'BrokerEpoch'>;
/** A position in the metadata log: the Raft index of the entry that carried a record batch. */
export type MetadataOffset = Brand<number, 'MetadataOffset'>;

/** The largest value of Kafka's int32 fields (broker ids, partition ids, epochs). */
export const INT32_MAX = 0x7fff_ffff;

function int32(value: number, what: string): number {
  assert(Number.isInteger(value) && value >= 0 && value <= INT32_MAX, `${what} out of range`, { value });
  return value;
}

function safeNatural(value: number, what: string): number {
  assert(Number.isSafeInteger(value) && value >= 0, `${what} out of range`, { value });
  return value;
}

export const brokerId = (n: number): BrokerId => int32(n, 'broker id') as BrokerId;
export const partitionId = (n: number): PartitionId => int32(n, 'partition id') as PartitionId;
export const leaderEpoch = (n: number): LeaderEpoch => int32(n, 'leader epoch') as LeaderEpoch;
export const partitionEpoch = (n: number): PartitionEpoch => int32(n, 'partition epoch') as PartitionEpoch;
export const brokerEpoch = (n: number): BrokerEpoch => safeNatural(n, 'broker epoch') as BrokerEpoch;
export const metadataOffset = (n: number): MetadataOffset =>
  safeNatural(n, 'metadata offset') as MetadataOffset;

/** The leader of a partition that has none (Kafka's -1). */
export const NO_LEADER = -1 as BrokerId;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The nil UUID means "no topic" (Kafka's Uuid.ZERO_UUID): never a topic's id. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

export function topicId(text: string): TopicId {
  assert(isUuid(text) && text !== NIL_UUID, 'topic id is not a lower-case, non-nil UUID', { text });
  return text as TopicId;
}
