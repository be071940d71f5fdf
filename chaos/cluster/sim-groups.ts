import { ALLOW_ALL, anonymousSession } from '../../src/common/security.ts';
import type { Logger } from 'pino';
import type { NodeId } from '../../raft/types.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { GroupCoordinator, type GroupStorage } from '../../src/groups/coordinator.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';
import { brokerId } from '../../src/metadata/ids.ts';
import { emptyImage, type MetadataImage } from '../../src/metadata/image.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import type { KafkaBroker } from '../../src/kafka/handlers/broker-ports.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import { RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { AdminService } from '../../src/node/admin-service.ts';
import { ReplicaManagerPartitions } from '../../src/node/local-partitions.ts';
import type { ControllerClient } from '../../src/node/controller-client.ts';
import { answerGroupRequest } from '../../src/node/group-rpc.ts';
import { type GroupForwarder, GroupService } from '../../src/node/group-service.ts';
import type { ImageWatch } from '../../src/node/image-watch.ts';
import type { MetadataPublisher } from '../../src/node/metadata-publisher.ts';
import {
  followOffsetsLeadership,
  offsetsLeaderEpoch,
  offsetsTopicStorage,
} from '../../src/node/offsets-topic-storage.ts';
import type { ReplicaManager } from '../../src/replication/replica-manager.ts';
import { every, type Timers } from '../../src/replication/timers.ts';
import type { Prng } from '../sim/prng.ts';
import type { ClusterConfig } from './cluster-config.ts';
import type { ClusterVariant } from './planted-bugs.ts';
import type { ClusterProtocol, GroupRpcRequest, GroupRpcResponse, KafkaAnswer } from './protocol.ts';
import { ConnectionRefusedError, type RpcNetwork, RpcTimeoutError } from './rpc-network.ts';
import { seededUuid } from './sim-uuid.ts';

/** What the simulated Kafka listener names the cluster (the group APIs do not use it). */
const CLUSTER_ID_FOR_CLIENTS = 'sim-cluster';
/** node.ts's GROUP_TICK_MS: how often the coordinator expires sessions. */
const GROUP_TICK_MS = 250;

/**
 * One incarnation's consumer groups, wired as src/node/node.ts wires them: the GroupService every node
 * runs (what the REST v2 consumer path calls), forwarding over the simulated network to the coordinator,
 * and on a broker the GroupCoordinator over its __consumer_offsets replicas (the product's storage
 * adapter), loading and resigning as the broker's leaderships change, expiring sessions on a timer,
 * told of every published image.
 */
export class SimGroups {
  readonly service: GroupService;
  readonly coordinator: GroupCoordinator | null;
  /** The node's Kafka listener, as node.ts builds it (its group APIs are what the Kafka clients use). */
  private readonly kafka: RequestDispatcher;
  private readonly publisher: MetadataPublisher;
  private readonly logger: Logger;

  constructor(options: {
    self: NodeId;
    config: ClusterConfig;
    timers: Timers;
    network: RpcNetwork<ClusterProtocol>;
    client: ControllerClient;
    watch: ImageWatch;
    publisher: MetadataPublisher;
    /** The broker's replicas (null on a controller-only node: no coordinator). */
    replicas: ReplicaManager | null;
    random: Prng;
    variant: ClusterVariant;
    logger: Logger;
  }) {
    const { self, config, timers, publisher, replicas } = options;
    this.publisher = publisher;
    this.logger = options.logger;
    const published = (): MetadataImage | null => publisher.image();
    let coordinator: GroupCoordinator | null = null;
    if (replicas !== null) {
      const uuids = options.random.fork('member-ids');
      const storage = offsetsTopicStorage({
        replicas,
        image: published,
        timeoutMs: config.groups.requestTimeoutMs,
      });
      coordinator = new GroupCoordinator({
        brokerId: self,
        numPartitions: config.groups.offsetsTopicPartitions,
        storage: options.variant.coordinatorLoadsPastHighWatermark
          ? loadingPastHighWatermark(storage)
          : storage,
        nowMs: () => timers.nowMs(),
        newMemberId: (clientId) => `${clientId}-${seededUuid(uuids)}`,
        minSessionTimeoutMs: config.groups.minSessionTimeoutMs,
        maxSessionTimeoutMs: config.groups.maxSessionTimeoutMs,
        partitionsOf: (topic) => {
          const image = published();
          return image === null ? null : (topicByName(image, topic)?.partitions.size ?? null);
        },
        topicIdOf: (topic) => {
          const image = published();
          return image === null ? null : (topicByName(image, topic)?.id ?? null);
        },
        offsetsLeaderEpochOf: (partition) => offsetsLeaderEpoch(published(), brokerId(self), partition),
        consumerProtocol,
        logger: options.logger,
      });
      const active = coordinator;
      followOffsetsLeadership(replicas, active);
      every(timers, GROUP_TICK_MS, () => active.tick());
      publisher.subscribe(() => active.topicsChanged());
    }
    this.coordinator = coordinator;
    const local = coordinator;
    const image = () => {
      const current = published();
      if (current === null) {
        throw new KafkaError(
          'COORDINATOR_NOT_AVAILABLE',
          'This node has not caught up with the metadata quorum yet.',
        );
      }
      return current;
    };
    const admin = new AdminService({
      client: options.client,
      watch: options.watch,
      timeoutMs: config.controllerRequestTimeoutMs,
      image: () => published() ?? emptyImage(),
      timers,
    });
    const service = new GroupService({
      self: brokerId(self),
      image,
      admin,
      coordinator: () => local,
      offsetsTopicPartitions: config.groups.offsetsTopicPartitions,
      offsetsTopicReplicationFactor: Math.min(3, config.brokers.length),
      offsetsTopicSegmentBytes: config.groups.offsetsTopicSegmentBytes,
      requestTimeoutMs: config.groups.requestTimeoutMs,
      timers,
      forwarder: simForwarder(self, options.network),
      logger: options.logger,
    });
    this.service = service;
    const broker: KafkaBroker = {
      clusterId: CLUSTER_ID_FOR_CLIENTS,
      nodeId: brokerId(self),
      // The simulated brokers register their internal endpoint only; clients address nodes by id.
      listenerName: 'INTERNAL',
      image,
      admin: options.variant.kafkaOffsetFetchSkipsBarrier ? withoutReadBarrier(admin) : admin,
      partitions: new ReplicaManagerPartitions({
        self: brokerId(self),
        image,
        replicas: () => replicas,
        catchUp: (timeoutMs) => admin.catchUp(timeoutMs),
      }),
      autoCreateTopics: false,
      initProducerId: () =>
        Promise.reject(new KafkaError('COORDINATOR_NOT_AVAILABLE', 'No producer ids in the simulation.')),
      groups: {
        coordinatorOf: (groupId, timeoutMs) => service.coordinatorOf(groupId, timeoutMs),
        local: () => local,
        leadsGroup: (groupId) => service.leaderInImage(groupId) === brokerId(self),
      },
      // DescribeConfigs is not in the simulated workload: no node settings to describe.
      settings: [],
      // The simulation runs without security, as a cluster without authorizer.class.name.
      authorizer: ALLOW_ALL,
    };
    this.kafka = new RequestDispatcher(kafkaApis(broker));
  }

  /** A Kafka client's request frame: served once this node caught up (node.ts starts the listener then). */
  async answerKafka(frame: Uint8Array): Promise<KafkaAnswer> {
    if (!this.publisher.isOpen())
      return { kind: 'close', reason: 'not caught up with the metadata quorum yet' };
    const outcome = await this.kafka.dispatch(Buffer.from(frame), {
      address: 'sim-client:1',
      session: anonymousSession('127.0.0.1'),
      logger: this.logger,
    });
    if (outcome.kind === 'response') return { kind: 'response', frame: outcome.frame };
    return { kind: 'close', reason: outcome.kind === 'close' ? outcome.reason : 'no response' };
  }

  /** A forwarded request (the internal group route): served once this node caught up, as node.ts does. */
  answerForwarded(request: GroupRpcRequest): Promise<GroupRpcResponse> {
    const api = this.publisher.isOpen() ? this.coordinator : null;
    return answerGroupRequest(api, request.operation, request.body, this.logger);
  }

  /** A consumer's request to this node's GroupService. */
  answerClient(request: GroupRpcRequest): Promise<GroupRpcResponse> {
    return answerGroupRequest(this.service, request.operation, request.body, this.logger);
  }
}

/**
 * The GroupService's forward over the simulated network. A request that got no answer or was refused
 * fails as undici's would (an error with a string code), which the service retries until its deadline.
 */
function simForwarder(self: NodeId, network: RpcNetwork<ClusterProtocol>): GroupForwarder {
  return {
    forward: async (broker, operation, body, timeoutMs) => {
      try {
        const answer = await network.call(
          self,
          broker as number as NodeId,
          'group',
          { operation, body },
          timeoutMs,
        );
        const bytes = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
        return { status: answer.status, bytes };
      } catch (error) {
        if (error instanceof RpcTimeoutError) throw Object.assign(error, { code: 'UND_ERR_HEADERS_TIMEOUT' });
        if (error instanceof ConnectionRefusedError) throw Object.assign(error, { code: 'ECONNREFUSED' });
        throw error;
      }
    },
    close: async () => {},
  };
}

/**
 * The planted bug `coordinator-loads-past-hw` (planted-bugs.ts): a new coordinator serves what it
 * replayed at once, without waiting for the high watermark to reach its end, so it may serve commits
 * that only some ISR members have and that a later leader truncates. The product's seam is the storage
 * the coordinator is given: its wait resolves at once.
 */
function loadingPastHighWatermark(storage: GroupStorage): GroupStorage {
  return {
    read: (partition, fromOffset) => storage.read(partition, fromOffset),
    append: (partition, batch) => storage.append(partition, batch),
    waitForHighWatermark: async () => {},
  };
}

/** The planted bug kafka-fetch-skips-barrier: an admin whose read barrier returns at once. */
function withoutReadBarrier(admin: AdminService): AdminService {
  return new Proxy(admin, {
    get: (target, property, receiver) =>
      property === 'catchUp' ? async () => undefined : Reflect.get(target, property, receiver),
  });
}
