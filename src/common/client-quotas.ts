// Client byte-rate quotas per user principal, per broker (KIP-13, KIP-55 user quotas, KIP-219 throttling):
// producer_byte_rate and consumer_byte_rate out of the metadata image's client quotas. Kafka's
// algorithm, as its ClientQuotaManager does it with a Rate over a SampledStat: the bytes a user sent
// (or was sent) are summed over quota.window.num samples of quota.window.size.seconds each, divided by
// the time those samples span (at least quota.window.num - 1 windows, so that a first burst is not
// measured over a few milliseconds); over the quota, the throttle time is
// (observed - quota) / quota × that span, bounded by quota.window.num × quota.window.size.seconds.
// Pure: the caller gives the time of each record (a real clock in the node, a simulated one in tests).
// The listeners decide what throttling means on their wire (src/kafka: throttle_time_ms, then the
// connection is not read for that long; src/http: the answer is delayed).
import type { Principal, QuotaKey, SecurityImage } from './security.ts';

/** What a user is metered on: bytes produced (request sizes) or fetched (response sizes). */
export type QuotaKind = 'produce' | 'fetch';

export const QUOTA_KEY_OF: Readonly<Record<QuotaKind, QuotaKey>> = {
  produce: 'producer_byte_rate',
  fetch: 'consumer_byte_rate',
};

export interface QuotaWindowConfig {
  /** quota.window.num (Kafka: 11). */
  readonly samples: number;
  /** quota.window.size.seconds, in ms (Kafka: 1 s). */
  readonly windowMs: number;
}

export const KAFKA_QUOTA_WINDOW: QuotaWindowConfig = { samples: 11, windowMs: 1000 };

/** The quota (bytes per second) of `user` for `key`: its own, else the default entity's; null = none. */
export function quotaOf(quotas: SecurityImage['clientQuotas'], user: string, key: QuotaKey): number | null {
  return quotas.get(user)?.get(key) ?? quotas.get('')?.get(key) ?? null;
}

interface Sample {
  /** When this sample's window began. */
  startMs: number;
  bytes: number;
}

/** Kafka's SampledStat of a Rate: a ring of samples, the oldest reused once expired. */
class SampledRate {
  readonly #config: QuotaWindowConfig;
  readonly #samples: Sample[] = [];
  #current = 0;
  lastRecordMs: number;

  constructor(config: QuotaWindowConfig, nowMs: number) {
    this.#config = config;
    this.lastRecordMs = nowMs;
  }

  record(bytes: number, nowMs: number): void {
    this.lastRecordMs = nowMs;
    let sample = this.#samples[this.#current];
    if (sample === undefined) {
      sample = { startMs: nowMs, bytes: 0 };
      this.#samples.push(sample);
    } else if (nowMs - sample.startMs >= this.#config.windowMs) {
      this.#current = (this.#current + 1) % this.#config.samples;
      sample = this.#samples[this.#current];
      if (sample === undefined) {
        sample = { startMs: nowMs, bytes: 0 };
        this.#samples.push(sample);
      } else {
        sample.startMs = nowMs;
        sample.bytes = 0;
      }
    }
    sample.bytes += bytes;
  }

