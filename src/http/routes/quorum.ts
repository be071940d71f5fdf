// GET /v3/clusters/{c}/metadata-quorum (our extension): `kafka-metadata-quorum describe` over REST,
// answered by the quorum leader through AdminApi.describeQuorum. DESCRIBE on the cluster (Kafka's
// DescribeQuorum).

import type { FastifyInstance } from 'fastify';
import { renderQuorum } from '../render/quorum.ts';
import { urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema } from './context.ts';
import { authorizeCluster } from '../authorization.ts';

export function registerQuorumRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  scope.get<{ Params: ClusterParams }>(
    '/metadata-quorum',
    { schema: { params: paramsSchema('cluster_id') } },
    async (request) => {
      authorizeCluster(request, deps, 'DESCRIBE');
      const quorum = await node.admin.describeQuorum();
      const self = urlBuilder(request)('v3', 'clusters', node.clusterId, 'metadata-quorum');
      return renderQuorum(self, node.clusterId, quorum);
    },
  );
}
