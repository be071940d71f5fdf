// Client quotas on the client API: the produce routes' request bodies and the read routes' answers
// count against the principal's quotas; over a quota the answer is delayed by the throttle time and
// says it in X-Kafka-Throttle-Time-Ms. Quotas come from constructed client quotas (what the image's
// ClientQuotaRecords hold), on two samples of 100 ms, so that a throttle is at most 200 ms.
import { afterEach, describe, expect, it } from 'vitest';
import { ClientQuotaManager, meterOnClock } from '../../src/common/client-quotas.ts';
import type { QuotaKey } from '../../src/common/security.ts';
import { METERED_ROUTES, THROTTLE_TIME_HEADER } from '../../src/http/quota-hooks.ts';
import { BASE, createTopic, type Harness, newHarness } from './harness.ts';

let h: Harness;
afterEach(async () => h.close());

async function withQuotas(defaults: Partial<Record<QuotaKey, number>>) {
  const quotas = new Map([['', new Map(Object.entries(defaults) as [QuotaKey, number][])]]);
  const throttles: string[] = [];
  const meter = meterOnClock(
    new ClientQuotaManager({ samples: 2, windowMs: 100 }, () => quotas),
    Date.now,
    (principal, kind, ms) => throttles.push(`${principal.name} ${kind} ${ms}`),
  );
  h = newHarness({ quotas: meter });
  await createTopic(h, 'orders', 1, 1);
  return { throttles };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('client quotas on the client API', () => {
  it('meters routes that exist: every metered pattern is a route of the app', async () => {
    h = newHarness();
    await h.app.ready();
    for (const route of METERED_ROUTES.keys()) {
      const [method, url] = route.split(' ') as [string, string];
      expect(h.app.hasRoute({ method, url }), route).toBe(true);
    }
  });

  it('over producer_byte_rate: the answer is delayed by the throttle time, which it says', async () => {
    const { throttles } = await withQuotas({ producer_byte_rate: 1000 });
    const body = { value: { type: 'BINARY', data: b64('x'.repeat(3000)) } };
    const started = Date.now();
    const reply = await h.send('POST', `${BASE}/topics/orders/records`, body);
    expect(reply.status).toBe(200);
    // ~4 KB in one window of 100 ms against 1 KB/s: the longest throttle, 200 ms.
    expect(reply.headers[THROTTLE_TIME_HEADER]).toBe('200');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(throttles).toEqual(['ANONYMOUS produce 200']);
    // The records were appended all the same: a quota throttles, it does not refuse.
    expect(h.node.data.produces).toHaveLength(1);
  });

  it('within the quota: X-Kafka-Throttle-Time-Ms 0; without a quota: no header', async () => {
    await withQuotas({ producer_byte_rate: 10_000_000 });
    const within = await h.send('POST', `${BASE}/topics/orders/records`, {
      value: { type: 'JSON', data: 1 },
    });
    expect(within.headers[THROTTLE_TIME_HEADER]).toBe('0');
    // No consumer_byte_rate: reads are not metered at all.
    const read = await h.request({ method: 'GET', url: '/topics/orders/partitions/0/records?offset=0' });
    expect(read.status).toBe(200);
    expect(read.headers[THROTTLE_TIME_HEADER]).toBeUndefined();
  });

  it('over consumer_byte_rate: a REST v2 read is delayed, with its records', async () => {
    const { throttles } = await withQuotas({ consumer_byte_rate: 1000 });
    await h.request({
      method: 'POST',
      url: '/topics/orders/partitions/0',
      headers: { 'content-type': 'application/vnd.kafka.binary.v2+json' },
      payload: JSON.stringify({ records: [{ value: b64('y'.repeat(3000)) }] }),
    });
    const started = Date.now();
    const read = await h.request({
      method: 'GET',
      url: '/topics/orders/partitions/0/records?offset=0',
      headers: { accept: 'application/vnd.kafka.binary.v2+json' },
    });
    expect(read.status).toBe(200);
    expect(JSON.parse(read.text)).toHaveLength(1);
    expect(Number(read.headers[THROTTLE_TIME_HEADER])).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(Number(read.headers[THROTTLE_TIME_HEADER]) - 10);
    expect(throttles).toHaveLength(1);
    expect(throttles[0]).toMatch(/^ANONYMOUS fetch [0-9]+$/);
  });
});
