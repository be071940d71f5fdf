// Model test: random sequences of appends (often conflicting), snapshots, hard states, syncs and
// reopens against a naive in-memory model. After every reopen load() must equal the model's state as
// of the last sync. fast-check prints the seed and the shrunk sequence of a failure.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileStorage } from '../../../raft/storage/file-storage.ts';
import type { Entry, HardState, PersistentState, Snapshot } from '../../../raft/types.ts';
import { makeEntry, makeHardState, makeSnapshot, withTemporaryDir } from './helpers.ts';

type Operation =
  | {
      readonly kind: 'append';
      readonly back: number;
      readonly count: number;
      readonly termBump: number;
      readonly dataBytes: number;
    }
  | { readonly kind: 'snapshot'; readonly ahead: number; readonly matchTerm: boolean }
  | { readonly kind: 'hardState'; readonly term: number; readonly vote: number; readonly commit: number }
  | { readonly kind: 'sync' }
  /** A sync, then an append and a sync while the first still runs. */
  | { readonly kind: 'overlappingSyncs'; readonly count: number }
  | { readonly kind: 'reopen' };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.nat({ max: 8 }),
      count: fc.integer({ min: 1, max: 5 }),
      termBump: fc.nat({ max: 2 }),
      dataBytes: fc.nat({ max: 60 }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('snapshot' as const),
      ahead: fc.nat({ max: 10 }),
      matchTerm: fc.boolean(),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('hardState' as const),
      term: fc.nat({ max: 20 }),
      vote: fc.nat({ max: 5 }),
      commit: fc.nat({ max: 50 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: 'sync' as const }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('overlappingSyncs' as const),
      count: fc.integer({ min: 1, max: 3 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'reopen' as const }), weight: 2 },
);

/** The naive model: the whole state as plain values, changed the way the RaftStorage contract says. */
class Model {
  hardState: HardState = makeHardState(0, 0, 0);
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  clone(): PersistentState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  restore(state: PersistentState): void {
    this.hardState = state.hardState;
    this.snapshot = state.snapshot;
    this.entries = [...state.entries];
  }

  snapshotIndex(): number {
    return this.snapshot?.metadata.index ?? 0;
  }

  lastIndex(): number {
    return this.entries.at(-1)?.index ?? this.snapshotIndex();
  }

  termAt(index: number): number | null {
    if (index === this.snapshotIndex()) return this.snapshot?.metadata.term ?? 0;
    return this.entries.find((entry) => entry.index === index)?.term ?? null;
  }

  append(entries: readonly Entry[]): void {
    const firstIndex = entries[0]!.index;
    this.entries = [...this.entries.filter((entry) => entry.index < firstIndex), ...entries];
  }

  saveSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    const matches = this.termAt(index) === term;
    this.entries = matches ? this.entries.filter((entry) => entry.index > index) : [];
    this.snapshot = snapshot;
  }
}

function entriesFor(model: Model, operation: Extract<Operation, { kind: 'append' }>): Entry[] {
  const first = model.lastIndex() + 1 - Math.min(operation.back, model.lastIndex() - model.snapshotIndex());
  const entryTerm = model.termAt(first - 1)! + operation.termBump;
  const entries: Entry[] = [];
  for (let index = first; index < first + operation.count; index++) {
    entries.push(
      makeEntry(index, entryTerm, new Uint8Array(operation.dataBytes).fill((index * 7 + entryTerm) & 0xff)),
    );
  }
  return entries;
}

function snapshotFor(model: Model, operation: Extract<Operation, { kind: 'snapshot' }>): Snapshot {
  // Mostly inside the log (where the term decides between compaction and discard), sometimes past it.
  const index =
    model.snapshotIndex() + 1 + (operation.ahead % (model.lastIndex() - model.snapshotIndex() + 2));
  const logTerm = model.termAt(index);
  const lastTerm = model.termAt(model.lastIndex())!;
  const snapshotTerm =
    operation.matchTerm && logTerm !== null ? logTerm : Math.max(logTerm ?? 0, lastTerm) + 1;
  return makeSnapshot(index, snapshotTerm, [1, 2, 3].slice(0, 1 + (index % 3)));
}

interface Run {
  storage: FileStorage;
  readonly dir: string;
  readonly segmentBytesMax: number;
  readonly model: Model;
  durable: PersistentState;
}

function applyChange(run: Run, operation: Operation): boolean {
  const { storage, model } = run;
  if (operation.kind === 'append') {
    const entries = entriesFor(model, operation);
    storage.append(entries);
    model.append(entries);
  } else if (operation.kind === 'snapshot') {
    const snapshot = snapshotFor(model, operation);
    storage.saveSnapshot(snapshot);
    model.saveSnapshot(snapshot);
  } else if (operation.kind === 'hardState') {
    const hardState = makeHardState(operation.term, operation.vote, operation.commit);
    storage.setHardState(hardState);
    model.hardState = hardState;
  } else {
    return false;
  }
  return true;
}

async function applyOperation(run: Run, operation: Operation): Promise<void> {
  if (applyChange(run, operation)) return;
  if (operation.kind === 'sync') {
    await run.storage.sync();
    run.durable = run.model.clone();
  } else if (operation.kind === 'overlappingSyncs') {
    const syncs = [run.storage.sync()];
    for (let round = 0; round < operation.count; round++) {
      applyChange(run, { kind: 'append', back: round, count: 2, termBump: 0, dataBytes: 10 });
      syncs.push(run.storage.sync());
    }
    await Promise.all(syncs);
    run.durable = run.model.clone();
  } else if (operation.kind === 'reopen') {
    await reopenAndCheck(run);
  }
}

async function reopenAndCheck(run: Run): Promise<void> {
  await run.storage.close();
  run.storage = await FileStorage.open({ dir: run.dir, segmentBytesMax: run.segmentBytesMax });
  expect(await run.storage.load()).toEqual(run.durable);
  run.model.restore(run.durable);
}

describe('FileStorage against a naive model', () => {
  it('load() after reopen equals the model as of the last sync', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(operationArbitrary, { maxLength: 40 }),
        fc.integer({ min: 40, max: 400 }),
        async (operations, segmentBytesMax) => {
          await withTemporaryDir(async (dir) => {
            const storage = await FileStorage.open({ dir, segmentBytesMax });
            const model = new Model();
            const run: Run = { storage, dir, segmentBytesMax, model, durable: model.clone() };
            try {
              for (const operation of operations) await applyOperation(run, operation);
              await reopenAndCheck(run);
            } finally {
              await run.storage.close();
            }
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
