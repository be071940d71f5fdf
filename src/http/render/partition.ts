// PartitionData (kind KafkaPartition) and ReplicaData (kind KafkaReplica), Confluent v3. Confluent puts a
// partition's leader and replicas behind links; we keep the links AND add the plain fields `leader_id`,
// `replicas`, `isr` and `leader_epoch` so that one call shows them.

import { NO_LEADER } from '../../metadata/ids.ts';
import type { BrokerId, PartitionId } from '../../metadata/ids.ts';
import type { PartitionRegistration } from '../../metadata/image.ts';
import type { UrlBuilder } from '../urls.ts';
import { crn } from '../urls.ts';
import type { Relationship, ResourceMetadata } from './resource.ts';
import { related } from './resource.ts';

export interface PartitionData {
  readonly kind: 'KafkaPartition';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly topic_name: string;
  readonly partition_id: number;
  /** The leader's replica resource; null when the partition has no leader. */
  readonly leader: Relationship | null;
  readonly replicas: Relationship;
  readonly reassignment: Relationship;
  /** -1 when the partition has no leader (Kafka's convention). */
  readonly leader_id: number;
  readonly leader_epoch: number;
  readonly replica_ids: readonly number[];
  readonly isr: readonly number[];
}

export interface ReplicaData {
  readonly kind: 'KafkaReplica';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly topic_name: string;
  readonly partition_id: number;
  readonly broker_id: number;
  readonly is_leader: boolean;
  readonly is_in_sync: boolean;
  readonly broker: Relationship;
}

export interface PartitionRef {
  readonly clusterId: string;
  readonly topicName: string;
  readonly partitionId: PartitionId;
}

function partitionPath(ref: PartitionRef): readonly string[] {
  return ['v3', 'clusters', ref.clusterId, 'topics', ref.topicName, 'partitions', String(ref.partitionId)];
}

export function renderPartition(
  url: UrlBuilder,
  ref: PartitionRef,
  partition: PartitionRegistration,
): PartitionData {
  const self = partitionPath(ref);
  const hasLeader = partition.leader !== NO_LEADER;
  return {
    kind: 'KafkaPartition',
    metadata: {
      self: url(...self),
      resource_name: crn(ref.clusterId, ['topic', ref.topicName], ['partition', ref.partitionId]),
    },
    cluster_id: ref.clusterId,
    topic_name: ref.topicName,
    partition_id: ref.partitionId,
    leader: hasLeader ? related(url(...self, 'replicas', partition.leader)) : null,
    replicas: related(url(...self, 'replicas')),
    reassignment: related(url(...self, 'reassignment')),
    leader_id: partition.leader,
    leader_epoch: partition.leaderEpoch,
    replica_ids: partition.replicas,
    isr: partition.isr,
  };
}

export function renderReplica(
  url: UrlBuilder,
  ref: PartitionRef,
  partition: PartitionRegistration,
  brokerId: BrokerId,
): ReplicaData {
  return {
    kind: 'KafkaReplica',
    metadata: {
      self: url(...partitionPath(ref), 'replicas', brokerId),
      resource_name: crn(
        ref.clusterId,
        ['topic', ref.topicName],
        ['partition', ref.partitionId],
        ['replica', brokerId],
      ),
    },
    cluster_id: ref.clusterId,
    topic_name: ref.topicName,
    partition_id: ref.partitionId,
    broker_id: brokerId,
    is_leader: partition.leader === brokerId,
    is_in_sync: partition.isr.includes(brokerId),
    broker: related(url('v3', 'clusters', ref.clusterId, 'brokers', brokerId)),
  };
}
