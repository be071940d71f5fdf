import type { NodeId } from '../../raft/types.ts';
import type { Microseconds } from '../sim/scheduler.ts';
import type { MetadataRaftConfig } from './metadata-raft.ts';
import type { NetworkConfig } from './rpc-network.ts';

/** Which servers run which roles: combined nodes, or controllers and brokers apart. */
export type Topology = 'combined-3' | 'combined-5' | 'controllers-3-brokers-2';

export const TOPOLOGIES: readonly Topology[] = ['combined-3', 'combined-5', 'controllers-3-brokers-2'];

/** Constants of the whole-cluster world; the schedule (faults, workload) comes from the seed. */
export interface ClusterConfig {
  readonly topology: Topology;
  readonly controllers: readonly NodeId[];
  readonly brokers: readonly NodeId[];
  readonly servers: readonly NodeId[];
  readonly raft: MetadataRaftConfig;
  readonly network: NetworkConfig;
  readonly brokerSessionTimeoutMs: number;
  readonly brokerHeartbeatIntervalMs: number;
  readonly controllerRequestTimeoutMs: number;
  readonly leaderImbalanceCheckIntervalMs: number;
  readonly data: {
    readonly segmentBytesMax: number;
    /** log.cleaner.backoff.ms: every broker runs the log cleaner (the compacted __consumer_offsets). */
    readonly cleanerBackoffMs: number;
    readonly lagTimeMaxMs: number;
    readonly fetchWaitMaxMs: number;
    readonly fetchBackoffMs: number;
    readonly minInsyncReplicas: number;
    /** How long a produce may wait for its acknowledgement (the client's request timeout). */
    readonly produceTimeoutMs: number;
  };
  readonly groups: {
    /** offsets.topic.num.partitions. */
    readonly offsetsTopicPartitions: number;
    /** offsets.topic.segment.bytes: small, so that the log cleaner has closed segments to clean. */
    readonly offsetsTopicSegmentBytes: number;
    /** How long a group request may wait for its coordinator (node.ts's GROUP_REQUEST_TIMEOUT_MS). */
    readonly requestTimeoutMs: number;
    /** The consumers' session timeout, within group.min/max.session.timeout.ms. */
    readonly sessionTimeoutMs: number;
    readonly minSessionTimeoutMs: number;
    readonly maxSessionTimeoutMs: number;
  };
  /** The safety phase: faults and workload. */
  readonly faultPhaseMs: number;
  /** After healing: the bound on the cluster becoming whole again. */
  readonly livenessBoundMs: number;
  readonly eventsMax: number;
}

export function clusterConfig(topology: Topology): ClusterConfig {
  const ids = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => (from + i) as NodeId);
  const controllers = topology === 'combined-5' ? ids(1, 5) : ids(1, 3);
  const brokers = topology === 'combined-3' ? ids(1, 3) : topology === 'combined-5' ? ids(1, 5) : ids(4, 5);
  const servers = topology === 'combined-3' ? ids(1, 3) : ids(1, 5);
  return {
    topology,
    controllers,
    brokers,
    servers,
    raft: {
      voters: controllers,
      tickMs: 50,
      electionTicks: 10,
      syncMinUs: 100,
      syncMaxUs: 3_000 as Microseconds,
      snapshotRecordsMax: 40,
    },
    network: { minDelayUs: 200, maxDelayUs: 3_000 },
    brokerSessionTimeoutMs: 1_500,
    brokerHeartbeatIntervalMs: 250,
    controllerRequestTimeoutMs: 1_000,
    leaderImbalanceCheckIntervalMs: 3_000,
    data: {
      segmentBytesMax: 2048,
      cleanerBackoffMs: 250,
      lagTimeMaxMs: 1_000,
      fetchWaitMaxMs: 100,
      fetchBackoffMs: 100,
      minInsyncReplicas: 2,
      produceTimeoutMs: 1_500,
    },
    groups: {
      offsetsTopicPartitions: 1,
      offsetsTopicSegmentBytes: 512,
      requestTimeoutMs: 1_000,
      sessionTimeoutMs: 2_000,
      minSessionTimeoutMs: 500,
      maxSessionTimeoutMs: 30_000,
    },
    faultPhaseMs: 12_000,
    livenessBoundMs: 20_000,
    eventsMax: 2_000_000,
  };
}
