// REST requests to whichever node answers (any node serves any admin request: it forwards to the
// controller or the coordinator). A node that cannot be reached (connection refused, reset, timed out)
// hands the request to the next one it knows: the one that answered last first, then the brokers learned
// from /v1/metadata, then the bootstrap list. An error answer is final, except a retriable one
// (NOT_CONTROLLER, REQUEST_TIMED_OUT, ...: the cluster is moving), asked again after a backoff. Either way
// a request gives up at its deadline, request.timeout.ms after it was made, as Kafka's admin client with a
// TimeoutException (REQUEST_TIMED_OUT). A request cut off after it went out may have been carried out: a
// create sent again then answers TOPIC_ALREADY_EXISTS, as with Kafka's admin client.

import { KafkaError, type KafkaErrorName } from '../common/kafka-errors.ts';
import type { BrokerConnections, HttpMethod } from './connections.ts';
import type { ClusterMetadata } from './metadata.ts';
import { RestError } from './rest-errors.ts';

/** Retriable in Kafka's table, but an answer here: the read barrier already looked at the controller. */
const FINAL_KAFKA_ERRORS: ReadonlySet<KafkaErrorName> = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
]);

function isAnswer(error: unknown): error is KafkaError | RestError {
  return error instanceof KafkaError || error instanceof RestError;
}

function isRetriable(error: KafkaError | RestError): boolean {
  if (error instanceof RestError) return error.retriable;
  return error.retriable && !FINAL_KAFKA_ERRORS.has(error.errorName);
}

/** A path segment: topic and group names go into the path as they are, percent-encoded. */
export function segment(name: string | number): string {
  return encodeURIComponent(String(name));
}

export class RestRequests {
  readonly #connections: BrokerConnections;
  readonly #metadata: ClusterMetadata;
  readonly #timeoutMs: number;
  readonly #retryBackoffMs: number;
  /** The node that answered last: requests start there. */
  #preferred: string | null = null;
  #clusterId: Promise<string> | null = null;
  #closed = false;

  constructor(
    connections: BrokerConnections,
    metadata: ClusterMetadata,
    timeoutMs: number,
    retryBackoffMs: number,
  ) {
    this.#connections = connections;
    this.#metadata = metadata;
    this.#timeoutMs = timeoutMs;
    this.#retryBackoffMs = retryBackoffMs;
  }

  close(): void {
    this.#closed = true;
  }

  /** `/v3/clusters/{cluster_id}` then `suffix` (already encoded), the id from the first GET /v3/clusters. */
  async clusterPath(suffix = ''): Promise<string> {
    this.#clusterId ??= this.#fetchClusterId().catch((error: unknown) => {
      this.#clusterId = null;
      throw error;
    });
    return `/v3/clusters/${segment(await this.#clusterId)}${suffix}`;
  }

  /** The answer's JSON (null for none); a KafkaError or RestError for an error answer. */
  async send(method: HttpMethod, path: string, body?: unknown): Promise<unknown> {
    const deadline = Date.now() + this.#timeoutMs;
    let lastError: unknown = null;
    for (;;) {
      let unreachable = false;
      for (const origin of this.#candidates()) {
        if (this.#closed) throw new Error('The admin client is closed.');
        const leftMs = deadline - Date.now();
        if (leftMs <= 0) break;
        try {
          const answer = await this.#connections.json(origin, method, path, leftMs, body);
          this.#preferred = origin;
          return answer;
        } catch (error) {
          lastError = error;
          if (!isAnswer(error)) {
            unreachable = true;
            continue;
          }
          this.#preferred = origin;
          if (!isRetriable(error)) throw error;
          break;
        }
      }
      const waitMs = Math.min(this.#retryBackoffMs, deadline - Date.now());
      if (waitMs <= 0) throw this.#timedOut(method, path, lastError);
      // Brokers may have come or gone (a killed one is fenced): learn them again while waiting.
      if (unreachable) void this.#metadata.refresh([]).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** The origins to try in turn: the one that answered last, then the others. */
  #candidates(): string[] {
    const all = this.#metadata.origins();
    const start = this.#preferred === null ? -1 : all.indexOf(this.#preferred);
    return start <= 0 ? all : [...all.slice(start), ...all.slice(0, start)];
  }

  async #fetchClusterId(): Promise<string> {
    const answer = (await this.send('GET', '/v3/clusters')) as { data?: { cluster_id?: unknown }[] } | null;
    const clusterId = answer?.data?.[0]?.cluster_id;
    if (typeof clusterId !== 'string')
      throw new KafkaError('UNKNOWN_SERVER_ERROR', 'GET /v3/clusters answered no cluster.');
    // The brokers beyond the bootstrap list, for failover later; without them the bootstrap list is used.
    await this.#metadata.refresh([]).catch(() => undefined);
    return clusterId;
  }

  #timedOut(method: HttpMethod, path: string, lastError: unknown): KafkaError {
    const why =
      lastError instanceof KafkaError
        ? `${lastError.errorName}: ${lastError.message}`
        : lastError instanceof RestError
          ? lastError.message
          : `no node could be reached (${this.#metadata.origins().join(', ')}): ${lastError instanceof Error ? lastError.message : String(lastError)}`;
    return new KafkaError(
      'REQUEST_TIMED_OUT',
      `${method} ${path} did not succeed within request.timeout.ms (${this.#timeoutMs} ms): ${why}`,
      { cause: lastError },
    );
  }
}
