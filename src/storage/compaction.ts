// Log compaction's decisions (Kafka's LogCleaner and MemoryRecords.filterTo), without I/O: the offset map
// of each key's latest record, which records of a batch the cleaner keeps, what becomes of the batch,
// and what covers the offsets of the batches it drops. The I/O around it (log-cleaning.ts) reads the
// batches, asks here, and writes what it is told.
//
// Kept:
// - records at or after the offset map's end (the map has not seen what may supersede them);
// - of the others, the latest record of each key (the map holds its offset, or does not know the key);
//   a tombstone (null value) only until its batch's delete horizon (KIP-534: now + delete.retention.ms,
//   set the first time the cleaner writes the batch with a tombstone in it); records without a key go
//   (as Kafka's cleaner drops them; a leader refuses them on a compacted topic);
// - control batches, whole (transaction markers are stored, not interpreted here), and batches whose
//   records do not decode (nothing of them is known; Kafka would have refused them at produce).
// A batch keeps BaseOffset and LastOffsetDelta, so offsets and a producer's sequence range stay what
// they were. A batch left without records stays, empty, when the producer state retains it (an
// idempotent producer's last batches: its state and duplicate detection survive; Kafka keeps each
// producer's last one), and is dropped otherwise. The offsets of dropped batches are covered by one empty
// "filler" batch per run of dropped batches of a leader epoch: a segment's batches stay contiguous, as
// every check of this log (recovery, reads, followers' appends) expects, and the leader-epoch cache a
// scan rebuilds stays the same. Kafka leaves a gap there instead; its clients read both alike.

import { assert } from '../../raft/assert.ts';

/** The record fields compaction reads. */
export interface KeyedRecord {
  readonly offset: number;
  readonly key: Buffer | null;
  /** null: a tombstone, the key is deleted. */
  readonly value: Buffer | null;
}

/** The batch fields compaction reads (RecordBatchHeader has them all). */
export interface CleanableBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly partitionLeaderEpoch: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly isControl: boolean;
  /** KIP-534's delete horizon, once a cleaner set it. */
  readonly deleteHorizonMs: number | null;
}

/** Rough cost of one key in the map beyond its bytes (string header, Map entry, the offset). */
const MAP_ENTRY_OVERHEAD_BYTES = 64;

/**
 * Each key's latest offset in the dirty section (Kafka's SkimpyOffsetMap, without hashing: keys are
 * exact). Filled batch by batch, in offset order, from `startOffset` (the first dirty offset), up to a
 * memory budget (log.cleaner.dedupe.buffer.size): the cleaning round covers what the map covers.
 */
export class OffsetMap {
  readonly startOffset: number;
  private readonly capacityBytes: number;
  private readonly latest = new Map<string, number>();
  private usedBytes = 0;
  private mappedEnd: number;

  constructor(options: { startOffset: number; capacityBytes: number }) {
    this.startOffset = options.startOffset;
    this.capacityBytes = options.capacityBytes;
    this.mappedEnd = options.startOffset;
  }

  /** The offset after the last batch mapped: records from here on are kept whatever their key. */
  get endOffset(): number {
    return this.mappedEnd;
  }

  get keyCount(): number {
    return this.latest.size;
  }

