// Shared by the group coordinator tests: the fast-check seed (printed, replayable with GROUPS_SEED=<n>),
// an in-memory double of the __consumer_offsets logs, and a coordinator on a test clock.

import type { Parameters } from 'fast-check';
import { expect } from 'vitest';
import { isKafkaError, type KafkaError } from '../../src/common/kafka-errors.ts';
import { GroupCoordinator, type GroupStorage } from '../../src/groups/coordinator.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';
import { type TopicId, topicId } from '../../src/metadata/ids.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { stampBaseOffset } from '../../src/storage/record-batch/header.ts';
import { offset } from '../../src/storage/types.ts';

const envSeed = process.env.GROUPS_SEED;

/** fast-check parameters with a known seed: GROUPS_SEED replays a run; otherwise a fresh seed, printed. */
export function fcParameters<T>(testName: string, numRuns: number): Parameters<T> {
  const seed = envSeed === undefined ? (Math.random() * 0x7fff_ffff) | 0 : Number(envSeed);
  console.log(`[groups] ${testName}: seed ${seed} (replay: GROUPS_SEED=${seed})`);
  return { seed, numRuns };
}

interface PendingAppend {
  readonly partition: number;
  readonly batch: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface HighWatermarkWaiter {
  readonly partition: number;
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The logs of __consumer_offsets as arrays of batches. Appends land in the log when called (as the
 * leader's log does) and are acknowledged at once, or, with `holdAppends`, when the test says so.
 * Reads answer at most `batchesPerRead` batches, and wait for `readGate` when one is set. The high
 * watermark follows the log end, unless `holdHighWatermark` froze it (the followers stopped fetching).
 */
export class MemoryGroupStorage implements GroupStorage {
  readonly logs = new Map<number, Buffer[]>();
  batchesPerRead = 2;
  holdAppends = false;
  readGate: Promise<void> | null = null;
  readonly reads: { partition: number; fromOffset: number }[] = [];
  readonly highWatermarkWaits: { partition: number; offset: number }[] = [];
  private readonly pending: PendingAppend[] = [];
  private failures: KafkaError[] = [];
  private readonly heldHighWatermarks = new Map<number, number>();
  private highWatermarkWaiters: HighWatermarkWaiter[] = [];
  private highWatermarkWaitFailures: KafkaError[] = [];

  /** The next append fails with `error` and leaves the log unchanged. */
  failNextAppend(error: KafkaError): void {
    this.failures.push(error);
  }

  async read(partition: number, fromOffset: number) {
    this.reads.push({ partition, fromOffset });
    if (this.readGate !== null) await this.readGate;
    const log = this.logs.get(partition) ?? [];
    const chunk = log.filter((batch) => lastOffsetOf(batch) >= fromOffset).slice(0, this.batchesPerRead);
    const logEndOffset = this.logEndOffset(partition);
    const nextOffset = chunk.length === 0 ? logEndOffset : lastOffsetOf(chunk.at(-1)!) + 1;
    return { records: Buffer.concat(chunk), nextOffset, logEndOffset };
  }

  append(partition: number, batch: Buffer): Promise<void> {
    const failure = this.failures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    const stored = Buffer.from(batch);
    stampBaseOffset(stored, offset(this.logEndOffset(partition)));
    this.logs.set(partition, [...(this.logs.get(partition) ?? []), stored]);
    this.wakeHighWatermarkWaiters();
    if (!this.holdAppends) return Promise.resolve();
    return new Promise((resolve, reject) => this.pending.push({ partition, batch: stored, resolve, reject }));
  }

  waitForHighWatermark(partition: number, offset: number): Promise<void> {
    this.highWatermarkWaits.push({ partition, offset });
    const failure = this.highWatermarkWaitFailures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    if (this.highWatermark(partition) >= offset) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.highWatermarkWaiters.push({ partition, offset, resolve, reject }),
    );
  }

  highWatermark(partition: number): number {
    return this.heldHighWatermarks.get(partition) ?? this.logEndOffset(partition);
  }

  /** The high watermark stays where it is until `setHighWatermark` or `releaseHighWatermark`. */
  holdHighWatermark(partition: number): void {
    this.heldHighWatermarks.set(partition, this.highWatermark(partition));
  }

  setHighWatermark(partition: number, offset: number): void {
    this.heldHighWatermarks.set(partition, offset);
    this.wakeHighWatermarkWaiters();
  }

  /** The high watermark follows the log end again. */
  releaseHighWatermark(partition: number): void {
    this.heldHighWatermarks.delete(partition);
    this.wakeHighWatermarkWaiters();
  }

  /** The next wait for the high watermark fails with `error` (e.g. REQUEST_TIMED_OUT). */
  failNextHighWatermarkWait(error: KafkaError): void {
    this.highWatermarkWaitFailures.push(error);
  }

  /** Leadership moved: the waits on `partition` fail with `error`. */
  failHighWatermarkWaiters(partition: number, error: KafkaError): void {
    const failed = this.highWatermarkWaiters.filter((waiter) => waiter.partition === partition);
    this.highWatermarkWaiters = this.highWatermarkWaiters.filter((waiter) => waiter.partition !== partition);
    for (const waiter of failed) waiter.reject(error);
  }

  /** The log of a new leader that lacks the records from `endOffset` on (they never reached it). */
  truncate(partition: number, endOffset: number): void {
    const log = this.logs.get(partition) ?? [];
    this.logs.set(
      partition,
      log.filter((batch) => lastOffsetOf(batch) < endOffset),
    );
    if ((this.heldHighWatermarks.get(partition) ?? 0) > endOffset)
      this.heldHighWatermarks.set(partition, endOffset);
  }

  private wakeHighWatermarkWaiters(): void {
    const ready = this.highWatermarkWaiters.filter(
      (waiter) => this.highWatermark(waiter.partition) >= waiter.offset,
    );
    this.highWatermarkWaiters = this.highWatermarkWaiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  }

  get pendingAppends(): number {
    return this.pending.length;
  }

  /** Acknowledges (or fails, with `error`) the held append at `index` in call order. */
  settle(index: number, error?: KafkaError): void {
    const [append] = this.pending.splice(index, 1);
    if (append === undefined) throw new Error(`no held append at ${index}`);
    if (error === undefined) append.resolve();
    else append.reject(error);
  }

  logEndOffset(partition: number): number {
    const log = this.logs.get(partition) ?? [];
    return log.length === 0 ? 0 : lastOffsetOf(log.at(-1)!) + 1;
  }

  batchCount(partition: number): number {
    return this.logs.get(partition)?.length ?? 0;
  }
}

function lastOffsetOf(batch: Buffer): number {
  for (const { header } of batchesIn(batch)) return header.lastOffset;
  throw new Error('not a batch');
}

export const MIN_SESSION_TIMEOUT_MS = 6_000;
export const MAX_SESSION_TIMEOUT_MS = 300_000;

export interface Harness {
  readonly coordinator: GroupCoordinator;
  readonly storage: MemoryGroupStorage;
  /** Topic -> partition count, as partitionsOf answers it. */
  readonly topics: Map<string, number>;
  /** A topic's id while it is in `topics` (a fresh one after `deleteTopic`), as topicIdOf answers it. */
  topicIdOf(topic: string): TopicId | null;
  /** The topic leaves the metadata; created again, it has a new id. */
  deleteTopic(topic: string): void;
  advance(ms: number): void;
  nowMs(): number;
  /** A coordinator over the same storage, topics and clock (another broker taking over). */
  successor(brokerId?: number): GroupCoordinator;
}

/** A coordinator of broker 1 over `numPartitions` partitions, none of them led yet. */
export interface HarnessOptions {
  readonly numPartitions?: number;
  readonly storage?: MemoryGroupStorage;
  /** Topic -> partition count; default orders: 3, payments: 2. */
  readonly topics?: Record<string, number>;
  /** The coordinator's offsetsLeaderEpochOf (default: none, epochs unchecked). */
  readonly offsetsLeaderEpochOf?: (partition: number) => number | null;
}

export function harness(options: HarnessOptions = {}): Harness {
  let nowMs = 1_000_000;
  let memberIds = 0;
  const storage = options.storage ?? new MemoryGroupStorage();
  const topics = new Map(Object.entries(options.topics ?? { orders: 3, payments: 2 }));
  const topicIds = new Map<string, TopicId>();
  let topicIdsIssued = 0;
  const topicIdOf = (topic: string): TopicId | null => {
    if (!topics.has(topic)) return null;
    let id = topicIds.get(topic);
    if (id === undefined) {
      id = topicId(`00000000-0000-4000-8000-${String(++topicIdsIssued).padStart(12, '0')}`);
      topicIds.set(topic, id);
    }
    return id;
  };
  const create = (brokerId: number) =>
    new GroupCoordinator({
      brokerId,
      numPartitions: options.numPartitions ?? 1,
      storage,
      nowMs: () => nowMs,
      newMemberId: (clientId) => `${clientId}-${String(++memberIds).padStart(4, '0')}`,
      minSessionTimeoutMs: MIN_SESSION_TIMEOUT_MS,
      maxSessionTimeoutMs: MAX_SESSION_TIMEOUT_MS,
      partitionsOf: (topic) => topics.get(topic) ?? null,
      topicIdOf,
      ...(options.offsetsLeaderEpochOf !== undefined
        ? { offsetsLeaderEpochOf: options.offsetsLeaderEpochOf }
        : {}),
      consumerProtocol,
    });
  return {
    coordinator: create(1),
    storage,
    topics,
    topicIdOf,
    deleteTopic: (topic) => {
      topics.delete(topic);
      topicIds.delete(topic);
    },
    advance: (ms) => {
      nowMs += ms;
    },
    nowMs: () => nowMs,
    successor: (brokerId = 2) => create(brokerId),
  };
}

/** A harness whose single partition is loaded. */
export async function loadedHarness(options: HarnessOptions = {}): Promise<Harness> {
  const h = harness(options);
  for (let partition = 0; partition < (options.numPartitions ?? 1); partition++) {
    const outcome = await h.coordinator.becomeCoordinator(partition);
    if (outcome.status !== 'loaded') throw new Error(`partition ${partition}: ${outcome.status}`);
  }
  return h;
}

export function joinRequest(
  groupId: string,
  topics: readonly string[],
  options: { memberId?: string | null; clientId?: string; sessionTimeoutMs?: number } = {},
) {
  return {
    groupId,
    memberId: options.memberId ?? null,
    clientId: options.clientId ?? 'client',
    host: '/127.0.0.1',
    topics,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
  };
}

/** Awaits `promise` and expects it to reject with the KafkaError `errorName`. */
export async function expectKafkaError(promise: Promise<unknown>, errorName: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isKafkaError(error)) throw new Error(`expected ${errorName}, got ${String(error)}`);
  expect(error.errorName).toBe(errorName);
}
