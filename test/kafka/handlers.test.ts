// The Kafka API handlers through the listener's dispatcher, over an in-memory broker (fake-broker.ts):
// every advertised version of every API answers and encodes, and each API's rules (Kafka's).
import { beforeEach, describe, expect, it } from 'vitest';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { FETCH_WAIT_MS_MAX } from '../../src/kafka/handlers/fetch.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import { ADVERTISED_VERSIONS, KAFKA_APIS } from '../../src/kafka/protocol/api-keys.ts';
import { defaultApiVersionsRequest } from '../../src/kafka/protocol/generated/api-versions-request.ts';
import {
  apiVersionsApi,
  createPartitionsApi,
  createTopicsApi,
  deleteTopicsApi,
  describeClusterApi,
  fetchApi,
  initProducerIdApi,
  listOffsetsApi,
  metadataApi,
  offsetForLeaderEpochApi,
  produceApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import { defaultCreatePartitionsRequest } from '../../src/kafka/protocol/generated/create-partitions-request.ts';
import {
  defaultCreatableTopic,
  defaultCreateTopicsRequest,
} from '../../src/kafka/protocol/generated/create-topics-request.ts';
import { defaultDeleteTopicsRequest } from '../../src/kafka/protocol/generated/delete-topics-request.ts';
import { defaultDescribeClusterRequest } from '../../src/kafka/protocol/generated/describe-cluster-request.ts';
import {
  defaultFetchPartition,
  defaultFetchRequest,
  type FetchRequest,
} from '../../src/kafka/protocol/generated/fetch-request.ts';
import { defaultInitProducerIdRequest } from '../../src/kafka/protocol/generated/init-producer-id-request.ts';
import {
  defaultListOffsetsPartition,
  defaultListOffsetsRequest,
} from '../../src/kafka/protocol/generated/list-offsets-request.ts';
import {
  defaultMetadataRequest,
  type MetadataRequest,
} from '../../src/kafka/protocol/generated/metadata-request.ts';
import {
  defaultProduceRequest,
  type ProduceRequest,
} from '../../src/kafka/protocol/generated/produce-request.ts';
import { CONNECTION_APIS, RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { answer, exchange } from './exchange.ts';
import { batchOf, type FakeBroker, fakeBroker, servedFakeBroker } from './fake-broker.ts';

let broker: FakeBroker;
let dispatcher: RequestDispatcher;

beforeEach(async () => {
  ({ broker, dispatcher } = await servedFakeBroker());
});

function range(name: string): number[] {
  const versions = ADVERTISED_VERSIONS.get(name)!;
  return Array.from({ length: versions.highest - versions.lowest + 1 }, (_, i) => versions.lowest + i);
}

function topicId(name: string): string {
  return topicByName(broker.image(), name)!.id;
}

function produceRequest(records: Buffer, partition = 0, acks = -1): ProduceRequest {
  return {
    ...defaultProduceRequest(),
    acks,
    timeoutMs: 1000,
    topicData: [{ name: 'orders', partitionData: [{ index: partition, records }] }],
  };
}

function fetchRequest(version: number, overrides: Partial<FetchRequest> = {}, partition = 0): FetchRequest {
  return {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    topics: [
      {
        topic: version < 13 ? 'orders' : '',
        topicId: version >= 13 ? topicId('orders') : '00000000-0000-0000-0000-000000000000',
        partitions: [{ ...defaultFetchPartition(), partition, partitionMaxBytes: 1 << 20 }],
      },
    ],
    ...overrides,
  };
}

describe('every advertised API, at every advertised version', () => {
  it('the advertised APIs are the handlers and the SASL APIs the dispatcher answers, within what the codecs handle, Produce from 0', () => {
    expect([...kafkaApis(broker).map((api) => api.name), ...CONNECTION_APIS].sort()).toEqual(
      [...ADVERTISED_VERSIONS.keys()].sort(),
    );
    expect([...CONNECTION_APIS].sort()).toEqual(['SaslAuthenticate', 'SaslHandshake']);
    for (const api of KAFKA_APIS) {
      if (api.advertised === null) continue;
      expect(api.advertised.lowest).toBeGreaterThanOrEqual(api.codec.lowestVersion);
      expect(api.advertised.highest).toBeLessThanOrEqual(api.codec.highestVersion);
    }
    expect(ADVERTISED_VERSIONS.get('Produce')?.lowest).toBe(0);
  });

  it('answers and encodes a typical exchange of each', async () => {
    await broker.partitions.append('orders', 0, batchOf('a', 'b'), { acks: -1, timeoutMs: 1000 });
    for (const version of range('ApiVersions')) {
      const response = await answer(dispatcher, apiVersionsApi, version, defaultApiVersionsRequest());
      expect(response.errorCode).toBe(0);
    }
    for (const version of range('Metadata')) {
      const request: MetadataRequest = { ...defaultMetadataRequest(), topics: version === 0 ? [] : null };
      const response = await answer(dispatcher, metadataApi, version, request);
      expect(response.topics.map((topic) => topic.name)).toEqual(['orders']);
    }
    for (const version of range('Produce')) {
      const response = await answer(dispatcher, produceApi, version, produceRequest(batchOf(`v${version}`)));
      const partition = response.responses[0]!.partitionResponses[0]!;
      expect(partition.errorCode, `Produce v${version}`).toBe(version < 3 ? 35 : 0);
    }
    for (const version of range('Fetch')) {
      const response = await answer(dispatcher, fetchApi, version, fetchRequest(version));
      const partition = response.responses[0]!.partitions[0]!;
      expect(partition.errorCode, `Fetch v${version}`).toBe(0);
      expect(partition.records?.length).toBeGreaterThan(0);
    }
    for (const version of range('ListOffsets')) {
      const request = {
        ...defaultListOffsetsRequest(),
        topics: [
          {
            name: 'orders',
            partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -1n }],
          },
        ],
      };
      const response = await answer(dispatcher, listOffsetsApi, version, request);
      expect(response.topics[0]!.partitions[0]!.offset, `ListOffsets v${version}`).toBeGreaterThan(0n);
    }
    for (const version of range('OffsetForLeaderEpoch')) {
      const request = {
        replicaId: -2,
        topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
      };
      const response = await answer(dispatcher, offsetForLeaderEpochApi, version, request);
      expect(response.topics[0]!.partitions[0], `OffsetForLeaderEpoch v${version}`).toMatchObject({
        errorCode: 0,
        endOffset: BigInt(broker.partitions.offsets('orders', 0).highWatermark),
        leaderEpoch: version >= 1 ? 0 : -1,
      });
    }
    for (const version of range('CreateTopics')) {
      const request = {
        ...defaultCreateTopicsRequest(),
        topics: [
          { ...defaultCreatableTopic(), name: `created-${version}`, numPartitions: 2, replicationFactor: 1 },
        ],
      };
      const response = await answer(dispatcher, createTopicsApi, version, request);
      expect(response.topics[0]!.errorCode, `CreateTopics v${version}`).toBe(0);
    }
    for (const version of range('CreatePartitions')) {
      const request = {
        ...defaultCreatePartitionsRequest(),
        topics: [{ name: `created-${version}`, count: 3, assignments: null }],
      };
      const response = await answer(dispatcher, createPartitionsApi, version, request);
      expect(response.results[0]!.errorCode, `CreatePartitions v${version}`).toBe(0);
    }
    for (const version of range('DeleteTopics')) {
      const request =
        version >= 6
          ? {
              ...defaultDeleteTopicsRequest(),
              topics: [{ name: null, topicId: topicId(`created-${version}`) }],
            }
          : { ...defaultDeleteTopicsRequest(), topicNames: [`created-${version}`] };
      const response = await answer(dispatcher, deleteTopicsApi, version, request);
      expect(response.responses[0]!.errorCode, `DeleteTopics v${version}`).toBe(0);
      expect(response.responses[0]!.name).toBe(`created-${version}`);
    }
    for (const version of range('DescribeCluster')) {
      const response = await answer(dispatcher, describeClusterApi, version, defaultDescribeClusterRequest());
      expect(response.brokers.map((each) => each.brokerId)).toEqual([1, 2, 3]);
      expect(response.clusterId).toBe(broker.clusterId);
    }
    const ids = new Set<bigint>();
    for (const version of range('InitProducerId')) {
      const response = await answer(dispatcher, initProducerIdApi, version, {
        ...defaultInitProducerIdRequest(),
        transactionalId: null,
      });
      expect(response.errorCode, `InitProducerId v${version}`).toBe(0);
      expect(response.producerEpoch).toBe(0);
      ids.add(response.producerId);
    }
    expect(ids.size).toBe(range('InitProducerId').length);
  });
});

