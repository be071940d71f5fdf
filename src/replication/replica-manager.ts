// The partition replicas of one broker (Kafka's ReplicaManager): it opens a log for every partition the
// metadata image assigns to this broker and routes to them: registrations, followers' fetches,
// produces and consumer reads go to each partition's core (partition-core.ts), which decides, and this
// manager does the I/O the core's effects ask for (flushes, reads, AlterPartition, leadership
// listeners). It owns the per-broker things only: the partitions hosted, one fetcher per leader broker
// (replica-fetcher.ts), the log directory's state, the image being reconciled, the periodic checks.
//
// Network, controller and clock come in through the options, so tests can wire several managers
// together in one process.
import type { Logger } from 'pino';
import { InvariantError } from '../../raft/assert.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import { mapConcurrent } from '../common/map-concurrent.ts';
import type { BrokerId, PartitionEpoch, PartitionId, TopicId } from '../metadata/ids.ts';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../metadata/image.ts';
import { readDamageMarker, removeDamageMarker } from '../storage/damage-marker.ts';
import { CorruptLogError, logDirFailure } from '../storage/errors.ts';
import { type FileSystem, makePathDurable } from '../storage/file-system.ts';
import type { LogConfig } from '../storage/log-config.ts';
import { dropDamagedSegments, dropSegmentsFrom } from '../storage/log-recovery.ts';
import { nodeFileSystem } from '../storage/node-file-system.ts';
import {
  type AppendResult,
  type ReadResult as LogReadResult,
  PartitionLog,
  type ReadOptions,
} from '../storage/partition-log.ts';
import { offset } from '../storage/types.ts';
import { FetchSilence } from './fetch-silence.ts';
import type { FetchedPartition, FetchPartition, FetchRequest, FetchResponse } from './fetch-messages.ts';
import { HostedPartition, type ManagerEffect } from './hosted-partition.ts';
import type { SilentFollowers } from './leader-partition.ts';
import type { IsrProposal, LeaderView, PartitionEffect } from './partition-core-types.ts';
import { claimPartitionDir, partitionDir, removePartitionDir } from './partition-dir.ts';
import { type CleanerCandidate, LogCleaner } from './log-cleaner.ts';
import { type FetchTransport, ReplicaFetcher } from './replica-fetcher.ts';
import { type Cancel, every, type Timers } from './timers.ts';
import { cleanupPolicyDeletes, topicLogConfig } from './topic-log-config.ts';
import { unacknowledged } from './unacknowledged-append.ts';

export interface AlterPartitionRequest {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: number;
  readonly topicId: TopicId;
  readonly partitionId: PartitionId;
  readonly leaderEpoch: number;
  readonly partitionEpoch: PartitionEpoch;
  readonly newIsr: readonly BrokerId[];
}

export interface ReplicaManagerOptions {
  readonly brokerId: BrokerId;
  readonly logDir: string;
  /** The file system of the partition logs (node:fs by default; the simulation's sim-fs). */
  readonly fs?: FileSystem;
  /** The broker's log defaults (log.retention.ms, log.segment.bytes...); topic configs override them. */
  readonly logConfig?: Partial<LogConfig>;
  /** log.retention.check.interval.ms */
  readonly retentionCheckIntervalMs?: number;
  /**
   * The log cleaner of compacted topics (log.cleaner.enable): log.cleaner.backoff.ms and
   * log.cleaner.dedupe.buffer.size. Absent: no cleaner runs.
   */
  readonly cleaner?: { readonly backoffMs: number; readonly offsetMapBytes: number };
  /** The clock and timers (acks timeouts, ISR and retention checks, long polls, fetch backoff). */
  readonly timers: Timers;
  /** replica.lag.time.max.ms */
  readonly lagTimeMaxMs: number;
  /** replica.silence.time.max.ms (0 or absent: off) */
  readonly silenceTimeMaxMs?: number;
  /** replica.fetch.wait.max.ms */
  readonly fetchWaitMaxMs: number;
  /** replica.fetch.max.bytes (per partition) */
  readonly fetchMaxBytes: number;
  /** replica.fetch.response.max.bytes */
  readonly fetchResponseMaxBytes: number;
  /** replica.fetch.backoff.ms */
  readonly fetchBackoffMs: number;
  /** min.insync.replicas of a topic (its config, else the broker's). */
  readonly minInsyncReplicas: (image: MetadataImage, topicName: string) => number;
  /** This broker's epoch once registered; AlterPartition needs it. */
  readonly brokerEpoch: () => number | null;
  readonly alterPartition: (request: AlterPartitionRequest) => Promise<void>;
  readonly transport: FetchTransport;
  readonly logger: Logger;
  /**
   * Called once when a partition log's I/O failed and the log directory went offline (Kafka with one
   * log dir halts the broker: "all log dirs have failed"); the node stops the process.
   */
  readonly onLogDirFailure?: (error: KafkaError) => void;
  /** Told of the clients' records in and out of the partitions this broker leads (the node's metrics). */
  readonly traffic?: ClientTrafficObserver;
}

/**
 * Kafka's BrokerTopicMetrics as this leader sees them: records and bytes appended for clients (produce,
 * group commits), and handed to clients' reads (not to followers: replication is not consumption).
 */
export interface ClientTrafficObserver {
  appended(topicName: string, records: number, bytes: number): void;
  read(topicName: string, records: number, bytes: number): void;
}

