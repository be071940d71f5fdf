// Issue 6, finding 1, on three real KraftNodes in this process: a former partition leader restarted
// alone recovers an image in which it still leads; it must not act on it (no partitions hosted, nothing
// published, not unfenced) until it has caught up with the quorum's high watermark, and what it then
// publishes first already shows the leadership it lost. Every wait is on a condition with a deadline.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionId } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { buildNodeConfig, type NodeConfig } from '../../src/node/config.ts';
import { prepareStorage } from '../../src/node/data-dir.ts';
import { KraftNode } from '../../src/node/node.ts';
import { freePort, waitFor } from '../integration/process-cluster.ts';

interface Member {
  readonly id: number;
  readonly config: NodeConfig;
  /** Every log line of the current incarnation, parsed. */
  readonly logs: Record<string, unknown>[];
  node: KraftNode | null;
}

const CLUSTER_ID = 'q1Sh-9_nRNKnlE8X2VVZXw';
const members = new Map<number, Member>();
let root = '';

async function createMembers(count: number): Promise<void> {
  root = await mkdtemp(join(tmpdir(), 'kraftling-stale-image-'));
  const ports = [];
  for (let i = 0; i < count; i++) ports.push({ client: await freePort(), internal: await freePort() });
  const voters = ports.map((port, i) => `${i + 1}@127.0.0.1:${port.internal}`).join(',');
  for (let id = 1; id <= count; id++) {
    const port = ports[id - 1]!;
    const properties = new Map<string, string>([
      ['node.id', String(id)],
      ['process.roles', 'broker,controller'],
      ['controller.quorum.voters', voters],
      ['listeners', `CLIENT://127.0.0.1:${port.client},INTERNAL://127.0.0.1:${port.internal}`],
      ['log.dirs', join(root, `node-${id}`)],
      ['cluster.id', CLUSTER_ID],
      ['controller.quorum.election.timeout.ms', '500'],
      ['broker.heartbeat.interval.ms', '200'],
      ['broker.session.timeout.ms', '1500'],
      ['default.replication.factor', String(Math.min(3, count))],
      ['min.insync.replicas', String(Math.min(2, count))],
      // The partition must stay where the failover put it while the test looks.
      ['auto.leader.rebalance.enable', 'false'],
    ]);
    const { config } = buildNodeConfig(properties);
    await prepareStorage(config, null);
    members.set(id, { id, config, logs: [], node: null });
  }
}

async function start(id: number): Promise<KraftNode> {
  const member = members.get(id)!;
  member.logs.length = 0;
  const logger = pino(
    { level: 'info', base: { node: id } },
    { write: (line: string) => void member.logs.push(JSON.parse(line) as Record<string, unknown>) },
  );
  member.node = await KraftNode.start({ config: member.config, clusterId: CLUSTER_ID, logger });
  return member.node;
}

async function stop(id: number): Promise<void> {
  const member = members.get(id)!;
  await member.node?.stop({ controlled: false });
  member.node = null;
}

function running(id: number): KraftNode {
  const node = members.get(id)?.node;
  if (node === null || node === undefined) throw new Error(`node ${id} is not running`);
  return node;
}

function partitionOf(image: MetadataImage | null) {
  if (image === null) return undefined;
  return topicByName(image, 'orders')?.partitions.get(partitionId(0));
}

afterEach(async () => {
  for (const id of members.keys()) await stop(id).catch(() => undefined);
  members.clear();
  if (root !== '') await rm(root, { recursive: true, force: true });
  root = '';
});

