// Read-only questions about a MetadataImage, and the deep equality used by tests and by the check
// that a node's image equals the others'.

import type { BrokerId, PartitionId, TopicId } from './ids.ts';
import type { BrokerRegistration, MetadataImage, PartitionRegistration, TopicImage } from './image.ts';

export function topicByName(image: MetadataImage, name: string): TopicImage | undefined {
  const id = image.topicIdsByName.get(name);
  return id === undefined ? undefined : image.topics.get(id);
}

export interface LedPartition {
  readonly topicId: TopicId;
  readonly topicName: string;
  readonly partitionId: PartitionId;
  readonly partition: PartitionRegistration;
}

/** The partitions whose leader is `brokerId`, in topic then partition order. */
export function partitionsLedBy(image: MetadataImage, brokerId: BrokerId): LedPartition[] {
  const led: LedPartition[] = [];
  for (const topic of image.topics.values()) {
    for (const [partitionId, partition] of topic.partitions) {
      if (partition.leader === brokerId)
        led.push({ topicId: topic.id, topicName: topic.name, partitionId, partition });
    }
  }
  return led;
}

/** Registered brokers that are not fenced (some may be in controlled shutdown). */
export function unfencedBrokers(image: MetadataImage): BrokerRegistration[] {
  return [...image.brokers.values()].filter((broker) => !broker.fenced);
}

/**
 * Deep structural equality of two images. Maps are compared as sets of entries (their order is not
 * part of the state), arrays element by element (replica order is: the first is the preferred leader).
 */
export function imagesEqual(a: MetadataImage, b: MetadataImage): boolean {
  return deepEqual(a, b);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [key, value] of a) {
      if (!b.has(key) || !deepEqual(value, b.get(key))) return false;
    }
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  const bRecord = b as Record<string, unknown>;
  const aRecord = a as Record<string, unknown>;
  return aKeys.every((key) => Object.hasOwn(bRecord, key) && deepEqual(aRecord[key], bRecord[key]));
}
