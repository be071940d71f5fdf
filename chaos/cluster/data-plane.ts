import type { Logger } from 'pino';
import type { NodeId } from '../../raft/types.ts';
import { brokerId, partitionId, topicId } from '../../src/metadata/ids.ts';
import type { ControllerClient } from '../../src/node/controller-client.ts';
import {
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
} from '../../src/replication/fetch-messages.ts';
import type { FetchTransport } from '../../src/replication/replica-fetcher.ts';
import { type AlterPartitionRequest, ReplicaManager } from '../../src/replication/replica-manager.ts';
import type { Timers } from '../../src/replication/timers.ts';
import type { FileSystem } from '../../src/storage/file-system.ts';
import { Violation } from '../checkers/violation.ts';
import type { ClusterConfig } from './cluster-config.ts';
import type { ClusterProtocol, ProduceRequest, ReadRequest, ReadResponse } from './protocol.ts';
import type { RpcNetwork } from './rpc-network.ts';

export const LOG_DIR = '/data/kraft-logs';

/**
 * One broker incarnation's data plane, wired as src/node/node.ts wires it: the real ReplicaManager
 * (partition cores, real PartitionLogs on the simulated file system, followers' fetchers) with fetches
 * over the simulated network in the product's protobuf encoding, AlterPartition through the product's
 * ControllerClient, and time from the process's Timers.
 */
export class DataPlane {
  readonly replicas: ReplicaManager;
  private readonly self: NodeId;
  private readonly onViolation: (violation: Violation) => void;

  constructor(options: {
    self: NodeId;
    config: ClusterConfig;
    fs: FileSystem;
    timers: Timers;
    network: RpcNetwork<ClusterProtocol>;
    client: ControllerClient;
    brokerEpoch: () => number | null;
    logger: Logger;
    onLogDirFailure: (error: Error) => void;
    /** Sees every AlterPartition as it is sent (a fault may react to it: faults.ts). */
    onAlterPartition: (request: AlterPartitionRequest) => void;
    onViolation: (violation: Violation) => void;
  }) {
    const { self, config, network, client } = options;
    this.self = self;
    this.onViolation = options.onViolation;
    const transport: FetchTransport = {
      fetch: async (leader, request, { timeoutMs, signal }) => {
        const call = network.call(
          self,
          leader as number as NodeId,
          'fetch',
          encodeFetchRequest(request),
          timeoutMs,
        );
        // A stopped fetcher aborts its fetch: the answer, if one comes, is not waited for.
        const aborted = new Promise<never>((_, reject) => {
          if (signal.aborted) reject(new Error('fetch aborted'));
          signal.addEventListener('abort', () => reject(new Error('fetch aborted')), { once: true });
        });
        return decodeFetchResponse(await Promise.race([call, aborted]));
      },
      close: async () => {},
    };
    this.replicas = new ReplicaManager({
      brokerId: brokerId(self),
      logDir: LOG_DIR,
      fs: options.fs,
      logConfig: { segmentBytesMax: config.data.segmentBytesMax },
      cleaner: { backoffMs: config.data.cleanerBackoffMs, offsetMapBytes: 1 << 20 },
      timers: options.timers,
      lagTimeMaxMs: config.data.lagTimeMaxMs,
      fetchWaitMaxMs: config.data.fetchWaitMaxMs,
      fetchMaxBytes: 1 << 20,
      fetchResponseMaxBytes: 4 << 20,
      fetchBackoffMs: config.data.fetchBackoffMs,
      minInsyncReplicas: (image, topicName) =>
        Number(
          image.configs.get(`topic:${topicName}`)?.get('min.insync.replicas') ??
            config.data.minInsyncReplicas,
        ),
      brokerEpoch: options.brokerEpoch,
      alterPartition: async (request) => {
        options.onAlterPartition(request);
        await client.call('alter-partition', {
          brokerId: request.brokerId,
          brokerEpoch: request.brokerEpoch,
          topicId: request.topicId,
          partitionId: request.partitionId,
          leaderEpoch: request.leaderEpoch,
          partitionEpoch: request.partitionEpoch,
          newIsr: [...request.newIsr],
        });
      },
      transport,
      logger: options.logger,
      onLogDirFailure: options.onLogDirFailure,
    });
  }

  /**
   * Serves a follower's fetch, and checks the leader-epoch fencing of the answer (KIP-320, KIP-595): a
   * partition answered with records or a diverging epoch was asked at the leader epoch this replica
   * leads, with a last fetched epoch no newer. Checked on answers given at once (no long poll: the
   * replica's state did not change between the fetch's arrival and its answer, which the run loop
   * settles within one event), against the replica's state at arrival; `now` is the simulated clock.
   */
  async fetch(body: Uint8Array, now: () => number): Promise<Uint8Array> {
    const request = decodeFetchRequest(body);
    const arrivedAt = now();
    const epochs = request.partitions.map(
      (asked) =>
        this.replicas.hosted(topicId(asked.topicId), partitionId(asked.partition))?.leader()?.leaderEpoch ??
        null,
    );
    const response = await this.replicas.handleFetch(request);
    if (now() !== arrivedAt) return encodeFetchResponse(response);
    response.partitions.forEach((answer, at) => {
      const asked = request.partitions[at];
      if (asked === undefined || answer.error !== null) return;
      if (answer.records.length === 0 && answer.divergingEpoch === null) return;
      const epoch = epochs[at] ?? null;
      if (epoch === asked.currentLeaderEpoch && asked.lastFetchedEpoch <= epoch) return;
      this.onViolation(
        new Violation(
          'fetch-epoch-fencing',
          `node ${this.self} answered node ${request.replicaId}'s fetch of ${asked.topicId}/${asked.partition} at leader epoch ${asked.currentLeaderEpoch} (last fetched epoch ${asked.lastFetchedEpoch}) while leading epoch ${epoch ?? 'none'}`,
        ),
      );
    });
    return encodeFetchResponse(response);
  }

  async produce(request: ProduceRequest, timeoutMs: number): Promise<{ lastOffset: number }> {
    const result = await this.replicas.appendRecords(
      topicId(request.topicId),
      partitionId(request.partition),
      Buffer.from(request.batch),
      { acks: request.acks, timeoutMs },
    );
    return { lastOffset: result.lastOffset };
  }

  async read(request: ReadRequest, maxWaitMs: number): Promise<ReadResponse> {
    const read = await this.replicas.readRecords(topicId(request.topicId), partitionId(request.partition), {
      startOffset: request.startOffset,
      maxBytes: 64 * 1024,
      maxWaitMs,
    });
    return {
      bytes: new Uint8Array(read.bytes),
      nextOffset: read.nextOffset,
      highWatermark: read.highWatermark,
      logStartOffset: read.logStartOffset,
    };
  }
}
