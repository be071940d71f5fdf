// A follower's fetch loop towards one leader broker (Kafka's ReplicaFetcherThread): one long-polling
// Fetch for every partition followed from that leader, then for each partition either truncate (the
// leader answered a diverging epoch), or append what came, and fsync before the next fetch, because the
// next fetch's offset tells the leader those records are durable here.

import type { Logger } from 'pino';
import { assert } from '../../raft/assert.ts';
import type { BrokerId } from '../metadata/ids.ts';
import { CorruptLogError } from '../storage/errors.ts';
import { offset } from '../storage/types.ts';
import type {
  EpochEndOffset,
  FetchedPartition,
  FetchPartition,
  FetchRequest,
  FetchResponse,
} from './fetch-messages.ts';
import type { HostedPartition } from './hosted-partition.ts';
import { sleep, type Timers } from './timers.ts';

export interface FetchTransport {
  /** Sends a Fetch to `leader`'s internal listener; rejects on network failure or timeout. */
  fetch(
    leader: BrokerId,
    request: FetchRequest,
    options: { timeoutMs: number; signal: AbortSignal },
  ): Promise<FetchResponse>;
  close(): Promise<void>;
}

export interface FetcherHost {
  followedFrom(leader: BrokerId): HostedPartition[];
}

/**
 * The first wait after the leader refused a partition, doubling up to the fetch backoff: a refusal is
 * most often the new leader not having applied its own election yet (the follower's metadata is ahead),
 * which lasts milliseconds; a whole backoff (Kafka's replica.fetch.backoff.ms, 1 s) there stalled
 * acks=all produces on the new leader for that long after every failover.
 */
const REFUSAL_BACKOFF_FIRST_MS = 10;

/** Beyond the long poll, how long a fetch may take before it counts as failed. */
const FETCH_TIMEOUT_EXTRA_MS = 5_000;

export class ReplicaFetcher {
  readonly leader: BrokerId;
  private readonly options: {
    leader: BrokerId;
    brokerId: BrokerId;
    brokerEpoch: () => number;
    host: FetcherHost;
    transport: FetchTransport;
    waitMaxMs: number;
    partitionMaxBytes: number;
    responseMaxBytes: number;
    backoffMs: number;
    timers: Timers;
    logger: Logger;
    /**
     * The loop broke (a broken invariant such as a fetch offset above the flushed offset): the replica
     * manager takes the log directory offline (fail-stop) rather than let one fetcher end silently while
     * its partitions look followed.
     */
    onFailure: (error: unknown) => void;
  };
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private failures = 0;
  /** Rounds in a row with a partition refused by the leader (see REFUSAL_BACKOFF_FIRST_MS). */
  private refusals = 0;

