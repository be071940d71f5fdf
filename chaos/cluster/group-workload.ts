import type { NodeId } from '../../raft/types.ts';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import type { GroupMembership } from '../../src/groups/api.ts';
import {
  decodeGroupResult,
  encodeGroupRequest,
  type GroupOperation,
  type GroupOperations,
} from '../../src/node/group-rpc.ts';
import type { Prng } from '../sim/prng.ts';
import type { SimCluster } from './cluster.ts';
import { DATA_PARTITIONS, DATA_TOPIC, type DataWorkload } from './data-workload.ts';
import { GroupHistory } from './group-history.ts';
import { repeatSteps } from './client-loop.ts';
import { SimProcess } from './sim-process.ts';

export const GROUP_ID = 'sim-group';
/** The group clients' address on the network: outside the cluster, never faulty themselves. */
const GROUP_CLIENT_ID = 300 as NodeId;
const CONSUMERS = 2;
/** A consumer heartbeats when it has not for this long (a third of its session, as Kafka's clients). */
const HEARTBEAT_INTERVAL_MS = 600;
const OBSERVER_FETCHES_IN_FLIGHT_MAX = 2;
/** How long a client waits for a node's answer (the node's GroupService may go on retrying). */
const CLIENT_TIMEOUT_MS = 1_500;

/** A failed group request whose reason is not a KafkaError (no answer, refused, a non-200 status). */
class GroupClientError extends Error {
  override readonly name = 'GroupClientError';
}

/** One consumer of the group: a REST v2 instance on its home node (another once that node is down). */
interface Consumer {
  readonly name: string;
  home: NodeId;
  membership: GroupMembership | null;
  /** When (simulated ms) the coordinator last renewed its session. */
  renewedMs: number;
  /** The next offset to read, per assigned partition that has one (from the committed offset). */
  readonly positions: Map<number, number>;
}

/**
 * Consumers of group `sim-group` subscribed to `data`, each through a node's GroupService (what the REST
 * v2 consumer and offset commit path calls), over the simulated network: join, heartbeat, fetch the
 * committed offset of a newly assigned partition, read from it (the data workload's reader, so every
 * record read is checked too), commit the next offset with the member's generation. An observer fetches
 * the group's committed offsets through a random node now and then, and through every node after
 * healing. GroupHistory checks what they see.
 */
export class GroupWorkload {
  readonly history = new GroupHistory();
  private readonly cluster: SimCluster;
  private readonly random: Prng;
  private readonly data: DataWorkload;
  private readonly process: SimProcess;
  private readonly consumers: Consumer[] = [];

  constructor(cluster: SimCluster, random: Prng, data: DataWorkload) {
    this.cluster = cluster;
    this.random = random;
    this.data = data;
    this.process = new SimProcess('group-clients', cluster.world.scheduler, 0);
    this.process.start();
    cluster.world.network.attach(GROUP_CLIENT_ID, {
      process: this.process,
      handle: () => new Promise(() => {}),
    });
    for (let i = 0; i < CONSUMERS; i++) {
      this.consumers.push({
        name: `consumer-${i}`,
        home: random.pick(cluster.config.servers),
        membership: null,
        renewedMs: 0,
        positions: new Map(),
      });
    }
  }

  /** Runs the consumers and the observer until `endUs`. */
  schedule(endUs: number): void {
    const loop = (gapMs: () => number, step: () => Promise<void>) =>
      repeatSteps(this.cluster, endUs, gapMs, step);
    for (const consumer of this.consumers) {
      loop(
        () => this.random.between(40, 200),
        () => this.step(consumer),
      );
    }
    // The observer does not wait for an answer before its next fetch (one node that does not answer
    // must not hide what the others show meanwhile), up to a few fetches in flight.
    let inFlight = 0;
    loop(
      () => this.random.between(200, 500),
      async () => {
        if (inFlight >= OBSERVER_FETCHES_IN_FLIGHT_MAX) return;
        inFlight++;
        void this.observe(this.random.pick(this.cluster.config.servers))
          .finally(() => inFlight--)
          .catch((error: unknown) => this.cluster.world.fail(error));
      },
    );
  }

