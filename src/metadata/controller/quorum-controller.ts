// The QuorumController runs on every controller node and is active on the Raft leader only. Every
// decision becomes a batch of records; every answer waits until that batch is committed and applied
// (the controller never exposes uncommitted state); all state comes from the committed image, so a
// restarted or newly elected controller knows everything. Operations run one at a time (Kafka's
// controller event queue): each decides on the image that includes every earlier operation.
import type { NodeId, Term } from '../../../raft/types.ts';
import { KafkaError } from '../../common/kafka-errors.ts';
import type { BrokerEpoch, BrokerId, MetadataOffset, TopicId } from '../ids.ts';
import { topicId as toTopicId } from '../ids.ts';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../image.ts';
import { partitionsLedBy } from '../queries.ts';
import type { MetadataRecord } from '../records.ts';
import {
  type AlterPartitionRequest,
  type BrokerHeartbeatRequest,
  type BrokerHeartbeatResponse,
  decideAlterPartition,
  decideRegistration,
  decideRemoval,
  decideUnfence,
  type RegisterBrokerRequest,
  requireRegistration,
} from './broker-decisions.ts';
import { BrokerSessions } from './broker-sessions.ts';
import { findPartition, preferredLeaderChanges } from './partition-changes.ts';
import {
  type AllocateProducerIdsRequest,
  decideAllocateProducerIds,
  type ProducerIdBlock,
} from './producer-id-decisions.ts';
import type { AclBinding, AclEntry } from '../../common/security.ts';
import type { AclBindingFilter } from '../acl-filter.ts';
import {
  type BootstrapCredential,
  decideAlterClientQuotas,
  decideAlterScramCredentials,
  decideBootstrapCredentials,
  decideCreateAcls,
  decideDeleteAcls,
  type QuotaAlteration,
  type ScramDeletion,
  type ScramUpsertion,
  type UserResult,
} from './security-decisions.ts';
import {
  decideAlterTopicConfigs,
  decideCreatePartitions,
  decideCreateTopic,
  decideDeleteTopic,
  type ManualAssignment,
} from './topic-decisions.ts';

/** The replicated metadata log as the controller sees it. */
export interface MetadataLog {
  /**
   * Proposes one batch, applied atomically; resolves with its offset once it is committed and applied
   * to image(). Rejects with a NOT_CONTROLLER KafkaError when this node cannot commit it.
   */
  append(records: readonly MetadataRecord[]): Promise<MetadataOffset>;
  /** The committed image as applied on this node. */
  image(): MetadataImage;
}

export interface ControllerEnvironment {
  nowMs(): number;
  newUuid(): string;
}

export interface ControllerConfig {
  readonly nodeId: NodeId;
  readonly sessionTimeoutMs: number;
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly uncleanLeaderElectionEnable: boolean;
  /** auto.leader.rebalance.enable; checked every leaderImbalanceCheckIntervalMs. */
  readonly autoLeaderRebalanceEnable?: boolean;
  readonly leaderImbalanceCheckIntervalMs?: number;
  /**
   * How long a broker whose heartbeat connection closed stays alive without a new heartbeat (see
   * broker-sessions.ts); at most the session timeout, which it is when not given.
   */
  readonly connectionLossGraceMs?: number;
  /**
   * SCRAM credentials the first active controller of a new metadata log writes (KIP-900's bootstrap, as
   * `kafka-storage format --add-scram`): see security-decisions.ts decideBootstrapCredentials.
   */
  readonly bootstrapScramCredentials?: readonly BootstrapCredential[];
}

/**
 * The grace after a broker's heartbeat connection closed (two heartbeat intervals: a live broker whose
 * connection dropped heartbeats on a new one within one) and the tick that fences on time (a fifth of the
 * shortest wait it enforces, at most 250 ms).
 */
