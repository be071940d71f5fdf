// One log cleaning round over a partition log (Kafka's Cleaner.clean): the I/O around compaction.ts.
//
// 1. Map: the batches of the dirty section's cleanable segments, key by key, into the offset map (up
//    to its memory budget; the round covers what it mapped).
// 2. Clean: every segment below the map's end, a group of small ones at a time, into a new segment file
//    `<base>.log.cleaned` (compaction.ts decides each batch), fsynced.
// 3. Swap (in the log's serial queue, so no read sees it half done): rename it to `<base>.log.swap`
//    (from here the cleaning is committed: open completes it), delete the group's segments, rename the
//    swap file to `<base>.log`, write its indexes. A group whose segments changed meanwhile (retention,
//    truncation) or that cleaning did not change is not swapped.
//
// Reads of the old segments go through the serial queue chunk by chunk, so appends and reads go on
// between them and a segment is never deleted under a read; decoding, encoding and writing the new file
// happen outside it. Each batch read is checked as a read checks it (CRC, contiguous offsets, leader
// epoch): the cleaner rewrites records under a new CRC and must never seal damage into one.

import { KafkaError } from '../common/kafka-errors.ts';
import type { CleanableRange } from './cleaning-plan.ts';
import { groupSegments } from './cleaning-plan.ts';
import { type CleanedItem, type Filler, GroupCleaner, OffsetMap } from './compaction.ts';
import type { FileSystem } from './file-system.ts';
import type { LogConfig } from './log-config.ts';
import { LogSegment } from './log-segment.ts';
import { batchAt } from './record-batch/batch-iterator.ts';
import { type BatchFields, encodeBatch } from './record-batch/builder.ts';
import { decodeRecords } from './record-batch/decoder.ts';
import {
  CONTROL_MASK,
  DELETE_HORIZON_MASK,
  LOG_OVERHEAD_BYTES,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from './record-batch/format.ts';
import type { RecordBatchHeader } from './record-batch/header.ts';
import type { DecodedRecord } from './record-batch/record.ts';
import { batchDefect } from './record-batch/validate.ts';
import { NO_TIMESTAMP } from './types.ts';

const READ_CHUNK_BYTES = 1024 * 1024;
const WRITE_CHUNK_BYTES = 1024 * 1024;

/** What a round needs of its log; PartitionLog gives it, over its own state. */
export interface CleaningHost {
  readonly fs: FileSystem;
  readonly dir: string;
  /** Runs `operation` in the log's serial queue (rejects once the log is closed or failed). */
  exclusive<T>(operation: () => Promise<T>): Promise<T>;
  /** In the queue: `segment` is still the log's and nothing was truncated since the round began. */
  intact(segment: LogSegment): boolean;
  /** In the queue: the leader epoch of the batch holding `at`, as the epoch cache says. */
  epochAt(at: number): number | undefined;
  /**
   * In the queue: replaces `group` (consecutive segments of the log, none active) with `cleaned`,
   * durably; false, changing nothing, when the group is no longer intact. Once it began, the cleaned
   * file is the log's (a swap cut short by an error is completed at the next open).
   */
  swapIn(group: readonly LogSegment[], cleaned: LogSegment): Promise<boolean>;
  /** An I/O error outside the queue: the log fails (fail-stop). Returns what to throw. */
  fail(error: unknown): Error;
}

export interface CleaningRound {
  readonly range: CleanableRange;
  /** The log's closed segments below the first uncleanable offset, from its first. */
  readonly segments: readonly LogSegment[];
  readonly config: LogConfig;
  readonly nowMs: number;
  /** Base offsets of the batches the producer state retains. */
  readonly producerBatches: ReadonlySet<number>;
  /** log.cleaner.dedupe.buffer.size */
  readonly offsetMapBytes: number;
  readonly signal?: AbortSignal | undefined;
}

export interface CleaningResult {
  /** Where this round's offset map started. */
  readonly mappedFromOffset: number;
  /** The first offset the next round maps from (the map's end), or null when the round gave up. */
  readonly firstDirtyOffset: number | null;
  readonly groupsCleaned: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** The earliest delete horizon of a tombstone kept: the log is due again then. */
  readonly tombstoneHorizonMs: number | null;
}

/** The log changed under the round (or the round was told to stop): nothing is wrong, it gives up. */
class RoundAbandoned extends Error {}

export async function cleanLog(host: CleaningHost, round: CleaningRound): Promise<CleaningResult> {
  const map = new OffsetMap({
    startOffset: round.range.firstDirtyOffset,
    capacityBytes: round.offsetMapBytes,
  });
  const abandoned: CleaningResult = {
    mappedFromOffset: map.startOffset,
    firstDirtyOffset: null,
    groupsCleaned: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    tombstoneHorizonMs: null,
  };
  try {
    await buildOffsetMap(host, round, map);
    const cleanable = round.segments.filter((segment) => segment.baseOffset < map.endOffset);
    let groupsCleaned = 0;
    let bytesBefore = 0;
    let bytesAfter = 0;
    let tombstoneHorizonMs: number | null = null;
    for (const [first, count] of groupSegments(cleanable, round.config.segmentBytesMax)) {
      const group = cleanable.slice(first, first + count);
      const cleaned = await cleanGroup(host, round, map, group);
      bytesBefore += group.reduce((sum, segment) => sum + segment.sizeBytes, 0);
      bytesAfter += cleaned.sizeBytes;
      if (cleaned.swapped) groupsCleaned++;
      if (cleaned.tombstoneHorizonMs !== null)
        tombstoneHorizonMs = Math.min(
          tombstoneHorizonMs ?? cleaned.tombstoneHorizonMs,
          cleaned.tombstoneHorizonMs,
        );
    }
    return {
      mappedFromOffset: map.startOffset,
      firstDirtyOffset: map.endOffset,
      groupsCleaned,
      bytesBefore,
      bytesAfter,
      tombstoneHorizonMs,
    };
  } catch (error) {
    if (error instanceof RoundAbandoned) return abandoned;
    throw error;
  }
}

/** Maps the dirty section's cleanable batches, in order, until the map is full. */
async function buildOffsetMap(host: CleaningHost, round: CleaningRound, map: OffsetMap): Promise<void> {
  const { firstDirtyOffset, firstUncleanableOffset } = round.range;
  for (const segment of round.segments) {
    if (segment.nextOffset <= firstDirtyOffset) continue;
    if (segment.baseOffset >= firstUncleanableOffset) return;
    for await (const batch of checkedBatches(host, segment, round.signal)) {
      if (!map.putBatch(batch, batch.isControl ? null : recordsOf(batch))) return;
    }
  }
}

/** The records of a batch, or null when they do not decode (the batch is kept as it is). */
function recordsOf(batch: RecordBatchHeader): DecodedRecord[] | null {
  try {
    return decodeRecords(batch);
  } catch (error) {
    if (error instanceof KafkaError) return null;
    throw error;
  }
}

interface GroupOutcome {
  readonly swapped: boolean;
  readonly sizeBytes: number;
  readonly tombstoneHorizonMs: number | null;
}

/** Cleans one group into a new segment and swaps it in; an unchanged group is left as it is. */
async function cleanGroup(
  host: CleaningHost,
  round: CleaningRound,
  map: OffsetMap,
  group: readonly LogSegment[],
): Promise<GroupOutcome> {
  const groupBytes = group.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  const cleaner = new GroupCleaner<RecordBatchHeader, DecodedRecord>({
    map,
    nowMs: round.nowMs,
    deleteRetentionMs: round.config.deleteRetentionMs,
    retainedByProducerState: (baseOffset) => round.producerBatches.has(baseOffset),
  });
  const cleaned = await io(host, () => LogSegment.createCleaned(host.fs, host.dir, group[0]!.baseOffset));
  const writer = new CleanedSegmentWriter(host, cleaned, round.config.indexIntervalBytes);
  // Until its swap begins, the cleaned file is this round's to remove; once the swap began, the swap
  // protocol decides (one that failed half way, the log with it, is completed at the next open).
  let discardable = true;
  try {
    for (const segment of group) {
      for await (const batch of checkedBatches(host, segment, round.signal)) {
        await writer.write(cleaner.push(batch, batch.isControl ? null : recordsOf(batch)));
      }
    }
    await writer.write(cleaner.finish());
    if (!cleaner.changed)
      return { swapped: false, sizeBytes: groupBytes, tombstoneHorizonMs: cleaner.tombstoneHorizonMs };
    await writer.finish();
    const swapped = await host.exclusive(async () => {
      discardable = false;
      const done = await host.swapIn(group, cleaned);
      // Refused before it touched anything: the file is still this round's.
      if (!done) discardable = true;
      return done;
    });
    if (!swapped) throw new RoundAbandoned('the log changed during the cleaning');
    return { swapped, sizeBytes: cleaned.sizeBytes, tombstoneHorizonMs: cleaner.tombstoneHorizonMs };
  } finally {
    if (discardable) await discard(host.fs, cleaned);
  }
}

/** Closes and removes a cleaned segment that is not swapped in (open removes any left behind). */
async function discard(fs: FileSystem, cleaned: LogSegment): Promise<void> {
  await cleaned.close().catch(() => undefined);
  await fs.unlink(cleaned.paths.log).catch(() => undefined);
}

/** Runs file operations outside the queue: an I/O error fails the log, as any other would. */
async function io<T>(host: CleaningHost, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw host.fail(error);
  }
}

