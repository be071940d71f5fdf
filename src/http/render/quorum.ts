// KafkaMetadataQuorum (our extension): the REST face of `kafka-metadata-quorum describe --status
// --replication`. Lag as Kafka's MetadataQuorumCommand computes it: the leader's log end offset minus the
// replica's; max_follower_lag is the largest known lag over voters and observers (a replica the leader has
// not heard from in its term has log end offset and lag -1, unknown).

import type { QuorumDescription, QuorumReplicaState } from '../ports.ts';
import type { ResourceMetadata } from './resource.ts';

export interface QuorumReplicaData {
  readonly replica_id: number;
  readonly log_end_offset: number;
  readonly lag: number;
  readonly last_fetch_timestamp: number | null;
  readonly last_caught_up_timestamp: number | null;
}

export interface MetadataQuorumData {
  readonly kind: 'KafkaMetadataQuorum';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly leader_id: number;
  readonly leader_epoch: number;
  readonly high_watermark: number;
  readonly max_follower_lag: number;
  readonly voters: readonly QuorumReplicaData[];
  readonly observers: readonly QuorumReplicaData[];
}

export function renderQuorum(self: string, clusterId: string, quorum: QuorumDescription): MetadataQuorumData {
  const leader = quorum.voters.find((voter) => voter.replicaId === quorum.leaderId);
  // Without the leader's own entry (never expected), the high watermark is the best reference there is.
  const leaderEnd = leader?.logEndOffset ?? quorum.highWatermark;
  // Kafka's DescribeQuorum says -1 for a log end offset the leader does not know; its lag is unknown too.
  const replica = (state: QuorumReplicaState): QuorumReplicaData => ({
    replica_id: state.replicaId,
    log_end_offset: state.logEndOffset ?? -1,
    lag: state.logEndOffset === null ? -1 : Math.max(0, leaderEnd - state.logEndOffset),
    last_fetch_timestamp: state.lastFetchTimestamp,
    last_caught_up_timestamp: state.lastCaughtUpTimestamp,
  });
  const voters = quorum.voters.map(replica);
  const observers = quorum.observers.map(replica);
  return {
    kind: 'KafkaMetadataQuorum',
    metadata: { self, resource_name: null },
    cluster_id: clusterId,
    leader_id: quorum.leaderId,
    leader_epoch: quorum.leaderEpoch,
    high_watermark: quorum.highWatermark,
    max_follower_lag: Math.max(0, ...voters.map((v) => v.lag), ...observers.map((o) => o.lag)),
    voters,
    observers,
  };
}
