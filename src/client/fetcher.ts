// The consumer's fetcher: a fetch position per assigned partition, records fetched ahead into a buffer
// per partition (one fetch in flight per partition, the partitions of one leader in one request), as
// Kafka's Fetcher; a partition is fetched again while its buffer still holds up to one poll's records. A fetch answer is taken only if the partition is still assigned and was not moved
// (seek, reset) since the fetch went out: `version` says so. Errors of a partition mark it for a
// metadata refresh (the leader moved) or a reset (its offset is out of range).
import type { Delivery } from '../common/dead-letter.ts';
import { KafkaError, kafkaErrorByCode } from '../common/kafka-errors.ts';
import { clientCodec, type NativeFetchedPartition } from '../http/native/codec.ts';
import { batchesIn } from '../storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../storage/record-batch/decoder.ts';
import type { RecordHeader } from '../storage/record-batch/record.ts';
import type { BrokerConnections } from './connections.ts';
import type { ClusterMetadata } from './metadata.ts';

export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

export interface FetchSettings {
  readonly fetchMinBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly fetchMaxBytes: number;
  readonly maxPartitionFetchBytes: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  /** A partition with at most this many records buffered is fetched ahead (max.poll.records). */
  readonly prefetchBelowRecords: number;
}

export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  /** The offset of the next record poll returns; null until known (committed offset or reset). */
  position: number | null = null;
  /** The offset after what is buffered: where the next fetch starts. */
  fetchOffset = 0;
  /** Fetched records not yet returned, from `bufferAt` on. */
  buffer: ConsumerRecord[] = [];
  bufferAt = 0;
  /** Bumped on every move that is not a poll (seek, reset): answers to older fetches are dropped. */
  version = 0;
  inFlight = false;
  /** OFFSET_OUT_OF_RANGE: the position must be reset by auto.offset.reset. */
  resetNeeded = false;
  /** No fetch before this (ms since the epoch): after an error. */
  retryAtMs = 0;
  /** Set by the consumer when the partition is revoked: its fetches in flight are dropped. */
  revoked = false;
  /** A failure that retrying will not mend, for the next poll to throw (Kafka's poll throws it too). */
  error: KafkaError | null = null;
  /** The first buffered record is a retry due then (ms since the epoch): the position waits at it. */
  heldUntil: number | null = null;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  get buffered(): number {
    return this.buffer.length - this.bufferAt;
  }

  /** Moves the position (seek or reset): forgets what was fetched ahead. */
  moveTo(offset: number): void {
    this.position = offset;
    this.fetchOffset = offset;
    this.buffer = [];
    this.bufferAt = 0;
    this.version += 1;
    this.resetNeeded = false;
    this.error = null;
    this.heldUntil = null;
  }

  /**
   * Up to `max` buffered records; the position moves past them. With `decide` (a dead-letter topic read
   * for retries), records it passes are passed, and one it holds stays first in the buffer with the
   * position at it and `heldUntil` set.
   */
  take(max: number, decide?: (record: ConsumerRecord) => Delivery): ConsumerRecord[] {
    let records: ConsumerRecord[];
    if (decide === undefined) {
      records = this.buffer.slice(this.bufferAt, this.bufferAt + max);
      this.bufferAt += records.length;
      const last = records.at(-1);
      if (last !== undefined) this.position = last.offset + 1;
    } else {
      records = [];
      this.heldUntil = null;
      while (this.bufferAt < this.buffer.length && records.length < max) {
        const record = this.buffer[this.bufferAt]!;
        const delivery = decide(record);
        if (delivery.kind === 'hold') {
          this.heldUntil = delivery.until;
          this.position = record.offset;
          break;
        }
        this.bufferAt += 1;
        this.position = record.offset + 1;
        if (delivery.kind === 'deliver') records.push(record);
      }
    }
    if (this.bufferAt === this.buffer.length) {
      this.buffer = [];
      this.bufferAt = 0;
    }
    return records;
  }
}

export class Fetcher {
  readonly #connections: BrokerConnections;
  readonly #metadata: ClusterMetadata;
  readonly #settings: FetchSettings;
  #wake: (() => void) | null = null;
  #refreshing = false;

  constructor(connections: BrokerConnections, metadata: ClusterMetadata, settings: FetchSettings) {
    this.#connections = connections;
    this.#metadata = metadata;
    this.#settings = settings;
  }

