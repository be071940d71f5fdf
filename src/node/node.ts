// One node of the cluster: the metadata Raft (voter when it is a controller, observer otherwise), the
// metadata image, the QuorumController (controllers), the broker lease (brokers), the client API and the
// internal listener. src/node/main.ts runs it as a process; tests start several in one process.
import { randomInt, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RaftDriver } from '../../raft/driver.ts';
import { seededRandom } from '../../raft/random.ts';
import { FileStorage } from '../../raft/storage/file-storage.ts';
import { Http2Transport, type InternalServer } from '../../raft/transport/http2-transport.ts';
import { assert } from '../../raft/assert.ts';
import { type NodeId, nodeId } from '../../raft/types.ts';
import { KafkaError, type KafkaErrorName } from '../common/kafka-errors.ts';
import { type CredentialLookup, PasswordCheck } from '../common/password-check.ts';
import { parsePrincipalMappingRules } from '../common/principal-mapping.ts';
import { buildClientApp } from '../http/client-app.ts';
import { HttpInstanceTransport } from '../http/consumers/http-transport.ts';
import { listenClientApi } from '../http/client-server.ts';
import { type ControllerRpcHandler, registerControllerRoutes } from '../http/internal-controller-routes.ts';
import { registerMetadataRoutes } from '../http/internal-metadata-routes.ts';
import { registerMetricsRoutes } from '../http/internal-metrics-routes.ts';
import type { ClusterNode } from '../http/ports.ts';
import { controllerTiming, QuorumController } from '../metadata/controller/quorum-controller.ts';
import { brokerId, metadataOffset } from '../metadata/ids.ts';
import { topicByName } from '../metadata/queries.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { MetadataStateMachine } from '../metadata/metadata-state-machine.ts';
import { encodeRecordBatch } from '../metadata/records.ts';
import { AdminService } from './admin-service.ts';
import { BrokerLifecycle } from './broker-lifecycle.ts';
import { brokerAddress } from './broker-address.ts';
import { NamedListeners } from './named-listeners.ts';
import type { NodeConfig, SecurityProtocol } from './config.ts';
import { PeerSecurity } from './peer-security.ts';
import { clientTlsOptions, loadSecurityMaterial, serverTlsOptions } from './tls-material.ts';
import { ClientQuotaManager, meterOnClock } from '../common/client-quotas.ts';
import { ConnectionLimiter, ConnectionRefusalCounts } from '../common/connection-limits.ts';
import { admitSocket } from '../common/admit-socket.ts';
import { nodeSettings, settingsAwayFromDefaults } from './node-settings.ts';
import { buildAuthorizer } from './node-authorizer.ts';
import type { BootstrapCredential } from '../metadata/controller/security-decisions.ts';
import { kafkaApis } from '../kafka/handlers/index.ts';
import { KafkaServer } from '../kafka/server/kafka-server.ts';
import { ReplicaManagerPartitions } from './local-partitions.ts';
import { ControllerClient } from './controller-client.ts';
import { HttpControllerTransport } from './controller-http-transport.ts';
import { ControllerRpc } from './controller-rpc.ts';
import { DataService } from './data-service.ts';
import { FatalSignal } from './fatal-signal.ts';
import { realTimers } from './real-timers.ts';
import { GroupService } from './group-service.ts';
import { followOffsetsLeadership, offsetsLeaderEpoch, offsetsTopicStorage } from './offsets-topic-storage.ts';
import { registerGroupRoutes } from './group-rpc.ts';
import { GroupCoordinator } from '../groups/coordinator.ts';
import { consumerProtocol } from '../kafka/protocol/consumer-protocol.ts';
import { NodeMetrics } from './metrics.ts';
import { PeerMetrics } from './peer-metrics.ts';
import { ImageWatch } from './image-watch.ts';
import { MetadataPublisher } from './metadata-publisher.ts';
import { catchUpWithQuorum } from './quorum-catch-up.ts';
import { QuorumTracker } from './quorum-tracker.ts';
import { ProducerIdManager, type ProducerIdentity } from './producer-id-manager.ts';
import { ReplicaManager } from '../replication/replica-manager.ts';
import { HttpFetchTransport } from '../replication/http-fetch-transport.ts';
import { registerReplicationRoutes } from '../http/internal-replication-routes.ts';

