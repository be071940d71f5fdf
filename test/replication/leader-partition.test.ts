import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../raft/assert.ts';
import { type BrokerId, brokerId, leaderEpoch, partitionEpoch } from '../../src/metadata/ids.ts';
import type { AlterPartitionOutcome } from '../../src/replication/alter-partition-outcome.ts';
import { type LeaderRegistration, LeaderPartition } from '../../src/replication/leader-partition.ts';
import { fcParameters } from './helpers.ts';

const [B1, B2, B3] = [brokerId(1), brokerId(2), brokerId(3)];
const LAG_MS = 1_000;
const ALL = (_broker: BrokerId) => true;

function registration(options: {
  isr: readonly BrokerId[];
  replicas?: readonly BrokerId[];
  partitionEpoch?: number;
  leaderEpoch?: number;
}): LeaderRegistration {
  return {
    leaderEpoch: leaderEpoch(options.leaderEpoch ?? 0),
    partitionEpoch: partitionEpoch(options.partitionEpoch ?? 0),
    replicas: options.replicas ?? [B1, B2, B3],
    isr: options.isr,
  };
}

function leader(options: {
  isr?: readonly BrokerId[];
  replicas?: readonly BrokerId[];
  logEndOffset?: number;
  highWatermark?: number;
  nowMs?: number;
}): LeaderPartition {
  return new LeaderPartition({
    self: B1,
    registration: registration({
      isr: options.isr ?? [B1, B2, B3],
      ...(options.replicas ? { replicas: options.replicas } : {}),
    }),
    logEndOffset: options.logEndOffset ?? 0,
    highWatermark: options.highWatermark ?? 0,
    nowMs: options.nowMs ?? 0,
  });
}

function propose(state: LeaderPartition, leaderLogEndOffset: number, nowMs: number, eligible = ALL) {
  return state.proposeIsr({ leaderLogEndOffset, nowMs, lagTimeMaxMs: LAG_MS, eligible });
}

