// POST /v3/clusters/{c}/producer-ids (our extension): Kafka's InitProducerId for a REST producer that
// wants its records written once however often it retries. It answers a producer id no other producer
// of the cluster gets, with epoch 0; the producer then sends `producer_id`, `producer_epoch` and a
// `sequence` per partition (0, 1, 2 ... for its records of that partition) with each v3 record.

import type { FastifyInstance } from 'fastify';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema } from './context.ts';
import { authorizeIdempotentWrite } from '../authorization.ts';

export function registerProducerIdRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  scope.post<{ Params: ClusterParams }>(
    '/producer-ids',
    { schema: { params: paramsSchema('cluster_id') } },
    async (request) => {
      // As InitProducerId: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic.
      authorizeIdempotentWrite(request, deps, () =>
        [...node.image().topics.values()].map((topic) => topic.name),
      );
      const { producerId, producerEpoch } = await node.data.initProducerId();
      return {
        kind: 'KafkaProducerId',
        cluster_id: node.clusterId,
        producer_id: producerId,
        producer_epoch: producerEpoch,
      };
    },
  );
}
