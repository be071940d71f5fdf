// Replica placement for new partitions: balanced over the eligible brokers, and rack-aware when racks
// are set (Kafka's "rack alternated" broker list, so consecutive replicas land on different racks).
import { assert } from '../../../raft/assert.ts';
import type { BrokerId } from '../ids.ts';

export interface PlacementBroker {
  readonly id: BrokerId;
  readonly rack: string | null;
  /** Replicas it already holds; the least loaded brokers lead first. */
  readonly replicaCount: number;
}

/**
 * Orders brokers so that walking the list round-robin alternates racks: rack A's first broker, rack
 * B's first, rack C's first, rack A's second, ... Within a rack, the least loaded come first.
 */
export function rackAlternatedOrder(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  const sorted = [...brokers].sort((a, b) => a.replicaCount - b.replicaCount || a.id - b.id);
  for (const broker of sorted) {
    const rack = broker.rack ?? '';
    const members = byRack.get(rack) ?? [];
    members.push(broker);
    byRack.set(rack, members);
  }
  const racks = [...byRack.values()];
  const ordered: PlacementBroker[] = [];
  for (let round = 0; ordered.length < sorted.length; round++) {
    for (const members of racks) {
      const broker = members[round];
      if (broker !== undefined) ordered.push(broker);
    }
  }
  return ordered;
}

/**
 * Replica lists for `partitionCount` partitions starting at partition `firstPartition`. Partition p's
 * preferred leader is the broker at position (p mod n) of the ordered list, and its followers are the
 * next ones: leaders and replicas spread evenly, no broker holds two replicas of one partition.
 */
export function placeReplicas(options: {
  readonly brokers: readonly PlacementBroker[];
  readonly firstPartition: number;
  readonly partitionCount: number;
  readonly replicationFactor: number;
}): BrokerId[][] {
  const ordered = rackAlternatedOrder(options.brokers);
  const n = ordered.length;
  assert(options.replicationFactor >= 1 && options.replicationFactor <= n, 'replication factor within brokers', {
    replicationFactor: options.replicationFactor,
    brokers: n,
  });
  const assignments: BrokerId[][] = [];
  for (let i = 0; i < options.partitionCount; i++) {
    const partition = options.firstPartition + i;
    // Shift followers by partition / n too, so that broker pairs vary across partitions (as Kafka does).
    const shift = Math.floor(partition / n) % Math.max(1, n - 1);
    const replicas: BrokerId[] = [ordered[partition % n]!.id];
    for (let j = 1; j < options.replicationFactor; j++) {
      replicas.push(ordered[(partition + j + shift) % n]!.id);
    }
    // A shift can wrap onto the leader for some sizes; fall back to consecutive brokers then.
    if (new Set(replicas).size !== replicas.length) {
      replicas.length = 0;
      for (let j = 0; j < options.replicationFactor; j++) replicas.push(ordered[(partition + j) % n]!.id);
    }
    assignments.push(replicas);
  }
  return assignments;
}
