// Authorization of every Kafka API (src/kafka/handlers/authorization.ts), through the listener's
// dispatcher over the in-memory broker, with an allow-list authorizer: what is granted works, what is
// not gets Kafka's code, a topic that does not exist is refused exactly as one that does, lists are
// filtered, and an authorizer that is off is never asked.
import { beforeEach, describe, expect, it } from 'vitest';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { ACL_OPERATIONS } from '../../src/common/security.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';
import {
  createPartitionsApi,
  createTopicsApi,
  deleteGroupsApi,
  deleteRecordsApi,
  deleteTopicsApi,
  describeClusterApi,
  describeConfigsApi,
  describeGroupsApi,
  fetchApi,
  findCoordinatorApi,
  heartbeatApi,
  incrementalAlterConfigsApi,
  initProducerIdApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  offsetForLeaderEpochApi,
  produceApi,
  syncGroupApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import { defaultCreatePartitionsRequest } from '../../src/kafka/protocol/generated/create-partitions-request.ts';
import {
  defaultCreatableTopic,
  defaultCreateTopicsRequest,
} from '../../src/kafka/protocol/generated/create-topics-request.ts';
import { defaultDeleteGroupsRequest } from '../../src/kafka/protocol/generated/delete-groups-request.ts';
import { defaultDeleteRecordsRequest } from '../../src/kafka/protocol/generated/delete-records-request.ts';
import { defaultDeleteTopicsRequest } from '../../src/kafka/protocol/generated/delete-topics-request.ts';
import { defaultDescribeClusterRequest } from '../../src/kafka/protocol/generated/describe-cluster-request.ts';
import {
  defaultDescribeConfigsRequest,
  defaultDescribeConfigsResource,
} from '../../src/kafka/protocol/generated/describe-configs-request.ts';
import { defaultDescribeGroupsRequest } from '../../src/kafka/protocol/generated/describe-groups-request.ts';
import {
  defaultFetchPartition,
  defaultFetchRequest,
} from '../../src/kafka/protocol/generated/fetch-request.ts';
import { defaultFindCoordinatorRequest } from '../../src/kafka/protocol/generated/find-coordinator-request.ts';
import { defaultHeartbeatRequest } from '../../src/kafka/protocol/generated/heartbeat-request.ts';
import {
  defaultAlterableConfig,
  defaultAlterConfigsResource,
  defaultIncrementalAlterConfigsRequest,
} from '../../src/kafka/protocol/generated/incremental-alter-configs-request.ts';
import { defaultInitProducerIdRequest } from '../../src/kafka/protocol/generated/init-producer-id-request.ts';
import { defaultJoinGroupRequest } from '../../src/kafka/protocol/generated/join-group-request.ts';
import { defaultLeaveGroupRequest } from '../../src/kafka/protocol/generated/leave-group-request.ts';
import { defaultListGroupsRequest } from '../../src/kafka/protocol/generated/list-groups-request.ts';
import {
  defaultListOffsetsPartition,
  defaultListOffsetsRequest,
} from '../../src/kafka/protocol/generated/list-offsets-request.ts';
import { defaultMetadataRequest } from '../../src/kafka/protocol/generated/metadata-request.ts';
import { defaultOffsetCommitRequest } from '../../src/kafka/protocol/generated/offset-commit-request.ts';
import { defaultOffsetFetchRequest } from '../../src/kafka/protocol/generated/offset-fetch-request.ts';
import {
  defaultOffsetForLeaderEpochRequest,
  defaultOffsetForLeaderPartition,
} from '../../src/kafka/protocol/generated/offset-for-leader-epoch-request.ts';
import { defaultProduceRequest } from '../../src/kafka/protocol/generated/produce-request.ts';
import { defaultSyncGroupRequest } from '../../src/kafka/protocol/generated/sync-group-request.ts';
import type { RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { AllowListAuthorizer, NEVER_ASKED, userSession } from '../common/allow-list-authorizer.ts';
import { answer } from './exchange.ts';
import { batchOf, type FakeBroker, servedFakeBroker } from './fake-broker.ts';

const TOPIC_DENIED = KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code;
const GROUP_DENIED = KafkaErrors.GROUP_AUTHORIZATION_FAILED.code;
const CLUSTER_DENIED = KafkaErrors.CLUSTER_AUTHORIZATION_FAILED.code;
const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;

const alice = userSession('alice');
const mallory = userSession('mallory');

let broker: FakeBroker;
let dispatcher: RequestDispatcher;
let authorizer: AllowListAuthorizer;

beforeEach(async () => {
  authorizer = new AllowListAuthorizer();
  ({ broker, dispatcher } = await servedFakeBroker({ replicationFactor: 1, authorizer }));
  // The fake coordinator's one __consumer_offsets partition finishes loading.
  await new Promise((resolve) => setImmediate(resolve));
});

/** A response as text (bigints too), to compare two answers whole. */
function text(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) => (typeof field === 'bigint' ? `${field}n` : field));
}

