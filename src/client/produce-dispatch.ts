// The producer's requests to one leader, as Kafka's Sender makes them: every batch that becomes ready
// for a broker in one turn of the event loop goes in one native ProduceRequest to it (up to
// max.request.size, one batch per partition per request), rather than one request per batch. Each batch
// still settles on its own: its partition's answer in the response, or the request's failure.
import { KafkaError, kafkaErrorByCode } from '../common/kafka-errors.ts';
import { clientCodec } from '../http/native/codec.ts';
import type { BrokerConnections } from './connections.ts';

interface Waiting {
  readonly topic: string;
  readonly partition: number;
  readonly records: Buffer;
  readonly resolve: (baseOffset: number) => void;
  readonly reject: (error: Error) => void;
}

/** One request in the making: its batches, and the partitions and bytes they take. */
interface Gathering {
  readonly batches: Waiting[];
  readonly partitions: Set<string>;
  bytes: number;
}

export interface ProduceDispatchOptions {
  readonly acks: -1 | 0 | 1;
  readonly requestTimeoutMs: number;
  /** undici may send the request again on another connection (an idempotent producer's). */
  readonly repeatable: boolean;
  /** max.request.size: a request carries batches up to this many bytes (one batch alone may be larger). */
  readonly maxRequestBytes: number;
  /**
   * Called once per broker before its gathered batches go: the producer adds what else is ready for it
   * (Kafka's drain takes every partition of the chosen node). Only `produce()` calls made synchronously
   * join this round; later ones go in the next.
   */
  readonly beforeSend?: (origin: string) => void;
}

export class ProduceDispatcher {
  readonly #connections: Pick<BrokerConnections, 'post'>;
  readonly #options: ProduceDispatchOptions;
  readonly #gathering = new Map<string, Gathering[]>();
  #scheduled = false;

  constructor(connections: Pick<BrokerConnections, 'post'>, options: ProduceDispatchOptions) {
    this.#connections = connections;
    this.#options = options;
  }

  /** The partition's first offset of `records` from the broker at `origin`; a KafkaError or a network error. */
  produce(origin: string, topic: string, partition: number, records: Buffer): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const key = `${topic}\u0000${partition}`;
      let requests = this.#gathering.get(origin);
      if (requests === undefined) {
        requests = [];
        this.#gathering.set(origin, requests);
      }
      let into = requests.at(-1);
      if (
        into === undefined ||
        into.partitions.has(key) ||
        (into.bytes > 0 && into.bytes + records.length > this.#options.maxRequestBytes)
      ) {
        into = { batches: [], partitions: new Set(), bytes: 0 };
        requests.push(into);
      }
      into.batches.push({ topic, partition, records, resolve, reject });
      into.partitions.add(key);
      into.bytes += records.length;
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the timers and I/O callbacks of this turn: batches sealed by other partitions' linger
        // timers or freed by other answers in the same turn join the request.
        setImmediate(() => this.#sendAll());
      }
    });
  }

  #sendAll(): void {
    this.#scheduled = false;
    for (const origin of [...this.#gathering.keys()]) this.#options.beforeSend?.(origin);
    const gathered = [...this.#gathering];
    this.#gathering.clear();
    for (const [origin, requests] of gathered)
      for (const request of requests) void this.#send(origin, request);
  }

  async #send(origin: string, request: Gathering): Promise<void> {
    const topics = new Map<string, { partition: number; records: Buffer }[]>();
    for (const batch of request.batches) {
      let partitions = topics.get(batch.topic);
      if (partitions === undefined) {
        partitions = [];
        topics.set(batch.topic, partitions);
      }
      partitions.push({ partition: batch.partition, records: batch.records });
    }
    try {
      const answer = clientCodec.produceResponse(
        await this.#connections.post(
          origin,
          '/v1/produce',
          clientCodec.produceRequest({
            acks: this.#options.acks,
            timeoutMs: this.#options.requestTimeoutMs,
            topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
          }),
          this.#options.requestTimeoutMs + 5_000,
          this.#options.repeatable,
        ),
      );
      const results = new Map<string, { errorCode: number; errorMessage: string; baseOffset: number }>();
      for (const topic of answer.topics)
        for (const result of topic.partitions) results.set(`${topic.name}\u0000${result.partition}`, result);
      for (const batch of request.batches) {
        const result = results.get(`${batch.topic}\u0000${batch.partition}`);
        if (result === undefined)
          batch.reject(
            new KafkaError(
              'UNKNOWN_SERVER_ERROR',
              `The broker answered nothing for ${batch.topic}-${batch.partition}.`,
            ),
          );
        else if (result.errorCode === 0) batch.resolve(result.baseOffset);
        else
          batch.reject(
            new KafkaError(kafkaErrorByCode(result.errorCode) ?? 'UNKNOWN_SERVER_ERROR', result.errorMessage),
          );
      }
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const batch of request.batches) batch.reject(failure);
    }
  }
}
