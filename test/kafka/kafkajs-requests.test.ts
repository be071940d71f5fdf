// Golden bytes from a real client: kafkajs 2.2 encodes requests (its non-flexible versions, the ones it
// sends to brokers); ours must decode them to the values given, read them to the end, and encode them
// back to the same bytes.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { generatedApis } from '../../src/kafka/protocol/generated/apis.ts';
import { decodeRequestHeader } from '../../src/kafka/protocol/generated/request-header.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  readonly buffer: Buffer;
}
interface KafkajsRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly encode: () => Promise<KafkajsEncoder>;
}
type KafkajsRequestFactory = (args: Record<string, unknown>) => KafkajsRequest;

function kafkajsRequest(api: string, version: number, args: Record<string, unknown>): KafkajsRequest {
  const factory = require(
    `kafkajs/src/protocol/requests/${api}/v${version}/request.js`,
  ) as KafkajsRequestFactory;
  return factory(args);
}

function apiCodec(apiKey: number) {
  const codec = generatedApis.find((api) => api.apiKey === apiKey);
  if (codec === undefined) throw new Error(`no codec for API key ${apiKey}`);
  return codec;
}

/** Decodes kafkajs's body with ours, checks it against `expected` and that ours re-encodes it exactly. */
async function checkRequest(
  api: string,
  version: number,
  args: Record<string, unknown>,
  expected: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const request = kafkajsRequest(api, version, args);
  expect(request.apiVersion).toBe(version);
  const body = (await request.encode()).buffer;
  const codec = apiCodec(request.apiKey);
  const reader = new Reader(body);
  const decoded = (codec.decodeRequest as (reader: Reader, version: number) => unknown)(
    reader,
    version,
  ) as Record<string, unknown>;
  expect(reader.remaining).toBe(0);
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

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('kafkajs requests decode with our codecs', () => {
  it('a whole frame: size, request header v1 (client id), ApiVersions v2 body', async () => {
    const frameOf = require('kafkajs/src/protocol/request.js') as (args: {
      correlationId: number;
      clientId: string;
      request: KafkajsRequest;
    }) => Promise<KafkajsEncoder>;
    const frame = (
      await frameOf({
        correlationId: 42,
        clientId: 'kraftling-test',
        request: kafkajsRequest('apiVersions', 2, {}),
      })
    ).buffer;
    const reader = new Reader(frame);
    expect(reader.readInt32()).toBe(frame.length - 4);
    expect(decodeRequestHeader(reader, 1)).toEqual({
      requestApiKey: 18,
      requestApiVersion: 2,
      correlationId: 42,
      clientId: 'kraftling-test',
    });
    expect(apiCodec(18).decodeRequest(reader, 2)).toEqual({
      clientSoftwareName: '',
      clientSoftwareVersion: '',
    });
    expect(reader.remaining).toBe(0);
  });

  it.each(range(0, 2))('ApiVersions v%i', async (version) => {
    await checkRequest('apiVersions', version, {}, {});
  });

  it.each(range(0, 6))('Metadata v%i', async (version) => {
    const allowAutoTopicCreation = version < 4;
    await checkRequest(
      'metadata',
      version,
      { topics: ['orders', 'payments'], allowAutoTopicCreation },
      {
        topics: [{ name: 'orders' }, { name: 'payments' }],
        allowAutoTopicCreation,
      },
    );
  });

  it.each(range(3, 7))('Produce v%i (a record batch kept as the client sent it)', async (version) => {
    const decoded = await checkRequest(
      'produce',
      version,
      {
        acks: -1,
        timeout: 30_000,
        topicData: [
          {
            topic: 'orders',
            partitions: [
              { partition: 2, firstSequence: 0, messages: [{ key: 'alice', value: 'forty-two' }] },
            ],
          },
        ],
      },
      { transactionalId: null, acks: -1, timeoutMs: 30_000 },
    );
    const topic = (
      decoded.topicData as { name: string; partitionData: { index: number; records: Uint8Array }[] }[]
    )[0]!;
    expect(topic.name).toBe('orders');
    expect(topic.partitionData[0]!.index).toBe(2);
    const records = Buffer.from(topic.partitionData[0]!.records);
    // A v2 record batch: base offset (8), batch length (4) = the rest, leader epoch (4), magic 2.
    expect(records.readInt32BE(8)).toBe(records.length - 12);
    expect(records[16]).toBe(2);
    expect(records.includes(Buffer.from('forty-two'))).toBe(true);
  });

  it.each(range(0, 11))('Fetch v%i', async (version) => {
    const decoded = await checkRequest(
      'fetch',
      version,
      {
        replicaId: -1,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 10_485_760,
        isolationLevel: 1,
        topics: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, fetchOffset: '17', maxBytes: 1_048_576 },
              { partition: 1, fetchOffset: '9007199254740993', maxBytes: 4096 },
            ],
          },
        ],
      },
      { replicaId: -1, maxWaitMs: 500, minBytes: 1 },
    );
    const partitions = (decoded.topics as { topic: string; partitions: Record<string, unknown>[] }[])[0]!
      .partitions;
    expect(partitions[0]).toMatchObject({ partition: 0, fetchOffset: 17n, partitionMaxBytes: 1_048_576 });
    expect(partitions[1]).toMatchObject({
      partition: 1,
      fetchOffset: 9_007_199_254_740_993n,
      partitionMaxBytes: 4096,
    });
    if (version >= 3) expect(decoded.maxBytes).toBe(10_485_760);
    if (version >= 4) expect(decoded.isolationLevel).toBe(1);
  });

  it.each(range(0, 3))('ListOffsets v%i', async (version) => {
    const decoded = await checkRequest(
      'listOffsets',
      version,
      {
        replicaId: -1,
        isolationLevel: 1,
        topics: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, timestamp: -2 },
              { partition: 3, timestamp: '1733400000000' },
            ],
          },
        ],
      },
      { replicaId: -1 },
    );
    const topics = decoded.topics as { name: string; partitions: Record<string, unknown>[] }[];
    expect(topics[0]!.name).toBe('orders');
    expect(topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, timestamp: -2n });
    expect(topics[0]!.partitions[1]).toMatchObject({ partitionIndex: 3, timestamp: 1_733_400_000_000n });
  });

  it.each(range(0, 2))('FindCoordinator v%i', async (version) => {
    await checkRequest(
      'findCoordinator',
      version,
      { groupId: 'billing', coordinatorKey: 'billing', coordinatorType: 0 },
      { key: 'billing', keyType: 0 },
    );
  });

  it.each(range(0, 5))('JoinGroup v%i', async (version) => {
    const metadata = Buffer.from([0, 1, 2, 3, 250]);
    const decoded = await checkRequest(
      'joinGroup',
      version,
      {
        groupId: 'billing',
        sessionTimeout: 30_000,
        rebalanceTimeout: 60_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        groupProtocols: [{ name: 'RoundRobinAssigner', metadata }],
      },
      { groupId: 'billing', sessionTimeoutMs: 30_000, memberId: '', protocolType: 'consumer' },
    );
    if (version >= 1) expect(decoded.rebalanceTimeoutMs).toBe(60_000);
    const protocols = decoded.protocols as { name: string; metadata: Uint8Array }[];
    expect(protocols[0]!.name).toBe('RoundRobinAssigner');
    expect(Buffer.from(protocols[0]!.metadata).equals(metadata)).toBe(true);
  });

  it.each(range(0, 5))('OffsetCommit v%i', async (version) => {
    const decoded = await checkRequest(
      'offsetCommit',
      version,
      {
        groupId: 'billing',
        groupGenerationId: 7,
        memberId: 'member-1',
        retentionTime: -1,
        topics: [
          { topic: 'orders', partitions: [{ partition: 1, offset: '123', metadata: 'note', timestamp: -1 }] },
        ],
      },
      { groupId: 'billing' },
    );
    if (version >= 1) expect(decoded).toMatchObject({ generationIdOrMemberEpoch: 7, memberId: 'member-1' });
    const topics = decoded.topics as { name: string; partitions: Record<string, unknown>[] }[];
    expect(topics[0]!.name).toBe('orders');
    expect(topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 1, committedOffset: 123n });
  });

  it.each(range(1, 4))('OffsetFetch v%i', async (version) => {
    await checkRequest(
      'offsetFetch',
      version,
      { groupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 2 }] }] },
      { groupId: 'billing', topics: [{ name: 'orders', partitionIndexes: [0, 2] }] },
    );
  });

  it.each(range(0, 3))('CreateTopics v%i', async (version) => {
    const decoded = await checkRequest(
      'createTopics',
      version,
      {
        topics: [
          {
            topic: 'orders',
            numPartitions: 3,
            replicationFactor: 2,
            configEntries: [{ name: 'retention.ms', value: '86400000' }],
          },
          { topic: 'placed', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] },
        ],
        timeout: 5000,
        validateOnly: true,
      },
      { timeoutMs: 5000 },
    );
    if (version >= 1) expect(decoded.validateOnly).toBe(true);
    expect(decoded.topics).toMatchObject([
      {
        name: 'orders',
        numPartitions: 3,
        replicationFactor: 2,
        assignments: [],
        configs: [{ name: 'retention.ms', value: '86400000' }],
      },
      {
        name: 'placed',
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
      },
    ]);
  });
});