function bit(...operations: (keyof typeof ACL_OPERATIONS)[]): number {
  return operations.reduce((field, operation) => field | (1 << ACL_OPERATIONS[operation]), 0);
}

function produceTo(topic: string) {
  return {
    ...defaultProduceRequest(),
    acks: 1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batchOf('x') }] }],
  };
}

describe('topics: data', () => {
  it('Produce needs WRITE on the topic; an unknown topic is refused as a known one', async () => {
    authorizer.grant('User:alice', 'WRITE', 'TOPIC', 'orders');
    const allowed = await answer(dispatcher, produceApi, 9, produceTo('orders'), alice);
    expect(allowed.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    const refused = await answer(dispatcher, produceApi, 9, produceTo('orders'), mallory);
    const ghost = await answer(dispatcher, produceApi, 9, produceTo('ghost'), mallory);
    expect(refused.responses[0]!.partitionResponses[0]!.errorCode).toBe(TOPIC_DENIED);
    expect(text(ghost).replaceAll('ghost', 'orders')).toBe(text(refused));
    // Nothing was appended for the refused produce.
    expect(broker.partitions.offsets('orders', 0).highWatermark).toBe(1);
  });

  it('Fetch needs READ on the topic (by name and by id)', async () => {
    await broker.partitions.append('orders', 0, batchOf('a'), { acks: -1, timeoutMs: 1000 });
    authorizer.grant('User:alice', 'READ', 'TOPIC', 'orders');
    const id = topicByName(broker.image(), 'orders')!.id;
    const fetchOf = (topic: string, topicId: string) => ({
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      topics: [
        {
          topic,
          topicId,
          partitions: [{ ...defaultFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }],
        },
      ],
    });
    const byName = await answer(
      dispatcher,
      fetchApi,
      12,
      fetchOf('orders', '00000000-0000-0000-0000-000000000000'),
      alice,
    );
    expect(byName.responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(byName.responses[0]!.partitions[0]!.records?.length).toBeGreaterThan(0);
    const byId = await answer(dispatcher, fetchApi, 13, fetchOf('', id), mallory);
    expect(byId.responses[0]!.partitions[0]!).toMatchObject({ errorCode: TOPIC_DENIED, records: new Uint8Array(0) });
    const refused = await answer(
      dispatcher,
      fetchApi,
      12,
      fetchOf('orders', '00000000-0000-0000-0000-000000000000'),
      mallory,
    );
    const ghost = await answer(
      dispatcher,
      fetchApi,
      12,
      fetchOf('ghost', '00000000-0000-0000-0000-000000000000'),
      mallory,
    );
    expect(refused.responses[0]!.partitions[0]!.errorCode).toBe(TOPIC_DENIED);
    expect(text(ghost).replaceAll('ghost', 'orders')).toBe(text(refused));
  });

  it('ListOffsets and OffsetForLeaderEpoch need DESCRIBE on the topic', async () => {
    authorizer.grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders');
    const list = (topic: string) => ({
      ...defaultListOffsetsRequest(),
      topics: [
        {
          name: topic,
          partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -1n }],
        },
      ],
    });
    expect(
      (await answer(dispatcher, listOffsetsApi, 7, list('orders'), alice)).topics[0]!.partitions[0]!
        .errorCode,
    ).toBe(0);
    for (const topic of ['orders', 'ghost'])
      expect(
        (await answer(dispatcher, listOffsetsApi, 7, list(topic), mallory)).topics[0]!.partitions[0]!
          .errorCode,
      ).toBe(TOPIC_DENIED);
    const epochs = (topic: string) => ({
      ...defaultOffsetForLeaderEpochRequest(),
      topics: [
        { topic, partitions: [{ ...defaultOffsetForLeaderPartition(), partition: 0, leaderEpoch: 0 }] },
      ],
    });
    expect(
      (await answer(dispatcher, offsetForLeaderEpochApi, 4, epochs('orders'), alice)).topics[0]!
        .partitions[0]!.errorCode,
    ).toBe(0);
    for (const topic of ['orders', 'ghost'])
      expect(
        (await answer(dispatcher, offsetForLeaderEpochApi, 4, epochs(topic), mallory)).topics[0]!
          .partitions[0]!.errorCode,
      ).toBe(TOPIC_DENIED);
  });

  it('DeleteRecords needs DELETE on the topic', async () => {
    await broker.partitions.append('orders', 0, batchOf('a', 'b'), { acks: -1, timeoutMs: 1000 });
    authorizer.grant('User:alice', 'DELETE', 'TOPIC', 'orders');
    const request = (topic: string) => ({
      ...defaultDeleteRecordsRequest(),
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 1n }] }],
    });
    for (const topic of ['orders', 'ghost'])
      expect(
        (await answer(dispatcher, deleteRecordsApi, 2, request(topic), mallory)).topics[0]!.partitions[0]!
          .errorCode,
      ).toBe(TOPIC_DENIED);
    const allowed = await answer(dispatcher, deleteRecordsApi, 2, request('orders'), alice);
    expect(allowed.topics[0]!.partitions[0]!).toMatchObject({ errorCode: 0, lowWatermark: 1n });
  });
});