describe('LeaderPartition high watermark', () => {
  it('is the smallest of the leader flushed offset and the ISR followers offsets', () => {
    const state = leader({ logEndOffset: 10, highWatermark: 0 });
    state.recordFetch(B2, 5, 10, 1);
    state.recordFetch(B3, 7, 10, 1);
    expect(state.advanceHighWatermark(10)).toBe(true);
    expect(state.highWatermark).toBe(5);
    state.recordFetch(B2, 10, 10, 2);
    expect(state.advanceHighWatermark(10)).toBe(true);
    expect(state.highWatermark).toBe(7);
    state.recordFetch(B3, 10, 10, 3);
    // The leader's own flushed offset bounds it too.
    expect(state.advanceHighWatermark(8)).toBe(true);
    expect(state.highWatermark).toBe(8);
    expect(state.advanceHighWatermark(10)).toBe(true);
    expect(state.highWatermark).toBe(10);
  });

  it('is held back by an ISR member that has not fetched since the leader took over', () => {
    const state = leader({ logEndOffset: 10, highWatermark: 4 });
    state.recordFetch(B2, 10, 10, 1);
    expect(state.followerLogEndOffset(B3)).toBeNull();
    expect(state.advanceHighWatermark(10)).toBe(false);
    expect(state.highWatermark).toBe(4);
    state.recordFetch(B3, 9, 10, 2);
    expect(state.advanceHighWatermark(10)).toBe(true);
    expect(state.highWatermark).toBe(9);
  });

  it('never decreases', () => {
    const state = leader({ logEndOffset: 10, highWatermark: 6 });
    state.recordFetch(B2, 3, 10, 1);
    state.recordFetch(B3, 10, 10, 1);
    expect(state.advanceHighWatermark(10)).toBe(false);
    expect(state.highWatermark).toBe(6);
    state.recordFetch(B2, 10, 10, 2);
    expect(state.advanceHighWatermark(10)).toBe(true);
    expect(state.highWatermark).toBe(10);
    expect(state.advanceHighWatermark(2)).toBe(false);
    expect(state.highWatermark).toBe(10);
  });

  it('ignores replicas outside the ISR', () => {
    const state = leader({ isr: [B1, B2], logEndOffset: 10 });
    state.recordFetch(B2, 10, 10, 1);
    expect(state.advanceHighWatermark(10)).toBe(true);
    expect(state.highWatermark).toBe(10);
    state.recordFetch(B3, 1, 10, 1);
    expect(state.highWatermark).toBe(10);
  });

  it('with an ISR of the leader alone follows the flushed offset', () => {
    const state = leader({ isr: [B1], logEndOffset: 10 });
    expect(state.advanceHighWatermark(7)).toBe(true);
    expect(state.highWatermark).toBe(7);
  });

  it('counts the members a pending ISR change adds (KIP-497 maximal ISR)', () => {
    const state = leader({ isr: [B1, B2], logEndOffset: 10, highWatermark: 10 });
    state.recordFetch(B2, 10, 10, 1);
    state.recordFetch(B3, 10, 10, 1);
    expect(propose(state, 10, 1)).toEqual([B1, B2, B3]);
    // The leader appends up to 20; B2 has it all, B3 not yet.
    state.recordFetch(B2, 20, 20, 2);
    expect(state.advanceHighWatermark(20)).toBe(false);
    expect(state.highWatermark).toBe(10);
    state.recordFetch(B3, 15, 20, 3);
    expect(state.advanceHighWatermark(20)).toBe(true);
    expect(state.highWatermark).toBe(15);
    // Once the controller refused the change, B3 no longer counts.
    state.isrChangeFailed(state.pendingIsr!, 'refused', 4);
    expect(state.advanceHighWatermark(20)).toBe(true);
    expect(state.highWatermark).toBe(20);
  });

  it.each(['unknown', 'superseded'] as const)(
    'keeps counting a joiner whose expansion failed with an %s outcome (the controller may have committed it)',
    (outcome) => {
      const state = leader({ isr: [B1, B2], logEndOffset: 10, highWatermark: 10 });
      state.recordFetch(B2, 10, 10, 1);
      state.recordFetch(B3, 10, 10, 1);
      const proposed = propose(state, 10, 1)!;
      expect(proposed).toEqual([B1, B2, B3]);
      state.isrChangeFailed(proposed, outcome, 100);
      expect(state.pendingIsr).toBe(proposed);
      state.recordFetch(B2, 20, 20, 2);
      state.recordFetch(B3, 12, 20, 2);
      expect(state.advanceHighWatermark(20)).toBe(true);
      expect(state.highWatermark).toBe(12);
    },
  );

  it('keeps the committed ISR members while a pending change removes one', () => {
    const state = leader({ logEndOffset: 10, highWatermark: 0, nowMs: 0 });
    state.recordFetch(B2, 10, 10, 1);
    state.recordFetch(B3, 0, 10, 1);
    expect(propose(state, 10, LAG_MS + 2)).toEqual([B1, B2]);
    expect(state.advanceHighWatermark(10)).toBe(false);
    expect(state.highWatermark).toBe(0);
  });
});

describe('LeaderPartition caught-up rules and ISR shrink', () => {
  it('a fetch at the leader log end offset makes the follower caught up now', () => {
    const state = leader({ replicas: [B1, B2], isr: [B1, B2], logEndOffset: 10, nowMs: 0 });
    state.recordFetch(B2, 10, 10, 1_000);
    // Now the leader has appended up to 20 and B2 has not fetched again.
    expect(propose(state, 20, 1_000 + LAG_MS)).toBeNull();
    expect(propose(state, 20, 1_001 + LAG_MS)).toEqual([B1]);
  });

  it('a fetch at the previous fetch leader log end offset credits the previous fetch time', () => {
    const state = leader({ replicas: [B1, B2], isr: [B1, B2], logEndOffset: 10, nowMs: 0 });
    state.recordFetch(B2, 0, 10, 100);
    // At 200 it asks for 10: it had everything the leader had at 100.
    state.recordFetch(B2, 10, 20, 200);
    expect(propose(state, 20, 100 + LAG_MS)).toBeNull();
    expect(propose(state, 20, 101 + LAG_MS)).toEqual([B1]);
  });

  it('a fetch below the previous fetch leader log end offset credits nothing', () => {
    const state = leader({ replicas: [B1, B2], isr: [B1, B2], logEndOffset: 10, nowMs: 0 });
    state.recordFetch(B2, 0, 10, 100);
    state.recordFetch(B2, 5, 20, 200);
    expect(propose(state, 20, LAG_MS)).toBeNull();
    expect(propose(state, 20, LAG_MS + 1)).toEqual([B1]);
  });

  it('never removes a member that has everything, however long ago it fetched', () => {
    const state = leader({ replicas: [B1, B2], isr: [B1, B2], logEndOffset: 10, nowMs: 0 });
    state.recordFetch(B2, 10, 10, 1);
    expect(propose(state, 10, 100 * LAG_MS)).toBeNull();
  });

  it('removes a member that never fetched once lag time has passed since the leader took over', () => {
    const state = leader({ replicas: [B1, B2], isr: [B1, B2], logEndOffset: 0, nowMs: 500 });
    expect(propose(state, 0, 500 + LAG_MS)).toBeNull();
    expect(propose(state, 0, 501 + LAG_MS)).toEqual([B1]);
  });

  it('removes every lagging member in one proposal, never the leader', () => {
    const state = leader({ logEndOffset: 10, nowMs: 0 });
    expect(propose(state, 10, LAG_MS + 1)).toEqual([B1]);
  });
});

