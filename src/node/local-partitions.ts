// LocalPartitions (src/kafka/handlers/broker-ports.ts) over this broker's ReplicaManager: what the
// Kafka protocol's Produce, Fetch and ListOffsets do on the partitions this broker leads. Unlike
// DataService (REST), nothing is forwarded: Kafka's clients find the leader through Metadata and are
// told NOT_LEADER_OR_FOLLOWER when they ask another broker.
import { KafkaError } from '../common/kafka-errors.ts';
import {
  type Acks,
  type LocalPartitions,
  NO_LEADER_EPOCH,
  type PartitionRead,
} from '../kafka/handlers/broker-ports.ts';
import type { BrokerId, PartitionId, TopicId } from '../metadata/ids.ts';
import type { MetadataImage, PartitionRegistration } from '../metadata/image.ts';
import { topicByName } from '../metadata/queries.ts';
import { isInternalTopic } from '../metadata/topic-rules.ts';
import type { HostedPartition } from '../replication/hosted-partition.ts';
import type { ReplicaManager } from '../replication/replica-manager.ts';

/** How long a produce or read waits for this node to catch up with, or take on, a partition it is told of. */
const CATCH_UP_WAIT_MS = 1_000;

export class ReplicaManagerPartitions implements LocalPartitions {
  private readonly self: BrokerId;
  private readonly image: () => MetadataImage;
  private readonly replicas: () => ReplicaManager | null;
  private readonly catchUp: (timeoutMs: number) => Promise<void>;

  constructor(options: {
    self: BrokerId;
    image: () => MetadataImage;
    replicas: () => ReplicaManager | null;
    /** The read barrier: catch up with the metadata committed at the controller. */
    catchUp: (timeoutMs: number) => Promise<void>;
  }) {
    this.self = options.self;
    this.image = options.image;
    this.replicas = options.replicas;
    this.catchUp = options.catchUp;
  }

