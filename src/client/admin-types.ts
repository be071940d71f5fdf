// What the Admin takes and answers: Kafka's admin types (NewTopic, TopicDescription, ConfigEntry,
// ConsumerGroupDescription, ...) as plain objects with Kafka's field names in camelCase.

import type {
  AclBinding,
  AclOperation,
  AclPatternType,
  AclPermissionType,
  AclResourceType,
  QuotaKey,
  QuotaUser,
  ScramMechanism,
} from '../common/security.ts';
import type { ConfigSource, ConfigSynonym } from '../metadata/topic-config-describe.ts';

import type { ClientSecurity } from './security.ts';

export type { ConfigSource, ConfigSynonym };

export interface AdminOptions {
  /** Brokers' client API origins, e.g. 'http://127.0.0.1:8081' (one is enough: the others are learned). */
  readonly bootstrap: string | readonly string[];
  /** TLS options for `https://` brokers (the CA, a client certificate). */
  readonly security?: ClientSecurity;
  /**
   * How long one admin call may take, retries and failover included (default 30000), as Kafka's
   * default.api.timeout.ms; then it rejects with REQUEST_TIMED_OUT.
   */
  readonly requestTimeoutMs?: number;
  /** retry.backoff.ms: the wait before a retriable error is asked again (default 100). */
  readonly retryBackoffMs?: number;
}

export interface BrokerNode {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /**
   * Kafka's Node.isFenced (KIP-1073), given with includeFencedBrokers (without, every broker listed is
   * unfenced); null when the server does not say (Confluent's REST Proxy).
   */
  readonly fenced?: boolean | null;
}

export interface DescribeClusterOptions {
  /** Fenced brokers too (KIP-1073's includeFencedBrokers); by default only the unfenced ones. */
  readonly includeFencedBrokers?: boolean;
}

export interface ClusterDescription {
  readonly clusterId: string;
  /** The active controller's node id; null while the quorum has no leader. */
  readonly controller: number | null;
  /** The unfenced brokers (every broker with includeFencedBrokers), by id. */
  readonly brokers: readonly BrokerNode[];
}

export interface NewTopic {
  readonly topic: string;
  /** Default (omitted or -1): the cluster's num.partitions. */
  readonly numPartitions?: number;
  /** Default (omitted or -1): the cluster's default.replication.factor. */
  readonly replicationFactor?: number;
  /** Instead of numPartitions and replicationFactor: partition -> its brokers, the first the preferred leader. */
  readonly replicaAssignment?: Readonly<Record<number, readonly number[]>>;
  readonly configs?: Readonly<Record<string, string>>;
}

export interface CreateTopicsOptions {
  /** Check the request and answer what would be created, creating nothing. */
  readonly validateOnly?: boolean;
}

export interface CreatedTopic {
  readonly topic: string;
  /** null for validateOnly. */
  readonly topicId: string | null;
  readonly numPartitions: number;
  readonly replicationFactor: number;
}

