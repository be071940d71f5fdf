// REST requests to whichever node answers (any node serves any admin request: it forwards to the
// controller or the coordinator), through Failover (failover.ts): the node that answered last first, then
// the brokers learned from /v1/metadata, then the bootstrap list; a retriable error answer (NOT_CONTROLLER,
// REQUEST_TIMED_OUT, ...: the cluster is moving) is asked again after a backoff, and every request gives
// up at the Admin's requestTimeoutMs (Kafka's default.api.timeout.ms). A request cut off after it went
// out may have been carried out: a create sent again then answers TOPIC_ALREADY_EXISTS, as with Kafka's
// admin client.

import { isFinalAnswer, KafkaError } from '../common/kafka-errors.ts';
import type { BrokerConnections, HttpMethod } from './connections.ts';
import { Failover } from './failover.ts';
import type { ClusterMetadata } from './metadata.ts';
import { RestError } from './rest-errors.ts';

function isAnswer(error: unknown): error is KafkaError | RestError {
  return error instanceof KafkaError || error instanceof RestError;
}

function isRetriable(error: unknown): boolean {
  if (error instanceof RestError) return error.retriable;
  return error instanceof KafkaError && error.retriable && !isFinalAnswer(error);
}

/** A path segment: topic and group names go into the path as they are, percent-encoded. */
export function segment(name: string | number): string {
  return encodeURIComponent(String(name));
}

export class RestRequests {
  readonly #connections: BrokerConnections;
  readonly #metadata: ClusterMetadata;
  readonly #failover: Failover;
  #clusterId: Promise<string> | null = null;

  constructor(
    connections: BrokerConnections,
    metadata: ClusterMetadata,
    timeoutMs: number,
    retryBackoffMs: number,
  ) {
    this.#connections = connections;
    this.#metadata = metadata;
    // The deadline of a whole admin call, retries included: Kafka's AdminClient calls it default.api.timeout.ms.
    this.#failover = new Failover(
      metadata,
      timeoutMs,
      retryBackoffMs,
      { isAnswer, isRetriable },
      'default.api.timeout.ms',
    );
  }

  close(): void {
    this.#failover.close();
  }

  /** The cluster's id, from the first GET /v3/clusters that succeeds. */
  clusterId(): Promise<string> {
    this.#clusterId ??= this.#fetchClusterId().catch((error: unknown) => {
      this.#clusterId = null;
      throw error;
    });
    return this.#clusterId;
  }

  /** `/v3/clusters/{cluster_id}` then `suffix` (already encoded). */
  async clusterPath(suffix = ''): Promise<string> {
    return `/v3/clusters/${segment(await this.clusterId())}${suffix}`;
  }

  /** The answer's JSON (null for none); a KafkaError or RestError for an error answer. */
  send(method: HttpMethod, path: string, body?: unknown): Promise<unknown> {
    return this.#failover.run(`${method} ${path}`, (origin, leftMs) =>
      this.#connections.json(origin, method, path, leftMs, body),
    );
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
}