  constructor(options: ReplicaFetcher['options']) {
    this.options = options;
    this.leader = options.leader;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  start(): void {
    this.running ??= this.run().catch((error: unknown) => {
      this.options.logger.error({ err: error, leader: this.leader }, 'replica fetcher failed');
      this.abort.abort();
      this.options.onFailure(error);
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const partitions = this.options.host.followedFrom(this.leader);
      if (partitions.length === 0) {
        await this.backoff();
        continue;
      }
      const request = this.request(partitions);
      let response: FetchResponse;
      try {
        response = await this.options.transport.fetch(this.leader, request, {
          timeoutMs: this.options.waitMaxMs + FETCH_TIMEOUT_EXTRA_MS,
          signal: this.abort.signal,
        });
        this.failures = 0;
      } catch (error) {
        if (this.stopped) return;
        this.failures += 1;
        // One line when a leader becomes unreachable, not one per retry.
        if (this.failures === 1)
          this.options.logger.warn({ err: error, leader: this.leader }, 'fetch from leader failed');
        await this.backoff();
        continue;
      }
      let backoff: boolean;
      try {
        backoff = await this.process(partitions, request, response);
      } catch (error) {
        this.options.logger.error({ err: error, leader: this.leader }, 'applying a fetch response failed');
        backoff = true;
      }
      if (!backoff) this.refusals = 0;
      else
        await this.backoff(Math.min(this.options.backoffMs, REFUSAL_BACKOFF_FIRST_MS * 2 ** this.refusals++));
    }
  }

  private request(partitions: readonly HostedPartition[]): FetchRequest {
    return {
      replicaId: this.options.brokerId,
      brokerEpoch: this.options.brokerEpoch(),
      maxWaitMs: this.options.waitMaxMs,
      maxBytes: this.options.responseMaxBytes,
      partitions: partitions.map((hosted) => {
        // The core asserts that the fetch offset is durable here (fsynced after every append).
        const position = hosted.core.fetchPosition();
        assert(position !== null && position.leader === this.leader, 'a fetcher fetches what it follows', {
          partition: hosted.name,
          leader: this.leader,
        });
        return {
          topicId: hosted.topicId,
          partition: hosted.partitionId,
          fetchOffset: position.fetchOffset,
          currentLeaderEpoch: position.currentLeaderEpoch,
          lastFetchedEpoch: position.lastFetchedEpoch,
          maxBytes: this.options.partitionMaxBytes,
        };
      }),
    };
  }

  /** Applies a response; true when some partition should wait before its next fetch. */
  private async process(
    partitions: readonly HostedPartition[],
    request: FetchRequest,
    response: FetchResponse,
  ): Promise<boolean> {
    let backoff = false;
    const appended: HostedPartition[] = [];
    for (const result of response.partitions) {
      const at = partitions.findIndex(
        (hosted) => hosted.topicId === result.topicId && hosted.partitionId === result.partition,
      );
      const hosted = partitions[at];
      const asked = request.partitions[at];
      if (hosted === undefined || asked === undefined) continue;
      try {
        const step = hosted.core.onFetchAnswer(this.leader, asked, result);
        switch (step.kind) {
          case 'ignore':
            break;
          case 'backoff':
            this.options.logger.debug(
              { partition: hosted.name, error: result.error },
              'fetch refused by the leader',
            );
            backoff = true;
            break;
          case 'restart-at':
            await this.restartAt(hosted, asked.currentLeaderEpoch, step.offset);
            break;
          case 'truncate':
            await this.truncate(hosted, step.offset, result.divergingEpoch);
            break;
          case 'append':
            if (await this.append(hosted, asked, result)) appended.push(hosted);
            break;
          default: {
            const unknown: never = step;
            throw new Error(`unknown follower step ${JSON.stringify(unknown)}`);
          }
        }
      } catch (error) {
        this.options.logger.warn(
          { err: error, partition: hosted.name },
          'applying a fetched partition failed',
        );
        backoff = true;
      }
    }
    // A partition closed under us (deleted, moved) stops that partition, not the rest; a failed fsync
    // has taken the log directory offline and stopped this fetcher already.
    const flushed = await Promise.allSettled(appended.map((hosted) => hosted.log.flush()));
    flushed.forEach((outcome, at) => {
      if (outcome.status === 'fulfilled') return;
      this.options.logger.warn(
        { err: outcome.reason, partition: appended[at]!.name },
        'flushing fetched records failed',
      );
      backoff = true;
    });
    return backoff;
  }

  /** KIP-595: cut the log where the core says it stops agreeing with the leader's history. */
  private async truncate(
    hosted: HostedPartition,
    target: number,
    diverging: EpochEndOffset | null,
  ): Promise<void> {
    const log = hosted.log;
    const from = log.logEndOffset;
    await hosted.followerWrite(async () => {
      try {
        await log.truncateTo(offset(target));
      } catch (error) {
        // Bit rot on the way to the cut: a follower's copy is never the last in-sync one (its leader
        // is in the ISR): it marks the damage and stops; it drops and fetches it again later.
        if (error instanceof CorruptLogError) await log.markDamaged(error);
        throw error;
      }
    });
    hosted.core.followerTruncated();
    this.options.logger.info(
      { partition: hosted.name, from, to: log.logEndOffset, divergingEpoch: diverging },
      'truncated a diverging log suffix',
    );
  }

  /** Appends the fetched batches; true when anything was appended. */
  private async append(
    hosted: HostedPartition,
    asked: FetchPartition,
    result: FetchedPartition,
  ): Promise<boolean> {
    const log = hosted.log;
    let wrote = false;
    if (result.records.length > 0 && log.logEndOffset === asked.fetchOffset) {
      const bytes = Buffer.from(result.records.buffer, result.records.byteOffset, result.records.byteLength);
      await hosted.followerWrite(() => log.appendAsFollower(bytes));
      wrote = true;
    }
    // The leader's retention (or DeleteRecords) moved its log start: the follower's follows.
    const logStart = hosted.core.followerFetched(asked.currentLeaderEpoch, result);
    if (logStart !== null) await hosted.followerWrite(() => log.deleteRecordsBefore(offset(logStart)));
    return wrote;
  }

  /** The leader no longer has what comes after this log's end (retention): start again at its start. */
  private async restartAt(
    hosted: HostedPartition,
    leaderEpoch: number,
    leaderLogStart: number,
  ): Promise<void> {
    const from = hosted.log.logEndOffset;
    await hosted.followerWrite(() => hosted.log.truncateFullyAndStartAt(offset(leaderLogStart)));
    hosted.core.followerRestarted(leaderEpoch);
    this.options.logger.warn(
      { partition: hosted.name, from, to: leaderLogStart },
      "the log ended below the leader's log start: truncated fully, starting again there",
    );
  }

  private async backoff(ms: number = this.options.backoffMs): Promise<void> {
    await sleep(this.options.timers, ms, this.abort.signal);
  }
}
