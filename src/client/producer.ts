// The SDK's producer, as Kafka's: records are partitioned (an explicit partition, murmur2 of the key,
// else sticky), gathered per partition into record batches (batch.size, linger.ms, compression) and sent
// to the partition's leader over the native API, up to max.in.flight batches per partition (one until
// the leader has acknowledged one since the last error). As Kafka's Sender, the batches ready for a
// broker go in one request, with the open batches of its other partitions (produce-dispatch.ts); a
// keyless record stays on its sticky partition for batch.size bytes (KIP-794). Failed sends are retried until delivery.timeout.ms, after a metadata refresh when the
// leadership moved or a broker is unreachable (the producer fails over to the brokers it learned). With
// idempotence (the default, as Kafka 3+), every batch carries the producer id and its sequence: a retry of
// a batch the leader already has is answered with its first offsets, never written twice, and a batch
// that overtook an earlier one is refused by the leader and sent again after it: the order holds. A batch
// that fails for good leaves a gap in its partition's sequence: the producer then takes a new producer id
// and sends the batches behind it again under that one (Kafka bumps the epoch for this, KIP-360).
import { isKafkaError, KafkaError } from '../common/kafka-errors.ts';
import { partitionForKey, StickyPartitioner } from '../common/partitioner.ts';
import { buildRecordBatch } from '../storage/record-batch/builder.ts';
import type { CompressionName } from '../storage/record-batch/format.ts';
import type { ProducerRecord as BatchRecord } from '../storage/record-batch/record.ts';
import { BrokerConnections } from './connections.ts';
import type { ClientSecurity } from './security.ts';
import { ClusterMetadata } from './metadata.ts';
import { ProduceDispatcher } from './produce-dispatch.ts';

export interface ProducerOptions {
  /** Brokers' client API origins, e.g. 'http://127.0.0.1:8081' (one is enough: the others are learned). */
  readonly bootstrap: string | readonly string[];
  /** TLS options for `https://` brokers (the CA, a client certificate). */
  readonly security?: ClientSecurity;
  /** 'all' (-1, default), 1 or 0, as Kafka's acks. */
  readonly acks?: 'all' | -1 | 0 | 1;
  /** linger.ms: how long a batch waits for more records before it is sent (default 5, as Kafka 4). */
  readonly lingerMs?: number;
  /** batch.size: a partition's batch is sent once it holds about this many bytes (default 16384). */
  readonly batchSize?: number;
  readonly compression?: Extract<CompressionName, 'none' | 'gzip' | 'zstd'>;
  /** enable.idempotence (default true). */
  readonly idempotence?: boolean;
  /** delivery.timeout.ms: a send fails once this long has passed since it was called (default 120000). */
  readonly deliveryTimeoutMs?: number;
  /** request.timeout.ms (default 30000). */
  readonly requestTimeoutMs?: number;
  /** retry.backoff.ms (default 100). */
  readonly retryBackoffMs?: number;
  /**
   * max.in.flight.requests.per.connection (default 5, at most 5 with idempotence, as Kafka): here per
   * partition, the batches sent to its leader and not yet answered.
   */
  readonly maxInFlight?: number;
  /**
   * max.request.size (default 1048576, as Kafka): a record larger than this when serialized fails at
   * send(), before it takes a sequence number in its partition (a batch the leader refused as too large
   * would leave a gap there that later batches could not pass).
   */
  readonly maxRequestSize?: number;
}

/** A v2 batch's header: what a batch of one record adds to it. */
const BATCH_OVERHEAD = 61;
/** Bytes of a v2 record besides key, value and headers at most: length, attributes and deltas, lengths. */
const RECORD_OVERHEAD_MAX = 5 + 1 + 10 + 5 + 5 + 5 + 5;
const HEADER_OVERHEAD_MAX = 5 + 5;

export interface ProducerRecord {
  readonly topic: string;
  readonly key?: string | Buffer | null;
  readonly value: string | Buffer | null;
  /** By name, or as Kafka's Headers: a list in which a name may repeat and a value may be null. */
  readonly headers?: Readonly<Record<string, string | Buffer>> | readonly ProducerHeader[];
  readonly partition?: number;
  /** Milliseconds since the epoch (default: now). */
  readonly timestamp?: number;
}

