// Three ReplicaManagers (brokers 1..3) in one process for the replication tests: each with its own
// temporary log dir, wired by an in-memory FetchTransport that calls the leader's handleFetch directly
// (through the real protobuf codec, so records travel as they would on the wire) and can cut the link
// from a follower to a leader, and a test controller that holds the MetadataImage (built with the real
// reducer from real records), decides AlterPartition with the real controller's decision function and
// applies every new image to every running manager.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { decideAlterPartition } from '../../src/metadata/controller/broker-decisions.ts';
import {
  type BrokerId,
  type PartitionId,
  type TopicId,
  brokerEpoch,
  brokerId,
  leaderEpoch,
  metadataOffset,
  partitionEpoch,
  partitionId,
  topicId,
} from '../../src/metadata/ids.ts';
import { type MetadataImage, type PartitionRegistration, emptyImage } from '../../src/metadata/image.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { realTimers } from '../../src/node/real-timers.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';
import {
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  type FetchRequest,
  type FetchResponse,
} from '../../src/replication/fetch-messages.ts';
import type { HostedPartition } from '../../src/replication/hosted-partition.ts';
import type { FetchTransport } from '../../src/replication/replica-fetcher.ts';
import {
  type Acks,
  type AlterPartitionRequest,
  ReplicaManager,
  type ReplicaManagerOptions,
} from '../../src/replication/replica-manager.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import type { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { RecordBatchHeader } from '../../src/storage/record-batch/header.ts';
import { offset } from '../../src/storage/types.ts';
import { waitFor } from './helpers.ts';

export const BROKERS = [brokerId(1), brokerId(2), brokerId(3)] as const;
export const [B1, B2, B3] = BROKERS;
export const P0 = partitionId(0);
const INCARNATION = '11111111-2222-4333-8444-555555555555';

export const TIMINGS = { lagTimeMaxMs: 300, fetchWaitMaxMs: 50, fetchBackoffMs: 20 } as const;

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface StoredBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  readonly bytes: Buffer;
}

let topicCounter = 0;

/** A batch of `count` records whose values are `<tag>-<i>`. */
export function batch(tag: string, count = 1): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      timestamp: 1_700_000_000_000 + i,
      key: Buffer.from(`k-${i}`),
      value: Buffer.from(`${tag}-${i}`),
      headers: [],
    })),
  });
}

/** Every batch of `log`, read back with the log's own read. */
export async function storedBatches(log: PartitionLog): Promise<StoredBatch[]> {
  const batches: StoredBatch[] = [];
  let next: number = log.logStartOffset;
  const end = log.logEndOffset;
  while (next < end) {
    const read = await log.read({ startOffset: offset(next), maxBytes: 1 << 20, maxOffset: offset(end) });
    if (read.bytes.length === 0) break;
    for (const { header } of batchesIn(read.bytes)) {
      batches.push({
        baseOffset: header.baseOffset,
        lastOffset: header.lastOffset,
        epoch: header.partitionLeaderEpoch,
        bytes: Buffer.from(header.buffer),
      });
    }
    next = read.nextOffset;
  }
  return batches;
}

/** offset -> record value, for every record of `batches`. */
export function valuesByOffset(batches: readonly StoredBatch[]): Map<number, string> {
  const values = new Map<number, string>();
  for (const stored of batches) {
    for (const record of decodeRecords(new RecordBatchHeader(stored.bytes))) {
      values.set(record.offset, record.value?.toString('utf8') ?? '<null>');
    }
  }
  return values;
}

export class TestCluster {
  image: MetadataImage = emptyImage();
  readonly managers = new Map<BrokerId, ReplicaManager>();
  readonly logs: LogLine[] = [];
  /** `${follower}->${leader}` links that drop every fetch. */
  readonly cut = new Set<string>();
  /** ISR changes the leaders asked for, accepted or not. */
  readonly alterPartitionRequests: AlterPartitionRequest[] = [];
  /** When set, AlterPartition fails with it (an unreachable or refusing controller). */
  refuseAlterPartition: Error | null = null;
  minInsyncReplicas = 2;
  /** Every onLogDirFailure call, by broker. */
  readonly logDirFailures: Array<{ broker: BrokerId; error: KafkaError }> = [];
  /** Fetch requests sent, by follower. */
  readonly fetchesSent = new Map<BrokerId, number>();
  private readonly dirs = new Map<BrokerId, string>();
  private readonly root: string;
  private metadataOffsetValue = 0;

  /** replica.fetch.backoff.ms of the managers started from now on. */
  fetchBackoffMs: number = TIMINGS.fetchBackoffMs;
  /** The log cleaner of the managers started from now on (none by default). */
  cleaner: ReplicaManagerOptions['cleaner'] | undefined;
  /** The broker log defaults of the managers started from now on. */
  logConfig: Partial<LogConfig> | undefined;
  /** replica.lag.time.max.ms and replica.silence.time.max.ms of the managers started from now on. */
  isrTimings: { lagTimeMaxMs: number; silenceTimeMaxMs: number } | undefined;

