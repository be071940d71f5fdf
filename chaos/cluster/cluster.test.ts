import { describe, expect, it } from 'vitest';
import { runClusterFastCheck } from './fast-check-run.ts';
import { nodeId } from '../../raft/types.ts';
import {
  brokerEpoch,
  brokerId,
  leaderEpoch,
  metadataOffset,
  partitionEpoch,
  partitionId,
  topicId,
} from '../../src/metadata/ids.ts';
import { emptyImage, type MetadataImage } from '../../src/metadata/image.ts';
import { Violation } from '../checkers/violation.ts';
import { MetadataChecker } from './metadata-checkers.ts';
import { type ClusterModes, runClusterOutcome } from './entry.ts';
import { CLUSTER_BUGS, type ClusterBug } from './planted-bugs.ts';
import { runClusterSeed } from './run.ts';

// The whole-cluster simulation through its entry point: seeds pass, a seed replays identically, each
// planted bug is caught; and the metadata checkers on hand-made images.

const replay = (seed: number) => `npm run chaos:sim -- --seed ${seed}`;

describe('whole-cluster simulation', () => {
  it('passes seeds 1..40 (all three topologies)', async () => {
    const topologies = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const stats = await runClusterSeed(seed).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\nreplay: ${replay(seed)}`);
      });
      topologies.add(stats.topology);
      expect(stats.committedIndex).toBeGreaterThan(0);
    }
    expect(topologies.size).toBe(3);
  }, 120_000);

  it('starts no fault after healing (seed 220: the rest of a failover-then-crash-rest came due after it)', async () => {
    const stats = await runClusterSeed(220);
    expect(stats.topology).toBe('combined-5');
  });

  // Seeds that found product bugs (chaos/README.md, "Findings"), kept as regression tests. Seeds 242 and
  // 793 draw data-plane compound faults (faults.ts scheduleDataFaults, added later): their schedules are
  // the recorded ones only until the first of them.
  it('seeds 446 and 793: a leader turned follower with appends still queued flushes them before fetching', async () => {
    for (const seed of [446, 793]) await runClusterSeed(seed);
  });

  it("seeds 117 and 242: a follower taking a new leader flushes the old fetcher's last append first", async () => {
    for (const seed of [117, 242]) await runClusterSeed(seed);
  });

  it('seed 3677: a log directory a killed process created survives a later power loss', async () => {
    await runClusterSeed(3677);
  });

  it('seed 370: a node cut off from the controller does not answer committed offsets from its deposed coordinator', async () => {
    await runClusterSeed(370);
  });

  it('seed 753 (--kafka-groups): a coordinator cut off from the metadata, unaware it lost and regained its partition, refuses a forwarded OffsetFetch', async () => {
    expect((await runClusterOutcome(753, null, { kafkaGroups: true })).ok).toBe(true);
  });

  it('passes seeds 1..20 with Kafka-protocol group consumers (--kafka-groups), which commit and fetch', async () => {
    let commits = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const stats = await runClusterSeed(seed, { kafkaGroups: true }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\nreplay: ${replay(seed)} --kafka-groups`);
      });
      commits += stats.kafkaGroups?.commitsAcknowledged ?? 0;
    }
    expect(commits).toBeGreaterThan(0);
  }, 120_000);

  it('replays a seed to the same trace', async () => {
    const first = await runClusterSeed(7);
    const second = await runClusterSeed(7);
    expect(second).toEqual(first);
    expect(first.admin.succeeded).toBeGreaterThan(0);
  });

  it('fast-check mode shrinks a failure to a minimal schedule that replays (ack-before-isr)', async () => {
    const found = await runClusterFastCheck({ seed: 42, numRuns: 100, bug: 'ack-before-isr', shrink: true });
    expect(found.failed).toBe(true);
    if (!found.failed) return;
    expect(found.checker).toBe('inconsistent-offsets');
    // Found with up to 16 faults; one is enough, and shrinking gets there.
    expect(found.schedule?.faults.length).toBe(1);
    const path = /--path (\S+)/.exec(found.replay)?.[1];
    const replayed = await runClusterFastCheck({
      seed: 42,
      numRuns: 1,
      bug: 'ack-before-isr',
      shrink: false,
      ...(path === undefined ? {} : { path }),
    });
    expect(replayed.failed && replayed.schedule).toEqual(found.schedule);
    // Deterministic: the limit only guards against a hang (about 30 s on an idle machine here).
  }, 300_000);

  /**
   * As `npm run chaos:sim -- --bug NAME --seeds 100`: some seed among the first hundred catches it.
   * Others need an exact interleaving that later changes moved past seed 100, so they are searched
   * where they were last found (by `--seeds N`, which stops at the first catch).
   */
  const searched: Partial<Record<ClusterBug, readonly [number, number]>> = {
    // Only under `isr-expansion-unanswered`; first caught at 101 since fencing on closed connections.
    'isr-unknown-outcome-as-failed': [101, 200],
    // Needs every replica to lose power while a follower's fsync is pending; since the leader sends a
    // caught-up follower the commit index at once, first caught at seed 277 (87 with the hot tail
    // alone, 185 before it, 25 before the log cleaner ran in the simulation).
    'follower-reports-unsynced': [271, 290],
    // Needs the Kafka group consumers (--kafka-groups); since the leader sends a caught-up follower
    // the commit index at once, first caught at seed 753 (searched from 1; 2609 with the hot tail
    // alone, 753 before it, 1311 before the log cleaner ran in the simulation, and 250 before fencing
    // on closed connections).
    'kafka-fetch-skips-barrier': [741, 760],
  };
  const modesOf: Partial<Record<ClusterBug, ClusterModes>> = {
    'kafka-fetch-skips-barrier': { kafkaGroups: true },
  };
  for (const bug of Object.keys(CLUSTER_BUGS) as ClusterBug[]) {
    const [first, last] = searched[bug] ?? [1, 100];
    const modes = modesOf[bug] ?? {};
    it(`catches the planted bug ${bug} within seeds ${first}..${last}`, async () => {
      let caught: number | null = null;
      for (let seed = first; seed <= last && caught === null; seed++) {
        if ((await runClusterOutcome(seed, bug, modes)).ok === false) caught = seed;
      }
      expect(caught, `${bug} escaped seeds ${first}..${last}`).not.toBeNull();
      expect((await runClusterOutcome(caught ?? 1, null, modes)).ok).toBe(true);
    }, 120_000);
  }
});

