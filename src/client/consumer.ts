// The SDK's consumer, as Kafka's: `subscribe` joins a consumer group (the coordinator assigns the
// partitions, range assignor) or `assign` takes partitions by hand; `poll` returns fetched records in
// offset order per partition and moves the positions past them; `commit` stores the positions (the next
// offsets to read) in the group, and with enable.auto.commit every poll commits what the earlier polls
// returned. A partition starts at the group's committed offset, else at auto.offset.reset. Heartbeats run
// in the background every heartbeat.interval.ms; a heartbeat that answers a new generation applies its
// assignment at once (revoked partitions drop what they fetched ahead; their commits would be refused as a
// stale generation anyway), and a member the group forgot joins again. Delivery is at least once.
import { isKafkaError, KafkaError } from '../common/kafka-errors.ts';
import { consumerCodec, type NativeMembershipResponse } from '../http/native/consumer-codec.ts';
import { AnyBroker, answerError } from './any-broker.ts';
import { BrokerConnections } from './connections.ts';
import { ConsumerDeadLetters } from './dead-letters.ts';
import { type ConsumerRecord, Fetcher, PartitionState } from './fetcher.ts';
import { ClusterMetadata } from './metadata.ts';
import type { ClientSecurity } from './security.ts';

export type { ConsumerRecord } from './fetcher.ts';

export interface ConsumerOptions {
  /** Brokers' client API origins, e.g. 'http://127.0.0.1:8081' (one is enough: the others are learned). */
  readonly bootstrap: string | readonly string[];
  /** TLS options for `https://` brokers (the CA, a client certificate). */
  readonly security?: ClientSecurity;
  /** group.id: needed to subscribe and to commit. */
  readonly groupId?: string;
  readonly clientId?: string;
  /** auto.offset.reset: where a partition without a committed offset starts (default 'latest'). */
  readonly autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** enable.auto.commit (default true, with a groupId). */
  readonly enableAutoCommit?: boolean;
  readonly autoCommitIntervalMs?: number;
  /** session.timeout.ms (default 45000). */
  readonly sessionTimeoutMs?: number;
  /** heartbeat.interval.ms (default 3000). */
  readonly heartbeatIntervalMs?: number;
  readonly fetchMinBytes?: number;
  /** fetch.max.wait.ms (default 500). */
  readonly fetchMaxWaitMs?: number;
  readonly fetchMaxBytes?: number;
  readonly maxPartitionFetchBytes?: number;
  /** max.poll.records (default 500). */
  readonly maxPollRecords?: number;
  readonly requestTimeoutMs?: number;
  readonly retryBackoffMs?: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read. */
  readonly offset: number;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Commit failures a rebalance explains: the offsets belong to the member that owns them now. */
const isStaleMembership = (error: unknown) =>
  isKafkaError(error, 'ILLEGAL_GENERATION') ||
  isKafkaError(error, 'UNKNOWN_MEMBER_ID') ||
  isKafkaError(error, 'REBALANCE_IN_PROGRESS');

export class Consumer {
  readonly #connections: BrokerConnections;
  readonly #metadata: ClusterMetadata;
  readonly #anyBroker: AnyBroker;
  readonly #fetcher: Fetcher;
  readonly #groupId: string | null;
  readonly #clientId: string;
  readonly #autoOffsetReset: 'earliest' | 'latest' | 'none';
  readonly #autoCommit: boolean;
  readonly #autoCommitIntervalMs: number;
  readonly #sessionTimeoutMs: number;
  readonly #heartbeatIntervalMs: number;
  readonly #maxPollRecords: number;
  readonly #states = new Map<string, PartitionState>();
  #subscription: readonly string[] | null = null;
  #manual = false;
  #member: { memberId: string; generation: number } | null = null;
  /** The member must join (again): a new subscription, or the group forgot it. */
  #joinNeeded = false;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #heartbeating: Promise<void> | null = null;
  #nextAutoCommitMs = 0;
  #committing: Promise<void> = Promise.resolve();
  /** Positions last committed, to commit only what moved. */
  readonly #committed = new Map<string, number>();
  #drainFrom = 0;
  #closed = false;
  /** Rejections and retries (dead-letter topics). */
  readonly #deadLetters: ConsumerDeadLetters;

