import { assert } from './assert.ts';
import type { LogIndex } from './types.ts';

/**
 * How the leader replicates to one follower or observer (etcd-raft's tracker.Progress):
 * - probe: one append at a time until the follower's log position is known;
 * - replicate: appends are pipelined optimistically, at most `inflightMax` unacknowledged;
 * - snapshot: the follower needs a snapshot; nothing else is sent until it answers.
 * Invariant: 0 <= match < next.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0 as LogIndex;
  next: LogIndex;
  state: ProgressState = 'probe';
  /** In probe state: an append is out and unanswered. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot sent, and when (in leader ticks). */
  pendingSnapshot = 0 as LogIndex;
  snapshotSentTick = 0;
  /** In replicate state: last index of each unacknowledged append, ascending. */
  inflights: LogIndex[] = [];
  readonly isObserver: boolean;
  /**
   * The leader tick at which this peer was last heard from: CheckQuorum counts the voters heard from
   * within an election timeout, and silent observers are dropped.
   */
  lastHeardTick = 0;
  /** The latest read-index round this voter answered a heartbeat of (thesis §6.4). */
  readRoundAcknowledged = 0;
  /**
   * The highest commit index this peer has been sent as one it may apply (an append's commit up to its
   * last entry, a heartbeat's): a caught-up follower behind the leader's commit is sent it at once.
   */
  commitSent = 0 as LogIndex;

  constructor(next: LogIndex, isObserver: boolean) {
    this.next = next;
    this.isObserver = isObserver;
  }

  /** Records that the peer matches up to `index`. Returns whether match moved. */
  maybeUpdate(index: LogIndex): boolean {
    const updated = index > this.match;
    if (updated) this.match = index;
    if (index + 1 > this.next) this.next = (index + 1) as LogIndex;
    this.probeSent = false;
    this.assertInvariant();
    return updated;
  }

  /**
   * The peer rejected an append at `rejected`; `matchHint` is where both logs may agree. Returns false
   * when the rejection is stale (an answer to an append that is no longer the one outstanding).
   */
  maybeDecreaseTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = (this.match + 1) as LogIndex;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1) as LogIndex;
    this.probeSent = false;
    this.assertInvariant();
    return true;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1) as LogIndex;
    } else {
      this.next = (this.match + 1) as LogIndex;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0 as LogIndex;
    this.inflights = [];
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = (this.match + 1) as LogIndex;
    this.probeSent = false;
    this.inflights = [];
  }

  becomeSnapshot(index: LogIndex, tick: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.snapshotSentTick = tick;
    this.inflights = [];
  }

  /** An append covering up to `lastIndex` was sent. */
  sentEntries(lastIndex: LogIndex): void {
    if (this.state === 'replicate') {
      this.inflights.push(lastIndex);
      this.next = (lastIndex + 1) as LogIndex;
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** Frees the inflight slots of appends acknowledged up to `index`. */
  acknowledgedTo(index: LogIndex): void {
    let free = 0;
    while (free < this.inflights.length && this.inflights[free]! <= index) free++;
    if (free > 0) this.inflights.splice(0, free);
  }

  isPaused(inflightMax: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.length >= inflightMax;
      case 'snapshot':
        return true;
    }
  }

  private assertInvariant(): void {
    assert(this.match < this.next, '0 <= match < next', { match: this.match, next: this.next });
  }
}
