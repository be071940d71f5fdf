// Model-based test of a whole TestCluster: random sequences of faults and client commands (a safety
// phase), then everything heals and the cluster must converge (a liveness phase), as in TigerBeetle's
// VOPR. fast-check prints the seed and the shrunk command sequence of any failure.
//
// Checked at every step: the applied sequences of all nodes are prefixes of one another (State Machine
// Safety), at most one leader per term (Election Safety), Log Matching on the durable logs, and every
// vote or acknowledgement is sent only once what it vouches for is durable. After healing: every value
// ever applied anywhere (a fortiori every proposal the leader acknowledged by applying it) is applied
// by all nodes, and a new proposal commits everywhere.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message, MessageType, NodeId, Random } from '../../raft/types.ts';
import { type MemoryDisk, seededRandom, TestCluster, type TestNode } from './harness.ts';

const RUNS = Number(process.env.RAFT_MODEL_RUNS ?? 200);
const ELECTION_TICKS = 10;
const LIVENESS_TICKS_MAX = 40 * ELECTION_TICKS;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const DROPPABLE: readonly MessageType[] = [
  'append',
  'appendResponse',
  'heartbeat',
  'heartbeatResponse',
  'vote',
  'voteResponse',
  'preVote',
  'preVoteResponse',
  'snapshot',
  'timeoutNow',
  'observe',
];

/** Reordering, duplication and late delivery (held until a later round) of random messages. */
type NetworkFault = 'reorder' | 'duplicate' | 'delay';

type Command =
  /** Proposes to a leader, then delivers all messages, or only `deliveries` of them. */
  | { readonly kind: 'propose'; readonly count: number; readonly deliveries: number | null }
  | { readonly kind: 'tick'; readonly times: number }
  /** Ticks every live node once, then delivers only `deliveries` messages: faults strike mid-exchange. */
  | { readonly kind: 'tickThenDeliver'; readonly deliveries: number }
  | { readonly kind: 'crash'; readonly node: number }
  | { readonly kind: 'restart'; readonly node: number }
  | { readonly kind: 'isolate'; readonly node: number }
  | { readonly kind: 'heal' }
  | { readonly kind: 'drop'; readonly type: MessageType; readonly forCommands: number }
  | { readonly kind: 'network'; readonly fault: NetworkFault; readonly forCommands: number }
  | { readonly kind: 'compact'; readonly node: number }
  | { readonly kind: 'transfer'; readonly node: number };

interface Scenario {
  readonly voters: number;
  readonly observers: number;
  readonly seed: number;
  readonly raft: {
    readonly preVote: boolean;
    readonly checkQuorum: boolean;
    readonly maxInflightAppends: number;
    readonly maxAppendBytes: number;
  };
  readonly commands: readonly Command[];
}

const nodeArbitrary = fc.integer({ min: 1, max: 6 });
const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('propose' as const),
      count: fc.integer({ min: 1, max: 3 }),
      deliveries: fc.option(fc.integer({ min: 0, max: 12 }), { freq: 2 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), times: fc.integer({ min: 1, max: 15 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('tickThenDeliver' as const),
      deliveries: fc.integer({ min: 0, max: 15 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('crash' as const), node: nodeArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart' as const), node: nodeArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('isolate' as const), node: nodeArbitrary }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('drop' as const),
      type: fc.constantFrom(...DROPPABLE),
      forCommands: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('network' as const),
      fault: fc.constantFrom<NetworkFault>('reorder', 'duplicate', 'delay'),
      forCommands: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), node: nodeArbitrary }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transfer' as const), node: nodeArbitrary }) },
);

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  voters: fc.constantFrom(1, 3, 3, 5),
  observers: fc.constantFrom(0, 0, 1),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  raft: fc.record({
    preVote: fc.boolean(),
    checkQuorum: fc.boolean(),
    maxInflightAppends: fc.constantFrom(1, 2, 16),
    // 1 byte: one entry per append; 1 MiB: everything at once.
    maxAppendBytes: fc.constantFrom(1, 100, 1024 * 1024),
  }),
  commands: fc.array(commandArbitrary, { minLength: 1, maxLength: 80, size: 'max' }),
});

/** The durable log of a node as a map from index to "term:data" (entries only, not the snapshot). */
function durableLog(disk: MemoryDisk): Map<number, { term: number; key: string }> {
  return new Map(
    disk.entries.map((e) => [
      e.index as number,
      { term: e.term as number, key: `${e.term}:${decoder.decode(e.data)}` },
    ]),
  );
}

function durableLastIndex(disk: MemoryDisk): number {
  return Math.max(disk.snapshot?.metadata.index ?? 0, disk.entries.at(-1)?.index ?? 0);
}

