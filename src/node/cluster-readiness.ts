// The launcher's "ready" line: a user following the quick start should know when the cluster can take
// requests. A node's listener accepts connections before the node has caught up with the metadata quorum
// and registered (a topic create then fails, or a curl -s to a node still starting prints nothing), so
// the launcher asks every node's GET /ready (200 once caught up and unfenced) until all say yes.

/** Whether the node behind `clientUrl` answers GET /ready with 200 (false on any error or timeout). */
/** Whether the node at `clientUrl` is ready and belongs to cluster `clusterId`. */
export type ReadinessProbe = (clientUrl: string, clusterId: string) => Promise<boolean>;

/**
 * GET /ready, then the cluster id the node serves: a node of another cluster holding the port (a
 * cluster already running from another directory) must not pass for one of ours.
 */
export const httpReadinessProbe: ReadinessProbe = async (clientUrl, clusterId) => {
  try {
    const response = await fetch(`${clientUrl}/ready`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    if (!response.ok) return false;
    const clusters = await fetch(`${clientUrl}/v3/clusters`, { signal: AbortSignal.timeout(1000) });
    if (!clusters.ok) {
      await clusters.body?.cancel();
      return false;
    }
    const body = (await clusters.json()) as { data?: { cluster_id?: unknown }[] };
    return body.data?.[0]?.cluster_id === clusterId;
  } catch {
    return false;
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
  readonly intervalMs: number;
  readonly stopped: () => boolean;
}): Promise<boolean> {
  const { clientUrls, clusterId, probe, intervalMs, stopped } = options;
  while (!stopped()) {
    const answers = await Promise.all(clientUrls.map((url) => probe(url, clusterId)));
    if (stopped()) return false;
    if (answers.every(Boolean)) return true;
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs).unref());
  }
  return false;
}
