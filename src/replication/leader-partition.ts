// What the leader of one partition knows about its followers, and what it decides from it: the high
// watermark and the changes of the ISR it asks the controller for. Pure: time comes in as numbers, the
// log's offsets as arguments, and the caller sends the AlterPartition.
//
// - A follower's fetch at offset o says it holds every record below o, fsynced (followers flush before
//   they fetch again). The leader credits o only after the fetch passed the epoch and divergence checks.
// - High watermark = the smallest of the leader's flushed offset and the log end offsets of the
//   "maximal ISR" (KIP-497: the committed ISR plus members a pending change adds), never decreasing.
//   A member whose offset is not known yet (no fetch since this leader took over) holds it back.
// - Caught up (Kafka's Replica.updateFetchState): a fetch at or beyond the leader's log end offset makes
//   the follower caught up now; a fetch at or beyond the log end offset of the previous fetch makes it
//   caught up as of that previous fetch.
// - Expansion: a replica outside the ISR joins once it reaches the high watermark and the start of this
//   leader's epoch (so its log has been truncated to this leader's history).
// - Shrink: an ISR member that has not been caught up for replica.lag.time.max.ms and is behind.
// - A proposal stays pending (and counted by the maximal ISR) until the committed registration moves to
//   another partition epoch, or the controller definitely refused it (alter-partition-outcome.ts); one
//   whose outcome is unknown is sent again, unchanged (Kafka's Partition.handleAlterPartitionError).
import { assert } from '../../raft/assert.ts';
import type { BrokerId, LeaderEpoch, PartitionEpoch } from '../metadata/ids.ts';
import type { AlterPartitionOutcome } from './alter-partition-outcome.ts';

export interface LeaderRegistration {
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
  readonly replicas: readonly BrokerId[];
  readonly isr: readonly BrokerId[];
}

interface PendingIsrChange {
  readonly isr: readonly BrokerId[];
  /**
   * in-flight: sent, no answer yet; resend: the outcome is unknown, send it again from `resendAtMs`;
   * awaiting-image: the controller accepted it or moved on, the committed image will say which.
   */
  state: 'in-flight' | 'resend' | 'awaiting-image';
  resendAtMs: number;
}

interface FollowerState {
  /** null: no fetch from this follower since this leader took over. */
  logEndOffset: number | null;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  lastFetchLeaderLogEndOffset: number;
}

/** replica.silence.time.max.ms (`minMs`), and which follower brokers have gone silent. */
export interface SilentFollowers {
  readonly minMs: number;
  readonly isSilent: (broker: BrokerId) => boolean;
}

export class LeaderPartition {
  readonly self: BrokerId;
  /** The log end offset when this leader took over: its epoch's first offset. */
  readonly epochStartOffset: number;
  private registration: LeaderRegistration;
  private readonly followers = new Map<BrokerId, FollowerState>();
  private highWatermarkOffset: number;
  private pending: PendingIsrChange | null = null;

  constructor(options: {
    self: BrokerId;
    registration: LeaderRegistration;
    logEndOffset: number;
    highWatermark: number;
    nowMs: number;
  }) {
    const { self, registration } = options;
    assert(registration.isr.includes(self), 'a leader is in its ISR', { self, isr: registration.isr });
    assert(options.highWatermark <= options.logEndOffset, 'high watermark within the log', options);
    this.self = self;
    this.registration = registration;
    this.epochStartOffset = options.logEndOffset;
    this.highWatermarkOffset = options.highWatermark;
    for (const replica of registration.replicas) this.addFollower(replica, options.nowMs);
  }

  get leaderEpoch(): LeaderEpoch {
    return this.registration.leaderEpoch;
  }
  get partitionEpoch(): PartitionEpoch {
    return this.registration.partitionEpoch;
  }
  get isr(): readonly BrokerId[] {
    return this.registration.isr;
  }
  get replicas(): readonly BrokerId[] {
    return this.registration.replicas;
  }
  get highWatermark(): number {
    return this.highWatermarkOffset;
  }
  /** The ISR change sent to the controller and not yet seen committed, if any. */
  get pendingIsr(): readonly BrokerId[] | null {
    return this.pending?.isr ?? null;
  }

  followerLogEndOffset(follower: BrokerId): number | null {
    return this.followers.get(follower)?.logEndOffset ?? null;
  }

  /** The committed registration moved on (same leader epoch): a new ISR, replicas or partition epoch. */
  updateRegistration(registration: LeaderRegistration, nowMs: number): void {
    assert(registration.leaderEpoch === this.registration.leaderEpoch, 'same leader epoch', {
      before: this.registration.leaderEpoch,
      after: registration.leaderEpoch,
    });
    if (registration.partitionEpoch !== this.registration.partitionEpoch) this.pending = null;
    this.registration = registration;
    for (const replica of registration.replicas) this.addFollower(replica, nowMs);
    for (const follower of [...this.followers.keys()]) {
      if (!registration.replicas.includes(follower)) this.followers.delete(follower);
    }
  }

