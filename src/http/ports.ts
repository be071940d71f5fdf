// What the HTTP layer needs from the node it runs in. src/node implements these over the real metadata
// image, Raft and controller; tests may implement them in memory.
import type { KafkaError } from '../common/kafka-errors.ts';
import type { AclBinding, AclEntry } from '../common/security.ts';
import type { GroupApi } from '../groups/api.ts';
import type { AclBindingFilter } from '../metadata/acl-filter.ts';
import type {
  QuotaAlteration,
  ScramDeletion,
  ScramUpsertion,
  UserResult,
} from '../metadata/controller/security-decisions.ts';
import type { ClientQuotaEntry, UserScramCredentialsDescription } from '../metadata/security-queries.ts';
import type { BrokerId } from '../metadata/ids.ts';
import type { MetadataImage } from '../metadata/image.ts';

/** One replica of the metadata log, as Kafka's DescribeQuorum reports it. */
export interface QuorumReplicaState {
  readonly replicaId: number;
  /** null: unknown (the leader has heard nothing from it in its term: dead, or not yet fetched). */
  readonly logEndOffset: number | null;
  /** Wall-clock ms of the last fetch/append acknowledgement seen by the leader; null if unknown. */
  readonly lastFetchTimestamp: number | null;
  readonly lastCaughtUpTimestamp: number | null;
}

export interface QuorumDescription {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly voters: readonly QuorumReplicaState[];
  readonly observers: readonly QuorumReplicaState[];
}

export interface CreateTopicRequest {
  readonly name: string;
  /** Absent: the cluster's num.partitions. */
  readonly partitionsCount?: number;
  /** Absent: the cluster's default.replication.factor. */
  readonly replicationFactor?: number;
  readonly configs: ReadonlyMap<string, string>;
  readonly validateOnly: boolean;
  /**
   * A manual replica assignment: partition i's replicas, in order (then neither partitionsCount nor
   * replicationFactor is given). Absent: the controller places them.
   */
  readonly assignments?: readonly (readonly number[])[];
}

export interface ConfigAlteration {
  readonly name: string;
  /** null deletes the dynamic value (back to the default). */
  readonly value: string | null;
}

/**
 * Cluster administration. Every write is decided by the active controller, and resolves only once it
 * is committed AND applied to this node's image (read-your-writes through the same node). Failures
 * are KafkaErrors (src/common/kafka-errors.ts).
 */
export interface AdminApi {
  createTopic(request: CreateTopicRequest): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /**
   * Increases a topic's partition count to `partitionsCount` (never decreases); `assignments`: the new
   * partitions' replicas, in order (absent: the controller places them).
   */
  createPartitions(
    name: string,
    partitionsCount: number,
    validateOnly: boolean,
    assignments?: readonly (readonly number[])[],
  ): Promise<void>;
  alterTopicConfigs(
    name: string,
    alterations: readonly ConfigAlteration[],
    validateOnly: boolean,
  ): Promise<void>;
  /**
   * A read barrier: resolves once this node's image holds everything committed at the active controller
   * when it was asked (Raft's ReadIndex). Rejects with REQUEST_TIMED_OUT when no controller answers or
   * this node does not catch up within `timeoutMs`.
   */
  catchUp(timeoutMs: number): Promise<void>;
  /** Described by the current quorum leader (forwarded to it). */
  describeQuorum(): Promise<QuorumDescription>;
  // --- Security (ACLs, SCRAM credentials, client quotas): writes by the controller, reads from the image
  /** CreateAcls: per binding, null or why it was refused (INVALID_REQUEST); an identical ACL is not added twice. */
  createAcls(bindings: readonly AclBinding[]): Promise<(KafkaError | null)[]>;
  /** DeleteAcls: per filter, the ACLs it matched (and that are now gone). */
  deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclEntry[][]>;
  /** DescribeAcls, from this node's image. */
  describeAcls(filter: AclBindingFilter): Promise<AclEntry[]>;
  /** AlterUserScramCredentials (salted passwords, never passwords): one result per user. */
  alterUserScramCredentials(
    upsertions: readonly ScramUpsertion[],
    deletions: readonly ScramDeletion[],
  ): Promise<UserResult[]>;
  /** DescribeUserScramCredentials, from this node's image: users null = every user with a credential. */
  describeUserScramCredentials(users: readonly string[] | null): Promise<UserScramCredentialsDescription[]>;
  /** AlterClientQuotas of user entities: per entity, null or why it was refused. */
  alterClientQuotas(
    alterations: readonly QuotaAlteration[],
    validateOnly: boolean,
  ): Promise<(KafkaError | null)[]>;
  /** Every user entity's quotas, from this node's image. */
  describeClientQuotas(): Promise<ClientQuotaEntry[]>;
}