describe('Metadata', () => {
  beforeEach(async () => {
    await broker.node.createTopic({
      name: 'secret',
      partitionsCount: 1,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
  });

  it('an all-topics answer leaves out the topics the principal may not describe', async () => {
    authorizer.grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders');
    const all = await answer(
      dispatcher,
      metadataApi,
      12,
      { ...defaultMetadataRequest(), topics: null },
      alice,
    );
    expect(all.topics.map((topic) => topic.name)).toEqual(['orders']);
    const none = await answer(
      dispatcher,
      metadataApi,
      12,
      { ...defaultMetadataRequest(), topics: null },
      mallory,
    );
    expect(none.topics).toEqual([]);
    // Brokers and the cluster id are everyone's.
    expect(none.brokers.length).toBeGreaterThan(0);
  });

  it('a named topic not describable is refused, whether or not it exists', async () => {
    const named = (name: string) => ({
      ...defaultMetadataRequest(),
      topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }],
      allowAutoTopicCreation: true,
    });
    const secret = await answer(dispatcher, metadataApi, 12, named('secret'), mallory);
    const ghost = await answer(dispatcher, metadataApi, 12, named('ghost'), mallory);
    expect(secret.topics[0]).toMatchObject({ name: 'secret', errorCode: TOPIC_DENIED, partitions: [] });
    expect(text(ghost.topics).replaceAll('ghost', 'secret')).toBe(text(secret.topics));
    // Nothing was auto-created for the refused name.
    expect(topicByName(broker.image(), 'ghost')).toBeUndefined();
  });

  it('a named topic by id: refused without DESCRIBE, and no name told', async () => {
    const id = topicByName(broker.image(), 'secret')!.id;
    const byId = await answer(
      dispatcher,
      metadataApi,
      12,
      { ...defaultMetadataRequest(), topics: [{ name: null, topicId: id }] },
      mallory,
    );
    expect(byId.topics[0]).toMatchObject({ name: null, topicId: id, errorCode: TOPIC_DENIED });
  });

  it('auto-creation needs CREATE on the cluster or the topic', async () => {
    authorizer.grant('User:alice', 'DESCRIBE', 'TOPIC', '*');
    const ask = (name: string) => ({
      ...defaultMetadataRequest(),
      topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }],
      allowAutoTopicCreation: true,
    });
    expect((await answer(dispatcher, metadataApi, 12, ask('fresh'), alice)).topics[0]!.errorCode).toBe(
      TOPIC_DENIED,
    );
    expect(topicByName(broker.image(), 'fresh')).toBeUndefined();
    authorizer.grant('User:alice', 'CREATE', 'TOPIC', 'fresh');
    expect((await answer(dispatcher, metadataApi, 12, ask('fresh'), alice)).topics[0]!.errorCode).toBe(
      KafkaErrors.LEADER_NOT_AVAILABLE.code,
    );
    expect(topicByName(broker.image(), 'fresh')).toBeDefined();
    authorizer.grant('User:alice', 'CREATE', 'CLUSTER', 'kafka-cluster');
    expect((await answer(dispatcher, metadataApi, 12, ask('fresher'), alice)).topics[0]!.errorCode).toBe(
      KafkaErrors.LEADER_NOT_AVAILABLE.code,
    );
  });

  it('topic and cluster authorized operations when asked', async () => {
    authorizer
      .grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders')
      .grant('User:alice', 'READ', 'TOPIC', 'orders');
    authorizer.grant('User:alice', 'DESCRIBE', 'CLUSTER', 'kafka-cluster');
    const answered = await answer(
      dispatcher,
      metadataApi,
      10,
      {
        ...defaultMetadataRequest(),
        topics: null,
        includeTopicAuthorizedOperations: true,
        includeClusterAuthorizedOperations: true,
      },
      alice,
    );
    expect(answered.topics[0]!.topicAuthorizedOperations).toBe(bit('READ', 'DESCRIBE'));
    expect(answered.clusterAuthorizedOperations).toBe(bit('DESCRIBE'));
    const refused = await answer(
      dispatcher,
      metadataApi,
      10,
      { ...defaultMetadataRequest(), topics: null, includeClusterAuthorizedOperations: true },
      mallory,
    );
    expect(refused.clusterAuthorizedOperations).toBe(0);
  });
});

