// GET /v3/clusters (the one cluster this node belongs to) and GET /v3/clusters/{cluster_id}.

import type { FastifyInstance } from 'fastify';
import { renderCluster } from '../render/cluster.ts';
import { resourceList } from '../render/resource.ts';
import { urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema } from './context.ts';

/** Routes outside the cluster scope. */
export function registerClusterListRoute(app: FastifyInstance, { node }: RouteDeps): void {
  app.get('/v3/clusters', async (request) => {
    const url = urlBuilder(request);
    const cluster = renderCluster(url, node.clusterId, node.image());
    return resourceList('KafkaClusterList', url('v3', 'clusters'), [cluster]);
  });
}

/** Routes inside the cluster scope (prefix /v3/clusters/:cluster_id). */
export function registerClusterRoutes(scope: FastifyInstance, { node }: RouteDeps): void {
  scope.get<{ Params: ClusterParams }>(
    '',
    { schema: { params: paramsSchema('cluster_id') } },
    async (request) => renderCluster(urlBuilder(request), node.clusterId, node.image()),
  );
}