  /** Sends a fetch for every partition with a position, few records buffered and none in flight. */
  fill(states: Iterable<PartitionState>): void {
    const now = Date.now();
    const byOrigin = new Map<string, PartitionState[]>();
    const unrouted = new Set<string>();
    for (const state of states) {
      // A partition the next poll may drain is fetched already, so that its records arrive meanwhile.
      if (state.position === null || state.resetNeeded || state.inFlight) continue;
      if (state.buffered > this.#settings.prefetchBelowRecords) continue;
      if (state.error !== null) continue;
      if (state.retryAtMs > now) continue;
      const origin = this.#metadata.partitions(state.topic)?.[state.partition]?.origin ?? null;
      if (origin === null) {
        unrouted.add(state.topic);
        continue;
      }
      const list = byOrigin.get(origin) ?? [];
      list.push(state);
      byOrigin.set(origin, list);
    }
    if (unrouted.size > 0) this.#refresh([...unrouted]);
    for (const [origin, partitions] of byOrigin) void this.#fetch(origin, partitions);
  }

  /** Resolves when a fetch answers (or fails), or after `ms`. */
  waitForData(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const previous = this.#wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        previous?.();
        done();
      };
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #refresh(topics: string[]): void {
    if (this.#refreshing) return;
    this.#refreshing = true;
    void this.#metadata
      .refresh(topics)
      .catch(() => undefined)
      .finally(() => {
        this.#refreshing = false;
        this.#notify();
      });
  }

  async #fetch(origin: string, partitions: readonly PartitionState[]): Promise<void> {
    const sent = partitions.map((state) => ({ state, version: state.version, offset: state.fetchOffset }));
    for (const state of partitions) state.inFlight = true;
    const byTopic = new Map<
      string,
      { partition: number; fetchOffset: number; partitionMaxBytes: number }[]
    >();
    for (const { state, offset } of sent) {
      const list = byTopic.get(state.topic) ?? [];
      list.push({
        partition: state.partition,
        fetchOffset: offset,
        partitionMaxBytes: this.#settings.maxPartitionFetchBytes,
      });
      byTopic.set(state.topic, list);
    }
    const topics = [...byTopic].map(([name, list]) => ({ name, partitions: list }));
    try {
      const bytes = await this.#connections.post(
        origin,
        '/v1/fetch',
        clientCodec.fetchRequest({
          maxWaitMs: this.#settings.fetchMaxWaitMs,
          minBytes: this.#settings.fetchMinBytes,
          maxBytes: this.#settings.fetchMaxBytes,
          topics,
        }),
        this.#settings.fetchMaxWaitMs + this.#settings.requestTimeoutMs,
        true,
      );
      const answer = clientCodec.fetchResponse(bytes);
      const answered = new Map<string, NativeFetchedPartition>();
      for (const topic of answer.topics)
        for (const p of topic.partitions) answered.set(`${topic.name}\u0000${p.partition}`, p);
      for (const { state, version, offset } of sent) {
        state.inFlight = false;
        const result = answered.get(`${state.topic}\u0000${state.partition}`);
        if (
          result === undefined ||
          state.revoked ||
          state.version !== version ||
          state.fetchOffset !== offset
        )
          continue;
        this.#take(state, result);
      }
    } catch {
      // The broker cannot be reached (or answered garbage): its partitions wait, and routes are refreshed.
      for (const { state } of sent) {
        state.inFlight = false;
        state.retryAtMs = Date.now() + this.#settings.retryBackoffMs;
      }
      this.#refresh([...new Set(sent.map(({ state }) => state.topic))]);
    }
    this.#notify();
  }

  #take(state: PartitionState, result: NativeFetchedPartition): void {
    if (result.errorCode !== 0) {
      const name = kafkaErrorByCode(result.errorCode) ?? 'UNKNOWN_SERVER_ERROR';
      if (name === 'OFFSET_OUT_OF_RANGE') {
        state.resetNeeded = true;
        return;
      }
      state.retryAtMs = Date.now() + this.#settings.retryBackoffMs;
      const error = new KafkaError(name, result.errorMessage);
      if (error.retriable) this.#refresh([state.topic]);
      else state.error = error;
      return;
    }
    const records: ConsumerRecord[] = [];
    let next = state.fetchOffset;
    for (const { header } of batchesIn(
      Buffer.from(result.records.buffer, result.records.byteOffset, result.records.byteLength),
    )) {
      if (header.lastOffset < next) continue;
      if (!header.isControl) {
        for (const record of decodeRecords(header)) {
          if (record.offset < next) continue;
          records.push({
            topic: state.topic,
            partition: state.partition,
            offset: record.offset,
            timestamp: record.timestamp,
            key: record.key,
            value: record.value,
            headers: record.headers,
          });
        }
      }
      next = header.lastOffset + 1;
    }
    state.fetchOffset = next;
    if (records.length > 0) {
      state.buffer =
        state.bufferAt === 0 && state.buffer.length === 0
          ? records
          : [...state.buffer.slice(state.bufferAt), ...records];
      state.bufferAt = 0;
    }
  }
}
