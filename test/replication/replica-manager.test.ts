import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isKafkaError, KafkaError } from '../../src/common/kafka-errors.ts';
import type { BrokerId, TopicId } from '../../src/metadata/ids.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { LogSegment } from '../../src/storage/log-segment.ts';
import { offset } from '../../src/storage/types.ts';
import { UnacknowledgedAppendError } from '../../src/replication/unacknowledged-append.ts';
import { B1, B2, B3, batch, P0, type StoredBatch, TestCluster, TIMINGS, valuesByOffset } from './cluster.ts';
import { waitFor } from './helpers.ts';

let cluster: TestCluster;

beforeEach(async () => {
  cluster = await TestCluster.create();
});
afterEach(async () => {
  await cluster.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const sorted = (ids: readonly BrokerId[]) => [...ids].sort((a, b) => a - b);

function shape(batches: readonly StoredBatch[]) {
  return batches.map(({ baseOffset, lastOffset, epoch }) => ({ baseOffset, lastOffset, epoch }));
}

function expectSameBatches(a: readonly StoredBatch[], b: readonly StoredBatch[]): void {
  expect(shape(b)).toEqual(shape(a));
  a.forEach((stored, i) => {
    expect(stored.bytes.equals(b[i]!.bytes), `batch at ${stored.baseOffset} differs`).toBe(true);
  });
}

async function waitIsr(topic: TopicId, isr: readonly BrokerId[], timeoutMs = 5_000): Promise<void> {
  await waitFor(
    `the ISR to become [${isr.join(',')}]`,
    () => {
      const current = sorted(cluster.registration(topic).isr);
      return JSON.stringify(current) === JSON.stringify(sorted(isr));
    },
    { timeoutMs, describe: () => cluster.registration(topic) },
  );
}

/** Every offset holds the same record on every broker that has it. */
async function expectNoConflictingOffsets(topic: TopicId, brokers: readonly BrokerId[]): Promise<void> {
  const seen = new Map<number, { broker: BrokerId; value: string }>();
  for (const broker of brokers) {
    for (const [at, value] of valuesByOffset(await cluster.batches(broker, topic))) {
      const other = seen.get(at);
      if (other === undefined) seen.set(at, { broker, value });
      else expect(value, `offset ${at} on ${broker} vs ${other.broker}`).toBe(other.value);
    }
  }
}

describe('ReplicaManager: produce and replicate', () => {
  it('a. acks=-1 resolves once every ISR member has the records fsynced; followers hold identical batches', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    expect(cluster.hosted(B1, topic).leader()).not.toBeNull();
    expect(cluster.hosted(B2, topic).role).toMatchObject({ kind: 'follower', leader: B1, leaderEpoch: 0 });

    let expectedEnd = 0;
    for (let i = 0; i < 5; i++) {
      const result = await cluster.produce(B1, topic, batch(`a${i}`, i + 1), -1);
      expect(result.firstOffset).toBe(expectedEnd);
      expectedEnd += i + 1;
      expect(result.lastOffset).toBe(expectedEnd - 1);
      // At ack time: committed on the leader, fsynced on every ISR member.
      expect(cluster.hosted(B1, topic).highWatermark()).toBeGreaterThan(result.lastOffset);
      for (const follower of [B2, B3]) {
        expect(cluster.hosted(follower, topic).log.flushedOffset).toBeGreaterThan(result.lastOffset);
      }
    }
    // Several produces in flight together.
    const together = await Promise.all(
      Array.from({ length: 6 }, (_, i) => cluster.produce(B1, topic, batch(`c${i}`, 2), -1)),
    );
    expect(together.map((r) => r.firstOffset).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 6 }, (_, i) => expectedEnd + 2 * i),
    );
    expectedEnd += 12;

    const leaderBatches = await cluster.batches(B1, topic);
    expect(leaderBatches.at(-1)!.lastOffset).toBe(expectedEnd - 1);
    for (const follower of [B2, B3]) {
      await cluster.waitInSync(topic, B1, follower);
      expectSameBatches(leaderBatches, await cluster.batches(follower, topic));
      await waitFor(
        `broker ${follower}'s high watermark`,
        () => cluster.hosted(follower, topic).highWatermark() === expectedEnd,
      );
    }
    expect(cluster.hosted(B1, topic).highWatermark()).toBe(expectedEnd);
    expect(cluster.registration(topic).isr).toEqual([B1, B2, B3]);
    expect(cluster.errors()).toEqual([]);
  });

  it('b. acks=-1 with an ISR smaller than min.insync.replicas fails with NOT_ENOUGH_REPLICAS and appends nothing', async () => {
    const topic = cluster.createTopic('orders', [{ isr: [B1] }]);
    // Only the leader runs: nobody can join its ISR.
    cluster.start(B1);
    await cluster.settled();
    const log = cluster.hosted(B1, topic).log;
    const error = await rejection(cluster.produce(B1, topic, batch('x'), -1));
    expect(isKafkaError(error, 'NOT_ENOUGH_REPLICAS'), String(error)).toBe(true);
    expect(log.logEndOffset).toBe(0);
    // acks=1 and acks=0 do not need the ISR.
    expect((await cluster.produce(B1, topic, batch('y'), 1)).firstOffset).toBe(0);
    expect((await cluster.produce(B1, topic, batch('z'), 0)).firstOffset).toBe(1);
    // With min.insync.replicas 1 the leader alone commits.
    cluster.minInsyncReplicas = 1;
    const result = await cluster.produce(B1, topic, batch('w'), -1);
    expect(result.firstOffset).toBe(2);
    expect(cluster.hosted(B1, topic).highWatermark()).toBe(3);
  });

  it('refuses produces and reads on a follower and on a partition it does not host', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const notLeader = await rejection(cluster.produce(B2, topic, batch('x'), 1));
    expect(isKafkaError(notLeader, 'NOT_LEADER_OR_FOLLOWER'), String(notLeader)).toBe(true);
    const read = await rejection(
      cluster.manager(B3).readRecords(topic, P0, { startOffset: 0, maxBytes: 1000, maxWaitMs: 0 }),
    );
    expect(isKafkaError(read, 'NOT_LEADER_OR_FOLLOWER'), String(read)).toBe(true);
    const other = cluster.createTopic('single', [{ replicas: [B2], isr: [B2] }]);
    await cluster.settled();
    expect(cluster.manager(B1).hosted(other, P0)).toBeUndefined();
    const unknown = await rejection(cluster.produce(B1, other, batch('x'), 1));
    expect(isKafkaError(unknown, 'UNKNOWN_TOPIC_OR_PARTITION'), String(unknown)).toBe(true);
  });
});

