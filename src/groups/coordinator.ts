// Kafka's group coordinator as a library: the groups of the __consumer_offsets partitions this broker
// leads, their membership (soft state, server-side range assignment) and their committed offsets (records
// in those partitions). It does no I/O itself: the partitions' logs, the clock and member ids are
// injected, and the node calls tick() for session expiry and topicsChanged() after metadata changes.
//
// Per partition: becomeCoordinator loads it (replays its log from the start to its end, then waits until
// the leader's high watermark has reached that end, so that nothing it serves can still vanish), during
// which its groups answer COORDINATOR_LOAD_IN_PROGRESS; resignCoordinator drops it (NOT_COORDINATOR from
// then on, and a load or append still in flight never touches state again). Appends apply to the cache
// in the order they were issued (which is their order in the log), each only once the storage
// acknowledged it (acks=all); a failed append changes nothing. A committed offset belongs to a topic id, not a name: it
// is served only while its topic has that id, and once the metadata shows the topic deleted (or
// re-created) it is deleted with tombstones. See README.md for the model and Kafka's rules followed.

import { assert, InvariantError } from '../../raft/assert.ts';
import { isKafkaError } from '../common/kafka-errors.ts';
import type { TopicId } from '../metadata/ids.ts';
import type { ProducerRecord } from '../storage/record-batch/record.ts';
import type { CommittedOffset, GroupApi, GroupDescription, GroupMembership, TopicPartition } from './api.ts';
import { compareStrings } from './assignor.ts';
import { ConsumerGroup, type PartitionsOf } from './consumer-group.ts';
import {
  coordinatorLoadInProgress,
  groupIdNotFound,
  invalidGroupId,
  invalidRequest,
  invalidSessionTimeout,
  nonEmptyGroup,
  notCoordinator,
  unknownMemberId,
  unknownTopicOrPartition,
} from './errors.ts';
import { partitionForGroup } from './group-partition.ts';
import type {
  ClassicJoinRequest,
  ConsumerProtocolCodec,
  JoinAnswer,
  MembershipContext,
  MemberView,
  SyncAnswer,
} from './membership.ts';
import {
  decodeGroupRecords,
  type GroupRecord,
  groupRecordBatch,
  type OffsetCommitKey,
  type OffsetCommitValue,
  offsetCommitRecord,
} from './offset-records.ts';

/** The __consumer_offsets partitions' logs, as the replication layer offers them to their leader. */
export interface GroupStorage {
  /**
   * Whole batches from `fromOffset` on (an offset below the log start reads from the log start);
   * `records` is empty at the end of the log. `nextOffset`: where the next read continues.
   */
  read(
    partition: number,
    fromOffset: number,
  ): Promise<{ readonly records: Buffer; readonly nextOffset: number; readonly logEndOffset: number }>;
  /**
   * Appends one batch with acks=all. Rejects with a KafkaError (NOT_LEADER_OR_FOLLOWER,
   * NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, ...). Batches are placed in the log in call order.
   */
  append(partition: number, batch: Buffer): Promise<void>;
  /**
   * Resolves once this broker's high watermark of the partition, as its leader, is at least `offset`:
   * every record below `offset` is on every ISR member and can no longer be truncated. Rejects with
   * NOT_LEADER_OR_FOLLOWER when this broker does not (or no longer) lead it, and with REQUEST_TIMED_OUT
   * after the storage's own deadline (the caller may wait again).
   */
  waitForHighWatermark(partition: number, offset: number): Promise<void>;
}

export interface GroupLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface GroupCoordinatorOptions {
  /** This broker: the coordinator describe() names. */
  readonly brokerId: number;
  /** Partitions of __consumer_offsets (offsets.topic.num.partitions); never changes for a cluster. */
  readonly numPartitions: number;
  readonly storage: GroupStorage;
  readonly nowMs: () => number;
  /** A fresh, unique member id for a client (Kafka: `${clientId}-${uuid}`). */
  readonly newMemberId: (clientId: string) => string;
  /** group.min.session.timeout.ms and group.max.session.timeout.ms (inclusive). */
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** A topic's partition count in the committed metadata, null when there is no such topic. */
  readonly partitionsOf: PartitionsOf;
  /** A topic's id in the committed metadata, null when there is no such topic. */
  readonly topicIdOf: (topic: string) => TopicId | null;
  /**
   * The leader epoch of __consumer_offsets `partition` in this node's image, null when this node does not
   * lead it there; checks the epoch a forwarded OffsetFetch carries. Absent: not checked (tests).
   */
  readonly offsetsLeaderEpochOf?: (partition: number) => number | null;
  /** Kafka's ConsumerProtocol, which the coordinator speaks for the members it manages (REST consumers). */
  readonly consumerProtocol: ConsumerProtocolCodec;
  readonly logger?: GroupLogger;
}

