import pino, { type Logger } from 'pino';
import type { RaftStatus } from '../../raft/node.ts';
import type { NodeId } from '../../raft/types.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { answerControllerRequest, type PeerConnection } from '../../src/http/internal-controller-routes.ts';
import { controllerTiming, QuorumController } from '../../src/metadata/controller/quorum-controller.ts';
import { brokerId, metadataOffset } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { encodeRecordBatch } from '../../src/metadata/records.ts';
import { BrokerLifecycle } from '../../src/node/broker-lifecycle.ts';
import type { ControllerClient } from '../../src/node/controller-client.ts';
import { ControllerRpc } from '../../src/node/controller-rpc.ts';
import { ImageWatch } from '../../src/node/image-watch.ts';
import { MetadataPublisher } from '../../src/node/metadata-publisher.ts';
import { QuorumTracker } from '../../src/node/quorum-tracker.ts';
import type { AlterPartitionRequest } from '../../src/replication/replica-manager.ts';
import { every, sleep } from '../../src/replication/timers.ts';
import type { Violation } from '../checkers/violation.ts';
import { SimDisk } from '../sim/disk.ts';
import { SimFileSystem } from '../sim/sim-fs.ts';
import type { Prng } from '../sim/prng.ts';
import type { Scheduler } from '../sim/scheduler.ts';
import type { ClusterConfig } from './cluster-config.ts';
import { DataPlane } from './data-plane.ts';
import { processFileSystem } from './process-fs.ts';
import { catchUpWithQuorum } from './quorum-catch-up.ts';
import { MetadataRaft, type MetadataRaftHooks } from './metadata-raft.ts';
import type { ClusterVariant } from './planted-bugs.ts';
import type { ClusterProtocol } from './protocol.ts';
import type { NetworkNode, RpcNetwork } from './rpc-network.ts';
import { simControllerClient } from './sim-controller-transport.ts';
import { SimGroups } from './sim-groups.ts';
import { SimProcess } from './sim-process.ts';
import { seededUuid } from './sim-uuid.ts';

export const CLUSTER_ID = 'sim-cluster-0000000000';

const SILENT: Logger = pino({ level: 'silent' });

/** What the cluster hears from a server: its metadata Raft's hooks, and a log directory failing. */
export interface ServerHooks extends MetadataRaftHooks {
  /** A broker's log directory went offline (an I/O error): its process exits, as node.ts makes it. */
  logDirFailed(id: NodeId, error: Error): void;
  /** The MetadataPublisher gave this node's components `image`. */
  imagePublished(id: NodeId, image: MetadataImage): void;
  /** A broker sends an AlterPartition. */
  alterPartitionSent(id: NodeId, request: AlterPartitionRequest): void;
  /** A check on a server's traffic failed. */
  violation(violation: Violation): void;
}

export interface ServerRoles {
  readonly controller: boolean;
  readonly broker: boolean;
}

/** Between two start-up asks for the metadata high watermark (node.ts's CATCH_UP_RETRY_BACKOFF_MS). */
const CATCH_UP_RETRY_BACKOFF_MS = 100;

/** One incarnation's components, rebuilt from the disk by every start. */
interface Incarnation {
  readonly raft: MetadataRaft;
  /** Gates the image the data plane acts on until this incarnation caught up with the quorum. */
  readonly publisher: MetadataPublisher;
  /** True once the metadata quorum has had no leader for two election timeouts (node.ts's rule). */
  readonly quorumLost: () => boolean;
  readonly controller: QuorumController | null;
  readonly rpc: ControllerRpc | null;
  readonly client: ControllerClient;
  readonly lifecycle: BrokerLifecycle | null;
  readonly data: DataPlane | null;
  /** The GroupService (every node) and the GroupCoordinator (brokers). */
  readonly groups: SimGroups;
  /** The connection each peer's controller RPCs come on, until that peer's process dies. */
  readonly connections: Map<NodeId, PeerConnection>;
}

/**
 * A simulated server: a process (crash, pause, clock) with a disk that outlives it, running the
 * product's metadata components as src/node/node.ts wires them: the metadata Raft (voter on a
 * controller, observer on a broker-only node) applying to the MetadataStateMachine; on a controller the
 * QuorumController (active on the Raft leader, its writes resolving once applied) behind ControllerRpc;
 * on a broker the BrokerLifecycle (registration, heartbeats, fencing) through a ControllerClient.
 */
export class SimServer implements NetworkNode<ClusterProtocol> {
  readonly id: NodeId;
  readonly roles: ServerRoles;
  readonly process: SimProcess;
  readonly disk: SimDisk;
  /** The partition logs' disk: outlives every incarnation, loses unsynced writes on power loss. */
  readonly fs: SimFileSystem;
  private readonly config: ClusterConfig;
  private readonly scheduler: Scheduler;
  private readonly network: RpcNetwork<ClusterProtocol>;
  private readonly random: Prng;
  private readonly hooks: ServerHooks;
  private readonly variant: ClusterVariant;
  private parts: Incarnation | null = null;
  restarts = 0;
  /** Multiplies the metadata log's fsync latency (the slow-disk fault). */
  syncSlowdown = 1;

