// Serves controller RPCs on this node: decoded requests go to the local QuorumController, which answers
// NOT_CONTROLLER unless it is the active one.
import { ReadIndexError } from '../../raft/driver.ts';
import type { RaftStatus } from '../../raft/node.ts';
import type { LogIndex, NodeId } from '../../raft/types.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import type { QuorumController } from '../metadata/controller/quorum-controller.ts';
import type { ControllerMessages, ControllerOperation } from '../metadata/controller/rpc-codec.ts';
import {
  type BrokerId,
  brokerEpoch,
  brokerId,
  leaderEpoch,
  partitionEpoch,
  partitionId,
  topicId,
} from '../metadata/ids.ts';
import {
  bindingFromMessage,
  bindingToMessage,
  filterFromMessage,
  itemResult,
} from '../metadata/controller/security-rpc.ts';
import type { ControllerRpcHandler, PeerConnection } from '../http/internal-controller-routes.ts';
import type { QuorumTracker } from './quorum-tracker.ts';

type Handlers = {
  [O in ControllerOperation]: (
    request: ControllerMessages[O]['request'],
    connection: PeerConnection | null,
  ) => Promise<ControllerMessages[O]['response']>;
};

/** What the controller RPCs need of the metadata Raft (the RaftDriver, or a simulated node). */
export interface ControllerRaft {
  status(): RaftStatus;
  /** Raft's ReadIndex; rejects with a ReadIndexError where no read index can be had. */
  readIndex(): Promise<LogIndex>;
}

export class ControllerRpc implements ControllerRpcHandler {
  private readonly handlers: Handlers;
  private readonly driver: ControllerRaft;
  private readonly controller: QuorumController;
  /** The broker that heartbeats on each connection (a broker heartbeats on one at a time). */
  private readonly heartbeatsOn = new WeakMap<PeerConnection, BrokerId>();

