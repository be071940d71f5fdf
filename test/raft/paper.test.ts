// One test (or a few) per rule of the Raft paper (Ongaro & Ousterhout, "In Search of an Understandable
// Consensus Algorithm", extended version) and of Ongaro's thesis for the extensions, in the spirit of
// etcd-raft's raft_paper_test.go. Each test's name starts with the section it checks.
//
// Rules about one node's reaction to one message drive a RaftNode directly; rules about a cluster use
// the synchronous TestCluster. The §5 cluster scenarios that need elections forced in a given order use
// PLAIN (no PreVote, no CheckQuorum): the algorithm of the paper, without the thesis's extensions whose
// leader lease would make the other nodes ignore a forced candidate.
import { describe, expect, it } from 'vitest';
import { RaftNode, type RaftOptions } from '../../raft/node.ts';
import {
  type AppendRequest,
  type AppendResponse,
  type Entry,
  EntryType,
  type HeartbeatRequest,
  type LogIndex,
  type Message,
  NONE,
  type NodeId,
  nodeId,
  type PersistentState,
  type Ready,
  type Term,
  type VoteRequest,
  type VoteResponse,
} from '../../raft/types.ts';
import { MemoryDisk, seededRandom, TestCluster } from './harness.ts';

const PLAIN = { preVote: false, checkQuorum: false } as const;
const ELECTION_TICKS = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------------
// Helpers to drive one node directly.

function entry(index: number, entryTerm: number, data = ''): Entry {
  return {
    index: index as LogIndex,
    term: entryTerm as Term,
    type: EntryType.Normal,
    data: encoder.encode(data),
  };
}

/** Entries 1..n with the given terms. */
function entriesWithTerms(terms: readonly number[]): Entry[] {
  return terms.map((entryTerm, i) => entry(i + 1, entryTerm, `e${i + 1}`));
}

interface DirectOptions {
  readonly voters?: readonly number[];
  readonly term?: number;
  readonly vote?: number;
  readonly commit?: number;
  readonly entries?: readonly Entry[];
  readonly seed?: number;
  readonly raft?: Partial<Omit<RaftOptions, 'id' | 'voters' | 'state' | 'random'>>;
}

function directNode(id: number, options: DirectOptions = {}): RaftNode {
  const state: PersistentState = {
    hardState: {
      term: (options.term ?? 0) as Term,
      vote: (options.vote ?? 0) as NodeId,
      commit: (options.commit ?? 0) as LogIndex,
    },
    snapshot: null,
    entries: options.entries ?? [],
  };
  return new RaftNode({
    id: nodeId(id),
    voters: (options.voters ?? [1, 2, 3]).map(nodeId),
    state,
    random: seededRandom(options.seed ?? id),
    ...options.raft,
  });
}

/** Takes the node's Ready and advances it, as a driver that persisted everything would. */
function takeReady(node: RaftNode): Ready {
  const ready = node.ready();
  node.advance(ready);
  return ready;
}

/** Takes Readies until there is none; returns every message of them. */
function drainMessages(node: RaftNode): Message[] {
  const messages: Message[] = [];
  while (node.hasReady()) messages.push(...takeReady(node).messages);
  return messages;
}

function voteRequest(
  from: number,
  to: number,
  requestTerm: number,
  lastLogIndex: number,
  lastLogTerm: number,
): VoteRequest {
  return {
    type: 'vote',
    from: nodeId(from),
    to: nodeId(to),
    term: requestTerm as Term,
    lastLogIndex: lastLogIndex as LogIndex,
    lastLogTerm: lastLogTerm as Term,
    transfer: false,
  };
}

function voteResponse(from: number, to: number, responseTerm: number, reject: boolean): VoteResponse {
  return { type: 'voteResponse', from: nodeId(from), to: nodeId(to), term: responseTerm as Term, reject };
}

function appendRequest(
  from: number,
  to: number,
  requestTerm: number,
  prev: { index: number; term: number },
  entries: readonly Entry[],
  commit: number,
): AppendRequest {
  return {
    type: 'append',
    from: nodeId(from),
    to: nodeId(to),
    term: requestTerm as Term,
    prevIndex: prev.index as LogIndex,
    prevTerm: prev.term as Term,
    entries,
    commit: commit as LogIndex,
  };
}

function heartbeat(from: number, to: number, requestTerm: number, commit: number): HeartbeatRequest {
  return {
    type: 'heartbeat',
    from: nodeId(from),
    to: nodeId(to),
    term: requestTerm as Term,
    commit: commit as LogIndex,
    readRound: 0,
  };
}

type MessageOf<T extends Message['type']> = Message & { readonly type: T };

function onlyMessage<T extends Message['type']>(messages: readonly Message[], type: T): MessageOf<T> {
  const found = messages.filter((message): message is MessageOf<T> => message.type === type);
  expect(found, `exactly one ${type} in ${JSON.stringify(messages)}`).toHaveLength(1);
  return found[0]!;
}

/** Ticks a node until its role leaves `role`; returns the number of ticks. */
function ticksUntilRoleChanges(node: RaftNode, ticksMax = 1000): number {
  const role = node.status().role;
  for (let ticks = 1; ticks <= ticksMax; ticks++) {
    node.tick();
    if (node.status().role !== role) return ticks;
  }
  throw new Error(`role stayed ${role} for ${ticksMax} ticks`);
}

/** A leader of `term` (at least 1) over voters 1..n, built by a won election without PreVote. */
function directLeader(voters: readonly number[], options: DirectOptions = {}): RaftNode {
  const node = directNode(voters[0]!, { ...options, voters, raft: { ...PLAIN, ...options.raft } });
  ticksUntilRoleChanges(node);
  const campaignTerm = node.status().term;
  drainMessages(node);
  for (const voter of voters.slice(1)) {
    if (node.status().role === 'leader') break;
    node.step(voteResponse(voter, voters[0]!, campaignTerm, false));
  }
  expect(node.status().role).toBe('leader');
  drainMessages(node);
  return node;
}

// ---------------------------------------------------------------------------------------------------
// Helpers for clusters.

function durableTerm(cluster: TestCluster, id: number, index: number): number | null {
  return cluster.node(id).disk.entries.find((e) => e.index === index)?.term ?? null;
}

