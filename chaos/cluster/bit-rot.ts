// Bit rot (opt-in, `--bit-rot`): now and then a broker loses power and, while it is down, one bit of a
// sealed segment of one of its data partitions flips on the medium; it restarts later and must find the
// damage (CRC) instead of serving it or building on it. The fault stays within the guarantee (acks=all
// records survive faults on at most N-1 replicas): each data partition is damaged on one replica at
// most, once per run, only in batches another live replica has fsynced, and no whole-cluster crash
// follows (faults.ts beyondTheGuarantee).

import type { NodeId } from '../../raft/types.ts';
import { partitionId } from '../../src/metadata/ids.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import type { Prng } from '../sim/prng.ts';
import { MS } from '../sim/scheduler.ts';
import type { SimCluster } from './cluster.ts';
import { LOG_DIR } from './data-plane.ts';
import { DATA_TOPIC } from './data-workload.ts';

const SEGMENT = new RegExp(`^${LOG_DIR}/${DATA_TOPIC}-(\\d+)/(\\d+)\\.log$`);

export function scheduleBitRot(cluster: SimCluster, random: Prng, endUs: number): void {
  const { scheduler } = cluster.world;
  const damaged = new Set<number>();
  const next = () => {
    const gapUs = random.between(1_500, 5_000) * MS;
    if (scheduler.now() + gapUs >= endUs) return;
    scheduler.after(gapUs, () => {
      rot(cluster, random, damaged);
      next();
    });
  };
  next();
}

/** The sealed segments (every segment of a partition but its last) of `id`'s undamaged partitions. */
function sealedSegments(cluster: SimCluster, id: NodeId, damaged: ReadonlySet<number>) {
  const byPartition = new Map<number, { path: string; base: number }[]>();
  for (const path of cluster.server(id).fs.listFiles(LOG_DIR)) {
    const match = SEGMENT.exec(path);
    if (match === null) continue;
    const partition = Number(match[1]);
    if (damaged.has(partition)) continue;
    const segments = byPartition.get(partition) ?? [];
    segments.push({ path, base: Number(match[2]) });
    byPartition.set(partition, segments);
  }
  const sealed: { partition: number; path: string }[] = [];
  for (const [partition, segments] of byPartition) {
    segments.sort((left, right) => left.base - right.base);
    for (const segment of segments.slice(0, -1)) sealed.push({ partition, path: segment.path });
  }
  return sealed;
}

/**
 * How many leading bytes of `id`'s segment `path` (of `partition`) hold only batches that `id` itself
 * and another live replica have fsynced: bit rot hits data at rest, and damages one copy of data that
 * has another, within the guarantee.
 */
function coveredBytes(cluster: SimCluster, id: NodeId, partition: number, path: string): number {
  const flushed = (node: NodeId) => {
    const server = cluster.server(node);
    const topicId = server.image()?.topicIdsByName.get(DATA_TOPIC);
    const log =
      topicId === undefined
        ? undefined
        : server.dataPlane()?.replicas.hosted(topicId, partitionId(partition))?.log;
    return log?.flushedOffset ?? 0;
  };
  let elsewhere = 0;
  for (const other of cluster.config.brokers) {
    if (other !== id && cluster.server(other).alive) elsewhere = Math.max(elsewhere, flushed(other));
  }
  const covered = Math.min(elsewhere, flushed(id));
  const content = cluster.server(id).fs.contentOf(path);
  if (content === undefined) return 0;
  let endBytes = 0;
  for (const { header, positionBytes } of batchesIn(content)) {
    if (header.lastOffset >= covered) break;
    endBytes = positionBytes + header.sizeBytes;
  }
  return endBytes;
}

function rot(cluster: SimCluster, random: Prng, damaged: Set<number>): void {
  if (cluster.healed) return;
  const alive = cluster.config.brokers.filter((id) => cluster.server(id).alive);
  if (alive.length === 0) return;
  const id = random.pick(alive);
  const candidates = sealedSegments(cluster, id, damaged);
  if (candidates.length === 0) return;
  const target = random.pick(candidates);
  const covered = coveredBytes(cluster, id, target.partition, target.path);
  if (covered === 0) return;
  const server = cluster.server(id);
  server.crash();
  cluster.world.note(`node ${id} crashed (power loss)`);
  // After the crash: the file is closed now, and the power loss kept what it kept of it.
  const sizeBytes = server.fs.contentOf(target.path)?.length ?? 0;
  if (sizeBytes > 0) {
    const at = server.fs.flipByte(target.path, random.nextInt(Math.min(covered, sizeBytes)));
    damaged.add(target.partition);
    cluster.bitRotDamaged.add(`${id}/${target.partition}`);
    cluster.world.note(`fault: bit rot in node ${id}'s ${target.path} at byte ${at}`);
  }
  cluster.world.scheduler.after(random.between(200, 2_500) * MS, () => {
    if (server.alive) return;
    server.start();
    cluster.world.note(`node ${id} restarted`);
  });
}