export function controllerTiming(options: { sessionTimeoutMs: number; heartbeatIntervalMs: number }): {
  readonly connectionLossGraceMs: number;
  readonly tickMs: number;
} {
  const connectionLossGraceMs = Math.min(options.sessionTimeoutMs, 2 * options.heartbeatIntervalMs);
  return {
    connectionLossGraceMs,
    tickMs: Math.max(10, Math.min(250, options.sessionTimeoutMs / 4, connectionLossGraceMs / 5)),
  };
}

export interface ControllerLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface CreateTopicCommand {
  readonly name: string;
  readonly partitionsCount?: number;
  readonly replicationFactor?: number;
  readonly configs: ReadonlyMap<string, string>;
  readonly validateOnly: boolean;
  /** A manual replica assignment (then neither count nor factor is given). */
  readonly assignments?: ManualAssignment;
}

/** An answer to a write: `offset` is where it committed (null for validate-only requests). */
export interface WriteResult {
  readonly offset: MetadataOffset | null;
}

export class QuorumController {
  private readonly config: ControllerConfig;
  private readonly environment: ControllerEnvironment;
  private readonly log: MetadataLog;
  private readonly logger: ControllerLogger | null;
  private readonly sessions: BrokerSessions;
  /** The Raft term this node leads, or null. Active once its LeaderChange record has committed. */
  private epoch: Term | null = null;
  /**
   * The last term this node was told it leads. A term has one leader and one LeaderChange record: once
   * resigned from a term (a shutdown resigns while Raft still reports the leadership), the controller
   * never takes that term again, or it would write a second LeaderChange for it.
   */
  private lastLedEpoch: Term | null = null;
  /** When the last preferred leader election ran; a new active controller waits a whole interval. */
  private lastRebalanceMs = Number.NEGATIVE_INFINITY;
  private active = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly fencingQueued = new Set<BrokerId>();
  /** Connection losses heard while inactive, by broker: when. */
  private readonly lossesWhileInactive = new Map<BrokerId, number>();

  constructor(options: {
    config: ControllerConfig;
    environment: ControllerEnvironment;
    log: MetadataLog;
    logger?: ControllerLogger;
  }) {
    this.config = options.config;
    this.environment = options.environment;
    this.log = options.log;
    this.logger = options.logger ?? null;
    this.sessions = new BrokerSessions(options.config.sessionTimeoutMs);
  }

  isActive(): boolean {
    return this.active;
  }

  /**
   * This node leads Raft term `epoch`. Like KRaft, the controller first commits a LeaderChange record of
   * its own: once that is applied, the image holds everything committed before it, and decisions can
   * be made on it.
   */
  becomeLeader(epoch: Term): void {
    if (this.lastLedEpoch !== null && epoch <= this.lastLedEpoch) return;
    this.lastLedEpoch = epoch;
    this.epoch = epoch;
    this.active = false;
    const activation = this.queue.then(async () => {
      if (this.epoch !== epoch) return;
      await this.log.append([{ type: 'leaderChange', leaderId: this.config.nodeId, epoch }]);
      if (this.epoch !== epoch) return;
      // Before any other operation: on a new log, the bootstrap users exist before anyone can register.
      const bootstrap = decideBootstrapCredentials(
        this.log.image(),
        this.config.bootstrapScramCredentials ?? [],
      );
      if (bootstrap.length > 0) {
        await this.log.append(bootstrap);
        this.logger?.info({ credentials: bootstrap.length }, 'bootstrap SCRAM credentials written');
        if (this.epoch !== epoch) return;
      }
      this.active = true;
      this.lastRebalanceMs = this.environment.nowMs();
      const nowMs = this.environment.nowMs();
      this.sessions.resetAll(this.log.image().brokers.keys(), nowMs);
      // A loss older than a session has been dealt with by the previous controller, or the broker is back.
      for (const [broker, lostAtMs] of this.lossesWhileInactive)
        if (nowMs - lostAtMs <= this.config.sessionTimeoutMs)
          this.sessions.connectionLost(broker, lostAtMs, this.connectionLossGraceMs());
      this.lossesWhileInactive.clear();
      this.logger?.info({ epoch }, 'controller active');
    });
    this.queue = activation.catch((error: unknown) => {
      this.logger?.warn({ epoch, err: error }, 'controller activation failed');
    });
  }