export type Acks = -1 | 0 | 1;

export type LeadershipListener = (change: {
  readonly topicId: TopicId;
  readonly topicName: string;
  readonly partitionId: PartitionId;
  readonly leading: boolean;
}) => void;

export interface ReadResult {
  readonly bytes: Buffer;
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Partitions opened (or removed) at a time when an image adds (or drops) many. One after another, a
 * 1,000-partition topic took a node about 14 s, each open waiting on its own fsyncs (Kafka opens logs
 * with num.recovery.threads.per.data.dir threads at startup); 4 at a time, about 9 s. As many as libuv's
 * thread pool has threads (4), which the co-located controller's metadata log shares: 8 was no faster,
 * and with 16 the controller's answers (create-topic, broker heartbeats) timed out in both runs (on the
 * loaded bench machine they sometimes did at 4 and one by one too).
 */
const PARTITION_IO_CONCURRENCY = 4;

/** How long an AlterPartition whose outcome is unknown waits before it is sent again (retry.backoff.ms). */
const ALTER_PARTITION_RETRY_BACKOFF_MS = 100;

export class ReplicaManager {
  private readonly options: ReplicaManagerOptions;
  private readonly partitions = new Map<string, HostedPartition>();
  private readonly fetchers = new Map<BrokerId, ReplicaFetcher>();
  private readonly stoppingFetchers = new Set<Promise<void>>();
  private readonly leadershipListeners: LeadershipListener[] = [];
  private latest: MetadataImage | null = null;
  private reconciled: MetadataImage | null = null;
  private reconciling: Promise<void> | null = null;
  private readonly stopIsrChecks: Cancel;
  private readonly isrCheckIntervalMs: number;
  /** Follower brokers' fetch pace, when replica.silence.time.max.ms is on. */
  private readonly fetchSilence: FetchSilence | null;
  /** When the periodic ISR check last ran: a late one says this broker's own event loop was held up. */
  private lastIsrCheckMs: number;
  private readonly stopRetention: Cancel | null;
  private readonly cleaner: LogCleaner | null;
  private closed = false;
  /** The I/O failure that took the (single) log directory offline: every replica stopped. */
  private logDirFailure: KafkaError | null = null;
  /** The log directory's whole path made durable, once per process, before any partition is hosted. */
  private logDirDurable: Promise<void> | null = null;

  constructor(options: ReplicaManagerOptions) {
    this.options = options;
    // Kafka's isr-expiration task runs every half lag time; a quarter of the silence time when it is on.
    const silenceMs = options.silenceTimeMaxMs ?? 0;
    this.isrCheckIntervalMs = Math.max(
      50,
      silenceMs > 0 ? Math.min(options.lagTimeMaxMs / 2, silenceMs / 4) : options.lagTimeMaxMs / 2,
    );
    this.lastIsrCheckMs = options.timers.nowMs();
    this.fetchSilence = silenceMs > 0 ? new FetchSilence(silenceMs) : null;
    this.stopIsrChecks = every(options.timers, this.isrCheckIntervalMs, () => this.checkIsrs());
    const retentionMs = options.retentionCheckIntervalMs;
    this.stopRetention =
      retentionMs !== undefined && retentionMs > 0
        ? every(options.timers, retentionMs, () => void this.applyRetention())
        : null;
    this.cleaner =
      options.cleaner === undefined
        ? null
        : new LogCleaner({
            timers: options.timers,
            backoffMs: options.cleaner.backoffMs,
            offsetMapBytes: options.cleaner.offsetMapBytes,
            logger: options.logger,
            candidates: () => this.cleanerCandidates(),
          });
    this.cleaner?.start();
  }

  /** Every replica's log and the high watermark below which its cleaner may clean (each on its own). */
  private cleanerCandidates(): CleanerCandidate[] {
    if (this.closed || this.logDirFailure !== null) return [];
    return [...this.partitions.values()].map((hosted) => ({
      name: hosted.name,
      log: hosted.log,
      highWatermark: Math.min(hosted.highWatermark(), hosted.log.logEndOffset),
    }));
  }

  /** Deletes the segments that are out of retention and below the high watermark, on every replica. */
  async applyRetention(): Promise<void> {
    if (this.logDirFailure !== null) return;
    for (const hosted of [...this.partitions.values()]) {
      try {
        const deleted = await hosted.log.applyRetention(
          offset(Math.min(hosted.highWatermark(), hosted.log.logEndOffset)),
        );
        if (deleted > 0) {
          this.options.logger.info(
            { partition: hosted.name, segments: deleted, logStartOffset: hosted.log.logStartOffset },
            'retention deleted segments',
          );
        }
      } catch (error) {
        this.options.logger.warn({ err: error, partition: hosted.name }, 'retention failed');
      }
    }
  }

  /** A new committed metadata image: host, lead, follow or drop partitions to match it. */
  applyImage(image: MetadataImage): void {
    if (this.closed || this.logDirFailure !== null) return;
    this.latest = image;
    this.reconciling ??= this.reconcileLoop().finally(() => {
      this.reconciling = null;
    });
  }

  /** Resolves once every image given so far is reflected (tests and shutdown wait on it). */
  async settled(): Promise<void> {
    while (this.reconciling !== null) await this.reconciling;
  }