describe('InitProducerId', () => {
  it('refuses a transactional id (transactions are not served): INVALID_REQUEST', async () => {
    const response = await answer(dispatcher, initProducerIdApi, 4, {
      ...defaultInitProducerIdRequest(),
      transactionalId: 'tx-1',
    });
    expect(response.errorCode).toBe(KafkaErrors.INVALID_REQUEST.code);
  });
});

describe('Metadata', () => {
  it('v0: an empty topic list means every topic; v1+: null does, and an empty list means none', async () => {
    const all = await answer(dispatcher, metadataApi, 0, { ...defaultMetadataRequest(), topics: [] });
    expect(all.topics.map((topic) => topic.name)).toEqual(['orders']);
    const none = await answer(dispatcher, metadataApi, 1, { ...defaultMetadataRequest(), topics: [] });
    expect(none.topics).toEqual([]);
  });

  it('lists the brokers at the client listener, the partitions with leaders, epochs, replicas and ISR', async () => {
    const response = await answer(dispatcher, metadataApi, 12, { ...defaultMetadataRequest(), topics: null });
    expect(response.brokers.map((each) => [each.nodeId, each.host, each.port])).toEqual([
      [1, 'localhost', 8081],
      [2, 'localhost', 8082],
      [3, 'localhost', 8083],
    ]);
    expect(response.clusterId).toBe(broker.clusterId);
    expect(response.controllerId).toBe(2);
    const orders = response.topics[0]!;
    expect(orders.topicId).toBe(topicId('orders'));
    expect(orders.partitions.map((partition) => [partition.partitionIndex, partition.leaderId])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(orders.partitions[0]!.isrNodes).toHaveLength(3);
  });

  it('creates an unknown topic a client may create (LEADER_NOT_AVAILABLE meanwhile), as auto.create.topics.enable says', async () => {
    const asked = {
      ...defaultMetadataRequest(),
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'fresh' }],
    };
    const created = await answer(dispatcher, metadataApi, 9, asked);
    expect(created.topics[0]!.errorCode).toBe(KafkaErrors.LEADER_NOT_AVAILABLE.code);
    expect(topicByName(broker.image(), 'fresh')).toBeDefined();

    const noCreate = await answer(dispatcher, metadataApi, 9, {
      ...asked,
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'other' }],
      allowAutoTopicCreation: false,
    });
    expect(noCreate.topics[0]!.errorCode).toBe(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code);
    expect(topicByName(broker.image(), 'other')).toBeUndefined();

    const disabled = fakeBroker({ autoCreateTopics: false });
    const answered = await answer(new RequestDispatcher(kafkaApis(disabled)), metadataApi, 9, asked);
    expect(answered.topics[0]!.errorCode).toBe(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code);
    const invalid = await answer(dispatcher, metadataApi, 9, {
      ...asked,
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'bad name!' }],
    });
    expect(invalid.topics[0]!.errorCode).toBe(KafkaErrors.INVALID_TOPIC_EXCEPTION.code);
  });
});