export interface ProducerHeader {
  readonly key: string;
  readonly value: string | Buffer | null;
}

export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Where the outcome of each record of a `send` or `sendMany` goes, by its index in the call. */
interface Delivery {
  delivered(index: number, metadata: RecordMetadata): void;
  failed(index: number, error: Error): void;
}

interface Pending {
  readonly record: BatchRecord;
  readonly delivery: Delivery;
  readonly index: number;
}

interface Batch {
  readonly records: Pending[];
  bytes: number;
  /** The earliest delivery deadline of its records. */
  deadlineMs: number;
  /** Built once, when first sent: a retry sends the same bytes (the same sequence). */
  encoded: Buffer | null;
  /** When it was last taken from the queue (the queue's count): a batch put back keeps its place. */
  drained: number | null;
}

interface Sending {
  readonly batch: Batch;
  /** Its first record's sequence, given when it is taken from the queue (so in send order). */
  readonly baseSequence: number;
  /** The producer identity's generation its sequence belongs to. */
  readonly generation: number;
  /** Settles when the batch is acknowledged or has failed for good. */
  settled: Promise<void>;
}

interface PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  open: Batch | null;
  lingerTimer: NodeJS.Timeout | null;
  readonly sealed: Batch[];
  /** The partition's batches in flight, in sequence order. */
  readonly sending: Sending[];
  nextSequence: number;
  /** The identity generation `nextSequence` counts in. */
  generation: number;
  /** Batches taken from the queue so far (Batch.drained). */
  drainedCount: number;
  /**
   * The leader acknowledged a batch since the partition's last error: it knows this producer, so a
   * later batch that overtakes an earlier one is refused rather than taken as a new producer's first
   * (a partition accepts any sequence from a producer it does not know). Until then, one in flight.
   */
  confirmed: boolean;
}

/** Shared by every record sent without headers (never changed). */
const NO_HEADERS: readonly { readonly key: string; readonly value: Buffer | null }[] = [];

const isHeaderList = (
  headers: NonNullable<ProducerRecord['headers']>,
): headers is readonly ProducerHeader[] => Array.isArray(headers);

const bytesOf = (data: string | Buffer | null | undefined): Buffer | null =>
  data === null || data === undefined ? null : typeof data === 'string' ? Buffer.from(data, 'utf8') : data;

export class Producer {
  readonly #connections: BrokerConnections;
  readonly #metadata: ClusterMetadata;
  readonly #sticky: StickyPartitioner;
  readonly #dispatcher: ProduceDispatcher;
  /** Each topic's partition queues, by partition. */
  readonly #queues = new Map<string, PartitionQueue[]>();
  /** The queues with an open batch (lingering). */
  readonly #open = new Set<PartitionQueue>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #acks: -1 | 0 | 1;
  readonly #lingerMs: number;
  readonly #batchSize: number;
  readonly #compression: CompressionName;
  readonly #idempotence: boolean;
  readonly #deliveryTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #retryBackoffMs: number;
  readonly #maxInFlight: number;
  readonly #maxRequestSize: number;
  #identity: Promise<{ producerId: number; producerEpoch: number }> | null = null;
  /** `#identity` once it has come: batches are then built at once, so that a drain's go in one request. */
  #knownIdentity: { producerId: number; producerEpoch: number } | null = null;
  /**
   * Bumped when a batch that took sequence numbers fails for good: the partition's sequence then has a
   * gap its leader will not let later batches pass, so the producer takes a new producer id (Kafka bumps
   * the epoch, KIP-360) and every partition starts again at sequence 0 once its batches in flight of the
   * old identity have settled. A batch of the old identity that the leader refused unwritten is put back
   * in its place and sent again under the new one.
   */
  #generation = 0;
  #closed = false;