/** A group as Kafka's DescribeGroups and ListGroups show it. */
export interface ProtocolGroupDescription {
  readonly groupId: string;
  readonly state: GroupDescription['state'];
  readonly protocolType: string;
  readonly protocol: string;
  readonly members: readonly MemberView[];
}

export type LoadOutcome =
  | { readonly status: 'loaded'; readonly groups: number; readonly records: number }
  /** Resigned meanwhile: nothing of the load was kept. */
  | { readonly status: 'abandoned' }
  /** The read failed or a record is unreadable: the partition is dropped (NOT_COORDINATOR); retry. */
  | { readonly status: 'failed'; readonly error: unknown };

interface HostedPartition {
  readonly partition: number;
  status: 'loading' | 'loaded';
  readonly groups: Map<string, ConsumerGroup>;
  /** Settles once every append issued so far has been applied or has failed. */
  appendTail: Promise<void>;
  /**
   * Appends issued and not settled yet, per offset key (writeKey): the deletion of a deleted topic's
   * offsets skips such a key, since a tombstone issued now would land after the write in flight.
   */
  readonly writesInFlight: Map<string, number>;
  outcome: Promise<LoadOutcome>;
}

type CommitRequest = Parameters<GroupApi['commit']>[0];
type OffsetToCommit = CommitRequest['offsets'][number];

export class GroupCoordinator implements GroupApi {
  private readonly options: GroupCoordinatorOptions;
  private readonly partitions = new Map<number, HostedPartition>();

  constructor(options: GroupCoordinatorOptions) {
    assert(Number.isSafeInteger(options.numPartitions) && options.numPartitions > 0, 'numPartitions > 0', {
      numPartitions: options.numPartitions,
    });
    assert(options.minSessionTimeoutMs <= options.maxSessionTimeoutMs, 'min <= max session timeout', {
      min: options.minSessionTimeoutMs,
      max: options.maxSessionTimeoutMs,
    });
    this.options = options;
  }

