// The group coordinator's storage (src/groups GroupStorage) over this broker's replicas of
// __consumer_offsets, and its leaderships followed: node.ts and the whole-cluster simulation
// (chaos/cluster) wire the coordinator with these, so both run the same adapter.
import { KafkaError } from '../common/kafka-errors.ts';
import type { GroupCoordinator, GroupStorage } from '../groups/coordinator.ts';
import { type BrokerId, partitionId, type TopicId } from '../metadata/ids.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { topicByName } from '../metadata/queries.ts';
import type { ReplicaManager } from '../replication/replica-manager.ts';
import { OFFSETS_TOPIC } from './group-service.ts';

/**
 * The leader epoch of __consumer_offsets `partition` in `image` when `self` leads it there, else null
 * (the coordinator's offsetsLeaderEpochOf).
 */
export function offsetsLeaderEpoch(
  image: MetadataImage | null,
  self: BrokerId,
  partition: number,
): number | null {
  const registration =
    image === null ? undefined : topicByName(image, OFFSETS_TOPIC)?.partitions.get(partitionId(partition));
  return registration?.leader === self ? registration.leaderEpoch : null;
}

/**
 * `image`: the image published to this broker's components (null before it caught up with the quorum);
 * `timeoutMs`: how long an append (acks=all) or a wait for the high watermark may take.
 */
export function offsetsTopicStorage(options: {
  readonly replicas: ReplicaManager;
  readonly image: () => MetadataImage | null;
  readonly timeoutMs: number;
}): GroupStorage {
  const { replicas, timeoutMs } = options;
  const offsetsTopicId = (): TopicId => {
    const image = options.image();
    const topic = image === null ? undefined : topicByName(image, OFFSETS_TOPIC);
    if (topic === undefined) throw new KafkaError('NOT_COORDINATOR', `${OFFSETS_TOPIC} does not exist.`);
    return topic.id;
  };
  return {
    append: async (partition, batch) => {
      await replicas.appendRecords(offsetsTopicId(), partitionId(partition), batch, {
        acks: -1,
        timeoutMs,
      });
    },
    read: async (partition, fromOffset) => {
      const read = await replicas.readToLogEnd(offsetsTopicId(), partitionId(partition), {
        startOffset: fromOffset,
        maxBytes: 1 << 20,
      });
      return { records: read.bytes, nextOffset: read.nextOffset, logEndOffset: read.logEndOffset };
    },
    waitForHighWatermark: async (partition, offset) => {
      const hosted = replicas.hosted(offsetsTopicId(), partitionId(partition));
      if (hosted === undefined) {
        throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `${OFFSETS_TOPIC}-${partition} is not hosted here.`);
      }
      // HostedPartition waits for the high watermark to pass the record at an offset.
      if (offset > 0) await hosted.waitForHighWatermark(offset - 1, timeoutMs);
      else if (hosted.leader() === null) {
        throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `This broker no longer leads ${hosted.name}.`);
      }
    },
  };
}

/** The coordinator loads the __consumer_offsets partitions this broker comes to lead, and drops the others. */
export function followOffsetsLeadership(replicas: ReplicaManager, coordinator: GroupCoordinator): void {
  replicas.onLeadershipChange((change) => {
    if (change.topicName !== OFFSETS_TOPIC) return;
    if (change.leading) void coordinator.becomeCoordinator(change.partitionId);
    else coordinator.resignCoordinator(change.partitionId);
  });
}