  private constructor(root: string) {
    this.root = root;
  }

  /** Registered, unfenced brokers 1..3 and no topic yet; no manager runs. */
  static async create(): Promise<TestCluster> {
    const cluster = new TestCluster(await mkdtemp(join(tmpdir(), 'kraftling-replication-')));
    for (const id of BROKERS) {
      cluster.dirs.set(id, join(cluster.root, `broker-${id}`));
      cluster.commit([
        {
          type: 'registerBroker',
          brokerId: id,
          incarnationId: INCARNATION,
          endpoints: [
            { name: 'INTERNAL', host: '127.0.0.1', port: 9090 + id, securityProtocol: 'PLAINTEXT' },
          ],
          rack: null,
          fenced: true,
          processRoles: ['broker'],
        },
      ]);
    }
    for (const broker of cluster.image.brokers.values()) {
      cluster.commit([
        {
          type: 'brokerRegistrationChange',
          brokerId: broker.id,
          brokerEpoch: brokerEpoch(broker.epoch),
          fenced: false,
          inControlledShutdown: null,
        },
      ]);
    }
    return cluster;
  }

  /** A topic with one partition per entry of `partitions` (leader = first of isr by default). */
  createTopic(
    name: string,
    partitions: ReadonlyArray<{
      replicas?: readonly BrokerId[];
      isr?: readonly BrokerId[];
      leader?: BrokerId;
    }>,
  ): TopicId {
    topicCounter += 1;
    const id = topicId(`6d1f5a38-2f0b-4f51-9d0c-${topicCounter.toString(16).padStart(12, '0')}`);
    this.commit([
      { type: 'topic', name, topicId: id },
      ...partitions.map((p, i): MetadataRecord => {
        const replicas = p.replicas ?? BROKERS;
        const isr = p.isr ?? replicas;
        return {
          type: 'partition',
          topicId: id,
          partitionId: partitionId(i),
          replicas,
          isr,
          leader: p.leader ?? isr[0]!,
          leaderEpoch: leaderEpoch(0),
          partitionEpoch: partitionEpoch(0),
        };
      }),
    ]);
    return id;
  }

  /**
   * Commits one metadata batch and hands the new image to every running manager, or to those of `to`
   * only (the others learn it late: `publish`).
   */
  commit(records: readonly MetadataRecord[], to?: readonly BrokerId[]): void {
    this.metadataOffsetValue += 1;
    this.image = applyBatch(this.image, records, metadataOffset(this.metadataOffsetValue));
    for (const [id, manager] of this.managers)
      if (to === undefined || to.includes(id)) manager.applyImage(this.image);
  }

  /** Hands the current image to broker `id`'s manager. */
  publish(id: BrokerId): void {
    this.manager(id).applyImage(this.image);
  }

  registration(topic: TopicId, partition: PartitionId = P0): PartitionRegistration {
    const found = this.image.topics.get(topic)?.partitions.get(partition);
    if (found === undefined) throw new Error(`no partition ${topic}-${partition}`);
    return found;
  }

  /**
   * Starts broker `id`'s ReplicaManager on its log dir (kept across restarts) with the current image, or
   * with `image` (a stale one, as a restart's on-disk image can be).
   */
  start(id: BrokerId, image: MetadataImage = this.image): ReplicaManager {
    if (this.managers.has(id)) throw new Error(`broker ${id} is running`);
    const logger = pino(
      { level: 'info', base: { broker: id } },
      { write: (line: string) => this.logs.push(JSON.parse(line) as LogLine) },
    );
    const manager = new ReplicaManager({
      brokerId: id,
      logDir: this.dirs.get(id)!,
      timers: realTimers,
      ...TIMINGS,
      fetchBackoffMs: this.fetchBackoffMs,
      ...(this.cleaner === undefined ? {} : { cleaner: this.cleaner }),
      ...(this.logConfig === undefined ? {} : { logConfig: this.logConfig }),
      ...this.isrTimings,
      fetchMaxBytes: 1 << 20,
      fetchResponseMaxBytes: 10 << 20,
      minInsyncReplicas: () => this.minInsyncReplicas,
      brokerEpoch: () => this.image.brokers.get(id)?.epoch ?? null,
      alterPartition: (request) => this.alterPartition(request),
      transport: this.transport(id),
      logger,
      onLogDirFailure: (error) => this.logDirFailures.push({ broker: id, error }),
    });
    this.managers.set(id, manager);
    manager.applyImage(image);
    return manager;
  }