  /** The __consumer_offsets partition of `groupId`; its leader coordinates the group. */
  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.options.numPartitions);
  }

  /**
   * This broker now leads `partition`: loads its groups. Resolves when the load ends (see LoadOutcome).
   * Idempotent while the partition is loading or loaded.
   */
  becomeCoordinator(partition: number): Promise<LoadOutcome> {
    assert(
      Number.isInteger(partition) && partition >= 0 && partition < this.options.numPartitions,
      'partition',
      {
        partition,
      },
    );
    const existing = this.partitions.get(partition);
    if (existing !== undefined) return existing.outcome;
    const hosted: HostedPartition = {
      partition,
      status: 'loading',
      groups: new Map(),
      appendTail: Promise.resolve(),
      writesInFlight: new Map(),
      outcome: Promise.resolve({ status: 'abandoned' }),
    };
    this.partitions.set(partition, hosted);
    hosted.outcome = this.load(hosted);
    return hosted.outcome;
  }

  /** This broker no longer leads `partition`: forgets its groups (a load in progress is abandoned). */
  resignCoordinator(partition: number): void {
    const hosted = this.partitions.get(partition);
    if (hosted === undefined) return;
    this.partitions.delete(partition);
    for (const group of hosted.groups.values()) {
      group.membership.abandon(notCoordinator(group.groupId));
    }
    this.options.logger?.info({ partition, groups: hosted.groups.size }, 'resigned as group coordinator');
  }

  isLoaded(partition: number): boolean {
    return this.partitions.get(partition)?.status === 'loaded';
  }

  /** Expires the members whose session lapsed (each group that lost one starts a new generation). */
  tick(): void {
    const nowMs = this.options.nowMs();
    for (const hosted of this.loadedPartitions()) {
      for (const group of [...hosted.groups.values()]) {
        const expired = group.expire(this.context(nowMs, ''));
        if (expired.length === 0) continue;
        this.options.logger?.info(
          { groupId: group.groupId, expired, generation: group.generation },
          'member sessions expired',
        );
        this.forgetIfEmpty(hosted, group.groupId);
      }
    }
  }

  /**
   * The topics' metadata changed: groups subscribed to a topic whose size changed rebalance, and the
   * offsets of topics deleted (or re-created under a new id) are deleted.
   */
  topicsChanged(): void {
    for (const hosted of this.loadedPartitions()) {
      for (const group of hosted.groups.values()) {
        if (group.topicsChanged(this.context(this.options.nowMs(), ''))) {
          this.options.logger?.info(
            { groupId: group.groupId, generation: group.generation },
            'subscribed topics changed: new generation',
          );
        }
      }
      this.deleteOffsetsOfDeletedTopics(hosted);
    }
  }

  async join(request: Parameters<GroupApi['join']>[0]): Promise<GroupMembership> {
    const { groupId } = request;
    const hosted = this.hostedFor(groupId);
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.options;
    const sessionTimeoutMs = request.sessionTimeoutMs;
    if (sessionTimeoutMs < minSessionTimeoutMs || sessionTimeoutMs > maxSessionTimeoutMs) {
      throw invalidSessionTimeout(sessionTimeoutMs, minSessionTimeoutMs, maxSessionTimeoutMs);
    }
    let group = hosted.groups.get(groupId);
    if (group === undefined) {
      if (request.memberId !== null) throw unknownMemberId(groupId, request.memberId);
      group = this.newGroup(groupId);
      hosted.groups.set(groupId, group);
    }
    const generationBefore = group.generation;
    const membership = group.join(request, this.context(this.options.nowMs(), request.clientId));
    if (membership.generation !== generationBefore) {
      this.options.logger?.info(
        { groupId, memberId: membership.memberId, topics: request.topics, generation: membership.generation },
        request.memberId === null ? 'member joined' : 'member changed its subscription',
      );
    }
    return membership;
  }

  async heartbeat(request: {
    readonly groupId: string;
    readonly memberId: string;
  }): Promise<GroupMembership> {
    const group = this.hostedFor(request.groupId).groups.get(request.groupId);
    if (group === undefined) throw unknownMemberId(request.groupId, request.memberId);
    return group.heartbeat(request.memberId, this.options.nowMs());
  }

  /**
   * JoinGroup (Kafka's classic protocol): resolves when the join phase of the rebalance it takes part in
   * completes, or at once with an error (MEMBER_ID_REQUIRED carries the member's new id).
   */
  async joinClassic(groupId: string, request: ClassicJoinRequest): Promise<JoinAnswer> {
    const hosted = this.hostedFor(groupId);
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.options;
    if (request.sessionTimeoutMs < minSessionTimeoutMs || request.sessionTimeoutMs > maxSessionTimeoutMs) {
      throw invalidSessionTimeout(request.sessionTimeoutMs, minSessionTimeoutMs, maxSessionTimeoutMs);
    }
    let group = hosted.groups.get(groupId);
    if (group === undefined) {
      if (request.memberId !== '') throw unknownMemberId(groupId, request.memberId);
      group = this.newGroup(groupId);
      hosted.groups.set(groupId, group);
    }
    const joined = group;
    const generationBefore = joined.generation;
    const answer = await new Promise<JoinAnswer>((resolve) => {
      joined.joinClassic(request, this.context(this.options.nowMs(), request.clientId), resolve);
    });
    if (answer.kind === 'joined' && answer.generation !== generationBefore) {
      this.options.logger?.info(
        { groupId, memberId: answer.memberId, generation: answer.generation, protocol: answer.protocolName },
        'rebalance: join phase completed',
      );
    }
    this.forgetIfEmpty(hosted, groupId);
    return answer;
  }

  /** SyncGroup: resolves with the member's assignment once the leader sent the generation's. */
  async sync(groupId: string, request: Parameters<ConsumerGroup['sync']>[0]): Promise<SyncAnswer> {
    const group = this.hostedFor(groupId).groups.get(groupId);
    if (group === undefined) throw unknownMemberId(groupId, request.memberId);
    return new Promise<SyncAnswer>((resolve) => {
      group.sync(request, this.options.nowMs(), resolve);
    });
  }

  /** Heartbeat of a classic member: REBALANCE_IN_PROGRESS tells it to rejoin. */
  async heartbeatClassic(groupId: string, memberId: string, generation: number): Promise<void> {
    const group = this.hostedFor(groupId).groups.get(groupId);
    if (group === undefined) throw unknownMemberId(groupId, memberId);
    group.heartbeatClassic(memberId, generation, this.options.nowMs());
  }

  /** The member id of a static member (LeaveGroup v3+ may name a member by its instance id only). */
  memberOfInstance(groupId: string, groupInstanceId: string): string | null {
    return this.hostedFor(groupId).groups.get(groupId)?.membership.memberOfInstance(groupInstanceId) ?? null;
  }

  /** DescribeGroups: members with their metadata and assignment bytes; Dead for an unknown group. */
  describeProtocol(groupId: string): ProtocolGroupDescription {
    const group = this.hostedFor(groupId).groups.get(groupId);
    if (group === undefined) return { groupId, state: 'Dead', protocolType: '', protocol: '', members: [] };
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType,
      protocol: group.membership.protocol,
      members: group.describeMembers(),
    };
  }

  /** ListGroups: the groups of the partitions loaded here, with their protocol types. */
  listProtocol(): {
    readonly groupId: string;
    readonly state: GroupDescription['state'];
    readonly protocolType: string;
  }[] {
    const groups: { groupId: string; state: GroupDescription['state']; protocolType: string }[] = [];
    for (const hosted of this.loadedPartitions()) {
      for (const group of hosted.groups.values()) {
        groups.push({ groupId: group.groupId, state: group.state, protocolType: group.protocolType });
      }
    }
    return groups.sort((left, right) => compareStrings(left.groupId, right.groupId));
  }

  /** Whether `partition` of __consumer_offsets is led and loaded here: this broker coordinates its groups. */
  coordinates(groupId: string): boolean {
    return this.partitions.get(this.partitionFor(groupId))?.status === 'loaded';
  }

  async leave(request: { readonly groupId: string; readonly memberId: string }): Promise<void> {
    const { groupId, memberId } = request;
    const hosted = this.hostedFor(groupId);
    const group = hosted.groups.get(groupId);
    if (group === undefined) throw unknownMemberId(groupId, memberId);
    group.leave(memberId, this.context(this.options.nowMs(), ''));
    this.options.logger?.info({ groupId, memberId, generation: group.generation }, 'member left');
    this.forgetIfEmpty(hosted, groupId);
  }

  async commit(request: CommitRequest): Promise<void> {
    const { groupId, memberId, generation, offsets } = request;
    const hosted = this.hostedFor(groupId);
    const group = hosted.groups.get(groupId);
    if (group !== undefined) group.validateCommit(memberId, generation);
    else if (memberId !== null || generation >= 0) throw unknownMemberId(groupId, memberId);
    const topicIds = offsets.map((entry) => this.validateOffset(entry));
    if (offsets.length === 0) return;
    const commitTimestampMs = this.options.nowMs();
    const commits = offsets.map(({ topic, partition, offset, metadata }, index) => ({
      key: { groupId, topic, partition },
      value: { offset, metadata, commitTimestampMs, topicId: topicIds[index]! },
    }));
    const records = commits.map(({ key, value }) => offsetCommitRecord(key, value, commitTimestampMs));
    const keys = commits.map(({ key }) => key);
    await this.appendInOrder(hosted, groupId, keys, records, (groups) => {
      const target = groups.get(groupId) ?? this.newGroup(groupId);
      groups.set(groupId, target);
      for (const { key, value } of commits) target.applyOffset(key.topic, key.partition, value);
      // The topic was deleted while the commit was in flight: its offsets go the way of the others.
      if (commits.some(({ key, value }) => !this.belongsToCurrentTopic(key.topic, value))) {
        this.deleteOffsetsOfDeletedTopics(hosted);
      }
    });
  }

  async fetchOffsets(request: {
    readonly groupId: string;
    readonly partitions: readonly TopicPartition[] | null;
    readonly coordinatorEpoch?: number;
  }): Promise<CommittedOffset[]> {
    const hosted = this.hostedFor(request.groupId);
    const expected = request.coordinatorEpoch;
    const known = this.options.offsetsLeaderEpochOf?.(hosted.partition);
    // The forwarding node, caught up with the quorum, saw a newer leadership than this node knows of:
    // this cache may lack commits acknowledged since (whole-cluster simulation, seed 753 --kafka-groups).
    if (expected !== undefined && known !== undefined && (known === null || known < expected))
      throw notCoordinator(request.groupId);
    const group = hosted.groups.get(request.groupId);
    // An offset of a deleted topic may wait for its tombstone here (or have missed it, deleted while
    // no coordinator had the partition loaded): never served for the topic that now has its name.
    const belongs = (topic: string, value: OffsetCommitValue) => this.belongsToCurrentTopic(topic, value);
    if (request.partitions === null) return group?.committedOffsets(belongs) ?? [];
    return request.partitions.map(({ topic, partition }) => {
      const recorded = group?.committed(topic, partition) ?? null;
      const committed = recorded !== null && belongs(topic, recorded) ? recorded : null;
      return { topic, partition, offset: committed?.offset ?? -1, metadata: committed?.metadata ?? '' };
    });
  }

  /** The groups of the partitions loaded here (a partition still loading lists nothing yet). */
  async list(): Promise<{ readonly groupId: string; readonly state: GroupDescription['state'] }[]> {
    const groups: { groupId: string; state: GroupDescription['state'] }[] = [];
    for (const hosted of this.loadedPartitions()) {
      for (const group of hosted.groups.values()) groups.push({ groupId: group.groupId, state: group.state });
    }
    return groups.sort((left, right) => compareStrings(left.groupId, right.groupId));
  }

  async describe(groupId: string): Promise<GroupDescription> {
    const group = this.hostedFor(groupId).groups.get(groupId);
    if (group !== undefined) return group.describe(this.options.brokerId);
    // As Kafka's DescribeGroups of an unknown group: Dead, no protocol, no members.
    return {
      groupId,
      state: 'Dead',
      generation: 0,
      coordinator: this.options.brokerId,
      members: [],
      partitionAssignor: '',
    };
  }

  async deleteGroup(groupId: string): Promise<void> {
    const hosted = this.hostedFor(groupId);
    const group = hosted.groups.get(groupId);
    if (group === undefined) throw groupIdNotFound(groupId);
    if (group.memberCount > 0) throw nonEmptyGroup(groupId);
    const offsets = group.committedOffsets();
    assert(offsets.length > 0, 'a group without members is kept only for its offsets', { groupId });
    const nowMs = this.options.nowMs();
    const keys = offsets.map(({ topic, partition }) => ({ groupId, topic, partition }));
    const records = keys.map((key) => offsetCommitRecord(key, null, nowMs));
    await this.appendInOrder(hosted, groupId, keys, records, (groups) => {
      const target = groups.get(groupId);
      if (target === undefined) return;
      for (const { topic, partition } of offsets) target.applyOffset(topic, partition, null);
    });
    this.options.logger?.info({ groupId, offsets: offsets.length }, 'group deleted');
  }

  private newGroup(groupId: string): ConsumerGroup {
    return new ConsumerGroup(groupId, this.options.consumerProtocol);
  }

  private context(nowMs: number, clientId: string): MembershipContext {
    return {
      nowMs,
      newMemberId: () => this.options.newMemberId(clientId),
      partitionsOf: this.options.partitionsOf,
    };
  }

  /** The loaded partition holding `groupId`, or the error Kafka answers for it. */
  private hostedFor(groupId: string): HostedPartition {
    if (groupId === '') throw invalidGroupId();
    const hosted = this.partitions.get(this.partitionFor(groupId));
    if (hosted === undefined) throw notCoordinator(groupId);
    if (hosted.status === 'loading') throw coordinatorLoadInProgress(groupId);
    return hosted;
  }

  private *loadedPartitions(): Generator<HostedPartition> {
    for (const hosted of this.partitions.values()) if (hosted.status === 'loaded') yield hosted;
  }

  private forgetIfEmpty(hosted: HostedPartition, groupId: string): void {
    if (hosted.groups.get(groupId)?.isForgettable === true) hosted.groups.delete(groupId);
  }

  /** Checks one offset of a commit; the id of its topic, which the commit records. */
  private validateOffset({ topic, partition, offset }: OffsetToCommit): TopicId {
    if (!Number.isInteger(partition) || partition < 0) {
      throw invalidRequest(`partition ${partition} of topic ${topic}`);
    }
    // Kafka's clients refuse to send a negative offset (OffsetAndMetadata: "Invalid negative offset");
    // the broker has no error of its own for it. INVALID_REQUEST says "malformed request", which it is:
    // OFFSET_OUT_OF_RANGE would tell a consumer to reset its position, which is not what happened.
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw invalidRequest(`offset ${offset} of ${topic}-${partition}: offsets are >= 0`);
    }
    // As KafkaApis.handleOffsetCommitRequest: a partition that does not exist is refused.
    const partitionsCount = this.options.partitionsOf(topic);
    const topicId = this.options.topicIdOf(topic);
    if (partitionsCount === null || topicId === null || partition >= partitionsCount)
      throw unknownTopicOrPartition(topic, partition);
    return topicId;
  }

  /** Whether a committed offset belongs to the topic that has `topic`'s name now. */
  private belongsToCurrentTopic(topic: string, value: OffsetCommitValue): boolean {
    return value.topicId !== null && value.topicId === this.options.topicIdOf(topic);
  }

  /**
   * Kafka's onPartitionsDeleted: the offsets whose topic is gone (deleted, or re-created under a new
   * id) are deleted with tombstones, one batch per group, and leave the cache once it is appended. A
   * key with a write in flight is left for a later call: the tombstone would land after that write. A
   * failed append leaves the offsets in the cache (fetchOffsets hides them); the next metadata change
   * or load tries again.
   *
   * Sound only if this coordinator's image is at least as new as the one the commit was accepted with:
   * then an id that differs from the current one is an id that was deleted (ids are never reused).
   * Leadership of the partition moves through the metadata log, so a later leader's image includes the
   * earlier leader's; a node must not act on its image before it caught up with the quorum (issue 6,
   * finding 1).
   */
  private deleteOffsetsOfDeletedTopics(hosted: HostedPartition): void {
    for (const group of [...hosted.groups.values()]) {
      const { groupId } = group;
      const keys = group
        .committedValues()
        .filter(
          ({ topic, partition, value }) =>
            !this.belongsToCurrentTopic(topic, value) &&
            !hosted.writesInFlight.has(writeKey({ groupId, topic, partition })),
        )
        .map(({ topic, partition }) => ({ groupId, topic, partition }));
      if (keys.length === 0) continue;
      const nowMs = this.options.nowMs();
      const records = keys.map((key) => offsetCommitRecord(key, null, nowMs));
      const partitions = keys.map(({ topic, partition }) => `${topic}-${partition}`);
      this.options.logger?.info({ groupId, partitions }, 'deleting the committed offsets of deleted topics');
      this.appendInOrder(hosted, groupId, keys, records, (groups) => {
        const target = groups.get(groupId);
        for (const { topic, partition } of keys) target?.applyOffset(topic, partition, null);
      }).catch((error: unknown) => {
        this.options.logger?.warn(
          { groupId, partitions, error: String(error) },
          'could not delete the committed offsets of deleted topics (tried again on the next metadata change)',
        );
      });
    }
  }

  /**
   * Appends one batch of `records` of `groupId` (issued now, so in call order) and, once it is
   * acknowledged and every earlier append has settled, applies it with `apply` — unless the partition was resigned
   * meanwhile (the next load reads it from the log instead).
   */
  private appendInOrder(
    hosted: HostedPartition,
    groupId: string,
    keys: readonly OffsetCommitKey[],
    records: readonly ProducerRecord[],
    apply: (groups: Map<string, ConsumerGroup>) => void,
  ): Promise<void> {
    const batch = groupRecordBatch(records);
    const inFlight = keys.map(writeKey);
    for (const key of inFlight) hosted.writesInFlight.set(key, (hosted.writesInFlight.get(key) ?? 0) + 1);
    // In the same step as the apply: no deletion may see the key free while the cache lacks the write.
    const settled = () => {
      for (const key of inFlight) {
        const count = hosted.writesInFlight.get(key)!;
        if (count > 1) hosted.writesInFlight.set(key, count - 1);
        else hosted.writesInFlight.delete(key);
      }
    };
    const appended = (async () => this.options.storage.append(hosted.partition, batch))();
    appended.catch(() => undefined); // observed below, possibly after an earlier append settles
    const applied = hosted.appendTail
      .then(() => appended)
      .then(
        () => {
          settled();
          if (this.partitions.get(hosted.partition) !== hosted) return;
          apply(hosted.groups);
          this.forgetIfEmpty(hosted, groupId);
        },
        (error: unknown) => {
          settled();
          throw error;
        },
      );
    hosted.appendTail = applied.catch(() => undefined);
    return applied;
  }

  private async load(hosted: HostedPartition): Promise<LoadOutcome> {
    const { partition } = hosted;
    let records = 0;
    try {
      let fromOffset = 0;
      let loadedEndOffset = 0;
      for (;;) {
        const chunk = await this.options.storage.read(partition, fromOffset);
        if (this.partitions.get(partition) !== hosted) return { status: 'abandoned' };
        for (const record of decodeGroupRecords(chunk.records)) {
          this.replay(hosted, record);
          records++;
        }
        loadedEndOffset = Math.max(loadedEndOffset, chunk.nextOffset);
        if (chunk.records.length === 0 || chunk.nextOffset >= chunk.logEndOffset) break;
        assert(chunk.nextOffset > fromOffset, 'a read of a non-empty chunk moves forward', {
          partition,
          fromOffset,
          nextOffset: chunk.nextOffset,
        });
        fromOffset = chunk.nextOffset;
      }
      if (!(await this.waitUntilCommitted(hosted, loadedEndOffset))) return { status: 'abandoned' };
    } catch (error) {
      if (error instanceof InvariantError) throw error;
      if (this.partitions.get(partition) !== hosted) return { status: 'abandoned' };
      this.partitions.delete(partition);
      this.options.logger?.warn({ partition, error: String(error) }, 'loading group partition failed');
      return { status: 'failed', error };
    }
    for (const groupId of [...hosted.groups.keys()]) this.forgetIfEmpty(hosted, groupId);
    hosted.status = 'loaded';
    this.options.logger?.info({ partition, groups: hosted.groups.size, records }, 'group partition loaded');
    const groups = hosted.groups.size;
    // Topics deleted while no coordinator had this partition loaded.
    this.deleteOffsetsOfDeletedTopics(hosted);
    return { status: 'loaded', groups, records };
  }

  /**
   * Waits until the leader's high watermark reaches `endOffset`, the end of what the load replayed. The
   * log end of a new leader may hold commits that only some ISR members have: served now, they could
   * vanish with the next leader change (a committed offset going backwards). While this broker leads,
   * its log below the end is not truncated, so once the high watermark is there everything replayed is
   * committed. False when the partition was resigned meanwhile.
   */
  private async waitUntilCommitted(hosted: HostedPartition, endOffset: number): Promise<boolean> {
    const { partition } = hosted;
    for (;;) {
      try {
        await this.options.storage.waitForHighWatermark(partition, endOffset);
        return this.partitions.get(partition) === hosted;
      } catch (error) {
        if (this.partitions.get(partition) !== hosted) return false;
        if (!isKafkaError(error, 'REQUEST_TIMED_OUT')) throw error;
        // An ISR member is slow or gone: the ISR shrinks (or it catches up) and the wait ends; until
        // then the groups answer COORDINATOR_LOAD_IN_PROGRESS, which clients retry.
        this.options.logger?.warn(
          { partition, endOffset },
          'group partition loaded; still waiting for the high watermark to reach its end',
        );
      }
    }
  }

  private replay(hosted: HostedPartition, record: GroupRecord): void {
    if (record.kind === 'unknown') return;
    const { groupId, topic, partition } = record.key;
    if (this.partitionFor(groupId) !== hosted.partition) {
      this.options.logger?.warn(
        { partition: hosted.partition, groupId },
        'skipped an offset record of a group that belongs to another partition',
      );
      return;
    }
    let group = hosted.groups.get(groupId);
    if (group === undefined) {
      if (record.value === null) return;
      group = this.newGroup(groupId);
      hosted.groups.set(groupId, group);
    }
    // A record written before commits recorded their topic id: taken to be the topic of that name now.
    const value =
      record.value === null || record.value.topicId !== null
        ? record.value
        : { ...record.value, topicId: this.options.topicIdOf(topic) };
    group.applyOffset(topic, partition, value);
    if (group.isForgettable) hosted.groups.delete(groupId);
  }
}

/** An offset's key as a map key: group, topic and partition. */
function writeKey({ groupId, topic, partition }: OffsetCommitKey): string {
  return JSON.stringify([groupId, topic, partition]);
}
