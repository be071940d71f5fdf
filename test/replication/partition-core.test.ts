// The partition core (src/replication/partition-core.ts) on its own: unit tests per decision, then a
// fast-check property over three cores (a leader and its followers) with a model controller. The
// schedule mixes produces (acks=all waiters), flushes, fetch rounds (truncate or append, fsync or a
// silent fsync failure), fetches of another epoch, ISR checks, AlterPartition answers (committed or not,
// the answer lost or not, refused), elections from the controller's ISR, images that reach each broker
// late, and time. After every step: the high watermark never decreases within a leadership and never
// passes the leader's flushed offset nor what a member of the maximal ISR (or of the controller's ISR)
// holds durably in agreement with the leader; a waiter completes only once the high watermark passed
// it; acknowledged records stay in the current leader's log; a follower never reports an unflushed
// offset; a stale or newer epoch is refused; truncation keeps every record that agrees with the leader.
// The seed is printed; REPLICATION_SEED=<n> replays it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assert, InvariantError } from '../../raft/assert.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { type BrokerId, brokerId, leaderEpoch, NO_LEADER, partitionEpoch } from '../../src/metadata/ids.ts';
import type { PartitionRegistration } from '../../src/metadata/image.ts';
import type { FetchPartition } from '../../src/replication/fetch-messages.ts';
import { PartitionCore } from '../../src/replication/partition-core.ts';
import type {
  IsrProposal,
  LeaderView,
  PartitionEffect,
  RegistrationStep,
} from '../../src/replication/partition-core-types.ts';
import { commonPrefix, FakePartitionLog } from './fake-partition-log.ts';
import { fcParameters } from './helpers.ts';

const [B1, B2, B3] = [brokerId(1), brokerId(2), brokerId(3)];
const LAG_MS = 1_000;
const BACKOFF_MS = 100;
const ALL = (_broker: BrokerId) => true;

function registration(options: {
  leader: BrokerId;
  leaderEpoch?: number;
  partitionEpoch?: number;
  isr?: readonly BrokerId[];
  replicas?: readonly BrokerId[];
}): PartitionRegistration {
  return {
    leader: options.leader,
    leaderEpoch: leaderEpoch(options.leaderEpoch ?? 0),
    partitionEpoch: partitionEpoch(options.partitionEpoch ?? 0),
    replicas: options.replicas ?? [B1, B2, B3],
    isr: options.isr ?? [B1, B2, B3],
  };
}

function replica(self: BrokerId = B1) {
  const log = new FakePartitionLog();
  const clock = { now: 0, nowMs: () => clock.now };
  const core = new PartitionCore({
    self,
    name: 'orders-0',
    log,
    clock,
    lagTimeMaxMs: LAG_MS,
    alterPartitionRetryBackoffMs: BACKOFF_MS,
  });
  /** What the shell does for a registration step: flush, then take the role. */
  const apply = (reg: PartitionRegistration): { step: RegistrationStep; effects: PartitionEffect[] } => {
    const step = core.applyRegistration(reg);
    const effects = [...step.effects];
    if (step.kind === 'lead') {
      log.flush();
      effects.push(...core.becomeLeader(reg));
    } else if (step.kind === 'follow') {
      log.flush();
      effects.push(...core.becomeFollower(reg));
    } else if (step.kind === 'stale' && step.flush) log.flush();
    return { step, effects };
  };
  return { core, log, clock, apply };
}

function fetch(options: Partial<FetchPartition> & { fetchOffset: number }): FetchPartition {
  return {
    topicId: 't',
    partition: 0,
    currentLeaderEpoch: 0,
    lastFetchedEpoch: -1,
    maxBytes: 1024,
    ...options,
  };
}

function kinds(effects: readonly PartitionEffect[]): string[] {
  return effects.map((effect) => effect.kind);
}

