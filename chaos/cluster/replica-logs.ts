// After healing, each replica's own log (not only what its leader serves): once every replica of a
// `data` partition holds the final high watermark, its records below it must be exactly the final read,
// offset for offset. A follower that kept records the leader never had, or lost some it had been
// credited with, would serve them after the next leader change: the nemesis's replica-logs check, here
// against the simulated disks.

import { partitionId, type TopicId } from '../../src/metadata/ids.ts';
import { CorruptLogError } from '../../src/storage/errors.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { offset } from '../../src/storage/types.ts';
import { Violation } from '../checkers/violation.ts';
import type { SimCluster } from './cluster.ts';
import { DATA_TOPIC } from './data-workload.ts';

const READ_BYTES = 1 << 20;

/**
 * Waits (within `boundMs`) until every replica of each partition in `final` has the partition's final
 * high watermark in its log, then compares. `final`: per partition, offset -> value, read from 0 to the
 * high watermark through the leader.
 */
export async function checkReplicaLogs(
  cluster: SimCluster,
  final: ReadonlyMap<number, ReadonlyMap<number, string>>,
  within: <T>(boundMs: number, task: Promise<T>) => Promise<{ value: T } | null>,
  boundMs: number,
): Promise<void> {
  const image = newestImage(cluster);
  const topicId = image?.topicIdsByName.get(DATA_TOPIC);
  if (image === null || topicId === undefined)
    throw new Violation('replica-logs', `no ${DATA_TOPIC} topic after healing`);
  for (const [partition, records] of final) {
    const registration = image.topics.get(topicId)?.partitions.get(partitionId(partition));
    if (registration === undefined) continue;
    const end = Math.max(0, ...[...records.keys()].map((at) => at + 1));
    const { world } = cluster;
    // In the ISR of the newest image too: a replica outside it may still hold a suffix it has not
    // truncated yet (it has not fetched from the current leader); one inside it agrees below the
    // high watermark.
    const inSync = () => {
      const newest = newestImage(cluster)?.topics.get(topicId)?.partitions.get(partitionId(partition));
      return newest !== undefined && registration.replicas.every((replica) => newest.isr.includes(replica));
    };
    const caughtUp = () =>
      inSync() &&
      registration.replicas.every((replica) => {
        const log = cluster
          .server(replica as never)
          .dataPlane()
          ?.replicas.hosted(topicId, partitionId(partition))?.log;
        return log !== undefined && log.logEndOffset >= end;
      });
    if (!(await world.runUntil(world.scheduler.now() + boundMs * 1000, () => {}, caughtUp))) {
      throw new Violation(
        'replica-logs',
        `${DATA_TOPIC}-${partition}: a replica of [${registration.replicas}] was not in the ISR with offset ${end} within ${boundMs} ms`,
      );
    }
    for (const replica of registration.replicas) {
      const read = await within(boundMs, readReplica(cluster, replica as number, topicId, partition, end));
      if (read === null)
        throw new Violation(
          'replica-logs',
          `${DATA_TOPIC}-${partition}: node ${replica}'s log could not be read within ${boundMs} ms`,
        );
      const { values, logStartOffset, damagedFrom } = read.value;
      for (let at = logStartOffset; at < Math.min(end, damagedFrom); at++) {
        const expected = records.get(at);
        const found = values.get(at);
        if (expected !== found) {
          throw new Violation(
            'replica-logs',
            `${DATA_TOPIC}-${partition} offset ${at}: node ${replica}'s log holds ${found ?? 'nothing'}, the final read ${expected ?? 'nothing'}`,
          );
        }
      }
    }
  }
}

async function readReplica(
  cluster: SimCluster,
  replica: number,
  topicId: TopicId,
  partition: number,
  end: number,
): Promise<{ values: Map<number, string>; logStartOffset: number; damagedFrom: number }> {
  const log = cluster
    .server(replica as never)
    .dataPlane()
    ?.replicas.hosted(topicId, partitionId(partition))?.log;
  if (log === undefined)
    throw new Violation('replica-logs', `node ${replica} no longer hosts ${DATA_TOPIC}-${partition}`);
  const values = new Map<number, string>();
  const logStartOffset = log.logStartOffset;
  let next = logStartOffset;
  while (next < end) {
    let read: Awaited<ReturnType<typeof log.read>>;
    try {
      read = await log.read({ startOffset: offset(next), maxBytes: READ_BYTES, maxOffset: offset(end) });
    } catch (error) {
      // A copy the bit-rot fault damaged: found by the checks on read, never served (a follower does
      // not read its own log, so the damage stays until it leads); compared up to the damage.
      if (error instanceof CorruptLogError && cluster.bitRotDamaged.has(`${replica}/${partition}`))
        return { values, logStartOffset, damagedFrom: next };
      throw error;
    }
    if (read.nextOffset <= next) break;
    for (const { header } of batchesIn(read.bytes)) {
      for (const record of decodeRecords(header))
        if (record.offset < end) values.set(record.offset, record.value?.toString('utf8') ?? '<null>');
    }
    next = read.nextOffset;
  }
  return { values, logStartOffset, damagedFrom: end };
}

function newestImage(cluster: SimCluster) {
  let newest: ReturnType<ReturnType<SimCluster['server']>['image']> = null;
  for (const server of cluster.servers.values()) {
    const image = server.image();
    if (image !== null && (newest === null || image.offset > newest.offset)) newest = image;
  }
  return newest;
}