  async append(
    topicName: string,
    partitionId: number,
    records: Buffer,
    options: { acks: Acks; timeoutMs: number },
  ): Promise<{ baseOffset: number; logStartOffset: number }> {
    if (isInternalTopic(topicName)) {
      // Kafka's ReplicaManager: only the group coordinator writes __consumer_offsets.
      throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Cannot append to internal topic ${topicName}`);
    }
    const { topicId, replicas } = await this.locateLeading(topicName, partitionId);
    const result = await replicas.appendRecords(topicId, partitionId as PartitionId, records, options);
    const hosted = replicas.hosted(topicId, partitionId as PartitionId);
    return { baseOffset: result.firstOffset, logStartOffset: hosted?.log.logStartOffset ?? -1 };
  }

  async read(
    topicName: string,
    partitionId: number,
    options: { offset: number; maxBytes: number; currentLeaderEpoch: number },
  ): Promise<PartitionRead> {
    const { topicId, replicas } = await this.locateLeading(topicName, partitionId);
    this.checkLeaderEpoch(replicas, topicId, partitionId, options.currentLeaderEpoch);
    const read = await replicas.readRecords(topicId, partitionId as PartitionId, {
      startOffset: options.offset,
      maxBytes: options.maxBytes,
      maxWaitMs: 0,
    });
    return { records: read.bytes, highWatermark: read.highWatermark, logStartOffset: read.logStartOffset };
  }

  async waitForRecords(
    topicName: string,
    partitionId: number,
    offset: number,
    timeoutMs: number,
  ): Promise<void> {
    try {
      const { topicId, replicas } = this.locate(topicName, partitionId);
      const hosted = replicas.hosted(topicId, partitionId as PartitionId);
      if (hosted === undefined) return;
      await hosted.waitForHighWatermark(offset, timeoutMs);
    } catch {
      // Timed out, or leadership moved: either way the fetch answers what it has now.
    }
  }

  offsets(
    topicName: string,
    partitionId: number,
    currentLeaderEpoch: number,
  ): { logStartOffset: number; highWatermark: number; leaderEpoch: number } {
    const { topicId, replicas } = this.locate(topicName, partitionId);
    const leaderEpoch = this.checkLeaderEpoch(replicas, topicId, partitionId, currentLeaderEpoch);
    return { ...replicas.partitionOffsets(topicId, partitionId as PartitionId), leaderEpoch };
  }

  epochEnd(
    topicName: string,
    partitionId: number,
    currentLeaderEpoch: number,
    leaderEpoch: number,
  ): { leaderEpoch: number; endOffset: number } {
    const { topicId, replicas } = this.locate(topicName, partitionId);
    this.checkLeaderEpoch(replicas, topicId, partitionId, currentLeaderEpoch);
    const end = this.leaderOf(replicas, topicId, partitionId).core.clientEpochEnd(leaderEpoch);
    return { leaderEpoch: end.epoch, endOffset: end.endOffset };
  }

  async deleteRecords(
    topicName: string,
    partitionId: number,
    offset: number,
  ): Promise<{ lowWatermark: number }> {
    const { topicId, replicas } = await this.locateLeading(topicName, partitionId);
    return replicas.deleteRecords(topicId, partitionId as PartitionId, offset);
  }

  async offsetForTimestamp(
    topicName: string,
    partitionId: number,
    timestamp: number,
    currentLeaderEpoch: number,
  ): Promise<{ offset: number; timestamp: number } | null> {
    const { topicId, replicas } = this.locate(topicName, partitionId);
    this.checkLeaderEpoch(replicas, topicId, partitionId, currentLeaderEpoch);
    const { highWatermark } = replicas.partitionOffsets(topicId, partitionId as PartitionId);
    const hosted = this.leaderOf(replicas, topicId, partitionId);
    const found = await hosted.log.offsetForTimestamp(timestamp);
    // As Kafka for a consumer: only committed records count.
    if (found === null || found.offset >= highWatermark) return null;
    return { offset: found.offset, timestamp: found.timestamp };
  }

  async maxTimestamp(
    topicName: string,
    partitionId: number,
    currentLeaderEpoch: number,
  ): Promise<{ offset: number; timestamp: number; leaderEpoch: number } | null> {
    const { topicId, replicas } = this.locate(topicName, partitionId);
    this.checkLeaderEpoch(replicas, topicId, partitionId, currentLeaderEpoch);
    const { highWatermark } = replicas.partitionOffsets(topicId, partitionId as PartitionId);
    const found = await this.leaderOf(replicas, topicId, partitionId).log.maxTimestampRecord();
    // As Kafka for a consumer: a record not committed yet is not answered.
    return found === null || found.offset >= highWatermark ? null : found;
  }

  /**
   * As locate, but first catches up with what a client may already have seen elsewhere: a topic just
   * created (or a leadership just moved) is in another node's Metadata answer before this node's image
   * has it, or before this broker's replica manager has taken the leadership its image gives it. An
   * error then makes kafkajs send its whole batch again, duplicating what other brokers appended; so,
   * as DataService does for REST, wait (briefly) for the read barrier and the replica manager instead.
   */
  private async locateLeading(
    topicName: string,
    partitionId: number,
  ): Promise<{ topicId: TopicId; replicas: ReplicaManager }> {
    const deadline = Date.now() + CATCH_UP_WAIT_MS;
    if (this.registration(topicName, partitionId) === undefined)
      await this.catchUp(CATCH_UP_WAIT_MS).catch(() => undefined);
    const registration = this.registration(topicName, partitionId);
    const replicas = this.replicas();
    if (registration?.partition.leader === this.self && replicas !== null) {
      const hosted = replicas.hosted(registration.topicId, partitionId as PartitionId);
      if (hosted?.leader() == null) await withTimeout(replicas.settled(), Math.max(0, deadline - Date.now()));
    }
    return this.locate(topicName, partitionId);
  }

  private registration(
    topicName: string,
    partitionId: number,
  ): { topicId: TopicId; partition: PartitionRegistration } | undefined {
    const topic = topicByName(this.image(), topicName);
    const partition = topic?.partitions.get(partitionId as PartitionId);
    return topic === undefined || partition === undefined ? undefined : { topicId: topic.id, partition };
  }

  private locate(topicName: string, partitionId: number): { topicId: TopicId; replicas: ReplicaManager } {
    const topic = topicByName(this.image(), topicName);
    if (topic === undefined || !topic.partitions.has(partitionId as PartitionId)) {
      throw new KafkaError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `This server does not host this topic-partition: ${topicName}-${partitionId}.`,
      );
    }
    const replicas = this.replicas();
    if (replicas === null) throw new KafkaError('NOT_LEADER_OR_FOLLOWER', 'This node is not a broker.');
    return { topicId: topic.id, replicas };
  }

  private leaderOf(replicas: ReplicaManager, topicId: TopicId, partitionId: number): HostedPartition {
    const hosted = replicas.hosted(topicId, partitionId as PartitionId);
    if (hosted === undefined || hosted.leader() === null) {
      throw new KafkaError(
        'NOT_LEADER_OR_FOLLOWER',
        `This server is not the leader of partition ${partitionId} of topic ${topicId}.`,
      );
    }
    return hosted;
  }

  /**
   * KIP-320: a client that names the leader epoch it knows is told when it is behind
   * (FENCED_LEADER_EPOCH: refresh metadata) or ahead of this leader (UNKNOWN_LEADER_EPOCH: retry).
   * Returns this leader's epoch.
   */
  private checkLeaderEpoch(
    replicas: ReplicaManager,
    topicId: TopicId,
    partitionId: number,
    currentLeaderEpoch: number,
  ): number {
    const leaderEpoch = this.leaderOf(replicas, topicId, partitionId).leader()!.leaderEpoch;
    if (currentLeaderEpoch === NO_LEADER_EPOCH) return leaderEpoch;
    if (currentLeaderEpoch < leaderEpoch)
      throw new KafkaError(
        'FENCED_LEADER_EPOCH',
        `Leader epoch ${currentLeaderEpoch} is older than ${leaderEpoch} for partition ${partitionId}.`,
      );
    if (currentLeaderEpoch > leaderEpoch)
      throw new KafkaError(
        'UNKNOWN_LEADER_EPOCH',
        `Leader epoch ${currentLeaderEpoch} is newer than ${leaderEpoch} for partition ${partitionId}.`,
      );
    return leaderEpoch;
  }
}

/** Resolves when `promise` settles or `timeoutMs` passes, whichever is first; never rejects. */
async function withTimeout(promise: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
