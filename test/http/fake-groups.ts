// An in-memory GroupApi for tests, honest to the contract in src/http/ports.ts and to Kafka's group
// coordinator where the contract leaves room:
// - members join (memberId null: a new id `${clientId}-${uuid}`) or update their subscription; every change
//   of membership or subscriptions starts a new generation, and the range assignor (Kafka's RangeAssignor:
//   per topic, members subscribed to it sorted by id, the first `n % m` get one partition more) assigns the
//   partitions the metadata image has; a change of partition counts in the image also starts one;
// - heartbeats keep a member's session; a member silent for longer than its session timeout (measured on
//   the injectable clock `now`) is removed, lazily, at the next call that looks at its group;
// - commits: a member names its generation (UNKNOWN_MEMBER_ID for a member the group does not have,
//   ILLEGAL_GENERATION for another generation); memberId null with generation -1 commits only for a group
//   without members (Kafka: UNKNOWN_MEMBER_ID otherwise);
// - describe of an unknown group is state Dead; deleteGroup: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP;
// - failure injection: `failure` fails every call, `failNext(method, error)` one call of a method.

import { randomUUID } from 'node:crypto';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type {
  CommittedOffset,
  GroupApi,
  GroupDescription,
  GroupMembership,
  TopicPartition,
} from '../../src/http/ports.ts';
import { partitionId } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { topicByName } from '../../src/metadata/queries.ts';

/** Kafka's group.min.session.timeout.ms and group.max.session.timeout.ms defaults. */
export const MIN_SESSION_TIMEOUT_MS = 6000;
export const MAX_SESSION_TIMEOUT_MS = 1_800_000;
export const RANGE_ASSIGNOR = 'range';

export type GroupMethod = keyof GroupApi;

interface Member {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  topics: readonly string[];
  sessionTimeoutMs: number;
  lastSeen: number;
  assignment: readonly TopicPartition[];
}

interface Group {
  readonly groupId: string;
  generation: number;
  /** Subscribed topic -> partition count the current assignment was computed with. */
  partitionCounts: Map<string, number>;
  readonly members: Map<string, Member>;
  /** `${topic}\u0000${partition}` -> committed offset. */
  readonly offsets: Map<string, CommittedOffset>;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class FakeGroups implements GroupApi {
  /** When set, every call fails with it. */
  failure: KafkaError | null = null;
  /** The clock of sessions; tests move it. */
  now: () => number;
  /** The broker named as every group's coordinator. */
  coordinator = 1;
  /** Every call, in order: its method and request. */
  readonly calls: { readonly method: GroupMethod; readonly request: unknown }[] = [];
  readonly #image: () => MetadataImage;
  readonly #groups = new Map<string, Group>();
  readonly #failNext = new Map<GroupMethod, KafkaError[]>();

  constructor(image: () => MetadataImage, options: { now?: () => number } = {}) {
    this.#image = image;
    this.now = options.now ?? Date.now;
  }

  /** The next call of `method` fails with `error` (several calls queue up). */
  failNext(method: GroupMethod, error: KafkaError): void {
    const queue = this.#failNext.get(method) ?? [];
    queue.push(error);
    this.#failNext.set(method, queue);
  }

  /** The group's members' ids (tests look at membership directly). */
  memberIds(groupId: string): string[] {
    const group = this.#groups.get(groupId);
    if (group === undefined) return [];
    this.#refresh(group);
    return [...group.members.keys()].sort();
  }

  #enter(method: GroupMethod, request: unknown): void {
    this.calls.push({ method, request });
    if (this.failure !== null) throw this.failure;
    const queued = this.#failNext.get(method)?.shift();
    if (queued !== undefined) throw queued;
  }