  constructor(options: ConsumerOptions) {
    this.#connections = new BrokerConnections(options.security);
    const bootstrap = typeof options.bootstrap === 'string' ? [options.bootstrap] : options.bootstrap;
    const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    const retryBackoffMs = options.retryBackoffMs ?? 100;
    this.#metadata = new ClusterMetadata(this.#connections, bootstrap, requestTimeoutMs);
    this.#anyBroker = new AnyBroker(this.#connections, this.#metadata, requestTimeoutMs, retryBackoffMs);
    this.#fetcher = new Fetcher(this.#connections, this.#metadata, {
      fetchMinBytes: options.fetchMinBytes ?? 1,
      fetchMaxWaitMs: options.fetchMaxWaitMs ?? 500,
      fetchMaxBytes: options.fetchMaxBytes ?? 52_428_800,
      maxPartitionFetchBytes: options.maxPartitionFetchBytes ?? 1_048_576,
      requestTimeoutMs,
      retryBackoffMs,
      prefetchBelowRecords: options.maxPollRecords ?? 500,
    });
    this.#groupId = options.groupId ?? null;
    this.#clientId = options.clientId ?? 'kraftling-consumer';
    this.#autoOffsetReset = options.autoOffsetReset ?? 'latest';
    this.#autoCommit = (options.enableAutoCommit ?? true) && this.#groupId !== null;
    this.#autoCommitIntervalMs = options.autoCommitIntervalMs ?? 5_000;
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 45_000;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
    this.#maxPollRecords = options.maxPollRecords ?? 500;
    this.#deadLetters = new ConsumerDeadLetters({
      bootstrap,
      ...(options.security !== undefined ? { security: options.security } : {}),
      groupId: this.#groupId,
      requestTimeoutMs,
      retryBackoffMs,
    });
    if (this.#heartbeatIntervalMs >= this.#sessionTimeoutMs)
      throw new Error('heartbeatIntervalMs must be lower than sessionTimeoutMs (as Kafka).');
  }

  /**
   * Joins the group with these topics (replacing an earlier subscription); resolves with an assignment.
   * A topic with dead.letter.enable=true brings its dead-letter topic (created when missing): its
   * retries are delivered when due (as the configs say now: they are read here).
   */
  async subscribe(topics: readonly string[]): Promise<void> {
    this.#open();
    if (this.#groupId === null) throw new KafkaError('INVALID_GROUP_ID', 'To subscribe, set a groupId.');
    if (this.#manual) throw new Error('subscribe and assign are mutually exclusive (as Kafka).');
    this.#subscription = await this.#deadLetters.subscription([...new Set(topics)]);
    this.#joinNeeded = true;
    await this.#ensureMember();
    this.#heartbeatTimer ??= setInterval(() => this.#backgroundHeartbeat(), this.#heartbeatIntervalMs);
    this.#heartbeatTimer.unref();
  }

  /** Takes these partitions by hand (no group membership; commits still go to groupId if set). */
  assign(partitions: readonly TopicPartition[]): void {
    this.#open();
    if (this.#subscription !== null)
      throw new Error('subscribe and assign are mutually exclusive (as Kafka).');
    this.#manual = true;
    this.#adoptAssignment(partitions);
  }

  assignment(): TopicPartition[] {
    return [...this.#states.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** The offset of the next record poll returns for an assigned partition (null until known). */
  position(tp: TopicPartition): number | null {
    return this.#assigned(tp).position;
  }

  /** The next poll returns records of the partition from `offset` on. */
  seek(tp: TopicPartitionOffset): void {
    this.#assigned(tp).moveTo(tp.offset);
  }

  /** seekToBeginning: the next poll reads these assigned partitions from their log start. */
  async seekToBeginning(partitions: readonly TopicPartition[]): Promise<void> {
    await this.#seekToListed(partitions, 'earliest');
  }

  /** seekToEnd: the next poll reads only records these assigned partitions get from now on. */
  async seekToEnd(partitions: readonly TopicPartition[]): Promise<void> {
    await this.#seekToListed(partitions, 'latest');
  }

  async #seekToListed(partitions: readonly TopicPartition[], where: 'earliest' | 'latest'): Promise<void> {
    const states = partitions.map((tp) => this.#assigned(tp));
    const versions = states.map((state) => state.version);
    const listed = await this.#listOffsets(states, where);
    states.forEach((state, i) => {
      const offset = listed.get(keyOf(state.topic, state.partition));
      if (offset === undefined)
        throw new KafkaError('LEADER_NOT_AVAILABLE', `No offsets for ${state.topic}-${state.partition} now.`);
      if (!state.revoked && state.version === versions[i]) state.moveTo(offset);
    });
  }

  /** partitionsFor: the topic's partition numbers (UNKNOWN_TOPIC_OR_PARTITION if it does not exist). */
  async partitionsFor(topic: string): Promise<number[]> {
    this.#open();
    await this.#metadata.refresh([topic]);
    const partitions = this.#metadata.partitions(topic);
    if (partitions === undefined)
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${topic} does not exist.`);
    return partitions.map((_, partition) => partition);
  }

  /** The group's committed offsets (the next to read; -1: none) of these partitions. */
  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const groupId = this.#requireGroup();
    const answer = await this.#anyBroker.call(
      '/v1/groups/offsets',
      consumerCodec.fetchOffsetsRequest.encode({ groupId, topics: byTopic(partitions) }),
      consumerCodec.fetchOffsetsResponse.decodeAnswer,
      answerError,
    );
    return answer.offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
  }

  /**
   * Records fetched since the last poll, at most max.poll.records, waiting up to `timeoutMs` for some.
   * Throws what retrying cannot mend: OFFSET_OUT_OF_RANGE with auto.offset.reset 'none', a partition's
   * non-retriable error, a group error other than a rebalance.
   */
  async poll(timeoutMs = 1_000): Promise<ConsumerRecord[]> {
    this.#open();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.#ensureMember();
      await this.#ensurePositions();
      this.#maybeAutoCommit();
      const records = this.#drain();
      this.#fetcher.fill(this.#states.values());
      if (records.length > 0) return records;
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) return [];
      // A retry held in a buffer is due at a time no fetch answer marks: wake up then too.
      let wait = left;
      for (const state of this.#states.values())
        if (state.heldUntil !== null) wait = Math.min(wait, Math.max(0, state.heldUntil - Date.now()));
      await this.#fetcher.waitForData(wait);
    }
  }

  /** Polls without end: `for await (const record of consumer) ...` (stops when the consumer is closed). */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerRecord> {
    while (!this.#closed) for (const record of await this.poll(1_000)) yield record;
  }

  /**
   * commitSync: stores `offsets` (the next offsets to read), or the positions of every assigned partition
   * (what poll returned). Resolves once the commit is replicated. ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID:
   * the group rebalanced and the partitions may belong to another member now.
   */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.#open();
    const chosen = offsets ?? this.#positions();
    const commit = this.#committing.catch(() => undefined).then(() => this.#commitNow(chosen));
    this.#committing = commit;
    await commit;
  }

  /**
   * Sets records poll returned aside in their topics' dead-letter topics (topics with
   * dead.letter.enable=true, or the dead-letter topics retries come from), one attempt further each;
   * resolves once every copy is acknowledged by all in-sync replicas, after which a commit may pass them.
   * Throws before writing anything for a record not returned since its partition was assigned, rejected
   * already or passed by a commit, of a partition not assigned, or of a topic without dead letters
   * (INVALID_REQUEST).
   */
  async reject(records: readonly ConsumerRecord[], reason?: string): Promise<void> {
    this.#open();
    await this.#deadLetters.reject(records, reason ?? null, (tp) =>
      this.#states.has(keyOf(tp.topic, tp.partition)),
    );
  }

  /** Commits (with auto commit), leaves the group and closes the connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#heartbeatTimer !== null) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
    try {
      await this.#committing.catch(() => undefined);
      if (this.#autoCommit && this.#member !== null)
        await this.#commitNow(this.#positions(true)).catch((error: unknown) => {
          if (!isStaleMembership(error)) throw error;
        });
      await this.#heartbeating;
      const member = this.#member;
      this.#member = null;
      if (member !== null && this.#groupId !== null)
        await this.#anyBroker
          .call(
            '/v1/groups/leave',
            consumerCodec.leaveGroupRequest.encode({ groupId: this.#groupId, memberId: member.memberId }),
            consumerCodec.groupResponse.decodeAnswer,
            answerError,
          )
          .catch(() => undefined); // its session expires instead
    } finally {
      this.#closed = true;
      await Promise.all([this.#connections.close(), this.#deadLetters.close()]);
    }
  }

  #open(): void {
    if (this.#closed) throw new Error('The consumer is closed.');
  }

  #requireGroup(): string {
    if (this.#groupId === null) throw new KafkaError('INVALID_GROUP_ID', 'No groupId is set.');
    return this.#groupId;
  }

  #assigned(tp: TopicPartition): PartitionState {
    const state = this.#states.get(keyOf(tp.topic, tp.partition));
    if (state === undefined)
      throw new Error(`No current assignment for partition ${tp.topic}-${tp.partition} (as Kafka).`);
    return state;
  }

  /** Positions of assigned partitions that have one (with `onlyMoved`, those not committed already). */
  #positions(onlyMoved = false): TopicPartitionOffset[] {
    const positions: TopicPartitionOffset[] = [];
    for (const [key, state] of this.#states) {
      if (state.position === null) continue;
      if (onlyMoved && this.#committed.get(key) === state.position) continue;
      positions.push({ topic: state.topic, partition: state.partition, offset: state.position });
    }
    return positions;
  }

  async #commitNow(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const groupId = this.#requireGroup();
    if (offsets.length === 0) return;
    const member = this.#manual ? null : this.#member;
    await this.#anyBroker.call(
      '/v1/groups/commit',
      consumerCodec.commitOffsetsRequest.encode({
        groupId,
        memberId: member?.memberId ?? '',
        generation: member?.generation ?? -1,
        offsets: offsets.map((o) => ({ ...o, metadata: '' })),
      }),
      consumerCodec.groupResponse.decodeAnswer,
      answerError,
    );
    for (const o of offsets) {
      this.#committed.set(keyOf(o.topic, o.partition), o.offset);
      this.#deadLetters.committed(o, o.offset);
    }
  }

  /** enable.auto.commit: in the background, what the earlier polls returned; a rebalance's refusal is fine. */
  #maybeAutoCommit(): void {
    if (!this.#autoCommit || Date.now() < this.#nextAutoCommitMs) return;
    this.#nextAutoCommitMs = Date.now() + this.#autoCommitIntervalMs;
    const offsets = this.#positions(true);
    if (offsets.length === 0) return;
    this.#committing = this.#committing
      .catch(() => undefined)
      .then(() => this.#commitNow(offsets))
      .catch((error: unknown) => {
        if (!isStaleMembership(error) && !(isKafkaError(error) && error.retriable)) throw error;
      });
  }

  #drain(): ConsumerRecord[] {
    for (const state of this.#states.values()) {
      if (state.error === null) continue;
      const error = state.error;
      state.error = null;
      state.retryAtMs = 0;
      throw error;
    }
    // Round robin over the partitions, so that none waits behind busier ones (as Kafka's fetch buffer).
    const states = [...this.#states.values()];
    const start = states.length === 0 ? 0 : this.#drainFrom++ % states.length;
    const records: ConsumerRecord[] = [];
    const now = Date.now();
    const decide = (record: ConsumerRecord) => this.#deadLetters.decide(record, now);
    for (let i = 0; i < states.length && records.length < this.#maxPollRecords; i++) {
      const state = states[(start + i) % states.length]!;
      const retries = this.#deadLetters.isRetryTopic(state.topic);
      for (const record of state.take(this.#maxPollRecords - records.length, retries ? decide : undefined)) {
        records.push(record);
        this.#deadLetters.given(record);
      }
    }
    return records;
  }

  // Membership.

  async #ensureMember(): Promise<void> {
    if (this.#subscription === null || !this.#joinNeeded) return;
    const groupId = this.#requireGroup();
    const answer = await this.#anyBroker.call(
      '/v1/groups/join',
      consumerCodec.joinGroupRequest.encode({
        groupId,
        memberId: this.#member?.memberId ?? '',
        clientId: this.#clientId,
        topics: this.#subscription,
        sessionTimeoutMs: this.#sessionTimeoutMs,
      }),
      consumerCodec.membershipResponse.decodeAnswer,
      answerError,
    );
    this.#joinNeeded = false;
    this.#adoptMembership(answer);
  }

  #backgroundHeartbeat(): void {
    if (this.#heartbeating !== null || this.#member === null || this.#joinNeeded || this.#closed) return;
    const member = this.#member;
    this.#heartbeating = this.#anyBroker
      .call(
        '/v1/groups/heartbeat',
        consumerCodec.heartbeatRequest.encode({ groupId: this.#requireGroup(), memberId: member.memberId }),
        consumerCodec.membershipResponse.decodeAnswer,
        answerError,
      )
      .then((answer) => {
        if (this.#member === member && !this.#closed) this.#adoptMembership(answer);
      })
      .catch((error: unknown) => {
        // A member the group forgot (its session expired) joins again at the next poll.
        if (isKafkaError(error, 'UNKNOWN_MEMBER_ID') && this.#member === member) {
          this.#member = null;
          this.#joinNeeded = true;
        }
      })
      .finally(() => {
        this.#heartbeating = null;
      });
  }

  #adoptMembership(answer: NativeMembershipResponse): void {
    const changed = this.#member?.generation !== answer.generation;
    this.#member = { memberId: answer.memberId, generation: answer.generation };
    if (!changed) return;
    this.#adoptAssignment(
      answer.assignment.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition }))),
    );
  }

  /** Keeps the states of partitions still assigned, drops the others, adds new ones without a position. */
  #adoptAssignment(partitions: readonly TopicPartition[]): void {
    const keep = new Set(partitions.map((tp) => keyOf(tp.topic, tp.partition)));
    for (const [key, state] of this.#states) {
      if (keep.has(key)) continue;
      state.revoked = true;
      this.#states.delete(key);
      this.#committed.delete(key);
      this.#deadLetters.forget(key);
    }
    for (const { topic, partition } of partitions) {
      const key = keyOf(topic, partition);
      if (!this.#states.has(key)) this.#states.set(key, new PartitionState(topic, partition));
    }
  }

  // Positions.

  /** Partitions without a position start at the committed offset, else (or when out of range) reset. */
  async #ensurePositions(): Promise<void> {
    const unknown = [...this.#states.values()].filter((s) => s.position === null || s.resetNeeded);
    if (unknown.length === 0) return;
    const versions = new Map(unknown.map((s) => [s, s.version]));
    const fromCommit = unknown.filter((s) => s.position === null);
    const committed = new Map<string, number>();
    if (this.#groupId !== null && fromCommit.length > 0)
      for (const c of await this.committed(fromCommit)) committed.set(keyOf(c.topic, c.partition), c.offset);
    const toReset = unknown.filter((s) => (committed.get(keyOf(s.topic, s.partition)) ?? -1) < 0);
    // A dead-letter partition read for retries starts at its beginning, whatever auto.offset.reset says.
    const retries = toReset.filter((s) => this.#deadLetters.isRetryTopic(s.topic));
    const others = toReset.filter((s) => !this.#deadLetters.isRetryTopic(s.topic));
    const listed = new Map<string, number>([
      ...(others.length > 0 ? await this.#listOffsets(others) : []),
      ...(retries.length > 0 ? await this.#listOffsets(retries, 'earliest') : []),
    ]);
    for (const state of unknown) {
      const key = keyOf(state.topic, state.partition);
      if (state.revoked || versions.get(state) !== state.version) continue;
      const stored = committed.get(key) ?? -1;
      const offset = stored >= 0 && !state.resetNeeded ? stored : listed.get(key);
      if (offset === undefined) continue;
      state.moveTo(offset);
      if (stored >= 0) this.#committed.set(key, stored);
    }
  }

  /** Log start (earliest) or high watermark (latest) of these partitions, as auto.offset.reset says. */
  async #listOffsets(
    states: readonly PartitionState[],
    where: 'earliest' | 'latest' | 'none' = this.#autoOffsetReset,
  ): Promise<Map<string, number>> {
    if (where === 'none') {
      const state = states[0]!;
      throw new KafkaError(
        'OFFSET_OUT_OF_RANGE',
        `No committed offset, or an offset out of range, for ${state.topic}-${state.partition}, and auto.offset.reset is none.`,
      );
    }
    const answer = await this.#anyBroker.call(
      '/v1/list-offsets',
      consumerCodec.listOffsetsRequest.encode({ topics: byTopic(states) }),
      consumerCodec.listOffsetsResponse.decodeAnswer,
      () => null,
    );
    const offsets = new Map<string, number>();
    for (const topic of answer.topics)
      for (const p of topic.partitions) {
        if (p.errorCode !== 0) continue; // tried again at the next poll
        offsets.set(
          keyOf(topic.name, p.partition),
          where === 'earliest' ? p.logStartOffset : p.highWatermark,
        );
      }
    return offsets;
  }
}

function byTopic(partitions: readonly TopicPartition[]): { name: string; partitions: number[] }[] {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = topics.get(topic) ?? [];
    list.push(partition);
    topics.set(topic, list);
  }
  return [...topics].map(([name, list]) => ({ name, partitions: list }));
}
