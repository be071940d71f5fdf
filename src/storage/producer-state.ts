// Idempotent producers' state in one partition (Kafka's ProducerStateManager, ProducerStateEntry and
// ProducerAppendInfo; KIP-98, KIP-360). Synchronous and I/O-free: the log feeds it the headers of the
// batches it appends or finds on disk, and asks it to check a leader's append first.
//
// For each producer id: its epoch and the last BATCHES_RETAINED_PER_PRODUCER batches of that epoch
// (sequence range and offsets). The state is a fold over the batches in the log, in offset order, so a
// follower (which applies without checking), a restarted replica (which rebuilds by scanning) and the
// leader that checked each batch all hold the same state for the same log.

import { assert } from '../../raft/assert.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import { invalidRecordError } from './errors.ts';
import { type Offset, offset } from './types.ts';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: a producer has at most 5 requests in flight. */
export const BATCHES_RETAINED_PER_PRODUCER = 5;

const INT32_MAX = 0x7fff_ffff;

/** The header fields the producer state reads: RecordBatchHeader has them all, read from the bytes. */
export interface ProducerBatchHeader {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastOffsetDelta: number;
  readonly isControl: boolean;
}

/** A batch of the log with its offsets assigned. */
export interface PlacedBatchHeader extends ProducerBatchHeader {
  readonly baseOffset: number;
}

/** One appended batch of a producer (Kafka's BatchMetadata). */
export interface ProducerBatch {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly firstOffset: Offset;
  readonly lastOffset: Offset;
}

export interface ProducerEntry {
  readonly producerEpoch: number;
  /** Oldest first; never empty (an entry exists because a batch of its epoch is in the log). */
  readonly batches: readonly ProducerBatch[];
}

/** What a leader's append is, once checked: new batches to write, or a retry of written ones. */
export type AppendVerdict =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly firstOffset: Offset; readonly lastOffset: Offset };

/**
 * Batches of idempotent producers carry a producer id >= 0 (Kafka's RecordBatch.hasProducerId); control
 * batches (transaction markers) carry no sequence and are left to transactions, which are not supported.
 */
export function isIdempotent(header: ProducerBatchHeader): boolean {
  return header.producerId >= 0 && !header.isControl;
}

/** The sequence of the batch's last record: sequences wrap from int32 max to 0 (DefaultRecordBatch). */
export function lastSequenceOf(header: ProducerBatchHeader): number {
  const { baseSequence, lastOffsetDelta } = header;
  return baseSequence > INT32_MAX - lastOffsetDelta
    ? lastOffsetDelta - (INT32_MAX - baseSequence) - 1
    : baseSequence + lastOffsetDelta;
}

/** `next` follows `last` (Kafka's ProducerAppendInfo.inSequence). */
function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

export class ProducerStateTable {
  private readonly entries = new Map<number, ProducerEntry>();