describe('LeaderPartition silent followers (replica.silence.time.max.ms)', () => {
  const SILENCE_MS = 300;
  const proposeWithSilent = (
    state: LeaderPartition,
    leaderLogEndOffset: number,
    nowMs: number,
    silentBrokers: readonly BrokerId[],
  ) =>
    state.proposeIsr({
      leaderLogEndOffset,
      nowMs,
      lagTimeMaxMs: LAG_MS,
      silence: { minMs: SILENCE_MS, isSilent: (broker) => silentBrokers.includes(broker) },
      eligible: ALL,
    });

  it('removes a member that is behind, whose broker is silent and that sent no fetch for the silence time, long before the lag time', () => {
    const state = leader({ logEndOffset: 10, nowMs: 0 });
    state.recordFetch(B2, 10, 10, 100);
    state.recordFetch(B3, 10, 10, 100);
    // Both behind for more than the silence time; only broker 3 is silent.
    expect(proposeWithSilent(state, 20, 100 + SILENCE_MS, [B3])).toBeNull();
    expect(proposeWithSilent(state, 20, 101 + SILENCE_MS, [B3])).toEqual([B1, B2]);
  });

  it('keeps a member whose broker still fetches (other partitions), however long this one waits', () => {
    const state = leader({ logEndOffset: 10, nowMs: 0 });
    state.recordFetch(B2, 10, 10, 1);
    state.recordFetch(B3, 10, 10, 1);
    expect(proposeWithSilent(state, 20, LAG_MS, [])).toBeNull();
    // The lag rule still applies.
    expect(proposeWithSilent(state, 20, LAG_MS + 2, [])).toEqual([B1]);
  });

  it('never removes a silent member that has everything, nor counts silence when not asked', () => {
    const state = leader({ logEndOffset: 10, nowMs: 0 });
    state.recordFetch(B2, 10, 10, 1);
    state.recordFetch(B3, 10, 10, 1);
    // Nothing appended: silent followers hold nothing up.
    expect(proposeWithSilent(state, 10, 3 * SILENCE_MS, [B2, B3])).toBeNull();
    // Behind and silent, but silence does not count this time (off, or the check ran late).
    expect(propose(state, 20, 3 * SILENCE_MS)).toBeNull();
    expect(
      state.proposeIsr({
        leaderLogEndOffset: 20,
        nowMs: 3 * SILENCE_MS,
        lagTimeMaxMs: LAG_MS,
        silence: null,
        eligible: ALL,
      }),
    ).toBeNull();
  });

  it('gives a new leader the silence time from its start before a silent follower leaves', () => {
    const state = leader({ logEndOffset: 10, nowMs: 1_000 });
    expect(proposeWithSilent(state, 20, 1_000 + SILENCE_MS, [B2, B3])).toBeNull();
    expect(proposeWithSilent(state, 20, 1_001 + SILENCE_MS, [B2, B3])).toEqual([B1]);
  });
});