function durableLastIndex(disk: MemoryDisk): number {
  return Math.max(disk.snapshot?.metadata.index ?? 0, disk.entries.at(-1)?.index ?? 0);
}

/** Raft §5.3 Log Matching: logs that agree on (index, term) agree on every entry up to it. */
function expectLogMatching(cluster: TestCluster): void {
  const logs = [...cluster.nodes.values()].map(
    (node) => new Map(node.disk.entries.map((e) => [e.index as number, e])),
  );
  for (const a of logs) {
    for (const b of logs) {
      for (const [index, entryA] of a) {
        const entryB = b.get(index);
        if (entryB === undefined || entryB.term !== entryA.term) continue;
        for (let j = 1; j <= index; j++) {
          const x = a.get(j);
          const y = b.get(j);
          if (x === undefined || y === undefined) continue; // compacted away in one of them
          expect({ index: j, term: x.term, data: decoder.decode(x.data) }).toEqual({
            index: j,
            term: y.term,
            data: decoder.decode(y.data),
          });
        }
      }
    }
  }
}

function expectAllApplied(cluster: TestCluster, ids: readonly number[], values: readonly string[]): void {
  for (const id of ids) expect(cluster.node(id).applied, `node ${id} applied`).toEqual(values);
}

/** Ticks every live node until `done` holds; fails after `ticksMax` rounds. Returns the rounds used. */
function tickUntil(cluster: TestCluster, done: () => boolean, ticksMax = 200): number {
  for (let ticks = 0; ticks <= ticksMax; ticks++) {
    if (done()) return ticks;
    cluster.tickAll(1);
  }
  throw new Error(`condition not reached within ${ticksMax} ticks`);
}

function leaderAmong(cluster: TestCluster, ids: readonly number[]): number | null {
  return ids.find((id) => !cluster.isDown(id) && cluster.node(id).raft.status().role === 'leader') ?? null;
}

// ---------------------------------------------------------------------------------------------------

describe('Raft paper §5.1 terms', () => {
  it('§5.1 a node that sees a higher term becomes follower of that term', () => {
    // Follower: a heartbeat of a higher term.
    const follower = directNode(2, { term: 1 });
    follower.step(heartbeat(1, 2, 3, 0));
    expect(follower.status()).toMatchObject({ role: 'follower', term: 3, leader: 1, vote: NONE });

    // Candidate: a vote rejection of a higher term.
    const candidate = directNode(1, { term: 1, raft: PLAIN });
    ticksUntilRoleChanges(candidate);
    expect(candidate.status()).toMatchObject({ role: 'candidate', term: 2 });
    drainMessages(candidate);
    candidate.step(voteResponse(2, 1, 5, true));
    expect(candidate.status()).toMatchObject({ role: 'follower', term: 5, vote: NONE });

    // Leader: an append response of a higher term.
    const leader = directLeader([1, 2, 3]);
    const leaderTerm = leader.status().term;
    const response: AppendResponse = {
      type: 'appendResponse',
      from: nodeId(3),
      to: nodeId(1),
      term: (leaderTerm + 2) as Term,
      reject: true,
      index: 0 as LogIndex,
      rejectHint: 0 as LogIndex,
      rejectHintTerm: 0 as Term,
    };
    leader.step(response);
    expect(leader.status()).toMatchObject({ role: 'follower', term: leaderTerm + 2, vote: NONE });
    // The new term is persisted before anything else happens.
    expect(takeReady(leader).hardState).toMatchObject({ term: leaderTerm + 2, vote: NONE });
  });

  it('§5.1 a request with a stale term is rejected', () => {
    const follower = directNode(2, { term: 3, entries: entriesWithTerms([1, 2]), commit: 1 });
    follower.step(appendRequest(1, 2, 2, { index: 2, term: 2 }, [entry(3, 2)], 2));
    const reply = onlyMessage(drainMessages(follower), 'appendResponse');
    expect(reply).toMatchObject({ reject: true, term: 3 });
    expect(follower.status()).toMatchObject({ term: 3, lastIndex: 2, commit: 1 });

    follower.step(voteRequest(3, 2, 2, 10, 2));
    expect(drainMessages(follower).filter((m) => m.type === 'voteResponse' && !m.reject)).toEqual([]);
    expect(follower.status()).toMatchObject({ term: 3, vote: NONE });
  });
});