describe('ReplicaManager: ISR changes', () => {
  it('c. followers that caught up are added to the ISR', async () => {
    const topic = cluster.createTopic('orders', [{ isr: [B1] }]);
    cluster.minInsyncReplicas = 1;
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('before', 3), 1);
    await waitIsr(topic, [B1, B2, B3]);
    const leader = cluster.hosted(B1, topic).leader()!;
    await waitFor('the leader to see the new ISR', () => leader.isr.length === 3);
    expect(cluster.registration(topic).leader).toBe(B1);
    expect(cluster.registration(topic).leaderEpoch).toBe(0);
    // Every accepted proposal came from the leader, one pending change at a time.
    for (const request of cluster.alterPartitionRequests) expect(request.brokerId).toBe(B1);
    // Now acks=-1 waits for all three.
    cluster.minInsyncReplicas = 3;
    const result = await cluster.produce(B1, topic, batch('after'), -1);
    for (const follower of [B2, B3]) {
      expect(cluster.hosted(follower, topic).log.flushedOffset).toBeGreaterThan(result.lastOffset);
    }
    expect(cluster.errors()).toEqual([]);
  });

  it('d. a follower that cannot fetch is removed from the ISR after replica.lag.time.max.ms, and rejoins', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('all'), -1);
    cluster.cutLink(B3, B1);
    await cluster.produce(B1, topic, batch('behind', 2), 1);
    await waitIsr(topic, [B1, B2]);
    const shrink = cluster.alterPartitionRequests.find((request) => request.newIsr.length === 2)!;
    expect(shrink).toMatchObject({ brokerId: B1, leaderEpoch: 0, newIsr: [B1, B2] });
    // With ISR [1,2] >= min.insync.replicas 2, acks=-1 keeps working without broker 3.
    const committed = await cluster.produce(B1, topic, batch('two'), -1);
    expect(cluster.hosted(B3, topic).log.logEndOffset).toBeLessThanOrEqual(committed.firstOffset);
    cluster.healLink(B3, B1);
    await waitIsr(topic, [B1, B2, B3]);
    await cluster.waitInSync(topic, B1, B3);
    expectSameBatches(await cluster.batches(B1, topic), await cluster.batches(B3, topic));
    expect(cluster.errors()).toEqual([]);
  });

  it('a follower that sends no fetch is removed from the ISR after replica.silence.time.max.ms, long before the lag time', async () => {
    cluster.isrTimings = { lagTimeMaxMs: 60_000, silenceTimeMaxMs: 200 };
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('all'), -1);
    // Broker 3 is cut off (as paused, or behind a stalled network): acks=-1 goes on once it has left
    // the ISR, within the produce's 5 s timeout, not after the minute of lag time.
    cluster.cutLink(B3, B1);
    await cluster.produce(B1, topic, batch('without-3'), -1);
    expect(sorted(cluster.registration(topic).isr)).toEqual([B1, B2]);
    // Broker 2, fetching all along, stayed.
    expect(cluster.alterPartitionRequests.filter((request) => !request.newIsr.includes(B2))).toEqual([]);
    cluster.healLink(B3, B1);
    await waitIsr(topic, [B1, B2, B3]);
    expect(cluster.errors()).toEqual([]);
  });

  it('does not shrink the ISR of a follower that is idle but has everything', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('x'), -1);
    cluster.cutLink(B3, B1);
    // No produce: broker 3 is not behind. Wait for two ISR checks past the lag time.
    const leader = cluster.hosted(B1, topic).leader()!;
    const until = Date.now() + 2 * TIMINGS.lagTimeMaxMs;
    await waitFor('lag time to pass', () => Date.now() > until);
    expect(leader.pendingIsr).toBeNull();
    expect(cluster.registration(topic).isr).toEqual([B1, B2, B3]);
  });

  it('a refused ISR change is proposed again later', async () => {
    const topic = cluster.createTopic('orders', [{ isr: [B1] }]);
    cluster.minInsyncReplicas = 1;
    cluster.refuseAlterPartition = new KafkaError('NOT_CONTROLLER', 'no controller');
    await cluster.startAll();
    await waitFor('two refused proposals', () => cluster.alterPartitionRequests.length >= 2);
    expect(cluster.registration(topic).isr).toEqual([B1]);
    cluster.refuseAlterPartition = null;
    await waitIsr(topic, [B1, B2, B3]);
  });
});

describe('ReplicaManager: AlterPartition outcomes (Partition.handleAlterPartitionError)', () => {
  /** ISR [1,2]; broker 3 caught up, its expansion failing with `error`; then broker 3 stops fetching. */
  async function expansionFailingWith(error: Error) {
    const topic = cluster.createTopic('orders', [{ isr: [B1, B2] }]);
    cluster.refuseAlterPartition = error;
    await cluster.startAll();
    await waitFor('the expansion to be proposed', () =>
      cluster.alterPartitionRequests.some((request) => request.newIsr.includes(B3)),
    );
    const leader = cluster.hosted(B1, topic).leader()!;
    const joinedAt = leader.followerLogEndOffset(B3)!;
    cluster.isolateFetches(B3);
    const written = await cluster.produce(B1, topic, batch('after', 3), 1);
    await waitFor('broker 2 to report the records durable', () => {
      return (leader.followerLogEndOffset(B2) ?? 0) > written.lastOffset;
    });
    return { topic, leader, joinedAt, end: written.lastOffset + 1 };
  }

  it.each([
    new KafkaError('REQUEST_TIMED_OUT', 'no active controller answered'),
    new KafkaError('NOT_CONTROLLER', 'not the controller'),
    new Error('connection reset'),
  ])(
    'an expansion of unknown outcome (%s) keeps counting the joiner and is sent again unchanged',
    async (error) => {
      const { topic, leader, joinedAt } = await expansionFailingWith(error);
      // The controller may hold [1,2,3]: the high watermark must wait for broker 3.
      expect(leader.highWatermark).toBeLessThanOrEqual(joinedAt);
      expect(leader.pendingIsr).toEqual([B1, B2, B3]);
      await waitFor('the same proposal to be sent again', () => cluster.alterPartitionRequests.length >= 3);
      for (const request of cluster.alterPartitionRequests) {
        expect(request).toMatchObject({ newIsr: [B1, B2, B3], partitionEpoch: 0, leaderEpoch: 0 });
      }
      // Broker 3 is back and the controller answers at last: the resend commits.
      cluster.healFetches(B3);
      cluster.refuseAlterPartition = null;
      await waitIsr(topic, [B1, B2, B3]);
      await cluster.waitInSync(topic, B1, B3);
      const log = cluster.hosted(B1, topic).log;
      await waitFor(
        'the high watermark to reach the log end',
        () => leader.highWatermark === log.logEndOffset,
      );
    },
  );

  it.each([
    new KafkaError('INVALID_UPDATE_VERSION', 'partition epoch moved'),
    new KafkaError('FENCED_LEADER_EPOCH', 'leader epoch moved'),
  ])('an expansion answered %s stays pending, unsent, until the image moves', async (error) => {
    const { topic, leader, joinedAt } = await expansionFailingWith(error);
    expect(leader.highWatermark).toBeLessThanOrEqual(joinedAt);
    expect(leader.pendingIsr).toEqual([B1, B2, B3]);
    const sent = cluster.alterPartitionRequests.length;
    // The image moves (here: the controller drops broker 3's expansion by shrinking to [1,2] again).
    cluster.refuseAlterPartition = null;
    cluster.commit([
      {
        type: 'partitionChange',
        topicId: topic,
        partitionId: P0,
        leader: null,
        isr: [B1, B2],
        replicas: null,
      },
    ]);
    await waitFor('the pending change to clear', () => leader.pendingIsr === null);
    expect(cluster.alterPartitionRequests.slice(0, sent).every((r) => r.partitionEpoch === 0)).toBe(true);
  });

  it.each([
    new KafkaError('INELIGIBLE_REPLICA', 'broker 3 is fenced'),
    new KafkaError('INVALID_REQUEST', 'broker 3 is fenced or shutting down'),
    new KafkaError('OPERATION_NOT_ATTEMPTED', 'not attempted'),
  ])('a definite refusal (%s) forgets the joiner: the high watermark moves on without it', async (error) => {
    const { leader, joinedAt, end } = await expansionFailingWith(error);
    await waitFor('the high watermark to pass broker 3', () => leader.highWatermark === end);
    expect(end).toBeGreaterThan(joinedAt);
  });
});

