// What this broker must do for each partition, derived from each new metadata image: lead it, follow
// its leader, or nothing. Diffing successive images gives the changes a broker reacts to (Kafka's
// "Became leader / follower for partition" on a LeaderAndIsr change); the replication layer subscribes
// to them to start and stop leading and following.
import type { BrokerId, LeaderEpoch, PartitionId, TopicId } from './ids.ts';
import { NO_LEADER } from './ids.ts';
import type { MetadataImage } from './image.ts';

export type PartitionRole =
  | { readonly role: 'leader'; readonly leaderEpoch: LeaderEpoch; readonly isr: readonly BrokerId[] }
  | { readonly role: 'follower'; readonly leader: BrokerId; readonly leaderEpoch: LeaderEpoch };

export interface PartitionRoleChange {
  readonly topicId: TopicId;
  readonly topicName: string;
  readonly partitionId: PartitionId;
  /** null: this broker no longer hosts the partition (deleted, or reassigned away). */
  readonly role: PartitionRole | null;
}

type RoleKey = `${string}/${number}`;

/** This broker's role in every partition that lists it as a replica. */
export function partitionRoles(image: MetadataImage, broker: BrokerId): Map<RoleKey, PartitionRoleChange> {
  const roles = new Map<RoleKey, PartitionRoleChange>();
  for (const topic of image.topics.values()) {
    for (const [partitionId, partition] of topic.partitions) {
      if (!partition.replicas.includes(broker)) continue;
      const role: PartitionRole =
        partition.leader === broker
          ? { role: 'leader', leaderEpoch: partition.leaderEpoch, isr: partition.isr }
          : { role: 'follower', leader: partition.leader, leaderEpoch: partition.leaderEpoch };
      roles.set(`${topic.id}/${partitionId}`, { topicId: topic.id, topicName: topic.name, partitionId, role });
    }
  }
  return roles;
}

function sameRole(a: PartitionRole, b: PartitionRole): boolean {
  if (a.role !== b.role || a.leaderEpoch !== b.leaderEpoch) return false;
  if (a.role === 'follower' && b.role === 'follower') return a.leader === b.leader;
  return true;
}

/** Remembers the last roles and reports what changed with each new image. */
export class PartitionRoleTracker {
  private readonly broker: BrokerId;
  private current = new Map<RoleKey, PartitionRoleChange>();

  constructor(broker: BrokerId) {
    this.broker = broker;
  }

  /** The changes from the previous image to `image`; ISR-only changes of a led partition included. */
  update(image: MetadataImage): PartitionRoleChange[] {
    const next = partitionRoles(image, this.broker);
    const changes: PartitionRoleChange[] = [];
    for (const [key, entry] of next) {
      const before = this.current.get(key)?.role ?? null;
      const after = entry.role!;
      const isrChanged = before?.role === 'leader' && after.role === 'leader' && before.isr.join() !== after.isr.join();
      if (before === null || !sameRole(before, after) || isrChanged) changes.push(entry);
    }
    for (const [key, entry] of this.current) {
      if (!next.has(key)) changes.push({ ...entry, role: null });
    }
    this.current = next;
    return changes;
  }
}

/** A leaderless partition (NO_LEADER) is followed by no one: its replicas wait for an election. */
export function isLeaderless(role: PartitionRole): boolean {
  return role.role === 'follower' && role.leader === NO_LEADER;
}
