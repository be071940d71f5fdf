// Golden bytes for flexible versions (KIP-482: compact types, tagged-field sections) from a second real
// client: @platformatic/kafka, which speaks mostly flexible versions and exports its per-version request
// encoders and response parsers. Its requests decode with ours (to the values given, to the last byte,
// and back to the same bytes); our responses parse with its parsers to the values we encoded (how much
// of the trailing tagged-field sections its parsers consume varies between its versions, so what is
// checked is the values, including the last field each parser reads).
//
// Two things of @platformatic/kafka 1.35 that the listener must live with (issue 7, next step):
// - its Metadata v11 request carries one byte too many (IncludeClusterAuthorizedOperations, gone
//   since v11), which Kafka's broker ignores: trailing bytes after a request must not be refused;
// - its parsers skip a tagged-field section as if its count were a signed varint of bytes, so a response
//   with a tagged field set (a leader hint, FinalizedFeaturesEpoch) misaligns it: the responses below
//   set none, and tagged fields are checked against Kafka's own bytes in malformed.test.ts.
import * as platformatic from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { defaultApiVersionsResponse } from '../../src/kafka/protocol/generated/api-versions-response.ts';
import { generatedApis } from '../../src/kafka/protocol/generated/apis.ts';
import {
  defaultCreatableTopicResult,
  defaultCreateTopicsResponse,
} from '../../src/kafka/protocol/generated/create-topics-response.ts';
import {
  defaultDescribeClusterBroker,
  defaultDescribeClusterResponse,
} from '../../src/kafka/protocol/generated/describe-cluster-response.ts';
import {
  defaultFetchableTopicResponse,
  defaultFetchResponse,
  defaultPartitionData,
} from '../../src/kafka/protocol/generated/fetch-response.ts';
import { defaultFindCoordinatorResponse } from '../../src/kafka/protocol/generated/find-coordinator-response.ts';
import { defaultJoinGroupResponse } from '../../src/kafka/protocol/generated/join-group-response.ts';
import {
  defaultMetadataResponse,
  defaultMetadataResponsePartition,
  defaultMetadataResponseTopic,
} from '../../src/kafka/protocol/generated/metadata-response.ts';
import {
  defaultOffsetFetchResponse,
  defaultOffsetFetchResponseGroup,
  defaultOffsetFetchResponsePartitions,
} from '../../src/kafka/protocol/generated/offset-fetch-response.ts';
import { decodeProduceRequest } from '../../src/kafka/protocol/generated/produce-request.ts';
import {
  defaultPartitionProduceResponse,
  defaultProduceResponse,
} from '../../src/kafka/protocol/generated/produce-response.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { ZERO_UUID } from '../../src/kafka/protocol/uuid.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';

interface PlatformaticWriter {
  readonly buffer: Buffer;
}
interface PlatformaticReader {
  readonly remaining: number;
}
interface PlatformaticApi {
  createRequest: (...args: unknown[]) => PlatformaticWriter;
  parseResponse: (
    correlationId: number,
    apiKey: number,
    version: number,
    reader: PlatformaticReader,
  ) => unknown;
}

const library = platformatic as unknown as Record<string, PlatformaticApi | undefined> & {
  Reader: { from: (buffer: Buffer) => PlatformaticReader };
};

function api(name: string): PlatformaticApi {
  const found = library[name];
  if (found === undefined) throw new Error(`@platformatic/kafka has no ${name}`);
  return found;
}

function codecOf(apiKey: number) {
  return generatedApis.find((codec) => codec.apiKey === apiKey)!;
}

const TOPIC_ID = '5f0e6c1a-9b3d-4e2f-8a7c-1d2e3f405162';

async function checkRequest(
  name: string,
  apiKey: number,
  version: number,
  args: unknown[],
  expected: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const frame = api(`${name}V${version}`).createRequest(...args).buffer;
  const extra = name === 'metadata' && version === 11 ? 1 : 0;
  const body = frame.subarray(0, frame.length - extra);
  if (extra > 0) expect(frame.subarray(frame.length - extra).toString('hex')).toBe('00');
  const codec = codecOf(apiKey);
  const reader = new Reader(frame);
  const decoded = (codec.decodeRequest as (reader: Reader, version: number) => unknown)(
    reader,
    version,
  ) as Record<string, unknown>;
  expect(reader.remaining).toBe(extra);
  expect(decoded).toMatchObject(expected);
  const writer = new Writer();
  (codec.encodeRequest as (writer: Writer, message: unknown, version: number) => void)(
    writer,
    decoded,
    version,
  );
  expect(writer.toBuffer().toString('hex')).toBe(body.toString('hex'));
  return decoded;
}

