// Golden bytes the other way: responses encoded by our codecs, decoded by kafkajs 2.2's own response
// decoders (the non-flexible versions it negotiates). Each check includes fields that come after every
// version-dependent one, so a field written at the wrong version misaligns what kafkajs reads.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { defaultApiVersionsResponse } from '../../src/kafka/protocol/generated/api-versions-response.ts';
import { generatedApis } from '../../src/kafka/protocol/generated/apis.ts';
import {
  defaultCreatableTopicResult,
  defaultCreateTopicsResponse,
} from '../../src/kafka/protocol/generated/create-topics-response.ts';
import {
  defaultFetchResponse,
  defaultPartitionData,
} from '../../src/kafka/protocol/generated/fetch-response.ts';
import { defaultFindCoordinatorResponse } from '../../src/kafka/protocol/generated/find-coordinator-response.ts';
import { defaultJoinGroupResponse } from '../../src/kafka/protocol/generated/join-group-response.ts';
import {
  defaultListOffsetsPartitionResponse,
  defaultListOffsetsResponse,
} from '../../src/kafka/protocol/generated/list-offsets-response.ts';
import {
  defaultMetadataResponse,
  defaultMetadataResponsePartition,
  defaultMetadataResponseTopic,
} from '../../src/kafka/protocol/generated/metadata-response.ts';
import { defaultOffsetCommitResponse } from '../../src/kafka/protocol/generated/offset-commit-response.ts';
import {
  defaultOffsetFetchResponse,
  defaultOffsetFetchResponsePartition,
} from '../../src/kafka/protocol/generated/offset-fetch-response.ts';
import { decodeProduceRequest } from '../../src/kafka/protocol/generated/produce-request.ts';
import {
  defaultPartitionProduceResponse,
  defaultProduceResponse,
} from '../../src/kafka/protocol/generated/produce-response.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';

const require = createRequire(import.meta.url);

interface KafkajsResponse {
  readonly decode: (body: Buffer) => Promise<Record<string, unknown>>;
}

function encodeResponse(apiKey: number, version: number, message: unknown): Buffer {
  const codec = generatedApis.find((api) => api.apiKey === apiKey)!;
  const writer = new Writer();
  (codec.encodeResponse as (writer: Writer, message: unknown, version: number) => void)(
    writer,
    message,
    version,
  );
  return writer.toBuffer();
}

async function kafkajsDecode(api: string, version: number, body: Buffer): Promise<Record<string, unknown>> {
  const response = require(`kafkajs/src/protocol/requests/${api}/v${version}/response.js`) as KafkajsResponse;
  return response.decode(body);
}

/** kafkajs reports a throttle of versions under KIP-219 (the broker did not throttle) as clientSideThrottleTime. */
const throttleOf = (decoded: Record<string, unknown>) =>
  decoded.clientSideThrottleTime ?? decoded.throttleTime;

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** A record batch as kafkajs's producer writes it, taken from a Produce v3 request it encodes. */
async function kafkajsRecordBatch(): Promise<Uint8Array> {
  const request = (
    require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: Record<string, unknown>) => {
      encode: () => Promise<{ buffer: Buffer }>;
    }
  )({
    acks: 1,
    timeout: 1000,
    topicData: [
      {
        topic: 't',
        partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: 'k1', value: 'v1' }] }],
      },
    ],
  });
  const produce = decodeProduceRequest(new Reader((await request.encode()).buffer), 3);
  return produce.topicData[0]!.partitionData[0]!.records!;
}