/** Raft ticks per election timeout: the tick is controller.quorum.election.timeout.ms / 10. */
const ELECTION_TICKS = 10;
/** Kafka's replica.fetch.response.max.bytes and replica.fetch.backoff.ms defaults. */
const REPLICA_FETCH_RESPONSE_MAX_BYTES = 10 * 1024 * 1024;
const REPLICA_FETCH_BACKOFF_MS = 1000;
/** How long a group request may wait for its coordinator (topic creation, loading, failover). */
const GROUP_REQUEST_TIMEOUT_MS = 15_000;
/** How often the group coordinator expires sessions. */
const GROUP_TICK_MS = 250;
/** Between two start-up asks for the metadata high watermark (Kafka's retry.backoff.ms). */
const CATCH_UP_RETRY_BACKOFF_MS = 100;

export interface NodeAddresses {
  /** "host:port" of the client API, as bound. */
  readonly client: string;
  /** "host:port" of the internal listener, as bound. */
  readonly internal: string;
  /** "host:port" of the Kafka protocol's listener (PLAINTEXT), as bound; null without one. */
  readonly kafka: string | null;
}

export class KraftNode {
  readonly config: NodeConfig;
  readonly clusterId: string;
  readonly addresses: NodeAddresses;
  private readonly parts: Parts;
  private stopping: Promise<void> | null = null;

  private constructor(config: NodeConfig, clusterId: string, addresses: NodeAddresses, parts: Parts) {
    this.config = config;
    this.clusterId = clusterId;
    this.addresses = addresses;
    this.parts = parts;
  }