  /**
   * Maps the keys of one whole batch (its records from `startOffset` on; batches come in offset order).
   * Returns false, mapping nothing, when they would overflow the budget (never for the first batch:
   * a round always makes progress).
   */
  putBatch(
    batch: Pick<CleanableBatch, 'baseOffset' | 'lastOffset'>,
    records: readonly KeyedRecord[] | null,
  ): boolean {
    if (batch.lastOffset < this.startOffset) return true;
    // The first batch mapped may hold the start offset; every later one follows the last one mapped.
    assert(
      this.mappedEnd === this.startOffset || batch.baseOffset >= this.mappedEnd,
      'batches map in order',
      {
        baseOffset: batch.baseOffset,
        mappedEnd: this.mappedEnd,
      },
    );
    const keyed =
      records === null || !recordsFit(batch, records)
        ? []
        : records.filter((record) => record.key !== null && record.offset >= this.startOffset);
    const newKeys = keyed.filter((record) => !this.latest.has(keyOf(record.key!)));
    const bytes = newKeys.reduce((sum, record) => sum + record.key!.length + MAP_ENTRY_OVERHEAD_BYTES, 0);
    if (this.usedBytes + bytes > this.capacityBytes && this.mappedEnd > this.startOffset) return false;
    for (const record of keyed) this.latest.set(keyOf(record.key!), record.offset);
    this.usedBytes += bytes;
    this.mappedEnd = batch.lastOffset + 1;
    return true;
  }

  latestOffset(key: Buffer): number | undefined {
    return this.latest.get(keyOf(key));
  }
}

/** A key as a map key: latin1 maps each byte to one character, so distinct keys stay distinct. */
function keyOf(key: Buffer): string {
  return key.toString('latin1');
}

/**
 * The records' offsets increase strictly inside the batch's range. A producer can seal other offset
 * deltas under a valid CRC (the append path does not decode records); such a batch is kept as it is.
 */
function recordsFit(
  batch: Pick<CleanableBatch, 'baseOffset' | 'lastOffset'>,
  records: readonly KeyedRecord[],
) {
  let previous = batch.baseOffset - 1;
  for (const record of records) {
    if (record.offset <= previous || record.offset > batch.lastOffset) return false;
    previous = record.offset;
  }
  return true;
}

export interface CleaningRules {
  readonly map: Pick<OffsetMap, 'endOffset' | 'latestOffset'>;
  readonly nowMs: number;
  /** delete.retention.ms */
  readonly deleteRetentionMs: number;
  /** Whether the producer state retains the batch starting at `baseOffset` (it stays, even emptied). */
  readonly retainedByProducerState: (baseOffset: number) => boolean;
}

/** What becomes of one batch. */
export type BatchOutcome<R extends KeyedRecord> =
  /** Unchanged: its bytes are copied. */
  | { readonly kind: 'keep' }
  /** Written again with these records (offsets kept) and this delete horizon. */
  | { readonly kind: 'rewrite'; readonly records: readonly R[]; readonly deleteHorizonMs: number | null }
  /** Written again without records: the producer state needs its header. */
  | { readonly kind: 'empty' }
  | { readonly kind: 'drop' };

/** Kafka's shouldRetainRecord. */
export function retainsRecord(batch: CleanableBatch, record: KeyedRecord, rules: CleaningRules): boolean {
  if (record.offset >= rules.map.endOffset) return true;
  if (record.key === null) return false;
  const latest = rules.map.latestOffset(record.key);
  if (latest !== undefined && record.offset < latest) return false;
  if (record.value !== null) return true;
  return batch.deleteHorizonMs === null || rules.nowMs < batch.deleteHorizonMs;
}

/** `records`: the batch's records, or null when they do not decode. */
export function cleanBatch<R extends KeyedRecord>(
  batch: CleanableBatch,
  records: readonly R[] | null,
  rules: CleaningRules,
): BatchOutcome<R> {
  if (batch.isControl || records === null || !recordsFit(batch, records)) return { kind: 'keep' };
  const retained = records.filter((record) => retainsRecord(batch, record, rules));
  if (retained.length === 0) {
    return batch.producerId >= 0 && rules.retainedByProducerState(batch.baseOffset)
      ? { kind: 'empty' }
      : { kind: 'drop' };
  }
  const tombstones = retained.some((record) => record.value === null);
  const newHorizon = tombstones && batch.deleteHorizonMs === null;
  if (retained.length === records.length && !newHorizon) return { kind: 'keep' };
  const deleteHorizonMs = newHorizon
    ? Math.min(rules.nowMs + rules.deleteRetentionMs, Number.MAX_SAFE_INTEGER)
    : batch.deleteHorizonMs;
  return { kind: 'rewrite', records: retained, deleteHorizonMs };
}

