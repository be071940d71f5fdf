import { describe, expect, it } from 'vitest';
import {
  type Entry,
  EntryType,
  logIndex,
  type NodeId,
  nodeId,
  type PersistentState,
  type Snapshot,
  term,
} from '../../raft/types.ts';
import { encodeText } from '../sim/state-machine.ts';
import { DurabilityChecker } from './durability.ts';
import { ElectionSafetyChecker } from './election-safety.ts';
import { checkLeaderCompleteness, checkNoElectableVoterLacks } from './leader-completeness.ts';
import { LivenessChecker } from './liveness.ts';
import { LogMatchingChecker } from './log-matching.ts';
import { StateMachineSafetyChecker } from './state-machine-safety.ts';

// Each checker must fire on a hand-made violation (and stay quiet on the legal variant next to it):
// a checker that never fires proves nothing.

const [n1, n2, n3] = [nodeId(1), nodeId(2), nodeId(3)];

function entry(index: number, entryTerm: number, value = ''): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: EntryType.Normal, data: encodeText(value) };
}

/** A log of entries from index 1, with the given terms (values derived from index and term). */
function log(...terms: number[]): PersistentState {
  return {
    hardState: { term: term(Math.max(0, ...terms)), vote: nodeId(0), commit: logIndex(0) },
    snapshot: null,
    entries: terms.map((entryTerm, i) => entry(i + 1, entryTerm, `v${i + 1}t${entryTerm}`)),
  };
}

function chainOf(node: NodeId, state: PersistentState, upTo: number): StateMachineSafetyChecker {
  const chain = new StateMachineSafetyChecker();
  for (const each of state.entries) if (each.index <= upTo) chain.observeApply(node, each);
  return chain;
}

