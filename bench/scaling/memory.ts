// Memory per partition: each started node's resident set (VmRSS of /proc/<pid>/status), V8 heap in use
// (prom-client's nodejs_heap_size_used_bytes on GET /metrics), open file descriptors (/proc/<pid>/fd)
// and CPU time (/proc/<pid>/stat), on the idle cluster, then with `partitions` idle partitions more
// (topics of 10, RF 3; one record each, written to know that every replica is open), then once they are
// deleted. The nodes offer no way to force a garbage collection, so each figure is the median of several
// samples taken after the cluster has had time to settle; the differences divided by the replicas each
// node holds are the cost of one partition replica.
import { readdir, readFile } from 'node:fs/promises';
import { request } from 'undici';
import type { Admin } from '../../src/client/index.ts';
import type { BenchCluster } from '../cluster/local-cluster.ts';
import { pause } from '../cluster/wait.ts';
import type { Progress } from '../cluster/workload.ts';
import { metadataOf, waitGone, waitUsable } from './readiness.ts';

const SETTLE_MS = 5_000;
const SAMPLES = 5;
const SAMPLE_EVERY_MS = 1_000;
/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat (100 on every common kernel). */
const CLOCK_TICKS_PER_SECOND = 100;
const PARTITIONS_PER_TOPIC = 10;

/** One node's figures at one moment (medians of the samples; cpuPercent over the sampling window). */
export interface NodeMemory {
  readonly rssBytes: number;
  readonly heapUsedBytes: number | null;
  readonly openFds: number;
  /** CPU use of the idle node while it was sampled: 100 is one core. */
  readonly cpuPercent: number;
}

export interface NodeMemoryResult {
  readonly nodeId: number;
  /** Partition replicas this node holds of the measured topics. */
  readonly replicas: number;
  readonly before: NodeMemory;
  readonly after: NodeMemory;
  readonly afterDelete: NodeMemory;
  readonly rssBytesPerReplica: number;
  readonly heapBytesPerReplica: number | null;
  readonly fdsPerReplica: number;
}

export interface MemoryResult {
  readonly partitions: number;
  readonly topics: number;
  readonly replicationFactor: number;
  readonly nodes: readonly NodeMemoryResult[];
}

const median = (values: readonly number[]): number => {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/** utime + stime in seconds (fields 14 and 15; the command name in parentheses may hold spaces). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

async function heapUsedBytes(cluster: BenchCluster, nodeId: number): Promise<number | null> {
  const response = await request(`${cluster.node(nodeId).clientUrl}/metrics`, { dispatcher: cluster.agent });
  const text = await response.body.text();
  if (response.statusCode !== 200) return null;
  const value = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
  return value === undefined ? null : Number(value);
}

/** Every node's figures: SAMPLES samples SAMPLE_EVERY_MS apart after SETTLE_MS, medians. */
async function sample(cluster: BenchCluster): Promise<Map<number, NodeMemory>> {
  await pause(SETTLE_MS);
  const pids = new Map(cluster.nodes.map((node) => [node.id, cluster.pid(node.id)!]));
  const samples = new Map(
    cluster.nodes.map((node) => [
      node.id,
      { rss: [] as number[], heap: [] as number[], fds: [] as number[] },
    ]),
  );
  const cpuFrom = new Map<number, number>();
  for (const [id, pid] of pids) cpuFrom.set(id, await cpuSeconds(pid));
  const windowStarted = performance.now();
  for (let taken = 0; taken < SAMPLES; taken++) {
    if (taken > 0) await pause(SAMPLE_EVERY_MS);
    for (const [id, pid] of pids) {
      const node = samples.get(id)!;
      node.rss.push(await rssBytes(pid));
      node.fds.push((await readdir(`/proc/${pid}/fd`)).length);
      const heap = await heapUsedBytes(cluster, id);
      if (heap !== null) node.heap.push(heap);
    }
  }
  const windowSeconds = (performance.now() - windowStarted) / 1000;
  const result = new Map<number, NodeMemory>();
  for (const [id, pid] of pids) {
    const node = samples.get(id)!;
    result.set(id, {
      rssBytes: median(node.rss),
      heapUsedBytes: node.heap.length === 0 ? null : median(node.heap),
      openFds: median(node.fds),
      cpuPercent: (((await cpuSeconds(pid)) - cpuFrom.get(id)!) / windowSeconds) * 100,
    });
  }
  return result;
}

export async function measureMemory(options: {
  readonly cluster: BenchCluster;
  readonly admin: Admin;
  readonly progress: Progress;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly prefix: string;
}): Promise<MemoryResult> {
  const { cluster, admin, progress } = options;
  const perTopic = Math.min(PARTITIONS_PER_TOPIC, options.partitions);
  const topicCount = Math.ceil(options.partitions / perTopic);
  const names = Array.from({ length: topicCount }, (_, index) => `${options.prefix}-${index}`);
  const partitions = topicCount * perTopic;

  progress.start('memory: sampling the idle cluster', null);
  const before = await sample(cluster);
  progress.done('done');

  progress.start(`memory: ${topicCount} topics of ${perTopic} partitions (${partitions} partitions)`, null);
  const started = performance.now();
  await admin.createTopics(
    names.map((topic) => ({ topic, numPartitions: perTopic, replicationFactor: options.replicationFactor })),
  );
  await waitUsable({
    cluster,
    topics: names,
    partitionsPerTopic: perTopic,
    replicationFactor: options.replicationFactor,
    startedMs: started,
    timeoutMs: 300_000,
  });
  const replicas = new Map(cluster.nodes.map((node) => [node.id, 0]));
  for (const topic of await metadataOf(cluster, cluster.nodes[0]!.id, names))
    for (const partition of topic.partitions)
      for (const replica of partition.replicas) replicas.set(replica, (replicas.get(replica) ?? 0) + 1);
  progress.done(
    `created, open and written (one record each) in ${((performance.now() - started) / 1000).toFixed(1)} s; sampling`,
  );
  const after = await sample(cluster);

  progress.start('memory: deleting them', null);
  await admin.deleteTopics(names);
  await waitGone(cluster, names, 300_000);
  progress.done('gone from every node; sampling');
  const afterDelete = await sample(cluster);

  const nodes = cluster.nodes.map((node): NodeMemoryResult => {
    const held = replicas.get(node.id) ?? 0;
    const was = before.get(node.id)!;
    const is = after.get(node.id)!;
    const per = (difference: number) => (held === 0 ? 0 : difference / held);
    return {
      nodeId: node.id,
      replicas: held,
      before: was,
      after: is,
      afterDelete: afterDelete.get(node.id)!,
      rssBytesPerReplica: per(is.rssBytes - was.rssBytes),
      heapBytesPerReplica:
        was.heapUsedBytes === null || is.heapUsedBytes === null
          ? null
          : per(is.heapUsedBytes - was.heapUsedBytes),
      fdsPerReplica: per(is.openFds - was.openFds),
    };
  });
  return { partitions, topics: topicCount, replicationFactor: options.replicationFactor, nodes };
}