describe('PartitionCore roles', () => {
  it('leads after the shell flushed, at the log end, with the high watermark it knew as a follower', () => {
    const { core, log, apply } = replica();
    apply(registration({ leader: B2 }));
    expect(core.role).toEqual({ kind: 'follower', leader: B2, leaderEpoch: 0 });
    log.append([0, 0, 0]);
    log.flush();
    core.followerFetched(0, { highWatermark: 2, logStartOffset: 0 });
    expect(core.highWatermark()).toBe(2);
    const { step, effects } = apply(registration({ leader: B1, leaderEpoch: 1, isr: [B1] }));
    expect(step.kind).toBe('lead');
    expect(kinds(effects)).toEqual(['leadership']);
    const leader = core.leader()!;
    expect(leader.epochStartOffset).toBe(3);
    // Alone in its ISR, its own flushed offset is the high watermark.
    expect(leader.highWatermark).toBe(3);
  });

  it('ignores a follower high watermark from another leader epoch', () => {
    const { core, log, apply } = replica();
    apply(registration({ leader: B2, leaderEpoch: 1 }));
    log.append([1, 1]);
    log.flush();
    core.followerFetched(0, { highWatermark: 2, logStartOffset: 0 });
    expect(core.highWatermark()).toBe(0);
    core.followerFetched(1, { highWatermark: 5, logStartOffset: 0 });
    expect(core.highWatermark()).toBe(2);
  });

  it('a leader resigning fails its waiters and reports the loss; the shell flushes before it follows', () => {
    const { core, log, apply } = replica();
    apply(registration({ leader: B1 }));
    log.append([0]);
    const wait = core.waitForHighWatermark(0);
    expect(wait.kind).toBe('waiting');
    const step = core.applyRegistration(registration({ leader: B2, leaderEpoch: 1 }));
    expect(step.kind).toBe('follow');
    expect(kinds(step.effects)).toEqual(['leadership', 'fail-waiters', 'wake-fetches']);
    expect(step.effects[1]).toMatchObject({ error: { errorName: 'NOT_LEADER_OR_FOLLOWER' } });
    expect(core.role).toEqual({ kind: 'none' });
    // Not flushed yet: the follower must not fetch.
    expect(() => core.becomeFollower(registration({ leader: B2, leaderEpoch: 1 }))).not.toThrow();
    expect(() => core.fetchPosition()).toThrow(InvariantError);
    log.flush();
    expect(core.fetchPosition()).toEqual({
      leader: B2,
      currentLeaderEpoch: 1,
      fetchOffset: 1,
      lastFetchedEpoch: 0,
    });
  });

  it('leading again at a newer epoch fails what waited on the old one', () => {
    const { core, log, apply } = replica();
    apply(registration({ leader: B1 }));
    log.append([0]);
    core.waitForHighWatermark(0);
    const { step, effects } = apply(registration({ leader: B1, leaderEpoch: 1 }));
    expect(step.kind).toBe('lead');
    expect(kinds(effects)).toEqual(['leadership', 'fail-waiters', 'wake-fetches', 'leadership']);
    expect(effects.filter((e) => e.kind === 'leadership')).toEqual([
      { kind: 'leadership', leading: false },
      { kind: 'leadership', leading: true },
    ]);
  });

  it('a stale image (leader epoch older than the log) leaves the role none until a newer one', () => {
    const { core, log, apply } = replica();
    apply(registration({ leader: B1, leaderEpoch: 3 }));
    log.append([3]);
    log.flush();
    const { step } = apply(registration({ leader: B2, leaderEpoch: 2 }));
    expect(step).toMatchObject({ kind: 'stale', logEpoch: 3, flush: true });
    expect(core.role).toEqual({ kind: 'none' });
    apply(registration({ leader: B2, leaderEpoch: 4 }));
    expect(core.role).toEqual({ kind: 'follower', leader: B2, leaderEpoch: 4 });
  });

  it('a stopped replica never leads or follows again', () => {
    const { core, apply } = replica();
    apply(registration({ leader: B1 }));
    const effects = core.stop(new KafkaError('KAFKA_STORAGE_ERROR', 'offline'));
    expect(kinds(effects)).toEqual(['leadership', 'wake-fetches']);
    expect(apply(registration({ leader: B1, leaderEpoch: 1 })).effects).toEqual([]);
    expect(core.becomeLeader(registration({ leader: B1, leaderEpoch: 1 }))).toEqual([]);
    expect(core.role).toEqual({ kind: 'none' });
  });
});

describe('PartitionCore high watermark waiters', () => {
  it('refuses on a follower, passes at once below the high watermark, completes when a fetch moves it', () => {
    const { core, log, apply } = replica();
    expect(core.waitForHighWatermark(0)).toMatchObject({
      kind: 'refused',
      error: { errorName: 'NOT_LEADER_OR_FOLLOWER' },
    });
    apply(registration({ leader: B1, isr: [B1, B2] }));
    log.append([0, 0]);
    log.flush();
    const first = core.waitForHighWatermark(0);
    const second = core.waitForHighWatermark(1);
    expect(core.logFlushed()).toEqual([]);
    const fetched = core.serveFetch(B2, fetch({ fetchOffset: 1, lastFetchedEpoch: 0 }));
    expect(fetched).toMatchObject({ kind: 'read', fetchOffset: 1, logEndOffset: 2 });
    expect(fetched.kind === 'read' && fetched.effects).toEqual([
      { kind: 'complete-waiters', waiters: [first.kind === 'waiting' && first.waiter] },
    ]);
    expect(core.waitForHighWatermark(0)).toEqual({ kind: 'passed' });
    expect(second.kind).toBe('waiting');
    const timedOut = core.waiterTimedOut(second.kind === 'waiting' ? second.waiter : -1, 50);
    expect(timedOut).toMatchObject([{ kind: 'fail-waiters', error: { errorName: 'REQUEST_TIMED_OUT' } }]);
    // Answered already: a late timer changes nothing.
    expect(core.waiterTimedOut(second.kind === 'waiting' ? second.waiter : -1, 50)).toEqual([]);
  });

  it('a new leader hides its high watermark until it reaches the epoch start (KIP-207)', () => {
    const { core, log, apply } = replica();
    apply(registration({ leader: B2 }));
    log.append([0, 0]);
    log.flush();
    apply(registration({ leader: B1, leaderEpoch: 1, isr: [B1, B2] }));
    expect(() => core.requireEpochStartCommitted()).toThrow(
      expect.objectContaining({ errorName: 'OFFSET_NOT_AVAILABLE' }),
    );
    core.serveFetch(B2, fetch({ fetchOffset: 2, currentLeaderEpoch: 1, lastFetchedEpoch: 0 }));
    expect(() => core.requireEpochStartCommitted()).not.toThrow();
  });
});