  /** Bytes per second over the samples not yet expired (Kafka's Rate.measure). */
  rate(nowMs: number): number {
    this.#purge(nowMs);
    let bytes = 0;
    for (const sample of this.#samples) bytes += sample.bytes;
    return bytes / (this.spanMs(nowMs) / 1000);
  }

  /** Kafka's Rate.windowSize: from the oldest sample to now, at least samples - 1 windows. */
  spanMs(nowMs: number): number {
    this.#purge(nowMs);
    let oldest = nowMs;
    for (const sample of this.#samples) oldest = Math.min(oldest, sample.startMs);
    const elapsed = nowMs - oldest;
    const fullWindows = Math.floor(elapsed / this.#config.windowMs);
    const minFullWindows = this.#config.samples - 1;
    const span =
      fullWindows < minFullWindows
        ? elapsed + (minFullWindows - fullWindows) * this.#config.windowMs
        : elapsed;
    return Math.max(span, 1);
  }

  /** Samples older than every window together count no more (Kafka's purgeObsoleteSamples). */
  #purge(nowMs: number): void {
    const expireAgeMs = this.#config.samples * this.#config.windowMs;
    for (const sample of this.#samples) {
      if (nowMs - sample.startMs >= expireAgeMs) {
        sample.startMs = nowMs;
        sample.bytes = 0;
      }
    }
  }
}

/** One broker's meters, by user and kind. One owner: the node. */
export class ClientQuotaManager {
  readonly #config: QuotaWindowConfig;
  readonly #quotas: () => SecurityImage['clientQuotas'];
  readonly #meters = new Map<string, SampledRate>();
  #lastSweepMs = Number.NEGATIVE_INFINITY;

  constructor(config: QuotaWindowConfig, quotas: () => SecurityImage['clientQuotas']) {
    if (!Number.isInteger(config.samples) || config.samples < 1)
      throw new Error(`quota.window.num must be a positive integer: ${config.samples}`);
    if (!Number.isFinite(config.windowMs) || config.windowMs <= 0)
      throw new Error(`quota.window.size.seconds must be positive: ${config.windowMs / 1000}`);
    this.#config = config;
    this.#quotas = quotas;
  }

  /** The longest throttle: every window together (Kafka's maxThrottleTimeMs). */
  get maxThrottleTimeMs(): number {
    return this.#config.samples * this.#config.windowMs;
  }

  /** Users (by kind) with a meter now: bounded by the users active in the last full window span. */
  get meteredCount(): number {
    return this.#meters.size;
  }

  /**
   * Counts `bytes` for `principal` at `nowMs` and answers how long to throttle it (0 when it has no
   * quota or is within it). As Kafka's, the bytes count even when the answer is a throttle.
   */
  recordAndGetThrottleTimeMs(principal: Principal, kind: QuotaKind, bytes: number, nowMs: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`a quota record of ${bytes} bytes`);
    this.#sweep(nowMs);
    const quota = quotaOf(this.#quotas(), principal.name, QUOTA_KEY_OF[kind]);
    if (quota === null) return 0;
    const id = `${kind}\u0000${principal.name}`;
    let meter = this.#meters.get(id);
    if (meter === undefined) {
      meter = new SampledRate(this.#config, nowMs);
      this.#meters.set(id, meter);
    }
    meter.record(bytes, nowMs);
    return this.#throttleTimeMs(meter, quota, nowMs);
  }

  /**
   * The most one request may take of `kind` without going over at once: quota × (samples - 1) windows
   * (Kafka's getMaxValueInQuotaWindow, which bounds a consumer's fetch size, so that a fetch larger than
   * the quota allows is not emptied for ever); null without a quota.
   */
  maxBytesInQuotaWindow(principal: Principal, kind: QuotaKind): number | null {
    const quota = quotaOf(this.#quotas(), principal.name, QUOTA_KEY_OF[kind]);
    if (quota === null) return null;
    return Math.floor((quota * (this.#config.samples - 1) * this.#config.windowMs) / 1000);
  }

  /**
   * Takes back bytes recorded by recordAndGetThrottleTimeMs (Kafka's unrecordQuotaSensor): a throttled
   * Fetch is answered without its records, so what it would have returned does not count.
   */
  unrecord(principal: Principal, kind: QuotaKind, bytes: number, nowMs: number): void {
    this.#meters.get(`${kind}\u0000${principal.name}`)?.record(-bytes, nowMs);
  }

  #throttleTimeMs(meter: SampledRate, quota: number, nowMs: number): number {
    const observed = meter.rate(nowMs);
    if (observed <= quota) return 0;
    // A quota of 0 (allowed by Kafka) throttles every byte for the longest time.
    if (quota <= 0) return this.maxThrottleTimeMs;
    const throttle = ((observed - quota) / quota) * meter.spanMs(nowMs);
    return Math.min(Math.round(throttle), this.maxThrottleTimeMs);
  }

  /** Drops the meters of users idle for longer than every window together (they measure 0 by then). */
  #sweep(nowMs: number): void {
    const idleMs = this.maxThrottleTimeMs;
    if (nowMs - this.#lastSweepMs < idleMs) return;
    this.#lastSweepMs = nowMs;
    for (const [id, meter] of this.#meters) if (nowMs - meter.lastRecordMs >= idleMs) this.#meters.delete(id);
  }
}

/** A ClientQuotaManager on a clock, as the serving layers (src/kafka, src/http) use it. */
export interface ClientQuotaMeter {
  /** Counts `bytes` for `principal` now: how long to throttle it (0 = not throttled). */
  recordAndGetThrottleTimeMs(principal: Principal, kind: QuotaKind, bytes: number): number;
  /** Takes back bytes counted now (a throttled Fetch answered without its records). */
  unrecord(principal: Principal, kind: QuotaKind, bytes: number): void;
  /** The most one request may take of `kind` (null: no quota): ClientQuotaManager.maxBytesInQuotaWindow. */
  maxBytesInQuotaWindow(principal: Principal, kind: QuotaKind): number | null;
}

/** Told of every throttle (the node's metrics). */
export type ThrottleObserver = (principal: Principal, kind: QuotaKind, throttleTimeMs: number) => void;

export function meterOnClock(
  manager: ClientQuotaManager,
  nowMs: () => number,
  onThrottle: ThrottleObserver | null = null,
): ClientQuotaMeter {
  return {
    recordAndGetThrottleTimeMs: (principal, kind, bytes) => {
      const throttleTimeMs = manager.recordAndGetThrottleTimeMs(principal, kind, bytes, nowMs());
      if (throttleTimeMs > 0) onThrottle?.(principal, kind, throttleTimeMs);
      return throttleTimeMs;
    },
    unrecord: (principal, kind, bytes) => manager.unrecord(principal, kind, bytes, nowMs()),
    maxBytesInQuotaWindow: (principal, kind) => manager.maxBytesInQuotaWindow(principal, kind),
  };
}