describe('Raft paper §5.2 leader election', () => {
  it('§5.2 follower starts an election after its election timeout', () => {
    const follower = directNode(1, { term: 4, entries: entriesWithTerms([1, 4]), commit: 1, raft: PLAIN });
    // Nothing happens before the timeout.
    let ticks = 0;
    while (follower.status().role === 'follower') {
      follower.tick();
      ticks++;
      if (follower.status().role === 'follower') expect(drainMessages(follower)).toEqual([]);
    }
    expect(ticks).toBeGreaterThanOrEqual(ELECTION_TICKS);
    expect(ticks).toBeLessThan(2 * ELECTION_TICKS);
    // It increments its term, votes for itself and asks every other voter, with its last entry.
    expect(follower.status()).toMatchObject({ role: 'candidate', term: 5, vote: 1 });
    const ready = takeReady(follower);
    expect(ready.hardState).toMatchObject({ term: 5, vote: 1 });
    const requests = ready.messages.filter((m) => m.type === 'vote');
    expect(requests.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const request of requests)
      expect(request).toMatchObject({ term: 5, lastLogIndex: 2, lastLogTerm: 4 });
  });

  it('§5.2 a follower that keeps hearing from its leader never starts an election', () => {
    const follower = directNode(2, { term: 1, raft: PLAIN });
    for (let i = 0; i < 20 * ELECTION_TICKS; i++) {
      follower.tick();
      if (i % (ELECTION_TICKS - 1) === 0) follower.step(heartbeat(1, 2, 1, 0));
      drainMessages(follower);
      expect(follower.status()).toMatchObject({ role: 'follower', term: 1, leader: 1 });
    }
  });

  it('§5.2 candidate wins with a majority', () => {
    const candidate = directNode(1, { voters: [1, 2, 3, 4, 5], term: 1, raft: PLAIN });
    ticksUntilRoleChanges(candidate);
    drainMessages(candidate);
    expect(candidate.status()).toMatchObject({ role: 'candidate', term: 2 });
    candidate.step(voteResponse(2, 1, 2, false));
    candidate.step(voteResponse(4, 1, 2, true));
    // Two votes of five (its own and 2's): not yet.
    expect(candidate.status().role).toBe('candidate');
    candidate.step(voteResponse(2, 1, 2, false)); // a duplicate counts once
    expect(candidate.status().role).toBe('candidate');
    candidate.step(voteResponse(3, 1, 2, false));
    expect(candidate.status()).toMatchObject({ role: 'leader', term: 2, leader: 1 });
    // It then asserts its leadership to every other server (§5.2), with its no-op (§8).
    const ready = takeReady(candidate);
    expect(ready.softState).toMatchObject({ role: 'leader', term: 2 });
    const appends = ready.messages.filter((m) => m.type === 'append');
    expect(appends.map((m) => m.to).sort()).toEqual([2, 3, 4, 5]);
  });

  it('§5.2 candidate returns to follower when a majority rejects it, and retries in a new term on timeout', () => {
    const candidate = directNode(1, { voters: [1, 2, 3, 4, 5], term: 1, raft: PLAIN });
    ticksUntilRoleChanges(candidate);
    drainMessages(candidate);
    candidate.step(voteResponse(2, 1, 2, true));
    candidate.step(voteResponse(3, 1, 2, true));
    expect(candidate.status().role).toBe('candidate');
    candidate.step(voteResponse(4, 1, 2, true));
    expect(candidate.status()).toMatchObject({ role: 'follower', term: 2 });

    // A split vote: no answer at all. After a new timeout the candidate starts a new election.
    const split = directNode(1, { voters: [1, 2, 3], term: 1, raft: PLAIN });
    ticksUntilRoleChanges(split);
    expect(split.status()).toMatchObject({ role: 'candidate', term: 2 });
    let ticks = 0;
    while (split.status().term === 2) {
      split.tick();
      ticks++;
    }
    expect(split.status()).toMatchObject({ role: 'candidate', term: 3, vote: 1 });
    expect(ticks).toBeGreaterThanOrEqual(ELECTION_TICKS);
    expect(ticks).toBeLessThan(2 * ELECTION_TICKS);
  });

  it('§5.2 candidate steps down on an append from a leader of its term', () => {
    const candidate = directNode(2, { term: 1, raft: PLAIN });
    ticksUntilRoleChanges(candidate);
    drainMessages(candidate);
    expect(candidate.status()).toMatchObject({ role: 'candidate', term: 2 });
    // An append of an older term does not count (§5.1): the candidate stays.
    candidate.step(appendRequest(3, 2, 1, { index: 0, term: 0 }, [], 0));
    expect(candidate.status()).toMatchObject({ role: 'candidate', term: 2 });
    drainMessages(candidate);
    // An append of its own term means that a leader was elected: it steps down and accepts it.
    candidate.step(appendRequest(3, 2, 2, { index: 0, term: 0 }, [entry(1, 2)], 0));
    expect(candidate.status()).toMatchObject({ role: 'follower', term: 2, leader: 3, lastIndex: 1 });
    expect(onlyMessage(drainMessages(candidate), 'appendResponse')).toMatchObject({
      reject: false,
      index: 1,
      term: 2,
    });
  });

  it('§5.2 each node votes at most once per term (the vote survives a restart)', () => {
    const disk = new MemoryDisk();
    const persist = (node: RaftNode): Message[] => {
      const messages: Message[] = [];
      while (node.hasReady()) {
        const ready = node.ready();
        disk.append(ready.entries);
        if (ready.hardState !== null) disk.hardState = ready.hardState;
        messages.push(...ready.messages);
        node.advance(ready);
      }
      return messages;
    };
    const start = (): RaftNode =>
      new RaftNode({
        id: nodeId(1),
        voters: [1, 2, 3].map(nodeId),
        state: disk.state(),
        random: seededRandom(7),
      });
    const granted = (messages: readonly Message[]): boolean =>
      onlyMessage(messages, 'voteResponse').reject === false;

    let voter = start();
    voter.step(voteRequest(2, 1, 1, 0, 0));
    expect(granted(persist(voter))).toBe(true);
    expect(disk.hardState).toMatchObject({ term: 1, vote: 2 });
    voter.step(voteRequest(3, 1, 1, 0, 0));
    expect(granted(persist(voter))).toBe(false);

    // A restart forgets nothing: the vote is in the persisted hard state.
    voter = start();
    expect(voter.status()).toMatchObject({ term: 1, vote: 2 });
    voter.step(voteRequest(3, 1, 1, 0, 0));
    expect(granted(persist(voter))).toBe(false);
    // The same candidate asking again (its first answer may have been lost) gets the same answer.
    voter.step(voteRequest(2, 1, 1, 0, 0));
    expect(granted(persist(voter))).toBe(true);
    // A new term is a new vote.
    voter.step(voteRequest(3, 1, 2, 0, 0));
    expect(granted(persist(voter))).toBe(true);
    expect(disk.hardState).toMatchObject({ term: 2, vote: 3 });
  });

  it('§5.2 randomized election timeouts: within [e, 2e), different between nodes and between terms', () => {
    // First timeout of 20 nodes (harness seeds differ per node id).
    const firstTimeouts: number[] = [];
    for (let id = 1; id <= 20; id++) {
      const node = directNode(id, { voters: [id, 100, 101], seed: 1000 + id, raft: PLAIN });
      firstTimeouts.push(ticksUntilRoleChanges(node));
    }
    for (const timeout of firstTimeouts) {
      expect(timeout).toBeGreaterThanOrEqual(ELECTION_TICKS);
      expect(timeout).toBeLessThan(2 * ELECTION_TICKS);
    }
    expect(new Set(firstTimeouts).size, `timeouts ${firstTimeouts}`).toBeGreaterThan(3);

    // Successive elections of one candidate that never wins: a new random timeout each term.
    const candidate = directNode(1, { seed: 42, raft: PLAIN });
    ticksUntilRoleChanges(candidate);
    const perTerm: number[] = [];
    for (let round = 0; round < 20; round++) {
      const termBefore = candidate.status().term;
      let ticks = 0;
      while (candidate.status().term === termBefore) {
        candidate.tick();
        ticks++;
      }
      drainMessages(candidate);
      perTerm.push(ticks);
    }
    for (const timeout of perTerm) {
      expect(timeout).toBeGreaterThanOrEqual(ELECTION_TICKS);
      expect(timeout).toBeLessThan(2 * ELECTION_TICKS);
    }
    expect(new Set(perTerm).size, `timeouts ${perTerm}`).toBeGreaterThan(3);
  });
});