describe('LeaderPartition ISR expansion', () => {
  it('adds a follower once it reached both the high watermark and the epoch start offset', () => {
    // Took over at 10 with a high watermark of 5.
    const state = leader({ isr: [B1], logEndOffset: 10, highWatermark: 5 });
    state.recordFetch(B2, 7, 10, 1);
    expect(propose(state, 10, 1)).toBeNull();
    state.recordFetch(B2, 10, 10, 2);
    expect(propose(state, 10, 2)).toEqual([B1, B2]);
  });

  it('waits for the follower to reach a high watermark beyond the epoch start', () => {
    const state = leader({ isr: [B1, B2], logEndOffset: 10, highWatermark: 10 });
    state.recordFetch(B2, 20, 20, 1);
    expect(state.advanceHighWatermark(20)).toBe(true);
    state.recordFetch(B3, 15, 20, 1);
    expect(propose(state, 20, 1)).toBeNull();
    state.recordFetch(B3, 20, 20, 2);
    expect(propose(state, 20, 2)).toEqual([B1, B2, B3]);
  });

  it('adds only eligible brokers', () => {
    const state = leader({ isr: [B1], logEndOffset: 0 });
    state.recordFetch(B2, 0, 0, 1);
    state.recordFetch(B3, 0, 0, 1);
    expect(propose(state, 0, 1, (broker) => broker !== B2)).toEqual([B1, B3]);
  });

  it('never adds a replica that has not fetched', () => {
    const state = leader({ isr: [B1], logEndOffset: 0 });
    expect(propose(state, 0, 1)).toBeNull();
  });

  it('adds and removes in one proposal', () => {
    const state = leader({ isr: [B1, B2], logEndOffset: 10, highWatermark: 10, nowMs: 0 });
    state.recordFetch(B3, 10, 10, 1);
    expect(propose(state, 20, LAG_MS + 1)).toEqual([B1, B3]);
  });
});

describe('LeaderPartition pending ISR changes', () => {
  it('proposes nothing while a change is pending; a failed change allows a new proposal', () => {
    const state = leader({ isr: [B1], logEndOffset: 0 });
    state.recordFetch(B2, 0, 0, 1);
    expect(propose(state, 0, 1)).toEqual([B1, B2]);
    expect(state.pendingIsr).toEqual([B1, B2]);
    state.recordFetch(B3, 0, 0, 2);
    expect(propose(state, 0, 2)).toBeNull();
    state.isrChangeFailed(state.pendingIsr!, 'refused', 2);
    expect(state.pendingIsr).toBeNull();
    expect(propose(state, 0, 3)).toEqual([B1, B2, B3]);
  });

  it('sends a change of unknown outcome again, unchanged, once its resend is due', () => {
    const state = leader({ isr: [B1], logEndOffset: 0 });
    state.recordFetch(B2, 0, 0, 1);
    const proposed = propose(state, 0, 1)!;
    expect(proposed).toEqual([B1, B2]);
    // B3 catches up meanwhile: the resend is still the first proposal, not a new one.
    state.recordFetch(B3, 0, 0, 2);
    state.isrChangeFailed(proposed, 'unknown', 50);
    expect(propose(state, 0, 49)).toBeNull();
    expect(propose(state, 0, 50)).toBe(proposed);
    // In flight again: nothing more until it is answered.
    expect(propose(state, 0, 51)).toBeNull();
    state.isrChangeFailed(proposed, 'unknown', 60);
    expect(propose(state, 0, 60)).toBe(proposed);
    // Committed at last: the image clears it.
    state.updateRegistration(registration({ isr: [B1, B2], partitionEpoch: 1 }), 61);
    expect(state.pendingIsr).toBeNull();
    expect(propose(state, 0, 62)).toEqual([B1, B2, B3]);
  });

  it('keeps a superseded or accepted change pending, unsent, until the image moves', () => {
    for (const settle of [
      (state: LeaderPartition, proposed: readonly BrokerId[]) =>
        state.isrChangeFailed(proposed, 'superseded', 0),
      (state: LeaderPartition, proposed: readonly BrokerId[]) => state.isrChangeAccepted(proposed),
    ]) {
      const state = leader({ isr: [B1], logEndOffset: 0 });
      state.recordFetch(B2, 0, 0, 1);
      const proposed = propose(state, 0, 1)!;
      settle(state, proposed);
      expect(propose(state, 0, 10_000)).toBeNull();
      expect(state.pendingIsr).toBe(proposed);
      state.updateRegistration(registration({ isr: [B1], partitionEpoch: 1 }), 10_001);
      expect(state.pendingIsr).toBeNull();
    }
  });

  it('a late answer to an older proposal changes nothing', () => {
    const state = leader({ isr: [B1], logEndOffset: 0 });
    state.recordFetch(B2, 0, 0, 1);
    const older = propose(state, 0, 1)!;
    state.updateRegistration(registration({ isr: [B1], partitionEpoch: 1 }), 2);
    const newer = propose(state, 0, 3)!;
    expect(newer).not.toBe(older);
    state.isrChangeFailed(older, 'refused', 4);
    expect(state.pendingIsr).toBe(newer);
  });

  it('a registration with a new partition epoch clears the pending change; the same epoch keeps it', () => {
    const state = leader({ isr: [B1], logEndOffset: 0 });
    state.recordFetch(B2, 0, 0, 1);
    expect(propose(state, 0, 1)).toEqual([B1, B2]);
    state.updateRegistration(registration({ isr: [B1], partitionEpoch: 0 }), 2);
    expect(state.pendingIsr).toEqual([B1, B2]);
    state.updateRegistration(registration({ isr: [B1, B2], partitionEpoch: 1 }), 3);
    expect(state.pendingIsr).toBeNull();
    expect(state.isr).toEqual([B1, B2]);
    expect(state.partitionEpoch).toBe(1);
  });

  it('forgets a replica removed from the assignment and starts a new one unknown', () => {
    const state = leader({ logEndOffset: 0 });
    state.recordFetch(B3, 0, 0, 1);
    state.updateRegistration(registration({ replicas: [B1, B2], isr: [B1, B2], partitionEpoch: 1 }), 2);
    expect(state.followerLogEndOffset(B3)).toBeNull();
    expect(() => state.recordFetch(B3, 0, 0, 3)).toThrow(InvariantError);
    const B4 = brokerId(4);
    state.updateRegistration(registration({ replicas: [B1, B2, B4], isr: [B1, B2], partitionEpoch: 2 }), 4);
    expect(state.followerLogEndOffset(B4)).toBeNull();
    state.recordFetch(B4, 0, 0, 5);
    expect(state.followerLogEndOffset(B4)).toBe(0);
  });

  it('refuses a registration of another leader epoch, a follower ahead of the leader, a leader outside its ISR', () => {
    const state = leader({ logEndOffset: 5 });
    expect(() => state.updateRegistration(registration({ isr: [B1], leaderEpoch: 1 }), 1)).toThrow(
      InvariantError,
    );
    expect(() => state.recordFetch(B2, 6, 5, 1)).toThrow(InvariantError);
    expect(
      () =>
        new LeaderPartition({
          self: B1,
          registration: registration({ isr: [B2] }),
          logEndOffset: 0,
          highWatermark: 0,
          nowMs: 0,
        }),
    ).toThrow(InvariantError);
  });
});