describe('ReplicaManager: leader change and divergence (KIP-595)', () => {
  it.each([
    { name: 'old leader ahead of the new one', lost: 4, fresh: 1 },
    { name: 'new leader ahead of the old one', lost: 1, fresh: 4 },
    { name: 'new leader wrote nothing yet', lost: 2, fresh: 0 },
  ])('e. the old leader truncates its unreplicated suffix ($name)', async ({ lost, fresh }) => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('common-a', 2), -1);
    await cluster.produce(B1, topic, batch('common-b', 1), -1);
    const common = cluster.hosted(B1, topic).log.logEndOffset;
    for (const follower of [B2, B3]) await cluster.waitInSync(topic, B1, follower);

    // The leader is cut off from both followers (and the controller keeps the ISR as it is).
    cluster.refuseAlterPartition = new KafkaError('NOT_CONTROLLER', 'the controller is unreachable');
    for (const follower of [B2, B3]) cluster.cutLink(follower, B1);
    cluster.isolateFetches(B1);
    for (let i = 0; i < lost; i++) await cluster.produce(B1, topic, batch(`lost-${i}`, 2), 1);
    expect(cluster.hosted(B1, topic).log.logEndOffset).toBe(common + 2 * lost);
    expect(cluster.hosted(B2, topic).log.logEndOffset).toBe(common);
    expect(cluster.hosted(B3, topic).log.logEndOffset).toBe(common);

    // The controller elects broker 2 (in the ISR) with leader epoch 1.
    cluster.commit([
      { type: 'partitionChange', topicId: topic, partitionId: P0, leader: B2, isr: [B2, B3], replicas: null },
    ]);
    await cluster.settled();
    cluster.refuseAlterPartition = null;
    expect(cluster.registration(topic)).toMatchObject({ leader: B2, leaderEpoch: 1 });
    expect(cluster.hosted(B2, topic).leader()?.leaderEpoch).toBe(1);
    expect(cluster.hosted(B1, topic).role).toMatchObject({ kind: 'follower', leader: B2, leaderEpoch: 1 });
    // The old leader refuses the new epoch's appends.
    const fenced = await rejection(cluster.produce(B1, topic, batch('late'), 1));
    expect(isKafkaError(fenced, 'NOT_LEADER_OR_FOLLOWER'), String(fenced)).toBe(true);

    for (let i = 0; i < fresh; i++) await cluster.produce(B2, topic, batch(`fresh-${i}`, 1), -1);
    await cluster.waitInSync(topic, B2, B3);

    cluster.healFetches(B1);
    await cluster.waitInSync(topic, B2, B1);
    const leaderBatches = await cluster.batches(B2, topic);
    expectSameBatches(leaderBatches, await cluster.batches(B1, topic));
    expectSameBatches(leaderBatches, await cluster.batches(B3, topic));
    expect(shape(leaderBatches).map((b) => b.epoch)).toEqual([0, 0, ...Array(fresh).fill(1)]);
    const values = [...valuesByOffset(await cluster.batches(B1, topic)).values()];
    expect(values.some((value) => value.startsWith('lost'))).toBe(false);
    expect(cluster.hosted(B1, topic).log.leaderEpochEntries).toEqual(
      cluster.hosted(B2, topic).log.leaderEpochEntries,
    );
    await expectNoConflictingOffsets(topic, [B1, B2, B3]);
    // Broker 1 rejoins the ISR of the new leader.
    await waitIsr(topic, [B1, B2, B3]);
    expect(
      cluster.logs.some((line) => line.msg === 'truncated a diverging log suffix' && line.broker === B1),
    ).toBe(true);
    expect(cluster.errors()).toEqual([]);
  });

  it('a follower of a new leader fetches with the new epoch; a follower still on the old epoch is fenced', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('x'), -1);
    const request = (currentLeaderEpoch: number, lastFetchedEpoch: number, fetchOffset: number) => ({
      replicaId: B3,
      brokerEpoch: 0,
      maxWaitMs: 0,
      maxBytes: 1 << 20,
      partitions: [
        {
          topicId: topic,
          partition: P0,
          fetchOffset,
          currentLeaderEpoch,
          lastFetchedEpoch,
          maxBytes: 1 << 20,
        },
      ],
    });
    const leader = cluster.manager(B1);
    const ok = await leader.handleFetch(request(0, 0, 0));
    expect(ok.partitions[0]!.error).toBeNull();
    expect([...batchesIn(Buffer.from(ok.partitions[0]!.records))].length).toBe(1);
    expect((await leader.handleFetch(request(1, 0, 1))).partitions[0]!.error?.name).toBe(
      'UNKNOWN_LEADER_EPOCH',
    );
    cluster.commit([
      { type: 'partitionChange', topicId: topic, partitionId: P0, leader: B1, isr: null, replicas: null },
    ]);
    await cluster.settled();
    expect((await leader.handleFetch(request(0, 0, 1))).partitions[0]!.error?.name).toBe(
      'FENCED_LEADER_EPOCH',
    );
    // A fetch beyond the leader's log end in an epoch it knows: its epoch 0 ends at 1.
    const diverging = await leader.handleFetch(request(1, 0, 5));
    expect(diverging.partitions[0]!.divergingEpoch).toEqual({ epoch: 0, endOffset: 1 });
    // Beyond the log end with no epoch to compare.
    expect((await leader.handleFetch(request(1, -1, 5))).partitions[0]!.error?.name).toBe(
      'OFFSET_OUT_OF_RANGE',
    );
    // A broker outside the replicas is refused.
    const stranger = { ...request(1, 0, 1), replicaId: 7 };
    expect((await leader.handleFetch(stranger)).partitions[0]!.error?.name).toBe('NOT_LEADER_OR_FOLLOWER');
  });
  it('a follower that hears of a new leader before the leader does fetches again within milliseconds, not after a whole backoff', async () => {
    cluster.fetchBackoffMs = 60_000;
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('before'), -1);
    for (const follower of [B2, B3]) await cluster.waitInSync(topic, B1, follower);
    await cluster.stop(B1);
    const sent = () => cluster.fetchesSent.get(B3) ?? 0;
    const before = sent();
    cluster.commit(
      [
        {
          type: 'partitionChange',
          topicId: topic,
          partitionId: P0,
          leader: B2,
          isr: [B2, B3],
          replicas: null,
        },
      ],
      [B3],
    );
    // Broker 2 does not lead yet and refuses; a second fetch soon after means the refusal cost no backoff.
    await waitFor('a fetch after a refusal', () => sent() >= before + 2, { timeoutMs: 5_000 });
    cluster.publish(B2);
    await cluster.settled();
    await cluster.produce(B2, topic, batch('after'), -1, 5_000);
  });
});

