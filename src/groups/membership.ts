// One group's membership on its coordinator: Kafka's classic group protocol (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup; the assignment computed by a member, the leader, with any assignor its client
// has) and members the coordinator manages itself (REST v2 consumer instances, which never run an
// assignor). Both kinds are members of the same group, as Confluent's REST proxy consumers are members
// of the groups Kafka's clients join. Pure: time comes in as numbers, member ids from the caller's
// generator; requests that must wait (a join until every member rejoined, a sync until the leader
// assigned) give a callback, called exactly once.
//
// Rules (src/groups/README.md, "Membership"), as Kafka's classic GroupCoordinator:
// - States: Empty (no members), PreparingRebalance (waiting for every member to rejoin), CompletingRebalance
//   (waiting for the leader's assignment), Stable. Any change of membership or of a member's protocols
//   starts a rebalance; the generation grows by one when the join phase completes.
// - The join phase completes once every classic member has rejoined and no member id handed out with
//   MEMBER_ID_REQUIRED is outstanding, or at the rebalance deadline (the largest rebalance timeout), when
//   the members that did not rejoin are removed. Managed members rejoin by themselves.
// - The protocol (assignor) is one every classic member supports, by vote of their preferences; a
//   managed member accepts any (its subscription is a ConsumerProtocolSubscription every consumer
//   assignor reads). The leader is a classic member; without one the coordinator assigns (range).
// - A managed member has no assignment while a rebalance is in progress (it gave everything up, as an
//   eager consumer does), so no partition has two owners across a generation change.

import { assert } from '../../raft/assert.ts';
import type { KafkaError } from '../common/kafka-errors.ts';
import type { TopicPartition } from './api.ts';
import { compareStrings, RANGE_ASSIGNOR_NAME, rangeAssign } from './assignor.ts';
import {
  fencedInstanceId,
  illegalGeneration,
  inconsistentGroupProtocol,
  memberIdRequired,
  rebalanceInProgress,
  unknownMemberId,
} from './errors.ts';

export type PartitionsOf = (topic: string) => number | null;