describe('Raft paper §5.3 log replication', () => {
  it('§5.3 leader appends and replicates; commit after a majority', () => {
    const cluster = new TestCluster({ voters: 5 });
    expect(cluster.elect(1)).toBe(true);
    const leaderTerm = cluster.node(1).raft.status().term;
    for (const id of [3, 4, 5]) cluster.crash(id);
    cluster.propose(1, 'a');
    // On the leader's log and on node 2: two of five, not committed, applied nowhere.
    expect(durableTerm(cluster, 1, 2)).toBe(leaderTerm);
    expect(durableTerm(cluster, 2, 2)).toBe(leaderTerm);
    expect(cluster.node(1).raft.status().commit).toBe(1);
    expectAllApplied(cluster, [1, 2], []);

    // A third server stores it: a majority, the leader commits and applies, then the followers.
    cluster.restart(3);
    cluster.tickAll(2);
    expect(cluster.node(1).raft.status().commit).toBe(2);
    expectAllApplied(cluster, [1, 2, 3], ['a']);
    expect(
      cluster
        .node(1)
        .raft.status()
        .peers.find((p) => p.id === 4)?.match,
    ).toBe(1);
  });

  it('§5.3 follower rejects an append whose previous entry does not match', () => {
    const cases = [
      { name: 'term differs at prevIndex', prev: { index: 2, term: 3 } },
      { name: 'prevIndex beyond the log', prev: { index: 3, term: 2 } },
    ];
    for (const { name, prev } of cases) {
      const follower = directNode(2, { term: 3, entries: entriesWithTerms([1, 2]), commit: 1 });
      follower.step(appendRequest(1, 2, 3, prev, [entry(prev.index + 1, 3, 'new')], 3));
      const reply = onlyMessage(drainMessages(follower), 'appendResponse');
      expect(reply, name).toMatchObject({ reject: true, index: prev.index, term: 3 });
      expect(follower.status(), name).toMatchObject({ lastIndex: 2, commit: 1 });
    }
    // With a match it accepts.
    const follower = directNode(2, { term: 3, entries: entriesWithTerms([1, 2]), commit: 1 });
    follower.step(appendRequest(1, 2, 3, { index: 2, term: 2 }, [entry(3, 3, 'new')], 3));
    expect(onlyMessage(drainMessages(follower), 'appendResponse')).toMatchObject({ reject: false, index: 3 });
    expect(follower.status()).toMatchObject({ lastIndex: 3, commit: 3 });
  });

  it('§5.3 conflicting entries are truncated and replaced; matching entries are kept', () => {
    // Conflict at index 2: entries 2 and 3 go, the leader's entry replaces them.
    const follower = directNode(2, { term: 2, entries: entriesWithTerms([1, 1, 1]), commit: 1 });
    follower.step(appendRequest(1, 2, 2, { index: 1, term: 1 }, [entry(2, 2, 'x')], 1));
    const ready = takeReady(follower);
    expect(ready.entries).toEqual([entry(2, 2, 'x')]); // storage drops every index >= 2 (Ready contract)
    expect(onlyMessage(ready.messages, 'appendResponse')).toMatchObject({ reject: false, index: 2 });
    expect(follower.status().lastIndex).toBe(2);

    // No conflict (an old, duplicated append): the entries after it are not truncated.
    const other = directNode(2, { term: 2, entries: entriesWithTerms([1, 1, 2]), commit: 1 });
    other.step(appendRequest(1, 2, 2, { index: 1, term: 1 }, [entry(2, 1, 'e2')], 1));
    const otherReady = takeReady(other);
    expect(otherReady.entries).toEqual([]);
    expect(other.status().lastIndex).toBe(3);
  });

  it('§5.3 a follower commits min(leaderCommit, index of the last new entry)', () => {
    const follower = directNode(2, { term: 2, entries: entriesWithTerms([1, 1, 1, 1]), commit: 1 });
    // The leader committed 5 but this append only verifies up to 2: entries 3 and 4 may still diverge.
    follower.step(appendRequest(1, 2, 2, { index: 1, term: 1 }, [entry(2, 1, 'e2')], 5));
    expect(follower.status().commit).toBe(2);
    drainMessages(follower);
    follower.step(
      appendRequest(
        1,
        2,
        2,
        { index: 2, term: 1 },
        [entry(3, 2, 'c'), entry(4, 2, 'd'), entry(5, 2, 'e')],
        4,
      ),
    );
    expect(follower.status()).toMatchObject({ commit: 4, lastIndex: 5 });
  });

  it('§5.3 log matching: logs that agree on an entry agree on all entries before it', () => {
    const cluster = new TestCluster({ voters: 5, seed: 3 });
    expect(cluster.elect(1)).toBe(true);
    let value = 0;
    const all = [1, 2, 3, 4, 5];
    for (let round = 0; round < 6; round++) {
      const leader = leaderAmong(cluster, all);
      expect(leader).not.toBeNull();
      for (let i = 0; i < 3; i++) cluster.propose(leader!, `v${value++}`);
      // The leader is cut off and takes proposals that will never commit: divergent logs.
      cluster.isolate(leader!);
      for (let i = 0; i < 3; i++) cluster.propose(leader!, `lost${value++}`);
      tickUntil(
        cluster,
        () =>
          leaderAmong(
            cluster,
            all.filter((id) => id !== leader),
          ) !== null,
      );
      expectLogMatching(cluster);
      cluster.heal();
      cluster.tickAll(5);
      expect(cluster.node(leader!).raft.status().role).not.toBe('leader');
      expectLogMatching(cluster);
    }
    cluster.tickAll(5);
    expectLogMatching(cluster);
    for (const node of cluster.nodes.values())
      expect(node.applied.some((v) => v.startsWith('lost'))).toBe(false);
  });
});

