// Acceptance (issue 3): metadata snapshots by a configurable threshold compact the log; a restart loads
// the snapshot; a node that was down past the compaction point catches up by snapshot. And a cluster of
// 3 controllers + 2 broker-only nodes (observers of the metadata log) works.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor } from './process-cluster.ts';

let cluster: ProcessCluster | null = null;

afterEach(async (context) => {
  if (cluster !== null && context.task.result?.state === 'fail') {
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  }
  await cluster?.destroy();
  cluster = null;
});

async function metadataFiles(
  c: ProcessCluster,
  id: number,
): Promise<{ snapshots: string[]; segments: string[] }> {
  const names = await readdir(join(c.node(id).dataDir, '__cluster_metadata-0'));
  return {
    snapshots: names.filter((name) => name.endsWith('.snap')),
    segments: names.filter((name) => name.endsWith('.log')).sort(),
  };
}

describe('metadata snapshots (real processes)', () => {
  it('compacts by threshold, restarts from the snapshot, and catches a lagging node up by snapshot', async () => {
    cluster = await ProcessCluster.create({
      controllers: 3,
      overrides: { 'metadata.log.max.records.between.snapshots': '20', 'metadata.log.segment.bytes': '2048' },
    });
    await cluster.startAll();
    const laggard = 3;
    await cluster.stop(laggard, 'SIGKILL');
    const { segments: laggardSegments } = await metadataFiles(cluster, laggard);

    for (let i = 0; i < 15; i++) {
      const answer = await cluster.http(1, 'POST', cluster.topicsPath(), {
        topic_name: `t${i}`,
        partitions_count: 2,
        replication_factor: 2,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    }
    for (const id of [1, 2]) {
      const files = await waitFor(`a snapshot on node ${id}`, async () => {
        const found = await metadataFiles(cluster!, id);
        return found.snapshots.length > 0 ? found : undefined;
      });
      // Whole segments below the snapshot are gone: the log no longer starts at index 1.
      expect(files.segments[0]).not.toBe('00000000000000000001.log');
    }

    cluster.start(laggard);
    await cluster.waitReady();
    await cluster.waitImagesEqual();
    expect(await cluster.logs(laggard)).toContain('raft restoring snapshot from leader');
    expect(laggardSegments.length).toBeGreaterThan(0);
    expect((await metadataFiles(cluster, laggard)).snapshots.length).toBe(1);

    // A full restart of every node recovers from snapshot + log to the same image.
    for (const id of [1, 2, 3]) await cluster.stop(id, 'SIGTERM');
    for (const id of [1, 2, 3]) cluster.start(id);
    await cluster.waitReady();
    const answer = await cluster.get(2, `${cluster.topicsPath()}/t14`);
    expect(answer.status).toBe(200);
    await cluster.waitImagesEqual();
  });
});

describe('3 controllers and 2 broker-only nodes (real processes)', () => {
  it('brokers follow the log as observers, register, and host the replicas', async () => {
    cluster = await ProcessCluster.create({ controllers: 3, controllerOnly: true, brokers: 2 });
    await cluster.startAll();
    const quorum = await cluster.quorum(4);
    expect(quorum.status).toBe(200);
    expect(quorum.body.voters.map((voter: { replica_id: number }) => voter.replica_id)).toEqual([1, 2, 3]);
    await waitFor('both brokers observing the metadata log', async () => {
      const answer = await cluster!.quorum(5);
      const observers = answer.body.observers.map((observer: { replica_id: number }) => observer.replica_id);
      return observers.includes(4) && observers.includes(5);
    });

    const brokers = await cluster.get(1, `/v3/clusters/${cluster.clusterId}/brokers`);
    expect(brokers.body.data.map((broker: { broker_id: number }) => broker.broker_id).sort()).toEqual([4, 5]);

    const created = await cluster.http(4, 'POST', cluster.topicsPath(), {
      topic_name: 'logs',
      partitions_count: 4,
      replication_factor: 2,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const partitions = await waitFor('logs visible on broker 5', async () => {
      const answer = await cluster!.get(5, `${cluster!.topicsPath()}/logs/partitions`);
      return answer.status === 200
        ? (answer.body.data as Array<{ replica_ids: number[]; leader_id: number }>)
        : undefined;
    });
    for (const partition of partitions) expect(partition.replica_ids.toSorted()).toEqual([4, 5]);

    const tooMany = await cluster.http(5, 'POST', cluster.topicsPath(), {
      topic_name: 'x',
      replication_factor: 3,
    });
    expect(tooMany.status).toBe(400);
    await cluster.waitImagesEqual();
  });
});
