// What a client routes by: the brokers' client origins and each partition's leader, from /v1/metadata of
// any broker it knows (the bootstrap list, then every broker it learned). Refreshed on demand: after an
// error that says the metadata moved (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, ...) or a
// broker that cannot be reached.
import { clientCodec, type NativeMetadataResponse } from '../http/native/codec.ts';
import type { BrokerConnections } from './connections.ts';

export interface PartitionRoute {
  readonly leader: number;
  /** The leader's client origin (http://host:port), null without a leader. */
  readonly origin: string | null;
}

export class ClusterMetadata {
  readonly #connections: Pick<BrokerConnections, 'post'>;
  readonly #bootstrap: readonly string[];
  readonly #scheme: 'http' | 'https';
  readonly #timeoutMs: number;
  #origins = new Map<number, string>();
  #topics = new Map<string, PartitionRoute[]>();
  #clusterId: string | null = null;
  #refreshing: Promise<void> | null = null;
  /** The topics the refresh in flight asks for. */
  #asking: ReadonlySet<string> = new Set();
  /** Topics asked for while a refresh that does not ask for them was in flight: the next one asks. */
  readonly #queued = new Set<string>();
  #next: Promise<void> | null = null;

  constructor(connections: Pick<BrokerConnections, 'post'>, bootstrap: readonly string[], timeoutMs: number) {
    if (bootstrap.length === 0) throw new Error('at least one bootstrap broker (http://host:port) is needed');
    this.#connections = connections;
    this.#bootstrap = bootstrap.map((origin) => origin.replace(/\/+$/, ''));
    // Brokers learned from the metadata are dialed as the bootstrap ones are: HTTPS when those are.
    this.#scheme = this.#bootstrap[0]!.startsWith('https:') ? 'https' : 'http';
    this.#timeoutMs = timeoutMs;
  }

  get clusterId(): string | null {
    return this.#clusterId;
  }

  /** Every origin worth asking: the brokers learned, then the bootstrap list. */
  origins(): string[] {
    return [...new Set([...this.#origins.values(), ...this.#bootstrap])];
  }

  partitions(topic: string): readonly PartitionRoute[] | undefined {
    return this.#topics.get(topic);
  }

  /**
   * Fetches the metadata of `topics` (with those already known) again. Concurrent calls share a refresh
   * that asks for their topics: one in flight that does not is followed by one more, asking for every
   * topic asked meanwhile (1,000 first sends to 1,000 topics make two refreshes, not 1,000).
   */
  refresh(topics: readonly string[]): Promise<void> {
    if (this.#refreshing === null) return this.#start(topics);
    const missing = topics.filter((topic) => !this.#asking.has(topic));
    if (missing.length === 0) return this.#refreshing;
    for (const topic of missing) this.#queued.add(topic);
    this.#next ??= this.#refreshing
      .catch(() => undefined)
      .then(() => {
        const queued = [...this.#queued];
        this.#queued.clear();
        this.#next = null;
        return this.refresh(queued);
      });
    return this.#next;
  }

  #start(topics: readonly string[]): Promise<void> {
    const asked = [...new Set([...this.#topics.keys(), ...topics])];
    this.#asking = new Set(asked);
    const refreshing = this.#refresh(asked).finally(() => {
      this.#refreshing = null;
      this.#asking = new Set();
    });
    this.#refreshing = refreshing;
    return refreshing;
  }

  async #refresh(asked: readonly string[]): Promise<void> {
    let lastError: unknown = null;
    for (const origin of this.origins()) {
      try {
        const bytes = await this.#connections.post(
          origin,
          '/v1/metadata',
          clientCodec.metadataRequest({ topics: asked }),
          this.#timeoutMs,
          true,
        );
        this.#apply(clientCodec.metadataResponse(bytes));
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no broker answered metadata (${this.origins().join(', ')}): ${String(lastError)}`, {
      cause: lastError,
    });
  }

  #apply(answer: NativeMetadataResponse): void {
    this.#clusterId = answer.clusterId;
    const origins = new Map<number, string>();
    for (const broker of answer.brokers)
      if (!broker.fenced && broker.host !== '')
        origins.set(broker.id, `${this.#scheme}://${broker.host}:${broker.port}`);
    this.#origins = origins;
    const topics = new Map<string, PartitionRoute[]>();
    for (const topic of answer.topics) {
      if (topic.errorCode !== 0) continue;
      topics.set(
        topic.name,
        topic.partitions.map((p) => ({ leader: p.leader, origin: origins.get(p.leader) ?? null })),
      );
    }
    this.#topics = topics;
  }
}
