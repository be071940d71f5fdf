// One consumer group's state on its coordinator: members with their subscriptions and sessions, the
// generation and assignment, and the committed-offset cache. Pure: time comes in as numbers, member ids
// from the caller's generator, topic sizes from `partitionsOf`; nothing here waits or writes.
//
// Rules (src/groups/README.md):
// - The generation changes exactly when the assignment's inputs change: a member joins or leaves (or its
//   session lapses), a member's subscription changes, or the partition count of a subscribed topic
//   changes. Every change recomputes every member's assignment (range assignor) at generation + 1.
// - Invariant: every partition of every subscribed topic is assigned to exactly one member subscribed to
//   its topic, and nothing else is assigned (checked after each rebalance).
// - A commit names its member and generation (fencing of stale members), or no member and a negative
//   generation when the group has no members (a "simple" commit: manual assignment, offset resets).

import { assert } from '../../raft/assert.ts';
import type {
  CommittedOffset,
  GroupDescription,
  GroupMemberDescription,
  GroupMembership,
  TopicPartition,
} from './api.ts';
import { RANGE_ASSIGNOR_NAME, compareStrings, rangeAssign } from './assignor.ts';
import { illegalGeneration, unknownMemberId } from './errors.ts';
import type { OffsetCommitValue } from './offset-records.ts';

export type PartitionsOf = (topic: string) => number | null;

interface Member {
  readonly memberId: string;
  clientId: string;
  host: string;
  /** Distinct, sorted. */
  topics: readonly string[];
  sessionTimeoutMs: number;
  /** When the session was last renewed (join or heartbeat). */
  renewedAtMs: number;
  assignment: readonly TopicPartition[];
}

export interface JoinRequest {
  /** null: a new member, named by `newMemberId`. */
  readonly memberId: string | null;
  readonly clientId: string;
  readonly host: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
}

export class ConsumerGroup {
  readonly groupId: string;
  private generationId = 0;
  private readonly members = new Map<string, Member>();
  /** topic -> partition -> the committed offset. */
  private readonly offsets = new Map<string, Map<number, OffsetCommitValue>>();
  /** The partition counts of the subscribed topics that the current assignment was computed from. */
  private assignedPartitionCounts = new Map<string, number | null>();

  constructor(groupId: string) {
    this.groupId = groupId;
  }

