// Failover time: kill -9 of a partition's leader, then produce one record at a time (REST v3, acks=all)
// through the surviving nodes in turn until one is acknowledged; the time from the kill to that
// acknowledgement is one sample. Then the killed node is restarted and the next kill waits until the
// partition has its three replicas in sync again. Only a cluster the benchmark started can be killed.
import { Agent, request } from 'undici';
import { LatencyRecorder } from './latency.ts';
import type { BenchCluster } from './local-cluster.ts';
import { pause } from './wait.ts';
import type { Progress } from './workload.ts';

/** Between two failed produce attempts: a client's retry backoff (Kafka's retry.backoff.ms is 100). */
const RETRY_BACKOFF_MS = 10;
const ATTEMPT_TIMEOUT_MS = 5000;
const GIVE_UP_MS = 60_000;

export interface FailoverSample {
  readonly killedNode: number;
  /** The killed node was also the active controller: a new one is elected first. */
  readonly killedController: boolean;
  readonly failoverMs: number;
  readonly failedAttempts: number;
  readonly newLeader: number;
}

export interface FailoverOutcome {
  readonly samples: readonly FailoverSample[];
  readonly latency: LatencyRecorder;
}

async function produceOnce(agent: Agent, url: string, value: string): Promise<boolean> {
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partition_id: 0, value: { type: 'STRING', data: value } }),
      headersTimeout: ATTEMPT_TIMEOUT_MS,
      bodyTimeout: ATTEMPT_TIMEOUT_MS,
    });
    const report = (await response.body.json()) as { error_code?: number };
    return response.statusCode === 200 && report.error_code === 200;
  } catch {
    return false;
  }
}

async function warmUp(agent: Agent, url: string): Promise<void> {
  const deadline = performance.now() + GIVE_UP_MS;
  while (!(await produceOnce(agent, url, 'warm-up'))) {
    if (performance.now() > deadline)
      throw new Error(`no produce acknowledged in ${GIVE_UP_MS} ms before a kill`);
    await pause(RETRY_BACKOFF_MS);
  }
}

export async function measureFailover(options: {
  readonly cluster: BenchCluster;
  readonly topic: string;
  readonly kills: number;
  readonly progress: Progress;
}): Promise<FailoverOutcome> {
  const { cluster, topic, progress } = options;
  const latency = new LatencyRecorder();
  const samples: FailoverSample[] = [];
  // Short keep-alive and one connection per request: a connection to the dead node is never reused.
  const agent = new Agent({ keepAliveTimeout: 1000, connections: 4 });
  try {
    for (let kill = 0; kill < options.kills; kill++) {
      await cluster.waitReady(120_000);
      await cluster.waitFullIsr(topic, 1, 120_000);
      const [before] = await cluster.partitions(topic, cluster.nodes[0]!.id);
      const leader = before!.leaderId;
      const killedController = (await cluster.quorumLeader(leader)) === leader;
      const survivors = cluster.nodes.filter((node) => node.id !== leader);
      const urls = survivors.map(
        (node) => `${node.clientUrl}/v3/clusters/${cluster.clusterId}/topics/${topic}/records`,
      );
      // A produce before the kill: the survivors' connections are open, as a running client's would be.
      // It is retried: a preferred leader election may be moving the leadership just then.
      await warmUp(agent, urls[0]!);
      const killedAt = performance.now();
      await cluster.killNode(leader);
      let failedAttempts = 0;
      for (let attempt = 0; ; attempt++) {
        if (await produceOnce(agent, urls[attempt % urls.length]!, `after kill ${kill}`)) break;
        failedAttempts++;
        if (performance.now() - killedAt > GIVE_UP_MS)
          throw new Error(`no produce acknowledged ${GIVE_UP_MS} ms after kill ${kill}`);
        await pause(RETRY_BACKOFF_MS);
      }
      const failoverMs = performance.now() - killedAt;
      latency.record(failoverMs);
      const [after] = await cluster.partitions(topic, survivors[0]!.id);
      samples.push({
        killedNode: leader,
        killedController,
        failoverMs,
        failedAttempts,
        newLeader: after!.leaderId,
      });
      progress.note(
        `  kill ${kill + 1}/${options.kills}: node ${leader} (leader${killedController ? ' and active controller' : ''}) -> first acknowledged produce after ${failoverMs.toFixed(0)} ms (${failedAttempts} failed attempts), new leader ${after!.leaderId}`,
      );
      cluster.startNode(leader);
    }
    await cluster.waitReady(120_000);
    return { samples, latency };
  } finally {
    await agent.close();
  }
}
