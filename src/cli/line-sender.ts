// console-producer's sending: every record read goes to the producer at once, in the order of the lines
// (the producer keeps each partition's order, also across its retries), and reading waits while the
// records not yet acknowledged hold more than buffer.memory, so stdin is never read far ahead of the
// cluster. A record that fails is reported once, as Kafka's ErrorLoggingCallback reports it.

import { isKafkaError } from '../common/kafka-errors.ts';
import type { ProducerRecord, RecordMetadata } from '../client/index.ts';
import type { Io } from './io.ts';
import type { LineRecord } from './line-reader.ts';

/** What the sender needs of a producer (the SDK's Producer; a fake in tests). */
export interface RecordSink {
  send(record: ProducerRecord): Promise<RecordMetadata>;
  /** Sends what is batched and resolves once every record handed over so far is answered. */
  flush(): Promise<void>;
}

export interface LineSenderOptions {
  readonly topic: string;
  /** Each record acknowledged (or failed) before `add` returns. */
  readonly sync: boolean;
  /** buffer.memory */
  readonly bufferMemory: number;
  /** delivery.timeout.ms, for the message of a record that ran out of it. */
  readonly deliveryTimeoutMs: number;
}

/**
 * What a record waiting for its acknowledgement is counted as holding: its bytes and this much besides
 * (the producer's and the tool's bookkeeping of one record), so that many short lines are bounded too.
 */
export const RECORD_OVERHEAD_BYTES = 512;

export function recordBytes(record: LineRecord): number {
  const size = (text: string | null): number => (text === null ? 0 : Buffer.byteLength(text, 'utf8'));
  let bytes = RECORD_OVERHEAD_BYTES + size(record.key) + size(record.value);
  for (const [name, value] of record.headers) bytes += size(name) + size(value);
  return bytes;
}

export function toProducerRecord(topic: string, record: LineRecord): ProducerRecord {
  return {
    topic,
    key: record.key,
    value: record.value,
    headers: record.headers.map(([key, value]) => ({ key, value })),
  };
}

/**
 * Kafka's name of the error and its message. A record fails either at once, with an error that a retry
 * cannot cure, or when delivery.timeout.ms has passed, which Kafka reports as a TimeoutException
 * (REQUEST_TIMED_OUT); the last attempt's error then says why.
 */
export function describeSendError(error: unknown, deliveryTimeoutMs: number): string {
  if (isKafkaError(error) && !error.retriable) return `${error.errorName}: ${error.message}`;
  const last = isKafkaError(error)
    ? `${error.errorName}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  return (
    `REQUEST_TIMED_OUT: Expiring the record: ${deliveryTimeoutMs} ms (delivery.timeout.ms) has passed ` +
    `since it was sent; the last attempt failed with ${last}`
  );
}

/** ErrorLoggingCallback's line (sizes, not contents), with the error on the same line. */
export function formatSendError(topic: string, record: LineRecord, error: string): string {
  const size = (text: string | null): string =>
    text === null ? 'null' : `${Buffer.byteLength(text, 'utf8')} bytes`;
  return (
    `ERROR Error when sending message to topic ${topic} with key: ${size(record.key)}, ` +
    `value: ${size(record.value)} with error: ${error}`
  );
}

export class LineSender {
  readonly #sink: RecordSink;
  readonly #options: LineSenderOptions;
  readonly #io: Io;
  readonly #unacknowledged = new Set<Promise<void>>();
  #unacknowledgedBytes = 0;
  /** Wakes `add` when a record is answered while it waits for room. */
  #wake: (() => void) | null = null;
  sent = 0;
  failed = 0;

  constructor(sink: RecordSink, options: LineSenderOptions, io: Io) {
    this.#sink = sink;
    this.#options = options;
    this.#io = io;
  }

  /** Hands `record` to the producer; resolves once there is room for the next one. */
  async add(record: LineRecord): Promise<void> {
    const bytes = recordBytes(record);
    this.#unacknowledgedBytes += bytes;
    const answered = this.#sink.send(toProducerRecord(this.#options.topic, record)).then(
      () => {
        this.sent += 1;
      },
      (error: unknown) => {
        this.failed += 1;
        this.#io.err(
          formatSendError(
            this.#options.topic,
            record,
            describeSendError(error, this.#options.deliveryTimeoutMs),
          ),
        );
      },
    );
    const tracked = answered.finally(() => {
      this.#unacknowledged.delete(tracked);
      this.#unacknowledgedBytes -= bytes;
      const wake = this.#wake;
      this.#wake = null;
      wake?.();
    });
    this.#unacknowledged.add(tracked);
    if (this.#options.sync) {
      await tracked;
      return;
    }
    while (this.#unacknowledged.size > 0 && this.#unacknowledgedBytes >= this.#options.bufferMemory) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Resolves once every record added has been acknowledged or reported. */
  async flush(): Promise<void> {
    await this.#sink.flush();
    // A record may still be on its way into a batch (the producer waits for the topic's metadata).
    while (this.#unacknowledged.size > 0) await Promise.allSettled([...this.#unacknowledged]);
  }

  /** Records handed over and not answered yet. */
  get unacknowledged(): number {
    return this.#unacknowledged.size;
  }
}
