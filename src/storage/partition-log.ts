// The log of one partition replica: a directory of segments (log-segment.ts), appends of whole record
// batches as bytes, reads of whole batches as bytes, group-committed flushes, truncation, retention and
// the leader-epoch cache. See README.md for the durability contract.
//
// Every operation runs in one serial queue, so a read never sees a segment being cut or deleted. The
// fsync of a flush runs outside the queue (appends continue meanwhile); operations that cut or delete
// files first wait for the fsync in progress, so no handle is closed under it.

import { assert, InvariantError } from '../../raft/assert.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import { basename } from 'node:path';
import { type AppendInput, parseAppendInput, requireKeys } from './append-input.ts';
import { writeCheckpoint } from './checkpoint-file.ts';
import { writeDamageMarker } from './damage-marker.ts';
import { type CorruptLogError, invalidRecordError, isLogDirFailure, logDirFailure } from './errors.ts';
import type { FileSystem } from './file-system.ts';
import { GroupCommit } from './group-commit.ts';
import type { EpochEndOffset, EpochEntry, LeaderEpochCache } from './leader-epoch-cache.ts';
import { LOG_CONFIG_DEFAULTS, type LogConfig } from './log-config.ts';
import { recoverLog } from './log-recovery.ts';
import { LogSegment } from './log-segment.ts';
import { nodeFileSystem } from './node-file-system.ts';
import {
  type ProducerSnapshot,
  readProducerSnapshot,
  removeProducerSnapshot,
  writeProducerSnapshot,
} from './producer-snapshot.ts';
import { type ProducerEntry, ProducerStateTable } from './producer-state.ts';
import { type CleanableRange, cleanableRange, cleaningDue, dirtyRatio } from './cleaning-plan.ts';
import {
  type CleaningHost,
  type CleaningResult,
  type CleaningRound,
  cleanLog,
  encodeFiller,
  isFiller,
} from './log-cleaning.ts';
import { batchesIn } from './record-batch/batch-iterator.ts';
import { decodeRecords } from './record-batch/decoder.ts';
import { RecordBatchHeader, stampBaseOffset, stampPartitionLeaderEpoch } from './record-batch/header.ts';
import { batchDefect } from './record-batch/validate.ts';
import { segmentsOutOfRetention } from './retention.ts';
import { segmentPaths, swapFilePath } from './segment-files.ts';
import { visitBatchHeaders } from './segment-headers.ts';
import { type LeaderEpoch, leaderEpoch, NO_TIMESTAMP, type Offset, offset } from './types.ts';

export type { CleaningResult } from './log-cleaning.ts';

export interface PartitionLogOptions {
  readonly dir: string;
  readonly config?: Partial<LogConfig>;
  /** Milliseconds since the epoch; injected so tests and the simulation control time. */
  readonly now?: () => number;
  /**
   * Called once, when an I/O error makes the log fail-stop, before the failing call rejects (Kafka's
   * LogDirFailureChannel): the replica manager takes the log directory offline at once.
   */
  readonly onFailure?: (error: KafkaError) => void;
  /** Where the files are: node:fs by default, a simulated disk in the simulation. */
  readonly fs?: FileSystem;
  /**
   * Open with bit rot found in a closed segment instead of refusing (the last in-sync copy: its data
   * may exist nowhere else; ReplicaManager decides).
   */
  readonly tolerateDamage?: boolean;
}

export interface AppendResult {
  readonly firstOffset: Offset;
  readonly lastOffset: Offset;
  /** The largest batch MaxTimestamp of the append (NO_TIMESTAMP for a duplicate). */
  readonly maxTimestamp: number;
  /**
   * An idempotent producer's retry of a batch the log holds: nothing was written, and the offsets are
   * the original batch's (Kafka answers a duplicate with success and the cached offsets).
   */
  readonly duplicate: boolean;
}

export interface ReadOptions {
  readonly startOffset: Offset;
  /** Soft limit: whole batches up to this size, but always the first batch, however large. */
  readonly maxBytes: number;
  /** Exclusive upper bound, e.g. the high watermark: only batches that end before it are returned. */
  readonly maxOffset: Offset;
}

export interface ReadResult {
  /** Whole batches, laid end to end as stored; the first may start before startOffset. */
  readonly bytes: Buffer;
  /** The offset after the last batch returned (startOffset when nothing is). */
  readonly nextOffset: Offset;
}

export interface LogCleaningState {
  /** Dirty bytes / all bytes of the closed segments the cleaner may look at. */
  readonly dirtyRatio: number;
  readonly due: boolean;
}

export interface TimestampOffset {
  readonly offset: Offset;
  readonly timestamp: number;
}

/** A record found by its timestamp, with the leader epoch of its batch. */
export interface TimestampedRecord extends TimestampOffset {
  readonly leaderEpoch: number;
}

/** Kafka checks that offsets relative to a segment's base fit an int32 (the index files store u32). */
const RELATIVE_OFFSET_MAX = 0x7fff_ffff;

export class PartitionLog {
  readonly dir: string;
  private readonly fs: FileSystem;
  private config: LogConfig;
  private readonly now: () => number;
  private readonly segments: LogSegment[];
  private readonly epochs: LeaderEpochCache;
  private readonly queue: SerialQueueWithFailure;
  private readonly groupCommit: GroupCommit;
  /** Idempotent producers' state: a fold over the batches of the segments (producer-state.ts). */
  private readonly producers = new ProducerStateTable();
  private startOffset: Offset;
  private durableOffset: Offset;
  private checkpointedRecoveryPoint: Offset;
  private checkpointWrittenMs: number;
  /** A segment file was created since the last directory fsync. */
  private directoryDirty = false;
  /** The fsync phase of the flush in progress. */
  private syncing: Promise<void> | null = null;
  /** Where the log cleaner's next round starts mapping keys (checkpointed). */
  private firstDirtyOffset: Offset;
  /** The earliest delete horizon of a tombstone the last cleaning kept: the log is due again then. */
  private tombstoneHorizonMs: number | null = null;
  /** A cleaning round in progress (one at a time). */
  private cleaning = false;
  /** Bumped by every cut of the log's end: a cleaning round that began before gives up. */
  private truncations = 0;