describe('ReplicaManager: defences against a stale image (issue 6 finding 1)', () => {
  /** Leader 1 at epoch 0 writes; the controller moves leadership to 2 (epoch 1), which writes acks=-1. */
  async function failoverTo2() {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('epoch0', 2), -1);
    const stale = cluster.image;
    cluster.commit([
      {
        type: 'partitionChange',
        topicId: topic,
        partitionId: P0,
        leader: B2,
        isr: [B2, B3, B1],
        replicas: null,
      },
    ]);
    await cluster.settled();
    const acknowledged = await cluster.produce(B2, topic, batch('epoch1', 3), -1);
    for (const broker of [B1, B3]) await cluster.waitInSync(topic, B2, broker);
    return { topic, stale, acknowledged };
  }

  it('a broker never leads nor follows at a leader epoch older than its log; a newer image puts it back', async () => {
    const { topic, stale, acknowledged } = await failoverTo2();
    const before = await cluster.batches(B1, topic);
    expect(before.at(-1)?.epoch).toBe(1);
    // Brokers 1 and 3 restart on the image before the failover: 1 "leads" and 3 "follows 1" at epoch 0.
    for (const broker of [B1, B3]) {
      await cluster.stop(broker);
      cluster.start(broker, stale);
    }
    await cluster.settled();
    for (const broker of [B1, B3]) expect(cluster.hosted(broker, topic).role).toEqual({ kind: 'none' });
    const refused = await rejection(cluster.produce(B1, topic, batch('stale'), 1));
    expect(isKafkaError(refused, 'NOT_LEADER_OR_FOLLOWER'), String(refused)).toBe(true);
    expect(cluster.logs.some((line) => line.msg.startsWith('stale metadata') && line.broker === B3)).toBe(
      true,
    );
    // Nothing acknowledged at epoch 1 was cut anywhere.
    for (const broker of [B1, B3]) {
      expect(cluster.hosted(broker, topic).log.logEndOffset).toBeGreaterThan(acknowledged.lastOffset);
    }
    // The current image: followers of 2 at epoch 1 again.
    for (const broker of [B1, B3]) cluster.manager(broker).applyImage(cluster.image);
    await cluster.settled();
    for (const broker of [B1, B3]) {
      expect(cluster.hosted(broker, topic).role).toEqual({ kind: 'follower', leader: B2, leaderEpoch: 1 });
    }
    await cluster.produce(B2, topic, batch('after', 1), -1);
    expectSameBatches(await cluster.batches(B2, topic), await cluster.batches(B1, topic));
  });

  it('a leader refuses a fetch whose last fetched epoch is newer than its own, rather than answer a diverging epoch', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('epoch0', 2), -1);
    const response = await cluster.manager(B1).handleFetch({
      replicaId: B2,
      brokerEpoch: cluster.image.brokers.get(B2)!.epoch,
      maxWaitMs: 0,
      maxBytes: 1 << 20,
      partitions: [
        {
          topicId: topic,
          partition: P0,
          fetchOffset: 5,
          currentLeaderEpoch: 0,
          lastFetchedEpoch: 3,
          maxBytes: 1 << 20,
        },
      ],
    });
    const [answer] = response.partitions;
    expect(answer?.divergingEpoch).toBeNull();
    expect(answer?.error?.name).toBe('UNKNOWN_LEADER_EPOCH');
    // The follower's offset was not credited either.
    expect(cluster.hosted(B1, topic).leader()!.followerLogEndOffset(B2)).toBe(2);
  });
});

