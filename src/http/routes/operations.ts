// Operations: GET /health (the process answers), GET /metrics (Prometheus text) and GET /ready (the node has caught up with the metadata
// log and is unfenced; 503 until then, so that a load balancer keeps traffic away).

import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.ts';
import type { RouteDeps } from './context.ts';
import { authorizeCluster } from '../authorization.ts';

export function registerOperationRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/metrics', async (request, reply) => {
    // The metrics name topics and groups: DESCRIBE on the cluster. /health and /ready tell nothing.
    authorizeCluster(request, deps, 'DESCRIBE');
    const { contentType, body } = await node.metrics();
    return reply.type(contentType).send(body);
  });

  app.get('/ready', async () => {
    if (!node.isReady()) {
      throw new HttpError(
        'NOT_READY',
        `Node ${node.nodeId} is not ready: it has not caught up with the metadata log or is fenced.`,
      );
    }
    return { status: 'ready' };
  });
}
