// Which broker a call that any broker serves goes to, and when it gives up (the SDK's admin requests over
// REST, its consumer's group and list-offsets calls): the broker that answered last first, then the others
// it knows (learned from /v1/metadata, then the bootstrap list). A broker that cannot be reached, or that
// answers something that is not an answer of the API, hands the call to the next. An error answer is
// final unless retriable (NOT_CONTROLLER, REQUEST_TIMED_OUT, ...: the cluster is moving), asked again after
// retry.backoff.ms. Either way a call gives up at its deadline, request.timeout.ms after it was made, as
// Kafka's clients with a TimeoutException (REQUEST_TIMED_OUT). A call cut off after it went out may have
// been carried out: the callers send again only what is safe to repeat (or, like Kafka's admin client,
// report what the repeat answers: TOPIC_ALREADY_EXISTS).
import { KafkaError } from '../common/kafka-errors.ts';
import type { ClusterMetadata } from './metadata.ts';

/** How a call's failure counts: an answer of the API (final or retriable), or no answer at all. */
export interface FailureKinds {
  /** The error is an answer (a broker was reached and answered for the API), not a transport failure. */
  readonly isAnswer: (error: unknown) => boolean;
  /** Of answers: worth asking again after the backoff. */
  readonly isRetriable: (error: unknown) => boolean;
}

export class Failover {
  readonly #metadata: ClusterMetadata;
  readonly #timeoutMs: number;
  readonly #backoffMs: number;
  readonly #kinds: FailureKinds;
  /** The client setting the deadline is, as a timeout names it (Kafka's name). */
  readonly #timeoutName: string;
  /** The broker that answered last: calls start there. */
  #preferred: string | null = null;
  #closed = false;

  constructor(
    metadata: ClusterMetadata,
    timeoutMs: number,
    backoffMs: number,
    kinds: FailureKinds,
    timeoutName = 'request.timeout.ms',
  ) {
    this.#timeoutName = timeoutName;
    this.#metadata = metadata;
    this.#timeoutMs = timeoutMs;
    this.#backoffMs = backoffMs;
    this.#kinds = kinds;
  }

  close(): void {
    this.#closed = true;
  }

  /** `attempt` against one broker after another until it succeeds, fails for good, or time runs out. */
  async run<T>(what: string, attempt: (origin: string, leftMs: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#timeoutMs;
    let lastError: unknown = null;
    // The last answer says more than a transport failure after it (often the deadline cutting the
    // last attempt short): it is what a timeout reports.
    let lastAnswer: unknown = null;
    for (;;) {
      let unreachable = false;
      for (const origin of this.#candidates()) {
        if (this.#closed) throw new Error('The client is closed.');
        const leftMs = deadline - Date.now();
        if (leftMs <= 0) break;
        try {
          const answer = await attempt(origin, leftMs);
          this.#preferred = origin;
          return answer;
        } catch (error) {
          lastError = error;
          if (!this.#kinds.isAnswer(error)) {
            unreachable = true;
            if (this.#preferred === origin) this.#preferred = null;
            continue;
          }
          lastAnswer = error;
          this.#preferred = origin;
          if (!this.#kinds.isRetriable(error)) throw error;
          break;
        }
      }
      const waitMs = Math.min(this.#backoffMs, deadline - Date.now());
      if (waitMs <= 0) throw this.#timedOut(what, lastAnswer ?? lastError);
      // Brokers may have come or gone (a killed one is fenced): learn them again while waiting.
      if (unreachable) void this.#metadata.refresh([]).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** The origins to try in turn: the one that answered last, then the others in their order. */
  #candidates(): string[] {
    const all = this.#metadata.origins();
    const start = this.#preferred === null ? -1 : all.indexOf(this.#preferred);
    return start <= 0 ? all : [...all.slice(start), ...all.slice(0, start)];
  }

  #timedOut(what: string, lastError: unknown): KafkaError {
    const why = this.#kinds.isAnswer(lastError)
      ? lastError instanceof KafkaError
        ? `${lastError.errorName}: ${lastError.message}`
        : String((lastError as Error).message)
      : `no broker could be reached (${this.#metadata.origins().join(', ')}): ${lastError instanceof Error ? lastError.message : String(lastError)}`;
    return new KafkaError(
      'REQUEST_TIMED_OUT',
      `${what} did not succeed within ${this.#timeoutName} (${this.#timeoutMs} ms): ${why}`,
      { cause: lastError },
    );
  }
}
