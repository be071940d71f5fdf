// One REST v2 consumer instance (Confluent REST Proxy v2 semantics): a subscription (topics or a pattern,
// through GroupApi.join: server-side range assignment) or a manual assignment, never both; a position per
// assigned partition (an explicit seek, else the group's committed offset, else auto.offset.reset); reads
// over DataApi; commits through GroupApi with the member's generation (memberId null and generation -1
// without a membership). Calls on one instance run one at a time (`exclusive`), as a Java KafkaConsumer
// behind Confluent's proxy is used by one thread at a time.

import { setTimeout as delay } from 'node:timers/promises';
import { isKafkaError, KafkaError } from '../../common/kafka-errors.ts';
import { isInternalTopic } from '../../metadata/topic-rules.ts';
import { batchesIn } from '../../storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../storage/record-batch/decoder.ts';
import { HttpError } from '../errors.ts';
import type { ClusterNode, GroupMembership, ReadResult, TopicPartition } from '../ports.ts';
import { bytesAsJson } from '../records/embedded.ts';
import type { V2Record } from '../render/v2.ts';
import { renderV2Record } from '../render/v2.ts';
import type { EmbeddedFormat } from '../v2/media.ts';
import { InstanceDeadLetters, type Rejection } from './dead-letter.ts';

export interface ConsumerConfig {
  readonly format: EmbeddedFormat;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly autoCommit: boolean;
  readonly fetchMinBytes: number;
  /** Upper bound of a records call's long poll (Confluent's consumer.request.timeout.ms, default 1000). */
  readonly requestTimeoutMs: number;
}

export interface InstanceDeps {
  readonly node: ClusterNode;
  /** The members' session timeout (Kafka's session.timeout.ms). */
  readonly sessionTimeoutMs: number;
  readonly now: () => number;
}

export type Subscription =
  | { readonly kind: 'topics'; readonly topics: readonly string[] }
  | { readonly kind: 'pattern'; readonly pattern: RegExp };

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string;
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function illegalState(message: string): HttpError {
  return new HttpError('ILLEGAL_STATE', message);
}

/**
 * Errors of an auto commit that a rebalance explains: the next commit names the new generation. With
 * Kafka clients in the group, a commit while their leader assigns is REBALANCE_IN_PROGRESS.
 */
function isStaleMembership(error: unknown): boolean {
  return (
    isKafkaError(error, 'ILLEGAL_GENERATION') ||
    isKafkaError(error, 'UNKNOWN_MEMBER_ID') ||
    isKafkaError(error, 'REBALANCE_IN_PROGRESS')
  );
}

interface PartitionRead {
  readonly tp: TopicPartition;
  readonly position: number;
  /** Where the result starts: past `position` when records never delivered to this group were passed. */
  readonly from: number;
  readonly result: ReadResult | null;
}

export class ConsumerInstance {
  readonly groupId: string;
  readonly id: string;
  readonly config: ConsumerConfig;
  readonly host: string;
  /** Wall-clock ms of the last request on this instance (expiry). */
  lastUsed: number;
  /** Wall-clock ms of the last heartbeat (background heartbeats). */
  lastHeartbeat = 0;
  readonly #deps: InstanceDeps;
  #subscription: Subscription | null = null;
  /** The topics the member joined with (a pattern's matches). */
  #joinedTopics: readonly string[] = [];
  #manual: readonly TopicPartition[] | null = null;
  #member: GroupMembership | null = null;
  /** The next offset to read, per assigned partition that has one. */
  readonly #positions = new Map<string, { readonly tp: TopicPartition; offset: number }>();
  /** The position after the last record returned, per partition: what a commit of "everything consumed" commits. */
  readonly #consumed = new Map<string, { readonly tp: TopicPartition; offset: number }>();
  /** What this instance last committed per partition (an auto commit skips what did not move). */
  readonly #committed = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();
  #busy = 0;
  /** Rejections and retries (dead-letter topics). */
  readonly #deadLetters: InstanceDeadLetters;

  constructor(deps: InstanceDeps, groupId: string, id: string, config: ConsumerConfig, host: string) {
    this.#deps = deps;
    this.groupId = groupId;
    this.id = id;
    this.config = config;
    this.host = host;
    this.lastUsed = deps.now();
    this.#deadLetters = new InstanceDeadLetters({ node: deps.node, now: deps.now, groupId });
  }

  get busy(): boolean {
    return this.#busy > 0;
  }

  /** Whether the instance is a group member (it subscribed). */
  get hasMember(): boolean {
    return this.#member !== null;
  }