  constructor(options: {
    id: NodeId;
    roles: ServerRoles;
    config: ClusterConfig;
    scheduler: Scheduler;
    network: RpcNetwork<ClusterProtocol>;
    random: Prng;
    hooks: ServerHooks;
    variant: ClusterVariant;
  }) {
    this.variant = options.variant;
    this.random = options.random;
    this.disk = new SimDisk({ loseLastSyncOnCrash: options.variant.loseLastSyncOnCrash });
    const fsLatency = this.random.fork('fs-latency');
    this.fs = new SimFileSystem({
      random: this.random.fork('fs'),
      // An fsync takes simulated time; other operations hit the page cache.
      delay: (operation) =>
        operation.kind === 'sync' || operation.kind === 'syncDir'
          ? new Promise((resolve) =>
              this.scheduler.after(
                fsLatency.between(options.config.raft.syncMinUs, options.config.raft.syncMaxUs) *
                  this.syncSlowdown,
                resolve,
              ),
            )
          : undefined,
    });
    this.id = options.id;
    this.roles = options.roles;
    this.config = options.config;
    this.scheduler = options.scheduler;
    this.network = options.network;
    this.random = options.random;
    this.hooks = options.hooks;
    this.process = new SimProcess(`node-${this.id}`, this.scheduler, this.random.between(-500, 500));
  }

  get alive(): boolean {
    return this.parts !== null;
  }

  raftStatus(): RaftStatus | null {
    return this.parts?.raft.status() ?? null;
  }

  image(): MetadataImage | null {
    return this.parts?.raft.image() ?? null;
  }

  /** The image published to the data plane: null until this incarnation caught up with the quorum. */
  publishedImage(): MetadataImage | null {
    return this.parts?.publisher.image() ?? null;
  }

  brokerState(): BrokerLifecycle['state'] | null {
    return this.parts?.lifecycle?.state ?? null;
  }

  controllerActive(): boolean {
    return this.parts?.controller?.isActive() ?? false;
  }

  /** The ControllerClient of this node (the admin workload sends through it as an AdminService would). */
  controllerClient(): ControllerClient | null {
    return this.parts?.client ?? null;
  }