describe('ReplicaManager: reads', () => {
  it('f. readRecords on the leader returns only batches below the high watermark', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const first = await cluster.produce(B1, topic, batch('committed', 3), -1);
    const manager = cluster.manager(B1);
    const hosted = cluster.hosted(B1, topic);
    cluster.refuseAlterPartition = new KafkaError('NOT_CONTROLLER', 'the controller is unreachable');
    cluster.cutLink(B2, B1);
    cluster.cutLink(B3, B1);
    const second = await cluster.produce(B1, topic, batch('uncommitted', 2), 1);
    await hosted.log.flush();
    const hw = first.lastOffset + 1;
    expect(hosted.highWatermark()).toBe(hw);

    const read = await manager.readRecords(topic, P0, { startOffset: 0, maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(read.highWatermark).toBe(hw);
    expect(read.nextOffset).toBe(hw);
    expect([...batchesIn(read.bytes)].map(({ header }) => header.baseOffset)).toEqual([0]);
    // A start inside the committed batch returns that whole batch.
    const inside = await manager.readRecords(topic, P0, { startOffset: 1, maxBytes: 1 << 20, maxWaitMs: 0 });
    expect([...batchesIn(inside.bytes)].map(({ header }) => header.baseOffset)).toEqual([0]);
    // At the high watermark: nothing yet.
    const atHw = await manager.readRecords(topic, P0, { startOffset: hw, maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(atHw.bytes.length).toBe(0);
    expect(atHw.nextOffset).toBe(hw);
    const beyond = await rejection(
      manager.readRecords(topic, P0, { startOffset: second.lastOffset + 2, maxBytes: 1 << 20, maxWaitMs: 0 }),
    );
    expect(isKafkaError(beyond, 'OFFSET_OUT_OF_RANGE'), String(beyond)).toBe(true);

    cluster.healLink(B2, B1);
    cluster.healLink(B3, B1);
    await waitFor(
      'the high watermark to pass the second batch',
      () => hosted.highWatermark() > second.lastOffset,
    );
    const all = await manager.readRecords(topic, P0, { startOffset: 0, maxBytes: 1 << 20, maxWaitMs: 0 });
    expect([...batchesIn(all.bytes)].map(({ header }) => header.baseOffset)).toEqual([0, second.firstOffset]);
    expect(all.nextOffset).toBe(second.lastOffset + 1);
  });

  it('readRecords long-polls at the high watermark until records are committed or maxWaitMs passes', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const manager = cluster.manager(B1);
    const started = Date.now();
    const empty = await manager.readRecords(topic, P0, { startOffset: 0, maxBytes: 1 << 20, maxWaitMs: 100 });
    expect(empty.bytes.length).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    const waiting = manager.readRecords(topic, P0, { startOffset: 0, maxBytes: 1 << 20, maxWaitMs: 5_000 });
    const produced = await cluster.produce(B1, topic, batch('x', 2), -1);
    const read = await waiting;
    expect([...batchesIn(read.bytes)].map(({ header }) => header.baseOffset)).toEqual([produced.firstOffset]);
    expect(read.nextOffset).toBe(2);
    expect(read.highWatermark).toBe(2);
  });
});

describe('ReplicaManager: restart', () => {
  it('g. a restarted follower recovers its log from its directory and catches up', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('before', 2), -1);
    await cluster.produce(B1, topic, batch('before-2', 1), -1);
    const before = await cluster.batches(B3, topic);
    const endBefore = cluster.hosted(B3, topic).log.logEndOffset;
    expect(endBefore).toBe(3);
    await cluster.stop(B3);

    await cluster.produce(B1, topic, batch('while-down', 2), 1);
    // acks=-1 succeeds once the leader has dropped broker 3 from the ISR (|ISR| = 2 = min.insync.replicas).
    const committed = await cluster.produce(B1, topic, batch('all-while-down', 1), -1);
    expect(sorted(cluster.registration(topic).isr)).toEqual([B1, B2]);
    expect(cluster.hosted(B2, topic).log.flushedOffset).toBeGreaterThan(committed.lastOffset);

    const restarted = cluster.start(B3);
    await restarted.settled();
    const hosted = cluster.hosted(B3, topic);
    // Recovered as it was when it stopped, or already catching up.
    expect(hosted.log.logEndOffset).toBeGreaterThanOrEqual(endBefore);
    expectSameBatches(before, (await cluster.batches(B3, topic)).slice(0, before.length));
    await cluster.waitInSync(topic, B1, B3);
    expectSameBatches(await cluster.batches(B1, topic), await cluster.batches(B3, topic));
    await waitIsr(topic, [B1, B2, B3]);
    expect(cluster.errors()).toEqual([]);
  });

  it('a restarted leader keeps its log and the followers stay in sync', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('one', 2), -1);
    await cluster.stop(B1);
    cluster.start(B1);
    await cluster.settled();
    expect(cluster.hosted(B1, topic).log.logEndOffset).toBe(2);
    const result = await cluster.produce(B1, topic, batch('two'), -1);
    expect(result.firstOffset).toBe(2);
    for (const follower of [B2, B3]) {
      await cluster.waitInSync(topic, B1, follower);
      expectSameBatches(await cluster.batches(B1, topic), await cluster.batches(follower, topic));
    }
  });

  it('end offsets never go back: a restarted leader answers OFFSET_NOT_AVAILABLE until its high watermark reaches its epoch start (KIP-207)', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('one', 3), -1);
    const exposed = cluster.manager(B1).partitionOffsets(topic, P0).highWatermark;
    expect(exposed).toBe(3);
    for (const broker of [B1, B2, B3]) await cluster.stop(broker);
    // The leader comes back first: its high watermark starts at 0, below what clients saw.
    cluster.start(B1);
    await cluster.settled();
    const leader = cluster.hosted(B1, topic).leader()!;
    expect(leader.highWatermark).toBeLessThan(exposed);
    const offsets = (() => {
      try {
        return cluster.manager(B1).partitionOffsets(topic, P0);
      } catch (error) {
        return error;
      }
    })();
    expect(isKafkaError(offsets, 'OFFSET_NOT_AVAILABLE'), String(offsets)).toBe(true);
    expect((offsets as KafkaError).code).toBe(78);
    expect((offsets as KafkaError).retriable).toBe(true);
    const read = await rejection(
      cluster.manager(B1).readRecords(topic, P0, { startOffset: 0, maxBytes: 1 << 20, maxWaitMs: 0 }),
    );
    expect(isKafkaError(read, 'OFFSET_NOT_AVAILABLE'), String(read)).toBe(true);
    // The followers come back and fetch: the high watermark reaches the epoch start, offsets answer again.
    cluster.start(B2);
    cluster.start(B3);
    await waitFor('the high watermark to reach the epoch start', () => leader.highWatermark >= exposed);
    expect(cluster.manager(B1).partitionOffsets(topic, P0).highWatermark).toBeGreaterThanOrEqual(exposed);
    const after = await cluster
      .manager(B1)
      .readRecords(topic, P0, { startOffset: 0, maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(after.highWatermark).toBeGreaterThanOrEqual(exposed);
  });

  it('close() stops the fetchers: a closed follower fetches nothing more', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('one'), -1);
    const log = cluster.hosted(B3, topic).log;
    await cluster.stop(B3);
    await cluster.produce(B1, topic, batch('two'), 1);
    await cluster.hosted(B2, topic).log.flush();
    await cluster.waitInSync(topic, B1, B2);
    expect(log.logEndOffset).toBe(1);
    // Its log is closed.
    const closed = await rejection(log.read({ startOffset: offset(0), maxBytes: 100, maxOffset: offset(1) }));
    expect(closed).toBeInstanceOf(Error);
  });
});

