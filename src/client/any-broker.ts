// Calls that any broker serves (consumer groups, list-offsets): sent to the broker that answered last,
// else to the next one known (learned brokers, then the bootstrap list) when one cannot be reached; an
// answer that carries a retriable Kafka error is tried again after retry.backoff.ms until
// request.timeout.ms has passed. A non-retriable error is final.
import { isKafkaError, KafkaError, kafkaErrorByCode } from '../common/kafka-errors.ts';
import type { BrokerConnections } from './connections.ts';
import type { ClusterMetadata } from './metadata.ts';

/** The error an answer carries (error_code 0: none). */
export function answerError(answer: { errorCode: number; errorMessage: string }): KafkaError | null {
  if (answer.errorCode === 0) return null;
  return new KafkaError(kafkaErrorByCode(answer.errorCode) ?? 'UNKNOWN_SERVER_ERROR', answer.errorMessage);
}

export class AnyBroker {
  readonly #connections: BrokerConnections;
  readonly #metadata: ClusterMetadata;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  #preferred: string | null = null;

  constructor(
    connections: BrokerConnections,
    metadata: ClusterMetadata,
    timeoutMs: number,
    backoffMs: number,
  ) {
    this.#connections = connections;
    this.#metadata = metadata;
    this.#timeoutMs = timeoutMs;
    this.#backoffMs = backoffMs;
  }

  /**
   * POSTs `body` to `path` and decodes the answer; `check` turns an answer into its error. Calls that
   * change state on the server (commit, join) are sent again only when they are safe to repeat: a
   * commit of the same offsets is, a join of a known member is, a new member's join leaves one behind
   * that its session expires.
   */
  async call<T>(
    path: string,
    body: Buffer,
    decode: (bytes: Buffer) => T,
    check: (answer: T) => KafkaError | null,
  ): Promise<T> {
    const deadline = Date.now() + this.#timeoutMs;
    let lastError: Error = new KafkaError('REQUEST_TIMED_OUT', `${path}: no broker answered in time.`);
    for (;;) {
      const origins = this.#metadata.origins();
      const ordered =
        this.#preferred !== null
          ? [this.#preferred, ...origins.filter((o) => o !== this.#preferred)]
          : origins;
      for (const origin of ordered) {
        const left = deadline - Date.now();
        if (left <= 0) throw lastError;
        let answer: T;
        try {
          answer = decode(await this.#connections.post(origin, path, body, left, true));
        } catch (error) {
          // Unreachable, or not an answer of this API: the next broker.
          lastError = error instanceof Error ? error : new Error(String(error));
          if (this.#preferred === origin) this.#preferred = null;
          continue;
        }
        this.#preferred = origin;
        const failed = check(answer);
        if (failed === null) return answer;
        if (!failed.retriable) throw failed;
        lastError = failed;
        break;
      }
      if (Date.now() + this.#backoffMs >= deadline) throw lastError;
      if (!isKafkaError(lastError)) await this.#metadata.refresh([]).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, this.#backoffMs));
    }
  }
}