  constructor(options: {
    clusterId: string;
    controller: QuorumController;
    driver: ControllerRaft;
    quorum: QuorumTracker;
    nowMs: () => number;
  }) {
    const { controller, driver, quorum, clusterId } = options;
    this.driver = driver;
    this.controller = controller;
    const configMap = (entries: readonly { name: string; value?: string }[]) =>
      new Map(entries.map((entry) => [entry.name, entry.value ?? '']));
    this.handlers = {
      'register-broker': async (request) => {
        if (request.clusterId !== clusterId) {
          throw new KafkaError(
            'INCONSISTENT_CLUSTER_ID',
            `The broker's cluster id ${request.clusterId} is not this cluster's (${clusterId}).`,
          );
        }
        const { brokerEpoch: epoch } = await controller.registerBroker({
          brokerId: brokerId(request.brokerId),
          incarnationId: request.incarnationId,
          endpoints: request.endpoints,
          rack: request.rack ?? null,
          processRoles: request.processRoles,
        });
        return { brokerEpoch: epoch };
      },
      'broker-heartbeat': (request, connection) => {
        const broker = brokerId(request.brokerId);
        if (connection !== null) this.heartbeatsOn.set(connection, broker);
        return controller.brokerHeartbeat(
          {
            brokerId: broker,
            brokerEpoch: brokerEpoch(request.brokerEpoch),
            currentMetadataOffset: request.currentMetadataOffset,
            wantFence: request.wantFence,
            wantShutDown: request.wantShutDown,
          },
          options.nowMs(),
        );
      },
      'create-topic': async (request) => {
        const result = await controller.createTopic({
          name: request.name,
          ...(request.partitionsCount !== undefined ? { partitionsCount: request.partitionsCount } : {}),
          ...(request.replicationFactor !== undefined
            ? { replicationFactor: request.replicationFactor }
            : {}),
          configs: configMap(request.configs),
          validateOnly: request.validateOnly,
          ...(request.assignments !== undefined && request.assignments.length > 0
            ? { assignments: request.assignments.map((assignment) => assignment.brokerIds) }
            : {}),
        });
        return { topicId: result.topicId, ...(result.offset !== null ? { offset: result.offset } : {}) };
      },
      'delete-topic': async (request) => writeResponse(await controller.deleteTopic(request.name)),
      'create-partitions': async (request) =>
        writeResponse(
          await controller.createPartitions(
            request.name,
            request.partitionsCount,
            request.validateOnly,
            request.assignments !== undefined && request.assignments.length > 0
              ? request.assignments.map((assignment) => assignment.brokerIds)
              : null,
          ),
        ),
      'alter-configs': async (request) =>
        writeResponse(
          await controller.alterTopicConfigs(
            request.name,
            request.alterations.map((entry) => ({ name: entry.name, value: entry.value ?? null })),
            request.validateOnly,
          ),
        ),
      'alter-partition': async (request) => {
        const partition = await controller.alterPartition({
          brokerId: brokerId(request.brokerId),
          brokerEpoch: brokerEpoch(request.brokerEpoch),
          topicId: topicId(request.topicId),
          partitionId: partitionId(request.partitionId),
          leaderEpoch: leaderEpoch(request.leaderEpoch),
          partitionEpoch: partitionEpoch(request.partitionEpoch),
          newIsr: request.newIsr.map(brokerId),
        });
        return { ...partition, replicas: [...partition.replicas], isr: [...partition.isr] };
      },
      'allocate-producer-ids': (request) =>
        controller.allocateProducerIds({
          brokerId: brokerId(request.brokerId),
          brokerEpoch: brokerEpoch(request.brokerEpoch),
        }),
      'read-index': async () => {
        // Raft's ReadIndex (thesis §6.4): the commit index once a quorum has confirmed, after this request
        // arrived, that this node still leads. A deposed leader that has not noticed yet (paused, cut off)
        // cannot get that confirmation, so it never answers with a stale index.
        if (!controller.isActive()) {
          throw new KafkaError('NOT_CONTROLLER', 'This node is not the active controller.');
        }
        try {
          return { offset: await driver.readIndex() };
        } catch (error) {
          if (!(error instanceof ReadIndexError)) throw error;
          throw new KafkaError('NOT_CONTROLLER', `No read index here: ${error.message}.`, { cause: error });
        }
      },
      'create-acls': async (request) => {
        const { offset, errors } = await controller.createAcls(request.creations.map(bindingFromMessage));
        return { ...offsetField(offset), results: errors.map((error) => itemResult(error)) };
      },
      'delete-acls': async (request) => {
        const { offset, deleted } = await controller.deleteAcls(request.filters.map(filterFromMessage));
        return {
          ...offsetField(offset),
          results: deleted.map((acls) => ({ acls: acls.map(bindingToMessage) })),
        };
      },
      'alter-scram-credentials': async (request) => {
        const { offset, results } = await controller.alterUserScramCredentials(
          request.upsertions.map((upsertion) => ({
            ...upsertion,
            salt: Buffer.from(upsertion.salt),
            saltedPassword: Buffer.from(upsertion.saltedPassword),
          })),
          request.deletions,
        );
        return { ...offsetField(offset), results: results.map(({ user, error }) => itemResult(error, user)) };
      },
      'alter-client-quotas': async (request) => {
        const { offset, errors } = await controller.alterClientQuotas(
          request.entries.map((entry) => ({
            user: entry.user ?? null,
            ops: entry.ops.map((op) => ({ key: op.key, value: op.value ?? null })),
          })),
          request.validateOnly,
        );
        return { ...offsetField(offset), results: errors.map((error) => itemResult(error)) };
      },
      'describe-quorum': async () => {
        const status = driver.status();
        if (status.role !== 'leader') {
          throw new KafkaError('NOT_CONTROLLER', 'This node does not lead the metadata quorum.');
        }
        return quorum.describe(status, options.nowMs());
      },
    };
  }

  handle<O extends ControllerOperation>(
    operation: O,
    request: ControllerMessages[O]['request'],
    connection: PeerConnection | null = null,
  ): Promise<ControllerMessages[O]['response']> {
    const handler = this.handlers[operation] as (
      request: ControllerMessages[O]['request'],
      connection: PeerConnection | null,
    ) => Promise<ControllerMessages[O]['response']>;
    return handler(request, connection);
  }

  /**
   * Every metadata Raft connection from `peer` closed. When `peer` leads the metadata quorum, as this node
   * last heard, it was sending here all the time: its process is likely gone (kill -9), and this node may
   * be the next controller. Any other peer's Raft connections may close while it idles: they prove nothing.
   */
  raftPeerDisconnected(peer: NodeId): void {
    if (peer === this.driver.status().leader) this.controller.connectionLost(brokerId(peer));
  }

  connectionClosed(connection: PeerConnection): void {
    const broker = this.heartbeatsOn.get(connection);
    if (broker === undefined) return;
    this.heartbeatsOn.delete(connection);
    this.controller.connectionLost(broker);
  }

  leaderHint(): number {
    return this.driver.status().leader;
  }
}

function offsetField(offset: number | null): { offset?: number } {
  return offset === null ? {} : { offset };
}

function writeResponse(result: { offset: unknown }): { offset?: number; topicId: string } {
  return { topicId: '', ...(typeof result.offset === 'number' ? { offset: result.offset } : {}) };
}