describe('ReplicaManager: failures of acks=-1 produces', () => {
  it('times out with REQUEST_TIMED_OUT when the ISR cannot be reached and cannot shrink', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    cluster.refuseAlterPartition = new KafkaError('NOT_CONTROLLER', 'the controller is unreachable');
    cluster.cutLink(B2, B1);
    cluster.cutLink(B3, B1);
    const error = await rejection(cluster.produce(B1, topic, batch('x'), -1, 200));
    expect(isKafkaError(error, 'REQUEST_TIMED_OUT'), String(error)).toBe(true);
    // As in Kafka, the records stay in the leader's log (not committed).
    expect(cluster.hosted(B1, topic).log.logEndOffset).toBe(1);
    expect(cluster.hosted(B1, topic).highWatermark()).toBe(0);
  });

  it('fails with NOT_LEADER_OR_FOLLOWER when leadership moves while it waits for the ISR', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    cluster.refuseAlterPartition = new KafkaError('NOT_CONTROLLER', 'the controller is unreachable');
    cluster.cutLink(B2, B1);
    cluster.cutLink(B3, B1);
    const pending = rejection(cluster.produce(B1, topic, batch('x'), -1, 10_000));
    await waitFor('the append', () => cluster.hosted(B1, topic).log.flushedOffset === 1);
    cluster.commit([
      { type: 'partitionChange', topicId: topic, partitionId: P0, leader: B2, isr: [B2, B3], replicas: null },
    ]);
    const error = await pending;
    expect(isKafkaError(error, 'NOT_LEADER_OR_FOLLOWER'), String(error)).toBe(true);
    // Appended, then failed: whoever forwarded it must not send it again (it may be kept by the new leader).
    expect(error).toBeInstanceOf(UnacknowledgedAppendError);
  });

  // BUG (replica-manager.ts appendRecords): leadership can move while the leader waits for its own fsync
  // (`await durable`); the produce then waits on the HostedPartition's high watermark, which is now the
  // follower's high watermark, and is acknowledged once the new leader's high watermark passes the offset,
  // although the new leader wrote other records there and the produced ones were truncated.
  it('an acks=-1 produce whose leadership moves during its fsync is not acknowledged', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('common'), -1);
    for (const follower of [B2, B3]) await cluster.waitInSync(topic, B1, follower);

    // Hold the leader's next fsync wait (a slow disk) until the leadership has moved on.
    const log = cluster.hosted(B1, topic).log;
    const waitDurable = log.waitDurable.bind(log);
    let held = false;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    log.waitDurable = async (target) => {
      if (!held) {
        held = true;
        await gate;
      }
      return waitDurable(target);
    };
    cluster.refuseAlterPartition = new KafkaError('NOT_CONTROLLER', 'the controller is unreachable');
    cluster.cutLink(B2, B1);
    cluster.cutLink(B3, B1);
    cluster.isolateFetches(B1);
    const outcome = cluster.produce(B1, topic, batch('doomed'), -1, 10_000).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    await waitFor('the leader to append and wait for its fsync', () => held);

    cluster.commit([
      { type: 'partitionChange', topicId: topic, partitionId: P0, leader: B2, isr: [B2, B3], replicas: null },
    ]);
    await cluster.settled();
    cluster.refuseAlterPartition = null;
    await cluster.produce(B2, topic, batch('winner', 3), -1);
    cluster.healFetches(B1);
    await cluster.waitInSync(topic, B2, B1);
    await waitFor(
      "broker 1's high watermark to pass offset 1",
      () => cluster.hosted(B1, topic).highWatermark() > 1,
    );
    release();
    const settled = await outcome;
    const values = valuesByOffset(await cluster.batches(B1, topic));
    expect(
      'error' in settled,
      `acknowledged ${JSON.stringify('result' in settled ? settled.result : null)}; offset 1 holds ${values.get(1)}`,
    ).toBe(true);
    if ('error' in settled)
      expect(isKafkaError(settled.error, 'NOT_LEADER_OR_FOLLOWER'), String(settled.error)).toBe(true);
  });
});

