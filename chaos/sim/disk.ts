import type { Entry, HardState, LogIndex, PersistentState, Snapshot, Term } from '../../raft/types.ts';
import { Violation } from '../checkers/violation.ts';

const EMPTY: PersistentState = {
  hardState: { term: 0 as Term, vote: 0 as PersistentState['hardState']['vote'], commit: 0 as LogIndex },
  snapshot: null,
  entries: [],
};

/** One sync: the state it makes durable, and the lowest index whose durable entry it removes (if any). */
export interface SyncBatch {
  readonly state: PersistentState;
  readonly lowestRemoved: number | null;
}

/**
 * A node's disk. Writes land in a buffer (`current`, what the process sees) and become durable only when
 * a sync completes; a crash reverts to the durable state. States are immutable values, so a sync
 * captures one by reference and the two views never alias mutable data.
 *
 * Write semantics are the Ready contract's (raft/types.ts): a snapshot drops every entry up to its index
 * (and the whole log if the entry at its index has another term); an append first drops every entry at
 * or after its first index. Anything else from the core (a gap, an entry below the snapshot) is a
 * contract violation, reported as such.
 */
export class SimDisk {
  private current: PersistentState = EMPTY;
  private durable: PersistentState = EMPTY;
  /** The durable state before the last sync: what the planted bug `lose-synced` reverts to. */
  private beforeLastSync: PersistentState = EMPTY;
  private dirty = false;
  private lowestRemovedPending: number | null = null;
  private readonly loseLastSyncOnCrash: boolean;
  syncs = 0;

  constructor(options: { loseLastSyncOnCrash: boolean }) {
    this.loseLastSyncOnCrash = options.loseLastSyncOnCrash;
  }

  /** What the running process sees (durable plus buffered writes). */
  view(): PersistentState {
    return this.current;
  }

  /** What survives a crash: what a restart recovers. */
  load(): PersistentState {
    return this.durable;
  }

  isDirty(): boolean {
    return this.dirty;
  }

  saveSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    const previous = this.current.snapshot?.metadata.index ?? 0;
    if (index <= previous) {
      throw new Violation(
        'storage-contract',
        `snapshot at ${index} does not move past the stored one at ${previous}`,
      );
    }
    const keep = termAt(this.current, index) === term;
    const entries = keep ? this.current.entries.filter((entry) => entry.index > index) : [];
    if (!keep && lastIndexOf(this.current) > index) this.noteRemoved(index + 1);
    this.write({ ...this.current, snapshot, entries });
  }

  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const base = this.current.snapshot?.metadata.index ?? 0;
    const last = lastIndexOf(this.current);
    if (first.index <= base || first.index > last + 1) {
      throw new Violation('storage-contract', `append at ${first.index} outside (${base}, ${last + 1}]`);
    }
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.index !== first.index + i) {
        throw new Violation(
          'storage-contract',
          `appended entries are not contiguous at ${entries[i]!.index}`,
        );
      }
    }
    if (first.index <= last) this.noteRemoved(first.index);
    const kept = this.current.entries.slice(0, first.index - base - 1);
    this.write({ ...this.current, entries: kept.concat(entries) });
  }

  setHardState(hardState: HardState): void {
    this.write({ ...this.current, hardState });
  }

  /** Starts an fsync of everything buffered so far (group commit: one sync for the whole Ready). */
  beginSync(): SyncBatch {
    const batch = { state: this.current, lowestRemoved: this.lowestRemovedPending };
    this.dirty = false;
    this.lowestRemovedPending = null;
    return batch;
  }

  completeSync(batch: SyncBatch): void {
    this.beforeLastSync = this.durable;
    this.durable = batch.state;
    this.syncs++;
  }

  /**
   * The process dies: buffered writes are gone. Returns the lowest index whose durable entry was lost,
   * which only the planted bug produces (a correct disk never loses a completed sync).
   */
  crash(): number | null {
    let lost: number | null = null;
    if (this.loseLastSyncOnCrash && this.durable !== this.beforeLastSync) {
      lost = firstDifference(this.beforeLastSync, this.durable);
      this.durable = this.beforeLastSync;
    }
    this.current = this.durable;
    this.dirty = false;
    this.lowestRemovedPending = null;
    return lost;
  }

  private write(state: PersistentState): void {
    this.current = state;
    this.dirty = true;
  }

  private noteRemoved(index: number): void {
    this.lowestRemovedPending = Math.min(this.lowestRemovedPending ?? index, index);
  }
}

export function lastIndexOf(state: PersistentState): number {
  const last = state.entries.at(-1);
  return last !== undefined ? last.index : (state.snapshot?.metadata.index ?? 0);
}

/** The term at `index` in a stored state: the snapshot's at its index, null where unknown. */
export function termAt(state: PersistentState, index: number): Term | null {
  const base = state.snapshot?.metadata.index ?? 0;
  if (index === base) return state.snapshot?.metadata.term ?? (0 as Term);
  if (index < base) return null;
  return state.entries[index - base - 1]?.term ?? null;
}

export function entryAt(state: PersistentState, index: number): Entry | null {
  const base = state.snapshot?.metadata.index ?? 0;
  return index > base ? (state.entries[index - base - 1] ?? null) : null;
}

/** The lowest index at which `newer` holds something that `older` does not (what a revert loses). */
function firstDifference(older: PersistentState, newer: PersistentState): number | null {
  const last = lastIndexOf(newer);
  const start = (older.snapshot?.metadata.index ?? 0) + 1;
  for (let index = start; index <= last; index++) {
    if (entryAt(older, index) !== entryAt(newer, index) && entryAt(newer, index) !== null) return index;
  }
  const newerSnapshot = newer.snapshot?.metadata.index ?? 0;
  return newerSnapshot > (older.snapshot?.metadata.index ?? 0) ? start : null;
}