/** Encodes what the cleaner keeps and appends it to the cleaned segment, a chunk per write. */
class CleanedSegmentWriter {
  private readonly host: CleaningHost;
  private readonly segment: LogSegment;
  private readonly indexIntervalBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(host: CleaningHost, segment: LogSegment, indexIntervalBytes: number) {
    this.host = host;
    this.segment = segment;
    this.indexIntervalBytes = indexIntervalBytes;
  }

  async write(items: readonly CleanedItem<RecordBatchHeader, DecodedRecord>[]): Promise<void> {
    for (const item of items) {
      const bytes = encodeItem(item);
      this.pending.push(bytes);
      this.pendingBytes += bytes.length;
    }
    if (this.pendingBytes >= WRITE_CHUNK_BYTES) await this.flushPending();
  }

  /** Writes what is pending and fsyncs the file. */
  async finish(): Promise<void> {
    await this.flushPending();
    await io(this.host, () => this.segment.datasync());
    this.segment.flushedBytes = this.segment.sizeBytes;
  }

  private async flushPending(): Promise<void> {
    if (this.pending.length === 0) return;
    const bytes = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    const headers: RecordBatchHeader[] = [];
    for (let at = 0; at < bytes.length; ) {
      const found = batchAt(bytes, at);
      if (found.status !== 'ok') throw new Error(`bug: an encoded batch does not parse at byte ${at}`);
      headers.push(found.header);
      at = found.endBytes;
    }
    await io(this.host, () => this.segment.append(bytes, headers, this.indexIntervalBytes));
  }
}

