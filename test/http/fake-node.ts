// A ClusterNode for tests: a MetadataImage built with the real reducer from real records (three
// registered, unfenced brokers, a controller leader), and an AdminApi that validates requests the way
// Kafka's controller does (its errors and messages) and applies the resulting records to the image.
// A test double of the controller only: the real one lives in src/metadata / src/node.

import { randomUUID } from 'node:crypto';
import { Gauge, Registry } from 'prom-client';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type {
  AdminApi,
  ClusterNode,
  ConfigAlteration,
  CreateTopicRequest,
  QuorumDescription,
} from '../../src/http/ports.ts';
import type { BrokerId } from '../../src/metadata/ids.ts';
import {
  brokerEpoch,
  brokerId,
  leaderEpoch,
  metadataOffset,
  partitionEpoch,
  partitionId,
  topicId,
} from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { configResourceKey, emptyImage } from '../../src/metadata/image.ts';
import { topicByName, unfencedBrokers } from '../../src/metadata/queries.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';
import { TOPIC_CONFIGS, topicConfigConflict, validateTopicConfig } from '../../src/metadata/topic-configs.ts';
import { collidingTopic, collisionMessage, validateTopicName } from '../../src/metadata/topic-rules.ts';
import { nodeId, term } from '../../raft/types.ts';
import type { AclBinding, AclEntry } from '../../src/common/security.ts';
import type { AclBindingFilter } from '../../src/metadata/acl-filter.ts';
import {
  decideAlterClientQuotas,
  decideAlterScramCredentials,
  decideCreateAcls,
  decideDeleteAcls,
  type QuotaAlteration,
  type ScramDeletion,
  type ScramUpsertion,
  type UserResult,
} from '../../src/metadata/controller/security-decisions.ts';
import {
  type ClientQuotaEntry,
  describeAcls,
  describeClientQuotas,
  describeScramCredentials,
  type UserScramCredentialsDescription,
} from '../../src/metadata/security-queries.ts';
import { FakeData } from './fake-data.ts';
import { FakeGroups } from './fake-groups.ts';

export const CLUSTER_ID = 'MkU3OEVBNTcwNTJENDM2Qk';

export const QUORUM: QuorumDescription = {
  leaderId: 1,
  leaderEpoch: 4,
  highWatermark: 120,
  voters: [
    {
      replicaId: 1,
      logEndOffset: 125,
      lastFetchTimestamp: 1_700_000_000_000,
      lastCaughtUpTimestamp: 1_700_000_000_000,
    },
    {
      replicaId: 2,
      logEndOffset: 120,
      lastFetchTimestamp: 1_699_999_999_900,
      lastCaughtUpTimestamp: 1_699_999_999_800,
    },
    { replicaId: 3, logEndOffset: 100, lastFetchTimestamp: null, lastCaughtUpTimestamp: null },
  ],
  observers: [
    { replicaId: 4, logEndOffset: 124, lastFetchTimestamp: 1_699_999_999_950, lastCaughtUpTimestamp: null },
  ],
};

const INCARNATION = '11111111-2222-4333-8444-555555555555';

function registration(id: number): MetadataRecord[] {
  return [
    {
      type: 'registerBroker',
      brokerId: brokerId(id),
      incarnationId: INCARNATION,
      endpoints: [
        { name: 'INTERNAL', host: '127.0.0.1', port: 9090 + id, securityProtocol: 'PLAINTEXT' },
        { name: 'CLIENT', host: 'localhost', port: 8080 + id, securityProtocol: 'PLAINTEXT' },
      ],
      rack: id === 3 ? null : `rack-${id}`,
      fenced: true,
      processRoles: ['broker', 'controller'],
    },
  ];
}

export class FakeNode implements ClusterNode, AdminApi {
  readonly clusterId = CLUSTER_ID;
  readonly nodeId: BrokerId;
  readonly admin: AdminApi = this;
  /** Records in memory; `data.failure` injects data-plane errors. */
  readonly data: FakeData = new FakeData(() => this.#image);
  /** Consumer groups in memory (range assignment over this image); `groups.now` is their clock. */
  readonly groups: FakeGroups = new FakeGroups(() => this.#image);
  ready = true;
  /** When set, every admin call fails with it (e.g. NOT_CONTROLLER). */
  failWith: KafkaError | null = null;
  /** When set, describeQuorum throws it (e.g. a plain Error, to test unexpected failures). */
  quorumFailure: unknown = null;
  /** When set, catchUp rejects with it (no controller reachable). */
  catchUpFailure: KafkaError | null = null;
  /** How many read barriers routes have asked for. */
  catchUps = 0;
  #image: MetadataImage = emptyImage();
  #offset = 0;
  /** Batches committed at the controller that this node has not applied yet. */
  #unapplied: MetadataRecord[][] = [];

  /** `id`: the node this one plays (1..3, each registered with a CLIENT endpoint localhost:808<id>). */
  constructor(id = 1) {
    this.nodeId = brokerId(id);
    this.#apply([{ type: 'leaderChange', leaderId: nodeId(2), epoch: term(4) }]);
    for (const id of [1, 2, 3]) this.#apply(registration(id));
    for (const broker of this.#image.brokers.values()) {
      this.#apply([
        {
          type: 'brokerRegistrationChange',
          brokerId: broker.id,
          brokerEpoch: brokerEpoch(broker.epoch),
          fenced: false,
          inControlledShutdown: null,
        },
      ]);
    }
  }

