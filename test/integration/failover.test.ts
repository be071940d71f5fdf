// Acceptance (issue 3): kill -9 of the metadata leader, kill -9 of a broker, and SIGTERM (controlled
// shutdown) of a node, on a real three-node cluster.
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

async function leaderOf(c: ProcessCluster, askId: number): Promise<number> {
  return waitFor(`a metadata leader known to node ${askId}`, async () => {
    const answer = await c.quorum(askId);
    return answer.status === 200 && answer.body.leader_id > 0 ? (answer.body.leader_id as number) : undefined;
  });
}

async function createTopic(
  c: ProcessCluster,
  via: number,
  name: string,
  partitions = 3,
  replicationFactor = 3,
): Promise<void> {
  const answer = await c.http(via, 'POST', c.topicsPath(), {
    topic_name: name,
    partitions_count: partitions,
    replication_factor: replicationFactor,
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  // A create is answered once committed; other nodes apply it a few milliseconds later.
  for (const [id, node] of c.nodes) {
    if (node.process === null) continue;
    await waitFor(`${name} visible on node ${id}`, async () => {
      const answer = await c.get(id, `${c.topicsPath()}/${name}/partitions`);
      return answer.status === 200 && answer.body.data.length === partitions;
    });
  }
}

describe('failures of real processes', () => {
  it('kill -9 of the metadata leader: a new leader, admin keeps working, the node catches up on restart', async () => {
    cluster = await ProcessCluster.create({ controllers: 3 });
    await cluster.startAll();
    await createTopic(cluster, 1, 'before');
    const oldLeader = await leaderOf(cluster, 1);
    const survivor = [1, 2, 3].find((id) => id !== oldLeader)!;

    const killedAt = Date.now();
    await cluster.stop(oldLeader, 'SIGKILL');
    const newLeader = await waitFor('a new metadata leader', async () => {
      const answer = await cluster!.quorum(survivor);
      const leader = answer.status === 200 ? (answer.body.leader_id as number) : 0;
      return leader > 0 && leader !== oldLeader ? leader : undefined;
    });
    console.log(
      `metadata leader ${oldLeader} killed; node ${newLeader} leads after ${Date.now() - killedAt} ms`,
    );

    // The killed node's connections closed with it: the new controller fences it at once, so two brokers
    // are left to place replicas on (as Kafka, a factor of 3 is refused until it is back).
    await createTopic(cluster, survivor, 'after', 3, 2);
    cluster.start(oldLeader);
    await cluster.waitReady();
    await waitFor('the restarted node sees the topic created while it was down', async () => {
      return (await cluster!.get(oldLeader, `${cluster!.topicsPath()}/after`)).status === 200;
    });
    await cluster.waitImagesEqual();
  });

  it('kill -9 of a broker: fenced (its connections closed, or its session lapsed), removed from every ISR, leaders re-elected', async () => {
    cluster = await ProcessCluster.create({ controllers: 3 });
    await cluster.startAll();
    await createTopic(cluster, 1, 'events', 6);
    const metadataLeader = await leaderOf(cluster, 1);
    const victim = [1, 2, 3].find((id) => id !== metadataLeader)!;
    const observer = metadataLeader;
    expect((await cluster.partitions(observer, 'events')).some((p) => p.leader_id === victim)).toBe(true);

    await cluster.stop(victim, 'SIGKILL');
    await waitFor('the killed broker fenced', async () => {
      const broker = await cluster!.get(observer, `/v3/clusters/${cluster!.clusterId}/brokers/${victim}`);
      return broker.body?.fenced === true;
    });
    const partitions = await cluster.partitions(observer, 'events');
    for (const partition of partitions) {
      expect(partition.isr).not.toContain(victim);
      expect(partition.leader_id).not.toBe(victim);
      expect(partition.isr).toContain(partition.leader_id);
    }

    cluster.start(victim);
    await cluster.waitReady();
    const broker = await cluster.get(observer, `/v3/clusters/${cluster.clusterId}/brokers/${victim}`);
    expect(broker.body.fenced).toBe(false);
    // Back in service, it fetches from the partitions' leaders, which add it to their ISRs again.
    await waitFor('the restarted broker back in every ISR', async () =>
      (await cluster!.partitions(observer, 'events')).every((partition) => partition.isr.includes(victim)),
    );
    await cluster.waitImagesEqual();
  });

  it("SIGTERM: a controlled shutdown moves the node's leaderships before it exits", async () => {
    // A long session: if leaderships move before the process is gone, only the controlled shutdown did it.
    cluster = await ProcessCluster.create({
      controllers: 3,
      overrides: { 'broker.session.timeout.ms': '60000' },
    });
    await cluster.startAll();
    await createTopic(cluster, 1, 'payments', 6);
    const metadataLeader = await leaderOf(cluster, 1);
    const victim = metadataLeader;
    const watcher = [1, 2, 3].find((id) => id !== victim)!;
    expect((await cluster.partitions(watcher, 'payments')).some((p) => p.leader_id === victim)).toBe(true);

    const exitCode = await cluster.stop(victim, 'SIGTERM');
    expect(exitCode).toBe(0);
    // The shutdown was committed before the process exited; the watcher applies it moments later.
    const partitions = await waitFor('the controlled shutdown applied on the watcher', async () => {
      const current = await cluster!.partitions(watcher, 'payments');
      return current.every((p) => p.leader_id !== victim) ? current : undefined;
    });
    for (const partition of partitions) {
      expect(partition.leader_id).not.toBe(victim);
      expect(partition.isr).not.toContain(victim);
    }
    // If it still led the metadata quorum when stopped, that leadership was handed over too (an
    // election under load may have moved it earlier: then there was nothing to hand over).
    const logs = await cluster.logs(victim);
    expect(logs).toContain('controlled shutdown complete');
    const beforeStop = logs.slice(0, logs.indexOf('stopping with a controlled shutdown'));
    if (beforeStop.lastIndexOf('raft became leader') > beforeStop.lastIndexOf('raft following')) {
      expect(logs).toContain('handing over metadata leadership');
    }
    const newLeader = await leaderOf(cluster, watcher);
    expect(newLeader).not.toBe(victim);
  });
});
