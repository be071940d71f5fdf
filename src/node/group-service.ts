// GroupApi (src/http/ports.ts) for this node: a group request goes to the group's coordinator, the
// leader of the group's __consumer_offsets partition: this node's GroupCoordinator when it leads that
// partition, else the coordinator's internal listener. The topic is created on the first group request
// (as Kafka creates it on the first FindCoordinator), and only with offsets.topic.replication.factor
// replicas: while fewer brokers are alive, group requests answer COORDINATOR_NOT_AVAILABLE. While
// coordination moves (no leader yet, a partition still loading, a stale image, too few brokers to create
// the topic) requests are retried until their deadline. The clock and the forwarding to another broker are
// injected (real ones by default), so the whole-cluster simulation runs this service on simulated time
// and network (chaos/cluster).
import type { Logger } from 'pino';
import { isKafkaError, KafkaError, type KafkaErrorName } from '../common/kafka-errors.ts';
import { partitionForGroup } from '../groups/group-partition.ts';
import type {
  AdminApi,
  CommittedOffset,
  GroupApi,
  GroupDescription,
  GroupMembership,
} from '../http/ports.ts';
import type { BrokerId, PartitionId } from '../metadata/ids.ts';
import { NO_LEADER } from '../metadata/ids.ts';
import type { MetadataImage, PartitionRegistration } from '../metadata/image.ts';
import { topicByName, unfencedBrokers } from '../metadata/queries.ts';
import { H2cClients } from '../replication/h2c-clients.ts';
import type { PeerDialer } from '../../raft/transport/peer-dialer.ts';
import { sleep, type Timers } from '../replication/timers.ts';
import { brokerAddress } from './broker-address.ts';
import {
  decodeGroupResult,
  encodeGroupRequest,
  GROUP_RPC_PATH,
  type GroupOperation,
  type GroupOperations,
  serveGroupOperation,
} from './group-rpc.ts';
import { realTimers } from './real-timers.ts';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Answers that mean "ask again, the coordinator is moving or starting". */
const RETRIABLE: ReadonlySet<KafkaErrorName> = new Set([
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
]);
const RETRY_BACKOFF_MS = 50;
const FORWARD_EXTRA_MS = 5_000;
/** How long the read barrier of fetchOffsets may take (DataService's offsets wait as long). */
const READ_BARRIER_TIMEOUT_MS = 1_000;
/** The retry backoff is never cut short. */
const NEVER = new AbortController().signal;

/**
 * Carries one encoded group request (group-rpc.ts) to another broker's internal listener and brings back
 * its HTTP status and body. A failure to reach the broker rejects with an error carrying a string `code`
 * (as Node's and undici's do): the service retries those.
 */
export interface GroupForwarder {
  forward(
    broker: BrokerId,
    operation: GroupOperation,
    body: Uint8Array,
    timeoutMs: number,
  ): Promise<{ readonly status: number; readonly bytes: Uint8Array }>;
  close(): Promise<void>;
}

/** The real forwarder: h2c POSTs to the broker's inter-broker listener, found in the image. */
class H2cGroupForwarder implements GroupForwarder {
  private readonly clients: H2cClients;
  private readonly image: () => MetadataImage;
  private readonly listener: string;

  constructor(image: () => MetadataImage, listener: string, dialer: PeerDialer | undefined) {
    this.clients = new H2cClients(dialer);
    this.image = image;
    this.listener = listener;
  }

  async forward(broker: BrokerId, operation: GroupOperation, body: Uint8Array, timeoutMs: number) {
    const address = brokerAddress(this.image(), broker, this.listener);
    if (address === null)
      throw new KafkaError('COORDINATOR_NOT_AVAILABLE', `Broker ${broker} has no ${this.listener} endpoint.`);
    return this.clients.post(address, `${GROUP_RPC_PATH}${operation}`, body, { timeoutMs });
  }

  close(): Promise<void> {
    return this.clients.close();
  }
}