describe('PartitionCore produce and client reads', () => {
  it('acks=all needs min.insync.replicas in the ISR before, and after the high watermark passed', () => {
    const { core, log, apply } = replica();
    expect(() => core.beginAppend(1, 1)).toThrow(
      expect.objectContaining({ errorName: 'NOT_LEADER_OR_FOLLOWER' }),
    );
    apply(registration({ leader: B1, isr: [B1, B2] }));
    expect(() => core.beginAppend(-1, 3)).toThrow(
      expect.objectContaining({ errorName: 'NOT_ENOUGH_REPLICAS' }),
    );
    expect(() => core.beginAppend(1, 3)).not.toThrow();
    const leadership = core.beginAppend(-1, 2);
    log.append([0]);
    expect(() => core.completeAppend(leadership, 2)).not.toThrow();
    apply(registration({ leader: B1, isr: [B1], partitionEpoch: 1 }));
    expect(() => core.completeAppend(leadership, 2)).toThrow(
      expect.objectContaining({ errorName: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' }),
    );
  });

  it('a produce of another leadership is not acknowledged, even when this broker leads again', () => {
    const { core, apply } = replica();
    apply(registration({ leader: B1 }));
    const leadership = core.beginAppend(1, 1);
    apply(registration({ leader: B1, leaderEpoch: 1 }));
    expect(() => core.requireLeadership(leadership)).toThrow(
      expect.objectContaining({ errorName: 'NOT_LEADER_OR_FOLLOWER' }),
    );
    expect(() => core.requireLeadership(core.leader()!)).not.toThrow();
  });

  it('a client reads within the log, below the high watermark, once it reached the epoch start', () => {
    const { core, log, apply } = replica();
    apply(registration({ leader: B1, isr: [B1] }));
    log.append([0, 0]);
    log.flush();
    core.logFlushed();
    expect(core.beginClientRead(1)).toBe(2);
    expect(() => core.beginClientRead(3)).toThrow(
      expect.objectContaining({ errorName: 'OFFSET_OUT_OF_RANGE' }),
    );
  });
});

describe('PartitionCore fetch serving', () => {
  function leaderAt(epoch: number, epochs: number[]) {
    const replicaState = replica();
    replicaState.log.append(epochs);
    replicaState.log.flush();
    replicaState.apply(registration({ leader: B1, leaderEpoch: epoch }));
    return replicaState;
  }

  it.each([
    [{ currentLeaderEpoch: 1 }, 'FENCED_LEADER_EPOCH'],
    [{ currentLeaderEpoch: 3 }, 'UNKNOWN_LEADER_EPOCH'],
    [{ currentLeaderEpoch: 2, lastFetchedEpoch: 3 }, 'UNKNOWN_LEADER_EPOCH'],
    [{ currentLeaderEpoch: 2, fetchOffset: 9 }, 'OFFSET_OUT_OF_RANGE'],
  ] as const)('refuses %o with %s', (request, error) => {
    const { core } = leaderAt(2, [0, 0, 2]);
    expect(core.serveFetch(B2, fetch({ fetchOffset: 3, ...request }))).toMatchObject({
      kind: 'refused',
      error: { name: error },
    });
  });

  it('refuses a broker that is not a follower, and answers nothing when not leading', () => {
    const { core } = leaderAt(0, []);
    const outsider = core.serveFetch(brokerId(4), fetch({ fetchOffset: 0 }));
    expect(outsider).toMatchObject({ kind: 'refused', error: { name: 'NOT_LEADER_OR_FOLLOWER' } });
    const follower = replica(B2).core;
    expect(follower.serveFetch(B3, fetch({ fetchOffset: 0 }))).toMatchObject({
      kind: 'refused',
      error: { name: 'NOT_LEADER_OR_FOLLOWER' },
    });
  });

  it('answers a diverging epoch where its history of the last fetched epoch ends', () => {
    // Leader: epochs 0,0,2,2 at leader epoch 3; follower holds 0,0,1,1,1.
    const { core } = leaderAt(3, [0, 0, 2, 2]);
    expect(
      core.serveFetch(B2, fetch({ fetchOffset: 5, currentLeaderEpoch: 3, lastFetchedEpoch: 1 })),
    ).toMatchObject({
      kind: 'diverging',
      divergingEpoch: { epoch: 0, endOffset: 2 },
    });
    // An epoch between the log's last batch and its own ended where this leader's epoch started.
    const empty = leaderAt(3, [0, 0]);
    expect(
      empty.core.serveFetch(B2, fetch({ fetchOffset: 3, currentLeaderEpoch: 3, lastFetchedEpoch: 2 })),
    ).toMatchObject({ kind: 'diverging', divergingEpoch: { epoch: 0, endOffset: 2 } });
  });

  it("answers a client's OffsetsForLeaderEpoch from the same history; an epoch it never had: -1, -1", () => {
    const { core } = leaderAt(3, [0, 0, 2, 2]);
    expect(core.clientEpochEnd(1)).toEqual({ epoch: 0, endOffset: 2 });
    expect(core.clientEpochEnd(2)).toEqual({ epoch: 2, endOffset: 4 });
    expect(core.clientEpochEnd(3)).toEqual({ epoch: 3, endOffset: 4 });
    expect(core.clientEpochEnd(4)).toEqual({ epoch: -1, endOffset: -1 });
    expect(core.clientEpochEnd(-1)).toEqual({ epoch: -1, endOffset: -1 });
    const follower = replica(B2);
    follower.apply(registration({ leader: B1 }));
    expect(() => follower.core.clientEpochEnd(0)).toThrow('is not the leader');
  });
});

describe('PartitionCore follower truncation', () => {
  it.each([
    {
      name: 'same epoch, the leader ends first',
      mine: [0, 0, 1, 1, 1],
      diverging: { epoch: 1, endOffset: 3 },
      to: 3,
    },
    {
      name: 'the follower has nothing of that epoch',
      mine: [0, 0, 2, 2],
      diverging: { epoch: 1, endOffset: 5 },
      to: 2,
    },
    {
      name: 'every epoch of the follower is newer',
      mine: [2, 2],
      diverging: { epoch: 1, endOffset: 1 },
      to: 0,
    },
    {
      name: 'same epoch, the follower ends first',
      mine: [0, 0, 1],
      diverging: { epoch: 1, endOffset: 6 },
      to: 3,
    },
  ])('cuts by epoch, not at a high watermark ($name)', ({ mine, diverging, to }) => {
    const { core, log, apply } = replica(B2);
    apply(registration({ leader: B1, leaderEpoch: 3 }));
    log.append(mine);
    log.flush();
    core.followerFetched(3, { highWatermark: 1, logStartOffset: 0 });
    expect(core.truncationOffset(diverging)).toBe(to);
    log.truncateTo(to);
    core.followerTruncated();
    expect(core.highWatermark()).toBeLessThanOrEqual(log.logEndOffset);
  });
});

describe('PartitionCore follower answers', () => {
  function follower() {
    const state = replica(B2);
    state.apply(registration({ leader: B1, leaderEpoch: 2 }));
    state.log.append([0, 0, 1, 1]);
    state.log.flush();
    return state;
  }
  const asked = { fetchOffset: 4, currentLeaderEpoch: 2 };
  const answer = { error: null, divergingEpoch: null, logStartOffset: 0 };

  it('drops an answer from another leader or epoch', () => {
    const { core } = follower();
    expect(core.onFetchAnswer(B3, asked, answer)).toEqual({ kind: 'ignore' });
    expect(core.onFetchAnswer(B1, { ...asked, currentLeaderEpoch: 1 }, answer)).toEqual({ kind: 'ignore' });
  });

  it('takes no role when the leader or epoch changes until the shell flushed what the old fetcher wrote', () => {
    // Seed 117 of the whole-cluster simulation: the old fetcher's append was not flushed yet (it flushes
    // after its whole answer) when the follower took the new leader, whose first fetch offset was then
    // past the flushed offset.
    const { core, log } = follower();
    log.append([2]);
    const next = registration({ leader: B3, leaderEpoch: 3 });
    const step = core.applyRegistration(next);
    expect(step.kind).toBe('follow');
    expect(core.role).toEqual({ kind: 'none' });
    expect(core.fetchPosition()).toBeNull();
    expect(core.onFetchAnswer(B1, asked, answer)).toEqual({ kind: 'ignore' });
    log.flush();
    expect(kinds(core.becomeFollower(next))).toEqual(['wake-fetches']);
    expect(core.fetchPosition()).toEqual({
      leader: B3,
      currentLeaderEpoch: 3,
      fetchOffset: 5,
      lastFetchedEpoch: 2,
    });
    // A registration of the same leadership (an ISR change) keeps the role.
    expect(core.applyRegistration({ ...next, isr: [B2, B3] }).kind).toBe('done');
    expect(core.role).toEqual({ kind: 'follower', leader: B3, leaderEpoch: 3 });
  });

  it('backs off on a refusal, truncates by epoch on a diverging epoch, appends otherwise', () => {
    const { core } = follower();
    const fenced = { ...answer, error: { name: 'FENCED_LEADER_EPOCH' as const } };
    expect(core.onFetchAnswer(B1, asked, fenced)).toEqual({ kind: 'backoff' });
    const diverging = { ...answer, divergingEpoch: { epoch: 1, endOffset: 3 } };
    expect(core.onFetchAnswer(B1, asked, diverging)).toEqual({ kind: 'truncate', offset: 3 });
    expect(core.onFetchAnswer(B1, asked, answer)).toEqual({ kind: 'append' });
  });

  it("starts again at the leader's log start when its log ends below it, and follows a moved log start", () => {
    const { core, log } = follower();
    const outOfRange = { ...answer, error: { name: 'OFFSET_OUT_OF_RANGE' as const }, logStartOffset: 9 };
    expect(core.onFetchAnswer(B1, asked, outOfRange)).toEqual({ kind: 'restart-at', offset: 9 });
    // Out of range above the leader's log start: the metadata is moving, not retention.
    expect(core.onFetchAnswer(B1, asked, { ...outOfRange, logStartOffset: 2 })).toEqual({ kind: 'backoff' });
    expect(core.followerFetched(2, { highWatermark: 3, logStartOffset: 2 })).toBe(2);
    expect(core.followerFetched(2, { highWatermark: 3, logStartOffset: 0 })).toBeNull();
    expect(core.followerFetched(1, { highWatermark: 3, logStartOffset: 2 })).toBeNull();
    expect(core.highWatermark()).toBe(3);
    log.truncateTo(0);
    log.append(Array.from({ length: 9 }, () => 1));
    core.followerRestarted(2);
    expect(core.highWatermark()).toBe(9);
  });
});

describe('PartitionCore AlterPartition', () => {
  function laggingIsr() {
    const state = replica();
    state.apply(registration({ leader: B1, isr: [B1, B2] }));
    state.log.append([0, 0]);
    state.log.flush();
    state.core.serveFetch(B3, fetch({ fetchOffset: 0 }));
    state.core.serveFetch(B2, fetch({ fetchOffset: 2, lastFetchedEpoch: 0 }));
    return state;
  }

  it('proposes a joiner, keeps it pending and sends it again after an unknown outcome', () => {
    const { core, clock } = laggingIsr();
    core.serveFetch(B3, fetch({ fetchOffset: 2, lastFetchedEpoch: 0 }));
    const effects = core.checkIsr(ALL);
    expect(effects).toEqual([
      { kind: 'alter-partition', proposal: { leaderEpoch: 0, partitionEpoch: 0, newIsr: [B1, B2, B3] } },
    ]);
    const proposal = effects[0]!.kind === 'alter-partition' ? effects[0]!.proposal : null;
    expect(core.checkIsr(ALL)).toEqual([]);
    expect(core.alterPartitionAnswered(proposal!, new KafkaError('REQUEST_TIMED_OUT', 'lost'))).toBe(
      'unknown',
    );
    expect(core.leader()!.pendingIsr).toEqual([B1, B2, B3]);
    expect(core.checkIsr(ALL)).toEqual([]);
    clock.now += BACKOFF_MS;
    expect(core.checkIsr(ALL)).toEqual(effects);
    expect(core.alterPartitionAnswered(proposal!, null)).toBe('accepted');
    expect(core.leader()!.pendingIsr).toEqual([B1, B2, B3]);
  });

  it('a refusal forgets the proposal; nothing is proposed for an ineligible joiner', () => {
    const { core } = laggingIsr();
    core.serveFetch(B3, fetch({ fetchOffset: 2, lastFetchedEpoch: 0 }));
    expect(core.checkIsr((broker) => broker !== B3)).toEqual([]);
    const [effect] = core.checkIsr(ALL);
    const proposal = effect!.kind === 'alter-partition' ? effect!.proposal : null;
    expect(core.alterPartitionAnswered(proposal!, new KafkaError('INELIGIBLE_REPLICA', 'fenced'))).toBe(
      'refused',
    );
    expect(core.leader()!.pendingIsr).toBeNull();
  });

  it('shrinks a member that has not caught up for replica.lag.time.max.ms', () => {
    const { core, log, clock } = laggingIsr();
    log.append([0]);
    log.flush();
    clock.now += LAG_MS + 1;
    expect(core.checkIsr(ALL)).toMatchObject([{ kind: 'alter-partition', proposal: { newIsr: [B1] } }]);
  });

  it('a follower or a resigned leader proposes nothing', () => {
    const { core } = replica();
    expect(core.checkIsr(ALL)).toEqual([]);
    core.applyRegistration(registration({ leader: NO_LEADER, isr: [] }));
    expect(core.checkIsr(ALL)).toEqual([]);
  });
});

// --- the property: a leader core and its followers' cores under random schedules -------------------

const BROKERS = [B1, B2, B3] as const;
const TIMEOUT_MS = 5 * LAG_MS;

type Op =
  | { kind: 'produce'; broker: number; count: number }
  | { kind: 'flush'; broker: number }
  /** `flush`: the fetcher fsyncs what it appended (false: as if the fsync silently did nothing). */
  | { kind: 'fetch'; broker: number; maxRecords: number; flush: boolean }
  | { kind: 'bad-fetch'; broker: number; epochDelta: -1 | 1; lastEpochAhead: boolean }
  | { kind: 'check-isr'; broker: number; eligible: readonly boolean[] }
  | { kind: 'answer'; index: number; outcome: 'commit' | 'commit-lost' | 'lost' | 'refuse' }
  | { kind: 'elect'; choice: number; dropOldLeader: boolean }
  | { kind: 'deliver'; broker: number }
  | { kind: 'tick'; ms: number };

const brokerArb = fc.integer({ min: 0, max: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('produce' as const),
      broker: brokerArb,
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flush' as const), broker: brokerArb }) },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant('fetch' as const),
      broker: brokerArb,
      maxRecords: fc.integer({ min: 0, max: 4 }),
      flush: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('bad-fetch' as const),
      broker: brokerArb,
      epochDelta: fc.constantFrom(-1 as const, 1 as const),
      lastEpochAhead: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('check-isr' as const),
      broker: brokerArb,
      eligible: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      index: fc.nat(),
      outcome: fc.constantFrom('commit' as const, 'commit-lost' as const, 'lost' as const, 'refuse' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('elect' as const),
      choice: fc.nat(),
      dropOldLeader: fc.boolean(),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('deliver' as const), broker: brokerArb }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 2 * LAG_MS }) }),
  },
);

