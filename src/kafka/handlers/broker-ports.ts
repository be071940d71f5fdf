// What the Kafka API handlers need from the node they run in. src/node implements these over the
// replica manager, the published metadata image and the admin service (the same services the REST
// layer uses); tests may implement them in memory.
import type { Authorizer } from '../../common/security.ts';
import type { ClientQuotaMeter } from '../../common/client-quotas.ts';
import type { GroupCoordinator } from '../../groups/coordinator.ts';
import type { AdminApi } from '../../http/ports.ts';
import type { NodeSetting } from '../../metadata/broker-config-describe.ts';
import type { BrokerId } from '../../metadata/ids.ts';
import type { MetadataImage } from '../../metadata/image.ts';

/** acks of a produce: 0 (none), 1 (the leader wrote it), -1 (all: every ISR member has it). */
export type Acks = -1 | 0 | 1;

/** The epoch a client believes the leader has (KIP-320), or -1 when it sends none. */
export const NO_LEADER_EPOCH = -1;

export interface PartitionRead {
  /** Whole committed record batches as stored, the first holding the offset asked (it may start before it). */
  readonly records: Buffer;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/**
 * The partitions this broker leads, as Kafka's own clients see them: they route by Metadata, so a
 * request for a partition led elsewhere is answered NOT_LEADER_OR_FOLLOWER, never forwarded. Failures
 * are KafkaErrors (UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH,
 * UNKNOWN_LEADER_EPOCH, OFFSET_OUT_OF_RANGE, OFFSET_NOT_AVAILABLE, NOT_ENOUGH_REPLICAS, CORRUPT_MESSAGE...).
 */
export interface LocalPartitions {
  /** Appends `records` (v2 record batches as the client sent them) as the leader; answers by `acks`. */
  append(
    topicName: string,
    partitionId: number,
    records: Buffer,
    options: { readonly acks: Acks; readonly timeoutMs: number },
  ): Promise<{ readonly baseOffset: number; readonly logStartOffset: number }>;
  /** Committed batches from `offset`, at most about `maxBytes` (at least one whole batch), without waiting. */
  read(
    topicName: string,
    partitionId: number,
    options: { readonly offset: number; readonly maxBytes: number; readonly currentLeaderEpoch: number },
  ): Promise<PartitionRead>;
  /** Resolves once a record at `offset` is committed, or after `timeoutMs`, or when leadership moves: never rejects. */
  waitForRecords(topicName: string, partitionId: number, offset: number, timeoutMs: number): Promise<void>;
  /** Where the log starts and the high watermark; the leader epoch the answer comes from. */
  offsets(
    topicName: string,
    partitionId: number,
    currentLeaderEpoch: number,
  ): { readonly logStartOffset: number; readonly highWatermark: number; readonly leaderEpoch: number };
  /**
   * OffsetsForLeaderEpoch on the leader: the largest epoch <= `leaderEpoch` in its history and the offset
   * where it ends (-1 and -1 for an epoch it never had).
   */
  epochEnd(
    topicName: string,
    partitionId: number,
    currentLeaderEpoch: number,
    leaderEpoch: number,
  ): { readonly leaderEpoch: number; readonly endOffset: number };
  /**
   * DeleteRecords on the leader: the log starts at `offset` (-1: the high watermark) from now on.
   * Answers the new log start (the low watermark); OFFSET_OUT_OF_RANGE above the high watermark,
   * POLICY_VIOLATION for a topic whose cleanup.policy does not include delete.
   */
  deleteRecords(
    topicName: string,
    partitionId: number,
    offset: number,
  ): Promise<{ readonly lowWatermark: number }>;
  /** The first committed record with a timestamp >= `timestamp`, or null when there is none. */
  offsetForTimestamp(
    topicName: string,
    partitionId: number,
    timestamp: number,
    currentLeaderEpoch: number,
  ): Promise<{ readonly offset: number; readonly timestamp: number } | null>;
  /**
   * The first record with the largest timestamp (ListOffsets MAX_TIMESTAMP, KIP-734) and its batch's
   * leader epoch; null for an empty log, or when that record is not committed yet (as Kafka).
   */
  maxTimestamp(
    topicName: string,
    partitionId: number,
    currentLeaderEpoch: number,
  ): Promise<{ readonly offset: number; readonly timestamp: number; readonly leaderEpoch: number } | null>;
}

/** What the group APIs use of this node's group coordinator (src/groups/coordinator.ts). */
export type LocalGroupCoordinator = Pick<
  GroupCoordinator,
  | 'joinClassic'
  | 'sync'
  | 'heartbeatClassic'
  | 'leave'
  | 'commit'
  | 'fetchOffsets'
  | 'describeProtocol'
  | 'listProtocol'
  | 'deleteGroup'
  | 'memberOfInstance'
>;

/**
 * Consumer groups as Kafka's clients reach them: FindCoordinator names the broker leading the group's
 * __consumer_offsets partition, and the client sends every other group request there; a node that
 * does not coordinate the group answers NOT_COORDINATOR (never forwards), and the client looks again.
 */
export interface KafkaGroups {
  /** The coordinator of `groupId` (creates __consumer_offsets on first use); a KafkaError if none yet. */
  coordinatorOf(groupId: string, timeoutMs: number): Promise<BrokerId>;
  /** This node's coordinator; null on a node that is not a broker. */
  local(): LocalGroupCoordinator | null;
  /**
   * Whether this node's image names it the leader of the group's __consumer_offsets partition. The
   * coordinator gives a partition up only once the replication layer has (after the image), so a
   * read answered from its cache must check this too.
   */
  leadsGroup(groupId: string): boolean;
}

/** The node a Kafka request reaches. */
export interface KafkaBroker {
  readonly clusterId: string;
  readonly nodeId: BrokerId;
  /** The listener name clients reach brokers by (PLAINTEXT): the endpoints Metadata answers. */
  readonly listenerName: string;
  /** The image the data plane acts on; throws a KafkaError until this node has caught up with the quorum. */
  image(): MetadataImage;
  readonly admin: AdminApi;
  readonly partitions: LocalPartitions;
  readonly groups: KafkaGroups;
  /** auto.create.topics.enable: Metadata creates a topic a client asks for and may create. */
  readonly autoCreateTopics: boolean;
  /** A new idempotent producer's id and epoch (0); NOT_COORDINATOR on a node that is not a broker. */
  initProducerId(): Promise<{ readonly producerId: number; readonly producerEpoch: number }>;
  /** This node's settings: what DescribeConfigs shows of its BROKER resource, and what topics inherit. */
  readonly settings: readonly NodeSetting[];
  /** Who may do what (ALLOW_ALL without authorizer.class.name); handlers ask through authorization.ts. */
  readonly authorizer: Authorizer;
  /** producer_byte_rate / consumer_byte_rate of Produce and Fetch; absent: nobody is throttled. */
  readonly quotas?: ClientQuotaMeter;
}
