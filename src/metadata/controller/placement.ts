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
 * next ones, shifted by p / n so that broker pairs vary across partitions (as Kafka does). A follower on
 * a rack that already holds a replica of the partition is skipped while some rack holds none, so with
 * replication factor <= racks every replica is on another rack.
 */
export function placeReplicas(options: {
  readonly brokers: readonly PlacementBroker[];
  readonly firstPartition: number;
  readonly partitionCount: number;
  readonly replicationFactor: number;
}): BrokerId[][] {
  const ordered = rackAlternatedOrder(options.brokers);
  const n = ordered.length;
  assert(
    options.replicationFactor >= 1 && options.replicationFactor <= n,
    'replication factor within brokers',
    {
      replicationFactor: options.replicationFactor,
      brokers: n,
    },
  );
  const rackCount = new Set(ordered.map((broker) => broker.rack ?? '')).size;
  const assignments: BrokerId[][] = [];
  for (let i = 0; i < options.partitionCount; i++) {
    const partition = options.firstPartition + i;
    const leaderPosition = partition % n;
    const shift = n > 1 ? Math.floor(partition / n) % (n - 1) : 0;
    // Every other broker once, starting `shift` places after the leader.
    const candidates = Array.from(
      { length: n - 1 },
      (_, j) => ordered[(leaderPosition + 1 + ((shift + j) % (n - 1))) % n]!,
    );
    const chosen: PlacementBroker[] = [ordered[leaderPosition]!];
    const racks = new Set([chosen[0]!.rack ?? '']);
    for (const candidate of candidates) {
      if (chosen.length === options.replicationFactor) break;
      if (racks.size < rackCount && racks.has(candidate.rack ?? '')) continue;
      chosen.push(candidate);
      racks.add(candidate.rack ?? '');
    }
    for (const candidate of candidates) {
      if (chosen.length === options.replicationFactor) break;
      if (!chosen.includes(candidate)) chosen.push(candidate);
    }
    assignments.push(chosen.map((broker) => broker.id));
  }
  return assignments;
}