  hosted(topicId: TopicId, partitionId: PartitionId): HostedPartition | undefined {
    return this.partitions.get(key(topicId, partitionId));
  }

  /**
   * ListOffsets on the leader: where the log starts and the high watermark. OFFSET_NOT_AVAILABLE until
   * the high watermark reached this leader's epoch start (KIP-207), so it never goes back.
   */
  partitionOffsets(
    topicId: TopicId,
    partitionId: PartitionId,
  ): { logStartOffset: number; highWatermark: number } {
    const hosted = this.requireLeader(topicId, partitionId);
    hosted.core.requireEpochStartCommitted();
    return { logStartOffset: hosted.log.logStartOffset, highWatermark: hosted.highWatermark() };
  }

  /**
   * ListOffsets by timestamp on the leader: the first committed offset whose record timestamp is at or
   * after `timestamp`, or null when no committed record is (a consumer sees only committed records).
   */
  async offsetForTimestamp(
    topicId: TopicId,
    partitionId: PartitionId,
    timestamp: number,
  ): Promise<{ offset: number; timestamp: number } | null> {
    const { highWatermark } = this.partitionOffsets(topicId, partitionId);
    const found = await this.requireLeader(topicId, partitionId).log.offsetForTimestamp(timestamp);
    return found === null || found.offset >= highWatermark ? null : found;
  }

  /**
   * DeleteRecords on the leader: the log starts at `requested` (-1: the high watermark) from now on,
   * durably (the log's checkpoint is written before any segment goes). Answers the new log start,
   * Kafka's low watermark, from this leader alone: followers raise theirs from their next fetch
   * answers, and the answer does not wait for them (Kafka's waits until every replica has).
   */
  async deleteRecords(
    topicId: TopicId,
    partitionId: PartitionId,
    requested: number,
  ): Promise<{ lowWatermark: number }> {
    const hosted = this.requireLeader(topicId, partitionId);
    const leadership = hosted.core.requireLeader();
    const deletePolicy = this.latest === null || cleanupPolicyDeletes(this.latest, hosted.topicName);
    const target = hosted.core.deleteRecordsTarget(requested, { deletePolicy });
    const logStartOffset = await hosted.log.deleteRecordsBefore(offset(target));
    hosted.core.requireLeadership(leadership);
    this.options.logger.info({ partition: hosted.name, logStartOffset }, 'deleted records');
    return { lowWatermark: logStartOffset };
  }

  /**
   * Tells `listener` whenever this broker starts or stops leading a partition (the group coordinator
   * loads and unloads the __consumer_offsets partitions it leads). Called synchronously, in order.
   */
  onLeadershipChange(listener: LeadershipListener): void {
    this.leadershipListeners.push(listener);
  }

  /**
   * The leader's whole log from `startOffset`, up to its log end (not the high watermark): what a new
   * leader replays to rebuild state, because its log is what the followers will converge to.
   */
  async readToLogEnd(
    topicId: TopicId,
    partitionId: PartitionId,
    options: { startOffset: number; maxBytes: number },
  ): Promise<{ bytes: Buffer; nextOffset: number; logStartOffset: number; logEndOffset: number }> {
    const hosted = this.requireLeader(topicId, partitionId);
    const log = hosted.log;
    const logEndOffset = log.logEndOffset;
    const startOffset = Math.max(options.startOffset, log.logStartOffset);
    if (startOffset >= logEndOffset) {
      return {
        bytes: Buffer.alloc(0),
        nextOffset: startOffset,
        logStartOffset: log.logStartOffset,
        logEndOffset,
      };
    }
    const read = await this.readOwnLog(hosted, {
      startOffset: offset(startOffset),
      maxBytes: options.maxBytes,
      maxOffset: offset(logEndOffset),
    });
    return {
      bytes: read.bytes,
      nextOffset: read.nextOffset,
      logStartOffset: log.logStartOffset,
      logEndOffset,
    };
  }

  /**
   * Reads `hosted`'s own log. Bit rot found there (a CorruptLogError: durable data failed its CRC or
   * header checks) makes the replica stop (fail-stop, so the controller moves leadership and takes it
   * out of the ISR): with a damage marker, to drop the damaged segments at its next open and fetch them
   * again, when another replica is in the ISR; cut exactly at the damaged batch when this is the last
   * in-sync copy and the damage is above its high watermark (never committed). Otherwise the last copy
   * keeps its log and answers CORRUPT_MESSAGE: what it holds may exist nowhere else.
   */
  private async readOwnLog(hosted: HostedPartition, options: ReadOptions): Promise<LogReadResult> {
    try {
      return await hosted.log.read(options);
    } catch (error) {
      if (!(error instanceof CorruptLogError)) throw error;
      if (this.anotherInSyncReplica(hosted.topicId, hosted.partitionId)) {
        this.options.logger.error(
          { err: error, partition: hosted.name },
          'damaged data in a partition log: marking it and stopping the log directory',
        );
        return hosted.log.markDamaged(error);
      }
      const aboveHighWatermark =
        hosted.leader() !== null &&
        error.firstOffset !== undefined &&
        error.firstOffset >= hosted.highWatermark();
      if (!aboveHighWatermark) throw error;
      this.options.logger.error(
        { err: error, partition: hosted.name },
        'damaged data above the high watermark of the last in-sync copy: cutting it and stopping the log directory',
      );
      return hosted.log.cutAtDamage(error);
    }
  }

