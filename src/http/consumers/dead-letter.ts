// The dead-letter side of one REST v2 consumer instance (the rules: src/common/dead-letter.ts):
// - which records it may reject: those it returned since its assignment began, not rejected already and
//   not passed by one of its commits, of a topic with dead.letter.enable=true or of a dead-letter topic it
//   reads for retries;
// - rejecting: a copy of each record (key, value, its headers, then the dlq.* headers) appended to the
//   dead-letter topic with acks=all by an idempotent producer (dead-letter-producer.ts), the topic
//   created on first need; the call ends only once every copy is acknowledged;
// - the subscription's extra topics (each topic's dead-letter topic) and, for those, which records are
//   delivered now, later (the partition's position waits at a record not due yet) or never.

import { setTimeout as sleep } from 'node:timers/promises';
import {
  type DeadLetterPolicy,
  type DeadLetterState,
  type Delivery,
  deadLetterHeaders,
  deliveryOf,
  readDeadLetterState,
  rejectedState,
} from '../../common/dead-letter.ts';
import { isKafkaError, KafkaError } from '../../common/kafka-errors.ts';
import { OffsetSet } from '../../common/offset-set.ts';
import { deadLetterPolicy, deadLetterRoutes } from '../../metadata/dead-letter-policy.ts';
import { topicByName } from '../../metadata/queries.ts';
import { batchesIn } from '../../storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../storage/record-batch/decoder.ts';
import type { DecodedRecord, ProducerRecord } from '../../storage/record-batch/record.ts';
import { HttpError } from '../errors.ts';
import type { ClusterNode, ReadResult, TopicPartition } from '../ports.ts';
import { BATCH_BYTES_TARGET, PRODUCE_TIMEOUT_MS } from '../records/producer.ts';
import { DeadLetterProducer } from './dead-letter-producer.ts';

export interface Rejection extends TopicPartition {
  readonly offset: number;
  readonly reason: string | null;
}

export interface DeadLetterDeps {
  readonly node: ClusterNode;
  readonly now: () => number;
  readonly groupId: string;
}

/** How long a new dead-letter topic made by another node at the same time may take to show here. */
const CATCH_UP_MS = 5_000;

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function name(tp: TopicPartition, offset: number): string {
  return `${tp.topic}-${tp.partition}@${offset}`;
}

/** The copy of one rejected record, and where it goes. */
interface Letter {
  readonly rejection: Rejection;
  readonly topic: string;
  readonly partition: number;
  readonly record: ProducerRecord;
}

/** Where a scan of a retry partition's read stopped. */
export interface RetryScan {
  /** A record to deliver is at `next`. */
  readonly deliverable: boolean;
  /** The first offset not skipped. */
  readonly next: number;
  /** The record at `next` is due then (ms since the epoch); null: none is waiting. */
  readonly heldUntil: number | null;
}

export class InstanceDeadLetters {
  readonly #deps: DeadLetterDeps;
  readonly #producer: DeadLetterProducer;
  /** Per partition: offsets returned and not rejected or committed past since. */
  readonly #given = new Map<string, OffsetSet>();
  /** Per partition: offsets rejected since (a second rejection is refused with a message saying so). */
  readonly #rejected = new Map<string, OffsetSet>();
  /** The dead-letter topics this instance reads retries from, with the topics that send to each. */
  #routes: Map<string, ReadonlySet<string>> = new Map();

  constructor(deps: DeadLetterDeps) {
    this.#deps = deps;
    this.#producer = new DeadLetterProducer({ data: deps.node.data, now: deps.now });
  }

  // -------------------------------------------------------------------------------------------------
  // Subscription.

