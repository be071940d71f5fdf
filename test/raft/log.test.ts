// Properties of RaftLog (raft/log.ts), each against a plain-array description of what the log must hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../raft/log.ts';
import { type Entry, EntryType, type LogIndex, type Snapshot, type Term } from '../../raft/types.ts';

const RUNS = 2_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** What RaftLog.slice counts for one entry besides its data (its fixed fields on the wire). */
const ENTRY_OVERHEAD_BYTES = 24;

interface LogShape {
  /** Index and term of the snapshot (0, 0 when none). */
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  /** Entries after the snapshot, contiguous, terms non-decreasing and >= snapshotTerm. */
  readonly entries: readonly Entry[];
  readonly committed: number;
}

function entry(index: number, entryTerm: number, data: string): Entry {
  return {
    index: index as LogIndex,
    term: entryTerm as Term,
    type: EntryType.Normal,
    data: encoder.encode(data),
  };
}

function snapshotOf(index: number, snapshotTerm: number): Snapshot | null {
  if (index === 0) return null;
  return {
    metadata: { index: index as LogIndex, term: snapshotTerm as Term, membership: { voters: [] } },
    data: encoder.encode('state'),
  };
}

function build(shape: LogShape): RaftLog {
  return new RaftLog(
    snapshotOf(shape.snapshotIndex, shape.snapshotTerm),
    shape.entries,
    shape.committed as LogIndex,
  );
}

function lastIndexOf(shape: LogShape): number {
  return shape.snapshotIndex + shape.entries.length;
}

/** Terms by index of every entry after the snapshot (and the snapshot's own term at its index). */
function termAt(shape: LogShape, index: number): number | null {
  if (index === shape.snapshotIndex) return shape.snapshotTerm;
  return shape.entries.find((e) => e.index === index)?.term ?? null;
}

/** Entries after a snapshot, with terms growing by 0..2 from `fromTerm`, data of random sizes. */
function entriesArbitrary(
  firstIndex: number,
  fromTerm: number,
  tag: string,
  maxLength = 30,
): fc.Arbitrary<Entry[]> {
  return fc
    .array(fc.record({ step: fc.integer({ min: 0, max: 2 }), size: fc.integer({ min: 0, max: 40 }) }), {
      maxLength,
    })
    .map((specs) => {
      let entryTerm = Math.max(fromTerm, 1);
      return specs.map(({ step, size }, i) => {
        entryTerm += step;
        const index = firstIndex + i;
        return entry(index, entryTerm, `${tag}${index}`.padEnd(size, '.'));
      });
    });
}

const shapeArbitrary: fc.Arbitrary<LogShape> = fc
  .record({ snapshotIndex: fc.integer({ min: 0, max: 10 }), snapshotTerm: fc.integer({ min: 1, max: 3 }) })
  .map(({ snapshotIndex, snapshotTerm }) => ({
    snapshotIndex,
    snapshotTerm: snapshotIndex === 0 ? 0 : snapshotTerm,
  }))
  .chain(({ snapshotIndex, snapshotTerm }) =>
    entriesArbitrary(snapshotIndex + 1, snapshotTerm, 'f').chain((entries) =>
      fc
        .integer({ min: snapshotIndex, max: snapshotIndex + entries.length })
        .map((committed): LogShape => ({ snapshotIndex, snapshotTerm, entries, committed })),
    ),
  );

/** Every entry of the log, read back through slice with no byte bound. */
function allEntries(log: RaftLog): Entry[] {
  return log.lastIndex() >= log.firstIndex() ? log.slice(log.firstIndex(), Number.POSITIVE_INFINITY) : [];
}