  async startAll(): Promise<void> {
    for (const id of BROKERS) this.start(id);
    await this.settled();
  }

  manager(id: BrokerId): ReplicaManager {
    const manager = this.managers.get(id);
    if (manager === undefined) throw new Error(`broker ${id} is not running`);
    return manager;
  }

  hosted(id: BrokerId, topic: TopicId, partition: PartitionId = P0): HostedPartition {
    const hosted = this.manager(id).hosted(topic, partition);
    if (hosted === undefined) throw new Error(`broker ${id} does not host ${topic}-${partition}`);
    return hosted;
  }

  async settled(): Promise<void> {
    await Promise.all([...this.managers.values()].map((manager) => manager.settled()));
  }

  /** Closes broker `id`'s manager (its log dir stays). */
  async stop(id: BrokerId): Promise<void> {
    const manager = this.manager(id);
    this.managers.delete(id);
    await manager.close();
  }

  cutLink(follower: BrokerId, leader: BrokerId): void {
    this.cut.add(`${follower}->${leader}`);
  }

  healLink(follower: BrokerId, leader: BrokerId): void {
    this.cut.delete(`${follower}->${leader}`);
  }

  /** Cuts every fetch of `follower` (to any leader). */
  isolateFetches(follower: BrokerId): void {
    for (const leader of BROKERS) if (leader !== follower) this.cutLink(follower, leader);
  }

  healFetches(follower: BrokerId): void {
    for (const leader of BROKERS) this.healLink(follower, leader);
  }

  async produce(id: BrokerId, topic: TopicId, batches: Buffer, acks: Acks, timeoutMs = 5_000) {
    return this.manager(id).appendRecords(topic, P0, batches, { acks, timeoutMs });
  }

  /** Waits until `follower`'s log has exactly the batches of `leader`'s (same offsets, same bytes). */
  async waitInSync(topic: TopicId, leader: BrokerId, follower: BrokerId, timeoutMs = 5_000): Promise<void> {
    await waitFor(
      `broker ${follower} to hold broker ${leader}'s log`,
      () => {
        const a = this.hosted(leader, topic).log;
        const b = this.hosted(follower, topic).log;
        return a.logEndOffset === b.logEndOffset && b.flushedOffset === b.logEndOffset;
      },
      {
        timeoutMs,
        describe: () => ({
          leader: this.hosted(leader, topic).log.logEndOffset,
          follower: this.hosted(follower, topic).log.logEndOffset,
        }),
      },
    );
  }

  async batches(id: BrokerId, topic: TopicId): Promise<StoredBatch[]> {
    return storedBatches(this.hosted(id, topic).log);
  }

  /** broker `id`'s log directory (under which its partition logs live). */
  logDir(id: BrokerId): string {
    return this.dirs.get(id)!;
  }

  /** Error-level lines (pino level 50+): none is expected in a healthy run. */
  errors(): LogLine[] {
    return this.logs.filter((line) => line.level >= 50);
  }

  async close(): Promise<void> {
    await Promise.all([...this.managers.values()].map((manager) => manager.close()));
    this.managers.clear();
    await rm(this.root, { recursive: true, force: true });
  }

  private async alterPartition(request: AlterPartitionRequest): Promise<void> {
    this.alterPartitionRequests.push(request);
    if (this.refuseAlterPartition !== null) throw this.refuseAlterPartition;
    const records = decideAlterPartition(this.image, {
      ...request,
      brokerEpoch: brokerEpoch(request.brokerEpoch),
      leaderEpoch: leaderEpoch(request.leaderEpoch),
    });
    this.commit(records);
  }

  private transport(self: BrokerId): FetchTransport {
    let closed = false;
    const isCut = (leader: BrokerId) => this.cut.has(`${self}->${leader}`);
    return {
      fetch: async (leader: BrokerId, request: FetchRequest, options): Promise<FetchResponse> => {
        if (closed) throw new Error('transport closed');
        this.fetchesSent.set(self, (this.fetchesSent.get(self) ?? 0) + 1);
        if (isCut(leader)) throw new Error(`link ${self}->${leader} is cut`);
        const target = this.managers.get(leader);
        if (target === undefined) throw new Error(`broker ${leader} is down`);
        const response = await abortable(
          target.handleFetch(decodeFetchRequest(encodeFetchRequest(request))),
          options.signal,
        );
        // A link cut while the long poll was held loses the answer too.
        if (isCut(leader)) throw new Error(`link ${self}->${leader} is cut`);
        return decodeFetchResponse(encodeFetchResponse(response));
      },
      close: async () => {
        closed = true;
      },
    };
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new KafkaError('REQUEST_TIMED_OUT', 'fetch aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new KafkaError('REQUEST_TIMED_OUT', 'fetch aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