describe('topics: administration', () => {
  it('CreateTopics needs CREATE on the cluster or on the topic', async () => {
    const create = (...names: string[]) => ({
      ...defaultCreateTopicsRequest(),
      topics: names.map((name) => ({
        ...defaultCreatableTopic(),
        name,
        numPartitions: 1,
        replicationFactor: 1,
      })),
    });
    authorizer.grant('User:alice', 'CREATE', 'TOPIC', 'mine');
    const answered = await answer(dispatcher, createTopicsApi, 7, create('mine', 'theirs'), alice);
    expect(answered.topics.map((topic) => [topic.name, topic.errorCode])).toEqual([
      ['mine', 0],
      ['theirs', TOPIC_DENIED],
    ]);
    expect(topicByName(broker.image(), 'theirs')).toBeUndefined();
    // An existing topic is refused as a new one: TOPIC_ALREADY_EXISTS is for who may create it.
    const existing = await answer(dispatcher, createTopicsApi, 7, create('orders'), mallory);
    expect(existing.topics[0]!.errorCode).toBe(TOPIC_DENIED);
    authorizer.grant('User:alice', 'CREATE', 'CLUSTER', 'kafka-cluster');
    expect((await answer(dispatcher, createTopicsApi, 7, create('theirs'), alice)).topics[0]!.errorCode).toBe(
      0,
    );
  });

  it('DeleteTopics needs DELETE; by id, DESCRIBE too or the name is not told', async () => {
    const id = topicByName(broker.image(), 'orders')!.id;
    const byName = (name: string) => ({
      ...defaultDeleteTopicsRequest(),
      topics: [{ name, topicId: '00000000-0000-0000-0000-000000000000' }],
    });
    for (const name of ['orders', 'ghost'])
      expect(
        (await answer(dispatcher, deleteTopicsApi, 6, byName(name), mallory)).responses[0]!.errorCode,
      ).toBe(TOPIC_DENIED);
    const byId = await answer(
      dispatcher,
      deleteTopicsApi,
      6,
      { ...defaultDeleteTopicsRequest(), topics: [{ name: null, topicId: id }] },
      mallory,
    );
    expect(byId.responses[0]).toMatchObject({ name: null, errorCode: TOPIC_DENIED });
    authorizer.grant('User:alice', 'DELETE', 'TOPIC', 'orders');
    expect(
      (await answer(dispatcher, deleteTopicsApi, 6, byName('orders'), alice)).responses[0]!.errorCode,
    ).toBe(0);
    expect(topicByName(broker.image(), 'orders')).toBeUndefined();
  });

  it('CreatePartitions needs ALTER on the topic', async () => {
    const grow = (name: string) => ({
      ...defaultCreatePartitionsRequest(),
      topics: [{ name, count: 5, assignments: null }],
    });
    for (const name of ['orders', 'ghost'])
      expect(
        (await answer(dispatcher, createPartitionsApi, 3, grow(name), mallory)).results[0]!.errorCode,
      ).toBe(TOPIC_DENIED);
    expect(topicByName(broker.image(), 'orders')!.partitions.size).toBe(3);
    authorizer.grant('User:alice', 'ALTER', 'TOPIC', 'orders');
    expect(
      (await answer(dispatcher, createPartitionsApi, 3, grow('orders'), alice)).results[0]!.errorCode,
    ).toBe(0);
  });

  it('configs: DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic, or on the cluster for a broker', async () => {
    const describeOf = (resourceType: number, resourceName: string) => ({
      ...defaultDescribeConfigsRequest(),
      resources: [{ ...defaultDescribeConfigsResource(), resourceType, resourceName }],
    });
    for (const name of ['orders', 'ghost'])
      expect(
        (await answer(dispatcher, describeConfigsApi, 4, describeOf(TOPIC_RESOURCE, name), mallory))
          .results[0]!.errorCode,
      ).toBe(TOPIC_DENIED);
    expect(
      (await answer(dispatcher, describeConfigsApi, 4, describeOf(BROKER_RESOURCE, '1'), mallory)).results[0]!
        .errorCode,
    ).toBe(CLUSTER_DENIED);
    authorizer
      .grant('User:alice', 'DESCRIBE_CONFIGS', 'TOPIC', 'orders')
      .grant('User:alice', 'DESCRIBE_CONFIGS', 'CLUSTER', 'kafka-cluster');
    const topic = await answer(
      dispatcher,
      describeConfigsApi,
      4,
      describeOf(TOPIC_RESOURCE, 'orders'),
      alice,
    );
    expect(topic.results[0]!.errorCode).toBe(0);
    expect(topic.results[0]!.configs.length).toBeGreaterThan(0);
    expect(
      (await answer(dispatcher, describeConfigsApi, 4, describeOf(BROKER_RESOURCE, '1'), alice)).results[0]!
        .errorCode,
    ).toBe(0);

    const alter = (name: string) => ({
      ...defaultIncrementalAlterConfigsRequest(),
      resources: [
        {
          ...defaultAlterConfigsResource(),
          resourceType: TOPIC_RESOURCE,
          resourceName: name,
          configs: [{ ...defaultAlterableConfig(), name: 'retention.ms', configOperation: 0, value: '1000' }],
        },
      ],
    });
    for (const name of ['orders', 'ghost'])
      expect(
        (await answer(dispatcher, incrementalAlterConfigsApi, 1, alter(name), alice)).responses[0]!.errorCode,
      ).toBe(TOPIC_DENIED);
    authorizer.grant('User:alice', 'ALTER_CONFIGS', 'TOPIC', 'orders');
    expect(
      (await answer(dispatcher, incrementalAlterConfigsApi, 1, alter('orders'), alice)).responses[0]!
        .errorCode,
    ).toBe(0);
  });
});