  #group(groupId: string): Group {
    let group = this.#groups.get(groupId);
    if (group === undefined) {
      group = {
        groupId,
        generation: 0,
        partitionCounts: new Map(),
        members: new Map(),
        offsets: new Map(),
      };
      this.#groups.set(groupId, group);
    }
    return group;
  }

  #partitionCount(topic: string): number {
    return topicByName(this.#image(), topic)?.partitions.size ?? 0;
  }

  /** Expires silent members; starts a new generation when membership or partition counts changed. */
  #refresh(group: Group): void {
    const now = this.now();
    let changed = false;
    for (const member of [...group.members.values()]) {
      if (now - member.lastSeen > member.sessionTimeoutMs) {
        group.members.delete(member.memberId);
        changed = true;
      }
    }
    if (!changed) {
      for (const [topic, count] of group.partitionCounts) {
        if (this.#partitionCount(topic) !== count) changed = true;
      }
    }
    if (changed) this.#rebalance(group);
  }

  /** A new generation: Kafka's RangeAssignor over every member's subscription. */
  #rebalance(group: Group): void {
    group.generation += 1;
    const members = [...group.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    const assignments = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    group.partitionCounts = new Map();
    for (const topic of topics) {
      const count = this.#partitionCount(topic);
      group.partitionCounts.set(topic, count);
      const consumers = members.filter((m) => m.topics.includes(topic));
      const per = Math.floor(count / consumers.length);
      const extra = count % consumers.length;
      consumers.forEach((member, i) => {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++)
          assignments.get(member.memberId)!.push({ topic, partition: p });
      });
    }
    for (const member of members) member.assignment = assignments.get(member.memberId)!;
  }

  #membership(group: Group, member: Member): GroupMembership {
    return { memberId: member.memberId, generation: group.generation, assignment: [...member.assignment] };
  }

  #member(group: Group | undefined, memberId: string): Member {
    const member = group?.members.get(memberId);
    if (member === undefined) {
      throw new KafkaError('UNKNOWN_MEMBER_ID', `The coordinator is not aware of this member.`);
    }
    return member;
  }

  async join(request: Parameters<GroupApi['join']>[0]): Promise<GroupMembership> {
    this.#enter('join', request);
    if (request.groupId === '')
      throw new KafkaError('INVALID_GROUP_ID', 'The configured groupId is invalid.');
    if (
      request.sessionTimeoutMs < MIN_SESSION_TIMEOUT_MS ||
      request.sessionTimeoutMs > MAX_SESSION_TIMEOUT_MS
    ) {
      throw new KafkaError(
        'INVALID_SESSION_TIMEOUT',
        'The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).',
      );
    }
    const group = this.#group(request.groupId);
    this.#refresh(group);
    const topics = [...new Set(request.topics)].sort();
    if (request.memberId === null) {
      const member: Member = {
        memberId: `${request.clientId}-${randomUUID()}`,
        clientId: request.clientId,
        host: request.host,
        topics,
        sessionTimeoutMs: request.sessionTimeoutMs,
        lastSeen: this.now(),
        assignment: [],
      };
      group.members.set(member.memberId, member);
      this.#rebalance(group);
      return this.#membership(group, member);
    }
    const member = this.#member(group, request.memberId);
    member.lastSeen = this.now();
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    if (topics.join('\u0000') !== member.topics.join('\u0000')) {
      member.topics = topics;
      this.#rebalance(group);
    }
    return this.#membership(group, member);
  }

  async heartbeat(request: { groupId: string; memberId: string }): Promise<GroupMembership> {
    this.#enter('heartbeat', request);
    const group = this.#groups.get(request.groupId);
    if (group !== undefined) this.#refresh(group);
    const member = this.#member(group, request.memberId);
    member.lastSeen = this.now();
    return this.#membership(group!, member);
  }

  async leave(request: { groupId: string; memberId: string }): Promise<void> {
    this.#enter('leave', request);
    const group = this.#groups.get(request.groupId);
    if (group !== undefined) this.#refresh(group);
    this.#member(group, request.memberId);
    group!.members.delete(request.memberId);
    this.#rebalance(group!);
  }

  async commit(request: Parameters<GroupApi['commit']>[0]): Promise<void> {
    this.#enter('commit', request);
    const existing = this.#groups.get(request.groupId);
    if (existing !== undefined) this.#refresh(existing);
    if (request.memberId === null || request.generation < 0) {
      if (existing !== undefined && existing.members.size > 0) {
        throw new KafkaError('UNKNOWN_MEMBER_ID', 'The coordinator is not aware of this member.');
      }
    } else {
      const member = this.#member(existing, request.memberId);
      if (request.generation !== existing!.generation) {
        throw new KafkaError('ILLEGAL_GENERATION', 'Specified group generation id is not valid.');
      }
      member.lastSeen = this.now();
    }
    for (const offset of request.offsets) {
      const topic = topicByName(this.#image(), offset.topic);
      if (
        topic === undefined ||
        !Number.isInteger(offset.partition) ||
        offset.partition < 0 ||
        !topic.partitions.has(partitionId(offset.partition))
      ) {
        throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
      }
    }
    const group = this.#group(request.groupId);
    for (const offset of request.offsets) {
      group.offsets.set(key(offset.topic, offset.partition), { ...offset });
    }
  }

  async fetchOffsets(request: {
    groupId: string;
    partitions: readonly TopicPartition[] | null;
  }): Promise<CommittedOffset[]> {
    this.#enter('fetchOffsets', request);
    const group = this.#groups.get(request.groupId);
    if (request.partitions === null) {
      return [...(group?.offsets.values() ?? [])]
        .map((offset) => ({ ...offset }))
        .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    }
    return request.partitions.map(
      (tp) =>
        group?.offsets.get(key(tp.topic, tp.partition)) ?? {
          topic: tp.topic,
          partition: tp.partition,
          offset: -1,
          metadata: '',
        },
    );
  }

  async list(): Promise<{ groupId: string; state: GroupDescription['state'] }[]> {
    this.#enter('list', null);
    return [...this.#groups.values()]
      .map((group) => {
        this.#refresh(group);
        return {
          groupId: group.groupId,
          state: group.members.size > 0 ? ('Stable' as const) : ('Empty' as const),
        };
      })
      .sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  async describe(groupId: string): Promise<GroupDescription> {
    this.#enter('describe', groupId);
    const group = this.#groups.get(groupId);
    if (group === undefined) {
      return {
        groupId,
        state: 'Dead',
        generation: -1,
        coordinator: this.coordinator,
        members: [],
        partitionAssignor: '',
      };
    }
    this.#refresh(group);
    return {
      groupId,
      state: group.members.size > 0 ? 'Stable' : 'Empty',
      generation: group.generation,
      coordinator: this.coordinator,
      members: [...group.members.values()]
        .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
        .map((member) => ({
          memberId: member.memberId,
          clientId: member.clientId,
          host: member.host,
          assignment: [...member.assignment],
        })),
      partitionAssignor: group.members.size > 0 ? RANGE_ASSIGNOR : '',
    };
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.#enter('deleteGroup', groupId);
    const group = this.#groups.get(groupId);
    if (group === undefined) throw new KafkaError('GROUP_ID_NOT_FOUND', 'The group id does not exist.');
    this.#refresh(group);
    if (group.members.size > 0) throw new KafkaError('NON_EMPTY_GROUP', 'The group is not empty.');
    this.#groups.delete(groupId);
  }
}
