import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientQuotaManager, KAFKA_QUOTA_WINDOW, quotaOf } from '../../src/common/client-quotas.ts';
import { ANONYMOUS, type QuotaKey } from '../../src/common/security.ts';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const alice = { type: 'User', name: 'alice' } as const;

function quotas(entries: Record<string, Partial<Record<QuotaKey, number>>>) {
  return new Map(
    Object.entries(entries).map(([user, keys]) => [
      user,
      new Map(Object.entries(keys) as [QuotaKey, number][]),
    ]),
  );
}

describe('quotaOf', () => {
  it("takes the user's own quota, else the default entity's, key by key", () => {
    const image = quotas({
      '': { producer_byte_rate: 10, consumer_byte_rate: 20 },
      alice: { producer_byte_rate: 5 },
    });
    expect(quotaOf(image, 'alice', 'producer_byte_rate')).toBe(5);
    expect(quotaOf(image, 'alice', 'consumer_byte_rate')).toBe(20);
    expect(quotaOf(image, 'ANONYMOUS', 'producer_byte_rate')).toBe(10);
    expect(quotaOf(quotas({}), 'alice', 'producer_byte_rate')).toBeNull();
  });
});

describe(`ClientQuotaManager (seed ${SEED}; rerun with FC_SEED=${SEED})`, () => {
  it('never throttles a user without a quota', () => {
    const manager = new ClientQuotaManager(KAFKA_QUOTA_WINDOW, () =>
      quotas({ bob: { producer_byte_rate: 1 } }),
    );
    expect(manager.recordAndGetThrottleTimeMs(alice, 'produce', 1e9, 0)).toBe(0);
    expect(manager.meteredCount).toBe(0);
  });

  it("throttles by Kafka's formula: (observed - quota) / quota × the measured span", () => {
    const manager = new ClientQuotaManager(KAFKA_QUOTA_WINDOW, () =>
      quotas({ '': { producer_byte_rate: 1000 } }),
    );
    // 20,000 bytes at once: measured over the minimum span of 10 windows, 2,000 B/s, twice the quota.
    expect(manager.recordAndGetThrottleTimeMs(ANONYMOUS, 'produce', 20_000, 5_000)).toBe(10_000);
    // Fetches are metered apart, and this user has no consumer quota.
    expect(manager.recordAndGetThrottleTimeMs(ANONYMOUS, 'fetch', 1e9, 5_000)).toBe(0);
    // Bounded by every window together.
    expect(manager.recordAndGetThrottleTimeMs(ANONYMOUS, 'produce', 1e9, 5_001)).toBe(11_000);
  });

  it('a quota of 0 throttles every byte for the longest time; unrecord takes bytes back', () => {
    const image = quotas({ alice: { consumer_byte_rate: 0, producer_byte_rate: 100 } });
    const manager = new ClientQuotaManager(KAFKA_QUOTA_WINDOW, () => image);
    expect(manager.recordAndGetThrottleTimeMs(alice, 'fetch', 1, 0)).toBe(11_000);
    // 2,000 bytes over the minimum span of 10 s: 200 B/s, twice the quota.
    expect(manager.recordAndGetThrottleTimeMs(alice, 'produce', 2000, 0)).toBe(10_000);
    manager.unrecord(alice, 'produce', 2000, 1);
    expect(manager.recordAndGetThrottleTimeMs(alice, 'produce', 0, 2)).toBe(0);
  });

  it('forgets what expired: a user idle for every window is measured afresh', () => {
    const manager = new ClientQuotaManager(KAFKA_QUOTA_WINDOW, () =>
      quotas({ '': { producer_byte_rate: 100 } }),
    );
    expect(manager.recordAndGetThrottleTimeMs(alice, 'produce', 5000, 0)).toBeGreaterThan(0);
    expect(manager.recordAndGetThrottleTimeMs(alice, 'produce', 10, 60_000)).toBe(0);
    expect(manager.meteredCount).toBe(1);
    expect(manager.recordAndGetThrottleTimeMs(ANONYMOUS, 'produce', 10, 200_000)).toBe(0);
    // alice's meter was idle for longer than the windows: dropped, so memory follows active users.
    expect(manager.meteredCount).toBe(1);
  });

  it('rejects a window configuration that measures nothing', () => {
    expect(() => new ClientQuotaManager({ samples: 0, windowMs: 1000 }, () => new Map())).toThrow(
      /quota.window.num/,
    );
    expect(() => new ClientQuotaManager({ samples: 2, windowMs: 0 }, () => new Map())).toThrow(
      /quota.window.size.seconds/,
    );
  });

  it('never throttles a client that stays under its quota', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 10_000_000 }),
        fc.double({ min: 0.01, max: 0.85, noNaN: true }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 100, max: 2_000 }),
        (quota, fraction, intervalMs, samplesMinusOne, windowMs) => {
          const config = { samples: samplesMinusOne * 5 + 1, windowMs };
          const manager = new ClientQuotaManager(config, () => quotas({ '': { producer_byte_rate: quota } }));
          // A chunk every intervalMs at fraction × quota; one chunk is at most what one window allows.
          const chunk = Math.min((quota * fraction * intervalMs) / 1000, (quota * windowMs) / 1000 / 10);
          for (let now = 0; now < 60_000; now += intervalMs)
            expect(manager.recordAndGetThrottleTimeMs(alice, 'produce', chunk, now)).toBe(0);
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('holds a greedy client that honours its throttle times near its quota over a long run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10_000, max: 10_000_000 }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 50 }),
        (quota, chunkOfQuota, gapMs) => {
          const manager = new ClientQuotaManager(KAFKA_QUOTA_WINDOW, () =>
            quotas({ '': { producer_byte_rate: quota } }),
          );
          // A client that sends as fast as it may: the next request gapMs after the answer, or after the
          // throttle time (KIP-219: the broker does not read the connection meanwhile).
          const chunk = quota * chunkOfQuota;
          const runMs = 600_000;
          let now = 0;
          let sent = 0;
          while (now < runMs) {
            const throttle = manager.recordAndGetThrottleTimeMs(alice, 'produce', chunk, now);
            sent += chunk;
            now += Math.max(throttle, gapMs, 1);
          }
          const admittedRate = sent / (now / 1000);
          // Near the quota: the first burst (up to ~10 windows' worth before the first throttle) is
          // spread over 10 minutes, and a chunk may overshoot by one chunk per throttle.
          expect(admittedRate).toBeLessThan(quota * 1.1);
          if (gapMs === 0 || chunk / gapMs > quota / 1000) expect(admittedRate).toBeGreaterThan(quota * 0.9);
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });
});