  /**
   * A damage marker left by this replica's last run (PartitionLog.markDamaged): the marked segment and
   * the later ones go, to be fetched again, once another replica is in the ISR: this replica's new
   * registration took it out of the ISR then, so it cannot lead with them missing. The last in-sync
   * copy keeps its log (and the marker) instead.
   */
  private async repairMarkedDamage(dir: string, topicId: TopicId, partitionId: PartitionId): Promise<void> {
    const fs = this.options.fs ?? nodeFileSystem;
    const marked = await readDamageMarker(fs, dir);
    if (marked === null || !this.anotherInSyncReplica(topicId, partitionId)) return;
    this.options.logger.warn(
      { dir, segmentBaseOffset: marked },
      'dropping the segments from a damaged one, to fetch them again',
    );
    await dropSegmentsFrom({ fs, dir }, marked);
    await removeDamageMarker(fs, dir);
  }

  private anotherInSyncReplica(topicId: TopicId, partitionId: PartitionId): boolean {
    const registration = this.latest?.topics.get(topicId)?.partitions.get(partitionId);
    return registration?.isr.some((replica) => replica !== this.options.brokerId) ?? false;
  }

  private notifyLeadership(hosted: HostedPartition, leading: boolean): void {
    for (const listener of this.leadershipListeners) {
      try {
        listener({
          topicId: hosted.topicId,
          topicName: hosted.topicName,
          partitionId: hosted.partitionId,
          leading,
        });
      } catch (error) {
        this.options.logger.error({ err: error, partition: hosted.name }, 'a leadership listener failed');
      }
    }
  }

  /** Every replica on this broker (metrics). */
  hostedPartitions(): HostedPartition[] {
    return [...this.partitions.values()];
  }

  /** The partitions this broker follows from `leader`, as the fetcher asks each round. */
  followedFrom(leader: BrokerId): HostedPartition[] {
    return [...this.partitions.values()].filter(
      (hosted) => hosted.role.kind === 'follower' && hosted.role.leader === leader,
    );
  }

  /**
   * A produce: appends `batches` as the partition's leader, then answers by `acks`: 0 and 1 once written,
   * -1 (all) once every ISR member has the records fsynced (the high watermark passed them), with at
   * least min.insync.replicas members in the ISR before and after.
   */
  async appendRecords(
    topicId: TopicId,
    partitionId: PartitionId,
    batches: Buffer,
    options: { acks: Acks; timeoutMs: number },
  ): Promise<AppendResult> {
    const hosted = this.requireLeader(topicId, partitionId);
    const minIsr = this.minIsr(hosted);
    const leader = hosted.core.beginAppend(options.acks, minIsr);
    const result = await hosted.log.appendAsLeader(batches, leader.leaderEpoch);
    this.options.traffic?.appended(
      hosted.topicName,
      result.lastOffset - result.firstOffset + 1,
      batches.length,
    );
    try {
      return await this.acknowledge(hosted, leader, result, { ...options, minIsr });
    } catch (error) {
      throw unacknowledged(error, hosted.name, result.firstOffset);
    }
  }

  /** After the append: answers by acks, once this leader's high watermark passed the records. */
  private async acknowledge(
    hosted: HostedPartition,
    leader: LeaderView,
    result: AppendResult,
    options: { acks: Acks; timeoutMs: number; minIsr: number },
  ): Promise<AppendResult> {
    hosted.core.requireLeadership(leader);
    hosted.appended();
    const durable = hosted.log
      .waitDurable(offset(result.lastOffset + 1))
      .then(() => this.run(hosted, hosted.core.logFlushed()));
    if (options.acks !== -1) {
      durable.catch((error: unknown) =>
        this.options.logger.error({ err: error, partition: hosted.name }, 'flush failed'),
      );
      return result;
    }
    await durable;
    hosted.core.requireLeadership(leader);
    await hosted.waitForHighWatermark(result.lastOffset, options.timeoutMs);
    hosted.core.completeAppend(leader, options.minIsr);
    return result;
  }

  /**
   * A consumer's read on the leader: whole batches from `startOffset`, below the high watermark. With
   * nothing committed there yet, waits up to `maxWaitMs` for it (long poll). OFFSET_NOT_AVAILABLE
   * (retriable) while a new leader's high watermark is below its epoch start.
   */
  async readRecords(
    topicId: TopicId,
    partitionId: PartitionId,
    options: { startOffset: number; maxBytes: number; maxWaitMs: number },
  ): Promise<ReadResult> {
    const result = await this.readWaiting(topicId, partitionId, options);
    const hosted = this.hosted(topicId, partitionId);
    if (result.bytes.length > 0 && hosted !== undefined) {
      // The offsets from the read position to the end of the batches handed out.
      const records = Math.max(0, result.nextOffset - options.startOffset);
      this.options.traffic?.read(hosted.topicName, records, result.bytes.length);
    }
    return result;
  }