describe('Raft paper §5.4 safety', () => {
  it('§5.4.1 vote denied to a candidate with a less up-to-date log (last term, then last index)', () => {
    // The voter's log ends with (index 3, term 2).
    const voterLog = entriesWithTerms([1, 2, 2]);
    const cases = [
      { name: 'lower last term, longer log', lastLogIndex: 9, lastLogTerm: 1, granted: false },
      { name: 'same last term, shorter log', lastLogIndex: 2, lastLogTerm: 2, granted: false },
      { name: 'same last term, same length', lastLogIndex: 3, lastLogTerm: 2, granted: true },
      { name: 'higher last term, shorter log', lastLogIndex: 1, lastLogTerm: 3, granted: true },
    ];
    for (const { name, lastLogIndex, lastLogTerm, granted } of cases) {
      const voter = directNode(1, { term: 2, entries: voterLog, commit: 1 });
      voter.step(voteRequest(2, 1, 3, lastLogIndex, lastLogTerm));
      const ready = takeReady(voter);
      expect(onlyMessage(ready.messages, 'voteResponse').reject, name).toBe(!granted);
      expect(voter.status().vote, name).toBe(granted ? 2 : NONE);
      // Either way the candidate's higher term was adopted.
      expect(voter.status().term, name).toBe(3);
    }
  });

  it('§5.4.1 a server missing committed entries cannot be elected', () => {
    const cluster = new TestCluster({ voters: 3, raft: PLAIN });
    expect(cluster.elect(1)).toBe(true);
    cluster.crash(3);
    for (const v of ['a', 'b', 'c']) cluster.propose(1, v);
    cluster.crash(1);
    cluster.restart(3);
    expect(cluster.elect(3, 200)).toBe(false);
    expect(cluster.elect(2)).toBe(true);
    cluster.tickAll(3);
    expectAllApplied(cluster, [2, 3], ['a', 'b', 'c']);
  });

  /**
   * Figure 8, adapted to a leader that appends a no-op when elected:
   * (a) S1 leads term t1 and appends x at index 2, on itself only;
   * (b) S5 is elected in t2 by S3, S4, S5 and appends its no-op and y (indexes 2, 3) on itself only;
   * (c) S1 is elected in t3 by S1, S2, S3 and replicates x to S2, S3: a majority, but its no-op (index 3)
   *     reaches no one. Counting replicas would commit x;
   * (d) S1 crashes, S5 is elected by S2, S3, S4 (its last term t2 beats their t1) and overwrites x.
   */
  function figure8UpTo(c: 'with the no-op withheld' | 'with the no-op replicated'): {
    cluster: TestCluster;
    appliedEver: Set<string>;
    terms: number[];
  } {
    const cluster = new TestCluster({ voters: 5, raft: { ...PLAIN, maxAppendBytes: 1 } });
    const appliedEver = new Set<string>();
    cluster.onReady = (_id, ready) => {
      for (const e of ready.committedEntries) if (e.data.length > 0) appliedEver.add(decoder.decode(e.data));
    };
    // (a)
    expect(cluster.elect(1)).toBe(true);
    const t1 = cluster.node(1).raft.status().term;
    for (const id of [2, 3, 4, 5]) cluster.crash(id);
    cluster.propose(1, 'x');
    expect(cluster.node(1).raft.status()).toMatchObject({ lastIndex: 2, commit: 1 });
    // (b)
    cluster.crash(1);
    for (const id of [3, 4, 5]) cluster.restart(id);
    cluster.dropTypes.add('append');
    expect(cluster.elect(5)).toBe(true);
    const t2 = cluster.node(5).raft.status().term;
    cluster.propose(5, 'y');
    cluster.crash(5);
    cluster.dropTypes.delete('append');
    expect(cluster.node(5).disk.entries.map((e) => e.term)).toEqual([t1, t2, t2]);
    // (c)
    cluster.restart(1);
    cluster.restart(2);
    cluster.crash(4);
    if (c === 'with the no-op withheld') {
      // Withhold every append that would deliver index 3 (the new no-op) to a follower able to take it.
      cluster.dropWhen = (m) =>
        m.type === 'append' &&
        m.entries.some((e) => e.index === 3) &&
        cluster.node(m.to).raft.status().lastIndex >= 2;
    }
    expect(cluster.elect(1)).toBe(true);
    const t3 = cluster.node(1).raft.status().term;
    expect(t3).toBeGreaterThan(t2);
    return { cluster, appliedEver, terms: [t1, t2, t3] };
  }

  it('§5.4.2 a leader does not commit an entry of an earlier term by counting replicas (Figure 8)', () => {
    const { cluster, appliedEver, terms } = figure8UpTo('with the no-op withheld');
    const [t1, t2] = terms as [number, number, number];
    // x (term t1, index 2) is stored on S1, S2, S3: a majority of five, and the leader knows it.
    for (const id of [1, 2, 3]) expect(durableTerm(cluster, id, 2), `S${id} index 2`).toBe(t1);
    const peers = cluster.node(1).raft.status().peers;
    expect(
      peers
        .filter((p) => p.match >= 2)
        .map((p) => p.id)
        .sort(),
    ).toEqual([2, 3]);
    // Yet it is not committed: its term is not the leader's.
    expect(cluster.node(1).raft.status().commit).toBe(1);
    expect(appliedEver.has('x')).toBe(false);

    // (d) This is why: S5 can still be elected and overwrite x.
    cluster.dropWhen = null;
    cluster.crash(1);
    cluster.restart(4);
    cluster.restart(5);
    expect(cluster.elect(5)).toBe(true);
    cluster.tickAll(3);
    for (const id of [2, 3, 4, 5]) expect(durableTerm(cluster, id, 2), `S${id} index 2`).toBe(t2);
    expectAllApplied(cluster, [2, 3, 4, 5], ['y']);
    expect(appliedEver.has('x')).toBe(false);
    expectLogMatching(cluster);
  });

  it("§5.4.2 the new leader's no-op commits earlier entries", () => {
    const { cluster, appliedEver, terms } = figure8UpTo('with the no-op replicated');
    const [t1, , t3] = terms as [number, number, number];
    // (e) The no-op of t3 reached a majority: it commits, and x with it.
    expect(cluster.node(1).raft.status().commit).toBe(3);
    expect(durableTerm(cluster, 2, 3)).toBe(t3);
    expect(appliedEver.has('x')).toBe(true);
    // Now S5 can no longer be elected, and x survives any later leader.
    cluster.crash(1);
    cluster.restart(4);
    cluster.restart(5);
    expect(cluster.elect(5, 200)).toBe(false);
    expect(cluster.elect(2, 200)).toBe(true);
    cluster.tickAll(3);
    for (const id of [2, 3, 4, 5]) expect(durableTerm(cluster, id, 2), `S${id} index 2`).toBe(t1);
    expectAllApplied(cluster, [2, 3, 4, 5], ['x']);
    expect(appliedEver.has('y')).toBe(false);
  });
});