describe('a restarted node with a stale metadata image', () => {
  it('does not act on it before catching up with the quorum', { timeout: 120_000 }, async () => {
    await createMembers(3);
    for (const id of [1, 2, 3]) await start(id);
    await waitFor(
      'every broker unfenced',
      () => [1, 2, 3].every((id) => running(id).brokerState() === 'running'),
      30_000,
    );

    const client = running(1).addresses.client;
    const created = await request(`http://${client}/v3/clusters/${CLUSTER_ID}/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic_name: 'orders', partitions_count: 1, replication_factor: 3 }),
    });
    expect(created.statusCode).toBe(201);
    await created.body.dump();
    const before = await waitFor(
      'a leader of orders-0 on every node, hosted by its leader',
      () => {
        const partition = partitionOf(running(1).image());
        if (partition === undefined || partition.leader < 1) return undefined;
        const same = [2, 3].every(
          (id) => partitionOf(running(id).image())?.leaderEpoch === partition.leaderEpoch,
        );
        return same ? partition : undefined;
      },
      30_000,
    );
    const formerLeader = before.leader as number;
    const others = [1, 2, 3].filter((id) => id !== formerLeader);

    // The leader goes away; the controller fences it and elects one of the others in a new epoch.
    await stop(formerLeader);
    const failoverOffset = await waitFor(
      'a new leader of orders-0',
      () => {
        const image = running(others[0]!).image();
        const partition = partitionOf(image);
        return partition !== undefined &&
          partition.leaderEpoch > before.leaderEpoch &&
          partition.leader !== formerLeader
          ? image.offset
          : undefined;
      },
      30_000,
    );
    for (const id of others) await stop(id);

    // The former leader comes back alone: its own log says it still leads orders-0 in the old epoch.
    const restarted = await start(formerLeader);
    const stale = partitionOf(restarted.image());
    expect(stale?.leader).toBe(formerLeader);
    expect(stale?.leaderEpoch).toBe(before.leaderEpoch);
    // No quorum, so no high watermark: the data plane is given nothing, and the broker is not unfenced.
    await waitFor(
      'a failed attempt to learn the high watermark',
      () =>
        members
          .get(formerLeader)!
          .logs.some((line) => String(line.msg).startsWith('no metadata high watermark')),
      30_000,
    );
    expect(restarted.publishedImage()).toBeNull();
    expect(restarted.brokerState()).not.toBe('running');
    const metrics = await request(`http://${restarted.addresses.client}/metrics`);
    const text = await metrics.body.text();
    expect(text).toMatch(/kraftling_partitions\{role="leader"\} 0/);
    expect(text).toMatch(/kraftling_partitions\{role="follower"\} 0/);
    // Client requests for the data plane get a retriable error (50003: LEADER_NOT_AVAILABLE).
    const offsets = await request(`http://${restarted.addresses.client}/topics/orders/partitions/0/offsets`);
    const answer = (await offsets.body.json()) as { error_code: number; message: string };
    expect({ status: offsets.statusCode, ...answer }).toEqual({
      status: 500,
      error_code: 50003,
      message: 'This node has not caught up with the metadata quorum yet.',
    });

    // The quorum is back: the node catches up first, and its first published image is past the failover.
    for (const id of others) await start(id);
    const published = await waitFor(
      'the restarted node caught up',
      () => restarted.publishedImage() ?? undefined,
      60_000,
    );
    const announced = members
      .get(formerLeader)!
      .logs.find((line) => line.msg === 'metadata caught up with the quorum: publishing to the data plane');
    expect(announced?.offset).toBeGreaterThanOrEqual(failoverOffset);
    expect(partitionOf(published)?.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    await waitFor('the restarted broker unfenced', () => restarted.brokerState() === 'running', 30_000);
  });

  it('a single-node cluster catches up with its own read index, after each restart', {
    timeout: 60_000,
  }, async () => {
    await createMembers(1);
    for (let incarnation = 0; incarnation < 2; incarnation++) {
      const node = await start(1);
      await waitFor('published', () => node.publishedImage() !== null, 20_000);
      await waitFor('unfenced', () => node.brokerState() === 'running', 20_000);
      // Once open, every applied image is the published one.
      expect(node.publishedImage()).toBe(node.image());
      await stop(1);
    }
  });
});