describe('ReplicaManager: a failed partition log takes the log directory offline (issue 6 finding 3)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** From now on, `method` of every segment of broker `broker` fails with EIO. */
  function failSegments(broker: BrokerId, method: 'datasync' | 'append'): void {
    const original = LogSegment.prototype[method] as (this: LogSegment, ...args: unknown[]) => Promise<void>;
    const dir = cluster.logDir(broker);
    vi.spyOn(LogSegment.prototype, method).mockImplementation(async function (
      this: LogSegment,
      ...args: unknown[]
    ) {
      if (this.paths.log.startsWith(dir)) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      return original.apply(this, args);
    } as LogSegment[typeof method]);
  }

  it('a follower whose fsync failed stops fetching at once and is never credited with records it did not fsync', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('before'), -1);
    failSegments(B2, 'datasync');
    const leader = cluster.hosted(B1, topic).leader()!;
    const follower = cluster.hosted(B2, topic);
    // acks=-1: acknowledged only once the ISR holds it durably, so never on broker 2's word.
    const result = await cluster.produce(B1, topic, batch('after', 3), -1);
    expect(leader.followerLogEndOffset(B2) ?? 0).toBeLessThanOrEqual(follower.log.flushedOffset);
    expect(follower.log.flushedOffset).toBeLessThanOrEqual(result.firstOffset);
    expect(leader.isr).not.toContain(B2);
    expect(cluster.logDirFailures).toHaveLength(1);
    expect(cluster.logDirFailures[0]).toMatchObject({
      broker: B2,
      error: { errorName: 'KAFKA_STORAGE_ERROR' },
    });
    expect(follower.role).toEqual({ kind: 'none' });
    // No fetch left broker 2 after the failure; it answers KAFKA_STORAGE_ERROR to everything.
    const sent = cluster.fetchesSent.get(B2);
    await cluster.produce(B1, topic, batch('more'), -1);
    expect(cluster.fetchesSent.get(B2)).toBe(sent);
    const read = await rejection(
      cluster.manager(B2).readRecords(topic, P0, { startOffset: 0, maxBytes: 1024, maxWaitMs: 0 }),
    );
    expect(isKafkaError(read, 'KAFKA_STORAGE_ERROR'), String(read)).toBe(true);
    const produce = await rejection(cluster.produce(B2, topic, batch('x'), 1));
    expect(isKafkaError(produce, 'KAFKA_STORAGE_ERROR'), String(produce)).toBe(true);
    expect(cluster.logDirFailures).toHaveLength(1);
  });

  it('a follower whose fetch offset passes its flushed offset (an fsync that did not flush) fails stop like a log dir failure', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('before'), -1);
    const follower = cluster.hosted(B2, topic);
    // A flush that returns without flushing: the fetcher's next request must not report the records.
    follower.log.flush = async () => follower.log.flushedOffset;
    await cluster.produce(B1, topic, batch('after', 2), 1);
    await waitFor('broker 2 to fail stop', () => cluster.logDirFailures.length > 0, {
      describe: () => ({ logEnd: follower.log.logEndOffset, flushed: follower.log.flushedOffset }),
    });
    expect(cluster.logDirFailures).toEqual([
      { broker: B2, error: expect.objectContaining({ errorName: 'KAFKA_STORAGE_ERROR' }) },
    ]);
    expect(follower.role).toEqual({ kind: 'none' });
    expect(cluster.hosted(B1, topic).leader()!.followerLogEndOffset(B2) ?? 0).toBeLessThanOrEqual(
      follower.log.flushedOffset,
    );
    const read = await rejection(
      cluster.manager(B2).readRecords(topic, P0, { startOffset: 0, maxBytes: 1024, maxWaitMs: 0 }),
    );
    expect(isKafkaError(read, 'KAFKA_STORAGE_ERROR'), String(read)).toBe(true);
    const sent = cluster.fetchesSent.get(B2);
    await cluster.produce(B1, topic, batch('more'), 1);
    await cluster.settled();
    expect(cluster.fetchesSent.get(B2)).toBe(sent);
  });

  it('a leader whose write failed gives up leadership: waiters, produces and fetches answer KAFKA_STORAGE_ERROR', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    const changes: boolean[] = [];
    cluster.manager(B1).onLeadershipChange((change) => changes.push(change.leading));
    await cluster.produce(B1, topic, batch('before'), -1);
    // A produce waiting for the ISR while the leader's disk fails under another produce.
    cluster.isolateFetches(B2);
    cluster.isolateFetches(B3);
    const waiting = rejection(cluster.produce(B1, topic, batch('waiting'), -1));
    await waitFor(
      'the waiting produce to be appended',
      () => cluster.hosted(B1, topic).log.logEndOffset === 2,
    );
    failSegments(B1, 'append');
    const failed = await rejection(cluster.produce(B1, topic, batch('fails'), 1));
    expect(isKafkaError(failed, 'KAFKA_STORAGE_ERROR'), String(failed)).toBe(true);
    const waiter = await waiting;
    expect(isKafkaError(waiter, 'KAFKA_STORAGE_ERROR'), String(waiter)).toBe(true);
    expect(waiter).toBeInstanceOf(UnacknowledgedAppendError);
    expect(cluster.hosted(B1, topic).role).toEqual({ kind: 'none' });
    expect(changes).toEqual([false]);
    expect(cluster.logDirFailures.map((failure) => failure.broker)).toEqual([B1]);
    const fetched = await cluster.manager(B1).handleFetch({
      replicaId: B2,
      brokerEpoch: cluster.image.brokers.get(B2)!.epoch,
      maxWaitMs: 0,
      maxBytes: 1 << 20,
      partitions: [
        {
          topicId: topic,
          partition: P0,
          fetchOffset: 1,
          currentLeaderEpoch: 0,
          lastFetchedEpoch: 0,
          maxBytes: 1024,
        },
      ],
    });
    expect(fetched.partitions[0]?.error?.name).toBe('KAFKA_STORAGE_ERROR');
    const offsets = (() => {
      try {
        return cluster.manager(B1).partitionOffsets(topic, P0);
      } catch (error) {
        return error;
      }
    })();
    expect(isKafkaError(offsets, 'KAFKA_STORAGE_ERROR'), String(offsets)).toBe(true);
  });
});

describe('ReplicaManager: partitions leaving a broker', () => {
  it('a removed topic is dropped from every broker with its directory', async () => {
    const topic = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('x'), -1);
    const dirs = [B1, B2, B3].map((id) => cluster.hosted(id, topic).log.dir);
    cluster.commit([{ type: 'removeTopic', topicId: topic }]);
    await cluster.settled();
    for (const id of [B1, B2, B3]) expect(cluster.manager(id).hosted(topic, P0)).toBeUndefined();
    for (const dir of dirs) expect(existsSync(dir), dir).toBe(false);
    expect(cluster.errors()).toEqual([]);
  });

  it('a broker that restarts after its topic was deleted and recreated under the same name starts afresh', async () => {
    const old = cluster.createTopic('orders', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, old, batch('old', 5), -1);
    await cluster.waitInSync(old, B1, B3);
    await cluster.stop(B3);
    cluster.commit([{ type: 'removeTopic', topicId: old }]);
    const fresh = cluster.createTopic('orders', [{}]);
    await cluster.settled();
    await cluster.produce(B1, fresh, batch('new', 2), 1);
    cluster.start(B3);
    await cluster.settled();
    await cluster.waitInSync(fresh, B1, B3);
    const values = [...valuesByOffset(await cluster.batches(B3, fresh)).values()];
    expect(values).toEqual(['new-0', 'new-1']);
  });

  // BUG (replica-fetcher.ts process/run): the flush after a round of appends is outside the per-partition
  // try/catch, so a flush that fails (here: the partition's log was closed because the partition left
  // the broker while the fetcher was between its append and its flush) rejects run(): the fetcher dies,
  // stays in ReplicaManager.fetchers (never aborted, so syncFetchers does not replace it), and every other
  // partition this broker follows from that leader stops replicating.
  it('a partition closed under the fetcher between append and flush does not stop the other partitions', async () => {
    const doomed = cluster.createTopic('doomed', [{}]);
    const kept = cluster.createTopic('kept', [{}]);
    await cluster.startAll();
    await cluster.produce(B1, doomed, batch('d'), -1);
    await cluster.produce(B1, kept, batch('k'), -1);
    const log = cluster.hosted(B2, doomed).log;
    const flush = log.flush.bind(log);
    let closedUnderFetcher = false;
    log.flush = async () => {
      if (!closedUnderFetcher) {
        closedUnderFetcher = true;
        // What ReplicaManager.drop() does when the partition leaves the broker at this moment.
        cluster.commit([{ type: 'removeTopic', topicId: doomed }]);
        void log.close().catch(() => undefined);
      }
      return flush();
    };
    await cluster.produce(B1, doomed, batch('d2'), 1);
    await waitFor('the partition to be closed under the fetcher', () => closedUnderFetcher);
    await cluster.settled();
    await cluster.produce(B1, kept, batch('k2'), 1);
    await cluster.waitInSync(kept, B1, B3);
    const fetcherFailed = () => cluster.errors().filter((line) => line.msg === 'replica fetcher failed');
    const b2 = () => cluster.hosted(B2, kept).log;
    await waitFor('broker 2 to catch up on the other partition, or its fetcher to fail', () => {
      return fetcherFailed().length > 0 || b2().logEndOffset === cluster.hosted(B1, kept).log.logEndOffset;
    });
    expect(fetcherFailed().map((line) => (line.err as { message?: string } | undefined)?.message)).toEqual(
      [],
    );
    await cluster.waitInSync(kept, B1, B2);
  });
});