/** acks of a produce: 0 (none), 1 (the leader wrote it), -1 (all: every ISR member has it). */
export type Acks = -1 | 0 | 1;

export interface ProduceRequest {
  readonly topicName: string;
  readonly partitionId: number;
  /** One or more record batches in Kafka's v2 format (src/storage/record-batch/builder.ts). */
  readonly records: Buffer;
  readonly acks: Acks;
  readonly timeoutMs: number;
}

export interface ProduceResult {
  /** The offset the leader gave the first record. */
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export interface ReadRequest {
  readonly topicName: string;
  readonly partitionId: number;
  readonly offset: number;
  readonly maxBytes: number;
  /** Long poll: with nothing committed at `offset` yet, wait up to this long for it. */
  readonly maxWaitMs: number;
}

export interface ReadResult {
  /** Whole committed record batches, the first holding `offset` (it may start before it). */
  readonly records: Buffer;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/**
 * Records in and out of partitions. Any node serves any partition: it forwards to the partition's
 * leader. Failures are KafkaErrors: UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS[_AFTER_APPEND],
 * REQUEST_TIMED_OUT, OFFSET_OUT_OF_RANGE, LEADER_NOT_AVAILABLE, CORRUPT_MESSAGE, INVALID_RECORD,
 * MESSAGE_TOO_LARGE / RECORD_LIST_TOO_LARGE ...
 */
export interface PartitionOffsets {
  /** The first offset still in the log (retention moves it). */
  readonly logStartOffset: number;
  /** The offset after the last committed record. */
  readonly highWatermark: number;
}

/** An idempotent producer's identity (Kafka's InitProducerId answer). */
export interface ProducerIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface DataApi {
  produce(request: ProduceRequest): Promise<ProduceResult>;
  /**
   * InitProducerId for an idempotent, non-transactional producer: an id no other producer of the
   * cluster gets, epoch 0. COORDINATOR_LOAD_IN_PROGRESS (retriable) while no id can be had.
   */
  initProducerId(): Promise<ProducerIdentity>;
  read(request: ReadRequest): Promise<ReadResult>;
  /** Kafka's ListOffsets for the earliest and latest offsets, from the partition's leader. */
  offsets(request: { readonly topicName: string; readonly partitionId: number }): Promise<PartitionOffsets>;
  /**
   * Kafka's ListOffsets by timestamp, from the partition's leader: the first committed offset whose
   * record timestamp (epoch ms) is at or after `timestamp`, or null when no committed record is.
   */
  offsetForTimestamp(request: {
    readonly topicName: string;
    readonly partitionId: number;
    readonly timestamp: number;
  }): Promise<number | null>;
}

export type {
  CommittedOffset,
  GroupApi,
  GroupDescription,
  GroupMemberDescription,
  GroupMembership,
  TopicPartition,
} from '../groups/api.ts';

/** The node serving a request: its identity, its committed metadata image and the admin API. */
export interface ClusterNode {
  readonly clusterId: string;
  readonly nodeId: BrokerId;
  /** The committed metadata image as applied on this node (never uncommitted state). */
  image(): MetadataImage;
  readonly admin: AdminApi;
  readonly data: DataApi;
  readonly groups: GroupApi;
  /** Prometheus exposition of the node's metrics (GET /metrics). */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
  /** The Prometheus text of a broker's metrics: this node's own, or another's asked over the network. */
  brokerMetrics(broker: BrokerId): Promise<string>;
  /** True once this node has caught up with the metadata log and is unfenced (for /ready). */
  isReady(): boolean;
}