/** A filler's batch: no records, no producer, no codec, no base timestamp. */
export function encodeFiller(filler: Filler): Buffer {
  return encodeBatch(
    {
      baseOffset: filler.baseOffset,
      lastOffsetDelta: filler.lastOffset - filler.baseOffset,
      partitionLeaderEpoch: filler.partitionLeaderEpoch,
      attributes: 0,
      baseTimestamp: NO_TIMESTAMP,
      maxTimestamp: filler.maxTimestamp,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
    },
    [],
  );
}

/** Whether a batch is a filler (or could pass for one: empty, without producer, not a control batch). */
export function isFiller(header: RecordBatchHeader): boolean {
  return header.recordCount === 0 && header.producerId < 0 && !header.isControl;
}

/** The bytes the cleaned segment holds for one item. */
function encodeItem(item: CleanedItem<RecordBatchHeader, DecodedRecord>): Buffer {
  if (item.kind === 'filler') return encodeFiller(item.filler);
  const { batch, outcome } = item;
  if (outcome.kind === 'keep') return batch.buffer;
  const fields: BatchFields = {
    baseOffset: batch.baseOffset,
    lastOffsetDelta: batch.lastOffsetDelta,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    attributes: batch.attributes,
    baseTimestamp: batch.baseTimestamp,
    maxTimestamp: batch.maxTimestamp,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
  };
  if (outcome.kind === 'empty') {
    // As Kafka's DefaultRecordBatch.writeEmptyHeader: no codec, no base timestamp, the rest kept.
    const attributes = batch.attributes & (TIMESTAMP_TYPE_MASK | TRANSACTIONAL_MASK | CONTROL_MASK);
    return encodeBatch({ ...fields, attributes, baseTimestamp: NO_TIMESTAMP }, []);
  }
  const { records, deleteHorizonMs } = outcome;
  const attributes =
    (batch.attributes & ~DELETE_HORIZON_MASK) | (deleteHorizonMs === null ? 0 : DELETE_HORIZON_MASK);
  const logAppendTime = batch.isLogAppendTime;
  return encodeBatch(
    {
      ...fields,
      attributes,
      baseTimestamp: deleteHorizonMs ?? batch.baseTimestamp,
      // CreateTime: the largest timestamp of the records kept (Kafka's builder computes it so).
      maxTimestamp: logAppendTime
        ? batch.maxTimestamp
        : Math.max(...records.map((record) => record.timestamp)),
    },
    records.map((record) => ({ ...record, offsetDelta: record.offset - batch.baseOffset })),
  );
}

