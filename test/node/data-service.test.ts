// DataService.offsets (ListOffsets: v2 /offsets, v3 lags, seeks to the end) catches up with the quorum
// before it picks the leader: a deposed leader that has not learned of its successor must not answer its
// own stale high watermark. The image and the controller are test/http's FakeNode; the local replica
// manager is a stub that knows only its offsets.
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { UnacknowledgedAppendError } from '../../src/replication/unacknowledged-append.ts';
import { brokerId, partitionId } from '../../src/metadata/ids.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { DataService } from '../../src/node/data-service.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import type { ReplicaManager } from '../../src/replication/replica-manager.ts';
import { FakeNode } from '../http/fake-node.ts';

/** This node's replica manager as a deposed leader sees itself: leader, with a stale high watermark. */
const staleLeader = {
  partitionOffsets: () => ({ logStartOffset: 0, highWatermark: 849 }),
} as unknown as ReplicaManager;

async function setup(): Promise<{ node: FakeNode; service: DataService }> {
  const node = new FakeNode();
  // One partition, led by broker 1 (FakeNode places replicas from the lowest unfenced broker id).
  await node.createTopic({
    name: 't',
    partitionsCount: 1,
    replicationFactor: 3,
    configs: new Map(),
    validateOnly: false,
  });
  const service = new DataService({
    self: brokerId(1),
    image: () => node.image(),
    catchUp: (timeoutMs) => node.catchUp(timeoutMs),
    replicas: () => staleLeader,
    logger: pino({ level: 'silent' }),
  });
  return { node, service };
}

const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => null,
    (caught: unknown) => caught,
  );

describe('DataService.offsets', () => {
  it('answers from the leader of a caught-up image', async () => {
    const { node, service } = await setup();
    expect(await service.offsets({ topicName: 't', partitionId: 0 })).toEqual({
      logStartOffset: 0,
      highWatermark: 849,
    });
    expect(node.catchUps).toBeGreaterThan(0);
  });

  it('does not answer as a leader the quorum has already replaced', async () => {
    const { node, service } = await setup();
    const topic = topicByName(node.image(), 't')!;
    expect(topic.partitions.get(partitionId(0))?.leader).toBe(brokerId(1));
    // The controller elected broker 2; this node has not applied it yet.
    node.commitElsewhere([
      {
        type: 'partitionChange',
        topicId: topic.id,
        partitionId: partitionId(0),
        leader: brokerId(2),
        isr: [brokerId(2), brokerId(3)],
        replicas: null,
      },
    ]);
    const answer = await service.offsets({ topicName: 't', partitionId: 0 }).catch((error: unknown) => error);
    // Broker 2 is asked (and, in this test, cannot be reached): never the stale local 849.
    expect(answer).not.toEqual({ logStartOffset: 0, highWatermark: 849 });
    expect(topicByName(node.image(), 't')!.partitions.get(partitionId(0))?.leader).toBe(brokerId(2));
  });

  it('without a controller answers the retriable REQUEST_TIMED_OUT, not its own image', async () => {
    const { node, service } = await setup();
    node.catchUpFailure = new KafkaError('NOT_CONTROLLER', 'No active controller answered read-index.');
    const error = await failure(service.offsets({ topicName: 't', partitionId: 0 }));
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).errorName).toBe('REQUEST_TIMED_OUT');
    expect((error as KafkaError).retriable).toBe(true);
  });
});

describe('DataService.offsetForTimestamp', () => {
  it('asks the leader after the read barrier: its offset, or null when no committed record is at or after it', async () => {
    const asked: number[] = [];
    const leader = {
      partitionOffsets: () => ({ logStartOffset: 0, highWatermark: 10 }),
      offsetForTimestamp: async (_topic: unknown, _partition: unknown, timestamp: number) => {
        asked.push(timestamp);
        return timestamp <= 500 ? { offset: 4, timestamp: 500 } : null;
      },
    } as unknown as ReplicaManager;
    const { node } = await setup();
    const service = new DataService({
      self: brokerId(1),
      image: () => node.image(),
      catchUp: (timeoutMs) => node.catchUp(timeoutMs),
      replicas: () => leader,
      logger: pino({ level: 'silent' }),
    });
    const before = node.catchUps;
    expect(await service.offsetForTimestamp({ topicName: 't', partitionId: 0, timestamp: 450 })).toBe(4);
    expect(await service.offsetForTimestamp({ topicName: 't', partitionId: 0, timestamp: 501 })).toBeNull();
    expect(asked).toEqual([450, 501]);
    expect(node.catchUps).toBeGreaterThan(before);
    const unknown = await failure(
      service.offsetForTimestamp({ topicName: 't', partitionId: 3, timestamp: 0 }),
    );
    expect((unknown as KafkaError).errorName).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });
});

describe('DataService.produce through another leader', () => {
  it('gives up a forwarded produce once this node sees another leader, as an unacknowledged append', async () => {
    // Broker 2's internal listener takes requests and never answers: a leader cut off from its followers.
    const silent: Http2Server = createServer();
    silent.on('stream', () => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { node, service } = await setup();
    try {
      const topic = topicByName(node.image(), 't')!;
      node.applyRecords([
        {
          type: 'registerBroker',
          brokerId: brokerId(2),
          incarnationId: '22222222-2222-4333-8444-555555555555',
          endpoints: [
            {
              name: 'INTERNAL',
              host: '127.0.0.1',
              port: (silent.address() as AddressInfo).port,
              securityProtocol: 'PLAINTEXT',
            },
          ],
          rack: null,
          fenced: false,
          processRoles: ['broker'],
        },
        {
          type: 'partitionChange',
          topicId: topic.id,
          partitionId: partitionId(0),
          leader: brokerId(2),
          isr: [brokerId(2), brokerId(3)],
          replicas: null,
        },
      ]);
      const records = buildRecordBatch({
        records: [{ key: null, value: Buffer.from('v'), headers: [], timestamp: 1 }],
      });
      const produced = failure(
        service.produce({ topicName: 't', partitionId: 0, records, acks: -1, timeoutMs: 30_000 }),
      );
      // The controller replaced broker 2 (fenced: cut off); this node applies it.
      node.applyRecords([
        {
          type: 'partitionChange',
          topicId: topic.id,
          partitionId: partitionId(0),
          leader: brokerId(3),
          isr: [brokerId(3)],
          replicas: null,
        },
      ]);
      const error = await produced;
      expect(error).toBeInstanceOf(UnacknowledgedAppendError);
      expect((error as KafkaError).errorName).toBe('NOT_LEADER_OR_FOLLOWER');
      expect((error as KafkaError).message).toMatch(/may or may not have been written/);
    } finally {
      await service.close();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