describe('cluster', () => {
  it('InitProducerId: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic', async () => {
    const init = () =>
      answer(
        dispatcher,
        initProducerIdApi,
        4,
        { ...defaultInitProducerIdRequest(), transactionalId: null },
        alice,
      );
    expect((await init()).errorCode).toBe(CLUSTER_DENIED);
    authorizer.grant('User:alice', 'WRITE', 'TOPIC', 'orders');
    expect((await init()).errorCode).toBe(0);
    const bob = userSession('bob');
    authorizer.grant('User:bob', 'IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster');
    expect(
      (
        await answer(
          dispatcher,
          initProducerIdApi,
          4,
          { ...defaultInitProducerIdRequest(), transactionalId: null },
          bob,
        )
      ).errorCode,
    ).toBe(0);
  });

  it('an authorizer that can say "WRITE on some topic" is asked that, not about each topic', async () => {
    const byType = Object.assign(new AllowListAuthorizer(), {
      authorizeByResourceType: (_session: unknown, operation: string, resourceType: string) =>
        operation === 'WRITE' && resourceType === 'TOPIC',
    });
    ({ broker, dispatcher } = await servedFakeBroker({ authorizer: byType }));
    expect(
      (
        await answer(
          dispatcher,
          initProducerIdApi,
          4,
          { ...defaultInitProducerIdRequest(), transactionalId: null },
          mallory,
        )
      ).errorCode,
    ).toBe(0);
    expect(byType.asked.filter((asked) => asked.resourceType === 'TOPIC')).toEqual([]);
  });

  it('DescribeCluster answers everyone; its authorized operations only who may DESCRIBE the cluster', async () => {
    authorizer
      .grant('User:alice', 'DESCRIBE', 'CLUSTER', 'kafka-cluster')
      .grant('User:alice', 'ALTER', 'CLUSTER', 'kafka-cluster');
    const request = { ...defaultDescribeClusterRequest(), includeClusterAuthorizedOperations: true };
    const mine = await answer(dispatcher, describeClusterApi, 1, request, alice);
    expect(mine.clusterAuthorizedOperations).toBe(bit('ALTER', 'DESCRIBE'));
    const theirs = await answer(dispatcher, describeClusterApi, 1, request, mallory);
    expect(theirs.errorCode).toBe(0);
    expect(theirs.brokers.length).toBeGreaterThan(0);
    expect(theirs.clusterAuthorizedOperations).toBe(0);
  });
});