  private async readWaiting(
    topicId: TopicId,
    partitionId: PartitionId,
    options: { startOffset: number; maxBytes: number; maxWaitMs: number },
  ): Promise<ReadResult> {
    const first = await this.readCommitted(topicId, partitionId, options);
    if (first.bytes.length > 0 || options.maxWaitMs <= 0) return first;
    try {
      await this.requireLeader(topicId, partitionId).waitForHighWatermark(
        options.startOffset,
        options.maxWaitMs,
      );
    } catch (error) {
      if (!(error instanceof KafkaError && error.errorName === 'REQUEST_TIMED_OUT')) throw error;
      return first;
    }
    return this.readCommitted(topicId, partitionId, options);
  }

  private async readCommitted(
    topicId: TopicId,
    partitionId: PartitionId,
    options: { startOffset: number; maxBytes: number },
  ): Promise<ReadResult> {
    const hosted = this.requireLeader(topicId, partitionId);
    const highWatermark = hosted.core.beginClientRead(options.startOffset);
    const log = hosted.log;
    const read = await this.readOwnLog(hosted, {
      startOffset: offset(options.startOffset),
      maxBytes: options.maxBytes,
      maxOffset: offset(highWatermark),
    });
    return {
      bytes: read.bytes,
      nextOffset: read.nextOffset,
      highWatermark,
      logStartOffset: log.logStartOffset,
    };
  }

  /** Serves a follower's fetch; long-polls up to maxWaitMs when there is nothing to send. */
  async handleFetch(request: FetchRequest): Promise<FetchResponse> {
    this.fetchSilence?.fetched(request.replicaId as BrokerId, this.options.timers.nowMs());
    let partitions = await this.fetchOnce(request);
    const nothing = partitions.every(
      (p) => p.error === null && p.divergingEpoch === null && p.records.length === 0,
    );
    if (nothing && request.maxWaitMs > 0 && !this.closed) {
      await this.waitForAppend(request.partitions, request.maxWaitMs);
      partitions = await this.fetchOnce(request);
    }
    return { partitions };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopIsrChecks();
    this.stopRetention?.();
    await this.cleaner?.stop();
    await this.settled();
    await Promise.all([...this.fetchers.values()].map((fetcher) => fetcher.stop()));
    this.fetchers.clear();
    await Promise.all([...this.stoppingFetchers]);
    const closing = new KafkaError('NOT_LEADER_OR_FOLLOWER', 'The broker is shutting down.');
    for (const hosted of this.partitions.values()) {
      this.runManagerEffects(hosted, hosted.stop(closing));
      await hosted.log.close().catch((error: unknown) => {
        this.options.logger.error({ err: error, partition: hosted.name }, 'closing a partition log failed');
      });
    }
    this.partitions.clear();
    await this.options.transport.close();
  }

  /**
   * Kafka's LogDirFailureChannel with a single log dir: a partition log's I/O failed, so no replica on
   * this broker may fetch, lead or answer again (a follower could otherwise report offsets that are not
   * durable, a leader keep acknowledging). Synchronous, called by the failing log before its caller
   * hears of it: every fetcher is aborted before it sends another fetch.
   */
  private logDirFailed(error: KafkaError, partition: string): void {
    if (this.logDirFailure !== null || this.closed) return;
    this.logDirFailure = error;
    this.options.logger.fatal(
      { err: error, partition, logDir: this.options.logDir },
      'a partition log failed: the log directory is offline; every replica on this broker stops',
    );
    for (const fetcher of this.fetchers.values()) {
      const stopping = fetcher.stop().finally(() => this.stoppingFetchers.delete(stopping));
      this.stoppingFetchers.add(stopping);
    }
    this.fetchers.clear();
    for (const hosted of this.partitions.values()) {
      this.runManagerEffects(hosted, hosted.stop(this.storageError(hosted.name)));
    }
    this.options.onLogDirFailure?.(error);
  }