interface Replica {
  readonly id: BrokerId;
  readonly core: PartitionCore;
  readonly log: FakePartitionLog;
  /** The partition epoch of the last registration this broker applied. */
  applied: number;
}

/**
 * A cluster of three partition cores with a model controller: registrations reach each broker when
 * `deliver` says (images lag), AlterPartitions are answered (committed or not, the answer lost or not)
 * as the schedule says, and leaders are elected from the controller's ISR.
 */
class CoreCluster {
  now = 0;
  registration: PartitionRegistration;
  readonly replicas: Replica[];
  readonly inflight: Array<{ broker: BrokerId; proposal: IsrProposal }> = [];
  readonly waiters = new Map<
    string,
    { broker: BrokerId; offset: number; epoch: number; deadlineMs: number }
  >();
  /** Acknowledged records (acks=all): offset -> leader epoch. */
  readonly acknowledged = new Map<number, number>();
  private readonly watched = new Map<BrokerId, { leader: LeaderView; highWatermark: number }>();

  constructor(startIsr: readonly BrokerId[]) {
    this.registration = registration({ leader: B1, isr: startIsr });
    const clock = { nowMs: () => this.now };
    this.replicas = BROKERS.map((id) => {
      const log = new FakePartitionLog();
      const core = new PartitionCore({
        self: id,
        name: `orders-0@${id}`,
        log,
        clock,
        lagTimeMaxMs: LAG_MS,
        alterPartitionRetryBackoffMs: BACKOFF_MS,
      });
      return { id, core, log, applied: -1 };
    });
    for (const replica of this.replicas) this.deliver(replica);
  }