describe('groups', () => {
  const subscription = consumerProtocol.encodeSubscription(['orders']);

  async function joinAndSync(groupId: string): Promise<{ memberId: string; generationId: number }> {
    const joinRequest = {
      ...defaultJoinGroupRequest(),
      groupId,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription }],
    };
    const first = await answer(dispatcher, joinGroupApi, 9, joinRequest, alice);
    const joined = await answer(
      dispatcher,
      joinGroupApi,
      9,
      { ...joinRequest, memberId: first.memberId },
      alice,
    );
    expect(joined.errorCode).toBe(0);
    const synced = await answer(
      dispatcher,
      syncGroupApi,
      5,
      {
        ...defaultSyncGroupRequest(),
        groupId,
        generationId: joined.generationId,
        memberId: joined.memberId,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId: joined.memberId, assignment: consumerProtocol.encodeAssignment([]) }],
      },
      alice,
    );
    expect(synced.errorCode).toBe(0);
    return { memberId: joined.memberId, generationId: joined.generationId };
  }

  it('FindCoordinator needs DESCRIBE on the group', async () => {
    authorizer.grant('User:alice', 'DESCRIBE', 'GROUP', 'g');
    const find = (session = alice) =>
      answer(
        dispatcher,
        findCoordinatorApi,
        4,
        { ...defaultFindCoordinatorRequest(), coordinatorKeys: ['g', 'h'] },
        session,
      );
    expect((await find()).coordinators.map((c) => [c.key, c.errorCode])).toEqual([
      ['g', 0],
      ['h', GROUP_DENIED],
    ]);
  });

  it('JoinGroup, SyncGroup, Heartbeat and LeaveGroup need READ on the group', async () => {
    authorizer.grant('User:alice', 'READ', 'GROUP', 'g');
    const joined = await joinAndSync('g');
    const member = { groupId: 'g', memberId: joined.memberId, generationId: joined.generationId };
    expect(
      (await answer(dispatcher, heartbeatApi, 4, { ...defaultHeartbeatRequest(), ...member }, alice))
        .errorCode,
    ).toBe(0);
    expect(
      (await answer(dispatcher, heartbeatApi, 4, { ...defaultHeartbeatRequest(), ...member }, mallory))
        .errorCode,
    ).toBe(GROUP_DENIED);
    const join = await answer(
      dispatcher,
      joinGroupApi,
      9,
      {
        ...defaultJoinGroupRequest(),
        groupId: 'g',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: subscription }],
      },
      mallory,
    );
    expect(join.errorCode).toBe(GROUP_DENIED);
    const sync = await answer(
      dispatcher,
      syncGroupApi,
      5,
      { ...defaultSyncGroupRequest(), ...member, protocolType: 'consumer', protocolName: 'range' },
      mallory,
    );
    expect(sync.errorCode).toBe(GROUP_DENIED);
    const leave = {
      ...defaultLeaveGroupRequest(),
      groupId: 'g',
      members: [{ memberId: joined.memberId, groupInstanceId: null, reason: null }],
    };
    expect((await answer(dispatcher, leaveGroupApi, 5, leave, mallory)).errorCode).toBe(GROUP_DENIED);
    // Still a member after the refused leave.
    expect(broker.coordinator.describeProtocol('g').members).toHaveLength(1);
    expect((await answer(dispatcher, leaveGroupApi, 5, leave, alice)).errorCode).toBe(0);
  });

  it('OffsetCommit: READ on the group, then READ on each topic; OffsetFetch: DESCRIBE on both, filtered', async () => {
    await broker.node.createTopic({
      name: 'secret',
      partitionsCount: 1,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
    const partition = (partitionIndex: number) => ({
      partitionIndex,
      committedOffset: 5n,
      committedLeaderEpoch: -1,
      commitTimestamp: -1n,
      committedMetadata: null,
    });
    const commit = {
      ...defaultOffsetCommitRequest(),
      groupId: 'g',
      topics: [
        { name: 'orders', partitions: [partition(0)] },
        { name: 'secret', partitions: [partition(0)] },
        { name: 'ghost', partitions: [partition(0)] },
      ],
    };
    const codes = (response: { topics: { partitions: { errorCode: number }[] }[] }) =>
      response.topics.map((t) => t.partitions[0]!.errorCode);
    expect(codes(await answer(dispatcher, offsetCommitApi, 8, commit, alice))).toEqual([
      GROUP_DENIED,
      GROUP_DENIED,
      GROUP_DENIED,
    ]);
    authorizer
      .grant('User:alice', 'READ', 'GROUP', 'g')
      .grant('User:alice', 'READ', 'TOPIC', 'orders')
      .grant('User:alice', 'READ', 'TOPIC', 'secret');
    expect(codes(await answer(dispatcher, offsetCommitApi, 8, commit, alice))).toEqual([0, 0, TOPIC_DENIED]);

    const fetchAll = {
      ...defaultOffsetFetchRequest(),
      groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: null }],
    };
    expect((await answer(dispatcher, offsetFetchApi, 8, fetchAll, alice)).groups[0]!.errorCode).toBe(
      GROUP_DENIED,
    );
    authorizer
      .grant('User:alice', 'DESCRIBE', 'GROUP', 'g')
      .grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders');
    const all = await answer(dispatcher, offsetFetchApi, 8, fetchAll, alice);
    expect(all.groups[0]!.topics.map((t) => t.name)).toEqual(['orders']);
    const named = {
      ...defaultOffsetFetchRequest(),
      groups: [
        {
          groupId: 'g',
          memberId: null,
          memberEpoch: -1,
          topics: [
            { name: 'orders', partitionIndexes: [0] },
            { name: 'secret', partitionIndexes: [0] },
          ],
        },
      ],
    };
    const answered = await answer(dispatcher, offsetFetchApi, 8, named, alice);
    expect(
      answered.groups[0]!.topics.map((t) => [
        t.name,
        t.partitions[0]!.errorCode,
        Number(t.partitions[0]!.committedOffset),
      ]),
    ).toEqual([
      ['orders', 0, 5],
      ['secret', TOPIC_DENIED, -1],
    ]);
  });

  it('ListGroups: every group with DESCRIBE on the cluster, else those the principal may describe', async () => {
    authorizer.grant('User:alice', 'READ', 'GROUP', '*');
    await joinAndSync('g');
    await joinAndSync('h');
    const list = (session = alice) =>
      answer(dispatcher, listGroupsApi, 5, defaultListGroupsRequest(), session);
    expect((await list()).groups).toEqual([]);
    authorizer.grant('User:alice', 'DESCRIBE', 'GROUP', 'h');
    expect((await list()).groups.map((g) => g.groupId)).toEqual(['h']);
    authorizer.grant('User:alice', 'DESCRIBE', 'CLUSTER', 'kafka-cluster');
    expect((await list()).groups.map((g) => g.groupId).sort()).toEqual(['g', 'h']);
    expect((await list(mallory)).groups).toEqual([]);
  });

  it('DescribeGroups needs DESCRIBE on the group (with its authorized operations); DeleteGroups DELETE', async () => {
    authorizer.grant('User:alice', 'DESCRIBE', 'GROUP', 'g').grant('User:alice', 'DELETE', 'GROUP', 'g');
    const describe = (session = alice) =>
      answer(
        dispatcher,
        describeGroupsApi,
        5,
        { ...defaultDescribeGroupsRequest(), groups: ['g', 'h'], includeAuthorizedOperations: true },
        session,
      );
    const described = await describe();
    expect(described.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['g', 0],
      ['h', GROUP_DENIED],
    ]);
    expect(described.groups[0]!.authorizedOperations).toBe(bit('DESCRIBE', 'DELETE'));
    const remove = (session = alice) =>
      answer(
        dispatcher,
        deleteGroupsApi,
        2,
        { ...defaultDeleteGroupsRequest(), groupsNames: ['g', 'h'] },
        session,
      );
    expect((await remove(mallory)).results.map((r) => r.errorCode)).toEqual([GROUP_DENIED, GROUP_DENIED]);
    expect((await remove()).results.map((r) => r.errorCode)).toEqual([
      KafkaErrors.GROUP_ID_NOT_FOUND.code,
      GROUP_DENIED,
    ]);
  });
});