/** An empty batch standing for dropped batches of one leader epoch. */
export interface Filler {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly partitionLeaderEpoch: number;
  /** The dropped batches' largest, so that the segment's age (retention.ms) does not change. */
  readonly maxTimestamp: number;
}

/** What the cleaned segment holds, in offset order. */
export type CleanedItem<B extends CleanableBatch, R extends KeyedRecord> =
  | {
      readonly kind: 'batch';
      readonly batch: B;
      readonly outcome: Exclude<BatchOutcome<R>, { kind: 'drop' }>;
    }
  | { readonly kind: 'filler'; readonly filler: Filler };

/**
 * Cleans the batches of one group of segments, fed in offset order (contiguous): what to write for each,
 * fillers included. Also tells the earliest delete horizon of a tombstone it keeps, when the log should
 * be cleaned again even without new records.
 */
export class GroupCleaner<B extends CleanableBatch, R extends KeyedRecord> {
  private readonly rules: CleaningRules;
  private run: Filler | null = null;
  /** The run is one batch that was a filler already: writing it again changes nothing. */
  private runIsOneFiller = false;
  private nextOffset: number | null = null;
  /** Whether the output differs from the input: an unchanged group needs no swap. */
  changed = false;
  /** The earliest delete horizon among the tombstones kept (null: none). */
  tombstoneHorizonMs: number | null = null;

  constructor(rules: CleaningRules) {
    this.rules = rules;
  }

  push(batch: B, records: readonly R[] | null): CleanedItem<B, R>[] {
    assert(this.nextOffset === null || batch.baseOffset === this.nextOffset, 'a group is contiguous', {
      baseOffset: batch.baseOffset,
      expected: this.nextOffset,
    });
    this.nextOffset = batch.lastOffset + 1;
    const outcome = cleanBatch(batch, records, this.rules);
    if (outcome.kind === 'drop') {
      const filler = batch.producerId < 0 && !batch.isControl && records !== null && records.length === 0;
      return this.drop(batch, filler);
    }
    if (outcome.kind !== 'keep') this.changed = true;
    const items: CleanedItem<B, R>[] = this.closeRun();
    const kept = outcome.kind === 'rewrite' ? outcome.records : outcome.kind === 'keep' ? records : [];
    const horizon = outcome.kind === 'rewrite' ? outcome.deleteHorizonMs : batch.deleteHorizonMs;
    const mappedTombstone = (kept ?? []).some(
      (record) => record.value === null && record.offset < this.rules.map.endOffset,
    );
    if (horizon !== null && mappedTombstone) {
      this.tombstoneHorizonMs = Math.min(this.tombstoneHorizonMs ?? horizon, horizon);
    }
    items.push({ kind: 'batch', batch, outcome });
    return items;
  }

  /** The filler of the last dropped batches, if the group ends with some. */
  finish(): CleanedItem<B, R>[] {
    return this.closeRun();
  }

  private drop(batch: B, filler: boolean): CleanedItem<B, R>[] {
    const run = this.run;
    if (run !== null && run.partitionLeaderEpoch === batch.partitionLeaderEpoch) {
      this.run = {
        ...run,
        lastOffset: batch.lastOffset,
        maxTimestamp: Math.max(run.maxTimestamp, batch.maxTimestamp),
      };
      this.runIsOneFiller = false;
      return [];
    }
    const closed = this.closeRun();
    this.run = {
      baseOffset: batch.baseOffset,
      lastOffset: batch.lastOffset,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
      maxTimestamp: batch.maxTimestamp,
    };
    this.runIsOneFiller = filler;
    return closed;
  }

  private closeRun(): CleanedItem<B, R>[] {
    const run = this.run;
    this.run = null;
    if (run === null) return [];
    if (!this.runIsOneFiller) this.changed = true;
    return [{ kind: 'filler', filler: run }];
  }
}