  /**
   * Fetches the committed offsets of every `data` partition through `node`'s GroupService (recorded and
   * checked); whether it was answered.
   */
  async observe(node: NodeId): Promise<boolean> {
    const partitions = Array.from({ length: DATA_PARTITIONS }, (_, partition) => ({
      topic: DATA_TOPIC,
      partition,
    }));
    const invokedUs = this.cluster.world.scheduler.now();
    try {
      const offsets = await this.call(node, 'fetch-offsets', { groupId: GROUP_ID, partitions });
      const completedUs = this.cluster.world.scheduler.now();
      for (const { partition, offset } of offsets)
        this.history.fetched(partition, offset, invokedUs, completedUs, `node ${node} (observer)`);
      return true;
    } catch (error) {
      if (error instanceof GroupClientError || isKafkaError(error)) return false;
      throw error;
    }
  }

  /** One step of a consumer: (re)join or heartbeat, then fetch, read and commit one partition. */
  private async step(consumer: Consumer): Promise<void> {
    try {
      await this.stepOnce(consumer);
    } catch (error) {
      if (isKafkaError(error, 'UNKNOWN_MEMBER_ID')) consumer.membership = null;
      // A rebalance this member has not heard of yet: its next step heartbeats (the new assignment).
      else if (isKafkaError(error, 'ILLEGAL_GENERATION')) consumer.renewedMs = Number.NEGATIVE_INFINITY;
      else if (!(error instanceof GroupClientError || isKafkaError(error))) throw error;
      // A client whose node is down makes a new instance on another (the old member expires).
      if (!this.cluster.server(consumer.home).alive) {
        consumer.home = this.random.pick(this.cluster.config.servers);
        consumer.membership = null;
      }
    }
  }

  private async stepOnce(consumer: Consumer): Promise<void> {
    const { groups } = this.cluster.config;
    const previous = consumer.membership;
    const nowMs = () => this.cluster.world.nowMs();
    if (previous === null) {
      consumer.membership = await this.call(consumer.home, 'join', {
        groupId: GROUP_ID,
        memberId: null,
        clientId: consumer.name,
        host: 'sim',
        topics: [DATA_TOPIC],
        sessionTimeoutMs: groups.sessionTimeoutMs,
      });
      consumer.renewedMs = nowMs();
    } else if (nowMs() - consumer.renewedMs >= HEARTBEAT_INTERVAL_MS) {
      consumer.membership = await this.call(consumer.home, 'heartbeat', {
        groupId: GROUP_ID,
        memberId: previous.memberId,
      });
      consumer.renewedMs = nowMs();
    }
    const membership = consumer.membership;
    if (membership === null) return;
    // A new generation: positions start again from the committed offsets (as a rebalance does).
    if (previous === null || previous.generation !== membership.generation) consumer.positions.clear();
    const assigned = membership.assignment.filter(({ topic }) => topic === DATA_TOPIC);
    if (assigned.length === 0) return;
    const { partition } = this.random.pick(assigned);
    let position = consumer.positions.get(partition);
    if (position === undefined) {
      const invokedUs = this.cluster.world.scheduler.now();
      const [committed] = await this.call(consumer.home, 'fetch-offsets', {
        groupId: GROUP_ID,
        partitions: [{ topic: DATA_TOPIC, partition }],
      });
      const offset = committed?.offset ?? -1;
      this.history.fetched(
        partition,
        offset,
        invokedUs,
        this.cluster.world.scheduler.now(),
        `node ${consumer.home} (${consumer.name})`,
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
      `${consumer.name} via node ${consumer.home}`,
    );
    try {
      await this.call(consumer.home, 'commit', {
        groupId: GROUP_ID,
        memberId: membership.memberId,
        generation: membership.generation,
        offsets: [{ topic: DATA_TOPIC, partition, offset: position, metadata: '' }],
      });
    } catch (error) {
      done(false, this.cluster.world.scheduler.now());
      throw error;
    }
    done(true, this.cluster.world.scheduler.now());
  }

  /** One request to `node`'s GroupService, in the product's group RPC encoding. */
  private async call<O extends GroupOperation>(
    node: NodeId,
    operation: O,
    request: GroupOperations[O]['request'],
  ): Promise<GroupOperations[O]['result']> {
    let answer: { readonly status: number; readonly body: Uint8Array | string };
    try {
      answer = await this.cluster.world.network.call(
        GROUP_CLIENT_ID,
        node,
        'group-client',
        { operation, body: encodeGroupRequest(operation, request) },
        CLIENT_TIMEOUT_MS,
      );
    } catch (error) {
      throw new GroupClientError(`${operation} through node ${node}: ${(error as Error).message}`);
    }
    if (answer.status !== 200 || typeof answer.body === 'string') {
      throw new GroupClientError(
        `${operation} through node ${node}: ${answer.status} ${String(answer.body)}`,
      );
    }
    return decodeGroupResult(operation, answer.body);
  }
}