  private constructor(options: {
    fs: FileSystem;
    dir: string;
    config: LogConfig;
    now: () => number;
    recovered: Awaited<ReturnType<typeof recoverLog>>;
    onFailure: (error: KafkaError) => void;
  }) {
    this.dir = options.dir;
    this.queue = new SerialQueueWithFailure(options.dir, options.onFailure);
    this.fs = options.fs;
    this.config = options.config;
    this.now = options.now;
    this.segments = options.recovered.segments;
    this.epochs = options.recovered.leaderEpochs;
    this.startOffset = options.recovered.logStartOffset;
    this.durableOffset = options.recovered.recoveryPoint;
    this.checkpointedRecoveryPoint = options.recovered.recoveryPoint;
    this.firstDirtyOffset = options.recovered.firstDirtyOffset;
    this.checkpointWrittenMs = options.now();
    this.groupCommit = new GroupCommit(() => this.flushRound());
  }

  /** Opens (and recovers) the log in `dir`, creating the directory when needed. */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const config = { ...LOG_CONFIG_DEFAULTS, ...options.config };
    assert(config.segmentBytesMax > 0 && config.indexIntervalBytes > 0, 'log config sizes', { config });
    const fs = options.fs ?? nodeFileSystem;
    const recovered = await recoverLog({ fs, dir: options.dir }, config, {
      tolerateDamage: options.tolerateDamage ?? false,
    });
    const log = new PartitionLog({
      fs,
      dir: options.dir,
      config,
      now: options.now ?? Date.now,
      recovered,
      onFailure: options.onFailure ?? (() => undefined),
    });
    await log.syncRecoveredTail();
    await log.loadProducerState();
    return log;
  }

  /**
   * Recovery read the tail from the page cache, which a kill -9 keeps and a power loss may not: batches
   * after the recovery point, and a cut of a truncation that was killed before its fsync (the cut
   * segment then ends at the recovery point; unsynced, the truncated batches would come back). Fsync
   * every segment from the one holding the recovery point (the checkpoint's directory fsync makes
   * deletions durable), then record the whole log as the recovery point. The batches after the
   * recovery point are written again first: when an fsync failed before the kill, Linux marked their
   * pages clean without writing them (fsyncgate), and an fsync alone would not write them now.
   */
  private async syncRecoveredTail(): Promise<void> {
    for (const segment of this.segments) {
      if (segment.nextOffset < this.durableOffset) continue;
      const firstUnsynced = await segment.locate(this.durableOffset);
      if (firstUnsynced !== null) await segment.rewriteFrom(firstUnsynced.positionBytes);
      await segment.datasync();
    }
    this.durableOffset = this.logEndOffset;
    await this.writeCheckpointNow();
  }

  /**
   * The producer state at open: the snapshot a clean close left (producer-snapshot.ts), when it
   * describes exactly this log (taken at its end offset); otherwise the headers of every batch in the
   * segments (after a crash, or a snapshot that does not decode). The snapshot is removed, durably,
   * before anything can change the log below its offset.
   */
  private async loadProducerState(): Promise<void> {
    const snapshot = await readProducerSnapshot(this.fs, this.dir);
    if (snapshot !== null && snapshot.offset === this.logEndOffset) {
      this.producers.load(snapshot.producers);
      // Recovery may have dropped segments below the checkpoint's log start since (a rebuild would not
      // see their batches either).
      this.producers.forgetBefore(this.segments[0]!.baseOffset);
    } else {
      await this.rebuildProducerState();
    }
    await removeProducerSnapshot(this.fs, this.dir);
  }

  /**
   * The producer state from the headers of every batch in the segments (the records are not read). A
   * damaged header (bit rot) ends the walk of its segment, and the state misses that segment's later
   * batches: the log still opens, so that a read finds the damage and the replica manager repairs it
   * (README: "bit rot"); refusing here would keep the last in-sync copy from serving at all.
   */
  private async rebuildProducerState(): Promise<void> {
    this.producers.clear();
    for (const segment of this.segments) {
      await visitBatchHeaders(segment, (header) => this.producers.apply(header));
    }
  }

  /**
   * The producer state a walk of the whole log finds now, by producer id (tests compare it with the
   * state kept, and with the one loaded from a snapshot). Changes nothing.
   */
  producerStateFromLog(): Promise<[number, ProducerEntry][]> {
    return this.queue.run(async () => {
      const kept = this.producers.snapshot();
      try {
        await this.rebuildProducerState();
        return this.producers.snapshot();
      } finally {
        this.producers.load(kept);
      }
    });
  }

  /** An idempotent producer's state here (its epoch and last batches), if the log holds its batches. */
  producerEntry(producerId: number): ProducerEntry | undefined {
    return this.producers.entry(producerId);
  }

  /** Every producer's state, by producer id (tests compare what is kept with what a rebuild finds). */
  producerStateSnapshot(): [number, ProducerEntry][] {
    return this.producers.snapshot();
  }

  /** A topic's configs changed (retention, segment size...): later appends and retention use them. */
  updateConfig(config: Partial<LogConfig>): void {
    this.config = { ...this.config, ...config };
  }

  get logEndOffset(): Offset {
    return this.active().nextOffset;
  }
  get logStartOffset(): Offset {
    return this.startOffset;
  }
  /** Everything below this offset is fsynced (the in-memory recovery point). */
  get flushedOffset(): Offset {
    return this.durableOffset;
  }
  get leaderEpochEntries(): readonly EpochEntry[] {
    return this.epochs.all();
  }
  get latestEpoch(): LeaderEpoch | undefined {
    return this.epochs.latest()?.epoch;
  }
  get sizeBytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  }
  get segmentCount(): number {
    return this.segments.length;
  }

  /** OffsetsForLeaderEpoch: the largest epoch <= `epoch` in this log and the offset where it ends. */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, this.logEndOffset);
  }

  /**
   * The leader's append: assigns offsets from the log end offset and stamps `epoch` on every batch, in
   * place in `batches` (both fields are outside the CRC). Throws FENCED_LEADER_EPOCH for an epoch older
   * than the log's latest. Idempotent producers' batches are checked against the producer state in the
   * queue, so against every append queued before this one: a retry of a batch the log holds is answered
   * with the original offsets and not written; INVALID_PRODUCER_EPOCH and OUT_OF_ORDER_SEQUENCE_NUMBER
   * refuse the whole append.
   */
  async appendAsLeader(batches: Buffer, epoch: LeaderEpoch): Promise<AppendResult> {
    const input = parseAppendInput(batches, this.config, 'producer');
    if (this.config.cleanupCompact) requireKeys(input, basename(this.dir));
    return this.queue.run(async () => {
      const latest = this.epochs.latest()?.epoch;
      if (latest !== undefined && epoch < latest) {
        throw new KafkaError('FENCED_LEADER_EPOCH', `epoch ${epoch} is older than the log's epoch ${latest}`);
      }
      const verdict = this.producers.check(input.headers);
      if (verdict.kind === 'duplicate') {
        const { firstOffset, lastOffset } = verdict;
        assert(lastOffset < this.logEndOffset, 'a duplicate answers offsets the log holds', {
          firstOffset,
          lastOffset,
          logEndOffset: this.logEndOffset,
        });
        return { firstOffset, lastOffset, maxTimestamp: NO_TIMESTAMP, duplicate: true };
      }
      let next = this.logEndOffset;
      for (const header of input.headers) {
        stampBaseOffset(header.buffer, next);
        stampPartitionLeaderEpoch(header.buffer, epoch);
        next = offset(header.lastOffset + 1);
      }
      return this.write(input);
    });
  }

  /**
   * The follower's append of batches fetched from the leader, offsets and epochs already assigned: they
   * must start at the log end offset, be contiguous, and never lower the epoch.
   */
  async appendAsFollower(batches: Buffer): Promise<AppendResult> {
    const parsed = parseAppendInput(batches, this.config, 'replica');
    return this.queue.run(async () => {
      const input = trimLeadingFiller(parsed, this.logEndOffset, this.config);
      let expected: number = this.logEndOffset;
      let epochMin = this.epochs.latest()?.epoch ?? 0;
      for (const header of input.headers) {
        if (header.baseOffset !== expected) {
          throw new KafkaError(
            'OFFSET_OUT_OF_RANGE',
            `batch at offset ${header.baseOffset}, log ends at ${expected}`,
          );
        }
        if (header.partitionLeaderEpoch < epochMin) {
          throw invalidRecordError(`leader epoch ${header.partitionLeaderEpoch} after epoch ${epochMin}`);
        }
        expected = header.lastOffset + 1;
        epochMin = header.partitionLeaderEpoch;
      }
      return this.write(input);
    });
  }

  private async write(input: AppendInput): Promise<AppendResult> {
    const first = input.headers[0]!;
    const last = input.headers.at(-1)!;
    await this.maybeRoll(input, last.lastOffset);
    for (const header of input.headers) {
      this.epochs.assign(leaderEpoch(header.partitionLeaderEpoch), offset(header.baseOffset));
    }
    // A failed write may leave part of it in the file while the accounting does not: the queue fails
    // the log for good (every error that is not a KafkaError or a broken invariant does).
    await this.active().append(input.bytes, input.headers, this.config.indexIntervalBytes);
    for (const header of input.headers) this.producers.apply(header);
    return {
      firstOffset: offset(first.baseOffset),
      lastOffset: offset(last.lastOffset),
      maxTimestamp: input.maxTimestamp,
      duplicate: false,
    };
  }

  private async maybeRoll(input: AppendInput, lastOffset: number): Promise<void> {
    const active = this.active();
    if (active.isEmpty()) return;
    const full = active.sizeBytes + input.bytes.length > this.config.segmentBytesMax;
    const old = input.maxTimestamp - active.firstBatchMaxTimestamp > this.config.segmentAgeMsMax;
    const offsetsExhausted = lastOffset - active.baseOffset > RELATIVE_OFFSET_MAX;
    if (full || old || offsetsExhausted) await this.rollNow();
  }

  private async rollNow(): Promise<void> {
    await this.active().seal();
    this.segments.push(await LogSegment.create(this.fs, this.dir, this.logEndOffset));
    this.directoryDirty = true;
    // DeleteRecords past the whole active segment kept it (the log needs one); sealed, it goes now, as
    // recovery would drop it, so that the producer state forgets its batches as a rebuild at open does.
    let below = 0;
    while (below < this.segments.length - 1 && this.segments[below]!.nextOffset <= this.startOffset) below++;
    if (below > 0) await this.deleteLeadingSegments(below, this.startOffset);
  }

  /** Starts a new segment at the log end offset (unless the active one is empty). */
  roll(): Promise<void> {
    return this.queue.run(async () => {
      if (!this.active().isEmpty()) await this.rollNow();
    });
  }

  /**
   * Whole batches from the one holding `startOffset`, within one segment. OFFSET_OUT_OF_RANGE when
   * `startOffset` is below the log start offset or above the log end offset.
   */
  read(options: ReadOptions): Promise<ReadResult> {
    return this.queue.run(async () => {
      const { startOffset } = options;
      if (startOffset < this.startOffset || startOffset > this.logEndOffset) {
        const range = `[${this.startOffset}, ${this.logEndOffset}]`;
        throw new KafkaError('OFFSET_OUT_OF_RANGE', `offset ${startOffset} is outside ${range}`);
      }
      const empty = { bytes: Buffer.alloc(0), nextOffset: startOffset };
      const upper = Math.min(options.maxOffset, this.logEndOffset);
      if (startOffset >= upper) return empty;
      const segment = this.segmentHolding(startOffset);
      const found = await segment.locate(startOffset);
      assert(found !== null, () => `no batch holds offset ${startOffset} below ${upper}`);
      if (found.header.lastOffset >= upper) return empty;
      const lengthBytes = Math.min(
        segment.sizeBytes - found.positionBytes,
        Math.max(options.maxBytes, found.header.sizeBytes),
      );
      const chunk = await segment.readAt(found.positionBytes, lengthBytes);
      return takeBatches(chunk, {
        upper,
        maxBytes: options.maxBytes,
        segment,
        positionBytes: found.positionBytes,
        firstOffset: found.header.baseOffset,
        epochAt: (at) => this.epochs.epochAt(at),
      });
    });
  }

  /** Makes everything appended so far durable; resolves with the offset it is durable up to. */
  async flush(): Promise<Offset> {
    // The target is taken in the queue, after every write called before this flush: a leader demoted
    // to follower flushes before its first fetch, and an append still queued then must be covered.
    const target = await this.queue.run(async () => this.logEndOffset);
    await this.waitDurable(target);
    return target;
  }

  /** Resolves once every offset below `target` is fsynced, flushing (shared with others) as needed. */
  async waitDurable(target: Offset): Promise<void> {
    await this.groupCommit.waitUntil(() => {
      // A failed log makes nothing durable any more, not even what needs no fsync.
      this.queue.throwIfFailed();
      if (target > this.logEndOffset) {
        throw new KafkaError(
          'OFFSET_OUT_OF_RANGE',
          `offset ${target} was truncated (log ends at ${this.logEndOffset})`,
        );
      }
      return this.durableOffset >= target;
    });
  }

  /** One flush round: capture what is written (in the queue), fsync it (outside), record it. */
  private async flushRound(): Promise<void> {
    const { syncing } = await this.queue.run(async () => {
      const target = this.logEndOffset;
      const dirty = this.segments.filter((segment) => segment.flushedBytes < segment.sizeBytes);
      const sizes = dirty.map((segment) => segment.sizeBytes);
      const directory = this.directoryDirty;
      this.directoryDirty = false;
      // No index writes here: opening the log scans the active segment (it holds or follows the recovery
      // point) and rebuilds its indexes, and sealing writes and syncs them. Writing both index files at
      // every flush was ~8% of a broker's busy time under produce load, for files nothing read.
      const syncing = this.syncFiles({ target, dirty, sizes, directory }).finally(() => {
        this.syncing = null;
      });
      this.syncing = syncing;
      // Wrapped: returning the promise itself would hold the queue until the fsync ends.
      return { syncing };
    });
    await syncing;
  }

  private async syncFiles(work: {
    target: Offset;
    dirty: LogSegment[];
    sizes: number[];
    directory: boolean;
  }): Promise<void> {
    // Outside the queue, so its failures do not reach the queue's handler: fail it here.
    try {
      await Promise.all(work.dirty.map((segment) => segment.datasync()));
      if (work.directory) await this.fs.syncDir(this.dir);
      work.dirty.forEach((segment, at) => {
        segment.flushedBytes = Math.max(segment.flushedBytes, work.sizes[at]!);
      });
      this.durableOffset = offset(Math.max(this.durableOffset, work.target));
      // A sealed segment that became durable is checkpointed at once (once per roll): recovery then
      // trusts it, so bit rot in it is found by the CRC on read instead of being cut off as a torn tail
      // while this replica stays in the ISR.
      const sealedUnchecked = this.checkpointedRecoveryPoint < this.active().baseOffset;
      if (
        this.now() - this.checkpointWrittenMs >= this.config.checkpointIntervalMs ||
        (sealedUnchecked && this.durableOffset >= this.active().baseOffset)
      )
        await this.writeCheckpointNow();
    } catch (error) {
      // Outside the queue: after a failed fsync the page cache may have dropped the writes (fsyncgate).
      throw this.queue.fail(error);
    }
  }

  /**
   * Removes every batch from the one holding `target` on (a follower dropping a divergent suffix). The
   * log then ends at `target`, or earlier when `target` falls inside a batch. The checkpoint is lowered
   * before any file is cut, and the cut is fsynced before anything is appended after it.
   */
  truncateTo(target: Offset): Promise<void> {
    return this.queue.run(async () => {
      if (target >= this.logEndOffset) return;
      const holding = await this.segmentHolding(target).locate(target);
      assert(holding !== null, () => `no batch holds offset ${target}`);
      const newEnd = offset(holding.header.baseOffset);
      if (newEnd < this.startOffset) {
        throw new KafkaError(
          'OFFSET_OUT_OF_RANGE',
          `cannot truncate to ${newEnd} below the log start ${this.startOffset}`,
        );
      }
      await this.syncing;
      await this.lowerRecoveryPoint(newEnd);
      this.truncations++;
      let removed = false;
      while (this.segments.length > 1 && this.active().baseOffset >= newEnd) {
        await this.segments.pop()!.delete();
        removed = true;
      }
      if (removed) await this.fs.syncDir(this.dir);
      await this.cutActiveSegment(newEnd);
      // Only a cut through some producer's retained batches changes the state (every idempotent batch
      // is at or before its producer's last one, which is retained).
      if (this.producers.reachesOffset(newEnd)) await this.rebuildProducerState();
    });
  }

  /**
   * Bit rot: a read found `damage` in one of this log's segments (data that was durable failed a CRC or
   * header check). Records it durably (damage-marker.ts: the replica drops that segment and every later
   * one at its next open, once out of the ISR) and fails the log for good, so that the broker stops
   * and the controller moves leadership. Rejects with the log's KAFKA_STORAGE_ERROR.
   */
  markDamaged(damage: CorruptLogError): Promise<never> {
    return this.queue.run(async () => {
      const segment = this.segments.find((candidate) => candidate.paths.log === damage.path);
      if (segment !== undefined) await writeDamageMarker(this.fs, this.dir, segment.baseOffset);
      throw this.queue.fail(damage);
    });
  }

  /**
   * Bit rot found by the last in-sync copy above its high watermark (ReplicaManager decides): cuts the
   * log exactly at the damaged batch, durably (the checkpoint lowered first), and fails the log for good.
   * What goes was never committed. Rejects with the log's KAFKA_STORAGE_ERROR.
   */
  cutAtDamage(damage: CorruptLogError): Promise<never> {
    return this.queue.run(async () => {
      const at = this.segments.findIndex((segment) => segment.paths.log === damage.path);
      const firstOffset = damage.firstOffset;
      if (at >= 0 && firstOffset !== undefined && firstOffset >= this.startOffset) {
        await this.syncing;
        this.truncations++;
        const newEnd = offset(firstOffset);
        await this.lowerRecoveryPoint(newEnd);
        for (const segment of this.segments.splice(at + 1).reverse()) await segment.delete();
        await this.cutSegmentAt(this.segments[at]!, newEnd, damage.positionBytes);
        await this.fs.syncDir(this.dir);
      }
      throw this.queue.fail(damage);
    });
  }

  /** Cuts the active segment at `newEnd`, a batch boundary inside it (or its end: nothing to do). */
  private async cutActiveSegment(newEnd: Offset): Promise<void> {
    const segment = this.active();
    const found = await segment.locate(newEnd);
    if (found === null) return;
    assert(
      found.header.baseOffset === newEnd,
      () => `cut at ${newEnd} inside batch ${found.header.baseOffset}`,
    );
    await this.cutSegmentAt(segment, newEnd, found.positionBytes);
  }

  /** Cuts `segment`'s file at `positionBytes`, where the batch starting at `newEnd` began. */
  private async cutSegmentAt(segment: LogSegment, newEnd: Offset, positionBytes: number): Promise<void> {
    await segment.truncateFile(positionBytes);
    segment.offsetIndex.keep(segment.offsetIndex.countWhile((key) => key < newEnd));
    segment.timeIndex.keep(segment.timeIndex.countWhile((_, value) => value < newEnd));
    segment.nextOffset = newEnd;
    // As Kafka: the max timestamp falls back to the last time index entry (exact for older segments).
    segment.maxTimestamp = segment.timeIndex.lastKey() ?? -1;
    segment.offsetOfMaxTimestamp = offset(segment.timeIndex.lastValue() ?? segment.baseOffset);
    if (segment.isEmpty()) segment.firstBatchMaxTimestamp = -1;
    await segment.writeIndexes();
  }

  /**
   * The log is about to end at `newEnd`: epochs, the recovery point and the cleaner's first dirty offset
   * follow, durably first.
   */
  private async lowerRecoveryPoint(newEnd: Offset): Promise<void> {
    this.epochs.truncateFromEnd(newEnd);
    this.durableOffset = offset(Math.min(this.durableOffset, newEnd));
    const cleanedPast = this.firstDirtyOffset > newEnd;
    this.firstDirtyOffset = offset(Math.min(this.firstDirtyOffset, newEnd));
    if (newEnd < this.checkpointedRecoveryPoint || cleanedPast) await this.writeCheckpointNow();
  }

  /**
   * retention.ms and retention.bytes (with `delete` in cleanup.policy): deletes the oldest segments that
   * are out of retention and wholly below `highWatermark`, never the active one. Returns how many
   * segments went.
   */
  applyRetention(highWatermark: Offset): Promise<number> {
    return this.queue.run(async () => {
      if (!this.config.cleanupDelete) return 0;
      const count = segmentsOutOfRetention(this.segments, {
        config: this.config,
        nowMs: this.now(),
        highWatermark,
      });
      if (count === 0) return 0;
      await this.deleteLeadingSegments(count, this.segments[count]!.baseOffset);
      return count;
    });
  }

  /** DeleteRecords: the log starts at `target` from now on; segments wholly below it are deleted. */
  deleteRecordsBefore(target: Offset): Promise<Offset> {
    return this.queue.run(async () => {
      if (target > this.logEndOffset) {
        throw new KafkaError(
          'OFFSET_OUT_OF_RANGE',
          `offset ${target} is beyond the log end ${this.logEndOffset}`,
        );
      }
      if (target <= this.startOffset) return this.startOffset;
      let count = 0;
      while (count < this.segments.length - 1 && this.segments[count]!.nextOffset <= target) count++;
      await this.deleteLeadingSegments(count, target);
      return this.startOffset;
    });
  }

  /** Moves the log start offset (durably, in the checkpoint) before deleting any file. */
  private async deleteLeadingSegments(count: number, newStart: number): Promise<void> {
    await this.syncing;
    this.startOffset = offset(Math.max(this.startOffset, newStart));
    this.epochs.truncateFromStart(this.startOffset);
    // Epoch entries describe batches in the log: none may start at its end (recovery drops such too).
    this.epochs.truncateFromEnd(this.logEndOffset);
    await this.writeCheckpointNow();
    for (const segment of this.segments.splice(0, count)) await segment.delete();
    this.producers.forgetBefore(this.segments[0]!.baseOffset);
    if (count > 0) await this.fs.syncDir(this.dir);
  }

  /**
   * How the log stands for its cleaner, from what is in memory (the node's cleaner cleans the dirtiest
   * log first): null when cleanup.policy has no compact, else the dirty ratio of its closed segments and
   * whether a round is due (cleaning-plan.ts), given the high watermark.
   */
  cleaningState(highWatermark: Offset): LogCleaningState | null {
    if (!this.config.cleanupCompact) return null;
    const range = this.cleanableRange(highWatermark);
    return {
      dirtyRatio: dirtyRatio(range),
      due: cleaningDue(range, {
        minCleanableDirtyRatio: this.config.minCleanableDirtyRatio,
        tombstoneDue: this.tombstoneHorizonMs !== null && this.now() >= this.tombstoneHorizonMs,
      }),
    };
  }

  /**
   * One log cleaning round (log-cleaning.ts) when one is due (or `force`: whenever something is
   * cleanable): keeps the latest record of each key in the closed segments wholly below the high
   * watermark and this replica's flushed offset. Appends and reads go on meanwhile. Resolves with what
   * it did, or null when nothing was due; a round that met a change of the log (truncation, retention)
   * gives up and says so (`firstDirtyOffset` null). An I/O error fails the log, as in any operation;
   * damage found in a batch rejects with CorruptLogError (nothing is changed).
   */
  async clean(options: {
    readonly highWatermark: Offset;
    /** log.cleaner.dedupe.buffer.size: the offset map's memory. */
    readonly offsetMapBytes: number;
    readonly signal?: AbortSignal;
    readonly force?: boolean;
  }): Promise<CleaningResult | null> {
    assert(!this.cleaning, 'one cleaning round at a time', { dir: this.dir });
    this.cleaning = true;
    try {
      const started = await this.queue.run(async () => this.planCleaning(options));
      if (started === null) return null;
      const result = await cleanLog(this.cleaningHost(started.truncations), started.round);
      const firstDirty = result.firstDirtyOffset;
      if (firstDirty !== null) {
        await this.queue.run(async () => {
          if (this.truncations !== started.truncations) return;
          this.tombstoneHorizonMs = result.tombstoneHorizonMs;
          if (firstDirty === this.firstDirtyOffset) return;
          this.firstDirtyOffset = offset(firstDirty);
          await this.syncing;
          await this.writeCheckpointNow();
        });
      }
      return result;
    } finally {
      this.cleaning = false;
    }
  }

  private cleanableRange(highWatermark: Offset): CleanableRange {
    return cleanableRange(this.segments, {
      firstDirtyOffset: this.firstDirtyOffset,
      logStartOffset: this.startOffset,
      committedOffset: Math.min(highWatermark, this.durableOffset),
      nowMs: this.now(),
      minCompactionLagMs: this.config.minCompactionLagMs,
      maxCompactionLagMs: this.config.maxCompactionLagMs,
    });
  }

  /** In the queue: the round to run, or null when none is due. */
  private planCleaning(options: {
    highWatermark: Offset;
    offsetMapBytes: number;
    signal?: AbortSignal;
    force?: boolean;
  }): { round: CleaningRound; truncations: number } | null {
    const state = this.cleaningState(options.highWatermark);
    if (state === null) return null;
    const range = this.cleanableRange(options.highWatermark);
    const segments = this.segments.filter(
      (segment) => segment !== this.active() && segment.nextOffset <= range.firstUncleanableOffset,
    );
    if (segments.length === 0 || !(state.due || options.force === true)) return null;
    const producerBatches = new Set<number>();
    for (const [, entry] of this.producers.snapshot()) {
      for (const batch of entry.batches) producerBatches.add(batch.firstOffset);
    }
    return {
      truncations: this.truncations,
      round: {
        range,
        segments,
        config: this.config,
        nowMs: this.now(),
        producerBatches,
        offsetMapBytes: options.offsetMapBytes,
        signal: options.signal,
      },
    };
  }

  private cleaningHost(truncationsAtStart: number): CleaningHost {
    return {
      fs: this.fs,
      dir: this.dir,
      exclusive: (operation) => this.queue.run(operation),
      intact: (segment) =>
        this.truncations === truncationsAtStart &&
        segment !== this.active() &&
        this.segments.includes(segment),
      epochAt: (at) => this.epochs.epochAt(at),
      swapIn: (group, cleaned) => this.swapIn(group, cleaned, truncationsAtStart),
      fail: (error) => this.queue.fail(error),
    };
  }

  /**
   * In the queue: replaces `group` (consecutive closed segments) with `cleaned`, which covers exactly
   * their offsets, as Kafka's replaceSegments: the cleaned file (fsynced) is renamed to a swap file, the
   * group's segments are deleted, the swap file is renamed to the segment name, its indexes written. A
   * crash after the first rename leaves a swap file, which open completes (log-recovery.ts).
   */
  private async swapIn(
    group: readonly LogSegment[],
    cleaned: LogSegment,
    truncationsAtStart: number,
  ): Promise<boolean> {
    const at = this.segments.indexOf(group[0]!);
    const intact =
      this.truncations === truncationsAtStart &&
      at >= 0 &&
      at + group.length < this.segments.length &&
      group.every((segment, index) => this.segments[at + index] === segment);
    if (!intact) return false;
    assert(
      cleaned.baseOffset === group[0]!.baseOffset && cleaned.nextOffset === group.at(-1)!.nextOffset,
      'a cleaned segment covers its group exactly',
      { dir: this.dir, baseOffset: cleaned.baseOffset, nextOffset: cleaned.nextOffset },
    );
    await this.syncing;
    const swap = swapFilePath(this.dir, cleaned.baseOffset);
    await this.fs.rename(cleaned.paths.log, swap);
    cleaned.renamed({ ...cleaned.paths, log: swap });
    await this.fs.syncDir(this.dir);
    for (const segment of group) await segment.delete();
    await this.fs.syncDir(this.dir);
    const paths = segmentPaths(this.dir, cleaned.baseOffset);
    await this.fs.rename(swap, paths.log);
    cleaned.renamed(paths);
    await cleaned.seal();
    await this.fs.syncDir(this.dir);
    this.segments.splice(at, group.length, cleaned);
    return true;
  }

  /**
   * Kafka's truncateFullyAndStartAt: a follower whose log ends below its leader's log start (retention
   * deleted what it lacks) drops its whole log and starts again, empty, at `newStart`. Crash-safe in
   * this order: the new segment exists before the checkpoint names its start, and the old segments go
   * only after (recovery drops segments wholly below the checkpoint's start).
   */
  truncateFullyAndStartAt(newStart: Offset): Promise<void> {
    return this.queue.run(async () => {
      assert(newStart >= this.logEndOffset, 'a full truncation starts past the log end', {
        newStart,
        logEndOffset: this.logEndOffset,
      });
      await this.syncing;
      const reused = this.segments.find((segment) => segment.baseOffset === newStart && segment.isEmpty());
      const fresh = reused ?? (await LogSegment.create(this.fs, this.dir, newStart));
      // One synchronous swap: readers of the log end never see a log without segments.
      const old = this.segments.splice(0, this.segments.length, fresh).filter((segment) => segment !== fresh);
      this.startOffset = newStart;
      this.durableOffset = newStart;
      this.firstDirtyOffset = newStart;
      this.truncations++;
      this.epochs.truncateFromEnd(offset(0));
      this.producers.clear();
      await this.fs.syncDir(this.dir);
      await this.writeCheckpointNow();
      for (const segment of old) await segment.delete();
      await this.fs.syncDir(this.dir);
    });
  }

  /** ListOffsets by timestamp: the first offset whose record timestamp is >= `timestamp`, or null. */
  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    return this.queue.run(async () => {
      for (const segment of this.segments) {
        if (segment.isEmpty() || segment.nextOffset <= this.startOffset || segment.maxTimestamp < timestamp)
          continue;
        const found = await this.findInSegment(segment, timestamp);
        if (found !== null) return found;
      }
      return null;
    });
  }

  private async findInSegment(segment: LogSegment, timestamp: number): Promise<TimestampOffset | null> {
    const from = Math.max(segment.timeIndex.floorValue(timestamp) ?? segment.baseOffset, this.startOffset);
    const found = await segment.locate(from);
    if (found === null) return null;
    for (let positionBytes = found.positionBytes; positionBytes < segment.sizeBytes; ) {
      const header = await segment.headerAt(positionBytes);
      if (header.maxTimestamp >= timestamp) {
        const batch = new RecordBatchHeader(await segment.readAt(positionBytes, header.sizeBytes));
        const record = decodeRecords(batch).find(
          (r) => r.timestamp >= timestamp && r.offset >= this.startOffset,
        );
        if (record !== undefined) return { offset: offset(record.offset), timestamp: record.timestamp };
      }
      positionBytes += header.sizeBytes;
    }
    return null;
  }

  /**
   * ListOffsets MAX_TIMESTAMP (KIP-734): the first record with the largest timestamp in the log, from
   * the log start; null for an empty log. As Kafka, the segments' accounting (exact for the active
   * segment, from the time index for the others) says which segment and batch hold it; the segment the
   * log start cuts through is scanned from there, since its accounting counts deleted records.
   */
  maxTimestampRecord(): Promise<TimestampedRecord | null> {
    return this.queue.run(async () => {
      let best: TimestampedRecord | null = null;
      for (const segment of this.segments) {
        if (segment.isEmpty() || segment.nextOffset <= this.startOffset) continue;
        // Only a strictly larger timestamp beats one found at an earlier offset.
        if (best !== null && segment.maxTimestamp <= best.timestamp) continue;
        const cut = segment.baseOffset < this.startOffset;
        const found =
          (cut
            ? null
            : await this.firstRecordAt(segment, segment.offsetOfMaxTimestamp, segment.maxTimestamp)) ??
          (await this.maxInSegment(segment, this.startOffset));
        if (found !== null && (best === null || found.timestamp > best.timestamp)) best = found;
      }
      return best;
    });
  }

  /** The first record with `timestamp` in the batch holding `at`, or null when it has none. */
  private async firstRecordAt(
    segment: LogSegment,
    at: number,
    timestamp: number,
  ): Promise<TimestampedRecord | null> {
    const found = await segment.locate(at);
    if (found === null || found.header.maxTimestamp !== timestamp) return null;
    const batch = new RecordBatchHeader(await segment.readAt(found.positionBytes, found.header.sizeBytes));
    const record = decodeRecords(batch).find((r) => r.timestamp === timestamp);
    if (record === undefined) return null;
    return { offset: offset(record.offset), timestamp, leaderEpoch: batch.partitionLeaderEpoch };
  }

  /** The first record with the largest timestamp in `segment` from offset `from`, reading every batch. */
  private async maxInSegment(segment: LogSegment, from: number): Promise<TimestampedRecord | null> {
    const found = await segment.locate(Math.max(from, segment.baseOffset));
    if (found === null) return null;
    let best: TimestampedRecord | null = null;
    for (let positionBytes = found.positionBytes; positionBytes < segment.sizeBytes; ) {
      const header = await segment.headerAt(positionBytes);
      if (best === null || header.maxTimestamp > best.timestamp) {
        const batch = new RecordBatchHeader(await segment.readAt(positionBytes, header.sizeBytes));
        for (const record of decodeRecords(batch)) {
          if (record.offset >= from && (best === null || record.timestamp > best.timestamp)) {
            best = {
              offset: offset(record.offset),
              timestamp: record.timestamp,
              leaderEpoch: batch.partitionLeaderEpoch,
            };
          }
        }
      }
      positionBytes += header.sizeBytes;
    }
    return best;
  }

  /** Flushes everything, writes the indexes and the checkpoint (recovery point = log end), closes. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      await this.syncing;
      for (const segment of this.segments) await segment.datasync();
      await this.active().seal();
      await this.fs.syncDir(this.dir);
      this.durableOffset = this.logEndOffset;
      await this.writeCheckpointNow();
      // The next open reads the producer state from it instead of walking the whole log.
      const snapshot: ProducerSnapshot = { offset: this.logEndOffset, producers: this.producers.snapshot() };
      await writeProducerSnapshot(this.fs, this.dir, snapshot);
      for (const segment of this.segments) await segment.close();
      this.queue.close(new KafkaError('NOT_LEADER_OR_FOLLOWER', `partition log ${this.dir} is closed`));
    });
  }

  /**
   * Closes the handles without making anything durable, for a replica whose directory is removed next
   * (a deleted topic, a partition moved off this broker): close()'s fsyncs, indexes, checkpoint and
   * producer snapshot would be written only to be deleted, and cost a broker dropping 1,000 partitions
   * seconds of fsyncs. Waits for the operation and the fsync in progress, as close() does; a crash
   * before the directory is gone leaves a log that recovers as after any crash.
   */
  closeForRemoval(): Promise<void> {
    return this.queue.run(async () => {
      await this.syncing;
      for (const segment of this.segments) await segment.close();
      this.queue.close(new KafkaError('NOT_LEADER_OR_FOLLOWER', `partition log ${this.dir} is removed`));
    });
  }

  private async writeCheckpointNow(): Promise<void> {
    const recoveryPoint = this.durableOffset;
    this.checkpointWrittenMs = this.now();
    await writeCheckpoint(this.fs, this.dir, {
      recoveryPoint,
      logStartOffset: this.startOffset,
      leaderEpochs: this.epochs.all(),
      firstDirtyOffset: this.firstDirtyOffset,
    });
    this.checkpointedRecoveryPoint = recoveryPoint;
  }

  private active(): LogSegment {
    return this.segments.at(-1)!;
  }

  /** The segment holding `target` (< log end offset): the last one starting at or before it. */
  private segmentHolding(target: number): LogSegment {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.segments[middle]!.baseOffset <= target) low = middle;
      else high = middle - 1;
    }
    let segment = this.segments[low]!;
    // An empty segment, or `target` at the end of a segment: the batch is in a later one.
    while (segment.nextOffset <= target) segment = this.segments[++low]!;
    return segment;
  }
}