  resign(): void {
    if (this.epoch === null) return;
    this.logger?.info({ epoch: this.epoch }, 'controller inactive');
    this.epoch = null;
    this.active = false;
  }

  /** Fences brokers whose session expired. Call it periodically (every few hundred ms). */
  tick(): void {
    if (!this.active) return;
    const image = this.log.image();
    const nowMs = this.environment.nowMs();
    this.maybeRebalanceLeaders(nowMs);
    for (const registration of image.brokers.values()) {
      if (registration.fenced || this.fencingQueued.has(registration.id)) continue;
      if (this.sessions.isAlive(registration.id, nowMs)) continue;
      this.fencingQueued.add(registration.id);
      this.run(async (current) => {
        const now = current.brokers.get(registration.id);
        if (now === undefined || now.fenced || this.sessions.isAlive(now.id, this.environment.nowMs()))
          return;
        this.logger?.warn({ broker: now.id, epoch: now.epoch }, 'broker session expired, fencing');
        await this.log.append(decideRemoval(current, now, 'fence', this.uncleanPolicy(current)));
      })
        .catch((error: unknown) =>
          this.logger?.warn({ broker: registration.id, err: error }, 'fencing failed'),
        )
        .finally(() => this.fencingQueued.delete(registration.id));
    }
  }

  private maybeRebalanceLeaders(nowMs: number): void {
    const intervalMs = this.config.leaderImbalanceCheckIntervalMs ?? 300_000;
    if (this.config.autoLeaderRebalanceEnable !== true || nowMs - this.lastRebalanceMs < intervalMs) return;
    this.lastRebalanceMs = nowMs;
    this.run(async (current) => {
      const changes = preferredLeaderChanges(current);
      if (changes.length === 0) return;
      this.logger?.info({ partitions: changes.length }, 'electing preferred leaders');
      await this.log.append(changes);
    }).catch((error: unknown) => this.logger?.warn({ err: error }, 'preferred leader election failed'));
  }

  registerBroker(request: RegisterBrokerRequest): Promise<{ brokerEpoch: BrokerEpoch }> {
    return this.run(async (image) => {
      const existing = image.brokers.get(request.brokerId);
      if (existing !== undefined && existing.incarnationId === request.incarnationId) {
        // A retried registration of the same process.
        this.sessions.touch(request.brokerId, this.environment.nowMs());
        return { brokerEpoch: existing.epoch };
      }
      const alive = this.sessions.isAlive(request.brokerId, this.environment.nowMs());
      const records = decideRegistration(image, request, alive, this.uncleanPolicy(image));
      const offset = await this.log.append(records);
      this.sessions.touch(request.brokerId, this.environment.nowMs());
      const registration = this.log.image().brokers.get(request.brokerId);
      this.logger?.info({ broker: request.brokerId, epoch: registration?.epoch }, 'broker registered');
      return { brokerEpoch: registration?.epoch ?? (offset as number as BrokerEpoch) };
    });
  }

  /**
   * A connection from `broker` closed: unless it heartbeats again within the grace, its session ends then
   * and the next tick fences it. Heard while inactive (the connection of the metadata leader, whose death
   * makes this node the next controller), it is kept for the activation, which would otherwise grant that
   * broker a whole session too: the grace runs from the loss, so a broker that died with the previous
   * controller is fenced by the new one's first tick (it could not heartbeat to it before it was active,
   * and a broker that lives does so right after).
   */
  connectionLost(broker: BrokerId): void {
    const nowMs = this.environment.nowMs();
    this.logger?.info({ broker, active: this.active }, 'broker connection closed');
    if (this.active) this.sessions.connectionLost(broker, nowMs, this.connectionLossGraceMs());
    else this.lossesWhileInactive.set(broker, nowMs);
  }

