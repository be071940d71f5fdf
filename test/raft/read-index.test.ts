// Raft thesis §6.4 ReadIndex (etcd-raft's ReadOnlySafe): a leader answers a read index only after a
// quorum has confirmed, by heartbeats sent after the request arrived, that it still leads. These tests
// drive the pure core through the synchronous TestCluster.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TestCluster } from './harness.ts';

const ELECTION_TICKS = 10;
/** The paper's algorithm without PreVote and CheckQuorum: nothing deposes a cut-off leader but a higher term. */
const PLAIN = { preVote: false, checkQuorum: false } as const;

/** The live nodes that believe they lead. */
function leaders(cluster: TestCluster): number[] {
  return cluster.voterIds.filter(
    (id) => !cluster.isDown(id) && cluster.node(id).raft.status().role === 'leader',
  );
}

/** The highest commit index any node has. */
function highestCommit(cluster: TestCluster): number {
  return Math.max(...[...cluster.nodes.values()].map((node) => node.raft.status().commit));
}

describe('Raft thesis §6.4 read index', () => {
  it('the leader answers its commit index after a heartbeat round, covering every committed entry', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.elect(1)).toBe(true);
    for (const value of ['a', 'b', 'c']) cluster.propose(1, value);
    const committed = highestCommit(cluster);
    const leader = cluster.node(1);
    const heartbeats: number[] = [];
    cluster.onReady = (id, ready) => {
      if (id === 1)
        heartbeats.push(
          ...ready.messages.filter((message) => message.type === 'heartbeat').map((message) => message.to),
        );
    };
    leader.raft.readIndex(7);
    // The round's heartbeats go out at once; nothing is answered before a quorum answers them.
    cluster.processReadies();
    expect(heartbeats.sort()).toEqual([2, 3]);
    expect(leader.readStates).toEqual([]);
    cluster.stabilize();
    expect(leader.readStates).toEqual([{ requestId: 7, ok: true, index: committed }]);
  });

  it('a partitioned old leader never answers a read index, even without CheckQuorum', () => {
    const cluster = new TestCluster({ voters: 3, raft: PLAIN });
    expect(cluster.elect(1)).toBe(true);
    cluster.propose(1, 'before');
    cluster.isolate(1);
    expect(cluster.elect(2)).toBe(true);
    cluster.propose(2, 'after');
    const committedAfter = cluster.node(2).raft.status().commit;
    const old = cluster.node(1);
    expect(old.raft.status().role).toBe('leader');
    expect(old.raft.status().commit).toBeLessThan(committedAfter);
    old.raft.readIndex(1);
    for (let i = 0; i < 5 * ELECTION_TICKS; i++) {
      cluster.tick(1);
      cluster.stabilize();
    }
    expect(old.raft.status().role).toBe('leader');
    expect(old.readStates).toEqual([]);
    // Back in touch, it learns the new term: the read fails rather than answering a stale index.
    cluster.heal();
    cluster.tickAll(2);
    expect(old.raft.status().role).toBe('follower');
    expect(old.readStates).toEqual([{ requestId: 1, ok: false, reason: 'leadershipLost', leader: 2 }]);
  });

  it('a leader cut off from its quorum fails its pending reads when CheckQuorum deposes it', () => {
    const cluster = new TestCluster({ voters: 5 });
    expect(cluster.elect(1)).toBe(true);
    cluster.isolate(1);
    cluster.node(1).raft.readIndex(3);
    for (let i = 0; i < 2 * ELECTION_TICKS && cluster.node(1).raft.status().role === 'leader'; i++) {
      cluster.tick(1);
      cluster.stabilize();
    }
    expect(cluster.node(1).raft.status().role).toBe('follower');
    expect(cluster.node(1).readStates).toEqual([
      { requestId: 3, ok: false, reason: 'leadershipLost', leader: 0 },
    ]);
  });

  it('answers to heartbeats sent before a request do not confirm it', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.elect(1)).toBe(true);
    const leader = cluster.node(1);
    cluster.delayWhen = (message) => message.type === 'heartbeatResponse';
    leader.raft.readIndex(1);
    cluster.stabilize(); // round 1 reaches the followers; their answers are held back
    expect(leader.readStates).toEqual([]);
    leader.raft.readIndex(2);
    cluster.delayWhen = null;
    // Round 2 never reaches anyone; the held answers to round 1 arrive now.
    cluster.dropWhen = (message) => message.type === 'heartbeat' && message.readRound >= 2;
    cluster.stabilize();
    expect(leader.readStates.map((state) => state.requestId)).toEqual([1]);
    // Once round 2 gets through, the second read is answered too.
    cluster.dropWhen = null;
    cluster.tickAll(1);
    expect(leader.readStates.map((state) => state.requestId)).toEqual([1, 2]);
  });

  it('a new leader holds reads until it has committed an entry of its own term', () => {
    const cluster = new TestCluster({ voters: 3, raft: PLAIN });
    expect(cluster.elect(1)).toBe(true);
    cluster.propose(1, 'a');
    cluster.crash(1);
    // Node 2 wins, but its no-op cannot commit while node 3 does not acknowledge appends.
    cluster.dropWhen = (message) => message.type === 'appendResponse' && message.to === 2 && !message.reject;
    expect(cluster.elect(2)).toBe(true);
    const leader = cluster.node(2);
    const status = leader.raft.status();
    expect(status.commit).toBeLessThan(status.lastIndex);
    leader.raft.readIndex(9);
    cluster.tickAll(3);
    expect(leader.readStates).toEqual([]);
    cluster.dropWhen = null;
    cluster.tickAll(2);
    expect(leader.readStates).toEqual([{ requestId: 9, ok: true, index: status.lastIndex }]);
  });

  it('a follower refuses at once with the leader it knows; a single voter answers at once', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.elect(1)).toBe(true);
    cluster.node(3).raft.readIndex(4);
    cluster.stabilize();
    expect(cluster.node(3).readStates).toEqual([{ requestId: 4, ok: false, reason: 'notLeader', leader: 1 }]);

    const single = new TestCluster({ voters: 1 });
    expect(single.elect(1)).toBe(true);
    single.propose(1, 'x');
    single.node(1).raft.readIndex(5);
    single.processReadies();
    expect(single.node(1).readStates).toEqual([
      { requestId: 5, ok: true, index: single.node(1).raft.status().commit },
    ]);
  });

  it('property: every read index answered is >= every index committed anywhere before the request', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('propose' as const), node: fc.integer({ min: 1, max: 5 }) }),
      // Node 0: every node that believes it leads (a stale leader among them).
      fc.record({ kind: fc.constant('read' as const), node: fc.integer({ min: 0, max: 5 }) }),
      fc.record({
        kind: fc.constant('tick' as const),
        node: fc.integer({ min: 1, max: 5 }),
        times: fc.integer({ min: 1, max: 25 }),
      }),
      fc.record({ kind: fc.constant('tickAll' as const), times: fc.integer({ min: 1, max: 25 }) }),
      // Node 0: whoever leads in the highest term.
      fc.record({ kind: fc.constant('isolate' as const), node: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant('heal' as const) }),
      fc.record({ kind: fc.constant('crash' as const), node: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant('deliver' as const), count: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.boolean(),
        fc.array(operation, { minLength: 20, maxLength: 80, size: 'max' }),
        (seed, plain, operations) => {
          const cluster = new TestCluster({ voters: 5, seed, ...(plain ? { raft: PLAIN } : {}) });
          /** requestId -> the highest commit anywhere when it was made. */
          const floors = new Map<number, number>();
          let nextRequest = 1;
          const check = () => {
            for (const node of cluster.nodes.values()) {
              for (const state of node.readStates) {
                if (!state.ok) continue;
                expect(state.index, `read ${state.requestId}`).toBeGreaterThanOrEqual(
                  floors.get(state.requestId)!,
                );
              }
            }
          };
          for (const op of operations) {
            switch (op.kind) {
              case 'propose': {
                const node = cluster.node(op.node);
                if (!cluster.isDown(op.node) && node.raft.status().role === 'leader') {
                  node.raft.propose(new TextEncoder().encode(`v${nextRequest++}`));
                }
                cluster.deliver(8);
                break;
              }
              case 'read': {
                const targets = op.node === 0 ? leaders(cluster) : [op.node];
                for (const target of targets) {
                  if (cluster.isDown(target)) continue;
                  floors.set(nextRequest, highestCommit(cluster));
                  cluster.node(target).raft.readIndex(nextRequest++);
                }
                cluster.deliver(2);
                break;
              }
              case 'tick':
                if (!cluster.isDown(op.node)) cluster.tick(op.node, op.times);
                cluster.deliver(12);
                break;
              case 'tickAll':
                for (let i = 0; i < op.times; i++) {
                  for (const id of cluster.voterIds) if (!cluster.isDown(id)) cluster.tick(id);
                  cluster.deliver(6);
                }
                break;
              case 'isolate':
                for (const target of op.node === 0 ? leaders(cluster) : [op.node]) cluster.isolate(target);
                break;
              case 'heal':
                cluster.heal();
                break;
              case 'crash':
                if (cluster.isDown(op.node)) cluster.restart(op.node);
                else cluster.crash(op.node);
                break;
              case 'deliver':
                cluster.deliver(op.count);
                break;
            }
            check();
          }
          cluster.stabilize();
          check();
        },
      ),
      { numRuns: 300, seed: 20261205 },
    );
  });
});