describe('Raft paper §7 log compaction', () => {
  it('§7 log compaction: a follower behind the leader’s snapshot receives the snapshot and catches up', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.elect(1)).toBe(true);
    cluster.propose(1, 'before');
    cluster.crash(3);
    const values = ['before'];
    for (let i = 0; i < 20; i++) {
      values.push(`v${i}`);
      cluster.propose(1, `v${i}`);
    }
    const leader = cluster.node(1);
    const { applied } = leader.raft.status();
    leader.raft.compact(applied, encoder.encode(JSON.stringify(leader.applied)));
    cluster.stabilize();
    expect(leader.raft.status().firstIndex).toBe(applied + 1);
    expect(leader.disk.snapshot?.metadata.index).toBe(applied);

    cluster.restart(3);
    const before = cluster.delivered.length;
    tickUntil(cluster, () => cluster.node(3).applied.length === values.length, 20);
    const snapshots = cluster.delivered.slice(before).filter((m) => m.type === 'snapshot' && m.to === 3);
    expect(snapshots).toHaveLength(1);
    expect(cluster.node(3).disk.snapshot?.metadata).toMatchObject({ index: applied });
    expect(cluster.node(3).raft.status()).toMatchObject({ firstIndex: applied + 1, commit: applied });
    expectAllApplied(cluster, [3], values);

    // Replication goes on normally after the snapshot.
    cluster.propose(1, 'after');
    cluster.tickAll(2);
    expectAllApplied(cluster, [1, 2, 3], [...values, 'after']);
    // And the follower restarts from its snapshot.
    cluster.restart(3);
    cluster.tickAll(2);
    expectAllApplied(cluster, [3], [...values, 'after']);
  });
});

describe('Raft log compaction requests', () => {
  it('ignores a compaction at or below the log start (a snapshot from the leader got there first)', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.elect(1)).toBe(true);
    cluster.crash(3);
    for (let i = 0; i < 10; i++) cluster.propose(1, `v${i}`);
    const leader = cluster.node(1);
    leader.raft.compact(leader.raft.status().applied, encoder.encode(JSON.stringify(leader.applied)));
    cluster.stabilize();
    cluster.restart(3);
    tickUntil(cluster, () => cluster.node(3).applied.length === 10, 20);
    const follower = cluster.node(3);
    const { firstIndex } = follower.raft.status();
    expect(firstIndex).toBeGreaterThan(2);
    // The follower's application asked to compact at index 2 before the snapshot was installed.
    expect(() => follower.raft.compact((firstIndex - 1) as LogIndex, encoder.encode('stale'))).not.toThrow();
    expect(() => follower.raft.compact(2 as LogIndex, encoder.encode('stale'))).not.toThrow();
    expect(follower.raft.status().firstIndex).toBe(firstIndex);
    cluster.propose(1, 'after');
    cluster.tickAll(2);
    expectAllApplied(cluster, [1, 2, 3], [...Array.from({ length: 10 }, (_, i) => `v${i}`), 'after']);
  });
});

describe('Raft paper §8 client interaction and durability', () => {
  it('§8 a follower answers only from durable state: the vote and the entries ride in the Ready of the answer', () => {
    const follower = directNode(2, { term: 1 });
    follower.step(voteRequest(1, 2, 2, 0, 0));
    const voteReady = takeReady(follower);
    expect(onlyMessage(voteReady.messages, 'voteResponse')).toMatchObject({ reject: false, term: 2 });
    expect(voteReady.hardState).toEqual({ term: 2, vote: 1, commit: 0 });

    follower.step(appendRequest(1, 2, 2, { index: 0, term: 0 }, [entry(1, 2, 'a'), entry(2, 2, 'b')], 0));
    const appendReady = takeReady(follower);
    expect(onlyMessage(appendReady.messages, 'appendResponse')).toMatchObject({ reject: false, index: 2 });
    expect(appendReady.entries.map((e) => e.index)).toEqual([1, 2]);

    // The leader counts its own entries towards commit only once they are durable (after advance).
    const leader = directLeader([1, 2, 3]);
    const result = leader.propose(encoder.encode('p'));
    expect(result.ok).toBe(true);
    const proposalReady = leader.ready();
    expect(proposalReady.entries.map((e) => e.index)).toEqual([2]);
    leader.advance(proposalReady);
    const leaderTerm = leader.status().term;
    const ack = (from: number, index: number): AppendResponse => ({
      type: 'appendResponse',
      from: nodeId(from),
      to: nodeId(1),
      term: leaderTerm as Term,
      reject: false,
      index: index as LogIndex,
      rejectHint: 0 as LogIndex,
      rejectHintTerm: 0 as Term,
    });
    leader.step(ack(2, 2));
    expect(leader.status().commit).toBe(2);
  });

  it('§8 in a running cluster, every vote and acknowledgement is sent after what it vouches for is on disk', () => {
    const cluster = new TestCluster({ voters: 3, seed: 5 });
    const violations: string[] = [];
    cluster.onReady = (id, ready, node) => {
      const { hardState } = node.disk;
      for (const m of ready.messages) {
        if (
          m.type === 'voteResponse' &&
          !m.reject &&
          (hardState.term !== m.term || hardState.vote !== m.to)
        ) {
          violations.push(
            `S${id} granted a vote to ${m.to} in ${m.term} with ${JSON.stringify(hardState)} on disk`,
          );
        }
        if (m.type === 'vote' && (hardState.term !== m.term || hardState.vote !== id)) {
          violations.push(`S${id} asked for votes in ${m.term} with ${JSON.stringify(hardState)} on disk`);
        }
        if (m.type === 'appendResponse' && !m.reject && m.index > durableLastIndex(node.disk)) {
          violations.push(`S${id} acknowledged ${m.index} with ${durableLastIndex(node.disk)} on disk`);
        }
      }
    };
    expect(cluster.elect(1)).toBe(true);
    for (let round = 0; round < 5; round++) {
      const leader = leaderAmong(cluster, [1, 2, 3])!;
      cluster.propose(leader, `a${round}`);
      const follower = leader === 3 ? 1 : leader + 1;
      cluster.crash(follower);
      cluster.propose(leader, `b${round}`);
      cluster.restart(follower);
      cluster.isolate(leader);
      tickUntil(
        cluster,
        () =>
          leaderAmong(
            cluster,
            [1, 2, 3].filter((id) => id !== leader),
          ) !== null,
      );
      cluster.heal();
      cluster.tickAll(3);
    }
    expect(violations).toEqual([]);
  });
});