export interface TopicPartitionInfo {
  readonly partition: number;
  /** null without a leader. */
  readonly leader: number | null;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicDescription {
  readonly name: string;
  readonly topicId: string | null;
  readonly internal: boolean;
  readonly partitions: readonly TopicPartitionInfo[];
}

export interface ConfigEntry {
  readonly value: string;
  readonly source: ConfigSource;
  readonly isDefault: boolean;
  readonly isSensitive: boolean;
  readonly isReadOnly: boolean;
  /** Every source that sets the config, the one in effect first. */
  readonly synonyms: readonly ConfigSynonym[];
}

export interface ConfigResource {
  readonly topic: string;
}

export interface AlterConfigsRequest extends ConfigResource {
  readonly set?: Readonly<Record<string, string>>;
  /** Back to the default. */
  readonly delete?: readonly string[];
}

export interface AlterConfigsOptions {
  readonly validateOnly?: boolean;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Kafka's GroupState names. */
export type GroupState = 'STABLE' | 'PREPARING_REBALANCE' | 'COMPLETING_REBALANCE' | 'EMPTY' | 'DEAD';

export interface GroupListing {
  readonly groupId: string;
  readonly state: GroupState;
}

export interface MemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly host: string;
  readonly assignment: readonly TopicPartition[];
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupState;
  readonly partitionAssignor: string;
  /** The coordinator's node id. */
  readonly coordinator: number | null;
  readonly members: readonly MemberDescription[];
}

export interface GroupOffset extends TopicPartition {
  /** The committed offset: the next one the group reads. */
  readonly offset: number;
  /** The partition's high watermark when asked. */
  readonly logEndOffset: number;
  readonly lag: number;
}

export interface OffsetToCommit extends TopicPartition {
  readonly offset: number;
}

export type OffsetSpec = 'earliest' | 'latest';

export interface ListOffsetsRequest extends TopicPartition {
  readonly spec: OffsetSpec;
}

export interface ListedOffset extends TopicPartition {
  readonly offset: number;
}

export interface QuorumReplica {
  readonly replicaId: number;
  readonly logEndOffset: number;
  /** Behind the leader's log end offset. */
  readonly lag: number;
  readonly lastFetchTimestamp: number | null;
  readonly lastCaughtUpTimestamp: number | null;
}

/** Kafka's QuorumInfo: the metadata quorum's leader and how far each replica is behind it. */
export interface QuorumInfo {
  /** -1 while there is no leader (an election). */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  /** The server's own figure of the largest follower lag (null when it does not say): all there is without a leader. */
  readonly maxFollowerLag: number | null;
  readonly voters: readonly QuorumReplica[];
  readonly observers: readonly QuorumReplica[];
}

/** Kafka's AclBinding, flat: a resource pattern and an access control entry, with Kafka's names. */
export type AclDescription = AclBinding;

/**
 * Kafka's AclBindingFilter: an absent field (or ANY) matches every value; patternType MATCH matches the
 * LITERAL and PREFIXED patterns (and wildcards) that apply to `resourceName`.
 */
export interface AclBindingFilter {
  readonly resourceType?: AclResourceType | 'ANY';
  readonly resourceName?: string;
  readonly patternType?: AclPatternType | 'ANY' | 'MATCH';
  readonly principal?: string;
  readonly host?: string;
  readonly operation?: AclOperation | 'ANY';
  readonly permissionType?: AclPermissionType | 'ANY';
}

/** Kafka's ScramCredentialInfo: what is known of one of a user's credentials (never a salt or key). */
export interface ScramCredentialInfo {
  readonly mechanism: ScramMechanism;
  readonly iterations: number;
}

/** Kafka's UserScramCredentialsDescription. */
export interface UserScramCredentials {
  readonly user: string;
  readonly credentials: readonly ScramCredentialInfo[];
}

/** Kafka's UserScramCredentialUpsertion (the password is salted by the node). */
export interface ScramUpsertion {
  readonly user: string;
  /** SCRAM-SHA-256 or SCRAM-SHA-512; another name is refused by the cluster (UNSUPPORTED_SASL_MECHANISM). */
  readonly mechanism: string;
  readonly password: string;
  /** Default: the cluster's (4096). */
  readonly iterations?: number;
}

/** Kafka's UserScramCredentialDeletion. */
export interface ScramDeletion {
  readonly user: string;
  readonly mechanism: string;
}

/** A user's client quotas (Kafka's ClientQuotaEntity of `user`; null: the default of every user). */
export interface ClientQuotaEntry {
  readonly user: QuotaUser;
  /** producer_byte_rate, consumer_byte_rate: bytes per second per broker. */
  readonly quotas: Readonly<Partial<Record<QuotaKey, number>>>;
}

/** Kafka's ClientQuotaAlteration: a value sets a quota, null removes it. */
export interface ClientQuotaAlteration {
  readonly user: QuotaUser;
  readonly quotas: Readonly<Record<string, number | null>>;
}
