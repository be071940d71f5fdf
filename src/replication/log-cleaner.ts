// The broker's log cleaner (Kafka's LogCleaner with one cleaner thread, log.cleaner.threads=1): it
// cleans, one at a time, the dirtiest of this broker's compacted partition logs that is due
// (PartitionLog.cleaningState: min.cleanable.dirty.ratio, max.compaction.lag.ms, a tombstone past its
// delete horizon), and when none is due waits log.cleaner.backoff.ms. Every replica cleans its own log:
// a leader and its followers each clean below their high watermark, with no coordination (followers
// fetch the leader's batches as stored, compacted or not; compaction keeps offsets, so both agree).
//
// A round that finds damage (CorruptLogError) leaves that log alone until the broker restarts (Kafka
// marks the partition uncleanable): reads find the damage and the replica manager repairs it.

import type { Logger } from 'pino';
import { KafkaError } from '../common/kafka-errors.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import { offset } from '../storage/types.ts';
import { sleep, type Timers } from './timers.ts';

export interface CleanerCandidate {
  readonly name: string;
  readonly log: PartitionLog;
  /** What may be cleaned: below this offset only (the replica's high watermark). */
  readonly highWatermark: number;
}

export interface LogCleanerOptions {
  readonly timers: Timers;
  /** log.cleaner.backoff.ms: the wait when no log is due. */
  readonly backoffMs: number;
  /** log.cleaner.dedupe.buffer.size: the offset map's memory. */
  readonly offsetMapBytes: number;
  /** The logs to consider now. */
  readonly candidates: () => readonly CleanerCandidate[];
  readonly logger: Logger;
}

export class LogCleaner {
  private readonly options: LogCleanerOptions;
  private readonly stopping = new AbortController();
  private readonly uncleanable = new WeakSet<PartitionLog>();
  private loop: Promise<void> | null = null;

  constructor(options: LogCleanerOptions) {
    this.options = options;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops after the round in progress gives up (at its next chunk), and waits for it. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const progressed = await this.cleanDirtiest();
      if (!progressed) await sleep(this.options.timers, this.options.backoffMs, signal);
    }
  }

  /** Cleans the dirtiest log that is due; false when none is, or its round changed nothing. */
  async cleanDirtiest(): Promise<boolean> {
    let dirtiest: { candidate: CleanerCandidate; ratio: number } | null = null;
    for (const candidate of this.options.candidates()) {
      if (this.uncleanable.has(candidate.log)) continue;
      const state = candidate.log.cleaningState(offset(Math.max(0, candidate.highWatermark)));
      if (state === null || !state.due) continue;
      if (dirtiest === null || state.dirtyRatio > dirtiest.ratio)
        dirtiest = { candidate, ratio: state.dirtyRatio };
    }
    if (dirtiest === null) return false;
    return this.clean(dirtiest.candidate);
  }

  /** One round on `log`; whether it moved the dirty section or cleaned a group. */
  private async clean({ name, log, highWatermark }: CleanerCandidate): Promise<boolean> {
    const startedMs = this.options.timers.nowMs();
    try {
      const result = await log.clean({
        highWatermark: offset(Math.max(0, highWatermark)),
        offsetMapBytes: this.options.offsetMapBytes,
        signal: this.stopping.signal,
      });
      if (result === null) return false;
      this.options.logger.info(
        {
          partition: name,
          firstDirtyOffset: result.firstDirtyOffset,
          groups: result.groupsCleaned,
          bytesBefore: result.bytesBefore,
          bytesAfter: result.bytesAfter,
          ms: this.options.timers.nowMs() - startedMs,
        },
        result.firstDirtyOffset === null ? 'log cleaning gave up (the log changed)' : 'log cleaned',
      );
      const moved = result.firstDirtyOffset !== null && result.firstDirtyOffset > result.mappedFromOffset;
      return moved || result.groupsCleaned > 0;
    } catch (error) {
      // A closed log (its partition left) or a failed one (its log directory is offline) is not the
      // cleaner's business; anything else makes the log uncleanable until the broker restarts.
      const closedOrFailed =
        error instanceof KafkaError &&
        (error.errorName === 'NOT_LEADER_OR_FOLLOWER' || error.errorName === 'KAFKA_STORAGE_ERROR');
      if (!closedOrFailed) {
        this.uncleanable.add(log);
        this.options.logger.error(
          { err: error, partition: name },
          'log cleaning failed: the log is left uncleaned',
        );
      }
      return false;
    }
  }
}
