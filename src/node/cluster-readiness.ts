// The launcher's "ready" line: a user following the quick start should know when the cluster can take
// requests. A node's listener accepts connections before the node has caught up with the metadata quorum
// and registered (a topic create then fails, or a curl -s to a node still starting prints nothing), so
// the launcher asks every node's GET /ready (200 once caught up and unfenced) until all say yes.

import { Agent, request } from 'undici';

/** What an HTTPS probe trusts and shows (the local CA, the client certificate of `--secure`). */
export interface ProbeTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Whether the node at `clientUrl` is ready and belongs to cluster `clusterId`. */
export type ReadinessProbe = (clientUrl: string, clusterId: string, tls: ProbeTls | null) => Promise<boolean>;

/**
 * GET /ready, then the cluster id the node serves: a node of another cluster holding the port (a
 * cluster already running from another directory) must not pass for one of ours.
 */
export const httpReadinessProbe: ReadinessProbe = async (clientUrl, clusterId, tls) => {
  // HTTPS nodes: their CA, and the client certificate that stands for credentials on the client API.
  const agent = tls === null ? null : new Agent({ connect: { ...tls } });
  const get = (path: string) =>
    request(`${clientUrl}${path}`, {
      signal: AbortSignal.timeout(1000),
      ...(agent !== null ? { dispatcher: agent } : {}),
    });
  try {
    const response = await get('/ready');
    await response.body.dump();
    if (response.statusCode !== 200) return false;
    const clusters = await get('/v3/clusters');
    if (clusters.statusCode !== 200) {
      await clusters.body.dump();
      return false;
    }
    const body = (await clusters.body.json()) as { data?: { cluster_id?: unknown }[] };
    return body.data?.[0]?.cluster_id === clusterId;
  } catch {
    return false;
  } finally {
    await agent?.destroy();
  }
};

/**
 * Resolves true once every node answered ready in the same round, false if `stopped()` turned true first.
 * Rounds are `intervalMs` apart; a node that was ready and is no longer (restarting) is asked again.
 */
export async function waitForReadyCluster(options: {
  readonly clientUrls: readonly string[];
  readonly clusterId: string;
  readonly probe: ReadinessProbe;
  /** The probe's TLS when the client API is HTTPS. */
  readonly tls?: ProbeTls | null;
  readonly intervalMs: number;
  readonly stopped: () => boolean;
}): Promise<boolean> {
  const { clientUrls, clusterId, probe, intervalMs, stopped } = options;
  while (!stopped()) {
    const answers = await Promise.all(clientUrls.map((url) => probe(url, clusterId, options.tls ?? null)));
    if (stopped()) return false;
    if (answers.every(Boolean)) return true;
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs).unref());
  }
  return false;
}
