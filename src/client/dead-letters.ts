// The SDK consumer's dead-letter side, with the REST v2 instances' semantics (src/common/dead-letter.ts,
// docs/design.md §6): at subscribe time the topics' dead-letter configs are read (Admin over REST v3)
// and each dead-letter topic joins the subscription (created when missing: the topic's partition count);
// records of those topics are delivered only when this group's, of a subscribed topic, not final and
// due; `reject` writes the copies with an idempotent acks=all Producer and resolves once each is
// acknowledged. What a consumer may reject: records its polls returned, not rejected already and not
// passed by one of its commits, of a topic with dead.letter.enable=true or of a dead-letter topic it
// reads for retries.

import {
  type DeadLetterPolicy,
  type DeadLetterState,
  type Delivery,
  deadLetterHeaders,
  deadLetterPolicyOf,
  deliveryOf,
  readDeadLetterState,
  rejectedState,
} from '../common/dead-letter.ts';
import { isKafkaError, KafkaError } from '../common/kafka-errors.ts';
import { OffsetSet } from '../common/offset-set.ts';
import { Admin } from './admin.ts';
import type { ConsumerRecord } from './fetcher.ts';
import { Producer, type ProducerRecord } from './producer.ts';
import type { ClientSecurity } from './security.ts';

export interface DeadLetterOptions {
  readonly bootstrap: readonly string[];
  readonly security?: ClientSecurity;
  readonly groupId: string | null;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
}

interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A rejected record and its dead-letter copy. */
interface Letter {
  readonly record: ConsumerRecord;
  readonly copy: ProducerRecord;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const name = (record: TopicPartition & { readonly offset: number }) =>
  `${record.topic}-${record.partition}@${record.offset}`;

export class ConsumerDeadLetters {
  readonly #options: DeadLetterOptions;
  #admin: Admin | null = null;
  #producer: Producer | null = null;
  /** Dead-letter policies by topic (null: none), as read at subscribe time or at a first rejection. */
  readonly #policies = new Map<string, DeadLetterPolicy | null>();
  /** Partition counts of dead-letter topics. */
  readonly #partitions = new Map<string, number>();
  /** The dead-letter topics read for retries, with the subscribed topics that send to each. */
  #routes = new Map<string, ReadonlySet<string>>();
  readonly #given = new Map<string, OffsetSet>();
  readonly #rejected = new Map<string, OffsetSet>();

  constructor(options: DeadLetterOptions) {
    this.#options = options;
  }