  private connectionLossGraceMs(): number {
    return Math.min(
      this.config.connectionLossGraceMs ?? this.config.sessionTimeoutMs,
      this.config.sessionTimeoutMs,
    );
  }

  /** `receivedAtMs`: when the request arrived (it may wait in the queue; see BrokerSessions.touch). */
  brokerHeartbeat(
    request: BrokerHeartbeatRequest,
    receivedAtMs: number = this.environment.nowMs(),
  ): Promise<BrokerHeartbeatResponse> {
    return this.run(async (image) => {
      let registration = requireRegistration(image, request.brokerId, request.brokerEpoch);
      this.sessions.touch(request.brokerId, this.environment.nowMs(), receivedAtMs);
      const isCaughtUp = request.currentMetadataOffset >= registration.epoch;
      if (request.wantShutDown) return this.controlledShutdown(image, request.brokerId, isCaughtUp);
      if (request.wantFence && !registration.fenced) {
        await this.log.append(decideRemoval(image, registration, 'fence', this.uncleanPolicy(image)));
      } else if (
        !request.wantFence &&
        registration.fenced &&
        isCaughtUp &&
        !registration.inControlledShutdown
      ) {
        await this.log.append(decideUnfence(image, registration, this.uncleanPolicy(image)));
        this.logger?.info({ broker: request.brokerId, epoch: registration.epoch }, 'broker unfenced');
      }
      registration = this.log.image().brokers.get(request.brokerId) ?? registration;
      return { isCaughtUp, isFenced: registration.fenced, shouldShutDown: false };
    });
  }

  /**
   * Controlled shutdown: the broker gives up its leaderships and ISR memberships first; it is told to
   * shut down once it leads nothing, and is fenced at that point.
   */
  private async controlledShutdown(
    image: MetadataImage,
    broker: BrokerId,
    isCaughtUp: boolean,
  ): Promise<BrokerHeartbeatResponse> {
    let registration = image.brokers.get(broker)!;
    if (!registration.fenced && !registration.inControlledShutdown) {
      this.logger?.info({ broker, epoch: registration.epoch }, 'broker in controlled shutdown');
      await this.log.append(
        decideRemoval(image, registration, 'controlledShutdown', this.uncleanPolicy(image)),
      );
    }
    const current = this.log.image();
    registration = current.brokers.get(broker)!;
    const leadsNothing = partitionsLedBy(current, broker).length === 0;
    if (leadsNothing && !registration.fenced) {
      await this.log.append(decideRemoval(current, registration, 'fence', this.uncleanPolicy(current)));
    }
    const fenced = this.log.image().brokers.get(broker)?.fenced ?? true;
    return { isCaughtUp, isFenced: fenced, shouldShutDown: leadsNothing };
  }

  createTopic(command: CreateTopicCommand): Promise<WriteResult & { topicId: TopicId }> {
    return this.run(async (image) => {
      const topicId = toTopicId(this.environment.newUuid());
      const records = decideCreateTopic(
        image,
        {
          name: command.name,
          partitionsCount: command.partitionsCount ?? this.config.defaultPartitions,
          replicationFactor: command.replicationFactor ?? this.config.defaultReplicationFactor,
          configs: command.configs,
          assignments: command.assignments ?? null,
        },
        topicId,
      );
      if (command.validateOnly) return { offset: null, topicId };
      const offset = await this.log.append(records);
      this.logger?.info({ topic: command.name, topicId, offset }, 'topic created');
      return { offset, topicId };
    });
  }

  deleteTopic(name: string): Promise<WriteResult> {
    return this.write((image) => decideDeleteTopic(image, name), false);
  }

  createPartitions(
    name: string,
    partitionsCount: number,
    validateOnly: boolean,
    assignments: ManualAssignment | null = null,
  ): Promise<WriteResult> {
    return this.write(
      (image) => decideCreatePartitions(image, name, partitionsCount, assignments),
      validateOnly,
    );
  }