  /**
   * `bootstrapScramCredentials`: written by this node's controller if it is the first active one of a new
   * metadata log (`--add-scram`).
   */
  static async start(options: {
    config: NodeConfig;
    clusterId: string;
    logger: Logger;
    bootstrapScramCredentials?: readonly BootstrapCredential[];
  }): Promise<KraftNode> {
    const { config, clusterId } = options;
    const logger = options.logger;
    // TLS material and the internal secret are read first: a bad file stops the start (ConfigError).
    const material = await loadSecurityMaterial(config);
    const peers = new PeerSecurity({ config, clusterId, material, logger });
    const internalGate = peers.gate('INTERNAL');
    const interBrokerDialer = peers.dialer(config.interBrokerListenerName);
    const protocolOf = (name: string): SecurityProtocol =>
      config.listenerSecurityProtocols.get(name) ?? 'PLAINTEXT';
    const isController = config.processRoles.has('controller');
    const isBroker = config.processRoles.has('broker');
    const voters = [...config.controllerQuorumVoters.keys()];
    const voterAddresses = new Map<NodeId, string>(
      [...config.controllerQuorumVoters].map(([id, endpoint]) => [id, `${endpoint.host}:${endpoint.port}`]),
    );

    let driver: RaftDriver | null = null;
    const logDirFailure = new FatalSignal();
    let replicas: ReplicaManager | null = null;
    let coordinator: GroupCoordinator | null = null;
    let rpc: ControllerRpc | null = null;
    // Created once the layers it reads exist; the internal listener starts before that.
    let nodeMetrics: NodeMetrics | null = null;
    const rpcHandler: ControllerRpcHandler = {
      handle: (operation, request, connection) =>
        rpc === null
          ? Promise.reject(new KafkaError('NOT_CONTROLLER', 'This node is not a controller.'))
          : rpc.handle(operation, request, connection),
      leaderHint: () => driver?.status().leader ?? 0,
      connectionClosed: (connection) => rpc?.connectionClosed(connection),
    };
    const internal = config.listeners.internal;
    const advertisedInternal = config.advertisedListeners.internal;
    let internalServer: InternalServer | null = null;
    // Every listener counts its connections (max.connections, max.connections.per.ip); the refusals are
    // counted here from the first listener on, before the metrics registry exists.
    const connectionRefusals = new ConnectionRefusalCounts();
    const connectionLimiter = (listener: string) =>
      new ConnectionLimiter(listener, config.connectionLimits, connectionRefusals.observe);
    const internalLimiter = connectionLimiter('INTERNAL');
    const transport = await Http2Transport.start({
      id: config.nodeId,
      admitConnection: (socket) => admitSocket(internalLimiter, socket, logger),
      idleTimeoutMs: config.connectionsMaxIdleMs,
      listen: { host: internal.host === '' ? '0.0.0.0' : internal.host, port: internal.port },
      ...(advertisedInternal.port !== 0
        ? { advertisedAddress: `${advertisedInternal.host}:${advertisedInternal.port}` }
        : {}),
      peers: voterAddresses,
      ...(internalGate !== null ? { gate: internalGate } : {}),
      dialer: peers.dialer('INTERNAL'),
      onPeerDisconnected: (peer) => rpc?.raftPeerDisconnected(peer),
      routes: (server) => {
        internalServer = server;
        registerControllerRoutes(server, rpcHandler, logger);
        registerMetadataRoutes(server, () => stateMachine.image());
        registerMetricsRoutes(server, () => {
          const metrics = nodeMetrics;
          return metrics === null ? null : () => metrics.text();
        });
        // Until caught up with the quorum the partitions and groups are not served (503: not yet).
        registerReplicationRoutes(server, () => (publisher.isOpen() ? replicas : null), logger);
        registerGroupRoutes(server, () => (publisher.isOpen() ? coordinator : null), logger);
      },
      logger,
    });

    // Named internal listeners (Kafka's listeners beyond the controller's): each hands its connections to
    // the internal HTTP/2 server, so it serves everything INTERNAL serves.
    assert(internalServer !== null, 'the transport registered the internal routes');
    const namedListeners = await NamedListeners.start(
      config.listeners.named,
      internalServer,
      { connectionLimits: config.connectionLimits, onRefused: connectionRefusals.observe, logger },
      (name) => peers.gate(name),
    );
    const watch = new ImageWatch(() => stateMachine.image());
    // The data plane acts only on images published once this node has caught up with the quorum and,
    // on a broker, once the image holds this process's own registration (Kafka's isCaughtUp rule).
    let lifecycle: BrokerLifecycle | null = null;
    const publisher = new MetadataPublisher(
      isBroker
        ? {
            registeredHere: (image) =>
              lifecycle !== null &&
              image.brokers.get(brokerId(config.nodeId))?.incarnationId === lifecycle.incarnationId,
          }
        : {},
    );
    let announcedCaughtUp = false;
    publisher.subscribe((image) => {
      if (announcedCaughtUp) return;
      announcedCaughtUp = true;
      logger.info(
        { offset: image.offset },
        'metadata caught up with the quorum: publishing to the data plane',
      );
    });
    const caughtUpImage = (error: KafkaErrorName) => (): MetadataImage => {
      const image = publisher.image();
      if (image === null) {
        throw new KafkaError(error, 'This node has not caught up with the metadata quorum yet.');
      }
      return image;
    };
    const stateMachine: MetadataStateMachine = new MetadataStateMachine({
      snapshotRecordsMax: config.metadataLogMaxRecordsBetweenSnapshots,
      snapshotBytesMax: config.metadataLogMaxRecordBytesBetweenSnapshots,
      onApplied: (image) => {
        watch.applied(image);
        publisher.applied(image);
      },
      onSnapshotDue: (index, data) => {
        logger.info({ index }, 'metadata snapshot taken');
        driver?.compact(index, data);
      },
    });
    const storage = await FileStorage.open({
      dir: join(config.metadataLogDir, '__cluster_metadata-0'),
      segmentBytesMax: config.metadataLogSegmentBytes,
    });
    const tickMs = Math.max(5, Math.round(config.controllerQuorumElectionTimeoutMs / ELECTION_TICKS));
    driver = await RaftDriver.start({
      id: config.nodeId,
      voters,
      storage,
      transport,
      stateMachine,
      random: seededRandom(randomInt(0x7fff_ffff)),
      tickMs,
      raft: { electionTicks: ELECTION_TICKS, heartbeatTicks: 1, maxInflightAppends: 64 },
      logger,
    });
    const raft = driver;
    const snapshotTimer =
      config.metadataLogMaxSnapshotIntervalMs > 0
        ? setInterval(() => stateMachine.snapshotIfChanged(), config.metadataLogMaxSnapshotIntervalMs)
        : null;
    snapshotTimer?.unref();

    const quorum = new QuorumTracker();
    let controller: QuorumController | null = null;
    let controllerTimer: NodeJS.Timeout | null = null;
    if (isController) {
      const timing = controllerTiming({
        sessionTimeoutMs: config.brokerSessionTimeoutMs,
        heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
      });
      controller = new QuorumController({
        config: {
          nodeId: config.nodeId,
          sessionTimeoutMs: config.brokerSessionTimeoutMs,
          connectionLossGraceMs: timing.connectionLossGraceMs,
          defaultPartitions: config.numPartitions,
          defaultReplicationFactor: config.defaultReplicationFactor,
          uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
          autoLeaderRebalanceEnable: config.autoLeaderRebalanceEnable,
          leaderImbalanceCheckIntervalMs: config.leaderImbalanceCheckIntervalSeconds * 1000,
          bootstrapScramCredentials: options.bootstrapScramCredentials ?? [],
        },
        environment: { nowMs: () => Date.now(), newUuid: () => randomUUID() },
        log: {
          image: () => stateMachine.image(),
          append: async (records) => {
            try {
              const { index } = await raft.propose(encodeRecordBatch(records));
              return metadataOffset(index);
            } catch (error) {
              throw new KafkaError(
                'NOT_CONTROLLER',
                `The metadata write did not commit here: ${(error as Error).message}`,
                {
                  cause: error,
                },
              );
            }
          },
        },
        logger,
      });
      const active = controller;
      rpc = new ControllerRpc({
        clusterId,
        controller: active,
        driver: raft,
        quorum,
        nowMs: () => Date.now(),
      });
      controllerTimer = setInterval(() => active.tick(), timing.tickMs);
    }
    let leaderSeenMs = Date.now();
    let groupTimer: NodeJS.Timeout | null = null;
    raft.onStatus((status) => {
      if (status.leader !== 0) leaderSeenMs = Date.now();
      quorum.observe(status, Date.now());
      if (controller === null) return;
      if (status.role === 'leader') controller.becomeLeader(status.term);
      else controller.resign();
    });

    const client = new ControllerClient({
      voters,
      transport: new HttpControllerTransport({
        addresses: voterAddresses,
        connectTimeoutMs: config.controllerQuorumRequestTimeoutMs,
        dialer: peers.dialer('INTERNAL'),
      }),
      timers: realTimers,
      leaderHint: () => raft.status().leader,
      requestTimeoutMs: config.controllerQuorumRequestTimeoutMs,
      logger,
    });
    const admin = new AdminService({
      client,
      watch,
      timeoutMs: config.controllerQuorumRequestTimeoutMs,
      image: () => stateMachine.image(),
    });
    const producerIds = isBroker
      ? new ProducerIdManager({
          allocateBlock: async () => {
            const brokerEpoch = lifecycle?.epoch ?? null;
            if (brokerEpoch === null) {
              throw new KafkaError('COORDINATOR_LOAD_IN_PROGRESS', 'This broker is not registered yet.');
            }
            return client.call('allocate-producer-ids', { brokerId: config.nodeId, brokerEpoch });
          },
        })
      : null;
    const catchUpAbort = new AbortController();
    const catchingUp = catchUpWithQuorum({
      readIndex: async (timeoutMs) => (await client.call('read-index', {}, timeoutMs)).offset,
      publisher,
      timeoutMs: config.controllerQuorumRequestTimeoutMs,
      retryBackoffMs: CATCH_UP_RETRY_BACKOFF_MS,
      signal: catchUpAbort.signal,
      logger,
    });

    const metrics = new NodeMetrics({
      raft: () => raft.status(),
      image: () => stateMachine.image(),
      replicas: () => replicas,
      refusedPeerConnections: () => peers.refused(),
      connectionRefusals,
    });
    nodeMetrics = metrics;
    // producer_byte_rate and consumer_byte_rate of the image's client quotas, metered on this broker.
    const quotas = meterOnClock(
      new ClientQuotaManager(config.quotaWindow, () => stateMachine.image().security.clientQuotas),
      Date.now,
      metrics.throttled,
    );
    const peerMetrics = new PeerMetrics({
      image: () => stateMachine.image(),
      interBrokerListener: config.interBrokerListenerName,
      dialer: interBrokerDialer,
    });
    const data = new DataService({
      metrics,
      self: brokerId(config.nodeId),
      image: caughtUpImage('LEADER_NOT_AVAILABLE'),
      catchUp: (timeoutMs) => admin.catchUp(timeoutMs),
      replicas: () => replicas,
      ...(producerIds !== null ? { producerIds } : {}),
      interBrokerListener: config.interBrokerListenerName,
      dialer: interBrokerDialer,
      logger,
    });
    const groups = new GroupService({
      self: brokerId(config.nodeId),
      image: caughtUpImage('COORDINATOR_NOT_AVAILABLE'),
      admin,
      coordinator: () => coordinator,
      offsetsTopicPartitions: config.offsetsTopicNumPartitions,
      offsetsTopicReplicationFactor: config.offsetsTopicReplicationFactor,
      offsetsTopicSegmentBytes: config.offsetsTopicSegmentBytes,
      requestTimeoutMs: GROUP_REQUEST_TIMEOUT_MS,
      interBrokerListener: config.interBrokerListenerName,
      dialer: interBrokerDialer,
      logger,
    });
    const clusterNode: ClusterNode = {
      clusterId,
      nodeId: brokerId(config.nodeId),
      groups,
      image: () => stateMachine.image(),
      admin,
      data,
      metrics: () => metrics.text(),
      brokerMetrics: async (broker) =>
        broker === brokerId(config.nodeId) ? (await metrics.text()).body : peerMetrics.text(broker),
      isReady: () => (lifecycle === null ? raft.status().leader !== 0 : lifecycle.state === 'running'),
    };
    // Settings this node was given (not Kafka's defaults) are what topics inherit as STATIC_BROKER_CONFIG
    // (num.partitions, log.retention.ms, min.insync.replicas, ...), as Kafka's describe shows them.
    const staticTopicConfig = settingsAwayFromDefaults(config);
    // Users' SCRAM credentials as the metadata log has them (KIP-554): what SASL and HTTP Basic check.
    const credentials: CredentialLookup = (user) => stateMachine.image().security.scramCredentials.get(user);
    // One for both listeners: a success cached on one serves the other, and a host's failures are
    // bounded across them.
    const passwords = new PasswordCheck({ credentials, now: () => performance.now() });
    const principalMappingRules = parsePrincipalMappingRules(config.sslPrincipalMappingRules);
    const clientProtocol = config.listenerSecurityProtocols.get('CLIENT') ?? 'PLAINTEXT';
    // Who may do what (authorizer.class.name): read by the client API and the Kafka listener's handlers.
    const authorizer = buildAuthorizer(config, () => stateMachine.image());
    const clientTls = material.listeners.get('CLIENT');
    const app = buildClientApp({
      authorizer,
      node: clusterNode,
      authentication: {
        securityProtocol: clientProtocol,
        passwords,
        principalMappingRules,
      },
      logger,
      staticTopicConfig,
      readBarrierTimeoutMs: config.controllerQuorumRequestTimeoutMs,
      // REST v2 consumer instances of other nodes: their requests are forwarded to the holder.
      consumerTransport: new HttpInstanceTransport(
        clientTls === undefined ? {} : { tls: clientTlsOptions(clientTls) },
      ),
      quotas,
    });
    const clientListener = config.listeners.client;
    const clientApi = await listenClientApi(app, {
      host: clientListener.host === '' ? '0.0.0.0' : clientListener.host,
      port: clientListener.port,
      ...(clientTls !== undefined ? { tls: serverTlsOptions(clientTls) } : {}),
      connectionLimiter: connectionLimiter('CLIENT'),
      idleTimeoutMs: config.connectionsMaxIdleMs,
      headersTimeoutMs: config.httpHeadersTimeoutMs,
      requestTimeoutMs: config.httpRequestTimeoutMs,
    });
    const clientPort = Number(clientApi.address.slice(clientApi.address.lastIndexOf(':') + 1));
    // Kafka's own clients, over the same image, partitions and admin as REST (src/kafka).
    const kafkaListener = config.listeners.kafka;
    const kafkaName = config.kafkaListenerName;
    const kafkaTls = kafkaName === null ? undefined : material.listeners.get(kafkaName);
    const kafkaProtocol =
      kafkaName === null ? 'PLAINTEXT' : (config.listenerSecurityProtocols.get(kafkaName) ?? 'PLAINTEXT');
    const kafkaServer =
      kafkaListener === null || kafkaName === null
        ? null
        : await KafkaServer.start({
            host: kafkaListener.host,
            port: kafkaListener.port,
            apis: kafkaApis({
              clusterId,
              nodeId: brokerId(config.nodeId),
              listenerName: kafkaName,
              image: caughtUpImage('LEADER_NOT_AVAILABLE'),
              admin,
              partitions: new ReplicaManagerPartitions({
                self: brokerId(config.nodeId),
                image: caughtUpImage('LEADER_NOT_AVAILABLE'),
                replicas: () => replicas,
                catchUp: (timeoutMs) => admin.catchUp(timeoutMs),
              }),
              autoCreateTopics: config.autoCreateTopicsEnable,
              initProducerId: () => data.initProducerId(),
              groups: {
                coordinatorOf: (groupId, timeoutMs) => groups.coordinatorOf(groupId, timeoutMs),
                local: () => coordinator,
                leadsGroup: (groupId) => groups.leaderInImage(groupId) === brokerId(config.nodeId),
              },
              settings: nodeSettings(config),
              authorizer,
              quotas,
            }),
            frameBytesMax: config.socketRequestMaxBytes,
            ...(kafkaProtocol === 'SASL_PLAINTEXT' || kafkaProtocol === 'SASL_SSL'
              ? {
                  sasl: {
                    settings: {
                      mechanisms: config.saslEnabledMechanisms,
                      credentials,
                      passwords,
                      reauthMs: config.connectionsMaxReauthMs,
                      now: () => performance.now(),
                    },
                    receiveBytesMax: config.saslServerMaxReceiveSize,
                  },
                }
              : {}),
            principalMappingRules,
            observer: metrics.kafka,
            connectionLimiter: connectionLimiter(kafkaName),
            idleTimeoutMs: config.connectionsMaxIdleMs,
            handOffHttp: (socket) => clientApi.adopt(socket),
            listenerName: kafkaName,
            ...(kafkaTls !== undefined ? { tls: serverTlsOptions(kafkaTls) } : {}),
            logger,
          });
    const advertisedKafka = config.advertisedListeners.kafka;
    const internalPort = Number(transport.address.slice(transport.address.lastIndexOf(':') + 1));
    const advertisedClient = config.advertisedListeners.client;
    if (isBroker) {
      lifecycle = new BrokerLifecycle({
        clusterId,
        brokerId: config.nodeId,
        endpoints: [
          {
            name: 'CLIENT',
            host: advertisedClient.host,
            port: advertisedClient.port || clientPort,
            securityProtocol: protocolOf('CLIENT'),
          },
          {
            name: 'INTERNAL',
            host: advertisedInternal.host,
            port: advertisedInternal.port || internalPort,
            securityProtocol: protocolOf('INTERNAL'),
          },
          ...(advertisedKafka === null || kafkaServer === null || kafkaName === null
            ? []
            : [
                {
                  name: kafkaName,
                  host: advertisedKafka.host,
                  port: advertisedKafka.port || kafkaServer.port,
                  securityProtocol: protocolOf(kafkaName),
                },
              ]),
          ...[...config.advertisedListeners.named].map(([name, endpoint]) => ({
            name,
            host: endpoint.host,
            port: endpoint.port || namedListeners.port(name),
            securityProtocol: protocolOf(name),
          })),
        ],
        rack: config.rack,
        processRoles: [...config.processRoles],
        client,
        metadataOffset: () => stateMachine.image().offset,
        readyToUnfence: () => publisher.isOpen(),
        heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
        incarnationId: randomUUID(),
        timers: realTimers,
        logger,
      });
      lifecycle.start();
      const registration = lifecycle;
      replicas = new ReplicaManager({
        brokerId: brokerId(config.nodeId),
        logDir: config.logDirs[0]!,
        logConfig: {
          segmentBytesMax: config.logSegmentBytes,
          segmentAgeMsMax: config.logRollMs,
          retentionMs: config.logRetentionMs,
          retentionBytes: config.logRetentionBytes,
          batchBytesMax: config.messageMaxBytes,
          cleanupCompact: config.logCleanupPolicy.has('compact'),
          cleanupDelete: config.logCleanupPolicy.has('delete'),
          deleteRetentionMs: config.logCleanerDeleteRetentionMs,
          minCompactionLagMs: config.logCleanerMinCompactionLagMs,
          maxCompactionLagMs: config.logCleanerMaxCompactionLagMs,
          minCleanableDirtyRatio: config.logCleanerMinCleanableRatio,
        },
        retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
        ...(config.logCleanerEnable && config.logCleanerThreads > 0
          ? {
              cleaner: {
                backoffMs: config.logCleanerBackoffMs,
                offsetMapBytes: config.logCleanerDedupeBufferSize,
              },
            }
          : {}),
        timers: realTimers,
        lagTimeMaxMs: config.replicaLagTimeMaxMs,
        silenceTimeMaxMs: config.replicaSilenceTimeMaxMs,
        fetchWaitMaxMs: config.replicaFetchWaitMaxMs,
        fetchMaxBytes: config.replicaFetchMaxBytes,
        fetchResponseMaxBytes: REPLICA_FETCH_RESPONSE_MAX_BYTES,
        fetchBackoffMs: REPLICA_FETCH_BACKOFF_MS,
        minInsyncReplicas: (image, topicName) =>
          Number(
            image.configs.get(`topic:${topicName}`)?.get('min.insync.replicas') ?? config.minInsyncReplicas,
          ),
        brokerEpoch: () => registration.epoch,
        alterPartition: async (request) => {
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
        transport: new HttpFetchTransport({
          addressOf: (broker) => brokerAddress(stateMachine.image(), broker, config.interBrokerListenerName),
          dialer: interBrokerDialer,
        }),
        logger,
        // Kafka halts a broker whose only log dir failed: the same fail-stop as the metadata log.
        onLogDirFailure: (error) => logDirFailure.raise(error),
        traffic: metrics.traffic,
      });
      const hostedReplicas = replicas;
      const groupCoordinator = new GroupCoordinator({
        brokerId: config.nodeId,
        numPartitions: config.offsetsTopicNumPartitions,
        storage: offsetsTopicStorage({
          replicas: hostedReplicas,
          image: () => publisher.image(),
          timeoutMs: GROUP_REQUEST_TIMEOUT_MS,
        }),
        nowMs: () => Date.now(),
        newMemberId: (clientId) => `${clientId}-${randomUUID()}`,
        minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
        // The published image only (null before this node caught up): the coordinator has no partition
        // loaded before then, and a stale image would make a live topic look deleted.
        partitionsOf: (topic) => {
          const image = publisher.image();
          return image === null ? null : (topicByName(image, topic)?.partitions.size ?? null);
        },
        topicIdOf: (topic) => {
          const image = publisher.image();
          return image === null ? null : (topicByName(image, topic)?.id ?? null);
        },
        offsetsLeaderEpochOf: (partition) =>
          offsetsLeaderEpoch(publisher.image(), brokerId(config.nodeId), partition),
        consumerProtocol,
        logger,
      });
      coordinator = groupCoordinator;
      followOffsetsLeadership(hostedReplicas, groupCoordinator);
      groupTimer = setInterval(() => groupCoordinator.tick(), GROUP_TICK_MS);
      groupTimer.unref();
      publisher.subscribe((image) => hostedReplicas.applyImage(image));
      publisher.subscribe(() => groupCoordinator.topicsChanged());
    }
    const kafkaAddress = kafkaServer?.address ?? null;
    logger.info(
      {
        clusterId,
        roles: [...config.processRoles],
        client: clientApi.address,
        kafka: kafkaAddress,
        internal: transport.address,
      },
      'node started',
    );
    return new KraftNode(
      config,
      clusterId,
      { client: clientApi.address, internal: transport.address, kafka: kafkaAddress },
      {
        logger,
        driver: raft,
        stateMachine,
        controller,
        controllerTimer,
        snapshotTimer,
        controllerClient: client,
        lifecycle,
        replicas,
        logDirFailure,
        data,
        peerMetrics,
        groups,
        groupTimer: () => groupTimer,
        clientApi,
        kafkaServer,
        app,
        watch,
        publisher,
        catchUp: { abort: () => catchUpAbort.abort(), done: catchingUp },
        namedListeners,
        voters,
        quorumLost: () =>
          raft.status().leader === 0 &&
          Date.now() - leaderSeenMs > 2 * config.controllerQuorumElectionTimeoutMs,
      },
    );
  }

  image(): MetadataImage {
    return this.parts.stateMachine.image();
  }

  /** The image the data plane acts on: null until this node has caught up with the metadata quorum. */
  publishedImage(): MetadataImage | null {
    return this.parts.publisher.image();
  }

  /**
   * The metadata log failed for good (a failed fsync, a broken invariant): this node's image can no
   * longer move; or a partition log's I/O failed and the log directory is offline. The process should
   * exit rather than serve (main.ts does).
   */
  onFatal(listener: (error: Error) => void): void {
    this.parts.driver.onFatal(listener);
    this.parts.logDirFailure.listen(listener);
  }

  raftStatus() {
    return this.parts.driver.status();
  }

  brokerState() {
    return this.parts.lifecycle?.state ?? null;
  }

  /**
   * InitProducerId for an idempotent (non-transactional) producer: a producer id unique in the cluster,
   * epoch 0 (the same as `DataApi.initProducerId`). NOT_COORDINATOR on a controller-only node;
   * COORDINATOR_LOAD_IN_PROGRESS while no block of ids can be had from the controller.
   */
  initProducerId(): Promise<ProducerIdentity> {
    return this.parts.data.initProducerId();
  }

  /**
   * Stops the node. Controlled (SIGTERM, Ctrl-C): partition leaderships move away first, then Raft
   * leadership is handed to another voter, then everything closes. Uncontrolled: just closes.
   */
  stop(options: { controlled: boolean; timeoutMs?: number } = { controlled: true }): Promise<void> {
    this.stopping ??= this.stopOnce(options.controlled, options.timeoutMs ?? 10_000);
    return this.stopping;
  }

  private async stopOnce(controlled: boolean, timeoutMs: number): Promise<void> {
    const { logger, driver, lifecycle } = this.parts;
    const deadline = Date.now() + timeoutMs;
    this.parts.catchUp.abort();
    if (lifecycle !== null) {
      if (controlled)
        await lifecycle.controlledShutdown(Math.max(0, deadline - Date.now()), this.parts.quorumLost);
      else await lifecycle.stop();
    }
    // After the controlled shutdown: the partitions this node led have other leaders by now.
    const groupTimer = this.parts.groupTimer();
    if (groupTimer !== null) clearInterval(groupTimer);
    await this.parts.replicas?.close();
    await this.parts.data.close();
    await this.parts.peerMetrics.close();
    await this.parts.groups.close();
    if (controlled) await this.handOverRaftLeadership(deadline);
    if (this.parts.controllerTimer !== null) clearInterval(this.parts.controllerTimer);
    if (this.parts.snapshotTimer !== null) clearInterval(this.parts.snapshotTimer);
    this.parts.controller?.resign();
    await this.parts.clientApi.close();
    await this.parts.kafkaServer?.close();
    await this.parts.app.close();
    await this.parts.controllerClient.close();
    await this.parts.catchUp.done;
    await driver.stop();
    await this.parts.namedListeners.close();
    this.parts.watch.close();
    logger.info({}, 'node stopped');
  }

  /** Raft thesis §3.10: the most caught-up other voter takes over, so no election timeout is lost. */
  private async handOverRaftLeadership(deadline: number): Promise<void> {
    const { driver, voters, logger } = this.parts;
    const status = driver.status();
    if (status.role !== 'leader' || voters.length < 2) return;
    const target = status.peers
      .filter((peer) => !peer.isObserver && peer.recentActive)
      .sort((a, b) => b.match - a.match)[0];
    if (target === undefined) return;
    logger.info({ to: target.id, term: status.term }, 'handing over metadata leadership');
    driver.transferLeadership(nodeId(target.id));
    while (Date.now() < deadline && driver.status().role === 'leader') {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

interface Parts {
  readonly logger: Logger;
  readonly driver: RaftDriver;
  readonly stateMachine: MetadataStateMachine;
  readonly controller: QuorumController | null;
  readonly controllerTimer: NodeJS.Timeout | null;
  readonly snapshotTimer: NodeJS.Timeout | null;
  readonly controllerClient: ControllerClient;
  readonly lifecycle: BrokerLifecycle | null;
  readonly replicas: ReplicaManager | null;
  /** Raised once when the broker's log directory went offline. */
  readonly logDirFailure: FatalSignal;
  readonly data: DataService;
  readonly peerMetrics: PeerMetrics;
  readonly groups: GroupService;
  readonly groupTimer: () => NodeJS.Timeout | null;
  readonly clientApi: { address: string; close(): Promise<void> };
  readonly kafkaServer: KafkaServer | null;
  readonly app: { close(): Promise<unknown> };
  readonly watch: ImageWatch;
  readonly publisher: MetadataPublisher;
  /** The start-up catch-up with the quorum (quorum-catch-up.ts): aborted when the node stops. */
  readonly catchUp: { readonly abort: () => void; readonly done: Promise<void> };
  readonly namedListeners: NamedListeners;
  readonly voters: readonly NodeId[];
  /** True once the metadata quorum has had no leader for two election timeouts. */
  readonly quorumLost: () => boolean;
}