export interface GroupServiceOptions {
  readonly self: BrokerId;
  readonly image: () => MetadataImage;
  readonly admin: AdminApi;
  /** This node's coordinator (null on a node that is not a broker). */
  readonly coordinator: () => GroupApi | null;
  /** offsets.topic.num.partitions, offsets.topic.replication.factor, offsets.topic.segment.bytes. */
  readonly offsetsTopicPartitions: number;
  readonly offsetsTopicReplicationFactor: number;
  readonly offsetsTopicSegmentBytes?: number;
  readonly requestTimeoutMs: number;
  /** inter.broker.listener.name: the coordinator's listener this node dials (default INTERNAL). */
  readonly interBrokerListener?: string;
  /** The clock and the retry backoff's timer (default: the real ones). */
  readonly timers?: Timers;
  /** How a request reaches another broker's coordinator (default: h2c to its inter-broker listener). */
  readonly forwarder?: GroupForwarder;
  /** How the default forwarder dials (TLS and the peer preface when security is configured). */
  readonly dialer?: PeerDialer;
  readonly logger: Logger;
}

export class GroupService implements GroupApi {
  private readonly options: GroupServiceOptions;
  private readonly timers: Timers;
  private readonly forwarder: GroupForwarder;
  private creating: Promise<void> | null = null;

  constructor(options: GroupServiceOptions) {
    this.options = options;
    this.timers = options.timers ?? realTimers;
    this.forwarder =
      options.forwarder ??
      new H2cGroupForwarder(options.image, options.interBrokerListener ?? 'INTERNAL', options.dialer);
  }

  join(request: GroupOperations['join']['request']): Promise<GroupMembership> {
    return this.route(request.groupId, 'join', request);
  }

  heartbeat(request: GroupOperations['heartbeat']['request']): Promise<GroupMembership> {
    return this.route(request.groupId, 'heartbeat', request);
  }

  async leave(request: GroupOperations['leave']['request']): Promise<void> {
    await this.route(request.groupId, 'leave', request);
  }

  async commit(request: GroupOperations['commit']['request']): Promise<void> {
    await this.route(request.groupId, 'commit', request);
  }

