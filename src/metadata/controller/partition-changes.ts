// How partitions change when a broker leaves service (fenced, or in controlled shutdown) or returns
// (unfenced). Pure functions of the image; the controller turns the result into records.
import type { BrokerId, PartitionId, TopicId } from '../ids.ts';
import { NO_LEADER } from '../ids.ts';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../image.ts';
import type { PartitionChangeRecord } from '../records.ts';

/** A broker that may lead or join an ISR: registered, unfenced, not shutting down. */
export function isEligible(image: MetadataImage, broker: BrokerId): boolean {
  const registration = image.brokers.get(broker);
  return registration !== undefined && !registration.fenced && !registration.inControlledShutdown;
}

function change(
  topic: TopicImage,
  partitionId: PartitionId,
  delta: { leader?: BrokerId; isr?: readonly BrokerId[] },
): PartitionChangeRecord {
  return {
    type: 'partitionChange',
    topicId: topic.id,
    partitionId,
    leader: delta.leader ?? null,
    isr: delta.isr ?? null,
    replicas: null,
  };
}

/** The first eligible replica in preferred order among `candidates`, or NO_LEADER. */
function electLeader(
  image: MetadataImage,
  partition: PartitionRegistration,
  candidates: readonly BrokerId[],
): BrokerId {
  return (
    partition.replicas.find((replica) => candidates.includes(replica) && isEligible(image, replica)) ??
    NO_LEADER
  );
}

/**
 * `broker` leaves every ISR and every leadership. As in KRaft (before KIP-966's ELR): the last ISR member
 * stays in the ISR, with no leader, so that it can lead again when it comes back with all committed
 * data; with unclean election enabled for the topic, any other eligible replica takes over instead,
 * alone in the ISR (it may lack records: that is what "unclean" means).
 */
export function removeBrokerFromPartitions(
  image: MetadataImage,
  broker: BrokerId,
  uncleanElectionEnabled: (topic: TopicImage) => boolean,
): PartitionChangeRecord[] {
  const changes: PartitionChangeRecord[] = [];
  for (const topic of image.topics.values()) {
    for (const [partitionId, partition] of topic.partitions) {
      if (!partition.isr.includes(broker)) continue;
      const isr = partition.isr.filter((member) => member !== broker);
      const wasLeader = partition.leader === broker;
      if (isr.length === 0) {
        const unclean = uncleanElectionEnabled(topic)
          ? partition.replicas.find((replica) => replica !== broker && isEligible(image, replica))
          : undefined;
        if (unclean !== undefined)
          changes.push(change(topic, partitionId, { leader: unclean, isr: [unclean] }));
        else if (wasLeader) changes.push(change(topic, partitionId, { leader: NO_LEADER }));
        continue;
      }
      if (wasLeader || partition.leader === NO_LEADER) {
        const leader = electLeader(image, partition, isr);
        if (leader !== partition.leader) changes.push(change(topic, partitionId, { leader, isr }));
        else changes.push(change(topic, partitionId, { isr }));
      } else {
        changes.push(change(topic, partitionId, { isr }));
      }
    }
  }
  return changes;
}

/**
 * `broker` is back in service: partitions left without a leader whose ISR holds it are led by it
 * again; with unclean election enabled, leaderless partitions whose whole ISR is gone take it too.
 * `image` must already show the broker as eligible (apply its unfence record first).
 */
export function electOnReturn(
  image: MetadataImage,
  broker: BrokerId,
  uncleanElectionEnabled: (topic: TopicImage) => boolean,
): PartitionChangeRecord[] {
  const changes: PartitionChangeRecord[] = [];
  for (const topic of image.topics.values()) {
    for (const [partitionId, partition] of topic.partitions) {
      if (partition.leader !== NO_LEADER || !partition.replicas.includes(broker)) continue;
      const cleanLeader = electLeader(image, partition, partition.isr);
      if (cleanLeader !== NO_LEADER) {
        changes.push(change(topic, partitionId, { leader: cleanLeader }));
      } else if (
        uncleanElectionEnabled(topic) &&
        !partition.isr.some((member) => isEligible(image, member))
      ) {
        changes.push(change(topic, partitionId, { leader: broker, isr: [broker] }));
      }
    }
  }
  return changes;
}

/** The partition of a topic by id, for request validation. */
export function findPartition(
  image: MetadataImage,
  topicId: TopicId,
  partitionId: PartitionId,
): { topic: TopicImage; partition: PartitionRegistration } | null {
  const topic = image.topics.get(topicId);
  const partition = topic?.partitions.get(partitionId);
  return topic === undefined || partition === undefined ? null : { topic, partition };
}

/**
 * auto.leader.rebalance.enable: every partition whose preferred replica (the first) is in its ISR and
 * eligible, but does not lead it, gets it back as leader (Kafka's preferred replica election). Without
 * it, a cluster restarted node by node keeps every leadership on the node that started first.
 */
export function preferredLeaderChanges(image: MetadataImage): PartitionChangeRecord[] {
  const changes: PartitionChangeRecord[] = [];
  for (const topic of image.topics.values()) {
    for (const [partitionId, partition] of topic.partitions) {
      const preferred = partition.replicas[0];
      if (preferred === undefined || partition.leader === preferred) continue;
      if (partition.isr.includes(preferred) && isEligible(image, preferred)) {
        changes.push(change(topic, partitionId, { leader: preferred }));
      }
    }
  }
  return changes;
}
