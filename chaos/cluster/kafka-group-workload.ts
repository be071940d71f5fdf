import type { NodeId } from '../../raft/types.ts';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { rangeAssign } from '../../src/groups/assignor.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';
import type { ApiCodec } from '../../src/kafka/protocol/codec-support.ts';
import {
  findCoordinatorApi,
  heartbeatApi,
  joinGroupApi,
  offsetCommitApi,
  offsetFetchApi,
  syncGroupApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import { defaultFindCoordinatorRequest } from '../../src/kafka/protocol/generated/find-coordinator-request.ts';
import { defaultHeartbeatRequest } from '../../src/kafka/protocol/generated/heartbeat-request.ts';
import { defaultJoinGroupRequest } from '../../src/kafka/protocol/generated/join-group-request.ts';
import { defaultOffsetCommitRequest } from '../../src/kafka/protocol/generated/offset-commit-request.ts';
import { defaultOffsetFetchRequest } from '../../src/kafka/protocol/generated/offset-fetch-request.ts';
import { defaultSyncGroupRequest } from '../../src/kafka/protocol/generated/sync-group-request.ts';
import type { Prng } from '../sim/prng.ts';
import type { SimCluster } from './cluster.ts';
import { DATA_PARTITIONS, DATA_TOPIC, type DataWorkload } from './data-workload.ts';
import { GroupHistory } from './group-history.ts';
import { decodeResponseFrame, requestFrame } from './kafka-frames.ts';
import { repeatSteps } from './client-loop.ts';
import { SimProcess } from './sim-process.ts';

export const KAFKA_GROUP_ID = 'sim-kafka-group';
/** The Kafka clients' address on the network: outside the cluster, never faulty themselves. */
const KAFKA_CLIENT_ID = 301 as NodeId;
const CONSUMERS = 2;
const HEARTBEAT_INTERVAL_MS = 600;
const REBALANCE_TIMEOUT_MS = 3_000;
/** How long a client waits for an answer; a join may wait for the whole rebalance (Kafka's clients add 5 s). */
const REQUEST_TIMEOUT_MS = 1_500;
const JOIN_TIMEOUT_MS = REBALANCE_TIMEOUT_MS + 1_500;
/** The versions a client of today negotiates (flexible ones). */
const V = { find: 3, join: 7, sync: 5, heartbeat: 4, commit: 8, fetch: 7 } as const;

/** No answer: the node is down, cut off, or closed the connection. */
class KafkaClientError extends Error {
  override readonly name = 'KafkaClientError';
}

/** An error code in an answer, by name where the workload acts on it. */
class KafkaAnswerError extends Error {
  override readonly name = 'KafkaAnswerError';
  readonly code: number;
  constructor(what: string, code: number) {
    super(`${what}: error ${code}`);
    this.code = code;
  }
}

const E = KafkaErrors;

interface KafkaConsumer {
  readonly name: string;
  coordinator: NodeId | null;
  memberId: string;
  generation: number;
  /** The partitions of `data` the last completed sync gave it; null: it must (re)join. */
  assignment: number[] | null;
  heartbeatMs: number;
  /** The next offset to read, per assigned partition that has one (from the committed offset). */
  readonly positions: Map<number, number>;
}

/**
 * Kafka clients in group `sim-kafka-group`, subscribed to `data`, speaking the Kafka protocol to the
 * nodes' listeners (the real handlers and coordinator): FindCoordinator through any node, then JoinGroup
 * (MEMBER_ID_REQUIRED first), SyncGroup (the leader assigns with the range assignor, as a client's
 * assignor would), Heartbeat, OffsetFetch for a newly assigned partition, reads (the data workload's
 * reader), OffsetCommit with the member's generation. An observer fetches the committed offsets from
 * the coordinator now and then. GroupHistory checks what they see, as for the REST consumers.
 */
export class KafkaGroupWorkload {
  readonly history = new GroupHistory();
  private readonly cluster: SimCluster;
  private readonly random: Prng;
  private readonly data: DataWorkload;
  private readonly consumers: KafkaConsumer[] = [];
  private correlationId = 0;

  constructor(cluster: SimCluster, random: Prng, data: DataWorkload) {
    this.cluster = cluster;
    this.random = random;
    this.data = data;
    const process = new SimProcess('kafka-clients', cluster.world.scheduler, 0);
    process.start();
    cluster.world.network.attach(KAFKA_CLIENT_ID, { process, handle: () => new Promise(() => {}) });
    for (let i = 0; i < CONSUMERS; i++) {
      this.consumers.push({
        name: `kafka-consumer-${i}`,
        coordinator: null,
        memberId: '',
        generation: -1,
        assignment: null,
        heartbeatMs: 0,
        positions: new Map(),
      });
    }
  }

  schedule(endUs: number): void {
    const loop = (gapMs: () => number, step: () => Promise<void>) =>
      repeatSteps(this.cluster, endUs, gapMs, step);
    for (const consumer of this.consumers) {
      loop(
        () => this.random.between(40, 200),
        () => this.step(consumer),
      );
    }
    loop(
      () => this.random.between(300, 600),
      async () => {
        await this.observe();
      },
    );
  }

  /** Fetches the group's committed offsets from its coordinator (recorded and checked); whether answered. */
  async observe(): Promise<boolean> {
    try {
      const coordinator = await this.findCoordinator(this.random.pick(this.cluster.config.servers));
      const topics = [{ name: DATA_TOPIC, partitionIndexes: Array.from({ length: DATA_PARTITIONS }, (_, i) => i) }];
      const invokedUs = this.cluster.world.scheduler.now();
      const answer = await this.call(coordinator, offsetFetchApi, V.fetch, {
        ...defaultOffsetFetchRequest(),
        groupId: KAFKA_GROUP_ID,
        topics,
      });
      if (answer.errorCode !== 0) return false;
      const completedUs = this.cluster.world.scheduler.now();
      for (const partition of answer.topics[0]?.partitions ?? []) {
        if (partition.errorCode !== 0) return false;
      }
      for (const partition of answer.topics[0]?.partitions ?? []) {
        this.history.fetched(
          partition.partitionIndex,
          Number(partition.committedOffset),
          invokedUs,
          completedUs,
          `node ${coordinator} (kafka observer)`,
        );
      }
      return true;
    } catch (error) {
      if (error instanceof KafkaClientError || error instanceof KafkaAnswerError) return false;
      throw error;
    }
  }

  private async step(consumer: KafkaConsumer): Promise<void> {
    try {
      await this.stepOnce(consumer);
    } catch (error) {
      if (error instanceof KafkaClientError) {
        consumer.coordinator = null;
        return;
      }
      if (!(error instanceof KafkaAnswerError)) throw error;
      switch (error.code) {
        case E.NOT_COORDINATOR.code:
        case E.COORDINATOR_NOT_AVAILABLE.code:
          consumer.coordinator = null;
          break;
        case E.UNKNOWN_MEMBER_ID.code:
          consumer.memberId = '';
          consumer.assignment = null;
          break;
        case E.REBALANCE_IN_PROGRESS.code:
        case E.ILLEGAL_GENERATION.code:
          consumer.assignment = null;
          break;
        default:
          break; // COORDINATOR_LOAD_IN_PROGRESS, timeouts...: the next step tries again
      }
    }
  }

  private async stepOnce(consumer: KafkaConsumer): Promise<void> {
    const nowMs = () => this.cluster.world.nowMs();
    consumer.coordinator ??= await this.findCoordinator(this.random.pick(this.cluster.config.servers));
    const coordinator = consumer.coordinator;
    if (consumer.assignment === null) {
      await this.joinAndSync(consumer, coordinator);
      consumer.heartbeatMs = nowMs();
    } else if (nowMs() - consumer.heartbeatMs >= HEARTBEAT_INTERVAL_MS) {
      const beat = await this.call(coordinator, heartbeatApi, V.heartbeat, {
        ...defaultHeartbeatRequest(),
        groupId: KAFKA_GROUP_ID,
        generationId: consumer.generation,
        memberId: consumer.memberId,
      });
      if (beat.errorCode !== 0) throw new KafkaAnswerError('Heartbeat', beat.errorCode);
      consumer.heartbeatMs = nowMs();
    }
    const assignment = consumer.assignment;
    if (assignment === null || assignment.length === 0) return;
    const partition = this.random.pick(assignment);
    let position = consumer.positions.get(partition);
    if (position === undefined) {
      const invokedUs = this.cluster.world.scheduler.now();
      const answer = await this.call(coordinator, offsetFetchApi, V.fetch, {
        ...defaultOffsetFetchRequest(),
        groupId: KAFKA_GROUP_ID,
        topics: [{ name: DATA_TOPIC, partitionIndexes: [partition] }],
      });
      if (answer.errorCode !== 0) throw new KafkaAnswerError('OffsetFetch', answer.errorCode);
      const fetched = answer.topics[0]?.partitions[0];
      if (fetched === undefined || fetched.errorCode !== 0)
        throw new KafkaAnswerError('OffsetFetch', fetched?.errorCode ?? E.UNKNOWN_SERVER_ERROR.code);
      const offset = Number(fetched.committedOffset);
      this.history.fetched(
        partition,
        offset,
        invokedUs,
        this.cluster.world.scheduler.now(),
        `node ${coordinator} (${consumer.name})`,
      );
      position = Math.max(0, offset);
      consumer.positions.set(partition, position);
    }
    const read = await this.data.readOnce(partition, position);
    if (read === null || read.nextOffset <= position) return;
    position = read.nextOffset;
    consumer.positions.set(partition, position);
    const done = this.history.commitInvoked(
      partition,
      position,
      this.cluster.world.scheduler.now(),
      `${consumer.name} via node ${coordinator}`,
    );
    let errorCode: number = E.UNKNOWN_SERVER_ERROR.code;
    try {
      const answer = await this.call(coordinator, offsetCommitApi, V.commit, {
        ...defaultOffsetCommitRequest(),
        groupId: KAFKA_GROUP_ID,
        generationIdOrMemberEpoch: consumer.generation,
        memberId: consumer.memberId,
        topics: [
          {
            name: DATA_TOPIC,
            partitions: [
              {
                partitionIndex: partition,
                committedOffset: BigInt(position),
                committedLeaderEpoch: -1,
                commitTimestamp: -1n,
                committedMetadata: '',
              },
            ],
          },
        ],
      });
      errorCode = answer.topics[0]?.partitions[0]?.errorCode ?? E.UNKNOWN_SERVER_ERROR.code;
    } finally {
      done(errorCode === 0, this.cluster.world.scheduler.now());
    }
    if (errorCode !== 0) throw new KafkaAnswerError('OffsetCommit', errorCode);
  }

  /** JoinGroup (with MEMBER_ID_REQUIRED first) and SyncGroup; the leader assigns with the range assignor. */
  private async joinAndSync(consumer: KafkaConsumer, coordinator: NodeId): Promise<void> {
    const request = {
      ...defaultJoinGroupRequest(),
      groupId: KAFKA_GROUP_ID,
      sessionTimeoutMs: this.cluster.config.groups.sessionTimeoutMs,
      rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: consumerProtocol.encodeSubscription([DATA_TOPIC]) }],
    };
    let joined = await this.call(coordinator, joinGroupApi, V.join, { ...request, memberId: consumer.memberId }, JOIN_TIMEOUT_MS);
    if (joined.errorCode === E.MEMBER_ID_REQUIRED.code) {
      consumer.memberId = joined.memberId;
      joined = await this.call(coordinator, joinGroupApi, V.join, { ...request, memberId: consumer.memberId }, JOIN_TIMEOUT_MS);
    }
    if (joined.errorCode !== 0) throw new KafkaAnswerError('JoinGroup', joined.errorCode);
    consumer.memberId = joined.memberId;
    consumer.generation = joined.generationId;
    const assignments: { memberId: string; assignment: Uint8Array }[] = [];
    if (joined.leader === joined.memberId) {
      const subscriptions = joined.members.map(({ memberId, metadata }) => ({
        memberId,
        topics: consumerProtocol.decodeSubscription(metadata) ?? [],
      }));
      const assigned = rangeAssign(subscriptions, (topic) => (topic === DATA_TOPIC ? DATA_PARTITIONS : null));
      for (const [memberId, partitions] of assigned) {
        assignments.push({ memberId, assignment: consumerProtocol.encodeAssignment(partitions) });
      }
    }
    const synced = await this.call(
      coordinator,
      syncGroupApi,
      V.sync,
      {
        ...defaultSyncGroupRequest(),
        groupId: KAFKA_GROUP_ID,
        generationId: joined.generationId,
        memberId: joined.memberId,
        protocolType: 'consumer',
        protocolName: joined.protocolName,
        assignments,
      },
      JOIN_TIMEOUT_MS,
    );
    if (synced.errorCode !== 0) throw new KafkaAnswerError('SyncGroup', synced.errorCode);
    const partitions = consumerProtocol.decodeAssignment(synced.assignment) ?? [];
    // A new generation: positions start again from the committed offsets (as a rebalance does).
    consumer.positions.clear();
    consumer.assignment = partitions.filter(({ topic }) => topic === DATA_TOPIC).map(({ partition }) => partition);
  }

  private async findCoordinator(node: NodeId): Promise<NodeId> {
    const answer = await this.call(node, findCoordinatorApi, V.find, {
      ...defaultFindCoordinatorRequest(),
      key: KAFKA_GROUP_ID,
    });
    if (answer.errorCode !== 0) throw new KafkaAnswerError('FindCoordinator', answer.errorCode);
    return answer.nodeId as NodeId;
  }

  /** One request frame to `node`'s Kafka listener; its decoded response. */
  private async call<Request, Response>(
    node: NodeId,
    codec: ApiCodec<Request, Response>,
    version: number,
    request: Request,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<Response> {
    const correlationId = ++this.correlationId;
    const frame = requestFrame(codec, version, request, correlationId, 'sim-kafka-client');
    let answer: Awaited<ReturnType<SimCluster['world']['network']['call']>>;
    try {
      answer = await this.cluster.world.network.call(KAFKA_CLIENT_ID, node, 'kafka', frame, timeoutMs);
    } catch (error) {
      throw new KafkaClientError(`${codec.name} to node ${node}: ${(error as Error).message}`);
    }
    if (answer.kind !== 'response') throw new KafkaClientError(`${codec.name} to node ${node}: closed (${answer.reason})`);
    const decoded = decodeResponseFrame(codec, version, Buffer.from(answer.frame));
    if (decoded.correlationId !== correlationId) throw new Error(`${codec.name}: another correlation id`);
    return decoded.response;
  }
}