/**
 * A follower fetches from its log end offset, a batch boundary of the leader's log as it was; the
 * leader's cleaner may have covered that boundary since with a filler (compaction.ts: one empty batch
 * for a run of dropped ones), which then starts before the follower's log end. The follower takes the
 * part of the filler from its log end: the offsets before it hold what it had (the leader dropped
 * those records; the follower's own cleaner will). Any other batch must start at the log end.
 */
function trimLeadingFiller(
  input: AppendInput,
  logEndOffset: number,
  limits: { batchBytesMax: number; segmentBytesMax: number },
): AppendInput {
  const first = input.headers[0]!;
  if (!(first.baseOffset < logEndOffset && first.lastOffset >= logEndOffset && isFiller(first))) return input;
  const filler = encodeFiller({
    baseOffset: logEndOffset,
    lastOffset: first.lastOffset,
    partitionLeaderEpoch: first.partitionLeaderEpoch,
    maxTimestamp: first.maxTimestamp,
  });
  return parseAppendInput(Buffer.concat([filler, input.bytes.subarray(first.sizeBytes)]), limits, 'replica');
}

/**
 * The whole batches of `chunk` within the bounds, each checked: nothing corrupt is ever served. The CRC
 * covers attributes..end; the fields before it are checked too: magic, offsets contiguous from the batch
 * `locate` found, and the leader epoch against the epoch cache (which recovery rebuilt from the batches).
 */