function describeEntries(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}:${e.term}:${decoder.decode(e.data)}`);
}

function expectContiguous(log: RaftLog): void {
  const entries = allEntries(log);
  entries.forEach((e, i) => {
    expect(e.index).toBe(log.firstIndex() + i);
    expect(log.term(e.index)).toBe(e.term);
  });
  expect(log.firstIndex() + entries.length - 1).toBe(log.lastIndex());
  expect(log.term((log.firstIndex() - 1) as LogIndex)).not.toBeNull(); // the snapshot's (or index 0's) term
  expect(log.term((log.lastIndex() + 1) as LogIndex)).toBeNull();
}

describe('RaftLog', () => {
  it('appendFromLeader keeps the log contiguous, keeps matching entries and replaces a conflicting suffix', () => {
    // The follower's log F and the leader's log L share a prefix of length `common` (at least the
    // follower's commit index); the leader's entries after it are of later terms (Log Matching makes
    // any other shape impossible). The append carries L's entries (prev, last] with prev <= common.
    const scenario = shapeArbitrary.chain((follower) =>
      fc.integer({ min: follower.committed, max: lastIndexOf(follower) }).chain((common) => {
        const maxTerm = Math.max(follower.snapshotTerm, ...follower.entries.map((e) => e.term));
        return entriesArbitrary(common + 1, maxTerm + 1, 'L').chain((leaderSuffix) => {
          const leaderLastIndex = common + leaderSuffix.length;
          return fc
            .integer({ min: 0, max: common })
            .chain((prev) =>
              fc
                .integer({ min: prev, max: leaderLastIndex })
                .map((last) => ({ follower, common, leaderSuffix, prev, last })),
            );
        });
      }),
    );
    fc.assert(
      fc.property(scenario, ({ follower, common, leaderSuffix, prev, last }) => {
        const log = build(follower);
        const leaderEntry = (index: number): Entry =>
          index <= common
            ? (follower.entries.find((e) => e.index === index) ?? entry(index, 0, 'compacted'))
            : leaderSuffix[index - common - 1]!;
        const sent: Entry[] = [];
        for (let index = prev + 1; index <= last; index++) sent.push(leaderEntry(index));
        const before = describeEntries(allEntries(log));

        log.appendFromLeader(sent);

        expectContiguous(log);
        const truncatedAndExtended = last > common;
        const expected = truncatedAndExtended
          ? [
              ...follower.entries.filter((e) => e.index <= common),
              ...leaderSuffix.filter((e) => e.index <= last),
            ]
          : follower.entries;
        expect(describeEntries(allEntries(log))).toEqual(describeEntries(expected));
        if (!truncatedAndExtended) expect(describeEntries(allEntries(log))).toEqual(before);
        expect(log.committed).toBe(Math.max(follower.committed, follower.snapshotIndex));
        // Whatever changed is handed to storage, from the first changed index on.
        const unstable = log.unstableEntries();
        if (truncatedAndExtended) {
          expect(unstable[0]?.index).toBe(common + 1);
          expect(unstable.at(-1)?.index).toBe(last);
          expect(log.stableIndex).toBeLessThanOrEqual(common);
        } else {
          expect(unstable).toEqual([]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('findConflictByTerm returns the largest index <= the given one whose term is <= the given term', () => {
    const scenario = shapeArbitrary.chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        index: fc.integer({ min: 0, max: lastIndexOf(shape) + 3 }),
        term: fc.integer({
          min: 0,
          max: 2 + Math.max(shape.snapshotTerm, ...shape.entries.map((e) => e.term)),
        }),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ shape, index, term }) => {
        const log = build(shape);
        const result = log.findConflictByTerm(index as LogIndex, term as Term);
        const probeFrom = Math.min(index, lastIndexOf(shape));
        expect(result.index).toBeLessThanOrEqual(probeFrom);
        // The answer: its term is <= term (or it is below what the log still knows: term 0, unknown).
        const answerTerm = termAt(shape, result.index);
        if (answerTerm === null) {
          expect(result.term).toBe(0);
          expect(result.index).toBeLessThan(shape.snapshotIndex);
        } else {
          expect(result.term).toBe(answerTerm);
          expect(answerTerm).toBeLessThanOrEqual(term);
        }
        // Maximal: every known index above it, up to the probe, has a greater term.
        for (let j = result.index + 1; j <= probeFrom; j++) expect(termAt(shape, j)).toBeGreaterThan(term);
      }),
      { numRuns: RUNS },
    );
  });

  it('compact then term() is consistent: later terms unchanged, earlier ones gone, snapshot at the index', () => {
    const scenario = shapeArbitrary
      .filter((shape) => shape.committed > shape.snapshotIndex)
      .chain((shape) =>
        fc
          .integer({ min: shape.snapshotIndex + 1, max: shape.committed })
          .chain((applied) =>
            fc
              .integer({ min: shape.snapshotIndex + 1, max: applied })
              .map((compactTo) => ({ shape, applied, compactTo })),
          ),
      );
    fc.assert(
      fc.property(scenario, ({ shape, applied, compactTo }) => {
        const log = build(shape);
        log.appliedTo(applied as LogIndex);
        const lastIndex = log.lastIndex();
        const snapshot = log.compact(compactTo as LogIndex, encoder.encode('data'), { voters: [] });

        expect(snapshot.metadata).toMatchObject({ index: compactTo, term: termAt(shape, compactTo) });
        expect(log.firstIndex()).toBe(compactTo + 1);
        expect(log.lastIndex()).toBe(lastIndex);
        for (let index = 0; index <= lastIndex + 1; index++) {
          const expected = index >= compactTo ? termAt(shape, index) : null;
          expect(log.term(index as LogIndex), `term(${index})`).toBe(expected);
        }
        expectContiguous(log);
        expect(log.applied).toBe(applied);
        // Recovery from what storage holds after compaction gives the same log.
        const recovered = new RaftLog(snapshot, shape.entries, log.committed);
        expect(describeEntries(allEntries(recovered))).toEqual(describeEntries(allEntries(log)));
        expect(recovered.term(compactTo as LogIndex)).toBe(termAt(shape, compactTo));
      }),
      { numRuns: RUNS },
    );
  });

  it('slice respects bytesMax but returns at least one entry, contiguous from its start, and as many as fit', () => {
    const scenario = shapeArbitrary
      .filter((shape) => shape.entries.length > 0)
      .chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          from: fc.integer({ min: shape.snapshotIndex + 1, max: lastIndexOf(shape) }),
          bytesMax: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(0)),
        }),
      );
    const size = (e: Entry): number => e.data.length + ENTRY_OVERHEAD_BYTES;
    fc.assert(
      fc.property(scenario, ({ shape, from, bytesMax }) => {
        const log = build(shape);
        const slice = log.slice(from as LogIndex, bytesMax);
        expect(slice.length).toBeGreaterThanOrEqual(1);
        slice.forEach((e, i) => {
          expect(e).toBe(shape.entries[from - shape.snapshotIndex - 1 + i]);
        });
        const bytes = slice.reduce((sum, e) => sum + size(e), 0);
        if (slice.length > 1) expect(bytes).toBeLessThanOrEqual(bytesMax);
        const next = shape.entries[from - shape.snapshotIndex - 1 + slice.length];
        if (next !== undefined) expect(bytes + size(next)).toBeGreaterThan(bytesMax);
      }),
      { numRuns: RUNS },
    );
  });

  it('isUpToDate compares (last term, last index) lexicographically (§5.4.1)', () => {
    fc.assert(
      fc.property(
        shapeArbitrary,
        fc.integer({ min: 0, max: 45 }),
        fc.integer({ min: 0, max: 70 }),
        (shape, lastIndex, lastTerm) => {
          const log = build(shape);
          const myLastTerm = termAt(shape, lastIndexOf(shape)) ?? 0;
          const expected =
            lastTerm > myLastTerm || (lastTerm === myLastTerm && lastIndex >= lastIndexOf(shape));
          expect(log.isUpToDate(lastIndex as LogIndex, lastTerm as Term)).toBe(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('commit, apply and stable indexes: committed entries are handed out once, in order', () => {
    fc.assert(
      fc.property(
        shapeArbitrary,
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 8 }),
        (shape, commits) => {
          const log = build(shape);
          const handedOut: number[] = [];
          for (const target of commits) {
            const index = Math.min(target, log.lastIndex());
            const moved = log.commitTo(index as LogIndex);
            expect(moved).toBe(index > Math.max(shape.committed, shape.snapshotIndex, ...handedOut));
            const next = log.nextCommittedEntries();
            handedOut.push(...next.map((e) => e.index));
            if (next.length > 0) log.appliedTo(next.at(-1)!.index);
            expect(log.applied).toBe(log.committed);
          }
          const first = shape.snapshotIndex + 1;
          expect(handedOut).toEqual(Array.from({ length: handedOut.length }, (_, i) => first + i));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