describe('our responses decode with kafkajs', () => {
  it.each(range(0, 2))('ApiVersions v%i', async (version) => {
    const body = encodeResponse(18, version, {
      ...defaultApiVersionsResponse(),
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ],
      throttleTimeMs: version >= 1 ? 5 : 0,
    });
    const decoded = await kafkajsDecode('apiVersions', version, body);
    expect(decoded).toMatchObject({
      errorCode: 0,
      apiVersions: [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ],
    });
    if (version >= 1) expect(throttleOf(decoded)).toBe(5);
  });

  it.each(range(0, 6))('Metadata v%i', async (version) => {
    const partition = (index: number) => ({
      ...defaultMetadataResponsePartition(),
      partitionIndex: index,
      leaderId: 2,
      replicaNodes: [2, 3, 1],
      isrNodes: [2, 3],
      offlineReplicas: version >= 5 ? [1] : [],
    });
    const body = encodeResponse(3, version, {
      ...defaultMetadataResponse(),
      throttleTimeMs: version >= 3 ? 9 : 0,
      brokers: [
        { nodeId: 1, host: 'localhost', port: 9092, rack: version >= 1 ? 'r1' : null },
        { nodeId: 2, host: 'localhost', port: 9093, rack: null },
      ],
      clusterId: version >= 2 ? 'cluster-A' : null,
      controllerId: version >= 1 ? 2 : -1,
      topics: [
        { ...defaultMetadataResponseTopic(), name: 'orders', partitions: [partition(0), partition(1)] },
        {
          ...defaultMetadataResponseTopic(),
          errorCode: 3,
          name: 'missing',
          isInternal: false,
          partitions: [],
        },
      ],
    });
    const decoded = await kafkajsDecode('metadata', version, body);
    expect(decoded.brokers).toMatchObject([
      { nodeId: 1, host: 'localhost', port: 9092 },
      { nodeId: 2, host: 'localhost', port: 9093 },
    ]);
    if (version >= 1) expect(decoded).toMatchObject({ controllerId: 2 });
    if (version >= 2) expect(decoded).toMatchObject({ clusterId: 'cluster-A' });
    expect(decoded.topicMetadata).toMatchObject([
      {
        topicErrorCode: 0,
        topic: 'orders',
        partitionMetadata: [
          { partitionErrorCode: 0, partitionId: 0, leader: 2, replicas: [2, 3, 1], isr: [2, 3] },
          { partitionErrorCode: 0, partitionId: 1, leader: 2, replicas: [2, 3, 1], isr: [2, 3] },
        ],
      },
      { topicErrorCode: 3, topic: 'missing', partitionMetadata: [] },
    ]);
    if (version >= 5) {
      const topics = decoded.topicMetadata as { partitionMetadata: { offlineReplicas: number[] }[] }[];
      expect(topics[0]!.partitionMetadata[1]!.offlineReplicas).toEqual([1]);
    }
  });

  it.each(range(3, 7))('Produce v%i', async (version) => {
    const body = encodeResponse(0, version, {
      ...defaultProduceResponse(),
      responses: [
        {
          name: 'orders',
          partitionResponses: [
            {
              ...defaultPartitionProduceResponse(),
              index: 2,
              baseOffset: 1234n,
              logAppendTimeMs: 1_733_400_000_000n,
            },
            {
              ...defaultPartitionProduceResponse(),
              index: 3,
              errorCode: 6,
              baseOffset: -1n,
              logStartOffset: version >= 5 ? 77n : -1n,
            },
          ],
        },
      ],
      throttleTimeMs: 3,
    });
    const decoded = await kafkajsDecode('produce', version, body);
    expect(decoded.topics).toMatchObject([
      {
        topicName: 'orders',
        partitions: [
          { partition: 2, errorCode: 0, baseOffset: '1234', logAppendTime: '1733400000000' },
          { partition: 3, errorCode: 6, baseOffset: '-1', logAppendTime: '-1' },
        ],
      },
    ]);
    if (version >= 5) {
      const partitions = (decoded.topics as { partitions: { logStartOffset: string }[] }[])[0]!.partitions;
      expect(partitions[1]!.logStartOffset).toBe('77');
    }
  });

  it.each(range(4, 11))('Fetch v%i (kafkajs decodes the record batch we pass through)', async (version) => {
    const records = await kafkajsRecordBatch();
    const body = encodeResponse(1, version, {
      ...defaultFetchResponse(),
      throttleTimeMs: 0,
      sessionId: version >= 7 ? 99 : 0,
      responses: [
        {
          topic: 'orders',
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [
            {
              ...defaultPartitionData(),
              partitionIndex: 0,
              highWatermark: 1n,
              lastStableOffset: 1n,
              logStartOffset: version >= 5 ? 0n : -1n,
              abortedTransactions: [],
              records,
            },
            { ...defaultPartitionData(), partitionIndex: 1, errorCode: 1, highWatermark: 50n, records: null },
          ],
        },
      ],
    });
    const decoded = await kafkajsDecode('fetch', version, body);
    if (version >= 7) expect(decoded).toMatchObject({ errorCode: 0, sessionId: 99 });
    const [topic] = decoded.responses as { topicName: string; partitions: Record<string, unknown>[] }[];
    expect(topic!.topicName).toBe('orders');
    expect(topic!.partitions[0]).toMatchObject({
      partition: 0,
      errorCode: 0,
      highWatermark: '1',
      lastStableOffset: '1',
    });
    const messages = topic!.partitions[0]!.messages as { key: Buffer; value: Buffer; offset: string }[];
    expect(
      messages.map((message) => [message.key.toString(), message.value.toString(), message.offset]),
    ).toEqual([['k1', 'v1', '0']]);
    expect(topic!.partitions[1]).toMatchObject({
      partition: 1,
      errorCode: 1,
      highWatermark: '50',
      messages: [],
    });
  });

  it.each(range(0, 3))('ListOffsets v%i', async (version) => {
    const partition =
      version === 0
        ? { ...defaultListOffsetsPartitionResponse(), partitionIndex: 0, oldStyleOffsets: [42n] }
        : {
            ...defaultListOffsetsPartitionResponse(),
            partitionIndex: 0,
            timestamp: 1_700_000_000_000n,
            offset: 42n,
          };
    const body = encodeResponse(2, version, {
      ...defaultListOffsetsResponse(),
      throttleTimeMs: version >= 2 ? 1 : 0,
      topics: [{ name: 'orders', partitions: [partition] }],
    });
    const decoded = await kafkajsDecode('listOffsets', version, body);
    const expected = version === 0 ? { offsets: ['42'] } : { timestamp: '1700000000000', offset: '42' };
    expect(decoded.responses).toMatchObject([
      { topic: 'orders', partitions: [{ partition: 0, errorCode: 0, ...expected }] },
    ]);
  });

  it.each(range(0, 2))('FindCoordinator v%i', async (version) => {
    const body = encodeResponse(10, version, {
      ...defaultFindCoordinatorResponse(),
      errorMessage: version >= 1 ? 'fine' : null,
      nodeId: 3,
      host: 'localhost',
      port: 9094,
    });
    const decoded = await kafkajsDecode('findCoordinator', version, body);
    expect(decoded).toMatchObject({
      errorCode: 0,
      coordinator: { nodeId: 3, host: 'localhost', port: 9094 },
    });
    if (version >= 1) expect(decoded.errorMessage).toBe('fine');
  });

  it.each(range(0, 5))('JoinGroup v%i', async (version) => {
    const metadata = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 6]);
    const body = encodeResponse(11, version, {
      ...defaultJoinGroupResponse(),
      generationId: 4,
      protocolName: 'RoundRobinAssigner',
      leader: 'member-a',
      memberId: 'member-b',
      members: [
        { memberId: 'member-a', groupInstanceId: null, metadata },
        { memberId: 'member-b', groupInstanceId: version >= 5 ? 'static-b' : null, metadata },
      ],
    });
    const decoded = await kafkajsDecode('joinGroup', version, body);
    expect(decoded).toMatchObject({
      errorCode: 0,
      generationId: 4,
      groupProtocol: 'RoundRobinAssigner',
      leaderId: 'member-a',
      memberId: 'member-b',
    });
    const members = decoded.members as {
      memberId: string;
      memberMetadata: Buffer;
      groupInstanceId?: string;
    }[];
    expect(members.map((member) => member.memberId)).toEqual(['member-a', 'member-b']);
    expect(Buffer.from(metadata).equals(members[1]!.memberMetadata)).toBe(true);
    if (version >= 5) expect(members[1]!.groupInstanceId).toBe('static-b');
  });

  it.each(range(0, 5))('OffsetCommit v%i', async (version) => {
    const body = encodeResponse(8, version, {
      ...defaultOffsetCommitResponse(),
      throttleTimeMs: version >= 3 ? 2 : 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 1, errorCode: 22 },
          ],
        },
      ],
    });
    const decoded = await kafkajsDecode('offsetCommit', version, body);
    expect(decoded.responses).toMatchObject([
      {
        topic: 'orders',
        partitions: [
          { partition: 0, errorCode: 0 },
          { partition: 1, errorCode: 22 },
        ],
      },
    ]);
    if (version >= 3) expect(throttleOf(decoded)).toBe(2);
  });

  it.each(range(1, 4))('OffsetFetch v%i', async (version) => {
    const body = encodeResponse(9, version, {
      ...defaultOffsetFetchResponse(),
      throttleTimeMs: version >= 3 ? 1 : 0,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              ...defaultOffsetFetchResponsePartition(),
              partitionIndex: 0,
              committedOffset: 99n,
              metadata: 'm',
            },
            {
              ...defaultOffsetFetchResponsePartition(),
              partitionIndex: 1,
              committedOffset: -1n,
              metadata: '',
            },
          ],
        },
      ],
      errorCode: version >= 2 ? 0 : 0,
    });
    const decoded = await kafkajsDecode('offsetFetch', version, body);
    expect(decoded.responses).toMatchObject([
      {
        topic: 'orders',
        partitions: [
          { partition: 0, offset: '99', metadata: 'm', errorCode: 0 },
          { partition: 1, offset: '-1', metadata: '', errorCode: 0 },
        ],
      },
    ]);
    if (version >= 2) expect(decoded.errorCode).toBe(0);
  });

  it.each(range(0, 3))('CreateTopics v%i', async (version) => {
    const body = encodeResponse(19, version, {
      ...defaultCreateTopicsResponse(),
      throttleTimeMs: version >= 2 ? 4 : 0,
      topics: [
        { ...defaultCreatableTopicResult(), name: 'orders', errorCode: 0, errorMessage: null },
        {
          ...defaultCreatableTopicResult(),
          name: 'dup',
          errorCode: 36,
          errorMessage: version >= 1 ? "Topic 'dup' already exists." : null,
        },
      ],
    });
    const decoded = await kafkajsDecode('createTopics', version, body);
    expect(decoded.topicErrors).toMatchObject([
      { topic: 'dup', errorCode: 36 },
      { topic: 'orders', errorCode: 0 },
    ]);
    if (version >= 1) {
      expect((decoded.topicErrors as { errorMessage: string }[])[0]!.errorMessage).toBe(
        "Topic 'dup' already exists.",
      );
    }
    if (version >= 2) expect(throttleOf(decoded)).toBe(4);
  });
});