/**
 * The whole batches of a closed `segment`, each checked as a read checks it, read through the log's
 * queue a chunk at a time. Gives up (RoundAbandoned) when the segment leaves the log or the round is
 * told to stop.
 */
async function* checkedBatches(
  host: CleaningHost,
  segment: LogSegment,
  signal: AbortSignal | undefined,
): AsyncGenerator<RecordBatchHeader> {
  let positionBytes = 0;
  let expected: number = segment.baseOffset;
  let wantedBytes = READ_CHUNK_BYTES;
  while (positionBytes < segment.sizeBytes) {
    if (signal?.aborted === true) throw new RoundAbandoned('the cleaner stopped');
    const chunkStart = positionBytes;
    const chunkExpected = expected;
    // Only Kafka errors may leave the queue's operation: any other fails the log.
    const read = await host.exclusive(async () => {
      if (!host.intact(segment)) return null;
      const chunk = await segment.readAt(chunkStart, Math.min(wantedBytes, segment.sizeBytes - chunkStart));
      return checkChunk(host, segment, chunk, chunkStart, chunkExpected);
    });
    if (read === null) throw new RoundAbandoned('a segment left the log');
    const { batches, endBytes } = read;
    if (batches.length === 0) {
      // A batch larger than the chunk: read again with room for the whole of it.
      wantedBytes = endBytes;
      continue;
    }
    wantedBytes = READ_CHUNK_BYTES;
    for (const batch of batches) {
      yield batch;
      expected = batch.lastOffset + 1;
    }
    positionBytes = chunkStart + endBytes;
  }
  if (expected !== segment.nextOffset) {
    throw segment.corrupt(
      positionBytes,
      `batches end at offset ${expected}, the segment at ${segment.nextOffset}`,
    );
  }
}

/**
 * The whole batches of `chunk`, checked; `endBytes`: where they end in it, or, when not even one fits,
 * how many bytes the first batch needs.
 */
function checkChunk(
  host: CleaningHost,
  segment: LogSegment,
  chunk: Buffer,
  chunkStart: number,
  expected: number,
): { batches: RecordBatchHeader[]; endBytes: number } {
  const batches: RecordBatchHeader[] = [];
  let at = 0;
  let next = expected;
  for (;;) {
    const found = batchAt(chunk, at);
    if (found.status === 'bad-length')
      throw segment.corrupt(chunkStart + at, 'batch length below a header', next);
    if (found.status === 'partial') {
      if (chunkStart + chunk.length >= segment.sizeBytes) {
        throw segment.corrupt(chunkStart + at, 'partial batch at the end of a closed segment', next);
      }
      if (batches.length === 0) {
        const needed =
          chunk.length >= LOG_OVERHEAD_BYTES ? LOG_OVERHEAD_BYTES + chunk.readInt32BE(8) : READ_CHUNK_BYTES;
        return { batches, endBytes: Math.max(needed, READ_CHUNK_BYTES) };
      }
      return { batches, endBytes: at };
    }
    const header = found.header;
    const defect = cleanedBatchDefect(host, segment, header, next);
    if (defect !== null) throw segment.corrupt(chunkStart + at, `${defect} (log cleaner)`, next);
    batches.push(header);
    next = header.lastOffset + 1;
    at = found.endBytes;
    if (at === chunk.length) return { batches, endBytes: at };
  }
}

function cleanedBatchDefect(
  host: CleaningHost,
  segment: LogSegment,
  header: RecordBatchHeader,
  expected: number,
): string | null {
  const defect = batchDefect(header);
  if (defect !== null) return defect.message;
  if (header.baseOffset !== expected)
    return `batch at offset ${header.baseOffset} where ${expected} was expected`;
  if (header.lastOffset >= segment.nextOffset)
    return `batch ends at offset ${header.lastOffset}, past the segment`;
  const epoch = host.epochAt(header.lastOffset);
  if (epoch !== undefined && header.partitionLeaderEpoch !== epoch) {
    return `leader epoch ${header.partitionLeaderEpoch} where the epoch cache has ${epoch}`;
  }
  return null;
}