describe('Produce', () => {
  it('appends on the leader and answers the base offset; another broker leads: NOT_LEADER_OR_FOLLOWER', async () => {
    const first = await answer(dispatcher, produceApi, 9, produceRequest(batchOf('a', 'b', 'c')));
    const second = await answer(dispatcher, produceApi, 9, produceRequest(batchOf('d')));
    expect(first.responses[0]!.partitionResponses[0]!.baseOffset).toBe(0n);
    expect(second.responses[0]!.partitionResponses[0]!.baseOffset).toBe(3n);
    const elsewhere = await answer(dispatcher, produceApi, 9, produceRequest(batchOf('x'), 1));
    const refused = elsewhere.responses[0]!.partitionResponses[0]!;
    expect(refused.errorCode).toBe(KafkaErrors.NOT_LEADER_OR_FOLLOWER.code);
    expect(refused.baseOffset).toBe(-1n);
  });

  it('acks=0 gets no response (a failed one closes the connection); acks other than 0, 1, -1: INVALID_REQUIRED_ACKS; versions 0-2: UNSUPPORTED_VERSION', async () => {
    expect(await exchange(dispatcher, produceApi, 7, produceRequest(batchOf('a'), 0, 0))).toEqual({
      kind: 'none',
      throttleTimeMs: 0,
    });
    // A failed acks=0 produce closes the connection: the client's only hint to refresh its metadata.
    expect(await exchange(dispatcher, produceApi, 7, produceRequest(batchOf('a'), 1, 0))).toMatchObject({
      kind: 'close',
      reason: expect.stringContaining('orders-1 failed with error 6'),
    });
    expect((await broker.partitions.read('orders', 0, { offset: 0, maxBytes: 1 << 20 })).highWatermark).toBe(
      1,
    );
    const two = await answer(dispatcher, produceApi, 7, produceRequest(batchOf('a'), 0, 2));
    expect(two.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrors.INVALID_REQUIRED_ACKS.code);
    const old = await answer(dispatcher, produceApi, 2, produceRequest(batchOf('a')));
    expect(old.responses[0]!.partitionResponses[0]!.errorCode).toBe(35);
  });
});

