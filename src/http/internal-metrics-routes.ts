// This node's metrics for the other nodes, on the internal listener: GET /internal/v1/metrics answers
// the Prometheus text of GET /metrics, so that any node can sum the cluster's traffic for the web console
// (routes/traffic.ts) over the listener nodes already dial each other on. 503 until the node has its
// metrics (the listener starts first).
import type { InternalServer } from '../../raft/transport/http2-transport.ts';

export const METRICS_PATH = '/internal/v1/metrics';

export function registerMetricsRoutes(
  server: InternalServer,
  metrics: () => (() => Promise<{ contentType: string; body: string }>) | null,
): void {
  server.get(METRICS_PATH, async (_request, reply) => {
    const text = metrics();
    if (text === null) return reply.code(503).send('This node is starting.');
    const { contentType, body } = await text();
    return reply.type(contentType).send(body);
  });
}
