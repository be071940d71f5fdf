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
import { assert } from '../../raft/assert.ts';
import type { BrokerId, LeaderEpoch, PartitionEpoch } from '../metadata/ids.ts';

export interface LeaderRegistration {
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
  readonly replicas: readonly BrokerId[];
  readonly isr: readonly BrokerId[];
}

interface FollowerState {
  /** null: no fetch from this follower since this leader took over. */
  logEndOffset: number | null;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  lastFetchLeaderLogEndOffset: number;
}

export class LeaderPartition {
  readonly self: BrokerId;
  /** The log end offset when this leader took over: its epoch's first offset. */
  readonly epochStartOffset: number;
  private registration: LeaderRegistration;
  private readonly followers = new Map<BrokerId, FollowerState>();
  private highWatermarkOffset: number;
  private pending: readonly BrokerId[] | null = null;

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
    return this.pending;
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
   * `eligible` says whether a broker may join an ISR (registered, unfenced, not shutting down).
   */
  proposeIsr(options: {
    leaderLogEndOffset: number;
    nowMs: number;
    lagTimeMaxMs: number;
    eligible: (broker: BrokerId) => boolean;
  }): readonly BrokerId[] | null {
    if (this.pending !== null) return null;
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
      return behind && options.nowMs - state.lastCaughtUpMs > options.lagTimeMaxMs;
    });
    if (joining.length === 0 && leaving.length === 0) return null;
    const proposed = [...isr.filter((member) => !leaving.includes(member)), ...joining];
    this.pending = proposed;
    return proposed;
  }

  /**
   * The controller refused `proposed` or did not answer: a later check may propose again. A late failure
   * of an older proposal leaves a newer one pending.
   */
  isrChangeFailed(proposed: readonly BrokerId[]): void {
    if (this.pending === proposed) this.pending = null;
  }

  private maximalIsr(): BrokerId[] {
    const members = new Set(this.registration.isr);
    for (const member of this.pending ?? []) members.add(member);
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