describe('checkers fire on hand-made violations', () => {
  it('election safety: two leaders in one term', () => {
    const checker = new ElectionSafetyChecker();
    expect(checker.observeLeader(term(3), n1)).toBe(true);
    expect(checker.observeLeader(term(3), n1)).toBe(false);
    checker.observeLeader(term(4), n2);
    expect(() => checker.observeLeader(term(3), n2)).toThrow(
      /election-safety: term 3 has two leaders: node 1 and node 2/,
    );
  });

  it('log matching: same index and term, different content or history', () => {
    const checker = new LogMatchingChecker();
    checker.observeEntries(n1, [entry(5, 2, 'a'), entry(6, 2, 'b')], term(1));
    checker.observeEntries(n2, [entry(6, 2, 'b')], term(2));
    expect(() => checker.observeEntries(n3, [entry(6, 2, 'c')], term(2))).toThrow(
      /log-matching: index 6 term 2/,
    );
    expect(() => checker.observeEntries(n3, [entry(5, 2, 'a')], term(0))).toThrow(
      /follows an entry of term 0/,
    );
  });

  it('state machine safety: two values at one index, one value at two indexes', () => {
    const checker = new StateMachineSafetyChecker();
    expect(checker.observeApply(n1, entry(4, 1, 'x'))).toBe(true);
    expect(checker.observeApply(n2, entry(4, 1, 'x'))).toBe(false);
    expect(() => checker.observeApply(n3, entry(4, 2, 'y'))).toThrow(
      /state-machine-safety: node 3 applied index 4 term 2 "y"/,
    );
    expect(() => checker.observeApply(n3, entry(5, 1, 'x'))).toThrow(
      /"x" at index 5, already committed at 4/,
    );
  });

  it('state machine safety: a restored snapshot that lacks a committed value', () => {
    const checker = new StateMachineSafetyChecker();
    checker.observeApply(n1, entry(1, 1, 'a'));
    checker.observeApply(n1, entry(2, 1, 'b'));
    const snapshot: Snapshot = {
      metadata: { index: logIndex(2), term: term(1), membership: { voters: [n1, n2, n3] } },
      data: new Uint8Array(0),
    };
    checker.observeRestore(n2, snapshot, {
      appliedIndex: 2,
      items: [
        [1, 1, 'a'],
        [2, 1, 'b'],
      ],
    });
    expect(() => checker.observeRestore(n3, snapshot, { appliedIndex: 2, items: [[1, 1, 'a']] })).toThrow(
      /lacks "b" committed at 2/,
    );
  });

  it('leader completeness: a new leader lacks a committed entry', () => {
    const committed = log(1, 1, 2);
    const chain = chainOf(n1, committed, 3);
    checkLeaderCompleteness(n2, term(3), log(1, 1, 2, 3), chain);
    expect(() => checkLeaderCompleteness(n3, term(3), log(1, 1), chain)).toThrow(
      /leader 3 of term 3 lacks committed index 3/,
    );
    expect(() => checkLeaderCompleteness(n3, term(3), log(1, 1, 3), chain)).toThrow(
      /holds term 3 at committed index 3/,
    );
  });

  it('leader completeness: Figure 8, a voter lacking a committed entry could win', () => {
    // Index 2 of term 2 was committed by counting (on nodes 1 and 2); node 3 holds term 3 there, which
    // makes its log more up to date than node 2's: with node 2's vote it can be elected.
    const chain = chainOf(n1, log(1, 2), 2);
    const voters = (third: PersistentState) => [
      { id: n1, log: log(1, 2, 4) },
      { id: n2, log: log(1, 2) },
      { id: n3, log: third },
    ];
    checkNoElectableVoterLacks(2, chain, voters(log(1)));
    expect(() => checkNoElectableVoterLacks(2, chain, voters(log(1, 3)))).toThrow(
      /node 3 lacks committed index 2 \(term 2\) yet its log \(last term 3 at 2\) is as up to date as those of \[2, 3\]/,
    );
  });

  it('durability: a committed entry durable on less than a quorum', () => {
    const full = log(1, 1, 1);
    const chain = chainOf(n1, full, 3);
    const durable = new Map<NodeId, PersistentState>([
      [n1, full],
      [n2, full],
      [n3, log(1)],
    ]);
    const checker = new DurabilityChecker(
      [n1, n2, n3].map((id) => ({ id, durable: () => durable.get(id)! })),
      chain,
    );
    checker.checkFrom(1);
    durable.set(n2, log(1, 1));
    expect(() => checker.checkFrom(1)).toThrow(
      /durability: committed index 3 \(term 1 "v3t1"\) is durable only on \[1\]/,
    );
  });

  it('durability: an acknowledged value missing after healing', () => {
    const values = new Map<number, string>([[3, 'v-1']]);
    const nodes = [{ id: n1, valueAt: (index: number) => values.get(index) ?? null }];
    DurabilityChecker.checkAcknowledged([{ value: 'v-1', index: 3, term: 1 }], nodes);
    expect(() => DurabilityChecker.checkAcknowledged([{ value: 'v-2', index: 4, term: 1 }], nodes)).toThrow(
      /acknowledged "v-2" at index 4 \(term 1\) reads as "<nothing>" on node 1/,
    );
  });

  it('liveness: no leader or no convergence within the bound', () => {
    const views = [
      { id: n1, role: 'follower' as const, term: 2, applied: 5 },
      { id: n2, role: 'leader' as const, term: 2, applied: 5 },
      { id: n3, role: 'follower' as const, term: 2, applied: 4 },
    ];
    expect(LivenessChecker.leaderOf(views)).toBe(n2);
    expect(LivenessChecker.converged(views, 4)).toBe(false);
    expect(LivenessChecker.converged(views.slice(0, 2), 5)).toBe(true);
    const checker = new LivenessChecker(1_000);
    checker.expire('leader', 1_500, 2_000, views);
    expect(() => checker.expire('leader', 2_000, 2_000, views)).toThrow(
      /liveness: no leader within 1 ms after healing/,
    );
  });
});