  get generation(): number {
    return this.generationId;
  }
  get state(): 'Empty' | 'Stable' {
    return this.members.size === 0 ? 'Empty' : 'Stable';
  }
  get memberCount(): number {
    return this.members.size;
  }
  get hasOffsets(): boolean {
    return this.offsets.size > 0;
  }
  /** Neither members nor offsets: nothing left to keep. */
  get isForgettable(): boolean {
    return this.members.size === 0 && this.offsets.size === 0;
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  join(
    request: JoinRequest,
    context: {
      readonly nowMs: number;
      readonly newMemberId: () => string;
      readonly partitionsOf: PartitionsOf;
    },
  ): GroupMembership {
    const topics = [...new Set(request.topics)].sort(compareStrings);
    let member: Member;
    let changed: boolean;
    if (request.memberId === null) {
      const memberId = context.newMemberId();
      assert(!this.members.has(memberId), 'the member id generator gives fresh ids', { memberId });
      member = {
        memberId,
        clientId: '',
        host: '',
        topics,
        sessionTimeoutMs: 0,
        renewedAtMs: 0,
        assignment: [],
      };
      this.members.set(memberId, member);
      changed = true;
    } else {
      const existing = this.members.get(request.memberId);
      if (existing === undefined) throw unknownMemberId(this.groupId, request.memberId);
      member = existing;
      changed = !sameStrings(member.topics, topics);
      member.topics = topics;
    }
    member.clientId = request.clientId;
    member.host = request.host;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.renewedAtMs = context.nowMs;
    this.rebalanceIfNeeded(changed, context.partitionsOf);
    return this.membershipOf(member);
  }

  heartbeat(memberId: string, nowMs: number): GroupMembership {
    const member = this.members.get(memberId);
    if (member === undefined) throw unknownMemberId(this.groupId, memberId);
    member.renewedAtMs = nowMs;
    return this.membershipOf(member);
  }

  leave(memberId: string, partitionsOf: PartitionsOf): void {
    if (!this.members.delete(memberId)) throw unknownMemberId(this.groupId, memberId);
    this.rebalanceIfNeeded(true, partitionsOf);
  }

  /** Removes the members whose session lapsed (no join or heartbeat for sessionTimeoutMs); their ids. */
  expire(nowMs: number, partitionsOf: PartitionsOf): string[] {
    const expired: string[] = [];
    for (const member of this.members.values()) {
      if (nowMs >= member.renewedAtMs + member.sessionTimeoutMs) expired.push(member.memberId);
    }
    for (const memberId of expired) this.members.delete(memberId);
    if (expired.length > 0) this.rebalanceIfNeeded(true, partitionsOf);
    return expired;
  }

  /** Topic metadata changed: a new generation when a subscribed topic's partition count did. */
  topicsChanged(partitionsOf: PartitionsOf): boolean {
    return this.rebalanceIfNeeded(false, partitionsOf);
  }

  /**
   * Kafka's validateOffsetCommit: a member (memberId given, or a generation >= 0) must be a current member
   * at the current generation; a commit without either is allowed only while the group has no members.
   */
  validateCommit(memberId: string | null, generation: number): void {
    if (memberId !== null || generation >= 0) {
      if (memberId === null || !this.members.has(memberId)) throw unknownMemberId(this.groupId, memberId);
      if (generation !== this.generationId)
        throw illegalGeneration(this.groupId, generation, this.generationId);
    } else if (this.members.size > 0) {
      throw unknownMemberId(this.groupId, memberId);
    }
  }

  /** Applies one replayed or appended offset record (value null: a tombstone). */
  applyOffset(topic: string, partition: number, value: OffsetCommitValue | null): void {
    const partitions = this.offsets.get(topic);
    if (value === null) {
      partitions?.delete(partition);
      if (partitions?.size === 0) this.offsets.delete(topic);
      return;
    }
    if (partitions === undefined) this.offsets.set(topic, new Map([[partition, value]]));
    else partitions.set(partition, value);
  }

  committed(topic: string, partition: number): OffsetCommitValue | null {
    return this.offsets.get(topic)?.get(partition) ?? null;
  }

  /** Every committed offset with its record value, by topic then partition. */
  committedValues(): {
    readonly topic: string;
    readonly partition: number;
    readonly value: OffsetCommitValue;
  }[] {
    const all: { topic: string; partition: number; value: OffsetCommitValue }[] = [];
    for (const topic of [...this.offsets.keys()].sort(compareStrings)) {
      const partitions = this.offsets.get(topic)!;
      for (const partition of [...partitions.keys()].sort((left, right) => left - right)) {
        all.push({ topic, partition, value: partitions.get(partition)! });
      }
    }
    return all;
  }

  /** The committed offsets that `belongs` accepts (default: all), by topic then partition. */
  committedOffsets(
    belongs: (topic: string, value: OffsetCommitValue) => boolean = () => true,
  ): CommittedOffset[] {
    return this.committedValues()
      .filter(({ topic, value }) => belongs(topic, value))
      .map(({ topic, partition, value }) => ({
        topic,
        partition,
        offset: value.offset,
        metadata: value.metadata,
      }));
  }

  describe(coordinator: number): GroupDescription {
    const members: GroupMemberDescription[] = [...this.members.values()]
      .sort((left, right) => compareStrings(left.memberId, right.memberId))
      .map(({ memberId, clientId, host, assignment }) => ({ memberId, clientId, host, assignment }));
    return {
      groupId: this.groupId,
      state: this.state,
      generation: this.generationId,
      coordinator,
      members,
      partitionAssignor: RANGE_ASSIGNOR_NAME,
    };
  }

  private membershipOf(member: Member): GroupMembership {
    return { memberId: member.memberId, generation: this.generationId, assignment: member.assignment };
  }

  /** A new generation and assignment when `changed` or a subscribed topic's size moved; true if so. */
  private rebalanceIfNeeded(changed: boolean, partitionsOf: PartitionsOf): boolean {
    const counts = new Map<string, number | null>();
    for (const member of this.members.values()) {
      for (const topic of member.topics) if (!counts.has(topic)) counts.set(topic, partitionsOf(topic));
    }
    if (!changed && sameCounts(counts, this.assignedPartitionCounts)) return false;
    this.generationId += 1;
    this.assignedPartitionCounts = counts;
    const subscriptions = [...this.members.values()].map(({ memberId, topics }) => ({ memberId, topics }));
    const assignment = rangeAssign(subscriptions, (topic) => counts.get(topic) ?? null);
    for (const member of this.members.values()) member.assignment = assignment.get(member.memberId)!;
    this.checkAssignment(counts);
    return true;
  }

  private checkAssignment(counts: ReadonlyMap<string, number | null>): void {
    const owners = new Map<string, string>();
    for (const member of this.members.values()) {
      for (const { topic, partition } of member.assignment) {
        const key = `${topic}:${partition}`;
        assert(!owners.has(key), 'a partition has one owner', {
          key,
          owners: [owners.get(key), member.memberId],
        });
        assert(member.topics.includes(topic), 'a member owns partitions of its topics only', { key });
        owners.set(key, member.memberId);
      }
    }
    let expected = 0;
    for (const count of counts.values()) expected += Math.max(count ?? 0, 0);
    assert(owners.size === expected, 'every subscribed partition is assigned', {
      expected,
      got: owners.size,
    });
  }
}

function sameStrings(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((value, index) => value === right[index]);
}

function sameCounts(
  left: ReadonlyMap<string, number | null>,
  right: ReadonlyMap<string, number | null>,
): boolean {
  if (left.size !== right.size) return false;
  for (const [topic, count] of left) if (!right.has(topic) || right.get(topic) !== count) return false;
  return true;
}