// ---------------------------------------------------------------------------------------------------
// Property: whatever the interleaving of appends, flushes, fetches, ISR proposals and their outcomes,
// the high watermark never decreases, never passes the leader's flushed offset, and never passes the
// offset of a member of the maximal ISR. Followers behave as real ones do: their fetch offsets only
// grow and never pass the leader's log end offset; ISR members start with at least the high watermark.

type Op =
  | { kind: 'append'; count: number }
  | { kind: 'flush'; count: number }
  | { kind: 'fetch'; follower: 0 | 1; count: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'propose'; eligible: [boolean, boolean]; silence: boolean }
  | { kind: 'commit' }
  | { kind: 'fail'; outcome: AlterPartitionOutcome }
  | { kind: 'fence'; follower: 0 | 1 }
  | { kind: 'advance' };

const followerArb = fc.constantFrom<0 | 1>(0, 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('flush' as const), count: fc.integer({ min: 0, max: 6 }) }),
  fc.record({
    kind: fc.constant('fetch' as const),
    follower: followerArb,
    count: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2 * LAG_MS }) }),
  fc.record({
    kind: fc.constant('propose' as const),
    eligible: fc.tuple(fc.boolean(), fc.boolean()),
    silence: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('commit' as const) }),
  fc.record({
    kind: fc.constant('fail' as const),
    outcome: fc.constantFrom<AlterPartitionOutcome>('refused', 'superseded', 'unknown'),
  }),
  fc.record({ kind: fc.constant('fence' as const), follower: followerArb }),
  fc.record({ kind: fc.constant('advance' as const) }),
);

const startArb = fc
  .record({
    logEndOffset: fc.integer({ min: 0, max: 20 }),
    hwBack: fc.integer({ min: 0, max: 20 }),
    inIsr: fc.tuple(fc.boolean(), fc.boolean()),
    ahead: fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })),
  })
  .map(({ logEndOffset, hwBack, inIsr, ahead }) => {
    const highWatermark = Math.max(0, logEndOffset - hwBack);
    // ISR members hold at least the high watermark; other replicas anything up to the log end.
    const offsets = ahead.map((a, i) =>
      inIsr[i] ? Math.min(logEndOffset, highWatermark + a) : Math.min(logEndOffset, a),
    );
    return { logEndOffset, highWatermark, inIsr, offsets };
  });