  /**
   * A fetcher's loop broke, e.g. on its assertion that a fetch offset is durable (a fsync that did not
   * flush): the same fail-stop path as an I/O failure, since this broker's logs cannot be trusted to
   * say what is durable.
   */
  private fetcherFailed(leader: BrokerId, error: unknown): void {
    const partition =
      error instanceof InvariantError && typeof error.context.partition === 'string'
        ? error.context.partition
        : `the partitions followed from broker ${leader}`;
    const failure =
      error instanceof KafkaError && error.errorName === 'KAFKA_STORAGE_ERROR'
        ? error
        : new KafkaError(
            'KAFKA_STORAGE_ERROR',
            `The replica fetcher from broker ${leader} failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    this.logDirFailed(failure, partition);
  }

  private storageError(partition: string): KafkaError {
    return new KafkaError(
      'KAFKA_STORAGE_ERROR',
      `The log directory of ${partition} on broker ${this.options.brokerId} is offline.`,
      { cause: this.logDirFailure },
    );
  }

  private async reconcileLoop(): Promise<void> {
    while (
      !this.closed &&
      this.logDirFailure === null &&
      this.latest !== null &&
      this.latest !== this.reconciled
    ) {
      const image = this.latest;
      await this.reconcile(image);
      this.reconciled = image;
    }
  }

  private async reconcile(image: MetadataImage): Promise<void> {
    const self = this.options.brokerId;
    const wanted = new Map<
      string,
      { topic: TopicImage; partitionId: PartitionId; registration: PartitionRegistration }
    >();
    for (const topic of image.topics.values()) {
      for (const [partitionId, registration] of topic.partitions) {
        if (registration.replicas.includes(self))
          wanted.set(key(topic.id, partitionId), { topic, partitionId, registration });
      }
    }
    // Every drop ends before any host starts: a topic deleted and created again under the same name
    // has its new partitions in the directories of the old ones. Within each phase every partition is
    // another directory and another HostedPartition, and each is handled by one task from start to end
    // (host, then its registration), so the per-partition order is the sequential one.
    const dropped = [...this.partitions].filter(([partitionKey]) => !wanted.has(partitionKey));
    await mapConcurrent(dropped, PARTITION_IO_CONCURRENCY, ([partitionKey, hosted]) =>
      this.drop(partitionKey, hosted),
    );
    await mapConcurrent(
      [...wanted],
      PARTITION_IO_CONCURRENCY,
      async ([partitionKey, { topic, partitionId, registration }]) => {
        // A failed log directory stopped every replica hosted then: none is opened after it.
        if (this.closed || this.logDirFailure !== null) return;
        try {
          const hosted = this.partitions.get(partitionKey) ?? (await this.host(topic, partitionId));
          hosted.log.updateConfig(topicLogConfig(image, topic.name, this.options.logConfig ?? {}));
          await this.applyRegistration(hosted, registration, image);
        } catch (error) {
          this.options.logger.error(
            { err: error, partition: `${topic.name}-${partitionId}` },
            'could not host partition',
          );
        }
      },
    );
    this.syncFetchers();
  }

  private async host(topic: TopicImage, partitionId: PartitionId): Promise<HostedPartition> {
    const dir = partitionDir(this.options.logDir, topic.name, partitionId);
    const name = `${topic.name}-${partitionId}`;
    let kept: boolean;
    let log: PartitionLog;
    try {
      this.logDirDurable ??= makePathDurable(this.options.fs ?? nodeFileSystem, this.options.logDir);
      await this.logDirDurable;
      kept = await claimPartitionDir(dir, topic.id, this.options.fs);
      await this.repairMarkedDamage(dir, topic.id, partitionId);
      const open = (tolerateDamage = false) =>
        PartitionLog.open({
          tolerateDamage,
          dir,
          ...(this.options.fs !== undefined ? { fs: this.options.fs } : {}),
          ...(this.options.logConfig ? { config: this.options.logConfig } : {}),
          now: () => this.options.timers.nowMs(),
          onFailure: (error) => this.logDirFailed(error, name),
        });
      try {
        log = await open();
      } catch (error) {
        // Bit rot in durable data: a replica out of the ISR (its restart took it out) drops the damaged
        // segments and fetches them again; the last in-sync copy opens with the damage, so that reads
        // find it and followers can catch up from what is intact.
        if (!(error instanceof CorruptLogError)) throw error;
        const fs = this.options.fs ?? nodeFileSystem;
        if (this.anotherInSyncReplica(topic.id, partitionId)) {
          this.options.logger.error(
            { err: error, partition: name },
            'damaged data in a partition log: dropping the damaged segments, to fetch them again',
          );
          await dropDamagedSegments({ fs, dir }, error);
          log = await open();
        } else {
          this.options.logger.error(
            { err: error, partition: name },
            'damaged data in the last in-sync copy of a partition: opening it with the damage',
          );
          log = await open(true);
        }
      }
    } catch (error) {
      // A log that cannot be read or recovered for I/O reasons takes the directory offline too; a
      // corrupt one (CORRUPT_MESSAGE) only refuses to open.
      if (!(error instanceof KafkaError) && !(error instanceof InvariantError)) {
        const failure = logDirFailure(dir, error);
        this.logDirFailed(failure, name);
        throw failure;
      }
      throw error;
    }
    const hosted = new HostedPartition({
      self: this.options.brokerId,
      topicId: topic.id,
      topicName: topic.name,
      partitionId,
      log,
      timers: this.options.timers,
      lagTimeMaxMs: this.options.lagTimeMaxMs,
      alterPartitionRetryBackoffMs: ALTER_PARTITION_RETRY_BACKOFF_MS,
    });
    this.partitions.set(key(topic.id, partitionId), hosted);
    this.options.logger.info(
      { partition: hosted.name, logEndOffset: log.logEndOffset, recovered: kept },
      'partition log opened',
    );
    return hosted;
  }

  private async drop(partitionKey: string, hosted: HostedPartition): Promise<void> {
    this.partitions.delete(partitionKey);
    this.runManagerEffects(
      hosted,
      hosted.stop(
        new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `${hosted.name} is no longer on this broker.`),
      ),
    );
    // The directory goes next: nothing in it needs to be durable first.
    await hosted.log.closeForRemoval().catch(() => undefined);
    await removePartitionDir(hosted.log.dir, this.options.fs);
    this.options.logger.info({ partition: hosted.name }, 'partition removed from this broker');
  }

  /** Carries out what the partition core asks for a committed registration (partition-core.ts). */
  private async applyRegistration(
    hosted: HostedPartition,
    registration: PartitionRegistration,
    image: MetadataImage,
  ): Promise<void> {
    const before = hosted.role;
    const step = hosted.core.applyRegistration(registration);
    this.run(hosted, step.effects);
    switch (step.kind) {
      case 'done':
        break;
      case 'stale':
        if (step.flush) await hosted.log.flush();
        this.options.logger.warn(
          {
            partition: hosted.name,
            leaderEpoch: registration.leaderEpoch,
            logEpoch: step.logEpoch,
            leader: registration.leader,
          },
          'stale metadata: the leader epoch is older than the latest epoch in the log; waiting for a newer image',
        );
        return;
      case 'lead': {
        await hosted.drainFollowerWrites();
        await hosted.log.flush();
        this.run(hosted, hosted.core.becomeLeader(registration));
        // A replica stopped meanwhile (log directory offline) takes no role.
        if (hosted.leader() === null) return;
        this.options.logger.info(
          {
            partition: hosted.name,
            leaderEpoch: registration.leaderEpoch,
            isr: registration.isr,
            logEndOffset: hosted.log.logEndOffset,
          },
          'became leader for partition',
        );
        break;
      }
      case 'follow':
        await hosted.drainFollowerWrites();
        await hosted.log.flush();
        this.run(hosted, hosted.core.becomeFollower(registration));
        break;
      default: {
        const unknown: never = step;
        throw new Error(`unknown registration step ${JSON.stringify(unknown)}`);
      }
    }
    const after = hosted.role;
    if (after.kind === 'follower' && after !== before) {
      this.options.logger.info(
        { partition: hosted.name, leaderEpoch: registration.leaderEpoch, leader: registration.leader },
        'became follower for partition',
      );
    }
    this.maybeProposeIsr(hosted, image);
  }

  /** Carries out a partition core's effects. */
  private run(hosted: HostedPartition, effects: readonly PartitionEffect[]): void {
    this.runManagerEffects(hosted, hosted.settle(effects));
  }

  private runManagerEffects(hosted: HostedPartition, effects: readonly ManagerEffect[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'leadership':
          this.notifyLeadership(hosted, effect.leading);
          break;
        case 'alter-partition':
          this.sendAlterPartition(hosted, effect.proposal);
          break;
        default: {
          const unknown: never = effect;
          throw new Error(`unknown partition effect ${JSON.stringify(unknown)}`);
        }
      }
    }
  }

  /** One fetcher per leader broker this broker follows some partition from. */
  private syncFetchers(): void {
    if (this.logDirFailure !== null) return;
    const leaders = new Set<BrokerId>();
    for (const hosted of this.partitions.values())
      if (hosted.role.kind === 'follower') leaders.add(hosted.role.leader);
    for (const [leader, fetcher] of [...this.fetchers]) {
      if (!leaders.has(leader) || fetcher.stopped) {
        this.fetchers.delete(leader);
        const stopping = fetcher.stop().finally(() => this.stoppingFetchers.delete(stopping));
        this.stoppingFetchers.add(stopping);
      }
    }
    for (const leader of leaders) {
      if (this.fetchers.has(leader)) continue;
      const fetcher = new ReplicaFetcher({
        leader,
        brokerId: this.options.brokerId,
        brokerEpoch: () => this.options.brokerEpoch() ?? 0,
        host: this,
        transport: this.options.transport,
        waitMaxMs: this.options.fetchWaitMaxMs,
        partitionMaxBytes: this.options.fetchMaxBytes,
        responseMaxBytes: this.options.fetchResponseMaxBytes,
        backoffMs: this.options.fetchBackoffMs,
        timers: this.options.timers,
        logger: this.options.logger,
        onFailure: (error) => this.fetcherFailed(leader, error),
      });
      this.fetchers.set(leader, fetcher);
      fetcher.start();
    }
  }

  private async fetchOnce(request: FetchRequest): Promise<FetchedPartition[]> {
    const results: FetchedPartition[] = [];
    let budgetBytes = request.maxBytes;
    for (const partition of request.partitions) {
      const result = await this.fetchPartition(
        request.replicaId as BrokerId,
        partition,
        Math.max(0, budgetBytes),
      );
      budgetBytes -= result.records.length;
      results.push(result);
    }
    return results;
  }

  private async fetchPartition(
    replica: BrokerId,
    request: FetchPartition,
    budgetBytes: number,
  ): Promise<FetchedPartition> {
    const base = {
      topicId: request.topicId,
      partition: request.partition,
      error: null,
      highWatermark: 0,
      logStartOffset: 0,
      divergingEpoch: null,
      records: EMPTY,
    };
    const fail = (name: KafkaError['errorName'], message: string): FetchedPartition => ({
      ...base,
      error: { name, message },
    });
    const hosted = this.partitions.get(key(request.topicId as TopicId, request.partition as PartitionId));
    if (this.logDirFailure !== null)
      return fail('KAFKA_STORAGE_ERROR', this.storageError(hosted?.name ?? 'this partition').message);
    if (hosted === undefined)
      return fail(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `Broker ${this.options.brokerId} does not host this partition.`,
      );
    const decision = hosted.core.serveFetch(replica, request);
    switch (decision.kind) {
      case 'refused':
        return {
          ...base,
          error: decision.error,
          highWatermark: decision.highWatermark,
          logStartOffset: decision.logStartOffset,
        };
      case 'diverging':
        return {
          ...base,
          divergingEpoch: decision.divergingEpoch,
          highWatermark: decision.highWatermark,
          logStartOffset: decision.logStartOffset,
        };
      case 'read':
        break;
      default: {
        const unknown: never = decision;
        throw new Error(`unknown fetch decision ${JSON.stringify(unknown)}`);
      }
    }
    this.run(hosted, decision.effects);
    if (this.latest !== null) this.maybeProposeIsr(hosted, this.latest);
    const { fetchOffset, logEndOffset, leader } = decision;
    const maxBytes = Math.min(request.maxBytes, budgetBytes);
    let read: LogReadResult | null = null;
    try {
      if (maxBytes > 0 && fetchOffset < logEndOffset)
        read = await this.readOwnLog(hosted, {
          startOffset: offset(fetchOffset),
          maxBytes,
          maxOffset: offset(logEndOffset),
        });
    } catch (error) {
      // Per partition, as Kafka: one partition's damaged or failed log must not fail the others' fetch.
      if (error instanceof KafkaError) return fail(error.errorName, error.message);
      throw error;
    }
    return {
      ...base,
      highWatermark: leader.highWatermark,
      logStartOffset: hosted.log.logStartOffset,
      records: read?.bytes ?? EMPTY,
    };
  }

  private async waitForAppend(partitions: readonly FetchPartition[], maxWaitMs: number): Promise<void> {
    const removals: Array<() => void> = [];
    await new Promise<void>((resolve) => {
      const cancel = this.options.timers.setTimeout(resolve, maxWaitMs);
      const wake = () => {
        cancel();
        resolve();
      };
      for (const partition of partitions) {
        const hosted = this.partitions.get(
          key(partition.topicId as TopicId, partition.partition as PartitionId),
        );
        if (hosted !== undefined) removals.push(hosted.onNextAppend(wake));
      }
      if (removals.length === 0) wake();
    });
    for (const remove of removals) remove();
  }

  private checkIsrs(): void {
    const nowMs = this.options.timers.nowMs();
    // A check a whole interval late ran before the I/O its delay held back (timers run first in a turn):
    // followers' fetches may be waiting unread, so their silence says nothing this time.
    const onTime = nowMs - this.lastIsrCheckMs <= 2 * this.isrCheckIntervalMs;
    this.lastIsrCheckMs = nowMs;
    if (this.latest === null) return;
    const fetchSilence = this.fetchSilence;
    const silence =
      onTime && fetchSilence !== null
        ? {
            minMs: fetchSilence.minSilenceMs,
            isSilent: (broker: BrokerId) => fetchSilence.silent(broker, nowMs),
          }
        : null;
    for (const hosted of this.partitions.values()) this.maybeProposeIsr(hosted, this.latest, silence);
  }

  private maybeProposeIsr(
    hosted: HostedPartition,
    image: MetadataImage,
    silence: SilentFollowers | null = null,
  ): void {
    if (this.closed || hosted.leader() === null) return;
    // Without a broker epoch nothing can be sent: propose nothing rather than a change never sent.
    if (this.options.brokerEpoch() === null) return;
    this.run(
      hosted,
      hosted.core.checkIsr((broker) => {
        const registration = image.brokers.get(broker);
        return registration !== undefined && !registration.fenced && !registration.inControlledShutdown;
      }, silence),
    );
  }

  private sendAlterPartition(hosted: HostedPartition, proposal: IsrProposal): void {
    const brokerEpoch = this.options.brokerEpoch();
    if (brokerEpoch === null) {
      // Unreachable: maybeProposeIsr asks the core only with a broker epoch. An unknown outcome is
      // sent again; a change never sent must not stay in flight for good.
      hosted.core.alterPartitionAnswered(
        proposal,
        new KafkaError('REQUEST_TIMED_OUT', 'This broker has no broker epoch.'),
      );
      return;
    }
    const leader = hosted.leader();
    this.options.logger.info(
      {
        partition: hosted.name,
        leaderEpoch: proposal.leaderEpoch,
        isr: leader?.isr,
        proposed: proposal.newIsr,
      },
      'proposing an ISR change',
    );
    const answered = (error: unknown) => {
      const outcome = hosted.core.alterPartitionAnswered(proposal, error);
      if (outcome === 'accepted') return;
      this.options.logger.warn(
        { err: error, partition: hosted.name, proposed: proposal.newIsr, outcome },
        outcome === 'refused'
          ? 'the ISR change was refused'
          : 'the ISR change may or may not be committed; it stays pending',
      );
    };
    this.options
      .alterPartition({
        brokerId: this.options.brokerId,
        brokerEpoch,
        topicId: hosted.topicId,
        partitionId: hosted.partitionId,
        leaderEpoch: proposal.leaderEpoch,
        partitionEpoch: proposal.partitionEpoch,
        newIsr: proposal.newIsr,
      })
      .then(
        () => answered(null),
        (error: unknown) => answered(error ?? new Error('AlterPartition failed')),
      );
  }

  private requireLeader(topicId: TopicId, partitionId: PartitionId): HostedPartition {
    const hosted = this.partitions.get(key(topicId, partitionId));
    if (this.logDirFailure !== null) throw this.storageError(hosted?.name ?? `${topicId}-${partitionId}`);
    if (hosted === undefined) {
      throw new KafkaError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `This server does not host partition ${partitionId} of topic ${topicId}.`,
      );
    }
    hosted.core.requireLeader();
    return hosted;
  }

  private minIsr(hosted: HostedPartition): number {
    return this.latest === null ? 1 : this.options.minInsyncReplicas(this.latest, hosted.topicName);
  }
}

function key(topicId: TopicId | string, partitionId: PartitionId | number): string {
  return `${topicId}/${partitionId}`;
}
