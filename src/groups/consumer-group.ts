// One consumer group's state on its coordinator: its membership (membership.ts: Kafka's classic
// protocol and the members the coordinator manages for REST consumers) and its committed-offset cache.
// Pure: time comes in as numbers, member ids from the caller's generator, topic sizes from
// `partitionsOf`; nothing here waits or writes.

import type { CommittedOffset, GroupDescription, GroupMemberDescription, GroupMembership } from './api.ts';
import { compareStrings } from './assignor.ts';
import {
  type ClassicJoinRequest,
  type ConsumerProtocolCodec,
  type JoinAnswer,
  type ManagedJoinRequest,
  Membership,
  type MembershipContext,
  type MemberView,
  type SyncAnswer,
} from './membership.ts';
import type { OffsetCommitValue } from './offset-records.ts';

export type { PartitionsOf } from './membership.ts';

export class ConsumerGroup {
  readonly groupId: string;
  readonly membership: Membership;
  /** topic -> partition -> the committed offset. */
  private readonly offsets = new Map<string, Map<number, OffsetCommitValue>>();

  constructor(groupId: string, codec: ConsumerProtocolCodec) {
    this.groupId = groupId;
    this.membership = new Membership(groupId, codec);
  }

  get generation(): number {
    return this.membership.generation;
  }
  get state(): GroupDescription['state'] {
    return this.membership.state;
  }
  get memberCount(): number {
    return this.membership.size;
  }
  get hasOffsets(): boolean {
    return this.offsets.size > 0;
  }
  /** Neither members (nor members about to join) nor offsets: nothing left to keep. */
  get isForgettable(): boolean {
    return this.membership.isEmpty && this.offsets.size === 0;
  }
  /** Kafka's ListGroups protocol type: its members' ("consumer"), "" for a group that only had commits. */
  get protocolType(): string {
    return this.membership.protocolType;
  }

  hasMember(memberId: string): boolean {
    return this.membership.has(memberId);
  }

  join(request: ManagedJoinRequest, context: MembershipContext): GroupMembership {
    return this.membership.joinManaged(request, context);
  }

  heartbeat(memberId: string, nowMs: number): GroupMembership {
    return this.membership.heartbeatManaged(memberId, nowMs);
  }

  joinClassic(
    request: ClassicJoinRequest,
    context: MembershipContext,
    respond: (a: JoinAnswer) => void,
  ): void {
    this.membership.joinClassic(request, context, respond);
  }

  sync(request: Parameters<Membership['sync']>[0], nowMs: number, respond: (a: SyncAnswer) => void): void {
    this.membership.sync(request, nowMs, respond);
  }

  heartbeatClassic(memberId: string, generation: number, nowMs: number): void {
    this.membership.heartbeatClassic(memberId, generation, nowMs);
  }

  leave(memberId: string, context: MembershipContext): void {
    this.membership.leave(memberId, context);
  }

  /** Removes the members whose session lapsed or who missed a rebalance; their ids. */
  expire(context: MembershipContext): string[] {
    return this.membership.expire(context);
  }

  /** Topic metadata changed: a new generation when a subscribed topic's partition count did. */
  topicsChanged(context: MembershipContext): boolean {
    return this.membership.topicsChanged(context);
  }

  /** See Membership.validateCommit (Kafka's validateOffsetCommit). */
  validateCommit(memberId: string | null, generation: number): void {
    this.membership.validateCommit(memberId, generation);
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
    const members: GroupMemberDescription[] = this.membership
      .describeMembers()
      .map(({ memberId, clientId, host, assignment }) => ({ memberId, clientId, host, assignment }));
    return {
      groupId: this.groupId,
      state: this.state,
      generation: this.generation,
      coordinator,
      members,
      partitionAssignor: this.membership.protocol,
    };
  }

  /** The members as Kafka's DescribeGroups shows them (metadata and assignment as bytes). */
  describeMembers(): MemberView[] {
    return this.membership.describeMembers();
  }
}
