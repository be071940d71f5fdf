// ReplicaManagerPartitions (src/node/local-partitions.ts): what the Kafka protocol does on this broker's
// leader replicas, over three real ReplicaManagers (test/replication/cluster.ts): no forwarding, KIP-320
// leader epoch checks, long-poll waits, offsets by timestamp.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type { BrokerId } from '../../src/metadata/ids.ts';
import { ReplicaManagerPartitions } from '../../src/node/local-partitions.ts';
import { B1, B2, batch, P0, TestCluster } from '../replication/cluster.ts';
import { waitFor } from '../replication/helpers.ts';

let cluster: TestCluster;

beforeEach(async () => {
  cluster = await TestCluster.create();
});

afterEach(async () => {
  await cluster.close();
});

/** Read barriers asked for (the test cluster's image is always the committed one). */
let catchUps = 0;

function partitionsOf(broker: BrokerId): ReplicaManagerPartitions {
  return new ReplicaManagerPartitions({
    self: broker,
    image: () => cluster.image,
    replicas: () => cluster.manager(broker),
    catchUp: async () => {
      catchUps++;
    },
  });
}

async function errorName(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (error instanceof KafkaError) return error.errorName;
    throw error;
  }
  throw new Error('expected a KafkaError');
}

describe('ReplicaManagerPartitions', () => {
  it('a produce for a partition this broker is told it leads waits for the replica manager to take it on', async () => {
    await cluster.startAll();
    cluster.createTopic('fresh', [{}]);
    // The image names broker 1 leader; its replica manager is still opening the log.
    const appended = await partitionsOf(B1).append('fresh', 0, batch('a'), { acks: -1, timeoutMs: 5000 });
    expect(appended.baseOffset).toBe(0);
    catchUps = 0;
    expect(
      await errorName(partitionsOf(B1).append('unknown', 0, batch('a'), { acks: 1, timeoutMs: 1000 })),
    ).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(catchUps).toBe(1);
  });

  it('appends and reads on the leader; another broker answers NOT_LEADER_OR_FOLLOWER, an unknown partition UNKNOWN_TOPIC_OR_PARTITION', async () => {
    cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const leader = partitionsOf(B1);
    const appended = await leader.append('orders', 0, batch('a', 2), { acks: -1, timeoutMs: 5000 });
    expect(appended).toEqual({ baseOffset: 0, logStartOffset: 0 });
    const read = await leader.read('orders', 0, { offset: 0, maxBytes: 1 << 20, currentLeaderEpoch: -1 });
    expect(read.highWatermark).toBe(2);
    expect(read.records.length).toBeGreaterThan(0);
    expect(
      await errorName(partitionsOf(B2).append('orders', 0, batch('b'), { acks: 1, timeoutMs: 1000 })),
    ).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(await errorName(() => partitionsOf(B2).offsets('orders', 0, -1))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(
      await errorName(leader.read('orders', 7, { offset: 0, maxBytes: 100, currentLeaderEpoch: -1 })),
    ).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(
      await errorName(leader.append('__consumer_offsets', 0, batch('x'), { acks: 1, timeoutMs: 1000 })),
    ).toBe('INVALID_TOPIC_EXCEPTION');
  });

  it('stores batches as sent only when they check out: a flipped byte is CORRUPT_MESSAGE and nothing is appended', async () => {
    cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const leader = partitionsOf(B1);
    const corrupt = batch('a', 2);
    corrupt[corrupt.length - 1]! ^= 0xff;
    expect(await errorName(leader.append('orders', 0, corrupt, { acks: -1, timeoutMs: 5000 }))).toBe(
      'CORRUPT_MESSAGE',
    );
    expect(leader.offsets('orders', 0, -1).highWatermark).toBe(0);
  });

  it('KIP-320: an older current leader epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await partitionsOf(B1).append('orders', 0, batch('a'), { acks: -1, timeoutMs: 5000 });
    cluster.commit([
      { type: 'partitionChange', topicId: topic, partitionId: P0, leader: B2, isr: null, replicas: null },
    ]);
    await cluster.settled();
    await waitFor('broker 2 leads at epoch 1', () => cluster.hosted(B2, topic).leader()?.leaderEpoch === 1);
    const leader = partitionsOf(B2);
    await waitFor('the new leader exposes its high watermark', async () => {
      try {
        return leader.offsets('orders', 0, 1).highWatermark === 1;
      } catch {
        return false;
      }
    });
    expect(
      await errorName(leader.read('orders', 0, { offset: 0, maxBytes: 100, currentLeaderEpoch: 0 })),
    ).toBe('FENCED_LEADER_EPOCH');
    expect(await errorName(() => leader.offsets('orders', 0, 2))).toBe('UNKNOWN_LEADER_EPOCH');
    expect(leader.offsets('orders', 0, 1)).toEqual({ logStartOffset: 0, highWatermark: 1, leaderEpoch: 1 });
    expect(leader.epochEnd('orders', 0, 1, 0)).toEqual({ leaderEpoch: 0, endOffset: 1 });
    expect(leader.epochEnd('orders', 0, -1, 5)).toEqual({ leaderEpoch: -1, endOffset: -1 });
    expect(
      await errorName(
        partitionsOf(B1).read('orders', 0, { offset: 0, maxBytes: 100, currentLeaderEpoch: 1 }),
      ),
    ).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('waits for records until one is committed or the time is up, never rejecting', async () => {
    cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const leader = partitionsOf(B1);
    const started = Date.now();
    await leader.waitForRecords('orders', 0, 0, 50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    const waiting = leader.waitForRecords('orders', 0, 0, 10_000);
    await leader.append('orders', 0, batch('a'), { acks: -1, timeoutMs: 5000 });
    await waiting;
    await partitionsOf(B2).waitForRecords('orders', 0, 0, 10_000);
    await leader.waitForRecords('nope', 0, 0, 10_000);
  });

  it('finds the first committed offset at or after a timestamp', async () => {
    cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const leader = partitionsOf(B1);
    await leader.append('orders', 0, batch('a', 3), { acks: -1, timeoutMs: 5000 });
    const first = await leader.offsetForTimestamp('orders', 0, 0, -1);
    expect(first?.offset).toBe(0);
    expect(await leader.offsetForTimestamp('orders', 0, Number.MAX_SAFE_INTEGER, -1)).toBeNull();
  });
});