function parseOurResponse(
  name: string,
  apiKey: number,
  version: number,
  message: unknown,
): Record<string, unknown> {
  const writer = new Writer();
  (codecOf(apiKey).encodeResponse as (writer: Writer, message: unknown, version: number) => void)(
    writer,
    message,
    version,
  );
  const reader = library.Reader.from(writer.toBuffer());
  return api(`${name}V${version}`).parseResponse(1, apiKey, version, reader) as Record<string, unknown>;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('@platformatic/kafka requests decode with our codecs (flexible versions)', () => {
  it.each(range(3, 4))('ApiVersions v%i', async (version) => {
    await checkRequest('apiVersions', 18, version, ['kraftling-test', '0.1.0'], {
      clientSoftwareName: 'kraftling-test',
      clientSoftwareVersion: '0.1.0',
    });
  });

  it.each(range(9, 12))('Metadata v%i', async (version) => {
    await checkRequest('metadata', 3, version, [['orders', 'payments'], true, false], {
      topics: [{ name: 'orders' }, { name: 'payments' }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
  });

  it.each(range(9, 11))('Produce v%i', async (version) => {
    const decoded = await checkRequest(
      'produce',
      0,
      version,
      [
        -1,
        30_000,
        [{ topic: 'orders', partition: 1, key: Buffer.from('alice'), value: Buffer.from('forty-two') }],
      ],
      { transactionalId: null, acks: -1, timeoutMs: 30_000 },
    );
    const [topic] = decoded.topicData as {
      name: string;
      partitionData: { index: number; records: Uint8Array }[];
    }[];
    expect(topic!.name).toBe('orders');
    expect(topic!.partitionData[0]!.index).toBe(1);
    const records = Buffer.from(topic!.partitionData[0]!.records);
    expect(records[16]).toBe(2);
    expect(records.includes(Buffer.from('forty-two'))).toBe(true);
  });

  it.each(range(12, 17))('Fetch v%i', async (version) => {
    const topicReference = version >= 13 ? TOPIC_ID : 'orders';
    const decoded = await checkRequest(
      'fetch',
      1,
      version,
      [
        500,
        1,
        52_428_800,
        0,
        0,
        -1,
        [
          {
            topicId: topicReference,
            partitions: [
              {
                partition: 3,
                currentLeaderEpoch: 5,
                fetchOffset: 100n,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1_048_576,
              },
            ],
          },
        ],
        [],
        'rack-a',
      ],
      {
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 52_428_800,
        isolationLevel: 0,
        sessionEpoch: -1,
        rackId: 'rack-a',
      },
    );
    const [topic] = decoded.topics as Record<string, unknown>[];
    expect(topic).toMatchObject(
      version >= 13 ? { topicId: TOPIC_ID, topic: '' } : { topic: 'orders', topicId: ZERO_UUID },
    );
    expect((topic!.partitions as unknown[])[0]).toMatchObject({
      partition: 3,
      currentLeaderEpoch: 5,
      fetchOffset: 100n,
    });
  });

  it.each(range(6, 9))('ListOffsets v%i', async (version) => {
    await checkRequest(
      'listOffsets',
      2,
      version,
      [
        -1,
        1,
        [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 4, timestamp: -1n }] }],
      ],
      {
        replicaId: -1,
        isolationLevel: 1,
        topics: [
          { name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 4, timestamp: -1n }] },
        ],
      },
    );
  });

  it.each(range(4, 6))('FindCoordinator v%i', async (version) => {
    await checkRequest('findCoordinator', 10, version, [0, ['billing', 'audit']], {
      keyType: 0,
      coordinatorKeys: ['billing', 'audit'],
    });
  });

  it.each(range(6, 9))('JoinGroup v%i', async (version) => {
    const metadata = Buffer.from([0, 3, 1, 2]);
    const decoded = await checkRequest(
      'joinGroup',
      11,
      version,
      [
        'billing',
        45_000,
        300_000,
        '',
        null,
        'consumer',
        [{ name: 'cooperative-sticky', metadata }],
        'joining',
      ],
      { groupId: 'billing', sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 300_000, groupInstanceId: null },
    );
    if (version >= 8) expect(decoded.reason).toBe('joining');
    const protocols = decoded.protocols as { name: string; metadata: Uint8Array }[];
    expect(protocols[0]!.name).toBe('cooperative-sticky');
    expect(Buffer.from(protocols[0]!.metadata).equals(metadata)).toBe(true);
  });

  it.each(range(4, 5))('SyncGroup v%i', async (version) => {
    await checkRequest(
      'syncGroup',
      14,
      version,
      [
        'billing',
        3,
        'member-1',
        null,
        'consumer',
        'range',
        [{ memberId: 'member-1', assignment: Buffer.from([9]) }],
      ],
      { groupId: 'billing', generationId: 3, memberId: 'member-1' },
    );
  });

  it('Heartbeat v4', async () => {
    await checkRequest('heartbeat', 12, 4, ['billing', 3, 'member-1', null], {
      groupId: 'billing',
      generationId: 3,
      memberId: 'member-1',
      groupInstanceId: null,
    });
  });

  it.each(range(4, 5))('LeaveGroup v%i', async (version) => {
    await checkRequest(
      'leaveGroup',
      13,
      version,
      ['billing', [{ memberId: 'member-1', groupInstanceId: null, reason: 'bye' }]],
      {
        groupId: 'billing',
        members: [{ memberId: 'member-1', groupInstanceId: null, reason: version >= 5 ? 'bye' : null }],
      },
    );
  });

  it.each(range(8, 9))('OffsetCommit v%i', async (version) => {
    await checkRequest(
      'offsetCommit',
      8,
      version,
      [
        'billing',
        3,
        'member-1',
        null,
        [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 2, committedOffset: 41n, committedLeaderEpoch: 7, committedMetadata: '' },
            ],
          },
        ],
      ],
      {
        groupId: 'billing',
        generationIdOrMemberEpoch: 3,
        topics: [
          {
            name: 'orders',
            partitions: [{ partitionIndex: 2, committedOffset: 41n, committedLeaderEpoch: 7 }],
          },
        ],
      },
    );
  });

  it.each(range(8, 9))('OffsetFetch v%i', async (version) => {
    await checkRequest(
      'offsetFetch',
      9,
      version,
      [
        [
          {
            groupId: 'billing',
            memberId: null,
            memberEpoch: -1,
            topics: [{ name: 'orders', partitionIndexes: [0, 1] }],
          },
        ],
        true,
      ],
      {
        groups: [{ groupId: 'billing', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }],
        requireStable: true,
      },
    );
  });

  it('CreateTopics v7', async () => {
    await checkRequest(
      'createTopics',
      19,
      7,
      [
        [
          {
            name: 'orders',
            numPartitions: 3,
            replicationFactor: 3,
            assignments: [],
            configs: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
        10_000,
        false,
      ],
      {
        topics: [
          {
            name: 'orders',
            numPartitions: 3,
            replicationFactor: 3,
            configs: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
        timeoutMs: 10_000,
        validateOnly: false,
      },
    );
  });

  it('DeleteTopics v6', async () => {
    await checkRequest('deleteTopics', 20, 6, [[{ name: 'orders', topicId: TOPIC_ID }], 5000], {
      topics: [{ name: 'orders', topicId: TOPIC_ID }],
      timeoutMs: 5000,
    });
  });

  it.each(range(0, 1))('DescribeCluster v%i', async (version) => {
    await checkRequest('describeCluster', 60, version, [true, 1], {
      includeClusterAuthorizedOperations: true,
    });
  });
});

describe('our responses parse with @platformatic/kafka (flexible versions)', () => {
  it.each(range(3, 4))('ApiVersions v%i', (version) => {
    const parsed = parseOurResponse('apiVersions', 18, version, {
      ...defaultApiVersionsResponse(),
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 1, minVersion: 4, maxVersion: 17 },
      ],
      throttleTimeMs: 0,
    });
    expect(parsed).toMatchObject({
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 1, minVersion: 4, maxVersion: 17 },
      ],
    });
  });

  it.each(range(9, 12))('Metadata v%i', (version) => {
    const parsed = parseOurResponse('metadata', 3, version, {
      ...defaultMetadataResponse(),
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'cluster-A',
      controllerId: 1,
      topics: [
        {
          ...defaultMetadataResponseTopic(),
          name: 'orders',
          topicId: version >= 10 ? TOPIC_ID : ZERO_UUID,
          partitions: [
            {
              ...defaultMetadataResponsePartition(),
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 2,
              replicaNodes: [1],
              isrNodes: [1],
            },
          ],
          topicAuthorizedOperations: 8,
        },
      ],
    });
    expect(parsed).toMatchObject({
      brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'cluster-A',
      controllerId: 1,
      topics: [
        {
          name: 'orders',
          partitions: [{ partitionIndex: 0, leaderId: 1, leaderEpoch: 2, replicaNodes: [1], isrNodes: [1] }],
          topicAuthorizedOperations: 8,
        },
      ],
    });
    if (version >= 10) expect((parsed.topics as { topicId: string }[])[0]!.topicId).toBe(TOPIC_ID);
  });

  it.each(range(9, 11))('Produce v%i', (version) => {
    const parsed = parseOurResponse('produce', 0, version, {
      ...defaultProduceResponse(),
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            {
              ...defaultPartitionProduceResponse(),
              index: 1,
              baseOffset: 500n,
              logStartOffset: 0n,
            },
          ],
        },
      ],
      throttleTimeMs: 0,
    });
    expect(parsed).toMatchObject({
      responses: [
        {
          name: 'orders',
          partitionResponses: [{ index: 1, errorCode: 0, baseOffset: 500n, logStartOffset: 0n }],
        },
      ],
      throttleTimeMs: 0,
    });
  });

  it.each(range(12, 17))('Fetch v%i (records passed through as the producer sent them)', async (version) => {
    const produce = api('produceV11').createRequest(1, 1000, [
      {
        topic: 'orders',
        partition: 0,
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        timestamp: 1_700_000_000_000n,
      },
    ]).buffer;
    const request = decodeProduceRequest(new Reader(produce), 11);
    const records = request.topicData[0]!.partitionData[0]!.records;
    const parsed = parseOurResponse('fetch', 1, version, {
      ...defaultFetchResponse(),
      sessionId: 0,
      responses: [
        {
          ...defaultFetchableTopicResponse(),
          topic: version >= 13 ? '' : 'orders',
          topicId: version >= 13 ? TOPIC_ID : ZERO_UUID,
          partitions: [
            {
              ...defaultPartitionData(),
              partitionIndex: 0,
              highWatermark: 1n,
              lastStableOffset: 1n,
              logStartOffset: 0n,
              records,
            },
          ],
        },
      ],
    });
    const [topic] = parsed.responses as { partitions: Record<string, unknown>[] }[];
    expect(topic!.partitions[0]).toMatchObject({
      partitionIndex: 0,
      errorCode: 0,
      highWatermark: 1n,
      logStartOffset: 0n,
    });
    const batches = topic!.partitions[0]!.records as { records: { key: Buffer; value: Buffer }[] }[];
    expect(batches[0]!.records.map((record) => [record.key.toString(), record.value.toString()])).toEqual([
      ['k', 'v'],
    ]);
  });

  it.each(range(4, 6))('FindCoordinator v%i', (version) => {
    const parsed = parseOurResponse('findCoordinator', 10, version, {
      ...defaultFindCoordinatorResponse(),
      coordinators: [
        { key: 'billing', nodeId: 2, host: 'localhost', port: 9093, errorCode: 0, errorMessage: null },
      ],
    });
    expect(parsed.coordinators).toMatchObject([
      { key: 'billing', nodeId: 2, host: 'localhost', port: 9093, errorCode: 0 },
    ]);
  });

  it.each(range(6, 9))('JoinGroup v%i', (version) => {
    const parsed = parseOurResponse('joinGroup', 11, version, {
      ...defaultJoinGroupResponse(),
      generationId: 5,
      protocolType: version >= 7 ? 'consumer' : null,
      protocolName: 'range',
      leader: 'member-1',
      memberId: 'member-1',
      members: [{ memberId: 'member-1', groupInstanceId: null, metadata: Uint8Array.from([1, 2]) }],
    });
    expect(parsed).toMatchObject({
      generationId: 5,
      protocolName: 'range',
      leader: 'member-1',
      memberId: 'member-1',
    });
  });

  it.each(range(8, 9))('OffsetFetch v%i', (version) => {
    const parsed = parseOurResponse('offsetFetch', 9, version, {
      ...defaultOffsetFetchResponse(),
      groups: [
        {
          ...defaultOffsetFetchResponseGroup(),
          groupId: 'billing',
          topics: [
            {
              name: 'orders',
              partitions: [
                {
                  ...defaultOffsetFetchResponsePartitions(),
                  partitionIndex: 0,
                  committedOffset: 12n,
                  metadata: '',
                },
              ],
            },
          ],
        },
      ],
    });
    expect(parsed.groups).toMatchObject([
      {
        groupId: 'billing',
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 12n }] }],
      },
    ]);
  });

  it('CreateTopics v7', () => {
    const parsed = parseOurResponse('createTopics', 19, 7, {
      ...defaultCreateTopicsResponse(),
      topics: [
        {
          ...defaultCreatableTopicResult(),
          name: 'orders',
          topicId: TOPIC_ID,
          numPartitions: 3,
          replicationFactor: 3,
          configs: [
            { name: 'cleanup.policy', value: 'delete', readOnly: false, configSource: 5, isSensitive: false },
          ],
        },
      ],
    });
    expect(parsed.topics).toMatchObject([
      { name: 'orders', topicId: TOPIC_ID, numPartitions: 3, replicationFactor: 3 },
    ]);
  });

  it.each(range(0, 1))('DescribeCluster v%i', (version) => {
    const parsed = parseOurResponse('describeCluster', 60, version, {
      ...defaultDescribeClusterResponse(),
      clusterId: 'cluster-A',
      controllerId: 1,
      brokers: [{ ...defaultDescribeClusterBroker(), brokerId: 1, host: 'localhost', port: 9092 }],
    });
    expect(parsed).toMatchObject({
      clusterId: 'cluster-A',
      controllerId: 1,
      brokers: [{ brokerId: 1, host: 'localhost', port: 9092 }],
    });
  });
});