describe('Fetch', () => {
  it('a fetch of no partitions with min_bytes waits max_wait and answers (it used to wait forever: found by hostile-requests.test.ts)', async () => {
    const started = Date.now();
    const response = await answer(dispatcher, fetchApi, 11, {
      ...defaultFetchRequest(),
      maxWaitMs: 50,
      minBytes: 1,
      topics: [],
    });
    expect(response.responses).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('long-polls until records arrive, then answers them', async () => {
    const waiting = answer(dispatcher, fetchApi, 11, fetchRequest(11, { maxWaitMs: 10_000, minBytes: 1 }));
    await new Promise((resolve) => setImmediate(resolve));
    await broker.partitions.append('orders', 0, batchOf('late'), { acks: -1, timeoutMs: 1000 });
    const response = await waiting;
    const partition = response.responses[0]!.partitions[0]!;
    expect(partition.highWatermark).toBe(1n);
    expect(partition.records?.length).toBeGreaterThan(0);
    expect(response.sessionId).toBe(0);
  });

  it(`waits at most ${FETCH_WAIT_MS_MAX} ms whatever max_wait_ms says`, async () => {
    const waiting = answer(dispatcher, fetchApi, 11, fetchRequest(11, { maxWaitMs: 600_000, minBytes: 1 }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(broker.partitions.waits.length).toBe(1);
    expect(broker.partitions.waits[0]).toBeLessThanOrEqual(FETCH_WAIT_MS_MAX);
    await broker.partitions.append('orders', 0, batchOf('x'), { acks: -1, timeoutMs: 1000 });
    await waiting;
  });

  it('a partition led elsewhere: NOT_LEADER_OR_FOLLOWER without waiting; an unknown topic id: UNKNOWN_TOPIC_ID', async () => {
    const response = await answer(
      dispatcher,
      fetchApi,
      11,
      fetchRequest(11, { maxWaitMs: 10_000, minBytes: 1 }, 1),
    );
    expect(response.responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrors.NOT_LEADER_OR_FOLLOWER.code);
    expect(broker.partitions.waits).toEqual([]);
    const unknown = fetchRequest(13);
    unknown.topics[0]!.topicId = '11111111-1111-4111-8111-111111111111';
    const byId = await answer(dispatcher, fetchApi, 13, unknown);
    expect(byId.responses[0]!.partitions[0]!.errorCode).toBe(KafkaErrors.UNKNOWN_TOPIC_ID.code);
  });

  it('sends the first batch whatever max_bytes says, then holds to max_bytes (KIP-74)', async () => {
    await broker.node.createTopic({
      name: 'two',
      partitionsCount: 4,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
    // Partitions 0 and 3 of "two" are led by broker 1.
    await broker.partitions.append('two', 0, batchOf('x'.repeat(100)), { acks: -1, timeoutMs: 1000 });
    await broker.partitions.append('two', 3, batchOf('y'.repeat(100)), { acks: -1, timeoutMs: 1000 });
    const request: FetchRequest = {
      ...defaultFetchRequest(),
      maxBytes: 10,
      topics: [
        {
          topic: 'two',
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [0, 3].map((partition) => ({
            ...defaultFetchPartition(),
            partition,
            partitionMaxBytes: 1 << 20,
          })),
        },
      ],
    };
    const response = await answer(dispatcher, fetchApi, 11, request);
    const [first, second] = response.responses[0]!.partitions;
    expect(first!.records?.length).toBeGreaterThan(100);
    expect(second!.records?.length ?? 0).toBe(0);
    expect(second!.highWatermark).toBe(1n);
  });
});

describe('ListOffsets', () => {
  it('earliest (-2) and latest (-1); a leader epoch only from version 4', async () => {
    await broker.partitions.append('orders', 0, batchOf('a', 'b'), { acks: -1, timeoutMs: 1000 });
    const ask = (timestamp: bigint) => ({
      ...defaultListOffsetsRequest(),
      topics: [
        { name: 'orders', partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp }] },
      ],
    });
    const latest = await answer(dispatcher, listOffsetsApi, 4, ask(-1n));
    expect(latest.topics[0]!.partitions[0]).toMatchObject({ offset: 2n, leaderEpoch: 0 });
    const earliest = await answer(dispatcher, listOffsetsApi, 1, ask(-2n));
    expect(earliest.topics[0]!.partitions[0]).toMatchObject({ offset: 0n, leaderEpoch: -1 });
    const byTime = await answer(dispatcher, listOffsetsApi, 6, ask(1_700_000_000_000n));
    expect(byTime.topics[0]!.partitions[0]).toMatchObject({ offset: -1n, timestamp: -1n });
  });
});

describe('ListOffsets MAX_TIMESTAMP (-3)', () => {
  it('from version 7: the first record with the largest timestamp and its leader epoch; before, no offset', async () => {
    const stamped = (timestamps: number[]) =>
      buildRecordBatch({
        records: timestamps.map((timestamp) => ({
          timestamp,
          key: null,
          value: Buffer.from('x'),
          headers: [],
        })),
      });
    await broker.partitions.append('orders', 0, stamped([10, 30, 20]), { acks: -1, timeoutMs: 1000 });
    await broker.partitions.append('orders', 0, stamped([30, 5]), { acks: -1, timeoutMs: 1000 });
    const ask = (version: number) =>
      answer(dispatcher, listOffsetsApi, version, {
        ...defaultListOffsetsRequest(),
        topics: [
          {
            name: 'orders',
            partitions: [{ ...defaultListOffsetsPartition(), partitionIndex: 0, timestamp: -3n }],
          },
        ],
      });
    expect((await ask(7)).topics[0]!.partitions[0]).toMatchObject({
      errorCode: 0,
      offset: 1n,
      timestamp: 30n,
      leaderEpoch: 0,
    });
    expect((await ask(6)).topics[0]!.partitions[0]).toMatchObject({ offset: -1n, timestamp: -1n });
  });
});

describe('CreateTopics and DeleteTopics', () => {
  it('answer the controller errors per topic: TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION; manual assignments as Kafka takes them', async () => {
    const again = await answer(dispatcher, createTopicsApi, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [
        { ...defaultCreatableTopic(), name: 'orders', numPartitions: 1, replicationFactor: 1 },
        { ...defaultCreatableTopic(), name: 'defaults', numPartitions: -1, replicationFactor: -1 },
        {
          ...defaultCreatableTopic(),
          name: 'manual',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 1, brokerIds: [3, 1] },
            { partitionIndex: 0, brokerIds: [2, 3] },
          ],
        },
        {
          ...defaultCreatableTopic(),
          name: 'both',
          numPartitions: 2,
          replicationFactor: -1,
          assignments: [{ partitionIndex: 0, brokerIds: [1] }],
        },
        {
          ...defaultCreatableTopic(),
          name: 'gap',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 0, brokerIds: [1] },
            { partitionIndex: 2, brokerIds: [2] },
          ],
        },
      ],
    });
    expect(again.topics.map((topic) => [topic.name, topic.errorCode])).toEqual([
      ['orders', KafkaErrors.TOPIC_ALREADY_EXISTS.code],
      ['defaults', 0],
      ['manual', 0],
      ['both', KafkaErrors.INVALID_REQUEST.code],
      ['gap', KafkaErrors.INVALID_REPLICA_ASSIGNMENT.code],
    ]);
    const manual = topicByName(broker.image(), 'manual')!;
    expect([...manual.partitions.values()].map((partition) => [...partition.replicas])).toEqual([
      [2, 3],
      [3, 1],
    ]);
    expect(again.topics[1]!.topicId).toBe(topicId('defaults'));
    const deleted = await answer(dispatcher, deleteTopicsApi, 5, {
      ...defaultDeleteTopicsRequest(),
      topicNames: ['nope'],
    });
    expect(deleted.responses[0]!.errorCode).toBe(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code);
  });
});