  replica(id: BrokerId): Replica {
    return this.replicas.find((replica) => replica.id === id)!;
  }

  deliver(replica: Replica): void {
    const reg = this.registration;
    if (replica.applied >= reg.partitionEpoch) return;
    replica.applied = reg.partitionEpoch;
    const step = replica.core.applyRegistration(reg);
    this.effects(replica, step.effects);
    if (step.kind === 'lead') {
      replica.log.flush();
      this.effects(replica, replica.core.becomeLeader(reg));
    } else if (step.kind === 'follow') {
      replica.log.flush();
      this.effects(replica, replica.core.becomeFollower(reg));
    } else if (step.kind === 'stale') {
      throw new Error('images never go back in this model');
    }
  }

  effects(replica: Replica, effects: readonly PartitionEffect[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'complete-waiters': {
          const leader = replica.core.leader();
          expect(leader, 'only a leader completes waiters').not.toBeNull();
          for (const id of effect.waiters) {
            const waiter = this.waiters.get(`${replica.id}/${id}`)!;
            expect(waiter, `waiter ${id} of ${replica.id} exists`).toBeDefined();
            expect(
              leader!.highWatermark,
              'a waiter completes once the high watermark passed it',
            ).toBeGreaterThan(waiter.offset);
            expect(replica.log.epochs[waiter.offset], 'the acknowledged record is still there').toBe(
              waiter.epoch,
            );
            this.acknowledged.set(waiter.offset, waiter.epoch);
            this.waiters.delete(`${replica.id}/${id}`);
          }
          break;
        }
        case 'fail-waiters':
          for (const id of effect.waiters) this.waiters.delete(`${replica.id}/${id}`);
          break;
        case 'alter-partition':
          this.inflight.push({ broker: replica.id, proposal: effect.proposal });
          break;
        case 'leadership':
        case 'wake-fetches':
          break;
        default: {
          const unknown: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(unknown)}`);
        }
      }
    }
  }

  step(op: Op): void {
    switch (op.kind) {
      case 'produce': {
        const replica = this.replicas[op.broker]!;
        const leader = replica.core.leader();
        if (leader === null) return;
        replica.log.append(Array.from({ length: op.count }, () => leader.leaderEpoch));
        const last = replica.log.logEndOffset - 1;
        const wait = replica.core.waitForHighWatermark(last);
        expect(wait.kind).toBe('waiting');
        if (wait.kind === 'waiting') {
          this.waiters.set(`${replica.id}/${wait.waiter}`, {
            broker: replica.id,
            offset: last,
            epoch: leader.leaderEpoch,
            deadlineMs: this.now + TIMEOUT_MS,
          });
        }
        return;
      }
      case 'flush': {
        const replica = this.replicas[op.broker]!;
        replica.log.flush();
        this.effects(replica, replica.core.logFlushed());
        return;
      }
      case 'fetch':
        this.fetch(this.replicas[op.broker]!, op.maxRecords, op.flush);
        return;
      case 'bad-fetch': {
        const replica = this.replicas[op.broker]!;
        const leader = replica.core.leader();
        if (leader === null) return;
        const follower = BROKERS.find((id) => id !== replica.id)!;
        const currentLeaderEpoch = leader.leaderEpoch + (op.lastEpochAhead ? 0 : op.epochDelta);
        const lastFetchedEpoch = op.lastEpochAhead ? leader.leaderEpoch + 1 : -1;
        const decision = replica.core.serveFetch(
          follower,
          fetch({ fetchOffset: 0, currentLeaderEpoch, lastFetchedEpoch }),
        );
        const expected =
          op.lastEpochAhead || op.epochDelta > 0 ? 'UNKNOWN_LEADER_EPOCH' : 'FENCED_LEADER_EPOCH';
        expect(decision, 'a fetch of another epoch, or of a newer last epoch, is refused').toMatchObject({
          kind: 'refused',
          error: { name: expected },
        });
        return;
      }
      case 'check-isr': {
        const replica = this.replicas[op.broker]!;
        this.effects(
          replica,
          replica.core.checkIsr(
            (broker) => op.eligible[BROKERS.indexOf(broker as (typeof BROKERS)[number])]!,
          ),
        );
        return;
      }
      case 'answer':
        this.answer(op.index, op.outcome);
        return;
      case 'elect': {
        const reg = this.registration;
        const leader = reg.isr[op.choice % reg.isr.length]!;
        const isr =
          op.dropOldLeader && reg.leader !== leader ? reg.isr.filter((id) => id !== reg.leader) : reg.isr;
        this.registration = {
          ...reg,
          leader,
          isr,
          leaderEpoch: leaderEpoch(reg.leaderEpoch + 1),
          partitionEpoch: partitionEpoch(reg.partitionEpoch + 1),
        };
        return;
      }
      case 'deliver':
        this.deliver(this.replicas[op.broker]!);
        return;
      case 'tick': {
        this.now += op.ms;
        for (const [key, waiter] of [...this.waiters]) {
          if (waiter.deadlineMs > this.now) continue;
          const replica = this.replica(waiter.broker);
          this.effects(replica, replica.core.waiterTimedOut(Number(key.split('/')[1]), TIMEOUT_MS));
        }
        return;
      }
      default: {
        const unknown: never = op;
        throw new Error(`unknown op ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** One round of a follower's fetcher: fetch from the leader it knows, truncate or append, fsync. */
  private fetch(follower: Replica, maxRecords: number, flush: boolean): void {
    if (follower.core.role.kind === 'follower' && follower.log.logEndOffset > follower.log.flushedOffset) {
      expect(() => follower.core.fetchPosition(), 'a follower never reports what it did not flush').toThrow(
        InvariantError,
      );
      return;
    }
    const position = follower.core.fetchPosition();
    if (position === null) return;
    expect(position.fetchOffset, 'a follower reports only what it flushed').toBeLessThanOrEqual(
      follower.log.flushedOffset,
    );
    const leader = this.replica(position.leader);
    const decision = leader.core.serveFetch(
      follower.id,
      fetch({
        fetchOffset: position.fetchOffset,
        currentLeaderEpoch: position.currentLeaderEpoch,
        lastFetchedEpoch: position.lastFetchedEpoch,
      }),
    );
    const view = leader.core.leader();
    if (view === null || view.leaderEpoch !== position.currentLeaderEpoch) {
      expect(decision.kind, 'a fetch of another epoch than the leader is refused').toBe('refused');
    }
    // The answer as it comes over the wire, and what the follower's core makes of it.
    const answer = {
      error: decision.kind === 'refused' ? decision.error : null,
      divergingEpoch: decision.kind === 'diverging' ? decision.divergingEpoch : null,
      logStartOffset: decision.kind === 'read' ? leader.log.logStartOffset : decision.logStartOffset,
    };
    if (decision.kind === 'read') this.effects(leader, decision.effects);
    const step = follower.core.onFetchAnswer(position.leader, position, answer);
    switch (step.kind) {
      case 'ignore':
      case 'restart-at':
        throw new Error(`unexpected ${step.kind}: the follower still follows, and nothing is deleted here`);
      case 'backoff':
        expect(decision.kind).toBe('refused');
        return;
      case 'truncate':
        expect(decision.kind).toBe('diverging');
        expect(
          step.offset,
          'truncation keeps what agrees with the leader (by epoch, not to a high watermark)',
        ).toBeGreaterThanOrEqual(commonPrefix(follower.log, leader.log));
        follower.log.truncateTo(step.offset);
        follower.core.followerTruncated();
        return;
      case 'append': {
        assert(decision.kind === 'read', 'an append follows a read');
        expect(
          commonPrefix(follower.log, leader.log),
          'a credited fetch offset is a prefix of the leader log',
        ).toBeGreaterThanOrEqual(decision.fetchOffset);
        follower.log.append(leader.log.epochs.slice(decision.fetchOffset, decision.fetchOffset + maxRecords));
        if (flush) follower.log.flush();
        const logStart = follower.core.followerFetched(position.currentLeaderEpoch, {
          highWatermark: decision.leader.highWatermark,
          logStartOffset: leader.log.logStartOffset,
        });
        expect(logStart).toBeNull();
        return;
      }
      default: {
        const unknown: never = step;
        throw new Error(`unknown step ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** The model controller (decideAlterPartition's order of checks) answers an AlterPartition. */
  private answer(index: number, outcome: 'commit' | 'commit-lost' | 'lost' | 'refuse'): void {
    if (this.inflight.length === 0) return;
    const [{ broker, proposal }] = this.inflight.splice(index % this.inflight.length, 1) as [
      { broker: BrokerId; proposal: IsrProposal },
    ];
    const replica = this.replica(broker);
    const reg = this.registration;
    let error: KafkaError | null;
    if (reg.leader !== broker || proposal.leaderEpoch !== reg.leaderEpoch)
      error = new KafkaError('FENCED_LEADER_EPOCH', 'fenced');
    else if (proposal.partitionEpoch !== reg.partitionEpoch)
      error = new KafkaError('INVALID_UPDATE_VERSION', 'moved');
    else if (outcome === 'refuse') error = new KafkaError('INVALID_REQUEST', 'refused');
    else if (outcome === 'lost') error = new KafkaError('REQUEST_TIMED_OUT', 'lost before the controller');
    else {
      this.registration = {
        ...reg,
        isr: proposal.newIsr,
        partitionEpoch: partitionEpoch(reg.partitionEpoch + 1),
      };
      error = outcome === 'commit-lost' ? new KafkaError('REQUEST_TIMED_OUT', 'answer lost') : null;
    }
    replica.core.alterPartitionAnswered(proposal, error);
  }

  /** The invariants that hold after every step. */
  check(where: string): void {
    for (const replica of this.replicas) {
      const leader = replica.core.leader();
      const hw = replica.core.highWatermark();
      if (leader === null) {
        expect(hw, `${where}: a follower's high watermark is within its log`).toBeLessThanOrEqual(
          replica.log.logEndOffset,
        );
        this.watched.delete(replica.id);
        continue;
      }
      const before = this.watched.get(replica.id);
      if (before?.leader === leader) {
        expect(
          hw,
          `${where}: the high watermark of ${replica.id} went back within its leadership`,
        ).toBeGreaterThanOrEqual(before.highWatermark);
      }
      this.watched.set(replica.id, { leader, highWatermark: hw });
      expect(hw, `${where}: high watermark above the leader's flushed offset`).toBeLessThanOrEqual(
        replica.log.flushedOffset,
      );
      // The members this leader counts, and the controller's ISR of its epoch: an ISR change whose
      // answer was lost may be committed there while the leader has not seen the image yet.
      const current = this.registration.leaderEpoch === leader.leaderEpoch;
      const maximal = new Set([
        ...leader.isr,
        ...(leader.pendingIsr ?? []),
        ...(current ? this.registration.isr : []),
      ]);
      for (const member of maximal) {
        const log = this.replica(member).log;
        expect(
          Math.min(log.flushedOffset, commonPrefix(log, replica.log)),
          `${where}: high watermark of ${replica.id} passed what ${member} holds durably`,
        ).toBeGreaterThanOrEqual(hw);
      }
      if (leader.leaderEpoch === this.registration.leaderEpoch) {
        for (const [offset, epoch] of this.acknowledged) {
          expect(
            replica.log.epochs[offset],
            `${where}: acknowledged record at ${offset} lost by leader ${replica.id}`,
          ).toBe(epoch);
        }
      }
    }
  }
}

describe('PartitionCore property', () => {
  it('high watermark, acks=all waiters, fetch offsets, epoch fencing and truncation hold under random schedules', () => {
    fc.assert(
      fc.property(
        fc.constantFrom([B1], [B1, B2], [B1, B2, B3]),
        fc.array(opArb, { minLength: 1, maxLength: 200, size: 'max' }),
        (startIsr, ops) => {
          const cluster = new CoreCluster(startIsr);
          cluster.check('at start');
          ops.forEach((op, at) => {
            cluster.step(op);
            cluster.check(`after step ${at} ${JSON.stringify(op)}`);
          });
        },
      ),
      fcParameters('partition core property', 300),
    );
  });
});
