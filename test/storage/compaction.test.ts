// The log cleaner's pure core (src/storage/compaction.ts, cleaning-plan.ts): fast-check properties over
// random keyed records and tombstones in batches of several leader epochs and producers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanableRange, cleaningDue, groupSegments } from '../../src/storage/cleaning-plan.ts';
import {
  type CleanableBatch,
  type CleanedItem,
  type CleaningRules,
  GroupCleaner,
  type KeyedRecord,
  OffsetMap,
} from '../../src/storage/compaction.ts';
import { fcParameters } from './helpers.ts';

interface ModelRecord extends KeyedRecord {
  readonly tag: number;
}

interface ModelBatch extends CleanableBatch {
  readonly records: readonly ModelRecord[];
}

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];

/**
 * Batches laid end to end from offset 0: keys from a few, some null; some values null (tombstones);
 * with `control`, now and then a control batch.
 */
const batchesArbitrary = (control: boolean): fc.Arbitrary<ModelBatch[]> =>
  fc
    .array(
      fc.record({
        records: fc.array(
          fc.record({
            key: fc.option(fc.constantFrom(...KEYS), { nil: null, freq: 12 }),
            tombstone: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        bumpEpoch: fc.boolean(),
        producer: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
        control: fc.integer({ min: 0, max: 30 }).map((n) => control && n === 0),
      }),
      { minLength: 1, maxLength: 30 },
    )
    .map((drafts) => {
      let next = 0;
      let epoch = 0;
      let tag = 0;
      return drafts.map((draft): ModelBatch => {
        if (draft.bumpEpoch) epoch++;
        const baseOffset = next;
        const records = draft.records.map((record, index) => ({
          offset: baseOffset + index,
          key: record.key === null ? null : Buffer.from(record.key),
          value: record.tombstone ? null : Buffer.from(`v${tag}`),
          tag: tag++,
        }));
        next += records.length;
        return {
          baseOffset,
          lastOffset: next - 1,
          partitionLeaderEpoch: epoch,
          maxTimestamp: 1_000 + baseOffset,
          producerId: draft.producer ?? -1,
          isControl: draft.control,
          deleteHorizonMs: null,
          records,
        };
      });
    });

function mapOf(batches: readonly ModelBatch[], startOffset: number, capacityBytes = 1 << 20): OffsetMap {
  const map = new OffsetMap({ startOffset, capacityBytes });
  for (const batch of batches) {
    if (!map.putBatch(batch, batch.isControl ? null : batch.records)) break;
  }
  return map;
}

function cleanAll(
  batches: readonly ModelBatch[],
  rules: CleaningRules,
): CleanedItem<ModelBatch, ModelRecord>[] {
  const cleaner = new GroupCleaner<ModelBatch, ModelRecord>(rules);
  const items = batches.flatMap((batch) => cleaner.push(batch, batch.isControl ? null : batch.records));
  return [...items, ...cleaner.finish()];
}

/** The batches a cleaned segment would hold (what a next round reads). */
function asBatches(items: readonly CleanedItem<ModelBatch, ModelRecord>[]): ModelBatch[] {
  return items.map((item): ModelBatch => {
    if (item.kind === 'filler') {
      const { filler } = item;
      return { ...filler, producerId: -1, isControl: false, deleteHorizonMs: null, records: [] };
    }
    const { batch, outcome } = item;
    if (outcome.kind === 'keep') return batch;
    if (outcome.kind === 'empty') return { ...batch, records: [] };
    return { ...batch, records: outcome.records, deleteHorizonMs: outcome.deleteHorizonMs };
  });
}

function recordsOf(batches: readonly ModelBatch[]): ModelRecord[] {
  return batches.flatMap((batch) => batch.records);
}

/** Offsets stay what they were: the output covers the input's offsets exactly, batch after batch. */
function expectContiguous(input: readonly ModelBatch[], output: readonly ModelBatch[]): void {
  expect(output[0]?.baseOffset).toBe(input[0]!.baseOffset);
  expect(output.at(-1)?.lastOffset).toBe(input.at(-1)!.lastOffset);
  for (let at = 1; at < output.length; at++) {
    expect(output[at]!.baseOffset, 'contiguous batches').toBe(output[at - 1]!.lastOffset + 1);
  }
  for (const batch of output) {
    for (const record of batch.records) {
      expect(record.offset).toBeGreaterThanOrEqual(batch.baseOffset);
      expect(record.offset).toBeLessThanOrEqual(batch.lastOffset);
    }
  }
}

const everyProducerBatch = (batches: readonly ModelBatch[]) => {
  const retained = new Set(batches.filter((batch) => batch.producerId >= 0).map((batch) => batch.baseOffset));
  return (baseOffset: number) => retained.has(baseOffset);
};

describe('log compaction (pure core)', () => {
  it('keeps exactly the latest record of each key (tombstones until their horizon), in offset order, offsets unchanged', () => {
    fc.assert(
      fc.property(
        batchesArbitrary(false),
        fc.integer({ min: 1, max: 10_000 }),
        (input, deleteRetentionMs) => {
          const map = mapOf(input, 0);
          const nowMs = 50_000;
          const rules: CleaningRules = {
            map,
            nowMs,
            deleteRetentionMs,
            retainedByProducerState: () => false,
          };
          const first = asBatches(cleanAll(input, rules));
          expectContiguous(input, first);
          const latest = new Map<string, ModelRecord>();
          for (const record of recordsOf(input)) {
            if (record.key !== null) latest.set(record.key.toString(), record);
          }
          const expected = [...latest.values()].sort((a, b) => a.offset - b.offset);
          // The first round keeps every latest record, tombstones too (their horizon starts now).
          expect(recordsOf(first).map((record) => record.tag)).toEqual(expected.map((record) => record.tag));
          for (const batch of first) {
            if (batch.records.some((record) => record.value === null)) {
              expect(batch.deleteHorizonMs).toBe(nowMs + deleteRetentionMs);
            }
          }
          // Again before the horizon: nothing changes.
          const again = new GroupCleaner<ModelBatch, ModelRecord>({ ...rules, map: mapOf(first, 0) });
          for (const batch of first) again.push(batch, batch.records);
          again.finish();
          expect(again.changed).toBe(false);
          // Past it: the tombstones go, nothing else.
          const later = asBatches(
            cleanAll(first, { ...rules, map: mapOf(first, 0), nowMs: nowMs + deleteRetentionMs }),
          );
          expectContiguous(input, later);
          expect(recordsOf(later).map((record) => record.tag)).toEqual(
            expected.filter((record) => record.value !== null).map((record) => record.tag),
          );
        },
      ),
      fcParameters('compaction: latest per key', 300),
    );
  });

  it('with a dirty section and a partial map: superseded mapped records go, the rest stays', () => {
    fc.assert(
      fc.property(
        batchesArbitrary(true),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 600 }),
        (batches, dirtyFraction, capacityBytes) => {
          const end = batches.at(-1)!.lastOffset + 1;
          const firstDirty = Math.floor(dirtyFraction * end);
          const map = mapOf(batches, firstDirty, capacityBytes);
          expect(map.endOffset).toBeGreaterThanOrEqual(Math.min(end, firstDirty));
          const retained = everyProducerBatch(batches);
          const rules: CleaningRules = {
            map,
            nowMs: 0,
            deleteRetentionMs: 100,
            retainedByProducerState: retained,
          };
          const items = cleanAll(batches, rules);
          const output = asBatches(items);
          expectContiguous(batches, output);
          // The latest mapped offset of each key, computed here from the batches the map covered.
          const mapped = new Map<string, number>();
          for (const batch of batches) {
            if (batch.isControl || batch.baseOffset >= map.endOffset) continue;
            for (const record of batch.records) {
              if (record.key !== null && record.offset >= firstDirty)
                mapped.set(record.key.toString(), record.offset);
            }
          }
          const keptTags = new Set(recordsOf(output).map((record) => record.tag));
          for (const batch of batches) {
            for (const record of batch.records) {
              const superseded =
                record.key === null ||
                (mapped.get(record.key.toString()) ?? Number.NEGATIVE_INFINITY) > record.offset;
              const expectKept = batch.isControl || record.offset >= map.endOffset || !superseded;
              expect(keptTags.has(record.tag), `record at ${record.offset}`).toBe(expectKept);
            }
          }
          // Batches: control batches whole; an emptied batch stays only for the producer state; every
          // producer batch stays; a filler covers dropped batches of one leader epoch.
          const byBase = new Map(batches.map((batch) => [batch.baseOffset, batch]));
          for (const item of items) {
            if (item.kind === 'filler') {
              const covered = batches.filter(
                (batch) =>
                  batch.baseOffset >= item.filler.baseOffset && batch.lastOffset <= item.filler.lastOffset,
              );
              expect(covered.length).toBeGreaterThan(0);
              expect(covered.at(-1)!.lastOffset).toBe(item.filler.lastOffset);
              for (const batch of covered) {
                expect(batch.partitionLeaderEpoch).toBe(item.filler.partitionLeaderEpoch);
                expect(batch.producerId < 0 || !retained(batch.baseOffset)).toBe(true);
              }
            } else if (item.outcome.kind === 'empty') {
              expect(retained(item.batch.baseOffset)).toBe(true);
            }
          }
          for (const batch of batches) {
            if (batch.producerId >= 0 || batch.isControl) {
              expect(
                items.some((item) => item.kind === 'batch' && item.batch === byBase.get(batch.baseOffset)),
              ).toBe(true);
            }
          }
        },
      ),
      fcParameters('compaction: dirty section', 300),
    );
  });

  it('a batch whose records claim offsets outside it is kept as it is, and maps nothing', () => {
    const batch: ModelBatch = {
      baseOffset: 10,
      lastOffset: 11,
      partitionLeaderEpoch: 0,
      maxTimestamp: 0,
      producerId: -1,
      isControl: false,
      deleteHorizonMs: null,
      records: [
        { offset: 12, key: Buffer.from('a'), value: null, tag: 0 },
        { offset: 11, key: Buffer.from('a'), value: null, tag: 1 },
      ],
    };
    const map = mapOf([batch], 0);
    expect(map.keyCount).toBe(0);
    expect(map.endOffset).toBe(12);
    const items = cleanAll([batch], {
      map,
      nowMs: 0,
      deleteRetentionMs: 0,
      retainedByProducerState: () => false,
    });
    expect(items).toEqual([{ kind: 'batch', batch, outcome: { kind: 'keep' } }]);
  });
});

describe('cleaning plan', () => {
  const segment = (baseOffset: number, nextOffset: number, sizeBytes: number, maxTimestamp = 1_000) => ({
    baseOffset,
    nextOffset,
    sizeBytes,
    maxTimestamp,
    firstBatchMaxTimestamp: maxTimestamp,
  });
  const options = {
    firstDirtyOffset: 0,
    logStartOffset: 0,
    committedOffset: 1_000,
    nowMs: 10_000,
    minCompactionLagMs: 0,
    maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  };

  it('never the active segment, nor the one holding the committed offset, nor a younger one than the lag', () => {
    const segments = [
      segment(0, 10, 100),
      segment(10, 20, 100, 9_500),
      segment(20, 30, 100),
      segment(30, 35, 50),
    ];
    expect(cleanableRange(segments, options).firstUncleanableOffset).toBe(30);
    expect(cleanableRange(segments, { ...options, committedOffset: 15 }).firstUncleanableOffset).toBe(10);
    expect(cleanableRange(segments, { ...options, committedOffset: 20 }).firstUncleanableOffset).toBe(20);
    expect(cleanableRange(segments, { ...options, minCompactionLagMs: 1_000 }).firstUncleanableOffset).toBe(
      10,
    );
    expect(cleanableRange(segments, { ...options, minCompactionLagMs: 100 }).firstUncleanableOffset).toBe(30);
  });

  it('the dirty ratio and max.compaction.lag.ms decide, and a first dirty offset outside the log is the log start', () => {
    const segments = [segment(0, 10, 100), segment(10, 20, 100), segment(20, 30, 100), segment(30, 35, 50)];
    const half = cleanableRange(segments, { ...options, firstDirtyOffset: 15 });
    expect(half).toMatchObject({ firstDirtyOffset: 15, cleanBytes: 100, dirtyBytes: 200, overdue: false });
    expect(cleaningDue(half, { minCleanableDirtyRatio: 0.5, tombstoneDue: false })).toBe(true);
    expect(cleaningDue(half, { minCleanableDirtyRatio: 0.7, tombstoneDue: false })).toBe(false);
    const old = cleanableRange(segments, { ...options, firstDirtyOffset: 25, maxCompactionLagMs: 5_000 });
    expect(old.overdue).toBe(true);
    expect(cleaningDue(old, { minCleanableDirtyRatio: 0.9, tombstoneDue: false })).toBe(true);
    expect(
      cleanableRange(segments, { ...options, firstDirtyOffset: 99, logStartOffset: 5 }).firstDirtyOffset,
    ).toBe(5);
    const clean = cleanableRange(segments, { ...options, firstDirtyOffset: 30 });
    expect(clean.dirtyBytes).toBe(0);
    expect(cleaningDue(clean, { minCleanableDirtyRatio: 0, tombstoneDue: false })).toBe(false);
    expect(cleaningDue(clean, { minCleanableDirtyRatio: 0, tombstoneDue: true })).toBe(true);
  });

  it('groups consecutive segments up to segment.bytes', () => {
    const segments = [segment(0, 10, 40), segment(10, 20, 40), segment(20, 30, 40), segment(30, 40, 90)];
    expect(groupSegments(segments, 100)).toEqual([
      [0, 2],
      [2, 1],
      [3, 1],
    ]);
    expect(groupSegments(segments, 1_000)).toEqual([[0, 4]]);
  });
});
