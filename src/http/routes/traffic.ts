// GET /v3/clusters/{c}/broker-traffic (our extension, for the web console's live charts): every
// registered broker's client traffic counters (kraftling_messages_in_total, kraftling_bytes_in_total,
// kraftling_messages_out_total, kraftling_bytes_out_total: counted by partition leaders), summed over the
// topics that are not internal, as each broker's metrics say now. A rate is the difference of two
// answers over their time; a counter that went down is a broker that restarted (counting from 0 again).
// A broker whose metrics cannot be had has `error` and null counters, the others still answer.

import type { FastifyInstance } from 'fastify';
import { isInternalTopic } from '../../metadata/topic-rules.ts';
import { toErrorBody } from '../errors.ts';
import { samplesOf } from '../prometheus-text.ts';
import type { CollectionMetadata } from '../render/resource.ts';
import { urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema } from './context.ts';
import { authorizeCluster } from '../authorization.ts';

const COUNTERS = {
  messages_in_total: 'kraftling_messages_in_total',
  bytes_in_total: 'kraftling_bytes_in_total',
  messages_out_total: 'kraftling_messages_out_total',
  bytes_out_total: 'kraftling_bytes_out_total',
} as const;

type CounterField = keyof typeof COUNTERS;

export type BrokerTrafficData = {
  readonly broker_id: number;
  /** Epoch ms when this node had the broker's answer. */
  readonly scraped_at: number;
  readonly error: { readonly error_code: number; readonly message: string } | null;
} & { readonly [field in CounterField]: number | null };

export interface BrokerTrafficListData {
  readonly kind: 'KafkaBrokerTrafficList';
  readonly metadata: CollectionMetadata;
  readonly data: readonly BrokerTrafficData[];
}

/** The counters of one broker's exposition, summed over its non-internal topics. */
export function trafficTotals(text: string): Record<CounterField, number> {
  const byName = new Map<string, CounterField>(
    Object.entries(COUNTERS).map(([field, name]) => [name, field as CounterField]),
  );
  const totals: Record<CounterField, number> = {
    messages_in_total: 0,
    bytes_in_total: 0,
    messages_out_total: 0,
    bytes_out_total: 0,
  };
  for (const sample of samplesOf(text, new Set(byName.keys()))) {
    const topic = sample.labels.get('topic');
    if (topic !== undefined && isInternalTopic(topic)) continue;
    const field = byName.get(sample.name);
    if (field !== undefined) totals[field] += sample.value;
  }
  return totals;
}

export function registerTrafficRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  scope.get<{ Params: ClusterParams }>(
    '/broker-traffic',
    { schema: { params: paramsSchema('cluster_id') } },
    async (request): Promise<BrokerTrafficListData> => {
      // Every broker's metrics: DESCRIBE on the cluster, as /metrics.
      authorizeCluster(request, deps, 'DESCRIBE');
      const brokers = [...node.image().brokers.keys()].sort((a, b) => a - b);
      const data = await Promise.all(
        brokers.map(async (broker): Promise<BrokerTrafficData> => {
          try {
            const totals = trafficTotals(await node.brokerMetrics(broker));
            return { broker_id: broker, scraped_at: Date.now(), error: null, ...totals };
          } catch (error) {
            const { body, unexpected } = toErrorBody(error);
            if (unexpected)
              request.log.warn({ err: error, broker }, 'the metrics of a broker could not be read');
            return {
              broker_id: broker,
              scraped_at: Date.now(),
              error: unexpected
                ? { ...body, message: `Broker ${broker}'s metrics could not be read.` }
                : body,
              messages_in_total: null,
              bytes_in_total: null,
              messages_out_total: null,
              bytes_out_total: null,
            };
          }
        }),
      );
      const self = urlBuilder(request)('v3', 'clusters', node.clusterId, 'broker-traffic');
      return { kind: 'KafkaBrokerTrafficList', metadata: { self, next: null }, data };
    },
  );
}