describe('LeaderPartition property', () => {
  it('the high watermark never decreases and never passes the flushed offset or a maximal-ISR member', () => {
    fc.assert(
      fc.property(startArb, fc.array(opArb, { minLength: 1, maxLength: 80 }), (start, ops) => {
        const followers = [B2, B3] as const;
        let now = 0;
        let logEnd = start.logEndOffset;
        let flushed = logEnd;
        // What each follower really holds (it reports it on its next fetch).
        const held = [...start.offsets];
        let isr: BrokerId[] = [B1, ...followers.filter((_, i) => start.inIsr[i])];
        let epoch = 0;
        // The proposal the controller may still commit: sent and not refused, not overtaken by a
        // committed change. Its joiners may be in the controller's ISR whatever the leader was told.
        let sent: readonly BrokerId[] | null = null;
        const state = new LeaderPartition({
          self: B1,
          registration: registration({ isr }),
          logEndOffset: logEnd,
          highWatermark: start.highWatermark,
          nowMs: now,
        });
        let previous = state.highWatermark;
        const check = (op: Op) => {
          const hw = state.highWatermark;
          const where = `after ${JSON.stringify(op)}`;
          expect(hw, `${where}: decreased`).toBeGreaterThanOrEqual(previous);
          expect(hw, `${where}: beyond the flushed offset`).toBeLessThanOrEqual(flushed);
          const maximal = new Set([...isr, ...(sent ?? [])]);
          for (const [i, follower] of followers.entries()) {
            if (!maximal.has(follower)) continue;
            const known = state.followerLogEndOffset(follower);
            // A member not heard from holds the high watermark where the leader found it.
            if (known === null) expect(hw, `${where}: passed silent ${follower}`).toBe(start.highWatermark);
            else expect(hw, `${where}: passed ${follower}`).toBeLessThanOrEqual(known);
            expect(hw, `${where}: passed what ${follower} holds`).toBeLessThanOrEqual(held[i]!);
          }
          previous = hw;
        };
        for (const op of ops) {
          switch (op.kind) {
            case 'append':
              logEnd += op.count;
              break;
            case 'flush':
              flushed = Math.min(logEnd, flushed + op.count);
              break;
            case 'fetch': {
              const i = op.follower;
              held[i] = Math.min(logEnd, held[i]! + op.count);
              state.recordFetch(followers[i], held[i]!, logEnd, now);
              state.advanceHighWatermark(flushed);
              break;
            }
            case 'tick':
              now += op.ms;
              break;
            case 'propose': {
              const proposed = state.proposeIsr({
                leaderLogEndOffset: logEnd,
                nowMs: now,
                lagTimeMaxMs: LAG_MS,
                // Silence counting or not: a faster shrink never lets the high watermark misbehave.
                silence: op.silence ? { minMs: LAG_MS / 4, isSilent: () => true } : null,
                eligible: (broker) => broker === B1 || op.eligible[followers.indexOf(broker)]!,
              });
              if (proposed !== null) sent = proposed;
              break;
            }
            case 'commit': {
              if (sent === null) break;
              isr = [...sent];
              sent = null;
              epoch += 1;
              state.updateRegistration(registration({ isr, partitionEpoch: epoch }), now);
              state.advanceHighWatermark(flushed);
              break;
            }
            case 'fail':
              if (sent === null) break;
              state.isrChangeFailed(sent, op.outcome, now);
              if (op.outcome === 'refused') sent = null;
              break;
            case 'fence': {
              // The controller drops a fenced broker from the ISR on its own.
              const follower = followers[op.follower];
              if (!isr.includes(follower)) break;
              isr = isr.filter((member) => member !== follower);
              // The partition epoch moves: the controller can no longer commit the proposal in flight.
              sent = null;
              epoch += 1;
              state.updateRegistration(registration({ isr, partitionEpoch: epoch }), now);
              state.advanceHighWatermark(flushed);
              break;
            }
            case 'advance':
              state.advanceHighWatermark(flushed);
              break;
          }
          check(op);
        }
      }),
      fcParameters('high watermark property', 500),
    );
  });
});