  constructor(options: ProducerOptions) {
    this.#connections = new BrokerConnections(options.security);
    const bootstrap = typeof options.bootstrap === 'string' ? [options.bootstrap] : options.bootstrap;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#metadata = new ClusterMetadata(this.#connections, bootstrap, this.#requestTimeoutMs);
    this.#acks = options.acks === 'all' || options.acks === undefined ? -1 : options.acks;
    this.#idempotence = options.idempotence ?? true;
    if (this.#idempotence && this.#acks !== -1)
      throw new Error(
        'An idempotent producer needs acks=all (as Kafka: set idempotence: false for acks 0 or 1).',
      );
    this.#lingerMs = options.lingerMs ?? 5;
    this.#batchSize = options.batchSize ?? 16_384;
    this.#compression = options.compression ?? 'none';
    this.#deliveryTimeoutMs = options.deliveryTimeoutMs ?? 120_000;
    this.#retryBackoffMs = options.retryBackoffMs ?? 100;
    this.#maxInFlight = options.maxInFlight ?? 5;
    this.#maxRequestSize = options.maxRequestSize ?? 1_048_576;
    if (
      !Number.isInteger(this.#maxInFlight) ||
      this.#maxInFlight < 1 ||
      (this.#idempotence && this.#maxInFlight > 5)
    )
      throw new Error('maxInFlight must be 1 to 5 with idempotence (as Kafka), at least 1 without.');
    // KIP-794: a keyless producer stays on a partition for a batch's worth of records.
    this.#sticky = new StickyPartitioner({ switchBytes: this.#batchSize });
    this.#dispatcher = new ProduceDispatcher(this.#connections, {
      acks: this.#acks,
      requestTimeoutMs: this.#requestTimeoutMs,
      repeatable: this.#idempotence,
      maxRequestBytes: this.#maxRequestSize,
      beforeSend: (origin) => this.#drainFor(origin),
    });
  }

  /** Resolves once the record is acknowledged as `acks` says; rejects after delivery.timeout.ms. */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    return new Promise<RecordMetadata>((resolve, reject) => {
      this.#accept([record], {
        delivered: (_index, metadata) => resolve(metadata),
        failed: (_index, error) => reject(error),
      });
    });
  }

  /**
   * Sends `records` (as many `send`s, in this order) and resolves with their metadata, in the same order,
   * once every one is acknowledged; rejects with the first failure once every one has settled (the
   * others may have been written). One promise for them all: for a caller that waits for a group of
   * records anyway, as kafkajs's `send({ messages })`, it spares a promise and its microtask per record.
   */
  sendMany(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const results = new Array<RecordMetadata>(records.length);
      let waiting = records.length;
      let firstError: Error | null = null;
      const settledOne = (): void => {
        waiting -= 1;
        if (waiting > 0) return;
        if (firstError === null) resolve(results);
        else reject(firstError);
      };
      if (waiting === 0) return resolve(results);
      this.#accept(records, {
        delivered: (index, metadata) => {
          results[index] = metadata;
          settledOne();
        },
        failed: (_index, error) => {
          firstError ??= error;
          settledOne();
        },
      });
    });
  }

  /** Queues `records` in order; each is reported to `delivery` by its index. Never throws. */
  #accept(records: readonly ProducerRecord[], delivery: Delivery): void {
    const deadlineMs = Date.now() + this.#deliveryTimeoutMs;
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      if (this.#closed) {
        delivery.failed(index, new Error('The producer is closed.'));
        continue;
      }
      // Known metadata is used at once: no turn of the event loop per record.
      const partitions = this.#metadata.partitions(record.topic)?.length;
      if (!partitions) {
        // The topic's metadata first; the records after this one wait for it too, so that they keep
        // their order (a record queued at once could overtake it in its partition).
        const rest = records.slice(index);
        this.#partitionsOf(record.topic, deadlineMs).then(
          () => this.#accept(rest, offsetBy(delivery, index)),
          (error: unknown) => {
            for (let i = 0; i < rest.length; i++) delivery.failed(index + i, asError(error));
          },
        );
        return;
      }
      try {
        this.#enqueue(record, partitions, deadlineMs, delivery, index);
      } catch (error) {
        delivery.failed(index, asError(error));
      }
    }
  }

  #enqueue(
    record: ProducerRecord,
    partitions: number,
    deadlineMs: number,
    delivery: Delivery,
    index: number,
  ): void {
    const key = bytesOf(record.key);
    const value = bytesOf(record.value);
    const given = record.headers;
    const headers =
      given === undefined
        ? NO_HEADERS
        : isHeaderList(given)
          ? given.map((header) => ({ key: header.key, value: bytesOf(header.value) }))
          : Object.entries(given).map(([name, data]) => ({ key: name, value: bytesOf(data) }));
    // At most what the record takes in a v2 batch: its varints at their longest, and its headers.
    let size = RECORD_OVERHEAD_MAX + (key?.length ?? 0) + (value?.length ?? 0);
    for (const h of headers) size += HEADER_OVERHEAD_MAX + Buffer.byteLength(h.key) + (h.value?.length ?? 0);
    if (size + BATCH_OVERHEAD > this.#maxRequestSize)
      throw new KafkaError(
        'MESSAGE_TOO_LARGE',
        `The record is up to ${size + BATCH_OVERHEAD} bytes when serialized, larger than maxRequestSize ` +
          `(max.request.size) ${this.#maxRequestSize}.`,
      );
    const partition =
      record.partition ??
      (key !== null
        ? partitionForKey(key, partitions)
        : this.#sticky.partition(record.topic, partitions, size));
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitions)
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `${record.topic} has no partition ${partition}.`);
    const queue = this.#queue(record.topic, partition);
    // As Kafka's accumulator: a record that does not fit the open batch starts the next one, so that a
    // batch exceeds batch.size only when one record alone does.
    if (queue.open !== null && queue.open.bytes + size > this.#batchSize) this.#seal(queue);
    if (queue.open === null) {
      queue.open = { records: [], bytes: 0, deadlineMs, encoded: null, drained: null };
      this.#open.add(queue);
    }
    const batch = queue.open;
    batch.records.push({
      record: { key, value, headers, timestamp: record.timestamp ?? Date.now() },
      delivery,
      index,
    });
    batch.bytes += size;
    if (batch.bytes >= this.#batchSize) this.#seal(queue);
    else queue.lingerTimer ??= setTimeout(() => this.#seal(queue), this.#lingerMs);
  }

  /** Sends every record given so far and resolves once each is acknowledged or has failed. */
  async flush(): Promise<void> {
    for (const queue of [...this.#open]) this.#seal(queue);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    await this.#connections.close();
  }

  async #partitionsOf(topic: string, deadlineMs: number): Promise<number> {
    for (;;) {
      const known = this.#metadata.partitions(topic);
      if (known !== undefined && known.length > 0) return known.length;
      try {
        await this.#metadata.refresh([topic]);
      } catch (error) {
        if (Date.now() >= deadlineMs) throw error;
      }
      if (this.#metadata.partitions(topic) !== undefined) continue;
      if (Date.now() + this.#retryBackoffMs >= deadlineMs)
        throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${topic} does not exist.`);
      await sleep(this.#retryBackoffMs);
    }
  }

  #queue(topic: string, partition: number): PartitionQueue {
    let queues = this.#queues.get(topic);
    if (queues === undefined) {
      queues = [];
      this.#queues.set(topic, queues);
    }
    let queue = queues[partition];
    if (queue === undefined) {
      queue = {
        topic,
        partition,
        open: null,
        lingerTimer: null,
        sealed: [],
        sending: [],
        nextSequence: 0,
        generation: this.#generation,
        drainedCount: 0,
        confirmed: false,
      };
      queues[partition] = queue;
    }
    return queue;
  }

  /**
   * Seals the open batches of the partitions `origin` leads, as a request to it is about to go: they go
   * in it (within max.in.flight), as Kafka's drain takes a batch of every partition of the node it sends to.
   */
  #drainFor(origin: string): void {
    for (const queue of [...this.#open]) {
      if (queue.sending.length >= (queue.confirmed ? this.#maxInFlight : 1)) continue;
      if (this.#metadata.partitions(queue.topic)?.[queue.partition]?.origin === origin) this.#seal(queue);
    }
  }

  #seal(queue: PartitionQueue): void {
    if (queue.lingerTimer !== null) clearTimeout(queue.lingerTimer);
    queue.lingerTimer = null;
    if (queue.open === null) return;
    queue.sealed.push(queue.open);
    queue.open = null;
    this.#open.delete(queue);
    this.#drain(queue);
  }

  /** Sends the oldest sealed batches of `queue` while fewer than max.in.flight are in flight. */
  #drain(queue: PartitionQueue): void {
    if (queue.generation !== this.#generation) {
      // A new identity: only once none of the old one's batches of this partition is in flight, so that
      // the partition's order holds across the change.
      if (queue.sending.length > 0) return;
      queue.generation = this.#generation;
      queue.nextSequence = 0;
      queue.confirmed = false;
    }
    const limit = queue.confirmed ? this.#maxInFlight : 1;
    while (queue.sending.length < limit && queue.sealed.length > 0) {
      let batch = queue.sealed.shift()!;
      // A backlog (batches linger.ms sealed while the partition had max.in.flight out) goes as one batch
      // of up to batch.size: one round trip instead of one each. None of them has a sequence yet.
      while (queue.sealed.length > 0 && batch.bytes + queue.sealed[0]!.bytes <= this.#batchSize) {
        const next = queue.sealed.shift()!;
        batch = {
          records: [...batch.records, ...next.records],
          bytes: batch.bytes + next.bytes,
          deadlineMs: Math.min(batch.deadlineMs, next.deadlineMs),
          encoded: null,
          drained: batch.drained,
        };
      }
      if (Date.now() >= batch.deadlineMs) {
        // Expired waiting (as Kafka's accumulator expires batches): failed before it takes a sequence.
        const expired = new KafkaError('REQUEST_TIMED_OUT', 'The batch expired before it could be sent.');
        for (const pending of batch.records) pending.delivery.failed(pending.index, expired);
        continue;
      }
      batch.drained ??= queue.drainedCount++;
      const sending: Sending = {
        batch,
        baseSequence: queue.nextSequence,
        generation: queue.generation,
        settled: Promise.resolve(),
      };
      queue.nextSequence += batch.records.length;
      queue.sending.push(sending);
      const delivered = this.#deliver(queue, sending).finally(() => {
        queue.sending.splice(queue.sending.indexOf(sending), 1);
        this.#inFlight.delete(delivered);
        this.#drain(queue);
      });
      sending.settled = delivered;
      this.#inFlight.add(delivered);
    }
  }

  /**
   * Sends a batch until it is acknowledged or its delivery timeout passes. With several batches of a
   * partition in flight, a later one may reach the leader first: the leader refuses it
   * (OUT_OF_ORDER_SEQUENCE_NUMBER, its predecessor is missing) and it is sent again once every earlier
   * batch settled, as Kafka's producer does; a retry for any other reason also waits for the earlier
   * batches, so that retries keep the sequence order. Without idempotence a retry may reorder records
   * (as Kafka with retries and max.in.flight > 1).
   */
  async #deliver(queue: PartitionQueue, sending: Sending): Promise<void> {
    const { batch } = sending;
    let lastError: Error | null = null;
    while (Date.now() < batch.deadlineMs) {
      try {
        if (batch.encoded === null) {
          // Built synchronously when it can be (no turn of the event loop before the produce).
          const building = this.#encode(batch, sending);
          const encoded = building instanceof Promise ? await building : building;
          // Its identity was given up before it was sent: it goes under the new one.
          if (encoded === null) return this.#putBack(queue, batch);
          batch.encoded = encoded;
        }
        const baseOffset = await this.#produce(queue, batch.encoded);
        queue.confirmed = true;
        const { topic, partition } = queue;
        for (let i = 0; i < batch.records.length; i++) {
          const pending = batch.records[i]!;
          pending.delivery.delivered(pending.index, { topic, partition, offset: baseOffset + i });
        }
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        queue.confirmed = false;
        const earlier = queue.sending.slice(0, queue.sending.indexOf(sending));
        const outOfOrder = isKafkaError(lastError, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
        const overtook = outOfOrder && earlier.length > 0;
        // Refused unwritten behind a batch of its identity that failed for good: sent again under the new one.
        if (outOfOrder && !overtook && sending.generation !== this.#generation)
          return this.#putBack(queue, batch);
        const retriable = overtook || !isKafkaError(lastError) || lastError.retriable;
        if (!retriable) break;
        await Promise.allSettled(earlier.map((e) => e.settled));
        if (overtook) continue;
        // Unknown outcome without idempotence: sent again, as Kafka's producer with retries (at least once).
        await this.#metadata.refresh([queue.topic]).catch(() => undefined);
        await sleep(Math.min(this.#retryBackoffMs, Math.max(0, batch.deadlineMs - Date.now())));
      }
    }
    if (this.#idempotence && sending.generation === this.#generation) {
      this.#generation += 1;
      this.#identity = null;
      this.#knownIdentity = null;
    }
    const failure = lastError ?? new KafkaError('REQUEST_TIMED_OUT', 'The batch was not sent in time.');
    for (const pending of batch.records) pending.delivery.failed(pending.index, failure);
  }

  /** Puts an unwritten batch back in its place in the queue, without its sequence. */
  #putBack(queue: PartitionQueue, batch: Batch): void {
    batch.encoded = null;
    const before = queue.sealed.findIndex(
      (other) => other.drained === null || other.drained > batch.drained!,
    );
    queue.sealed.splice(before < 0 ? queue.sealed.length : before, 0, batch);
  }

  /** The batch's bytes with its sequence; null if its identity generation ended before it was built. */
  #encode(batch: Batch, sending: Sending): Buffer | null | Promise<Buffer | null> {
    const records = batch.records.map((pending) => pending.record);
    if (!this.#idempotence) return buildRecordBatch({ records, compression: this.#compression });
    const build = ({ producerId, producerEpoch }: { producerId: number; producerEpoch: number }) =>
      sending.generation !== this.#generation
        ? null
        : buildRecordBatch({
            records,
            compression: this.#compression,
            producerId,
            producerEpoch,
            baseSequence: sending.baseSequence,
          });
    if (this.#knownIdentity !== null) return build(this.#knownIdentity);
    return this.#producerIdentity().then(build);
  }

  /** The partition's first offset of `records`, from its leader; a KafkaError or a network error. */
  #produce(queue: PartitionQueue, records: Buffer): Promise<number> {
    const route = this.#metadata.partitions(queue.topic)?.[queue.partition];
    if (route === undefined || route.origin === null)
      return Promise.reject(
        new KafkaError('LEADER_NOT_AVAILABLE', `${queue.topic}-${queue.partition} has no leader known here.`),
      );
    return this.#dispatcher.produce(route.origin, queue.topic, queue.partition, records);
  }

  /** InitProducerId (REST v3 /producer-ids of any broker), once; a failure is retried by the next send. */
  #producerIdentity(): Promise<{ producerId: number; producerEpoch: number }> {
    if (this.#identity === null) {
      const asked: Promise<{ producerId: number; producerEpoch: number }> = this.#initProducerId().then(
        (identity) => {
          if (this.#identity === asked) this.#knownIdentity = identity;
          return identity;
        },
        (error: unknown) => {
          if (this.#identity === asked) this.#identity = null;
          throw error;
        },
      );
      this.#identity = asked;
    }
    return this.#identity;
  }

  async #initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    if (this.#metadata.clusterId === null) await this.#metadata.refresh([]);
    let lastError: unknown = null;
    for (const origin of this.#metadata.origins()) {
      try {
        const answer = (await this.#connections.json(
          origin,
          'POST',
          `/v3/clusters/${this.#metadata.clusterId}/producer-ids`,
          this.#requestTimeoutMs,
        )) as { producer_id: number; producer_epoch: number };
        return { producerId: answer.producer_id, producerEpoch: answer.producer_epoch };
      } catch (error) {
        lastError = error;
      }
    }
    throw new KafkaError('COORDINATOR_NOT_AVAILABLE', `No broker gave a producer id: ${String(lastError)}`);
  }
}

/** `delivery` for the records from `first` on of a call: their indexes count from 0 again. */
const offsetBy = (delivery: Delivery, first: number): Delivery =>
  first === 0
    ? delivery
    : {
        delivered: (index, metadata) => delivery.delivered(first + index, metadata),
        failed: (index, error) => delivery.failed(first + index, error),
      };

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