  /** Boots the process from what its disk durably holds. */
  start(): void {
    if (this.parts !== null) return;
    this.process.start();
    const random = this.random.fork(`incarnation-${this.restarts}`);
    const { config } = this;
    let controller: QuorumController | null = null;
    let leaderSeenMs = this.process.timers.nowMs();
    // As node.ts: on a broker, no image before the one holding this process's own registration.
    let lifecycle: BrokerLifecycle | null = null;
    const publisher = new MetadataPublisher(
      this.roles.broker && !this.variant.publishBeforeCatchUp
        ? {
            registeredHere: (image) =>
              lifecycle !== null &&
              image.brokers.get(brokerId(this.id))?.incarnationId === lifecycle.incarnationId,
          }
        : {},
    );
    // Fed before the publisher, as node.ts does (admin writes wait on it); the raft replays at once.
    const watch = new ImageWatch(() => raft.image(), this.process.timers);
    const raft: MetadataRaft = new MetadataRaft({
      id: this.id,
      process: this.process,
      scheduler: this.scheduler,
      disk: this.disk,
      random,
      config: config.raft,
      hooks: {
        entriesWritten: (id, entries, prevTerm) => this.hooks.entriesWritten(id, entries, prevTerm),
        applied: (id, entries) => this.hooks.applied(id, entries),
        imageApplied: (id, image) => this.hooks.imageApplied(id, image),
        statusChanged: (id, status) => {
          this.hooks.statusChanged(id, status);
          if (status.leader !== 0) leaderSeenMs = this.process.timers.nowMs();
          if (controller === null) return;
          if (status.role === 'leader') controller.becomeLeader(status.term);
          else controller.resign();
        },
      },
      send: (message) => this.network.send(this.id, message.to, 'raft', message),
      onImage: (image) => {
        watch.applied(image);
        publisher.applied(image);
      },
      variant: this.variant,
      syncSlowdown: () => this.syncSlowdown,
    });
    const timers = this.process.timers;
    let rpc: ControllerRpc | null = null;
    if (this.roles.controller) {
      const uuids = random.fork('uuids');
      const timing = controllerTiming({
        sessionTimeoutMs: config.brokerSessionTimeoutMs,
        heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
      });
      controller = new QuorumController({
        config: {
          nodeId: this.id,
          sessionTimeoutMs: config.brokerSessionTimeoutMs,
          connectionLossGraceMs: timing.connectionLossGraceMs,
          defaultPartitions: 1,
          defaultReplicationFactor: Math.min(3, config.brokers.length),
          uncleanLeaderElectionEnable: false,
          autoLeaderRebalanceEnable: true,
          leaderImbalanceCheckIntervalMs: config.leaderImbalanceCheckIntervalMs,
        },
        environment: { nowMs: () => timers.nowMs(), newUuid: () => seededUuid(uuids) },
        log: {
          image: () => raft.image(),
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
      });
      rpc = new ControllerRpc({
        clusterId: CLUSTER_ID,
        controller,
        driver: raft,
        quorum: new QuorumTracker(),
        nowMs: () => timers.nowMs(),
      });
      const active = controller;
      every(timers, timing.tickMs, () => active.tick());
    }
    const client = simControllerClient({
      self: this.id,
      voters: config.controllers,
      network: this.network,
      timers,
      leaderHint: () => raft.status().leader,
      requestTimeoutMs: config.controllerRequestTimeoutMs,
      logger: SILENT,
    });
    if (this.variant.publishBeforeCatchUp) publisher.learnedHighWatermark(0);
    else
      void catchUpWithQuorum({
        readIndex: async (timeoutMs) => (await client.call('read-index', {}, timeoutMs)).offset,
        publisher,
        timeoutMs: config.controllerRequestTimeoutMs,
        retryBackoffMs: CATCH_UP_RETRY_BACKOFF_MS,
        timers,
      });
    const self = this.id;
    publisher.subscribe((image) => this.hooks.imagePublished(self, image));
    let data: DataPlane | null = null;
    if (this.roles.broker) {
      lifecycle = new BrokerLifecycle({
        clusterId: CLUSTER_ID,
        brokerId: this.id,
        endpoints: [{ name: 'INTERNAL', host: `node-${this.id}`, port: 9090, securityProtocol: 'PLAINTEXT' }],
        rack: null,
        processRoles: this.roles.controller ? ['broker', 'controller'] : ['broker'],
        client,
        metadataOffset: () => raft.image().offset,
        readyToUnfence: () => publisher.isOpen(),
        heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
        incarnationId: seededUuid(random.fork('incarnation-id')),
        timers,
        logger: SILENT,
      });
      lifecycle.start();
      const registration = lifecycle;
      const incarnation = this.process.incarnation;
      data = new DataPlane({
        self: this.id,
        config,
        fs: processFileSystem(this.fs.mount(), () => this.process.incarnation === incarnation, {
          fsyncLies: this.variant.fsyncLies,
        }),
        timers,
        network: this.network,
        client,
        brokerEpoch: () => registration.epoch,
        logger: SILENT,
        onAlterPartition: (request) => this.hooks.alterPartitionSent(self, request),
        onViolation: (violation) => this.hooks.violation(violation),
        // Kafka halts a broker whose only log dir failed (node.ts: the process exits).
        onLogDirFailure: (error) =>
          this.scheduler.after(0, () => {
            if (this.process.incarnation === incarnation) this.hooks.logDirFailed(this.id, error);
          }),
      });
      const replicas = data.replicas;
      publisher.subscribe((image) => replicas.applyImage(image));
    }
    const groups = new SimGroups({
      self,
      config,
      timers,
      network: this.network,
      client,
      watch,
      publisher,
      replicas: data?.replicas ?? null,
      random: random.fork('groups'),
      variant: this.variant,
      logger: SILENT,
    });
    const quorumLost = () =>
      raft.status().leader === 0 &&
      timers.nowMs() - leaderSeenMs > 2 * config.raft.tickMs * config.raft.electionTicks;
    this.parts = {
      raft,
      publisher,
      quorumLost,
      controller,
      rpc,
      client,
      lifecycle,
      data,
      groups,
      connections: new Map(),
    };
  }

  /** The broker's data plane, once this incarnation caught up with the quorum (else null). */
  dataPlane(): DataPlane | null {
    const parts = this.parts;
    return parts?.publisher.isOpen() ? parts.data : null;
  }

  /** Power loss: the process dies and every write its disk had not synced is gone. */
  crash(): void {
    if (this.parts === null) return;
    this.parts = null;
    this.process.crash({ hostDown: true });
    this.disk.crash();
    this.fs.crash('random');
    this.restarts++;
  }

  /** kill -9: the process dies, but what it wrote is in the page cache and reaches the disk. */
  kill(): void {
    if (this.parts === null) return;
    this.parts = null;
    this.disk.completeSync(this.disk.beginSync());
    this.process.crash({ hostDown: false });
    this.disk.crash();
    this.fs.kill();
    this.restarts++;
    this.network.processKilled(this.id);
  }

  /**
   * The connections from `peer`'s process closed. The controller RPCs of a peer travel on one connection
   * per pair of incarnations, which this incarnation names by a token. (A real node hears of its Raft
   * connections only from peers that sent it batches, and a metadata leader always does.)
   */
  peerClosed(peer: NodeId): void {
    const parts = this.parts;
    if (parts === null) return;
    // The metadata Raft's connections (node.ts: Http2Transport's onPeerDisconnected).
    parts.rpc?.raftPeerDisconnected(peer);
    const connection = parts.connections.get(peer);
    if (connection === undefined) return;
    parts.connections.delete(peer);
    parts.rpc?.connectionClosed(connection);
  }

  /**
   * SIGTERM, as KraftNode.stop({ controlled: true }): the broker's controlled shutdown (its leaderships
   * move away first), then the metadata leadership is handed to the most caught-up voter, then the
   * process stops cleanly (everything written is synced). Resolves when stopped, or at once if the
   * process died meanwhile (another fault).
   */
  async terminate(timeoutMs: number): Promise<void> {
    const parts = this.parts;
    if (parts === null) return;
    const incarnation = this.process.incarnation;
    const { timers } = this.process;
    const deadline = timers.nowMs() + timeoutMs;
    const never = new AbortController().signal;
    await parts.lifecycle?.controlledShutdown(Math.max(0, deadline - timers.nowMs()), parts.quorumLost);
    if (this.process.incarnation !== incarnation) return;
    await parts.lifecycle?.stop();
    await parts.data?.replicas.close();
    if (this.process.incarnation !== incarnation) return;
    const status = parts.raft.status();
    const target = status.peers
      .filter((peer) => !peer.isObserver && peer.recentActive)
      .sort((a, b) => b.match - a.match)[0];
    if (status.role === 'leader' && target !== undefined) {
      parts.raft.transferLeadership(target.id);
      while (timers.nowMs() < deadline && parts.raft.status().role === 'leader') {
        await sleep(timers, 20, never);
        if (this.process.incarnation !== incarnation) return;
      }
    }
    if (this.process.incarnation !== incarnation) return;
    this.kill();
  }

  handle<K extends keyof ClusterProtocol & string>(
    kind: K,
    from: NodeId,
    request: ClusterProtocol[K]['request'],
  ): Promise<ClusterProtocol[K]['response']> {
    const parts = this.parts;
    if (parts === null) return new Promise(() => {});
    if (kind === 'raft') {
      parts.raft.receive(request as ClusterProtocol['raft']['request']);
      return Promise.resolve(undefined as never);
    }
    if (kind === 'group' || kind === 'group-client') {
      const groupRequest = request as ClusterProtocol['group']['request'];
      const answer =
        kind === 'group'
          ? parts.groups.answerForwarded(groupRequest)
          : parts.groups.answerClient(groupRequest);
      return answer as Promise<ClusterProtocol[K]['response']>;
    }
    if (kind === 'kafka') {
      return parts.groups.answerKafka(request as ClusterProtocol['kafka']['request']) as Promise<
        ClusterProtocol[K]['response']
      >;
    }
    if (kind === 'fetch' || kind === 'produce' || kind === 'read') {
      // node.ts: until caught up with the quorum, the internal replication route answers 503.
      const data = this.dataPlane();
      if (data === null) {
        return Promise.reject(
          new KafkaError('NOT_LEADER_OR_FOLLOWER', `Node ${this.id} serves no partitions yet.`),
        );
      }
      const response =
        kind === 'fetch'
          ? data.fetch(request as ClusterProtocol['fetch']['request'], () => this.scheduler.now())
          : kind === 'produce'
            ? data.produce(
                this.variant.acksAllAsOne
                  ? { ...(request as ClusterProtocol['produce']['request']), acks: 1 }
                  : (request as ClusterProtocol['produce']['request']),
                this.config.data.produceTimeoutMs,
              )
            : data.read(request as ClusterProtocol['read']['request'], 0);
      return response as Promise<ClusterProtocol[K]['response']>;
    }
    const { operation, body } = request as ClusterProtocol['controller']['request'];
    const rpc = parts.rpc;
    const handler = {
      handle: ((op, decoded, connection) =>
        rpc === null
          ? Promise.reject(new KafkaError('NOT_CONTROLLER', 'This node is not a controller.'))
          : rpc.handle(op, decoded, connection)) as ControllerRpc['handle'],
      leaderHint: () => parts.raft.status().leader,
      connectionClosed: (connection: PeerConnection) => rpc?.connectionClosed(connection),
    };
    let connection = parts.connections.get(from);
    if (connection === undefined) {
      connection = { peer: from };
      parts.connections.set(from, connection);
    }
    return answerControllerRequest(handler, operation, body, SILENT, connection) as Promise<
      ClusterProtocol[K]['response']
    >;
  }
}