  /** Runs `task` after every earlier task of this instance. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    this.#busy += 1;
    const run = this.#queue.then(task, task);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.#busy -= 1;
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Subscription and assignment.

  /** The subscription's topics; each with dead.letter.enable=true brings its dead-letter topic (retries). */
  #matchingTopics(subscription: Subscription): string[] {
    return this.#deadLetters.withDeadLetterTopics(this.#subscribedTopics(subscription));
  }

  #subscribedTopics(subscription: Subscription): string[] {
    if (subscription.kind === 'topics') return [...new Set(subscription.topics)].sort();
    return [...this.#deps.node.image().topics.values()]
      .map((topic) => topic.name)
      .filter((name) => !isInternalTopic(name) && subscription.pattern.test(name))
      .sort();
  }

  async subscribe(subscription: Subscription): Promise<void> {
    if (this.#manual !== null) {
      throw illegalState('Subscription to topics, partitions and pattern are mutually exclusive');
    }
    this.#subscription = subscription;
    await this.#join(this.#matchingTopics(subscription));
  }

  async #join(topics: readonly string[]): Promise<void> {
    await this.#deadLetters.createTopics(topics);
    const membership = await this.#deps.node.groups.join({
      groupId: this.groupId,
      memberId: this.#member?.memberId ?? null,
      clientId: this.id,
      host: this.host,
      topics,
      sessionTimeoutMs: this.#deps.sessionTimeoutMs,
    });
    this.#joinedTopics = topics;
    this.#adopt(membership);
  }

  /** Takes a membership's assignment: positions of partitions no longer assigned are forgotten. */
  #adopt(membership: GroupMembership): void {
    this.#member = membership;
    this.lastHeartbeat = this.#deps.now();
    this.#keepOnly(membership.assignment);
  }

  #keepOnly(assignment: readonly TopicPartition[]): void {
    const keep = new Set(assignment.map((tp) => keyOf(tp.topic, tp.partition)));
    for (const map of [this.#positions, this.#consumed]) {
      for (const key of [...map.keys()]) if (!keep.has(key)) map.delete(key);
    }
    this.#deadLetters.keepOnly(keep);
  }

  subscription(): string[] {
    if (this.#subscription === null) return [];
    return [...this.#joinedTopics];
  }

  /** Leaves the group (after an auto commit) and forgets subscription, assignment and positions. */
  async unsubscribe(): Promise<void> {
    await this.#leave();
    this.#subscription = null;
    this.#manual = null;
    this.#positions.clear();
    this.#consumed.clear();
    this.#deadLetters.clear();
  }

  async #leave(): Promise<void> {
    if (this.config.autoCommit) await this.#autoCommit();
    const member = this.#member;
    this.#member = null;
    this.#joinedTopics = [];
    if (member === null) return;
    try {
      await this.#deps.node.groups.leave({ groupId: this.groupId, memberId: member.memberId });
    } catch (error) {
      // Already expelled (session expired): nothing to leave.
      if (!isKafkaError(error, 'UNKNOWN_MEMBER_ID')) throw error;
    }
  }

  assign(partitions: readonly TopicPartition[]): void {
    if (this.#subscription !== null) {
      throw illegalState('Subscription to topics, partitions and pattern are mutually exclusive');
    }
    const unique = new Map(partitions.map((tp) => [keyOf(tp.topic, tp.partition), tp]));
    this.#manual = [...unique.values()];
    this.#keepOnly(this.#manual);
  }

  assignment(): TopicPartition[] {
    if (this.#manual !== null) return [...this.#manual];
    return [...(this.#member?.assignment ?? [])];
  }

  #requireAssigned(tp: TopicPartition): void {
    const assigned = this.assignment().some((a) => a.topic === tp.topic && a.partition === tp.partition);
    if (!assigned) throw illegalState(`No current assignment for partition ${tp.topic}-${tp.partition}`);
  }

  // -------------------------------------------------------------------------------------------------
  // Positions.

  seek(offsets: readonly (TopicPartition & { readonly offset: number })[]): void {
    for (const tp of offsets) this.#requireAssigned(tp);
    for (const { topic, partition, offset } of offsets) {
      this.#positions.set(keyOf(topic, partition), { tp: { topic, partition }, offset });
    }
  }

  async seekTo(which: 'beginning' | 'end', partitions: readonly TopicPartition[]): Promise<void> {
    for (const tp of partitions) this.#requireAssigned(tp);
    const offsets = await Promise.all(
      partitions.map(async (tp) => ({ ...tp, offset: await this.#resetOffset(tp, which) })),
    );
    this.seek(offsets);
  }

  async #resetOffset(tp: TopicPartition, which: 'beginning' | 'end'): Promise<number> {
    const offsets = await this.#deps.node.data.offsets({ topicName: tp.topic, partitionId: tp.partition });
    return which === 'beginning' ? offsets.logStartOffset : offsets.highWatermark;
  }

  /**
   * auto.offset.reset; a dead-letter partition read for retries starts at its beginning whatever it says
   * (the group's rejections there, not committed past yet, are still to be delivered).
   */
  #resetTo(tp: TopicPartition): 'beginning' | 'end' {
    if (this.#deadLetters.isRetryTopic(tp.topic)) return 'beginning';
    return this.config.autoOffsetReset === 'earliest' ? 'beginning' : 'end';
  }

  /** Positions for assigned partitions without one: the committed offset, else auto.offset.reset. */
  async #initPositions(assigned: readonly TopicPartition[]): Promise<void> {
    const missing = assigned.filter((tp) => !this.#positions.has(keyOf(tp.topic, tp.partition)));
    if (missing.length === 0) return;
    const committed = await this.#deps.node.groups.fetchOffsets({
      groupId: this.groupId,
      partitions: missing,
    });
    const byKey = new Map(committed.map((c) => [keyOf(c.topic, c.partition), c.offset]));
    await Promise.all(
      missing.map(async (tp) => {
        const key = keyOf(tp.topic, tp.partition);
        const stored = byKey.get(key) ?? -1;
        const offset = stored >= 0 ? stored : await this.#resetOffset(tp, this.#resetTo(tp));
        this.#positions.set(key, { tp, offset });
        if (stored >= 0) this.#committed.set(key, stored);
      }),
    );
  }

  // -------------------------------------------------------------------------------------------------
  // Membership upkeep.

  /**
   * Heartbeat and adopt the current assignment; a member the group forgot (session expired) joins again
   * with the same subscription; a pattern subscription is matched against the image again.
   */
  async refreshMembership(): Promise<void> {
    if (this.#subscription === null) return;
    const topics = this.#matchingTopics(this.#subscription);
    if (this.#member === null || topics.join('\u0000') !== this.#joinedTopics.join('\u0000')) {
      await this.#join(topics);
      return;
    }
    try {
      this.#adopt(
        await this.#deps.node.groups.heartbeat({ groupId: this.groupId, memberId: this.#member.memberId }),
      );
    } catch (error) {
      if (!isKafkaError(error, 'UNKNOWN_MEMBER_ID')) throw error;
      this.#member = null;
      await this.#join(topics);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Commits.

  async #commit(offsets: readonly OffsetToCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.#deps.node.groups.commit({
      groupId: this.groupId,
      memberId: this.#member?.memberId ?? null,
      generation: this.#member?.generation ?? -1,
      offsets,
    });
    for (const offset of offsets) {
      this.#committed.set(keyOf(offset.topic, offset.partition), offset.offset);
      this.#deadLetters.committed(offset, offset.offset);
    }
  }

  #consumedOffsets(onlyMoved: boolean): OffsetToCommit[] {
    return [...this.#consumed]
      .filter(([key, { offset }]) => !onlyMoved || this.#committed.get(key) !== offset)
      .map(([, { tp, offset }]) => ({ topic: tp.topic, partition: tp.partition, offset, metadata: '' }));
  }

  /** auto.commit.enable: what earlier calls returned; a rebalance's stale generation is not an error. */
  async #autoCommit(): Promise<void> {
    try {
      await this.#commit(this.#consumedOffsets(true));
    } catch (error) {
      if (!isStaleMembership(error)) throw error;
    }
  }

  /**
   * POST offsets: the given offsets (Confluent commits offset + 1: the given one is the last record
   * consumed), or with none the positions after everything consumed.
   */
  async commitOffsets(offsets: readonly OffsetToCommit[] | null): Promise<void> {
    if (offsets === null) {
      await this.#commit(this.#consumedOffsets(false));
      return;
    }
    await this.#commit(offsets.map((o) => ({ ...o, offset: o.offset + 1 })));
  }

  async committed(partitions: readonly TopicPartition[]): Promise<OffsetToCommit[]> {
    if (partitions.length === 0) return [];
    const offsets = await this.#deps.node.groups.fetchOffsets({ groupId: this.groupId, partitions });
    return offsets.filter((o) => o.offset >= 0);
  }

  // -------------------------------------------------------------------------------------------------
  // Records.

  async records(options: { readonly timeoutMs: number; readonly maxBytes: number }): Promise<V2Record[]> {
    if (this.config.autoCommit) await this.#autoCommit();
    await this.refreshMembership();
    if (this.#subscription === null && this.#manual === null) {
      throw illegalState('Consumer is not subscribed to any topics or assigned any partitions');
    }
    const timeoutMs = Math.min(options.timeoutMs, this.config.requestTimeoutMs);
    this.#routeDeadLetters();
    const assigned = this.assignment();
    if (assigned.length === 0) {
      // Nothing to read (more members than partitions, or topics not there yet): the poll just waits.
      if (timeoutMs > 0) await delay(timeoutMs, undefined, { ref: false });
      return [];
    }
    await this.#initPositions(assigned);
    const perPartition = Math.max(1, Math.floor(options.maxBytes / assigned.length));
    let reads = await this.#readAll(assigned, perPartition, 0);
    if (!reads.some((read) => this.#hasRecords(read)) && timeoutMs > 0) {
      reads = await this.#readAll(assigned, perPartition, timeoutMs);
    }
    return this.#collect(reads, options.maxBytes);
  }

  #hasRecords(read: PartitionRead): boolean {
    if (read.result === null) return false;
    if (this.#deadLetters.isRetryTopic(read.tp.topic)) {
      return this.#deadLetters.scan(read.tp.topic, read.result, read.from).deliverable;
    }
    for (const { header } of batchesIn(read.result.records)) {
      if (!header.isControl && header.lastOffset >= read.position) return true;
    }
    return false;
  }

  /** Reads every assigned partition at its position (with `maxWaitMs` 0: waits for all). */
  async #readAll(
    assigned: readonly TopicPartition[],
    maxBytes: number,
    maxWaitMs: number,
  ): Promise<PartitionRead[]> {
    const done: PartitionRead[] = [];
    const errors: unknown[] = [];
    let wake: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // Ends the waits for retries not due yet once the call answers.
    const answered = new AbortController();
    const settle = (read: PartitionRead): void => {
      done.push(read);
      if (this.#hasRecords(read)) wake();
    };
    const one = async (tp: TopicPartition): Promise<void> => {
      const key = keyOf(tp.topic, tp.partition);
      const position = this.#positions.get(key)?.offset ?? 0;
      try {
        if (maxWaitMs > 0 && this.#deadLetters.isRetryTopic(tp.topic)) {
          const read = await this.#deadLetters.readRetries(
            tp,
            position,
            maxBytes,
            maxWaitMs,
            answered.signal,
          );
          settle({ tp, position, ...read });
          return;
        }
        const result = await this.#deps.node.data.read({
          topicName: tp.topic,
          partitionId: tp.partition,
          offset: position,
          maxBytes,
          maxWaitMs,
        });
        settle({ tp, position, from: position, result });
      } catch (error) {
        try {
          if (!isKafkaError(error, 'OFFSET_OUT_OF_RANGE')) throw error;
          // Java's consumer resets a position that fell out of the log with auto.offset.reset.
          const reset = await this.#resetOffset(tp, this.#resetTo(tp));
          if (this.#positions.get(key)?.offset === position) this.#positions.set(key, { tp, offset: reset });
        } catch (failure) {
          errors.push(failure);
        }
        settle({ tp, position, from: position, result: null });
      }
    };
    const all = Promise.all(assigned.map(one));
    // A long poll answers once one partition has records (or all answered); later answers are dropped
    // (their positions did not move: they are read again next time).
    await (maxWaitMs === 0 ? all : Promise.race([all, arrived]));
    answered.abort();
    // Errors that are not retriable (a topic deleted, ...) end the call, unless some records came.
    const fatal = errors.find((error) => !(error instanceof KafkaError && error.retriable));
    const snapshot = [...done];
    if (fatal !== undefined && !snapshot.some((read) => this.#hasRecords(read))) throw fatal;
    if (errors.length > 0 && errors.length === assigned.length) throw errors[0];
    // Answers in assignment order.
    const order = new Map(assigned.map((tp, i) => [keyOf(tp.topic, tp.partition), i]));
    return snapshot.sort(
      (a, b) => order.get(keyOf(a.tp.topic, a.tp.partition))! - order.get(keyOf(b.tp.topic, b.tp.partition))!,
    );
  }

  #decode(bytes: Buffer | null, what: string): unknown {
    if (this.config.format === 'json') return bytesAsJson(bytes, what);
    return bytes === null ? null : bytes.toString('base64');
  }

  /** Records at or after each position, within `maxBytes` of keys and values but at least one; advances. */
  #collect(reads: readonly PartitionRead[], maxBytes: number): V2Record[] {
    const records: V2Record[] = [];
    const advanced = new Map<
      string,
      { readonly tp: TopicPartition; readonly offset: number; readonly consumed: boolean }
    >();
    /** The offsets returned, by partition. */
    const given = new Map<string, { readonly tp: TopicPartition; readonly offsets: number[] }>();
    let size = 0;
    let full = false;
    for (const read of reads) {
      if (full || read.result === null) continue;
      const key = keyOf(read.tp.topic, read.tp.partition);
      // The position may have moved meanwhile (a dropped long poll); only read from where it still is.
      if (this.#positions.get(key)?.offset !== read.position) continue;
      // Records before `from` are never delivered to this group (dead-letter retries): passed for good.
      let position = read.from;
      let consumed = read.from !== read.position;
      const returned: number[] = [];
      batches: for (const { header } of batchesIn(read.result.records)) {
        if (header.isControl) {
          if (header.lastOffset >= position) position = header.lastOffset + 1;
          continue;
        }
        for (const record of decodeRecords(header)) {
          if (record.offset < position) continue;
          const delivery = this.#deadLetters.delivery(read.tp.topic, record);
          // A retry not due yet: the partition's position waits at it (later ones are due later).
          if (delivery.kind === 'hold') break batches;
          if (delivery.kind === 'skip') {
            position = record.offset + 1;
            consumed = true;
            continue;
          }
          const recordSize = (record.key?.length ?? 0) + (record.value?.length ?? 0);
          if (records.length > 0 && size + recordSize > maxBytes) {
            full = true;
            break batches;
          }
          records.push(
            renderV2Record(read.tp.topic, read.tp.partition, record, header.isLogAppendTime, (bytes, what) =>
              this.#decode(bytes, what),
            ),
          );
          returned.push(record.offset);
          size += recordSize;
          position = record.offset + 1;
          consumed = true;
        }
        // A compacted batch may end with offsets whose records the log cleaner removed (or hold none):
        // the position moves past the whole batch, as Kafka's consumer moves to the batch's next offset.
        if (header.lastOffset >= position) position = header.lastOffset + 1;
      }
      if (position !== read.position) advanced.set(key, { tp: read.tp, offset: position, consumed });
      if (returned.length > 0) given.set(key, { tp: read.tp, offsets: returned });
    }
    // Decoding succeeded for everything: only now do positions move.
    const assigned = new Set(this.assignment().map((tp) => keyOf(tp.topic, tp.partition)));
    for (const [key, { tp, offset, consumed }] of advanced) {
      if (!assigned.has(key)) continue;
      this.#positions.set(key, { tp, offset });
      if (consumed) this.#consumed.set(key, { tp, offset });
    }
    for (const [key, { tp, offsets }] of given) {
      if (assigned.has(key)) this.#deadLetters.given(tp, offsets);
    }
    return records;
  }

  // -------------------------------------------------------------------------------------------------
  // Rejections (dead-letter topics).

  /** The dead-letter topics read for retries: those of the subscription's topics, or of the assigned ones. */
  #routeDeadLetters(): void {
    const topics =
      this.#subscription !== null
        ? this.#joinedTopics
        : [...new Set(this.assignment().map((tp) => tp.topic))];
    this.#deadLetters.route(topics);
  }

  /**
   * Sets records this instance returned aside in their dead-letter topics (acks=all); the group goes on
   * with later records, and a commit may pass them once this resolves.
   */
  async reject(rejections: readonly Rejection[]): Promise<void> {
    if (this.#subscription === null && this.#manual === null) {
      throw illegalState('Consumer is not subscribed to any topics or assigned any partitions');
    }
    this.#routeDeadLetters();
    const assigned = new Set(this.assignment().map((tp) => keyOf(tp.topic, tp.partition)));
    await this.#deadLetters.reject(rejections, (tp) => assigned.has(keyOf(tp.topic, tp.partition)));
  }

  /** DELETE of the instance or its expiry: auto commit, leave the group. */
  async close(): Promise<void> {
    await this.#leave();
  }

  /** A background heartbeat (Java's heartbeat thread): keeps the session alive between records calls. */
  async heartbeat(): Promise<void> {
    if (this.#member === null) return;
    await this.refreshMembership();
  }
}
