// Kafka's RangeAssignor (org.apache.kafka.clients.consumer.RangeAssignor), run by the coordinator
// (server-side assignment, as KIP-848 does). Per topic, independently of the others: the topic's
// partitions in order, the members subscribed to it sorted by member id; each member gets a contiguous
// range of partitions / members partitions, and the first partitions % members get one more.
// Example: 3 members on a topic of 7 partitions get [0,1,2], [3,4], [5,6].
//
// A topic without metadata (unknown, deleted: partitionsOf gives null) is skipped, as Kafka does.

import type { TopicPartition } from './api.ts';

export const RANGE_ASSIGNOR_NAME = 'range';

export interface Subscription {
  readonly memberId: string;
  readonly topics: readonly string[];
}

/** Java's String.compareTo order (UTF-16 code units), which JavaScript's < also uses. */
export function compareStrings(left: string, right: string): number {
  if (left < right) return -1;
  return left > right ? 1 : 0;
}

/**
 * Every member's assignment, each sorted by topic then partition; every member of `subscriptions`
 * has an entry (possibly empty).
 */
export function rangeAssign(
  subscriptions: readonly Subscription[],
  partitionsOf: (topic: string) => number | null,
): Map<string, TopicPartition[]> {
  const assignment = new Map<string, TopicPartition[]>();
  const membersByTopic = new Map<string, string[]>();
  for (const { memberId, topics } of subscriptions) {
    assignment.set(memberId, []);
    for (const topic of new Set(topics)) {
      const members = membersByTopic.get(topic) ?? [];
      members.push(memberId);
      membersByTopic.set(topic, members);
    }
  }
  const topics = [...membersByTopic.keys()].sort(compareStrings);
  for (const topic of topics) {
    const partitionsCount = partitionsOf(topic);
    if (partitionsCount === null || partitionsCount <= 0) continue;
    const members = membersByTopic.get(topic)!.sort(compareStrings);
    const perMember = Math.floor(partitionsCount / members.length);
    const withExtra = partitionsCount % members.length;
    members.forEach((memberId, index) => {
      const start = perMember * index + Math.min(index, withExtra);
      const length = perMember + (index < withExtra ? 1 : 0);
      const owned = assignment.get(memberId)!;
      for (let partition = start; partition < start + length; partition++) owned.push({ topic, partition });
    });
  }
  return assignment;
}