  /** `topics` and the dead-letter topics of those with dead.letter.enable=true, sorted. */
  withDeadLetterTopics(topics: readonly string[]): string[] {
    const routes = deadLetterRoutes(this.#deps.node.image(), topics);
    return [...new Set([...topics, ...routes.keys()])].sort();
  }

  /** The topics a subscription or assignment reads: their dead-letter topics are read for retries. */
  route(topics: readonly string[]): void {
    this.#routes = deadLetterRoutes(this.#deps.node.image(), topics);
  }

  isRetryTopic(topic: string): boolean {
    return this.#routes.has(topic);
  }

  /** Creates the dead-letter topics of `topics` that do not exist yet. */
  async createTopics(topics: readonly string[]): Promise<void> {
    const image = this.#deps.node.image();
    for (const topic of topics) {
      const policy = deadLetterPolicy(image, topic);
      if (policy !== null) await this.#ensureTopic(policy, topic);
    }
  }

  /**
   * A dead-letter topic as auto-create makes topics (the cluster's default replication factor), with the
   * partitions of the topic it serves, so that the records of origin partition p go to partition p.
   */
  async #ensureTopic(policy: DeadLetterPolicy, origin: string): Promise<void> {
    const image = this.#deps.node.image();
    if (topicByName(image, policy.topic) !== undefined) return;
    const partitions = topicByName(image, origin)?.partitions.size ?? 1;
    try {
      await this.#deps.node.admin.createTopic({
        name: policy.topic,
        partitionsCount: partitions,
        configs: new Map(),
        validateOnly: false,
      });
    } catch (error) {
      if (!isKafkaError(error, 'TOPIC_ALREADY_EXISTS')) throw error;
      // Another node created it a moment ago: wait until this node's image has it.
      await this.#deps.node.admin.catchUp(CATCH_UP_MS).catch(() => undefined);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Delivery.

  /** What to do with a record read from `topic`: every record of a topic that is not a retry topic is delivered. */
  delivery(topic: string, record: DecodedRecord): Delivery {
    const origins = this.#routes.get(topic);
    if (origins === undefined) return { kind: 'deliver' };
    return deliveryOf(readDeadLetterState(record.headers), {
      now: this.#deps.now(),
      groupId: this.#deps.groupId,
      origins,
    });
  }

  /** Walks the records of a retry partition's read from `from`: the first deliverable or held one. */
  scan(topic: string, result: ReadResult, from: number): RetryScan {
    let next = from;
    for (const { header } of batchesIn(result.records)) {
      if (header.lastOffset < next) continue;
      if (header.isControl) {
        next = header.lastOffset + 1;
        continue;
      }
      for (const record of decodeRecords(header)) {
        if (record.offset < next) continue;
        const delivery = this.delivery(topic, record);
        if (delivery.kind === 'deliver') return { deliverable: true, next: record.offset, heldUntil: null };
        if (delivery.kind === 'hold')
          return { deliverable: false, next: record.offset, heldUntil: delivery.until };
        next = record.offset + 1;
      }
    }
    return { deliverable: false, next, heldUntil: null };
  }

  /**
   * A long poll of a retry partition: reads past records never delivered to this group, and sleeps until
   * a held record is due, within `maxWaitMs`. Resolves with where the last read started and its result.
   */
  async readRetries(
    tp: TopicPartition,
    position: number,
    maxBytes: number,
    maxWaitMs: number,
    signal: AbortSignal,
  ): Promise<{ readonly from: number; readonly result: ReadResult }> {
    const deadline = this.#deps.now() + maxWaitMs;
    let from = position;
    for (;;) {
      const result = await this.#deps.node.data.read({
        topicName: tp.topic,
        partitionId: tp.partition,
        offset: from,
        maxBytes,
        maxWaitMs: Math.max(0, deadline - this.#deps.now()),
      });
      const scan = this.scan(tp.topic, result, from);
      const left = deadline - this.#deps.now();
      if (scan.deliverable || left <= 0 || signal.aborted) return { from, result };
      if (scan.heldUntil === null && scan.next === from) return { from, result };
      from = scan.next;
      if (scan.heldUntil !== null) {
        const wait = Math.min(Math.max(0, scan.heldUntil - this.#deps.now()), left);
        await sleep(wait, undefined, { signal, ref: false }).catch(() => undefined);
        if (signal.aborted) return { from, result };
      }
    }
  }

  // -------------------------------------------------------------------------------------------------
  // What the instance was given.

  /**
   * Records of one partition returned to the application: they may be rejected from now on (when their
   * topic allows it; looked up once per call, not per record).
   */
  given(tp: TopicPartition, offsets: readonly number[]): void {
    if (!this.#routes.has(tp.topic) && deadLetterPolicy(this.#deps.node.image(), tp.topic) === null) return;
    const key = keyOf(tp.topic, tp.partition);
    let set = this.#given.get(key);
    if (set === undefined) {
      set = new OffsetSet();
      this.#given.set(key, set);
    }
    for (const offset of offsets) set.add(offset);
  }

  /** A commit of `offset` (the next to read): records below it were handled. */
  committed(tp: TopicPartition, offset: number): void {
    const key = keyOf(tp.topic, tp.partition);
    for (const map of [this.#given, this.#rejected]) {
      const offsets = map.get(key);
      if (offsets === undefined) continue;
      offsets.deleteBelow(offset);
      if (offsets.empty) map.delete(key);
    }
  }

  /** The assignment changed: what partitions no longer assigned were given is forgotten. */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const map of [this.#given, this.#rejected]) {
      for (const key of [...map.keys()]) if (!keys.has(key)) map.delete(key);
    }
  }

  clear(): void {
    this.#given.clear();
    this.#rejected.clear();
    this.#routes = new Map();
  }

  // -------------------------------------------------------------------------------------------------
  // Rejections.

  /**
   * Sets each record aside in its dead-letter topic; resolves once every copy is acknowledged by all
   * in-sync replicas. Checks every record before writing any.
   */
  async reject(rejections: readonly Rejection[], isAssigned: (tp: TopicPartition) => boolean): Promise<void> {
    this.#check(rejections, isAssigned);
    const deadline = this.#deps.now() + PRODUCE_TIMEOUT_MS;
    const letters: Letter[] = [];
    for (const rejection of rejections) letters.push(await this.#letter(rejection));
    const byTarget = new Map<string, Letter[]>();
    for (const letter of letters) {
      const key = keyOf(letter.topic, letter.partition);
      byTarget.set(key, [...(byTarget.get(key) ?? []), letter]);
    }
    const failures: unknown[] = [];
    const setAside: Rejection[] = [];
    await Promise.all(
      [...byTarget.values()].map(async (group) => {
        for (const chunk of chunks(group)) {
          try {
            await this.#producer.send(
              chunk[0]!.topic,
              chunk[0]!.partition,
              chunk.map((letter) => letter.record),
              deadline,
            );
          } catch (error) {
            failures.push(error);
            return;
          }
          for (const { rejection } of chunk) {
            this.#handled(rejection);
            setAside.push(rejection);
          }
        }
      }),
    );
    if (failures.length === 0) return;
    const failure = failures[0];
    if (setAside.length === 0 || !(failure instanceof KafkaError)) throw failure;
    // Part of them went through: say which, so that a retry names only the others.
    const done = setAside.map((r) => name(r, r.offset)).join(', ');
    throw new KafkaError(failure.errorName, `${failure.message} (set aside all the same: ${done})`, {
      cause: failure,
    });
  }

  #check(rejections: readonly Rejection[], isAssigned: (tp: TopicPartition) => boolean): void {
    const image = this.#deps.node.image();
    const listed = new Set<string>();
    for (const rejection of rejections) {
      const id = name(rejection, rejection.offset);
      if (listed.has(id)) throw new HttpError('INVALID_PAYLOAD', `Record ${id} is listed more than once.`);
      listed.add(id);
      if (!isAssigned(rejection)) {
        throw new HttpError(
          'ILLEGAL_STATE',
          `No current assignment for partition ${rejection.topic}-${rejection.partition}`,
        );
      }
      if (!this.#routes.has(rejection.topic) && deadLetterPolicy(image, rejection.topic) === null) {
        throw new HttpError(
          'KAFKA_BAD_REQUEST',
          `Topic ${rejection.topic} does not have dead.letter.enable=true: its records cannot be rejected.`,
        );
      }
      const key = keyOf(rejection.topic, rejection.partition);
      if (this.#rejected.get(key)?.has(rejection.offset) === true) {
        throw new HttpError('ILLEGAL_STATE', `Record ${id} was rejected already.`);
      }
      if (this.#given.get(key)?.has(rejection.offset) !== true) {
        throw new HttpError(
          'ILLEGAL_STATE',
          `Record ${id} was not returned to this consumer instance since its assignment began, or a commit passed it.`,
        );
      }
    }
  }

  #handled(rejection: Rejection): void {
    const key = keyOf(rejection.topic, rejection.partition);
    const given = this.#given.get(key);
    given?.delete(rejection.offset);
    if (given?.empty === true) this.#given.delete(key);
    let rejected = this.#rejected.get(key);
    if (rejected === undefined) {
      rejected = new OffsetSet();
      this.#rejected.set(key, rejected);
    }
    rejected.add(rejection.offset);
  }

  /** The dead-letter copy of a rejected record: read back from its partition, then its next state. */
  async #letter(rejection: Rejection): Promise<Letter> {
    const record = await this.#readRecord(rejection);
    const now = this.#deps.now();
    const image = this.#deps.node.image();
    let previous: DeadLetterState | null = null;
    if (this.#routes.has(rejection.topic)) {
      // A retry: the copy goes where the record is, one attempt further.
      previous = readDeadLetterState(record.headers);
      // Only records with a state are delivered from a retry topic, hence given.
      if (previous === null)
        throw new Error(`Record ${name(rejection, rejection.offset)} has no dead-letter state.`);
    }
    const originTopic = previous?.origin.topic ?? rejection.topic;
    const policy = deadLetterPolicy(image, originTopic);
    if (policy === null) {
      throw new HttpError(
        'KAFKA_BAD_REQUEST',
        `Topic ${originTopic} does not have dead.letter.enable=true any more: its records cannot be rejected.`,
      );
    }
    let target: TopicPartition;
    if (previous !== null) {
      target = { topic: rejection.topic, partition: rejection.partition };
    } else {
      await this.#ensureTopic(policy, rejection.topic);
      const partitions = topicByName(this.#deps.node.image(), policy.topic)?.partitions.size ?? 0;
      if (partitions === 0) {
        throw new KafkaError(
          'UNKNOWN_TOPIC_OR_PARTITION',
          `The dead-letter topic ${policy.topic} is not there.`,
        );
      }
      target = { topic: policy.topic, partition: rejection.partition % partitions };
    }
    const state = rejectedState({
      origin: previous?.origin ?? {
        topic: rejection.topic,
        partition: rejection.partition,
        offset: rejection.offset,
        timestamp: record.timestamp,
      },
      groupId: this.#deps.groupId,
      previousAttempts: previous?.attempts ?? 0,
      reason: rejection.reason,
      now,
      policy,
    });
    return {
      rejection,
      ...target,
      record: {
        // The time it was set aside: the dead-letter topic's retention counts from then.
        timestamp: now,
        key: record.key,
        value: record.value,
        headers: deadLetterHeaders(record.headers, state),
      },
    };
  }

  async #readRecord(rejection: Rejection): Promise<DecodedRecord> {
    const result = await this.#deps.node.data.read({
      topicName: rejection.topic,
      partitionId: rejection.partition,
      offset: rejection.offset,
      maxBytes: 1,
      maxWaitMs: 0,
    });
    for (const { header } of batchesIn(result.records)) {
      if (header.isControl || header.lastOffset < rejection.offset) continue;
      for (const record of decodeRecords(header)) if (record.offset === rejection.offset) return record;
      break;
    }
    throw new KafkaError(
      'OFFSET_OUT_OF_RANGE',
      `Record ${name(rejection, rejection.offset)} is no longer in the log (retention or compaction removed it).`,
    );
  }
}

/** Runs of letters of about BATCH_BYTES_TARGET each (one at least), so that a batch stays below max.message.bytes. */
function chunks(letters: readonly Letter[]): Letter[][] {
  const result: Letter[][] = [];
  let current: Letter[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const { key, value, headers } = letter.record;
    let size = (key?.length ?? 0) + (value?.length ?? 0);
    for (const header of headers) size += header.key.length + (header.value?.length ?? 0);
    if (current.length > 0 && bytes + size > BATCH_BYTES_TARGET) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(letter);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}