  /** Credits a follower's fetch at `fetchOffset` (after the epoch and divergence checks passed). */
  recordFetch(follower: BrokerId, fetchOffset: number, leaderLogEndOffset: number, nowMs: number): void {
    const state = this.followers.get(follower);
    assert(state !== undefined, () => `broker ${follower} is not a follower of this partition`);
    assert(fetchOffset <= leaderLogEndOffset, 'a follower is never ahead of its leader', {
      follower,
      fetchOffset,
      leaderLogEndOffset,
    });
    if (fetchOffset >= leaderLogEndOffset) state.lastCaughtUpMs = Math.max(state.lastCaughtUpMs, nowMs);
    else if (fetchOffset >= state.lastFetchLeaderLogEndOffset) {
      state.lastCaughtUpMs = Math.max(state.lastCaughtUpMs, state.lastFetchMs);
    }
    state.logEndOffset = fetchOffset;
    state.lastFetchMs = nowMs;
    state.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
  }

  /**
   * Moves the high watermark up to what every member of the maximal ISR holds durably; `leaderFlushed`
   * is the leader's own fsynced offset. True when it moved.
   */
  advanceHighWatermark(leaderFlushed: number): boolean {
    let candidate = leaderFlushed;
    for (const member of this.maximalIsr()) {
      if (member === this.self) continue;
      const offset = this.followers.get(member)?.logEndOffset ?? null;
      if (offset === null) return false;
      candidate = Math.min(candidate, offset);
    }
    if (candidate <= this.highWatermarkOffset) return false;
    this.highWatermarkOffset = candidate;
    return true;
  }

  /**
   * The ISR to ask the controller for, or null when nothing should change or a change is in flight.
   * A pending change whose outcome is unknown comes back (the same array) once its resend is due.
   * `eligible` says whether a broker may join an ISR (registered, unfenced, not shutting down).
   */
  proposeIsr(options: {
    leaderLogEndOffset: number;
    nowMs: number;
    lagTimeMaxMs: number;
    /**
     * Silent followers (replica.silence.time.max.ms), or null when silence does not count now (off, or
     * the caller's own event loop may have held fetches back): a member that is behind, whose broker
     * `isSilent` (no fetch from it at all for a while), and that sent no fetch for this partition for
     * `minMs` (a leadership that has just begun waits that long), leaves.
     */
    silence?: SilentFollowers | null;
    eligible: (broker: BrokerId) => boolean;
  }): readonly BrokerId[] | null {
    if (this.pending !== null) {
      if (this.pending.state !== 'resend' || options.nowMs < this.pending.resendAtMs) return null;
      this.pending.state = 'in-flight';
      return this.pending.isr;
    }
    const isr = this.registration.isr;
    const joining = this.registration.replicas.filter((replica) => {
      if (isr.includes(replica) || !options.eligible(replica)) return false;
      const offset = this.followers.get(replica)?.logEndOffset ?? null;
      return offset !== null && offset >= this.highWatermarkOffset && offset >= this.epochStartOffset;
    });
    const leaving = isr.filter((member) => {
      if (member === this.self) return false;
      const state = this.followers.get(member)!;
      const behind = state.logEndOffset === null || state.logEndOffset < options.leaderLogEndOffset;
      if (!behind) return false;
      // Kafka's rule: not caught up for replica.lag.time.max.ms. And ours: silent (paused, cut off by a
      // stalled network) for replica.silence.time.max.ms, long before its broker session expires; a live
      // follower that is behind sends its next fetch as soon as it has written the last answer.
      const silence = options.silence ?? null;
      return (
        options.nowMs - state.lastCaughtUpMs > options.lagTimeMaxMs ||
        (silence !== null && options.nowMs - state.lastFetchMs > silence.minMs && silence.isSilent(member))
      );
    });
    if (joining.length === 0 && leaving.length === 0) return null;
    const proposed = [...isr.filter((member) => !leaving.includes(member)), ...joining];
    this.pending = { isr: proposed, state: 'in-flight', resendAtMs: options.nowMs };
    return proposed;
  }

  /** The controller committed `proposed`: it stays pending until the committed image shows it. */
  isrChangeAccepted(proposed: readonly BrokerId[]): void {
    if (this.pending?.isr === proposed) this.pending.state = 'awaiting-image';
  }

  /**
   * The AlterPartition of `proposed` failed with `outcome`. Only a refusal forgets it (a later check may
   * propose afresh); an unknown outcome is sent again from `resendAtMs`; a superseded one waits for the
   * image. A late answer to an older proposal changes nothing.
   */
  isrChangeFailed(proposed: readonly BrokerId[], outcome: AlterPartitionOutcome, resendAtMs: number): void {
    const pending = this.pending;
    if (pending?.isr !== proposed) return;
    switch (outcome) {
      case 'refused':
        this.pending = null;
        return;
      case 'superseded':
        pending.state = 'awaiting-image';
        return;
      case 'unknown':
        pending.state = 'resend';
        pending.resendAtMs = resendAtMs;
        return;
      default: {
        const unknownOutcome: never = outcome;
        throw new Error(`unknown AlterPartition outcome ${String(unknownOutcome)}`);
      }
    }
  }

  private maximalIsr(): BrokerId[] {
    const members = new Set(this.registration.isr);
    for (const member of this.pending?.isr ?? []) members.add(member);
    return [...members];
  }

  private addFollower(replica: BrokerId, nowMs: number): void {
    if (replica === this.self || this.followers.has(replica)) return;
    this.followers.set(replica, {
      logEndOffset: null,
      lastCaughtUpMs: nowMs,
      lastFetchMs: nowMs,
      lastFetchLeaderLogEndOffset: 0,
    });
  }
}