function image(changes: {
  offset: number;
  fenced?: boolean;
  isr?: number[];
  leader?: number;
  epoch?: number;
}): MetadataImage {
  const broker = (id: number, fenced: boolean) => ({
    id: brokerId(id),
    incarnationId: `incarnation-${id}`,
    epoch: brokerEpoch(1),
    endpoints: [],
    rack: null,
    fenced,
    inControlledShutdown: false,
    processRoles: ['broker'],
  });
  const id = topicId('11111111-1111-4111-8111-111111111111');
  const isr = (changes.isr ?? [1, 2]).map(brokerId);
  return {
    ...emptyImage(),
    offset: metadataOffset(changes.offset),
    brokers: new Map([
      [brokerId(1), broker(1, false)],
      [brokerId(2), broker(2, changes.fenced ?? false)],
    ]),
    topics: new Map([
      [
        id,
        {
          id,
          name: 'orders',
          partitions: new Map([
            [
              partitionId(0),
              {
                replicas: [brokerId(1), brokerId(2)],
                isr,
                leader: brokerId(changes.leader ?? 1),
                leaderEpoch: leaderEpoch(changes.epoch ?? 0),
                partitionEpoch: partitionEpoch(0),
              },
            ],
          ]),
        },
      ],
    ]),
    topicIdsByName: new Map([['orders', id]]),
  };
}

describe('MetadataChecker', () => {
  const checker = () => new MetadataChecker();
  const violation = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      return error instanceof Violation ? error.checker : `not a violation: ${error}`;
    }
    return null;
  };

  it('accepts equal images at one offset on two nodes', () => {
    const c = checker();
    c.observeImage(nodeId(1), image({ offset: 5 }));
    expect(violation(() => c.observeImage(nodeId(2), image({ offset: 5 })))).toBeNull();
  });

  it('finds two images that differ at one offset', () => {
    const c = checker();
    c.observeImage(nodeId(1), image({ offset: 5 }));
    expect(violation(() => c.observeImage(nodeId(2), image({ offset: 5, isr: [1] })))).toBe(
      'image-agreement',
    );
  });

  it('finds two leaders in one leader epoch', () => {
    const c = checker();
    c.observeImage(nodeId(1), image({ offset: 5 }));
    expect(violation(() => c.observeImage(nodeId(2), image({ offset: 6, leader: 2 })))).toBe(
      'one-leader-per-epoch',
    );
  });

  it('finds a leader epoch that goes back as offsets grow, and a fenced leader', () => {
    const c = checker();
    c.observeImage(nodeId(1), image({ offset: 5, epoch: 3 }));
    expect(violation(() => c.observeImage(nodeId(2), image({ offset: 4, epoch: 2 })))).toBeNull();
    expect(violation(() => c.observeImage(nodeId(2), image({ offset: 6, epoch: 2 })))).toBe(
      'epochs-monotonic',
    );
    expect(
      violation(() =>
        checker().observeImage(nodeId(1), image({ offset: 5, fenced: true, leader: 2, isr: [2] })),
      ),
    ).toBe('fenced-leader');
  });

  it('finds a fenced broker in an ISR of two, not as its last member', () => {
    expect(violation(() => checker().observeImage(nodeId(1), image({ offset: 5, fenced: true })))).toBe(
      'fenced-in-isr',
    );
    expect(
      violation(() => checker().observeImage(nodeId(1), image({ offset: 5, fenced: true, isr: [1] }))),
    ).toBeNull();
  });

  it("finds a node's components given an older image than before (also across restarts)", () => {
    const c = checker();
    c.observePublished(nodeId(1), image({ offset: 5 }));
    expect(violation(() => c.observePublished(nodeId(2), image({ offset: 3 })))).toBeNull();
    expect(violation(() => c.observePublished(nodeId(1), image({ offset: 5 })))).toBeNull();
    expect(violation(() => c.observePublished(nodeId(1), image({ offset: 4 })))).toBe(
      'published-image-monotonic',
    );
  });

  it('finds two entries at one committed index', () => {
    const c = checker();
    const entry = (term: number, data: number[]) =>
      ({ index: 3, term, type: 0, data: new Uint8Array(data) }) as never;
    c.observeApplied(nodeId(1), [entry(1, [1])]);
    expect(violation(() => c.observeApplied(nodeId(1), [entry(1, [1])]))).toBeNull();
    expect(violation(() => c.observeApplied(nodeId(2), [entry(2, [1])]))).toBe('metadata-chain');
  });
});