describe('ReplicaManager: retention', () => {
  it("deletes segments below the high watermark; a follower left below the leader's log start starts again there", async () => {
    const topic = cluster.createTopic('retained', [{}]);
    // Small segments, and retention keeping about two of them (topic configs, as the controller stores them).
    cluster.commit(
      [
        ['segment.bytes', '300'],
        ['retention.bytes', '600'],
      ].map(([name, value]) => ({
        type: 'config' as const,
        resourceType: 'topic' as const,
        resourceName: 'retained',
        name: name!,
        value: value!,
      })),
    );
    await cluster.startAll();
    cluster.isolateFetches(B3);
    for (let i = 0; i < 20; i++) await cluster.produce(B1, topic, batch(`r${i}`), 1);
    await waitIsr(topic, [B1, B2]);
    await cluster.waitInSync(topic, B1, B2);
    const leaderLog = cluster.hosted(B1, topic).log;
    expect(leaderLog.segmentCount).toBeGreaterThan(3);
    await waitFor(
      'the high watermark at the log end',
      () => cluster.hosted(B1, topic).highWatermark() === leaderLog.logEndOffset,
    );

    await cluster.manager(B1).applyRetention();
    expect(leaderLog.logStartOffset).toBeGreaterThan(0);
    expect(leaderLog.sizeBytes).toBeLessThanOrEqual(600 + 300);
    const follower2 = cluster.hosted(B2, topic).log;
    await waitFor(
      "broker 2's log start follows the leader's",
      () => follower2.logStartOffset === leaderLog.logStartOffset,
    );

    // Broker 3 has nothing, and the leader no longer has offset 0: it must start again at the log start.
    expect(cluster.hosted(B3, topic).log.logEndOffset).toBe(0);
    cluster.healFetches(B3);
    await cluster.waitInSync(topic, B1, B3);
    await waitIsr(topic, [B1, B2, B3]);
    const follower3 = cluster.hosted(B3, topic).log;
    expect(follower3.logStartOffset).toBe(leaderLog.logStartOffset);
    expect(cluster.logs.some((line) => line.broker === B3 && line.msg.includes('truncated fully'))).toBe(
      true,
    );
    expectSameBatches(await cluster.batches(B1, topic), await cluster.batches(B3, topic));
    expect(cluster.errors()).toEqual([]);
  });
});

describe('ReplicaManager: ListOffsets by timestamp', () => {
  it('the leader answers the first committed offset at or after a timestamp; a follower refuses', async () => {
    const topic = cluster.createTopic('timed', [{}]);
    await cluster.startAll();
    // Records 0..2 stamped 1_700_000_000_000 + 0..2.
    await cluster.produce(B1, topic, batch('t', 3), -1);
    const leader = cluster.manager(B1);
    expect(await leader.offsetForTimestamp(topic, P0, 0)).toEqual({
      offset: 0,
      timestamp: 1_700_000_000_000,
    });
    expect(await leader.offsetForTimestamp(topic, P0, 1_700_000_000_002)).toEqual({
      offset: 2,
      timestamp: 1_700_000_000_002,
    });
    expect(await leader.offsetForTimestamp(topic, P0, 1_700_000_000_003)).toBeNull();
    const refused = await rejection(cluster.manager(B2).offsetForTimestamp(topic, P0, 0));
    expect(isKafkaError(refused, 'NOT_LEADER_OR_FOLLOWER')).toBe(true);
    expect(cluster.errors()).toEqual([]);
  });
});

describe('ReplicaManager: DeleteRecords', () => {
  it('the leader moves its log start up to the high watermark, durably; followers follow; reads below it are out of range', async () => {
    const topic = cluster.createTopic('trimmed', [{}]);
    await cluster.startAll();
    for (let i = 0; i < 3; i++) await cluster.produce(B1, topic, batch(`d${i}`, 2), -1);
    const leader = cluster.manager(B1);
    await waitFor('the high watermark at 6', () => cluster.hosted(B1, topic).highWatermark() === 6);

    expect(isKafkaError(await rejection(leader.deleteRecords(topic, P0, 7)), 'OFFSET_OUT_OF_RANGE')).toBe(
      true,
    );
    const follower = cluster.manager(B2);
    expect(
      isKafkaError(await rejection(follower.deleteRecords(topic, P0, 3)), 'NOT_LEADER_OR_FOLLOWER'),
    ).toBe(true);
    // Mid-batch: batch [2, 3] stays, its offset 2 can no longer be read.
    expect(await leader.deleteRecords(topic, P0, 3)).toEqual({ lowWatermark: 3 });
    expect(await leader.deleteRecords(topic, P0, 1)).toEqual({ lowWatermark: 3 });
    expect(leader.partitionOffsets(topic, P0)).toEqual({ logStartOffset: 3, highWatermark: 6 });
    const below = leader.readRecords(topic, P0, { startOffset: 2, maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(isKafkaError(await rejection(below), 'OFFSET_OUT_OF_RANGE')).toBe(true);
    const from = await leader.readRecords(topic, P0, { startOffset: 3, maxBytes: 1 << 20, maxWaitMs: 0 });
    expect(from.bytes.length).toBeGreaterThan(0);
    for (const id of [B2, B3]) {
      await waitFor(`broker ${id}'s log start follows the leader's`, () => {
        return cluster.hosted(id, topic).log.logStartOffset === 3;
      });
    }

    expect(await leader.deleteRecords(topic, P0, -1)).toEqual({ lowWatermark: 6 });
    await cluster.stop(B1);
    cluster.start(B1);
    await cluster.settled();
    expect(cluster.hosted(B1, topic).log.logStartOffset).toBe(6);
    expect(cluster.errors()).toEqual([]);
  });

  it('a topic whose cleanup.policy is compact only refuses (POLICY_VIOLATION)', async () => {
    const topic = cluster.createTopic('compacted', [{}]);
    cluster.commit([
      {
        type: 'config',
        resourceType: 'topic',
        resourceName: 'compacted',
        name: 'cleanup.policy',
        value: 'compact',
      },
    ]);
    await cluster.startAll();
    await cluster.produce(B1, topic, batch('c', 2), -1);
    const refused = await rejection(cluster.manager(B1).deleteRecords(topic, P0, 1));
    expect(isKafkaError(refused, 'POLICY_VIOLATION')).toBe(true);
  });
});