  alterTopicConfigs(
    name: string,
    alterations: readonly { name: string; value: string | null }[],
    validateOnly: boolean,
  ): Promise<WriteResult> {
    return this.write((image) => decideAlterTopicConfigs(image, name, alterations), validateOnly);
  }

  /** An ISR change requested by a partition leader (Kafka's AlterPartition), checked against epochs. */
  alterPartition(request: AlterPartitionRequest): Promise<PartitionRegistration> {
    return this.run(async (image) => {
      await this.log.append(decideAlterPartition(image, request));
      const found = findPartition(this.log.image(), request.topicId, request.partitionId);
      if (found === null)
        throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'The partition was removed meanwhile.');
      return found.partition;
    });
  }

  /**
   * Kafka's AllocateProducerIds: a block of producer ids for a broker, answered once the ProducerIds
   * record that moves the next free id past it has committed.
   */
  allocateProducerIds(request: AllocateProducerIdsRequest): Promise<ProducerIdBlock> {
    return this.run(async (image) => {
      const { record, block } = decideAllocateProducerIds(image, request);
      await this.log.append([record]);
      this.logger?.info({ broker: request.brokerId, ...block }, 'producer ids allocated');
      return block;
    });
  }

  /** CreateAcls: one error (or null) per binding, answered once the new ACLs have committed. */
  createAcls(bindings: readonly AclBinding[]): Promise<WriteResult & { errors: (KafkaError | null)[] }> {
    return this.run(async (image) => {
      const { records, errors } = decideCreateAcls(image, bindings, () => this.environment.newUuid());
      return { offset: await this.appendAny(records), errors };
    });
  }

  /** DeleteAcls: per filter, the ACLs it matched, answered once their removal has committed. */
  deleteAcls(filters: readonly AclBindingFilter[]): Promise<WriteResult & { deleted: AclEntry[][] }> {
    return this.run(async (image) => {
      const { records, deleted } = decideDeleteAcls(image, filters);
      return { offset: await this.appendAny(records), deleted };
    });
  }

  alterUserScramCredentials(
    upsertions: readonly ScramUpsertion[],
    deletions: readonly ScramDeletion[],
  ): Promise<WriteResult & { results: UserResult[] }> {
    return this.run(async (image) => {
      const { records, results } = decideAlterScramCredentials(image, upsertions, deletions);
      return { offset: await this.appendAny(records), results };
    });
  }

  alterClientQuotas(
    alterations: readonly QuotaAlteration[],
    validateOnly: boolean,
  ): Promise<WriteResult & { errors: (KafkaError | null)[] }> {
    return this.run(async (image) => {
      const { records, errors } = decideAlterClientQuotas(image, alterations);
      return { offset: validateOnly ? null : await this.appendAny(records), errors };
    });
  }

  /** Appends `records` unless there are none; the offset they committed at, or null. */
  private async appendAny(records: readonly MetadataRecord[]): Promise<MetadataOffset | null> {
    return records.length === 0 ? null : this.log.append(records);
  }

  private write(
    decide: (image: MetadataImage) => MetadataRecord[],
    validateOnly: boolean,
  ): Promise<WriteResult> {
    return this.run(async (image) => {
      const records = decide(image);
      if (validateOnly || records.length === 0) return { offset: null };
      return { offset: await this.log.append(records) };
    });
  }

  /** Runs `operation` after every earlier one, on the current committed image, if still active. */
  private run<T>(operation: (image: MetadataImage) => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (!this.active) {
        throw new KafkaError('NOT_CONTROLLER', 'This is not the correct controller for this cluster.');
      }
      return operation(this.log.image());
    });
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private uncleanPolicy(image: MetadataImage): (topic: TopicImage) => boolean {
    return (topic) => {
      const value = image.configs.get(`topic:${topic.name}`)?.get('unclean.leader.election.enable');
      return value === undefined ? this.config.uncleanLeaderElectionEnable : value === 'true';
    };
  }
}
