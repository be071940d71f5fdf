// Calls that any broker serves over the native API (consumer groups, list-offsets), through Failover
// (failover.ts): an answer that carries a retriable Kafka error is asked again after retry.backoff.ms
// until request.timeout.ms has passed; a non-retriable one is final; a broker that cannot be reached, or
// answers something that does not decode, hands the call to the next.
import { KafkaError, kafkaErrorByCode } from '../common/kafka-errors.ts';
import type { BrokerConnections } from './connections.ts';
import { Failover } from './failover.ts';
import type { ClusterMetadata } from './metadata.ts';

/** The error an answer carries (error_code 0: none). */
export function answerError(answer: { errorCode: number; errorMessage: string }): KafkaError | null {
  if (answer.errorCode === 0) return null;
  return new KafkaError(kafkaErrorByCode(answer.errorCode) ?? 'UNKNOWN_SERVER_ERROR', answer.errorMessage);
}

export class AnyBroker {
  readonly #connections: BrokerConnections;
  readonly #failover: Failover;

  constructor(
    connections: BrokerConnections,
    metadata: ClusterMetadata,
    timeoutMs: number,
    backoffMs: number,
  ) {
    this.#connections = connections;
    // Only the answers' own errors are KafkaErrors here: a transport or decoding failure is a plain Error.
    this.#failover = new Failover(metadata, timeoutMs, backoffMs, {
      isAnswer: (error) => error instanceof KafkaError,
      isRetriable: (error) => error instanceof KafkaError && error.retriable,
    });
  }

  /**
   * POSTs `body` to `path` and decodes the answer; `check` turns an answer into its error. Calls that
   * change state on the server (commit, join) are sent again only when they are safe to repeat: a
   * commit of the same offsets is, a join of a known member is, a new member's join leaves one behind
   * that its session expires.
   */
  call<T>(
    path: string,
    body: Buffer,
    decode: (bytes: Buffer) => T,
    check: (answer: T) => KafkaError | null,
  ): Promise<T> {
    return this.#failover.run(`POST ${path}`, async (origin, leftMs) => {
      let answer: T;
      try {
        answer = decode(await this.#connections.post(origin, path, body, leftMs, true));
      } catch (error) {
        // Not an answer of this API (whatever it was thrown as): the next broker.
        throw error instanceof KafkaError ? new Error(error.message, { cause: error }) : error;
      }
      const failed = check(answer);
      if (failed !== null) throw failed;
      return answer;
    });
  }
}
