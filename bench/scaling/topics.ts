// Creating many topics: `count` topics of one partition (RF 3) through the SDK's Admin, first in one
// createTopics call with all of them (the Admin sends one request per topic, all at once), then, unless
// skipped, one createTopics call after another as a script running kafka-topics --create in a loop
// would. Each is timed to the answers, then to every node's metadata showing every topic led (and fully in
// sync), and the topics are deleted (one call) and timed until no node knows them.
import type { Admin } from '../../src/client/index.ts';
import { LatencyRecorder, type LatencySummary } from '../cluster/latency.ts';
import type { BenchCluster } from '../cluster/local-cluster.ts';
import type { Progress } from '../cluster/workload.ts';
import { type Readiness, waitGone, waitUsable } from './readiness.ts';

export type CreationMode = 'one call' | 'sequential';

export interface TopicsResult {
  readonly mode: CreationMode;
  readonly topics: number;
  /** From the first create sent to the last answer. */
  readonly answeredMs: number;
  readonly ready: Readiness;
  /** Topics created per second, up to one record written to every one (every replica open). */
  readonly topicsPerSecond: number;
  /** Sequential only: one sample per createTopics call. */
  readonly perCall: LatencySummary | null;
  readonly deleteAnsweredMs: number;
  /** From the delete call to no node knowing any of the topics. */
  readonly deleteGoneMs: number;
}

export async function measureTopics(options: {
  readonly cluster: BenchCluster;
  readonly admin: Admin;
  readonly progress: Progress;
  readonly mode: CreationMode;
  readonly count: number;
  readonly replicationFactor: number;
  readonly prefix: string;
}): Promise<TopicsResult> {
  const { cluster, admin, progress, mode, count } = options;
  const names = Array.from({ length: count }, (_, index) => `${options.prefix}-${index}`);
  const topic = (name: string) => ({
    topic: name,
    numPartitions: 1,
    replicationFactor: options.replicationFactor,
  });
  const label = `${count} topics, ${mode}:`;
  const created = { acked: 0, failed: 0 };
  progress.start(`${label} create`, created);
  const started = performance.now();
  let perCall: LatencySummary | null = null;
  if (mode === 'one call') {
    await admin.createTopics(names.map(topic));
    created.acked = count;
  } else {
    const latency = new LatencyRecorder(started);
    for (const name of names) {
      const sent = performance.now();
      await admin.createTopics([topic(name)]);
      latency.record(performance.now() - sent);
      created.acked += 1;
    }
    perCall = latency.summary();
  }
  const answeredMs = performance.now() - started;
  const ready = await waitUsable({
    cluster,
    topics: names,
    partitionsPerTopic: 1,
    replicationFactor: options.replicationFactor,
    startedMs: started,
    timeoutMs: 300_000,
  });
  const topicsPerSecond = count / (ready.writableMs / 1000);
  progress.done(
    `answered in ${(answeredMs / 1000).toFixed(2)} s, all led on every node after ${(ready.leadersMs / 1000).toFixed(2)} s ` +
      `(${topicsPerSecond.toFixed(0)} topics/s), fully in sync after ${(ready.fullIsrMs / 1000).toFixed(2)} s, ` +
      `written to every topic after ${(ready.writableMs / 1000).toFixed(2)} s`,
  );

  progress.start(`${label} delete`, null);
  const deleting = performance.now();
  await admin.deleteTopics(names);
  const deleteAnsweredMs = performance.now() - deleting;
  await waitGone(cluster, names, 300_000);
  const deleteGoneMs = performance.now() - deleting;
  progress.done(
    `answered in ${(deleteAnsweredMs / 1000).toFixed(2)} s, gone from every node after ${(deleteGoneMs / 1000).toFixed(2)} s`,
  );
  return { mode, topics: count, answeredMs, ready, topicsPerSecond, perCall, deleteAnsweredMs, deleteGoneMs };
}
