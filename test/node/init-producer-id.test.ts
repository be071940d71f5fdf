// InitProducerId's producer ids on three real KraftNodes in this process: each broker gets its own
// block of 1000 from the active controller (AllocateProducerIds over the internal listener), ids never
// repeat across brokers, and a new active controller continues after the last committed block. Every
// wait is on a condition with a deadline.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildNodeConfig } from '../../src/node/config.ts';
import { prepareStorage } from '../../src/node/data-dir.ts';
import { KraftNode } from '../../src/node/node.ts';
import { freePort, waitFor } from '../integration/process-cluster.ts';

const CLUSTER_ID = 'pRd7-9_nRNKnlE8X2VVZXw';
const nodes = new Map<number, KraftNode>();
let root = '';

async function startCluster(count: number): Promise<void> {
  root = await mkdtemp(join(tmpdir(), 'kraftling-producer-ids-'));
  const ports = [];
  for (let i = 0; i < count; i++) ports.push({ client: await freePort(), internal: await freePort() });
  const voters = ports.map((port, i) => `${i + 1}@127.0.0.1:${port.internal}`).join(',');
  for (let id = 1; id <= count; id++) {
    const port = ports[id - 1]!;
    const { config } = buildNodeConfig(
      new Map([
        ['node.id', String(id)],
        ['process.roles', 'broker,controller'],
        ['controller.quorum.voters', voters],
        ['listeners', `CLIENT://127.0.0.1:${port.client},INTERNAL://127.0.0.1:${port.internal}`],
        ['log.dirs', join(root, `node-${id}`)],
        ['cluster.id', CLUSTER_ID],
        ['controller.quorum.election.timeout.ms', '500'],
        ['broker.heartbeat.interval.ms', '200'],
        ['broker.session.timeout.ms', '1500'],
      ]),
    );
    await prepareStorage(config, null);
    const logger = pino({ level: 'silent' });
    nodes.set(id, await KraftNode.start({ config, clusterId: CLUSTER_ID, logger }));
  }
}

afterEach(async () => {
  for (const node of nodes.values()) await node.stop({ controlled: false }).catch(() => undefined);
  nodes.clear();
  if (root !== '') await rm(root, { recursive: true, force: true });
  root = '';
});

describe('InitProducerId producer ids', () => {
  it('are unique across brokers and controller failovers', { timeout: 90_000 }, async () => {
    await startCluster(3);
    await waitFor(
      'every broker unfenced',
      () => [...nodes.values()].every((node) => node.brokerState() === 'running'),
      30_000,
    );
    const first = new Map<number, number[]>();
    for (const [id, node] of nodes) {
      const ids = [];
      for (let i = 0; i < 3; i++) {
        const identity = await node.initProducerId();
        expect(identity.producerEpoch).toBe(0);
        ids.push(identity.producerId);
      }
      first.set(id, ids);
    }
    // Each broker hands out consecutive ids of its own block; the blocks are distinct.
    const blockStarts = [...first.values()].map((ids) => ids[0]!);
    for (const ids of first.values()) expect(ids).toEqual([ids[0]!, ids[0]! + 1, ids[0]! + 2]);
    expect(blockStarts.every((start) => start % 1000 === 0)).toBe(true);
    expect(new Set(blockStarts).size).toBe(3);
    await waitFor('every image past the three blocks', () =>
      [...nodes.values()].every((node) => node.image().nextProducerId === 3000),
    );

    // The active controller goes away; once a survivor has used up its block, it gets the next one
    // from the new controller, after every block committed before.
    const leader = nodes.get(1)!.raftStatus().leader;
    await nodes.get(leader)!.stop({ controlled: false });
    nodes.delete(leader);
    const survivor = [...nodes.values()][0]!;
    const identity = await waitFor(
      'a producer id from the new controller',
      async () => {
        // The survivor's own block still has ids: take them all, then one from a new block.
        for (;;) {
          const next = await survivor.initProducerId();
          if (next.producerId >= 3000) return next;
        }
      },
      30_000,
    );
    expect(identity.producerId).toBe(3000);
  });
});