describe('authorization off', () => {
  it('asks nothing and changes nothing', async () => {
    ({ broker, dispatcher } = await servedFakeBroker({ replicationFactor: 1, authorizer: NEVER_ASKED }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      (await answer(dispatcher, produceApi, 9, produceTo('orders'), mallory)).responses[0]!
        .partitionResponses[0]!.errorCode,
    ).toBe(0);
    const metadata = await answer(
      dispatcher,
      metadataApi,
      12,
      { ...defaultMetadataRequest(), topics: null, includeTopicAuthorizedOperations: true },
      mallory,
    );
    expect(metadata.topics.map((t) => t.name)).toEqual(['orders']);
    // As Kafka without an authorizer: every supported operation.
    expect(metadata.topics[0]!.topicAuthorizedOperations).toBe(
      bit('READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'),
    );
    expect(
      (
        await answer(
          dispatcher,
          initProducerIdApi,
          4,
          { ...defaultInitProducerIdRequest(), transactionalId: null },
          mallory,
        )
      ).errorCode,
    ).toBe(0);
    const find = await answer(
      dispatcher,
      findCoordinatorApi,
      4,
      { ...defaultFindCoordinatorRequest(), coordinatorKeys: ['g'] },
      mallory,
    );
    expect(find.coordinators[0]!.errorCode).toBe(0);
    const commit = await answer(
      dispatcher,
      offsetCommitApi,
      8,
      {
        ...defaultOffsetCommitRequest(),
        groupId: 'g',
        topics: [
          {
            name: 'orders',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 3n,
                committedLeaderEpoch: -1,
                commitTimestamp: -1n,
                committedMetadata: null,
              },
            ],
          },
        ],
      },
      mallory,
    );
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(0);
  });
});
