// Writes dead-letter records (acks=all) as an idempotent producer: one producer id per consumer
// instance, a sequence per dead-letter partition. A send whose outcome is unknown (the leader died with
// it, leadership moved, a timeout) is sent again as the same batch until it is acknowledged or the
// deadline passes: the leader answers a copy it already holds with the offset it was written at, so a
// failover never puts a rejected record twice in the dead-letter topic. When a send fails for good the
// producer id is dropped (its sequence there is unknown) and the next send starts with a new one.

import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaError } from '../../common/kafka-errors.ts';
import { buildRecordBatch } from '../../storage/record-batch/builder.ts';
import type { ProducerRecord } from '../../storage/record-batch/record.ts';
import type { DataApi, ProduceResult, ProducerIdentity } from '../ports.ts';

const RETRY_BACKOFF_MS = 100;
const INT32_MAX = 2 ** 31 - 1;

export interface DeadLetterProducerDeps {
  readonly data: DataApi;
  readonly now: () => number;
}

/** Errors after which the same batch may be sent again: the leader wrote it once at most. */
function isResendable(error: unknown): boolean {
  return error instanceof KafkaError && error.retriable;
}

export class DeadLetterProducer {
  readonly #deps: DeadLetterProducerDeps;
  #identity: ProducerIdentity | null = null;
  /** The next sequence per `${topic}\u0000${partition}` of the current producer id. */
  readonly #sequences = new Map<string, number>();

  constructor(deps: DeadLetterProducerDeps) {
    this.#deps = deps;
  }

  async #producerId(deadline: number): Promise<ProducerIdentity> {
    for (;;) {
      try {
        this.#identity ??= await this.#deps.data.initProducerId();
        return this.#identity;
      } catch (error) {
        if (!isResendable(error) || this.#deps.now() + RETRY_BACKOFF_MS >= deadline) throw error;
        await sleep(RETRY_BACKOFF_MS, undefined, { ref: false });
      }
    }
  }

  /** Appends `records` as one batch to the partition, acknowledged by every in-sync replica. */
  async send(
    topic: string,
    partition: number,
    records: readonly ProducerRecord[],
    deadline: number,
  ): Promise<ProduceResult> {
    const identity = await this.#producerId(deadline);
    const key = `${topic}\u0000${partition}`;
    const sequence = this.#sequences.get(key) ?? 0;
    const batch = buildRecordBatch({
      records,
      producerId: identity.producerId,
      producerEpoch: identity.producerEpoch,
      baseSequence: sequence,
    });
    for (;;) {
      const timeoutMs = deadline - this.#deps.now();
      try {
        if (timeoutMs <= 0) {
          throw new KafkaError(
            'REQUEST_TIMED_OUT',
            `The dead-letter records for ${topic}-${partition} were not acknowledged in time.`,
          );
        }
        const result = await this.#deps.data.produce({
          topicName: topic,
          partitionId: partition,
          records: batch,
          acks: -1,
          timeoutMs,
        });
        // Sequences wrap from int32 max to 0, as Kafka's.
        this.#sequences.set(key, (sequence + records.length) % (INT32_MAX + 1));
        return result;
      } catch (error) {
        if (isResendable(error) && deadline - this.#deps.now() > RETRY_BACKOFF_MS) {
          await sleep(RETRY_BACKOFF_MS, undefined, { ref: false });
          continue;
        }
        // Whether the leader holds the batch is unknown: a new producer id makes no sequence depend on it.
        if (this.#identity === identity) {
          this.#identity = null;
          this.#sequences.clear();
        }
        throw error;
      }
    }
  }
}