  /**
   * Behind a read barrier, as DataService's end offsets: this node first catches up with the metadata
   * committed at the controller, so that it routes to the coordinator of the current leader epoch. A
   * node cut off from the controller may still see itself (or another deposed broker) leading the
   * group's partition; that coordinator's cache misses the commits its successor acknowledged, and its
   * answer would take the committed offset back (the whole-cluster simulation's seed 370).
   */
  async fetchOffsets(request: GroupOperations['fetch-offsets']['request']): Promise<CommittedOffset[]> {
    if (request.groupId === '') throw new KafkaError('INVALID_GROUP_ID', 'The group id must not be empty.');
    // A node that has not caught up since its start says so first (the image throws).
    this.options.image();
    try {
      await this.options.admin.catchUp(Math.min(READ_BARRIER_TIMEOUT_MS, this.options.requestTimeoutMs));
    } catch (error) {
      throw new KafkaError(
        'COORDINATOR_NOT_AVAILABLE',
        `The committed offsets of group ${request.groupId} need this node to catch up with the metadata ` +
          `quorum first, and it could not: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    // Each try routes by this node's image, caught up above, and says which leadership it saw.
    return this.withRetries(async () => {
      const { leader, leaderEpoch } = await this.registrationFor(request.groupId);
      return this.call(leader, 'fetch-offsets', { ...request, coordinatorEpoch: leaderEpoch });
    }, this.timers.nowMs() + this.options.requestTimeoutMs);
  }

  describe(groupId: string): Promise<GroupDescription> {
    return this.route(groupId, 'describe', { groupId });
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.route(groupId, 'delete', { groupId });
  }

  /** Every coordinator's groups: each broker leading some __consumer_offsets partition is asked. */
  async list(): Promise<GroupOperations['list']['result']> {
    const topic = topicByName(this.options.image(), OFFSETS_TOPIC);
    if (topic === undefined) return [];
    const leaders = new Set([...topic.partitions.values()].map((partition) => partition.leader));
    leaders.delete(NO_LEADER);
    const lists = await Promise.all(
      [...leaders].map((leader) =>
        this.withRetries(
          () => this.call(leader, 'list', {}),
          this.timers.nowMs() + this.options.requestTimeoutMs,
        ),
      ),
    );
    const seen = new Map<string, GroupOperations['list']['result'][number]>();
    for (const listing of lists.flat()) seen.set(listing.groupId, listing);
    return [...seen.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  close(): Promise<void> {
    return this.forwarder.close();
  }

  private async route<O extends GroupOperation>(
    groupId: string,
    operation: O,
    request: GroupOperations[O]['request'],
  ): Promise<GroupOperations[O]['result']> {
    if (groupId === '') throw new KafkaError('INVALID_GROUP_ID', 'The group id must not be empty.');
    const deadline = this.timers.nowMs() + this.options.requestTimeoutMs;
    return this.withRetries(
      async () => this.call(await this.leaderFor(groupId), operation, request),
      deadline,
    );
  }

  /**
   * FindCoordinator: the broker leading the group's __consumer_offsets partition (the topic is created
   * on first use). Retried while coordination moves, for at most `timeoutMs`.
   */
  async coordinatorOf(groupId: string, timeoutMs: number): Promise<BrokerId> {
    if (groupId === '') throw new KafkaError('INVALID_GROUP_ID', 'The group id must not be empty.');
    return this.withRetries(() => this.leaderFor(groupId), this.timers.nowMs() + timeoutMs);
  }

  /**
   * The leader of the group's __consumer_offsets partition in this node's image (null: no such topic
   * or partition yet, or no leader). Without creating anything.
   */
  leaderInImage(groupId: string): BrokerId | null {
    const found = this.coordinatorInImage(groupId);
    return found instanceof KafkaError ? null : found.leader;
  }

  private async leaderFor(groupId: string): Promise<BrokerId> {
    return (await this.registrationFor(groupId)).leader;
  }

  private async registrationFor(groupId: string): Promise<PartitionRegistration> {
    await this.ensureOffsetsTopic();
    const found = this.coordinatorInImage(groupId);
    if (found instanceof KafkaError) throw found;
    return found;
  }

  /**
   * The group's __consumer_offsets partition in this node's image (its leader coordinates the group),
   * or why there is no coordinator.
   */
  private coordinatorInImage(groupId: string): PartitionRegistration | KafkaError {
    const topic = topicByName(this.options.image(), OFFSETS_TOPIC);
    if (topic === undefined) {
      return new KafkaError('COORDINATOR_NOT_AVAILABLE', `${OFFSETS_TOPIC} does not exist yet.`);
    }
    // Every node maps groups with offsets.topic.num.partitions, as the coordinators do.
    const partitions = this.options.offsetsTopicPartitions;
    if (topic.partitions.size !== partitions) {
      return new KafkaError(
        'COORDINATOR_NOT_AVAILABLE',
        `${OFFSETS_TOPIC} has ${topic.partitions.size} partitions, not offsets.topic.num.partitions=${partitions}.`,
      );
    }
    const partition = topic.partitions.get(partitionForGroup(groupId, partitions) as PartitionId);
    if (partition === undefined || partition.leader === NO_LEADER) {
      return new KafkaError(
        'COORDINATOR_NOT_AVAILABLE',
        `The coordinator of group ${groupId} is not available.`,
      );
    }
    return partition;
  }

  private async call<O extends GroupOperation>(
    broker: BrokerId,
    operation: O,
    request: GroupOperations[O]['request'],
  ): Promise<GroupOperations[O]['result']> {
    if (broker === this.options.self) {
      const local = this.options.coordinator();
      if (local === null) throw new KafkaError('COORDINATOR_NOT_AVAILABLE', 'This node is not a broker.');
      return serveGroupOperation(local, operation, request);
    }
    const { status, bytes } = await this.forwarder.forward(
      broker,
      operation,
      encodeGroupRequest(operation, request),
      this.options.requestTimeoutMs + FORWARD_EXTRA_MS,
    );
    if (status === 503)
      throw new KafkaError('COORDINATOR_NOT_AVAILABLE', `Broker ${broker} is not serving groups yet.`);
    if (status !== 200) {
      throw new KafkaError(
        'UNKNOWN_SERVER_ERROR',
        `Broker ${broker} answered ${status}: ${Buffer.from(bytes).toString('utf8').slice(0, 200)}`,
      );
    }
    return decodeGroupResult(operation, bytes);
  }

  private async withRetries<T>(attempt: () => Promise<T>, deadline: number): Promise<T> {
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        const retriable =
          (error instanceof KafkaError && RETRIABLE.has(error.errorName)) ||
          typeof (error as { code?: unknown } | null)?.code === 'string';
        if (!retriable || this.timers.nowMs() + RETRY_BACKOFF_MS >= deadline) {
          if (error instanceof KafkaError) throw error;
          throw new KafkaError(
            'COORDINATOR_NOT_AVAILABLE',
            `The coordinator could not be reached: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        await sleep(this.timers, RETRY_BACKOFF_MS, NEVER);
      }
    }
  }