  #adminClient(): Admin {
    this.#admin ??= new Admin({
      bootstrap: this.#options.bootstrap,
      ...(this.#options.security !== undefined ? { security: this.#options.security } : {}),
      requestTimeoutMs: this.#options.requestTimeoutMs,
      retryBackoffMs: this.#options.retryBackoffMs,
    });
    return this.#admin;
  }

  async #policy(topic: string): Promise<DeadLetterPolicy | null> {
    if (this.#policies.has(topic)) return this.#policies.get(topic) ?? null;
    let policy: DeadLetterPolicy | null;
    try {
      const configs = await this.#adminClient().describeConfigs({ topic });
      policy = deadLetterPolicyOf((config) => configs[config]?.value ?? '');
    } catch (error) {
      // A topic not there yet has no dead letters (a subscription may name it before it exists).
      if (!isKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) throw error;
      policy = null;
    }
    this.#policies.set(topic, policy);
    return policy;
  }

  /** The dead-letter topic of `origin`, created when missing; its partition count. */
  async #ensureTopic(policy: DeadLetterPolicy, origin: string): Promise<number> {
    const known = this.#partitions.get(policy.topic);
    if (known !== undefined) return known;
    const admin = this.#adminClient();
    const describe = async () => (await admin.describeTopics([policy.topic]))[0]!.partitions.length;
    let count: number;
    try {
      count = await describe();
    } catch (error) {
      if (!isKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) throw error;
      const partitions = (await admin.describeTopics([origin]))[0]!.partitions.length;
      try {
        await admin.createTopics([{ topic: policy.topic, numPartitions: partitions }]);
      } catch (failure) {
        if (!isKafkaError(failure, 'TOPIC_ALREADY_EXISTS')) throw failure;
      }
      count = await describe();
    }
    this.#partitions.set(policy.topic, count);
    return count;
  }

  /** `topics` and the dead-letter topics of those with dead.letter.enable=true (made when missing). */
  async subscription(topics: readonly string[]): Promise<string[]> {
    this.#policies.clear();
    const routes = new Map<string, Set<string>>();
    for (const topic of topics) {
      const policy = await this.#policy(topic);
      if (policy === null) continue;
      await this.#ensureTopic(policy, topic);
      const origins = routes.get(policy.topic) ?? new Set<string>();
      origins.add(topic);
      routes.set(policy.topic, origins);
    }
    this.#routes = routes;
    return [...new Set([...topics, ...routes.keys()])].sort();
  }

  isRetryTopic(topic: string): boolean {
    return this.#routes.has(topic);
  }

  /** Whether a record of a retry topic is delivered now, later, or never to this group. */
  decide(record: ConsumerRecord, now: number): Delivery {
    const origins = this.#routes.get(record.topic);
    if (origins === undefined) return { kind: 'deliver' };
    return deliveryOf(readDeadLetterState(record.headers), {
      now,
      groupId: this.#options.groupId ?? '',
      origins,
    });
  }

  /**
   * A record poll returned: it may be rejected (when its topic allows it) until a commit passes it. Kept
   * as offset ranges (a partition's polls make one run). A topic known to have no dead letters (looked up
   * at subscribe; a rejection asks the same cache) is not tracked: none of its records is rejectable.
   */
  given(record: ConsumerRecord): void {
    if (this.#policies.get(record.topic) === null && !this.#routes.has(record.topic)) return;
    const key = keyOf(record.topic, record.partition);
    let offsets = this.#given.get(key);
    if (offsets === undefined) {
      offsets = new OffsetSet();
      this.#given.set(key, offsets);
    }
    offsets.add(record.offset);
  }

  /** A commit of `offset` (the next to read) for the partition. */
  committed(tp: TopicPartition, offset: number): void {
    const key = keyOf(tp.topic, tp.partition);
    for (const map of [this.#given, this.#rejected]) {
      const offsets = map.get(key);
      offsets?.deleteBelow(offset);
      if (offsets?.empty === true) map.delete(key);
    }
  }

  /** The partition was revoked (or the subscription dropped). */
  forget(key: string): void {
    this.#given.delete(key);
    this.#rejected.delete(key);
  }

  /**
   * Sets the records aside in their dead-letter topics; resolves once every copy is acknowledged. Each
   * must be one poll returned, not rejected since and not passed by a commit since.
   */
  async reject(
    records: readonly ConsumerRecord[],
    reason: string | null,
    isAssigned: (tp: TopicPartition) => boolean,
  ): Promise<void> {
    const listed = new Set<string>();
    for (const record of records) {
      const id = name(record);
      if (listed.has(id)) throw new Error(`Record ${id} is listed more than once.`);
      listed.add(id);
      if (!isAssigned(record)) {
        throw new Error(
          `No current assignment for partition ${record.topic}-${record.partition} (as Kafka).`,
        );
      }
      if (!this.#routes.has(record.topic) && (await this.#policy(record.topic)) === null) {
        throw new KafkaError(
          'INVALID_REQUEST',
          `Topic ${record.topic} does not have dead.letter.enable=true: its records cannot be rejected.`,
        );
      }
      const key = keyOf(record.topic, record.partition);
      if (this.#rejected.get(key)?.has(record.offset) === true)
        throw new Error(`Record ${id} was rejected already.`);
      if (this.#given.get(key)?.has(record.offset) !== true) {
        throw new Error(
          `Record ${id} was not returned by this consumer's polls since its assignment began, or a commit passed it.`,
        );
      }
    }
    const now = Date.now();
    const letters: Letter[] = [];
    for (const record of records) letters.push(await this.#letter(record, reason, now));
    this.#producer ??= new Producer({
      bootstrap: this.#options.bootstrap,
      ...(this.#options.security !== undefined ? { security: this.#options.security } : {}),
      acks: 'all',
      requestTimeoutMs: this.#options.requestTimeoutMs,
      retryBackoffMs: this.#options.retryBackoffMs,
    });
    const producer = this.#producer;
    const outcomes = await Promise.allSettled(letters.map((letter) => producer.send(letter.copy)));
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') this.#handled(letters[i]!.record);
    });
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async #letter(record: ConsumerRecord, reason: string | null, now: number): Promise<Letter> {
    let previous: DeadLetterState | null = null;
    if (this.#routes.has(record.topic)) {
      previous = readDeadLetterState(record.headers);
      // Only records with a state are delivered from a retry topic, hence given.
      if (previous === null) throw new Error(`Record ${name(record)} has no dead-letter state.`);
    }
    const originTopic = previous?.origin.topic ?? record.topic;
    const policy = await this.#policy(originTopic);
    if (policy === null) {
      throw new KafkaError(
        'INVALID_REQUEST',
        `Topic ${originTopic} does not have dead.letter.enable=true: its records cannot be rejected.`,
      );
    }
    const target =
      previous !== null
        ? { topic: record.topic, partition: record.partition }
        : {
            topic: policy.topic,
            partition: record.partition % (await this.#ensureTopic(policy, record.topic)),
          };
    const state = rejectedState({
      origin: previous?.origin ?? {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
      },
      groupId: this.#options.groupId ?? '',
      previousAttempts: previous?.attempts ?? 0,
      reason,
      now,
      policy,
    });
    return {
      record,
      copy: {
        ...target,
        key: record.key,
        value: record.value,
        headers: deadLetterHeaders(record.headers, state),
        timestamp: now,
      },
    };
  }

  #handled(record: ConsumerRecord): void {
    const key = keyOf(record.topic, record.partition);
    const given = this.#given.get(key);
    given?.delete(record.offset);
    if (given?.empty === true) this.#given.delete(key);
    let rejected = this.#rejected.get(key);
    if (rejected === undefined) {
      rejected = new OffsetSet();
      this.#rejected.set(key, rejected);
    }
    rejected.add(record.offset);
  }

  async close(): Promise<void> {
    const producer = this.#producer;
    const admin = this.#admin;
    this.#producer = null;
    this.#admin = null;
    await Promise.all([producer?.close(), admin?.close()]);
  }
}