  image(): MetadataImage {
    return this.#image;
  }

  isReady(): boolean {
    return this.ready;
  }

  /** A registry with one gauge: the route's job is the exposition format, not the node's numbers. */
  async metrics(): Promise<{ contentType: string; body: string }> {
    const registry = new Registry();
    new Gauge({
      name: 'kraftling_metadata_offset',
      help: 'The applied metadata offset.',
      registers: [registry],
    }).set(this.#image.offset);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  /** Each broker's Prometheus text for brokerMetrics; an Error is thrown (unreachable); absent: BROKER_NOT_AVAILABLE. */
  readonly brokerMetricsText = new Map<number, string | Error>();

  async brokerMetrics(broker: BrokerId): Promise<string> {
    const text = this.brokerMetricsText.get(broker);
    if (text instanceof Error) throw text;
    if (text === undefined)
      throw new KafkaError('BROKER_NOT_AVAILABLE', `Broker ${broker} cannot be reached.`);
    return text;
  }

  #apply(records: readonly MetadataRecord[]): void {
    this.#offset += 1;
    this.#image = applyBatch(this.#image, records, metadataOffset(this.#offset));
  }

  #check(): void {
    if (this.failWith !== null) throw this.failWith;
  }

  /** Records committed through another node: this node applies them at its next catchUp. */
  commitElsewhere(records: readonly MetadataRecord[]): void {
    this.#unapplied.push([...records]);
  }

  async catchUp(_timeoutMs: number): Promise<void> {
    this.catchUps += 1;
    if (this.catchUpFailure !== null) throw this.catchUpFailure;
    for (const batch of this.#unapplied.splice(0)) this.#apply(batch);
  }

  /** Applies records directly (tests use it for leaderless partitions, fenced brokers, ...). */
  applyRecords(records: readonly MetadataRecord[]): void {
    this.#apply(records);
  }

  #assignments(first: number, count: number, replicationFactor: number): BrokerId[][] {
    const brokers = unfencedBrokers(this.#image)
      .map((broker) => broker.id)
      .sort((a, b) => a - b);
    return Array.from({ length: count }, (_, i) =>
      Array.from({ length: replicationFactor }, (_, r) => brokers[(first + i + r) % brokers.length]!),
    );
  }

  #partitionRecords(id: string, first: number, assignments: readonly BrokerId[][]): MetadataRecord[] {
    return assignments.map((replicas, i) => ({
      type: 'partition',
      topicId: topicId(id),
      partitionId: partitionId(first + i),
      replicas,
      isr: replicas,
      leader: replicas[0]!,
      leaderEpoch: leaderEpoch(0),
      partitionEpoch: partitionEpoch(0),
    }));
  }

