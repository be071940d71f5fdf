// GET .../broker-traffic (ours) and the Prometheus text reader under it: every broker's client traffic
// counters, internal topics left out, an unreachable broker reported in its own entry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RaftStatus } from '../../raft/node.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { PrometheusTextError, samplesOf } from '../../src/http/prometheus-text.ts';
import { trafficTotals } from '../../src/http/routes/traffic.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import { NodeMetrics } from '../../src/node/metrics.ts';
import type { Harness } from './harness.ts';
import { BASE, newHarness, ORIGIN } from './harness.ts';

const EXPOSITION = `# HELP kraftling_messages_in_total Records appended.
# TYPE kraftling_messages_in_total counter
kraftling_messages_in_total{topic="orders"} 10
kraftling_messages_in_total{topic="__consumer_offsets"} 4
kraftling_messages_in_total{topic="pay\\"ments\\\\x"} 5
kraftling_bytes_in_total{topic="orders"} 1000
kraftling_messages_out_total{topic="orders"} 7 1700000000000
kraftling_bytes_out_total{topic="orders"} 700
kraftling_other_total 99
`;

describe('samplesOf', () => {
  it('reads names, escaped labels and values, and only the names asked', () => {
    const samples = samplesOf(
      `${EXPOSITION}x{le="+Inf"} +Inf\ny NaN\n`,
      new Set(['kraftling_messages_in_total', 'x', 'y']),
    );
    expect(samples.map((s) => [s.name, Object.fromEntries(s.labels), s.value])).toEqual([
      ['kraftling_messages_in_total', { topic: 'orders' }, 10],
      ['kraftling_messages_in_total', { topic: '__consumer_offsets' }, 4],
      ['kraftling_messages_in_total', { topic: 'pay"ments\\x' }, 5],
      ['x', { le: '+Inf' }, Number.POSITIVE_INFINITY],
      ['y', {}, Number.NaN],
    ]);
  });

  it('refuses what is not the exposition format', () => {
    expect(() => samplesOf('kraftling_a{topic="x} 1', new Set(['kraftling_a']))).toThrow(PrometheusTextError);
    expect(() => samplesOf('kraftling_a seven', new Set(['kraftling_a']))).toThrow(PrometheusTextError);
    expect(() => samplesOf('{topic="x"} 1', new Set(['kraftling_a']))).toThrow(PrometheusTextError);
  });
});

describe('trafficTotals', () => {
  it('sums the counters over the topics that are not internal', () => {
    expect(trafficTotals(EXPOSITION)).toEqual({
      messages_in_total: 15,
      bytes_in_total: 1000,
      messages_out_total: 7,
      bytes_out_total: 700,
    });
  });

  it("reads the node's own counters as NodeMetrics writes them", async () => {
    const metrics = new NodeMetrics({
      raft: () => ({ term: 1, commit: 0, role: 'leader' }) as unknown as RaftStatus,
      image: () => emptyImage(),
      replicas: () => null,
    });
    metrics.traffic.appended('orders', 3, 300);
    metrics.traffic.appended('orders', 2, 200);
    metrics.traffic.appended('__consumer_offsets', 1, 50);
    metrics.traffic.read('orders', 4, 400);
    expect(trafficTotals((await metrics.text()).body)).toEqual({
      messages_in_total: 5,
      bytes_in_total: 500,
      messages_out_total: 4,
      bytes_out_total: 400,
    });
  });
});

describe('GET .../broker-traffic', () => {
  let h: Harness;
  beforeEach(() => {
    h = newHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it("answers every broker's totals, and an error in the entry of a broker that cannot be read", async () => {
    h.node.brokerMetricsText.set(1, EXPOSITION);
    h.node.brokerMetricsText.set(2, 'kraftling_messages_in_total{topic="orders"} 2\n');
    h.node.brokerMetricsText.set(3, new Error('connect ECONNREFUSED'));
    const before = Date.now();
    const reply = await h.get(`${BASE}/broker-traffic`);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      kind: 'KafkaBrokerTrafficList',
      metadata: { self: `${ORIGIN}${BASE}/broker-traffic`, next: null },
    });
    const data = reply.json.data ?? [];
    expect(data.map((entry) => entry.broker_id)).toEqual([1, 2, 3]);
    expect(data[0]).toMatchObject({ error: null, messages_in_total: 15, bytes_out_total: 700 });
    expect(data[0]?.scraped_at).toBeGreaterThanOrEqual(before);
    expect(data[1]).toMatchObject({ messages_in_total: 2, bytes_in_total: 0 });
    expect(data[2]).toMatchObject({
      messages_in_total: null,
      error: { error_code: 50002, message: "Broker 3's metrics could not be read." },
    });
  });

  it('passes on a Kafka error of a broker', async () => {
    h.node.brokerMetricsText.set(1, EXPOSITION);
    h.node.brokerMetricsText.set(2, EXPOSITION);
    h.node.brokerMetricsText.set(
      3,
      new KafkaError('BROKER_NOT_AVAILABLE', 'Broker 3 answered 503 for its metrics.'),
    );
    const data = (await h.get(`${BASE}/broker-traffic`)).json.data ?? [];
    expect(data[2]?.error).toEqual({ error_code: 50302, message: 'Broker 3 answered 503 for its metrics.' });
  });
});