/** The protocol type of consumer groups: members' metadata and assignments are Kafka's ConsumerProtocol. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** Kafka's ConsumerProtocol, which the coordinator speaks for its managed members (src/node wires it). */
export interface ConsumerProtocolCodec {
  /** A ConsumerProtocolSubscription of `topics` that owns nothing (what a managed member offers). */
  encodeSubscription(topics: readonly string[]): Uint8Array;
  /** The topics of a ConsumerProtocolSubscription; null when the bytes are not one. */
  decodeSubscription(metadata: Uint8Array): string[] | null;
  encodeAssignment(assignment: readonly TopicPartition[]): Uint8Array;
  /** The partitions of a ConsumerProtocolAssignment; null when the bytes are not one. */
  decodeAssignment(bytes: Uint8Array): TopicPartition[] | null;
}

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface ProtocolOffer {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

export type JoinAnswer =
  | {
      readonly kind: 'joined';
      readonly generation: number;
      readonly protocolType: string;
      readonly protocolName: string;
      readonly leader: string;
      readonly memberId: string;
      /** Every member with its metadata for the chosen protocol: for the leader only, else empty. */
      readonly members: readonly JoinedMember[];
    }
  /** `memberId`: the id given with MEMBER_ID_REQUIRED, else the one asked. */
  | { readonly kind: 'failed'; readonly error: KafkaError; readonly memberId: string };

export type SyncAnswer =
  | {
      readonly kind: 'synced';
      readonly protocolType: string;
      readonly protocolName: string;
      readonly assignment: Uint8Array;
    }
  | { readonly kind: 'failed'; readonly error: KafkaError };

export interface ClassicJoinRequest {
  /** "": a member without an id yet. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly host: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly ProtocolOffer[];
  /** JoinGroup v4+: a member without an id gets one with MEMBER_ID_REQUIRED first (KIP-394). */
  readonly requireKnownMemberId: boolean;
}

export interface ManagedJoinRequest {
  /** null: a new member. */
  readonly memberId: string | null;
  readonly clientId: string;
  readonly host: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
}

export interface MembershipView {
  readonly memberId: string;
  readonly generation: number;
  readonly assignment: readonly TopicPartition[];
}

export interface MemberView {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly host: string;
  readonly kind: 'classic' | 'managed';
  /** The metadata of the group's protocol (a managed member's: its subscription). */
  readonly metadata: Uint8Array;
  readonly assignmentBytes: Uint8Array;
  readonly assignment: readonly TopicPartition[];
}

interface Member {
  readonly memberId: string;
  readonly kind: 'classic' | 'managed';
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  /** Classic: in the member's order of preference. Managed: none (it accepts any). */
  protocols: readonly ProtocolOffer[];
  /** Managed: its subscription. Classic: read from its metadata for the group's protocol, if a consumer. */
  topics: readonly string[];
  renewedAtMs: number;
  assignmentBytes: Uint8Array;
  assignment: readonly TopicPartition[];
  awaitingJoin: ((answer: JoinAnswer) => void) | null;
  awaitingSync: ((answer: SyncAnswer) => void) | null;
}

const EMPTY = new Uint8Array(0);

export interface MembershipContext {
  readonly nowMs: number;
  readonly newMemberId: () => string;
  readonly partitionsOf: PartitionsOf;
}

export class Membership {
  readonly groupId: string;
  private readonly codec: ConsumerProtocolCodec;
  private groupState: GroupState = 'Empty';
  private generationId = 0;
  private protocolTypeName: string | null = null;
  private protocolName: string | null = null;
  private leaderId: string | null = null;
  /** In join order: the first classic member becomes the leader. */
  private readonly members = new Map<string, Member>();
  /** Ids handed out with MEMBER_ID_REQUIRED, until they join or their session lapses. */
  private readonly pendingMembers = new Map<string, number>();
  private rebalanceDeadlineMs = 0;
  /** The partition counts of the managed members' topics the current assignment was computed from. */
  private assignedPartitionCounts = new Map<string, number | null>();

  constructor(groupId: string, codec: ConsumerProtocolCodec) {
    this.groupId = groupId;
    this.codec = codec;
  }

  get state(): GroupState {
    return this.groupState;
  }
  get generation(): number {
    return this.generationId;
  }
  get size(): number {
    return this.members.size;
  }
  get protocolType(): string {
    return this.protocolTypeName ?? '';
  }
  /** The assignor of the current generation ("" while there is none). */
  get protocol(): string {
    return this.protocolName ?? '';
  }
  get leader(): string | null {
    return this.leaderId;
  }
  /** Nothing to keep: no members, none about to join. */
  get isEmpty(): boolean {
    return this.members.size === 0 && this.pendingMembers.size === 0;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  // ---------------------------------------------------------------------------------------------
  // The classic protocol.

  joinClassic(
    request: ClassicJoinRequest,
    context: MembershipContext,
    respond: (a: JoinAnswer) => void,
  ): void {
    const fail = (error: KafkaError, memberId = request.memberId) =>
      respond({ kind: 'failed', error, memberId });
    if (request.protocolType === '' || request.protocols.length === 0) {
      fail(inconsistentGroupProtocol(this.groupId, 'a member must name a protocol type and protocols'));
      return;
    }
    if (!this.supports(request.protocolType, request.protocols, request.memberId)) {
      fail(
        inconsistentGroupProtocol(
          this.groupId,
          `protocol type ${request.protocolType} with ${request.protocols.map((p) => p.name).join(', ')} ` +
            `does not match the group's ${this.protocolType || CONSUMER_PROTOCOL_TYPE} with ` +
            `${this.candidateProtocols().join(', ') || 'its members'}`,
        ),
      );
      return;
    }
    let member = request.memberId === '' ? undefined : this.members.get(request.memberId);
    if (member === undefined) {
      if (request.memberId === '') {
        const memberId = context.newMemberId();
        assert(!this.members.has(memberId) && !this.pendingMembers.has(memberId), 'fresh member ids', {
          memberId,
        });
        if (request.groupInstanceId === null && request.requireKnownMemberId) {
          this.pendingMembers.set(memberId, context.nowMs + request.sessionTimeoutMs);
          fail(memberIdRequired(this.groupId), memberId);
          return;
        }
        if (request.groupInstanceId !== null) this.fenceInstance(request.groupInstanceId);
        member = this.addClassic(memberId, request, context.nowMs);
      } else if (this.pendingMembers.delete(request.memberId)) {
        if (request.groupInstanceId !== null) this.fenceInstance(request.groupInstanceId);
        member = this.addClassic(request.memberId, request, context.nowMs);
      } else {
        fail(unknownMemberId(this.groupId, request.memberId));
        return;
      }
      member.awaitingJoin = respond;
      this.prepareRebalance(context);
      return;
    }
    if (member.kind !== 'classic') {
      fail(unknownMemberId(this.groupId, request.memberId));
      return;
    }
    const protocolsChanged = !sameProtocols(member.protocols, request.protocols);
    this.updateClassic(member, request, context.nowMs);
    if (member.awaitingJoin !== null && member.awaitingJoin !== respond) {
      // A retried join replaces the one in hand (the client gave up on it).
      member.awaitingJoin({
        kind: 'failed',
        error: unknownMemberId(this.groupId, member.memberId),
        memberId: member.memberId,
      });
      member.awaitingJoin = null;
    }
    if (
      !protocolsChanged &&
      member.memberId !== this.leaderId &&
      (this.groupState === 'Stable' || this.groupState === 'CompletingRebalance')
    ) {
      // Nothing changed: the current generation's answer again (the member may have missed it).
      respond(this.joinedAnswer(member));
      return;
    }
    member.awaitingJoin = respond;
    this.prepareRebalance(context);
  }

  sync(
    request: {
      readonly memberId: string;
      readonly generation: number;
      readonly protocolType: string | null;
      readonly protocolName: string | null;
      readonly assignments: ReadonlyMap<string, Uint8Array>;
    },
    nowMs: number,
    respond: (a: SyncAnswer) => void,
  ): void {
    const fail = (error: KafkaError) => respond({ kind: 'failed', error });
    const member = this.members.get(request.memberId);
    if (member === undefined || member.kind !== 'classic' || this.groupState === 'Empty') {
      fail(unknownMemberId(this.groupId, request.memberId));
      return;
    }
    if (request.generation !== this.generationId) {
      fail(illegalGeneration(this.groupId, request.generation, this.generationId));
      return;
    }
    if (
      (request.protocolType !== null && request.protocolType !== this.protocolType) ||
      (request.protocolName !== null && request.protocolName !== this.protocol)
    ) {
      fail(
        inconsistentGroupProtocol(
          this.groupId,
          `sync names ${request.protocolType}/${request.protocolName}, the group has ${this.protocolType}/${this.protocol}`,
        ),
      );
      return;
    }
    member.renewedAtMs = nowMs;
    if (this.groupState === 'PreparingRebalance') {
      fail(rebalanceInProgress(this.groupId));
      return;
    }
    if (this.groupState === 'Stable') {
      respond(this.syncedAnswer(member));
      return;
    }
    if (member.awaitingSync !== null && member.awaitingSync !== respond) {
      member.awaitingSync({ kind: 'failed', error: rebalanceInProgress(this.groupId) });
    }
    member.awaitingSync = respond;
    if (member.memberId === this.leaderId) {
      for (const target of this.members.values()) {
        this.setAssignment(target, request.assignments.get(target.memberId) ?? EMPTY);
      }
      this.groupState = 'Stable';
      this.answerSyncs();
    }
  }

  heartbeatClassic(memberId: string, generation: number, nowMs: number): void {
    const member = this.members.get(memberId);
    if (member === undefined || this.groupState === 'Empty') throw unknownMemberId(this.groupId, memberId);
    if (generation !== this.generationId)
      throw illegalGeneration(this.groupId, generation, this.generationId);
    member.renewedAtMs = nowMs;
    if (this.groupState === 'PreparingRebalance') throw rebalanceInProgress(this.groupId);
  }

  // ---------------------------------------------------------------------------------------------
  // Managed members (REST v2 consumer instances).

  joinManaged(request: ManagedJoinRequest, context: MembershipContext): MembershipView {
    const other = [...this.members.values()].find((member) => member.protocolType !== CONSUMER_PROTOCOL_TYPE);
    if (other !== undefined) {
      throw inconsistentGroupProtocol(
        this.groupId,
        `the group's members use protocol type ${other.protocolType}, a REST consumer ${CONSUMER_PROTOCOL_TYPE}`,
      );
    }
    const topics = [...new Set(request.topics)].sort(compareStrings);
    let member: Member;
    let changed: boolean;
    if (request.memberId === null) {
      const memberId = context.newMemberId();
      assert(!this.members.has(memberId) && !this.pendingMembers.has(memberId), 'fresh member ids', {
        memberId,
      });
      member = {
        memberId,
        kind: 'managed',
        groupInstanceId: null,
        clientId: request.clientId,
        host: request.host,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.sessionTimeoutMs,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols: [],
        topics,
        renewedAtMs: context.nowMs,
        assignmentBytes: EMPTY,
        assignment: [],
        awaitingJoin: null,
        awaitingSync: null,
      };
      this.members.set(memberId, member);
      changed = true;
    } else {
      const existing = this.members.get(request.memberId);
      if (existing === undefined || existing.kind !== 'managed')
        throw unknownMemberId(this.groupId, request.memberId);
      member = existing;
      changed = !sameStrings(member.topics, topics);
      member.topics = topics;
    }
    member.clientId = request.clientId;
    member.host = request.host;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.sessionTimeoutMs;
    member.renewedAtMs = context.nowMs;
    if (
      changed ||
      !sameCounts(this.managedPartitionCounts(context.partitionsOf), this.assignedPartitionCounts)
    ) {
      this.prepareRebalance(context);
    }
    return this.viewOf(member);
  }

  heartbeatManaged(memberId: string, nowMs: number): MembershipView {
    const member = this.members.get(memberId);
    if (member === undefined || member.kind !== 'managed') throw unknownMemberId(this.groupId, memberId);
    member.renewedAtMs = nowMs;
    return this.viewOf(member);
  }

  // ---------------------------------------------------------------------------------------------
  // Both kinds.

  leave(memberId: string, context: MembershipContext): void {
    const member = this.members.get(memberId);
    if (member === undefined) throw unknownMemberId(this.groupId, memberId);
    this.remove(member, unknownMemberId(this.groupId, memberId));
    this.prepareRebalance(context);
  }

  /** The member with this static instance id, if any. */
  memberOfInstance(groupInstanceId: string): string | null {
    for (const member of this.members.values()) {
      if (member.groupInstanceId === groupInstanceId) return member.memberId;
    }
    return null;
  }

  /**
   * Session expiry and the rebalance deadline: removes the members whose session lapsed (a member
   * waiting in a join is kept: the rebalance deadline bounds it) and, past the deadline, those that did
   * not rejoin. Their ids.
   */
  expire(context: MembershipContext): string[] {
    const { nowMs } = context;
    let pendingExpired = false;
    for (const [memberId, expiresAtMs] of [...this.pendingMembers]) {
      if (nowMs >= expiresAtMs) {
        this.pendingMembers.delete(memberId);
        pendingExpired = true;
      }
    }
    const expired: Member[] = [];
    const pastDeadline = this.groupState === 'PreparingRebalance' && nowMs >= this.rebalanceDeadlineMs;
    for (const member of this.members.values()) {
      // Kafka's shouldKeepAlive: a member waiting in a join or a sync is not expired by its session.
      if (member.awaitingJoin !== null || member.awaitingSync !== null) continue;
      const sessionLapsed = nowMs >= member.renewedAtMs + member.sessionTimeoutMs;
      const missedRebalance = pastDeadline && member.kind === 'classic';
      if (sessionLapsed || missedRebalance) expired.push(member);
    }
    for (const member of expired) this.remove(member, unknownMemberId(this.groupId, member.memberId));
    if (expired.length > 0) this.prepareRebalance(context);
    else if (pendingExpired || pastDeadline) this.tryCompleteJoin(context);
    return expired.map((member) => member.memberId);
  }

  /** Topic metadata changed: a rebalance when a managed member's topic changed its partition count. */
  topicsChanged(context: MembershipContext): boolean {
    const counts = this.managedPartitionCounts(context.partitionsOf);
    if (sameCounts(counts, this.assignedPartitionCounts)) return false;
    const generationBefore = this.generationId;
    this.prepareRebalance(context);
    return this.generationId !== generationBefore || this.groupState !== 'Stable';
  }

  /**
   * Kafka's validateOffsetCommit: a member (a member id, or a generation >= 0) must be a current member
   * at the current generation, and not while the leader is assigning; a commit without either is
   * allowed only while the group has no members.
   */
  validateCommit(memberId: string | null, generation: number): void {
    if (memberId === null && generation < 0) {
      if (this.members.size > 0) throw unknownMemberId(this.groupId, memberId);
      return;
    }
    if (memberId === null || !this.members.has(memberId)) throw unknownMemberId(this.groupId, memberId);
    if (generation !== this.generationId)
      throw illegalGeneration(this.groupId, generation, this.generationId);
    if (this.groupState === 'CompletingRebalance') throw rebalanceInProgress(this.groupId);
  }

  /** The coordinator no longer has this group: every waiting request gets `error`. */
  abandon(error: KafkaError): void {
    for (const member of this.members.values()) {
      member.awaitingJoin?.({ kind: 'failed', error, memberId: member.memberId });
      member.awaitingSync?.({ kind: 'failed', error });
      member.awaitingJoin = null;
      member.awaitingSync = null;
    }
  }

  describeMembers(): MemberView[] {
    return [...this.members.values()]
      .sort((left, right) => compareStrings(left.memberId, right.memberId))
      .map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        host: member.host,
        kind: member.kind,
        metadata: this.metadataOf(member),
        assignmentBytes: member.assignmentBytes,
        assignment: member.assignment,
      }));
  }

  // ---------------------------------------------------------------------------------------------

  private addClassic(memberId: string, request: ClassicJoinRequest, nowMs: number): Member {
    const member: Member = {
      memberId,
      kind: 'classic',
      groupInstanceId: null,
      clientId: '',
      host: '',
      sessionTimeoutMs: 0,
      rebalanceTimeoutMs: 0,
      protocolType: request.protocolType,
      protocols: [],
      topics: [],
      renewedAtMs: nowMs,
      assignmentBytes: EMPTY,
      assignment: [],
      awaitingJoin: null,
      awaitingSync: null,
    };
    this.members.set(memberId, member);
    this.updateClassic(member, request, nowMs);
    return member;
  }

  private updateClassic(member: Member, request: ClassicJoinRequest, nowMs: number): void {
    member.groupInstanceId = request.groupInstanceId;
    member.clientId = request.clientId;
    member.host = request.host;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.protocolType = request.protocolType;
    // Copied: the request's bytes are views of a frame the connection reuses.
    member.protocols = request.protocols.map(({ name, metadata }) => ({
      name,
      metadata: Uint8Array.from(metadata),
    }));
    member.renewedAtMs = nowMs;
  }

  /** A static member rejoining under a new member id: the old one is fenced. */
  private fenceInstance(groupInstanceId: string): void {
    const old = this.memberOfInstance(groupInstanceId);
    if (old === null) return;
    this.remove(this.members.get(old)!, fencedInstanceId(this.groupId, groupInstanceId));
  }

  private remove(member: Member, error: KafkaError): void {
    this.members.delete(member.memberId);
    member.awaitingJoin?.({ kind: 'failed', error, memberId: member.memberId });
    member.awaitingSync?.({ kind: 'failed', error });
    member.awaitingJoin = null;
    member.awaitingSync = null;
    if (this.leaderId === member.memberId) this.leaderId = null;
  }

  /** Kafka's supportsProtocols: an empty group takes anything; else the type and a common protocol. */
  private supports(protocolType: string, protocols: readonly ProtocolOffer[], memberId: string): boolean {
    const others = [...this.members.values()].filter((member) => member.memberId !== memberId);
    if (others.length === 0) return true;
    if (others.some((member) => member.protocolType !== protocolType)) return false;
    const classic = others.filter((member) => member.kind === 'classic');
    if (classic.length === 0) return protocolType === CONSUMER_PROTOCOL_TYPE;
    return protocols.some(({ name }) =>
      classic.every((member) => member.protocols.some((p) => p.name === name)),
    );
  }

  private classicMembers(): Member[] {
    return [...this.members.values()].filter((member) => member.kind === 'classic');
  }

  /** The protocols every classic member supports, in the first one's order of preference. */
  private candidateProtocols(): string[] {
    const classic = this.classicMembers();
    if (classic.length === 0) return [];
    return classic[0]!.protocols
      .map(({ name }) => name)
      .filter((name) => classic.every((member) => member.protocols.some((p) => p.name === name)));
  }

  /** Kafka's selectProtocol: each classic member votes for its preferred candidate; the most votes win. */
  private selectProtocol(): string {
    const candidates = this.candidateProtocols();
    assert(candidates.length > 0, 'the classic members share a protocol', { groupId: this.groupId });
    const votes = new Map(candidates.map((name) => [name, 0]));
    for (const member of this.classicMembers()) {
      const choice = member.protocols.find(({ name }) => votes.has(name))!;
      votes.set(choice.name, votes.get(choice.name)! + 1);
    }
    let best = candidates[0]!;
    for (const name of candidates) if (votes.get(name)! > votes.get(best)!) best = name;
    return best;
  }

  private prepareRebalance(context: MembershipContext): void {
    if (this.groupState === 'CompletingRebalance') {
      for (const member of this.members.values()) {
        member.awaitingSync?.({ kind: 'failed', error: rebalanceInProgress(this.groupId) });
        member.awaitingSync = null;
      }
    }
    if (this.groupState !== 'PreparingRebalance') {
      this.groupState = 'PreparingRebalance';
      const timeouts = this.classicMembers().map((member) => member.rebalanceTimeoutMs);
      this.rebalanceDeadlineMs = context.nowMs + Math.max(0, ...timeouts);
    }
    this.tryCompleteJoin(context);
  }

  private tryCompleteJoin(context: MembershipContext): void {
    if (this.groupState !== 'PreparingRebalance') return;
    const everyoneJoined = this.classicMembers().every((member) => member.awaitingJoin !== null);
    if (!everyoneJoined || this.pendingMembers.size > 0) {
      if (context.nowMs < this.rebalanceDeadlineMs) return;
    }
    this.completeJoin(context);
  }

  /** The join phase ends: a new generation, its protocol and leader; every waiting join is answered. */
  private completeJoin(context: MembershipContext): void {
    for (const member of this.classicMembers()) {
      // Past the deadline: the members that did not rejoin are out.
      if (member.awaitingJoin === null) this.remove(member, unknownMemberId(this.groupId, member.memberId));
    }
    this.generationId += 1;
    this.assignedPartitionCounts = this.managedPartitionCounts(context.partitionsOf);
    for (const member of this.members.values()) {
      member.assignment = [];
      member.assignmentBytes = EMPTY;
    }
    if (this.members.size === 0) {
      this.groupState = 'Empty';
      this.protocolName = null;
      this.leaderId = null;
      return;
    }
    const classic = this.classicMembers();
    this.protocolTypeName = classic[0]?.protocolType ?? CONSUMER_PROTOCOL_TYPE;
    this.protocolName = classic.length > 0 ? this.selectProtocol() : RANGE_ASSIGNOR_NAME;
    if (this.leaderId === null || !this.members.has(this.leaderId))
      this.leaderId = classic[0]?.memberId ?? null;
    if (this.protocolTypeName === CONSUMER_PROTOCOL_TYPE) {
      for (const member of classic) {
        member.topics = this.codec.decodeSubscription(this.metadataOf(member)) ?? [];
      }
    }
    this.groupState = 'CompletingRebalance';
    for (const member of classic) {
      const respond = member.awaitingJoin!;
      member.awaitingJoin = null;
      member.renewedAtMs = context.nowMs;
      respond(this.joinedAnswer(member));
    }
    if (this.leaderId === null) this.assignManaged(context.partitionsOf);
  }

  /** No classic member: the coordinator assigns (range), and the group is stable at once. */
  private assignManaged(partitionsOf: PartitionsOf): void {
    const counts = this.managedPartitionCounts(partitionsOf);
    const subscriptions = [...this.members.values()].map(({ memberId, topics }) => ({ memberId, topics }));
    const assignment = rangeAssign(subscriptions, (topic) => counts.get(topic) ?? null);
    for (const member of this.members.values()) {
      member.assignment = assignment.get(member.memberId)!;
      member.assignmentBytes = this.codec.encodeAssignment(member.assignment);
    }
    this.checkRangeAssignment(counts);
    this.groupState = 'Stable';
  }

  private setAssignment(member: Member, bytes: Uint8Array): void {
    member.assignmentBytes = Uint8Array.from(bytes);
    member.assignment =
      member.protocolType === CONSUMER_PROTOCOL_TYPE ? (this.codec.decodeAssignment(bytes) ?? []) : [];
  }

  private answerSyncs(): void {
    for (const member of this.members.values()) {
      const respond = member.awaitingSync;
      if (respond === null) continue;
      member.awaitingSync = null;
      respond(this.syncedAnswer(member));
    }
  }

  private joinedAnswer(member: Member): JoinAnswer {
    const isLeader = member.memberId === this.leaderId;
    return {
      kind: 'joined',
      generation: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocol,
      leader: this.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...this.members.values()].map((each) => ({
            memberId: each.memberId,
            groupInstanceId: each.groupInstanceId,
            metadata: this.metadataOf(each),
          }))
        : [],
    };
  }

  private syncedAnswer(member: Member): SyncAnswer {
    return {
      kind: 'synced',
      protocolType: this.protocolType,
      protocolName: this.protocol,
      assignment: member.assignmentBytes,
    };
  }

  private metadataOf(member: Member): Uint8Array {
    if (member.kind === 'managed') return this.codec.encodeSubscription(member.topics);
    return (
      member.protocols.find(({ name }) => name === this.protocolName)?.metadata ??
      member.protocols[0]?.metadata ??
      EMPTY
    );
  }

  private viewOf(member: Member): MembershipView {
    return {
      memberId: member.memberId,
      generation: this.generationId,
      // While the group rebalances a managed member owns nothing (as an eager consumer).
      assignment: this.groupState === 'Stable' ? member.assignment : [],
    };
  }

  private managedPartitionCounts(partitionsOf: PartitionsOf): Map<string, number | null> {
    const counts = new Map<string, number | null>();
    for (const member of this.members.values()) {
      if (member.kind !== 'managed') continue;
      for (const topic of member.topics) if (!counts.has(topic)) counts.set(topic, partitionsOf(topic));
    }
    return counts;
  }

  private checkRangeAssignment(counts: ReadonlyMap<string, number | null>): void {
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

function sameProtocols(left: readonly ProtocolOffer[], right: readonly ProtocolOffer[]): boolean {
  return (
    left.length === right.length &&
    left.every(
      (offer, index) =>
        offer.name === right[index]!.name && Buffer.from(offer.metadata).equals(right[index]!.metadata),
    )
  );
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