describe('Raft thesis extensions', () => {
  it('§9.6 PreVote: a partitioned node rejoining does not disrupt the leader (term unchanged)', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.elect(1)).toBe(true);
    const leaderTerm = cluster.node(1).raft.status().term;
    cluster.isolate(3);
    cluster.tickAll(10 * ELECTION_TICKS);
    // Its pre-elections fail without raising its term.
    expect(cluster.node(3).raft.status().term).toBe(leaderTerm);
    cluster.propose(1, 'while-partitioned');
    cluster.heal();
    cluster.tickAll(3 * ELECTION_TICKS);
    expect(cluster.node(1).raft.status()).toMatchObject({ role: 'leader', term: leaderTerm });
    for (const id of [2, 3])
      expect(cluster.node(id).raft.status()).toMatchObject({ role: 'follower', term: leaderTerm, leader: 1 });
    expectAllApplied(cluster, [1, 2, 3], ['while-partitioned']);
  });

  it('§9.6 (control) without PreVote the same rejoining node does disrupt the leader', () => {
    const cluster = new TestCluster({ voters: 3, raft: { preVote: false } });
    expect(cluster.elect(1)).toBe(true);
    const leaderTerm = cluster.node(1).raft.status().term;
    cluster.isolate(3);
    cluster.tickAll(10 * ELECTION_TICKS);
    expect(cluster.node(3).raft.status().term).toBeGreaterThan(leaderTerm);
    cluster.heal();
    cluster.tickAll(3 * ELECTION_TICKS);
    expect(cluster.node(1).raft.status().term).toBeGreaterThan(leaderTerm);
  });

  it('§6.2 CheckQuorum: a leader that cannot reach a majority steps down within an election timeout', () => {
    // The leader is cut off at every possible phase of its check period.
    const delays: number[] = [];
    for (let offset = 0; offset < ELECTION_TICKS; offset++) {
      const cluster = new TestCluster({ voters: 3 });
      expect(cluster.elect(1)).toBe(true);
      cluster.tickAll(ELECTION_TICKS + offset);
      expect(cluster.node(1).raft.status().role).toBe('leader');
      // Its last successful round of heartbeats was the last tick: from now on it hears from no one.
      cluster.isolate(1);
      delays.push(
        tickUntil(cluster, () => cluster.node(1).raft.status().role !== 'leader', 5 * ELECTION_TICKS),
      );
    }
    expect(Math.max(...delays), `ticks to step down, by phase: ${delays}`).toBeLessThanOrEqual(
      ELECTION_TICKS,
    );
  });

  it('§6.2 CheckQuorum: a leader that hears from a majority stays leader', () => {
    const cluster = new TestCluster({ voters: 5 });
    expect(cluster.elect(1)).toBe(true);
    cluster.crash(4);
    cluster.crash(5);
    cluster.tickAll(10 * ELECTION_TICKS);
    expect(cluster.node(1).raft.status().role).toBe('leader');
  });

  it('§3.10 leadership transfer: the transferee becomes leader and proposals are refused during transfer', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.elect(1)).toBe(true);
    const leaderTerm = cluster.node(1).raft.status().term;
    cluster.propose(1, 'a');
    // The transferee is behind: the leader must first bring it up to date.
    cluster.isolate(2);
    cluster.propose(1, 'b');
    cluster.node(1).raft.transferLeadership(nodeId(2));
    cluster.stabilize();
    expect(cluster.node(1).raft.status()).toMatchObject({ role: 'leader', leadTransferee: 2 });
    expect(cluster.node(1).raft.propose(encoder.encode('refused'))).toEqual({
      ok: false,
      reason: 'transferring',
      leader: 1,
    });
    cluster.heal();
    tickUntil(cluster, () => cluster.node(2).raft.status().role === 'leader', ELECTION_TICKS - 1);
    expect(cluster.node(2).raft.status().term).toBe(leaderTerm + 1);
    expect(cluster.node(1).raft.status()).toMatchObject({ role: 'follower', leader: 2 });
    cluster.propose(2, 'c');
    cluster.tickAll(2);
    expectAllApplied(cluster, [1, 2, 3], ['a', 'b', 'c']);
  });

  it('§3.10 leadership transfer to an unreachable node is abandoned after an election timeout', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.elect(1)).toBe(true);
    cluster.isolate(2);
    cluster.propose(1, 'a');
    cluster.node(1).raft.transferLeadership(nodeId(2));
    cluster.stabilize();
    expect(cluster.node(1).raft.propose(encoder.encode('refused')).ok).toBe(false);
    cluster.tickAll(ELECTION_TICKS);
    expect(cluster.node(1).raft.status()).toMatchObject({ role: 'leader', leadTransferee: NONE });
    cluster.propose(1, 'b');
    cluster.tickAll(1); // followers learn the commit index from the next heartbeat
    expectAllApplied(cluster, [1, 3], ['a', 'b']);
  });

  it('observers receive committed entries but never vote or count towards commit (1 voter + 2 observers)', () => {
    const cluster = new TestCluster({ voters: 1, observers: 2 });
    expect(cluster.elect(1)).toBe(true);
    cluster.tickAll(3 * ELECTION_TICKS); // observers find the leader
    for (const v of ['a', 'b', 'c']) cluster.propose(1, v);
    cluster.tickAll(2);
    expectAllApplied(cluster, [1, 2, 3], ['a', 'b', 'c']);
    for (const id of [2, 3]) expect(cluster.node(id).raft.status().role).toBe('observer');
    const electionTypes = new Set(['vote', 'preVote', 'voteResponse', 'preVoteResponse']);
    expect(cluster.delivered.filter((m) => m.from !== 1 && electionTypes.has(m.type))).toEqual([]);

    // An observer asked for its vote does not answer, and its timeouts never make it campaign.
    const observer = cluster.node(2).raft;
    observer.step(voteRequest(3, 2, 99, 100, 99));
    cluster.stabilize();
    expect(cluster.delivered.filter((m) => m.from === 2 && electionTypes.has(m.type))).toEqual([]);
    expect(observer.status().role).toBe('observer');
  });

  it('observers never count towards commit (3 voters, 2 down, an observer up: nothing commits)', () => {
    const cluster = new TestCluster({ voters: 3, observers: 1 });
    expect(cluster.elect(1)).toBe(true);
    cluster.tickAll(3 * ELECTION_TICKS);
    expect(
      cluster
        .node(1)
        .raft.status()
        .peers.find((p) => p.id === 4),
    ).toMatchObject({ isObserver: true });
    cluster.propose(1, 'a');
    cluster.tickAll(1);
    expectAllApplied(cluster, [1, 2, 3, 4], ['a']);
    const commit = cluster.node(1).raft.status().commit;

    cluster.crash(2);
    cluster.crash(3);
    cluster.propose(1, 'z');
    cluster.tickAll(3);
    // The observer stores and acknowledges the entry, but it does not make a majority.
    expect(cluster.node(4).raft.status().lastIndex).toBe(commit + 1);
    expect(
      cluster
        .node(1)
        .raft.status()
        .peers.find((p) => p.id === 4)?.match,
    ).toBe(commit + 1);
    expect(cluster.node(1).raft.status().commit).toBe(commit);
    expectAllApplied(cluster, [1, 4], ['a']);

    cluster.restart(2);
    cluster.tickAll(2);
    expectAllApplied(cluster, [1, 2, 4], ['a', 'z']);
  });

  it('proposal on a follower is refused with the leader’s id', () => {
    const cluster = new TestCluster({ voters: 3 });
    expect(cluster.node(2).raft.propose(encoder.encode('early'))).toEqual({
      ok: false,
      reason: 'notLeader',
      leader: NONE,
    });
    expect(cluster.elect(1)).toBe(true);
    expect(cluster.node(2).raft.propose(encoder.encode('late'))).toEqual({
      ok: false,
      reason: 'notLeader',
      leader: 1,
    });
    expect(cluster.node(2).raft.hasReady()).toBe(false);
  });

  it('fast backtracking: a follower far behind with a divergent log is repaired in few round trips', () => {
    const divergent = 100;
    const cluster = new TestCluster({ voters: 5, seed: 11 });
    expect(cluster.elect(1)).toBe(true);
    // S1 is cut off and appends 100 entries that will never commit.
    cluster.isolate(1);
    for (let i = 0; i < divergent; i++)
      expect(cluster.node(1).raft.propose(encoder.encode(`lost${i}`)).ok).toBe(true);
    cluster.stabilize();
    // The others elect a leader L that commits 100 other entries.
    const others = [2, 3, 4, 5];
    tickUntil(cluster, () => leaderAmong(cluster, others) !== null);
    const first = leaderAmong(cluster, others)!;
    for (let i = 0; i < divergent; i++) cluster.propose(first, `kept${i}`);
    // L crashes; the next leader M starts with S1's next index at the end of its long log.
    cluster.crash(first);
    const remaining = others.filter((id) => id !== first);
    tickUntil(cluster, () => leaderAmong(cluster, remaining) !== null);
    const second = leaderAmong(cluster, remaining)!;
    const secondLog = () => cluster.node(second).disk.entries.map((e) => e.term);
    expect(cluster.node(1).disk.entries.length).toBe(divergent + 1);

    const before = cluster.delivered.length;
    cluster.heal();
    tickUntil(
      cluster,
      () => JSON.stringify(cluster.node(1).disk.entries.map((e) => e.term)) === JSON.stringify(secondLog()),
      20,
    );
    const exchanged = cluster.delivered.slice(before);
    const appends = exchanged.filter((m) => m.type === 'append' && m.to === 1);
    const rejections = exchanged.filter((m) => m.type === 'appendResponse' && m.from === 1 && m.reject);
    expect(appends.length, `appends: ${appends.length}`).toBeLessThanOrEqual(4);
    expect(rejections.length, `rejections: ${rejections.length}`).toBeLessThanOrEqual(2);
    cluster.tickAll(2);
    expect(cluster.node(1).applied).toEqual(Array.from({ length: divergent }, (_, i) => `kept${i}`));
  });

  it('flow control: at most maxInflightAppends unacknowledged appends to a follower', () => {
    const maxInflightAppends = 4;
    const cluster = new TestCluster({ voters: 3, raft: { maxInflightAppends } });
    expect(cluster.elect(1)).toBe(true);
    cluster.propose(1, 'warm-up'); // followers are now in replicate state
    cluster.dropTypes.add('appendResponse');
    const before = cluster.delivered.length;
    const values = ['warm-up'];
    for (let i = 0; i < 50; i++) {
      values.push(`v${i}`);
      cluster.propose(1, `v${i}`);
    }
    const appendsTo2 = cluster.delivered
      .slice(before)
      .filter((m) => m.type === 'append' && m.to === 2 && m.entries.length > 0);
    // Pipelined (more than one in flight) but bounded.
    expect(appendsTo2.length).toBe(maxInflightAppends);
    const peer = cluster
      .node(1)
      .raft.status()
      .peers.find((p) => p.id === 2);
    expect(peer).toMatchObject({ state: 'replicate', match: 2 });

    // Once acknowledgements flow again, everything is replicated.
    cluster.dropTypes.delete('appendResponse');
    tickUntil(cluster, () => cluster.node(2).applied.length === values.length, 20);
    expectAllApplied(cluster, [1, 2, 3], values);
  });
});