  get producerCount(): number {
    return this.entries.size;
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /** Every entry, by producer id: for comparisons (state kept incrementally vs rebuilt). */
  snapshot(): [number, ProducerEntry][] {
    return [...this.entries].sort(([a], [b]) => a - b);
  }

  /**
   * The leader's check of an append, in log order, before it is written (Kafka's
   * analyzeAndValidateProducerState for a client's append). A batch that repeats one of the producer's
   * retained batches (same epoch and sequence range) makes the append a duplicate: nothing is written
   * and the original offsets are answered. Otherwise each batch is checked against the state as the
   * append's earlier batches leave it: INVALID_PRODUCER_EPOCH for an older epoch,
   * OUT_OF_ORDER_SEQUENCE_NUMBER for a new epoch not starting at sequence 0 or a sequence that does not
   * follow the last one. A producer this partition does not know may start at any sequence: its state
   * may have left with the segments retention deleted (Kafka 2.5+, KIP-360). Changes nothing.
   */
  check(headers: readonly ProducerBatchHeader[]): AppendVerdict {
    const updated = new Map<number, { producerEpoch: number; lastSequence: number }>();
    for (const header of headers) {
      if (!isIdempotent(header)) continue;
      const { producerId, producerEpoch, baseSequence } = header;
      if (baseSequence < 0) {
        throw invalidRecordError(`sequence ${baseSequence} in a batch of producer ${producerId}`);
      }
      const known = this.entries.get(producerId);
      const duplicate = known === undefined ? undefined : findDuplicate(known, header);
      if (duplicate !== undefined) {
        return { kind: 'duplicate', firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset };
      }
      const current = updated.get(producerId) ?? lastOf(known);
      if (current !== undefined) checkAgainst(producerId, current, header);
      updated.set(producerId, { producerEpoch, lastSequence: lastSequenceOf(header) });
    }
    return { kind: 'append' };
  }

  /**
   * Records a batch the log now holds (leader, follower or recovery), without checks: a newer epoch
   * replaces the producer's batches (Kafka's ProducerStateEntry.addBatch).
   */
  apply(header: PlacedBatchHeader): void {
    if (!isIdempotent(header)) return;
    const placed: ProducerBatch = {
      firstSequence: header.baseSequence,
      lastSequence: lastSequenceOf(header),
      firstOffset: offset(header.baseOffset),
      lastOffset: offset(header.baseOffset + header.lastOffsetDelta),
    };
    const known = this.entries.get(header.producerId);
    const previous = known?.batches.at(-1);
    assert(previous === undefined || placed.firstOffset > previous.lastOffset, 'producer batches go back', {
      producerId: header.producerId,
      previous,
      placed,
    });
    const kept = known !== undefined && known.producerEpoch === header.producerEpoch ? known.batches : [];
    this.entries.set(header.producerId, {
      producerEpoch: header.producerEpoch,
      batches: [...kept, placed].slice(-BATCHES_RETAINED_PER_PRODUCER),
    });
  }

  /**
   * The log's segments before `firstOffsetKept` were deleted (retention, DeleteRecords): their batches
   * are forgotten, and so is a producer with none left, as a rebuild from the remaining log would.
   */
  forgetBefore(firstOffsetKept: Offset): void {
    for (const [producerId, entry] of this.entries) {
      const batches = entry.batches.filter((batch) => batch.firstOffset >= firstOffsetKept);
      if (batches.length === 0) this.entries.delete(producerId);
      else if (batches.length < entry.batches.length) this.entries.set(producerId, { ...entry, batches });
    }
  }

  /** True when some batch this state retains ends at or after `target`: a cut there changes the state. */
  reachesOffset(target: Offset): boolean {
    for (const entry of this.entries.values()) {
      if (entry.batches.at(-1)!.lastOffset >= target) return true;
    }
    return false;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Replaces the state with `entries` (a snapshot's, already checked). */
  load(entries: readonly (readonly [number, ProducerEntry])[]): void {
    this.entries.clear();
    for (const [producerId, entry] of entries) {
      assert(entry.batches.length > 0, 'a producer entry holds a batch', { producerId });
      this.entries.set(producerId, entry);
    }
  }
}

function findDuplicate(entry: ProducerEntry, header: ProducerBatchHeader): ProducerBatch | undefined {
  if (entry.producerEpoch !== header.producerEpoch) return undefined;
  const lastSequence = lastSequenceOf(header);
  return entry.batches.find(
    (batch) => batch.firstSequence === header.baseSequence && batch.lastSequence === lastSequence,
  );
}

function lastOf(
  entry: ProducerEntry | undefined,
): { producerEpoch: number; lastSequence: number } | undefined {
  if (entry === undefined) return undefined;
  return { producerEpoch: entry.producerEpoch, lastSequence: entry.batches.at(-1)!.lastSequence };
}

/** Kafka's checkProducerEpoch and checkSequence for a producer this partition knows. */
function checkAgainst(
  producerId: number,
  current: { producerEpoch: number; lastSequence: number },
  header: ProducerBatchHeader,
): void {
  const { producerEpoch, baseSequence } = header;
  if (producerEpoch < current.producerEpoch) {
    throw new KafkaError(
      'INVALID_PRODUCER_EPOCH',
      `producer ${producerId} has epoch ${producerEpoch}, older than its epoch ${current.producerEpoch}`,
    );
  }
  if (producerEpoch > current.producerEpoch) {
    if (baseSequence !== 0) {
      throw new KafkaError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `producer ${producerId} starts its epoch ${producerEpoch} at sequence ${baseSequence}, not 0`,
      );
    }
    return;
  }
  if (!inSequence(current.lastSequence, baseSequence)) {
    throw new KafkaError(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
      `producer ${producerId} sent sequence ${baseSequence} after ${current.lastSequence}`,
    );
  }
}
