// How many connections a listener takes: Kafka's max.connections (per listener) and
// max.connections.per.ip with its max.connections.per.ip.overrides. Pure bookkeeping, shared by every
// listener (client API, Kafka, internal): the listener asks before serving an accepted socket, closes
// it at once when refused (as Kafka's ConnectionQuotas does), and releases the slot when it closes.
// Unlike Kafka, an IP's connections are counted per listener, not across all of them, so that peers'
// internal connections never use up what a client host may open on the client listeners.

/** Kafka's default for both limits: no limit. */
export const CONNECTIONS_UNLIMITED = 0x7fff_ffff;

export interface ConnectionLimits {
  /** max.connections: open connections on the listener. */
  readonly maxConnections: number;
  /** max.connections.per.ip: open connections from one IP on the listener. */
  readonly maxConnectionsPerIp: number;
  /** max.connections.per.ip.overrides: per IP (or host name, as written), in place of the above. */
  readonly perIpOverrides: ReadonlyMap<string, number>;
}

export const NO_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: CONNECTIONS_UNLIMITED,
  maxConnectionsPerIp: CONNECTIONS_UNLIMITED,
  perIpOverrides: new Map(),
};

/** Why a connection was refused: the label of kraftling_connections_refused_total. */
export type ConnectionRefusal = 'max_connections' | 'max_connections_per_ip';

/** Told of every refusal (the node's metrics); `listener` is the listener's name (CLIENT, PLAINTEXT, ...). */
export type ConnectionRefusalObserver = (listener: string, reason: ConnectionRefusal) => void;

export type Admission =
  | { readonly admitted: true; readonly release: () => void }
  | { readonly admitted: false; readonly reason: ConnectionRefusal };

/**
 * Parses max.connections.per.ip.overrides: `host:count,host:count` (Kafka's format; the count follows
 * the last colon, so an IPv6 address may be written bare or in brackets). Throws with the bad item.
 */
export function parsePerIpOverrides(text: string): Map<string, number> {
  const overrides = new Map<string, number>();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    const host = normalizeIp(item.slice(0, colon).trim());
    const count = item.slice(colon + 1).trim();
    if (colon <= 0 || host === '' || !/^[0-9]+$/.test(count) || Number(count) > CONNECTIONS_UNLIMITED)
      throw new Error(`"${item}" is not host:count (count a non-negative int)`);
    overrides.set(host, Number(count));
  }
  return overrides;
}

/** An IP as a socket gives it: IPv4-mapped IPv6 (::ffff:1.2.3.4) as IPv4, brackets dropped. */
export function normalizeIp(ip: string): string {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const lower = bare.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice('::ffff:'.length) : lower;
}

/** One listener's open connections, in total and per IP. One owner: the listener. */
export class ConnectionLimiter {
  readonly listener: string;
  readonly #limits: ConnectionLimits;
  readonly #onRefused: ConnectionRefusalObserver | null;
  readonly #perIp = new Map<string, number>();
  #open = 0;

  constructor(
    listener: string,
    limits: ConnectionLimits,
    onRefused: ConnectionRefusalObserver | null = null,
  ) {
    if (!Number.isInteger(limits.maxConnections) || limits.maxConnections < 0)
      throw new Error(
        `max.connections of ${listener} must be a non-negative integer: ${limits.maxConnections}`,
      );
    if (!Number.isInteger(limits.maxConnectionsPerIp) || limits.maxConnectionsPerIp < 0)
      throw new Error(
        `max.connections.per.ip of ${listener} must be a non-negative integer: ${limits.maxConnectionsPerIp}`,
      );
    this.listener = listener;
    this.#limits = limits;
    this.#onRefused = onRefused;
  }

  /** Open connections on the listener. */
  get open(): number {
    return this.#open;
  }

  openFrom(ip: string): number {
    return this.#perIp.get(normalizeIp(ip)) ?? 0;
  }

  /** The limit that applies to `ip`. */
  limitFor(ip: string): number {
    return this.#limits.perIpOverrides.get(normalizeIp(ip)) ?? this.#limits.maxConnectionsPerIp;
  }

  /**
   * Takes a slot for a new connection from `ip`, or says why not. The slot is the caller's to release
   * exactly once (release is idempotent, so a socket's 'close' and an error path may both call it).
   */
  admit(ip: string): Admission {
    const key = normalizeIp(ip);
    const fromIp = this.#perIp.get(key) ?? 0;
    let reason: ConnectionRefusal | null = null;
    if (fromIp >= this.limitFor(key)) reason = 'max_connections_per_ip';
    else if (this.#open >= this.#limits.maxConnections) reason = 'max_connections';
    if (reason !== null) {
      this.#onRefused?.(this.listener, reason);
      return { admitted: false, reason };
    }
    this.#perIp.set(key, fromIp + 1);
    this.#open += 1;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.#open -= 1;
        const left = (this.#perIp.get(key) ?? 1) - 1;
        if (left === 0) this.#perIp.delete(key);
        else this.#perIp.set(key, left);
      },
    };
  }
}

/**
 * Refusals counted by listener and reason, for a node whose metrics registry exists only after its
 * first listener does (the internal one starts first): the metrics read it when scraped.
 */
export class ConnectionRefusalCounts {
  readonly #counts = new Map<string, Map<ConnectionRefusal, number>>();

  readonly observe: ConnectionRefusalObserver = (listener, reason) => {
    let byReason = this.#counts.get(listener);
    if (byReason === undefined) {
      byReason = new Map();
      this.#counts.set(listener, byReason);
    }
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  };

  /** [listener, reason, count] of every refusal so far. */
  *entries(): Iterable<readonly [string, ConnectionRefusal, number]> {
    for (const [listener, byReason] of this.#counts)
      for (const [reason, count] of byReason) yield [listener, reason, count];
  }
}