  /** Creates __consumer_offsets on first use; concurrent first uses share one creation. */
  private async ensureOffsetsTopic(): Promise<void> {
    if (topicByName(this.options.image(), OFFSETS_TOPIC) !== undefined) return;
    this.creating ??= this.createOffsetsTopic().finally(() => {
      this.creating = null;
    });
    await this.creating;
  }

  private async createOffsetsTopic(): Promise<void> {
    await this.options.admin.catchUp(this.options.requestTimeoutMs).catch(() => undefined);
    if (topicByName(this.options.image(), OFFSETS_TOPIC) !== undefined) return;
    // As Kafka: never fewer replicas than configured. A topic created while brokers are still starting
    // (or down) would keep its reduced replication factor for good, and the committed offsets of every
    // group would live on fewer replicas than the operator asked for.
    const replicationFactor = this.options.offsetsTopicReplicationFactor;
    const aliveBrokers = unfencedBrokers(this.options.image()).length;
    if (aliveBrokers < replicationFactor) throw tooFewBrokers(aliveBrokers, replicationFactor);
    this.options.logger.info(
      { partitions: this.options.offsetsTopicPartitions, replicationFactor },
      `creating ${OFFSETS_TOPIC}`,
    );
    try {
      await this.options.admin.createTopic({
        name: OFFSETS_TOPIC,
        partitionsCount: this.options.offsetsTopicPartitions,
        replicationFactor,
        // As Kafka's: compacted (the latest commit of each group and partition stays; retention.ms does
        // not apply), in segments of offsets.topic.segment.bytes (only closed segments are cleaned).
        configs: new Map([
          ['cleanup.policy', 'compact'],
          ['segment.bytes', String(this.options.offsetsTopicSegmentBytes ?? OFFSETS_TOPIC_SEGMENT_BYTES)],
        ]),
        validateOnly: false,
      });
    } catch (error) {
      // The controller saw fewer unfenced brokers than this node's image did (one was just fenced).
      if (isKafkaError(error, 'INVALID_REPLICATION_FACTOR')) {
        throw new KafkaError('COORDINATOR_NOT_AVAILABLE', error.message, { cause: error });
      }
      if (!isKafkaError(error, 'TOPIC_ALREADY_EXISTS')) throw error;
      await this.options.admin.catchUp(this.options.requestTimeoutMs);
    }
  }
}

/** Kafka's offsets.topic.segment.bytes default. */
const OFFSETS_TOPIC_SEGMENT_BYTES = 104_857_600;

/** Kafka's answer (AutoTopicCreationManager) while the offsets topic cannot have its replicas yet. */
function tooFewBrokers(aliveBrokers: number, replicationFactor: number): KafkaError {
  return new KafkaError(
    'COORDINATOR_NOT_AVAILABLE',
    `Number of alive brokers '${aliveBrokers}' does not meet the required replication factor ` +
      `'${replicationFactor}' for the offsets topic (configured via 'offsets.topic.replication.factor'). ` +
      'This error can be ignored if the cluster is starting up and not all brokers are up yet.',
  );
}