  async createTopic(request: CreateTopicRequest): Promise<void> {
    this.#check();
    const nameCheck = validateTopicName(request.name);
    if (!nameCheck.ok) throw new KafkaError('INVALID_TOPIC_EXCEPTION', nameCheck.reason);
    if (topicByName(this.#image, request.name) !== undefined) {
      throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${request.name}' already exists.`);
    }
    const colliding = collidingTopic(this.#image, request.name);
    if (colliding !== null)
      throw new KafkaError('INVALID_TOPIC_EXCEPTION', collisionMessage(request.name, colliding));
    const partitions = request.assignments?.length ?? request.partitionsCount ?? 1;
    const replicationFactor = request.assignments?.[0]?.length ?? request.replicationFactor ?? 1;
    if (partitions < 1)
      throw new KafkaError('INVALID_PARTITIONS', 'Number of partitions must be larger than 0.');
    const brokers = unfencedBrokers(this.#image).length;
    if (replicationFactor > brokers) {
      throw new KafkaError(
        'INVALID_REPLICATION_FACTOR',
        `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers} broker(s) are registered.`,
      );
    }
    const configs = this.#validated(
      request.name,
      new Map(),
      [...request.configs].map(([name, value]) => ({ name, value })),
    );
    if (request.validateOnly) return;
    const id = randomUUID();
    this.#apply([
      { type: 'topic', name: request.name, topicId: topicId(id) },
      ...this.#partitionRecords(
        id,
        0,
        request.assignments?.map((replicas) => replicas.map(brokerId)) ??
          this.#assignments(0, partitions, replicationFactor),
      ),
      ...[...configs].map(
        ([name, value]): MetadataRecord => ({
          type: 'config',
          resourceType: 'topic',
          resourceName: request.name,
          name,
          value,
        }),
      ),
    ]);
  }

  async deleteTopic(name: string): Promise<void> {
    this.#check();
    const topic = this.#existing(name);
    this.#apply([{ type: 'removeTopic', topicId: topic.id }]);
  }

  async createPartitions(
    name: string,
    partitionsCount: number,
    validateOnly: boolean,
    assignments?: readonly (readonly number[])[],
  ): Promise<void> {
    this.#check();
    const topic = this.#existing(name);
    const current = topic.partitions.size;
    if (partitionsCount === current)
      throw new KafkaError('INVALID_PARTITIONS', `Topic already has ${current} partitions.`);
    if (partitionsCount < current) {
      throw new KafkaError(
        'INVALID_PARTITIONS',
        `Topic currently has ${current} partitions, which is higher than the requested ${partitionsCount}.`,
      );
    }
    if (validateOnly) return;
    const replicationFactor = topic.partitions.get(partitionId(0))?.replicas.length ?? 1;
    this.#apply(
      this.#partitionRecords(
        topic.id,
        current,
        assignments?.map((replicas) => replicas.map(brokerId)) ??
          this.#assignments(current, partitionsCount - current, replicationFactor),
      ),
    );
  }

  async alterTopicConfigs(
    name: string,
    alterations: readonly ConfigAlteration[],
    validateOnly: boolean,
  ): Promise<void> {
    this.#check();
    this.#existing(name);
    const current = this.#image.configs.get(configResourceKey('topic', name)) ?? new Map<string, string>();
    const next = this.#validated(name, new Map(current), alterations);
    if (validateOnly) return;
    const records: MetadataRecord[] = alterations.map(({ name: config }) => ({
      type: 'config',
      resourceType: 'topic',
      resourceName: name,
      name: config,
      value: next.get(config) ?? null,
    }));
    this.#apply(records);
  }

  async describeQuorum(): Promise<QuorumDescription> {
    if (this.quorumFailure !== null) throw this.quorumFailure;
    this.#check();
    return QUORUM;
  }

  // --- Security: the controller's real decisions, applied at once -------------------------------------

  async createAcls(bindings: readonly AclBinding[]): Promise<(KafkaError | null)[]> {
    this.#check();
    const { records, errors } = decideCreateAcls(this.#image, bindings, randomUUID);
    if (records.length > 0) this.#apply(records);
    return errors;
  }

  async deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclEntry[][]> {
    this.#check();
    const { records, deleted } = decideDeleteAcls(this.#image, filters);
    if (records.length > 0) this.#apply(records);
    return deleted;
  }

  async describeAcls(filter: AclBindingFilter): Promise<AclEntry[]> {
    return describeAcls(this.#image, filter);
  }

  async alterUserScramCredentials(
    upsertions: readonly ScramUpsertion[],
    deletions: readonly ScramDeletion[],
  ): Promise<UserResult[]> {
    this.#check();
    const { records, results } = decideAlterScramCredentials(this.#image, upsertions, deletions);
    if (records.length > 0) this.#apply(records);
    return results;
  }

  async describeUserScramCredentials(
    users: readonly string[] | null,
  ): Promise<UserScramCredentialsDescription[]> {
    return describeScramCredentials(this.#image, users);
  }

  async alterClientQuotas(
    alterations: readonly QuotaAlteration[],
    validateOnly: boolean,
  ): Promise<(KafkaError | null)[]> {
    this.#check();
    const { records, errors } = decideAlterClientQuotas(this.#image, alterations);
    if (!validateOnly && records.length > 0) this.#apply(records);
    return errors;
  }

  async describeClientQuotas(): Promise<ClientQuotaEntry[]> {
    return describeClientQuotas(this.#image);
  }

  #existing(name: string) {
    const topic = topicByName(this.#image, name);
    if (topic === undefined) {
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
    }
    return topic;
  }

  /** Applies alterations to `overrides` with Kafka's validation; returns the normalized result. */
  #validated(
    topicName: string,
    overrides: Map<string, string>,
    alterations: readonly ConfigAlteration[],
  ): Map<string, string> {
    for (const { name, value } of alterations) {
      if (!TOPIC_CONFIGS.has(name))
        throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${name}`);
      if (value === null) {
        overrides.delete(name);
        continue;
      }
      const checked = validateTopicConfig(name, value);
      if (!checked.ok) throw new KafkaError('INVALID_CONFIG', checked.reason);
      overrides.set(name, checked.value);
    }
    const conflict = topicConfigConflict(overrides, topicName);
    if (conflict !== null) throw new KafkaError('INVALID_CONFIG', conflict);
    return overrides;
  }
}
