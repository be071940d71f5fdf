// The MetadataImage: the state every node derives from the committed metadata log. Immutable: the
// reducer (reducer.ts) returns a new image that shares every part it did not change, so a reader may
// keep an image as long as it likes while newer ones are built. The reducer is in reducer.ts, the
// queries in queries.ts.

import type { NodeId, Term } from '../../raft/types.ts';
import type {
  BrokerEpoch,
  BrokerId,
  LeaderEpoch,
  MetadataOffset,
  PartitionEpoch,
  PartitionId,
  TopicId,
} from './ids.ts';
import { NO_LEADER, metadataOffset } from './ids.ts';
import type { SecurityImage } from '../common/security.ts';
import { EMPTY_SECURITY_IMAGE } from '../common/security.ts';
import type { ConfigResourceType, Endpoint } from './records.ts';

export interface BrokerRegistration {
  readonly id: BrokerId;
  readonly incarnationId: string;
  /** The metadata offset of the RegisterBroker record of this registration. */
  readonly epoch: BrokerEpoch;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly processRoles: readonly string[];
}

export interface PartitionRegistration {
  /** Distinct, non-empty; the first is the preferred leader. */
  readonly replicas: readonly BrokerId[];
  /** Distinct, a subset of replicas; may be empty only when there is no leader. */
  readonly isr: readonly BrokerId[];
  /** A member of isr, or NO_LEADER. */
  readonly leader: BrokerId;
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
}

export interface TopicImage {
  readonly id: TopicId;
  readonly name: string;
  /** Keys are 0..n-1: partitions are only ever added, in order. */
  readonly partitions: ReadonlyMap<PartitionId, PartitionRegistration>;
}

export interface ControllerLeader {
  readonly id: NodeId;
  readonly epoch: Term;
}

/** Key of `MetadataImage.configs`: 'topic:<name>' or 'broker:<id>' ('broker:' = cluster default). */
export type ConfigResourceKey = `${ConfigResourceType}:${string}`;

export interface MetadataImage {
  /** The offset of the last applied batch; 0 before any. */
  readonly offset: MetadataOffset;
  readonly brokers: ReadonlyMap<BrokerId, BrokerRegistration>;
  readonly topics: ReadonlyMap<TopicId, TopicImage>;
  /** Derived from `topics`; kept so that lookups by name are O(1). */
  readonly topicIdsByName: ReadonlyMap<string, TopicId>;
  /** Dynamic configs; a resource with no key left is absent. */
  readonly configs: ReadonlyMap<ConfigResourceKey, ReadonlyMap<string, string>>;
  /** Producer ids below this one have been handed out. */
  readonly nextProducerId: number;
  /** From the last LeaderChange record; null before the first. */
  readonly controllerLeader: ControllerLeader | null;
  /** ACLs, SCRAM credentials and client quotas (src/common/security.ts). */
  readonly security: SecurityImage;
}

const EMPTY_IMAGE: MetadataImage = {
  offset: metadataOffset(0),
  brokers: new Map(),
  topics: new Map(),
  topicIdsByName: new Map(),
  configs: new Map(),
  nextProducerId: 0,
  controllerLeader: null,
  security: EMPTY_SECURITY_IMAGE,
};

export function emptyImage(): MetadataImage {
  return EMPTY_IMAGE;
}

export function configResourceKey(resourceType: ConfigResourceType, resourceName: string): ConfigResourceKey {
  return `${resourceType}:${resourceName}`;
}

/** Splits a key of `MetadataImage.configs` back into its resource type and name. */
export function parseConfigResourceKey(key: ConfigResourceKey): {
  resourceType: ConfigResourceType;
  resourceName: string;
} {
  const colon = key.indexOf(':');
  return { resourceType: key.slice(0, colon) as ConfigResourceType, resourceName: key.slice(colon + 1) };
}

/**
 * What is wrong with a partition registration, or null. Used by the reducer (as an assertion) and by
 * the snapshot decoder (as a codec error).
 */
export function partitionProblem(partition: PartitionRegistration): string | null {
  const { replicas, isr, leader } = partition;
  if (replicas.length === 0) return 'replicas are empty';
  if (new Set(replicas).size !== replicas.length) return 'replicas are not distinct';
  if (new Set(isr).size !== isr.length) return 'isr is not distinct';
  if (!isr.every((id) => replicas.includes(id))) return 'isr is not a subset of replicas';
  if (leader !== NO_LEADER && !isr.includes(leader)) return 'leader is neither in isr nor -1';
  return null;
}