function takeBatches(
  chunk: Buffer,
  bounds: {
    upper: number;
    maxBytes: number;
    segment: LogSegment;
    positionBytes: number;
    firstOffset: number;
    epochAt: (at: number) => number | undefined;
  },
): ReadResult {
  let endBytes = 0;
  let nextOffset = bounds.firstOffset;
  for (const { header, positionBytes } of batchesIn(chunk)) {
    // Checked before the bounds: a flipped offset delta must not pass for a batch beyond them.
    if (header.lastOffset >= bounds.segment.nextOffset) {
      const reason = `batch ends at offset ${header.lastOffset}, past the segment, on read`;
      throw bounds.segment.corrupt(bounds.positionBytes + positionBytes, reason);
    }
    if (header.lastOffset >= bounds.upper) break;
    if (endBytes > 0 && positionBytes + header.sizeBytes > bounds.maxBytes) break;
    const defect = servedBatchDefect(header, nextOffset, bounds.epochAt(header.lastOffset));
    if (defect !== null)
      throw bounds.segment.corrupt(bounds.positionBytes + positionBytes, `${defect} on read`, nextOffset);
    endBytes = positionBytes + header.sizeBytes;
    nextOffset = header.lastOffset + 1;
  }
  assert(endBytes > 0, 'a read returns at least the batch holding its start offset');
  return { bytes: chunk.subarray(0, endBytes), nextOffset: offset(nextOffset) };
}