function sameSequence(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

class Run {
  readonly cluster: TestCluster;
  readonly ids: number[];
  private readonly leaderByTerm = new Map<number, NodeId>();
  /** Every value applied by some node at some time: committed, so it must never be lost. */
  readonly everApplied = new Set<string>();
  /** Values applied by a node while it was leader: the proposals acknowledged to clients. */
  readonly acknowledged = new Set<string>();
  private readonly dropsLeft = new Map<MessageType, number>();
  private readonly networkFaultsLeft = new Map<NetworkFault, number>();
  /** Decides which messages the network faults hit; seeded by the scenario. */
  private readonly random: Random;
  private proposals = 0;

  constructor(scenario: Scenario) {
    this.cluster = new TestCluster({
      voters: scenario.voters,
      observers: scenario.observers,
      seed: scenario.seed,
      raft: scenario.raft,
    });
    this.ids = [...this.cluster.nodes.keys()].map(Number);
    this.random = seededRandom(scenario.seed + 7);
    this.cluster.onReady = (id, ready, node) => {
      if (ready.softState?.role === 'leader') this.recordLeader(ready.softState.term, id);
      const leading = node.raft.status().role === 'leader';
      for (const e of ready.committedEntries) {
        if (e.data.length === 0) continue;
        const value = decoder.decode(e.data);
        this.everApplied.add(value);
        if (leading) this.acknowledged.add(value);
      }
      this.checkDurability(id, ready.messages, node.disk);
    };
  }

  private recordLeader(term: number, id: NodeId): void {
    const known = this.leaderByTerm.get(term);
    if (known !== undefined && known !== id)
      throw new Error(`two leaders in term ${term}: ${known} and ${id}`);
    this.leaderByTerm.set(term, id);
  }

  private checkDurability(id: NodeId, messages: readonly Message[], disk: MemoryDisk): void {
    for (const m of messages) {
      if (
        m.type === 'voteResponse' &&
        !m.reject &&
        (disk.hardState.term !== m.term || disk.hardState.vote !== m.to)
      ) {
        throw new Error(`S${id} granted its vote in term ${m.term} before persisting it`);
      }
      if (m.type === 'appendResponse' && !m.reject && m.index > durableLastIndex(disk)) {
        throw new Error(`S${id} acknowledged index ${m.index} with ${durableLastIndex(disk)} durable`);
      }
    }
  }

  private node(n: number): number {
    return this.ids[(n - 1) % this.ids.length]!;
  }

  apply(command: Command): void {
    const { cluster } = this;
    switch (command.kind) {
      case 'propose': {
        const leader = cluster.leader();
        if (leader === undefined) break;
        for (let i = 0; i < command.count; i++) {
          const result = leader.raft.propose(encoder.encode(`p${this.proposals++}`));
          if (!result.ok) break;
        }
        if (command.deliveries === null) cluster.stabilize();
        else cluster.deliver(command.deliveries);
        break;
      }
      case 'tick':
        cluster.tickAll(command.times);
        break;
      case 'tickThenDeliver':
        for (const id of this.ids) if (!cluster.isDown(id)) cluster.tick(id);
        cluster.deliver(command.deliveries);
        break;
      case 'crash':
        cluster.crash(this.node(command.node));
        break;
      case 'restart':
        cluster.restart(this.node(command.node));
        break;
      case 'isolate':
        cluster.isolate(this.node(command.node));
        break;
      case 'heal':
        cluster.heal();
        break;
      case 'drop':
        cluster.dropTypes.add(command.type);
        this.dropsLeft.set(command.type, command.forCommands);
        break;
      case 'network':
        this.setNetworkFault(command.fault, true);
        this.networkFaultsLeft.set(command.fault, command.forCommands);
        break;
      case 'compact': {
        const id = this.node(command.node);
        if (cluster.isDown(id)) break;
        const node = cluster.node(id);
        const { applied, firstIndex } = node.raft.status();
        if (applied < firstIndex) break;
        node.raft.compact(applied, encoder.encode(JSON.stringify(node.applied)));
        cluster.stabilize();
        break;
      }
      case 'transfer': {
        const leader = cluster.leader();
        if (leader === undefined) break;
        leader.raft.transferLeadership(this.node(command.node) as NodeId);
        cluster.stabilize();
        break;
      }
      default: {
        const never: never = command;
        throw new Error(`unknown command ${JSON.stringify(never)}`);
      }
    }
    if (command.kind !== 'drop' && command.kind !== 'network') this.expireFaults();
    this.checkSafety();
  }

  private setNetworkFault(fault: NetworkFault, on: boolean): void {
    const chance = (percent: number) => (): boolean => this.random.nextInt(100) < percent;
    switch (fault) {
      case 'reorder':
        this.cluster.nextDelivery = on ? (count) => this.random.nextInt(count) : null;
        return;
      case 'duplicate':
        this.cluster.duplicateWhen = on ? chance(20) : null;
        return;
      case 'delay':
        this.cluster.delayWhen = on ? chance(20) : null;
        return;
      default: {
        const never: never = fault;
        throw new Error(`unknown fault ${String(never)}`);
      }
    }
  }

  private expireFaults(): void {
    for (const [type, left] of this.dropsLeft) {
      if (left <= 1) {
        this.dropsLeft.delete(type);
        this.cluster.dropTypes.delete(type);
      } else {
        this.dropsLeft.set(type, left - 1);
      }
    }
    for (const [fault, left] of this.networkFaultsLeft) {
      if (left <= 1) {
        this.networkFaultsLeft.delete(fault);
        this.setNetworkFault(fault, false);
      } else {
        this.networkFaultsLeft.set(fault, left - 1);
      }
    }
  }

  checkSafety(): void {
    const nodes = [...this.cluster.nodes.entries()];
    // State Machine Safety: applied sequences are prefixes of the longest one.
    const longest = nodes.map(([, node]) => node.applied).reduce((a, b) => (b.length > a.length ? b : a), []);
    for (const [id, node] of nodes) {
      expect(node.applied, `S${id} applied is a prefix of the longest applied sequence`).toEqual(
        longest.slice(0, node.applied.length),
      );
    }
    // Election Safety, as seen by the nodes' status too (covers leaders between Readies).
    for (const [id, node] of nodes) {
      const status = node.raft.status();
      if (status.role === 'leader' && !this.cluster.isDown(id)) this.recordLeader(status.term, id);
    }
    // Log Matching on durable logs.
    const logs = nodes.map(([, node]) => durableLog(node.disk));
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) {
        const x = logs[a]!;
        const y = logs[b]!;
        let highestAgreement = 0;
        for (const [index, e] of x)
          if (y.get(index)?.term === e.term && index > highestAgreement) highestAgreement = index;
        for (let index = 1; index <= highestAgreement; index++) {
          const ex = x.get(index);
          const ey = y.get(index);
          if (ex !== undefined && ey !== undefined) {
            expect(ex.key, `S${nodes[a]![0]} and S${nodes[b]![0]} at index ${index}`).toBe(ey.key);
          }
        }
      }
    }
  }

  /** The random commands start from a cluster with a leader (elections happen again under faults). */
  electFirstLeader(): void {
    for (let tick = 0; tick < 3 * ELECTION_TICKS && this.cluster.leader() === undefined; tick++)
      this.cluster.tickAll(1);
    expect(this.cluster.leader(), 'a first leader is elected').toBeDefined();
  }

  /** Heals everything, then requires convergence and a working leader within a bound. */
  checkLiveness(): void {
    const { cluster } = this;
    cluster.heal();
    cluster.dropTypes.clear();
    this.dropsLeft.clear();
    for (const fault of this.networkFaultsLeft.keys()) this.setNetworkFault(fault, false);
    this.networkFaultsLeft.clear();
    for (const id of this.ids) if (cluster.isDown(id)) cluster.restart(id);
    cluster.stabilize();

    // A stale leader (cut off, not yet stepped down) may accept a proposal and lose it, as Raft allows:
    // the client retries, here every two election timeouts, with the newest leader.
    const isFinal = (value: string): boolean => value.startsWith('final');
    let attempts = 0;
    let lastAttemptTick = Number.NEGATIVE_INFINITY;
    const converged = (): boolean => {
      const reference = cluster.node(this.ids[0]!).applied;
      return (
        reference.some(isFinal) && this.ids.every((id) => sameSequence(cluster.node(id).applied, reference))
      );
    };
    for (let tick = 0; tick <= LIVENESS_TICKS_MAX && !converged(); tick++) {
      const leader = this.newestLeader();
      if (leader !== undefined && tick - lastAttemptTick >= 2 * ELECTION_TICKS) {
        if (leader.raft.propose(encoder.encode(`final${attempts}`)).ok) {
          attempts++;
          lastAttemptTick = tick;
          cluster.stabilize();
        }
      }
      cluster.tickAll(1);
      this.checkSafety();
    }
    const summary = this.ids
      .map((id) => {
        const status = cluster.node(id).raft.status();
        return `S${id} ${status.role} term ${status.term} commit ${status.commit} applied ${cluster.node(id).applied.length}`;
      })
      .join('; ');
    expect(attempts, `a leader accepted a proposal after healing (${summary})`).toBeGreaterThan(0);
    expect(converged(), `all nodes applied the same sequence, with a final proposal (${summary})`).toBe(true);
    // Nothing committed was lost: everything ever applied (and so every acknowledged proposal) is applied by all.
    for (const id of this.ids) {
      const applied = new Set(cluster.node(id).applied);
      const missing = [...this.everApplied].filter((value) => !applied.has(value));
      expect(missing, `S${id} misses committed values`).toEqual([]);
    }
    for (const value of this.acknowledged) expect(this.everApplied.has(value)).toBe(true);
    // Without duplicates.
    const reference = cluster.node(this.ids[0]!).applied;
    expect(new Set(reference).size).toBe(reference.length);
  }

  /** The live leader of the highest term, if any. */
  private newestLeader(): TestNode | undefined {
    let newest: TestNode | undefined;
    for (const id of this.ids) {
      const node = this.cluster.node(id);
      if (this.cluster.isDown(id) || node.raft.status().role !== 'leader') continue;
      if (newest === undefined || node.raft.status().term > newest.raft.status().term) newest = node;
    }
    return newest;
  }
}

describe('raft model: random faults, then healing', () => {
  it('keeps State Machine Safety, Election Safety and Log Matching, and converges after healing', () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const run = new Run(scenario);
        run.electFirstLeader();
        for (const command of scenario.commands) run.apply(command);
        run.checkLiveness();
      }),
      { numRuns: RUNS },
    );
  });
});
