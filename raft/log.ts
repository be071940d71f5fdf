import { assert } from './assert.ts';
import type { Entry, LogIndex, Membership, Snapshot, Term } from './types.ts';

/**
 * The in-memory Raft log of one node: the last snapshot, then the entries after it.
 *
 * Entries up to `stableIndex` are durable; those from `unstableFrom` on have not been handed to storage
 * yet. The metadata log is compacted by snapshots, so holding it in memory is cheap; storage is written
 * to, never read from, while the node runs.
 *
 * Invariants: applied <= committed <= lastIndex; snapshotIndex <= applied;
 * stableIndex < unstableFrom <= lastIndex + 1.
 */
export class RaftLog {
  private snapshotIndex: LogIndex;
  private snapshotTerm: Term;
  private entries: Entry[];
  /** The latest snapshot with its data, kept to send to followers that are behind it. */
  snapshot: Snapshot | null;
  committed: LogIndex;
  applied: LogIndex;
  stableIndex: LogIndex;
  unstableFrom: LogIndex;

  constructor(snapshot: Snapshot | null, entries: readonly Entry[], committed: LogIndex) {
    this.snapshot = snapshot;
    this.snapshotIndex = snapshot?.metadata.index ?? (0 as LogIndex);
    this.snapshotTerm = snapshot?.metadata.term ?? (0 as Term);
    this.entries = entries.filter((entry) => entry.index > this.snapshotIndex);
    for (let i = 0; i < this.entries.length; i++) {
      assert(this.entries[i]!.index === this.snapshotIndex + 1 + i, 'recovered entries are contiguous', {
        expected: this.snapshotIndex + 1 + i,
        actual: this.entries[i]!.index,
      });
    }
    // The commit index is persisted lazily and beside the log, so it may be ahead of the durable log
    // after a crash; entries beyond the log are learned again from the leader.
    this.committed = Math.min(Math.max(committed, this.snapshotIndex), this.lastIndex()) as LogIndex;
    this.applied = this.snapshotIndex;
    this.stableIndex = this.lastIndex();
    this.unstableFrom = (this.lastIndex() + 1) as LogIndex;
  }

  firstIndex(): LogIndex {
    return (this.snapshotIndex + 1) as LogIndex;
  }

  lastIndex(): LogIndex {
    return (this.snapshotIndex + this.entries.length) as LogIndex;
  }

  lastTerm(): Term {
    return this.term(this.lastIndex()) ?? (0 as Term);
  }

  /** The term of the entry at `index`, or null if it was compacted away or does not exist. */
  term(index: LogIndex): Term | null {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return null;
    return this.entries[index - this.snapshotIndex - 1]!.term;
  }

  matchTerm(index: LogIndex, term: Term): boolean {
    return this.term(index) === term;
  }

  /** Raft §5.4.1: the candidate's log is at least as up to date as this one. */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [from, lastIndex], at least one if any, then as many as fit in `bytesMax`. */
  slice(from: LogIndex, bytesMax: number): Entry[] {
    assert(from > this.snapshotIndex, 'slice starts after the snapshot', { from, snapshotIndex: this.snapshotIndex });
    const result: Entry[] = [];
    let bytes = 0;
    for (let index = from; index <= this.lastIndex(); index++) {
      const entry = this.entries[index - this.snapshotIndex - 1]!;
      bytes += entry.data.length + 24;
      if (result.length > 0 && bytes > bytesMax) break;
      result.push(entry);
    }
    return result;
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.unstableFrom - this.snapshotIndex - 1);
  }

  /** Committed entries not applied yet. They are durable (or become so in the same Ready) before apply. */
  nextCommittedEntries(): Entry[] {
    if (this.committed <= this.applied) return [];
    return this.entries.slice(this.applied - this.snapshotIndex, this.committed - this.snapshotIndex);
  }

  /** The leader appends its own proposals. */
  append(entries: readonly Entry[]): void {
    for (const entry of entries) {
      assert(entry.index === this.lastIndex() + 1, 'appended entries are contiguous', {
        index: entry.index,
        lastIndex: this.lastIndex(),
      });
      this.entries.push(entry);
    }
  }

  /**
   * Appends entries received from the leader whose previous entry matched: skips those already present,
   * truncates at the first conflict (Raft §5.3). Never truncates a committed entry.
   */
  appendFromLeader(entries: readonly Entry[]): void {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.index <= this.snapshotIndex) continue;
      const existing = this.term(entry.index);
      if (existing === entry.term) continue;
      if (existing !== null) this.truncateFrom(entry.index);
      this.append(entries.slice(i));
      return;
    }
  }

  private truncateFrom(index: LogIndex): void {
    assert(index > this.committed, 'never truncate a committed entry', { index, committed: this.committed });
    this.entries.length = index - this.snapshotIndex - 1;
    if (index < this.unstableFrom) this.unstableFrom = index;
    if (index <= this.stableIndex) this.stableIndex = (index - 1) as LogIndex;
  }

  commitTo(index: LogIndex): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), 'commit within the log', { index, lastIndex: this.lastIndex() });
    this.committed = index;
    return true;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term: where a follower's log and a
   * leader's can first agree (etcd-raft's findConflictByTerm, for fast backtracking).
   */
  findConflictByTerm(index: LogIndex, term: Term): { index: LogIndex; term: Term } {
    let probe = Math.min(index, this.lastIndex()) as LogIndex;
    for (;;) {
      const probeTerm = this.term(probe);
      if (probeTerm === null) return { index: probe, term: 0 as Term };
      if (probeTerm <= term) return { index: probe, term: probeTerm };
      probe = (probe - 1) as LogIndex;
    }
  }

  /** Marks entries handed to storage in a Ready as durable once the driver has advanced it. */
  stableTo(index: LogIndex): void {
    assert(index >= this.unstableFrom - 1 && index <= this.lastIndex(), 'stable index within the unstable range', {
      index,
      unstableFrom: this.unstableFrom,
      lastIndex: this.lastIndex(),
    });
    this.stableIndex = index;
    this.unstableFrom = (index + 1) as LogIndex;
  }

  appliedTo(index: LogIndex): void {
    assert(index <= this.committed && index >= this.applied, 'applied moves forward within commit', {
      index,
      applied: this.applied,
      committed: this.committed,
    });
    this.applied = index;
  }

  /** Replaces the whole log by a snapshot from the leader (its entry did not match ours). */
  restore(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    assert(index > this.committed, 'restore only past the commit', { index, committed: this.committed });
    this.snapshot = snapshot;
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.entries = [];
    this.committed = index;
    this.applied = index;
    this.stableIndex = index;
    this.unstableFrom = (index + 1) as LogIndex;
  }

  /** Drops entries up to `index`, which the application's snapshot `data` covers. */
  compact(index: LogIndex, data: Uint8Array, membership: Membership): Snapshot {
    assert(index <= this.applied && index <= this.stableIndex, 'compact only applied, durable entries', {
      index,
      applied: this.applied,
      stableIndex: this.stableIndex,
    });
    assert(index > this.snapshotIndex, 'compaction moves forward', { index, snapshotIndex: this.snapshotIndex });
    const term = this.term(index)!;
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.snapshot = { metadata: { index, term, membership }, data };
    return this.snapshot;
  }
}