function servedBatchDefect(
  header: RecordBatchHeader,
  expectedOffset: number,
  expectedEpoch: number | undefined,
): string | null {
  const defect = batchDefect(header);
  if (defect !== null) return defect.message;
  if (header.baseOffset !== expectedOffset) {
    return `batch at offset ${header.baseOffset} where ${expectedOffset} was expected`;
  }
  if (expectedEpoch !== undefined && header.partitionLeaderEpoch !== expectedEpoch) {
    return `leader epoch ${header.partitionLeaderEpoch} where the epoch cache has ${expectedEpoch}`;
  }
  return null;
}

/**
 * The serial queue, fail-stop: after an I/O error (any error of an operation that is neither a
 * KafkaError, i.e. bad input, nor a broken invariant), every later operation throws the same
 * KAFKA_STORAGE_ERROR, and `onFailure` hears of it once. After close(), every operation throws.
 */
class SerialQueueWithFailure {
  private readonly dir: string;
  private readonly onFailure: (error: KafkaError) => void;
  private tail: Promise<unknown> = Promise.resolve();
  private failure: KafkaError | null = null;

  constructor(dir: string, onFailure: (error: KafkaError) => void) {
    this.dir = dir;
    this.onFailure = onFailure;
  }

  run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      if (this.failure !== null) throw this.failure;
      try {
        return await operation();
      } catch (error) {
        if (error instanceof KafkaError || error instanceof InvariantError) throw error;
        throw this.fail(error);
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** An I/O error: the log fails for good. Returns what every later operation throws. */
  fail(error: unknown): KafkaError {
    if (this.failure !== null) return this.failure;
    const failure = isLogDirFailure(error) ? error : logDirFailure(this.dir, error);
    this.failure = failure;
    this.onFailure(failure);
    return failure;
  }

  close(closed: KafkaError): void {
    this.failure ??= closed;
  }

  /** Throws the I/O failure, if there was one (not when the log is merely closed). */
  throwIfFailed(): void {
    if (this.failure !== null && isLogDirFailure(this.failure)) throw this.failure;
  }
}
