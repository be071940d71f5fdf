import { describe, expect, it, vi } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { expectKafkaError, harness, joinRequest, loadedHarness } from './helpers.ts';

const commitOf = (offset: number, partition = 0) => ({
  topic: 'orders',
  partition,
  offset,
  metadata: `m${offset}`,
});
const simpleCommit = (groupId: string, offsets: ReturnType<typeof commitOf>[]) => ({
  groupId,
  memberId: null,
  generation: -1,
  offsets,
});

describe('loading a partition', () => {
  it('a fresh coordinator over the same log has the same offsets (read in several chunks)', async () => {
    const h = await loadedHarness();
    for (let index = 0; index < 5; index++) {
      await h.coordinator.commit(
        simpleCommit(`g${index % 2}`, [commitOf(index, 0), commitOf(index * 10, 1)]),
      );
    }
    const before = await Promise.all(
      ['g0', 'g1'].map((groupId) => h.coordinator.fetchOffsets({ groupId, partitions: null })),
    );
    h.storage.batchesPerRead = 1;
    const successor = h.successor();
    expect(await successor.becomeCoordinator(0)).toEqual({ status: 'loaded', groups: 2, records: 10 });
    expect(h.storage.reads.filter((read) => read.partition === 0).map((read) => read.fromOffset)).toEqual([
      0, 0, 2, 4, 6, 8,
    ]);
    const after = await Promise.all(
      ['g0', 'g1'].map((groupId) => successor.fetchOffsets({ groupId, partitions: null })),
    );
    expect(after).toEqual(before);
    expect(after[0]).toEqual([
      { topic: 'orders', partition: 0, offset: 4, metadata: 'm4' },
      { topic: 'orders', partition: 1, offset: 40, metadata: 'm40' },
    ]);
    expect(await successor.describe('g0')).toMatchObject({ state: 'Empty', coordinator: 2 });
  });

  it('replays tombstones: a deleted group stays deleted', async () => {
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('gone', [commitOf(1)]));
    await h.coordinator.commit(simpleCommit('kept', [commitOf(2)]));
    await h.coordinator.deleteGroup('gone');
    const successor = h.successor();
    await successor.becomeCoordinator(0);
    expect(await successor.list()).toEqual([{ groupId: 'kept', state: 'Empty' }]);
    expect(await successor.describe('gone')).toMatchObject({ state: 'Dead' });
  });

  it('membership is soft state: after a failover members get UNKNOWN_MEMBER_ID and join again', async () => {
    const h = await loadedHarness();
    const member = await h.coordinator.join(joinRequest('g', ['orders']));
    await h.coordinator.commit({
      groupId: 'g',
      memberId: member.memberId,
      generation: 1,
      offsets: [commitOf(6)],
    });
    const successor = h.successor();
    await successor.becomeCoordinator(0);
    await expectKafkaError(
      successor.heartbeat({ groupId: 'g', memberId: member.memberId }),
      'UNKNOWN_MEMBER_ID',
    );
    await expectKafkaError(
      successor.commit({ groupId: 'g', memberId: member.memberId, generation: 1, offsets: [commitOf(7)] }),
      'UNKNOWN_MEMBER_ID',
    );
    const again = await successor.join(joinRequest('g', ['orders']));
    expect(again.assignment).toHaveLength(3);
    expect(await successor.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([
      { topic: 'orders', partition: 0, offset: 6, metadata: 'm6' },
    ]);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS until the load ends', async () => {
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('g', [commitOf(3)]));
    let open = () => {};
    h.storage.readGate = new Promise((resolve) => {
      open = resolve;
    });
    const successor = h.successor();
    const loading = successor.becomeCoordinator(0);
    expect(successor.isLoaded(0)).toBe(false);
    expect(successor.becomeCoordinator(0)).toBe(loading);
    await expectKafkaError(
      successor.fetchOffsets({ groupId: 'g', partitions: null }),
      'COORDINATOR_LOAD_IN_PROGRESS',
    );
    await expectKafkaError(successor.join(joinRequest('g', ['orders'])), 'COORDINATOR_LOAD_IN_PROGRESS');
    await expectKafkaError(
      successor.commit(simpleCommit('g', [commitOf(4)])),
      'COORDINATOR_LOAD_IN_PROGRESS',
    );
    expect(await successor.list()).toEqual([]);
    open();
    expect((await loading).status).toBe('loaded');
    expect(successor.isLoaded(0)).toBe(true);
    expect((await successor.fetchOffsets({ groupId: 'g', partitions: null }))[0]?.offset).toBe(3);
  });

  it('a resignation during a load abandons it: nothing is resurrected', async () => {
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('g', [commitOf(3)]));
    let open = () => {};
    h.storage.readGate = new Promise((resolve) => {
      open = resolve;
    });
    const successor = h.successor();
    const loading = successor.becomeCoordinator(0);
    successor.resignCoordinator(0);
    open();
    expect(await loading).toEqual({ status: 'abandoned' });
    expect(successor.isLoaded(0)).toBe(false);
    await expectKafkaError(successor.fetchOffsets({ groupId: 'g', partitions: null }), 'NOT_COORDINATOR');
    expect(await successor.list()).toEqual([]);
    h.storage.readGate = null;
    expect((await successor.becomeCoordinator(0)).status).toBe('loaded');
    expect((await successor.fetchOffsets({ groupId: 'g', partitions: null }))[0]?.offset).toBe(3);
  });

  it('a resignation drops the groups (NOT_COORDINATOR); becoming again reloads them from the log', async () => {
    const h = await loadedHarness();
    const member = await h.coordinator.join(joinRequest('g', ['orders']));
    await h.coordinator.commit(simpleCommit('other', [commitOf(5)]));
    h.coordinator.resignCoordinator(0);
    expect(h.coordinator.isLoaded(0)).toBe(false);
    await expectKafkaError(
      h.coordinator.heartbeat({ groupId: 'g', memberId: member.memberId }),
      'NOT_COORDINATOR',
    );
    await expectKafkaError(h.coordinator.describe('other'), 'NOT_COORDINATOR');
    expect(await h.coordinator.list()).toEqual([]);
    await h.coordinator.becomeCoordinator(0);
    expect(await h.coordinator.list()).toEqual([{ groupId: 'other', state: 'Empty' }]);
  });

  it('an append acknowledged after a resignation does not touch the dropped state', async () => {
    const h = await loadedHarness();
    h.storage.holdAppends = true;
    const commit = h.coordinator.commit(simpleCommit('g', [commitOf(9)]));
    h.coordinator.resignCoordinator(0);
    h.storage.settle(0);
    await commit; // it is in the log: the next coordinator reads it from there
    h.storage.holdAppends = false;
    await h.coordinator.becomeCoordinator(0);
    expect((await h.coordinator.fetchOffsets({ groupId: 'g', partitions: null }))[0]?.offset).toBe(9);
  });

  it('skips records of unknown key kinds', async () => {
    const h = harness();
    const futureKey = Buffer.from([0x12, 0x02, 0x08, 0x01]);
    await h.storage.append(
      0,
      buildRecordBatch({ records: [{ timestamp: 1, key: futureKey, value: Buffer.from('?'), headers: [] }] }),
    );
    await h.coordinator.becomeCoordinator(0);
    await h.coordinator.commit(simpleCommit('g', [commitOf(1)]));
    const successor = h.successor();
    expect(await successor.becomeCoordinator(0)).toEqual({ status: 'loaded', groups: 1, records: 2 });
  });

  it('a failed read fails the load and drops the partition (NOT_COORDINATOR until becoming again)', async () => {
    const h = harness();
    const failure = new KafkaError('NOT_LEADER_OR_FOLLOWER', 'not the leader');
    h.storage.readGate = Promise.reject(failure);
    h.storage.readGate.catch(() => undefined);
    expect(await h.coordinator.becomeCoordinator(0)).toEqual({ status: 'failed', error: failure });
    expect(h.coordinator.isLoaded(0)).toBe(false);
    await expectKafkaError(h.coordinator.describe('g'), 'NOT_COORDINATOR');
    h.storage.readGate = null;
    expect((await h.coordinator.becomeCoordinator(0)).status).toBe('loaded');
  });

  it('an undecodable record fails the load', async () => {
    const h = harness();
    await h.storage.append(
      0,
      buildRecordBatch({ records: [{ timestamp: 1, key: null, value: null, headers: [] }] }),
    );
    expect((await h.coordinator.becomeCoordinator(0)).status).toBe('failed');
  });

  it('loads each partition separately', async () => {
    const h = harness({ numPartitions: 50 });
    await h.coordinator.becomeCoordinator(22);
    await h.coordinator.commit(simpleCommit('hello', [commitOf(1)]));
    expect(h.storage.batchCount(22)).toBe(1);
    await h.coordinator.becomeCoordinator(26);
    await h.coordinator.commit(simpleCommit('Hello World', [commitOf(2)]));
    expect(h.storage.batchCount(26)).toBe(1);
    h.coordinator.resignCoordinator(22);
    expect(await h.coordinator.list()).toEqual([{ groupId: 'Hello World', state: 'Empty' }]);
  });

  it('serves nothing above the high watermark: a commit only some replicas have stays invisible', async () => {
    // Broker 1 coordinates; its commit of 9 reaches broker 2's log but not broker 3's (the high
    // watermark stays below it). Broker 2 leads next and loads to its log end; then it fails, and
    // broker 3, which never had the record, leads. Had broker 2 served 9, the group's committed offset
    // would have gone from 9 back to 5.
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('g', [commitOf(5)]));
    const committedEnd = h.storage.logEndOffset(0);
    h.storage.holdHighWatermark(0);
    h.storage.holdAppends = true;
    h.storage.highWatermarkWaits.length = 0;
    const unreplicated = h.coordinator.commit(simpleCommit('g', [commitOf(9)]));
    h.coordinator.resignCoordinator(0);
    const broker2 = h.successor(2);
    const loading = broker2.becomeCoordinator(0);
    await vi.waitFor(() => expect(h.storage.highWatermarkWaits).toEqual([{ partition: 0, offset: 2 }]), { timeout: 15_000 });
    expect(broker2.isLoaded(0)).toBe(false);
    await expectKafkaError(
      broker2.fetchOffsets({ groupId: 'g', partitions: null }),
      'COORDINATOR_LOAD_IN_PROGRESS',
    );
    await expectKafkaError(broker2.describe('g'), 'COORDINATOR_LOAD_IN_PROGRESS');
    expect(await broker2.list()).toEqual([]);

    broker2.resignCoordinator(0);
    h.storage.failHighWatermarkWaiters(0, new KafkaError('NOT_LEADER_OR_FOLLOWER', 'broker 2 failed'));
    expect(await loading).toEqual({ status: 'abandoned' });
    h.storage.settle(0, new KafkaError('NOT_LEADER_OR_FOLLOWER', 'broker 1 lost leadership'));
    await expectKafkaError(unreplicated, 'NOT_LEADER_OR_FOLLOWER');
    h.storage.truncate(0, committedEnd);
    h.storage.releaseHighWatermark(0);
    h.storage.holdAppends = false;
    const broker3 = h.successor(3);
    expect((await broker3.becomeCoordinator(0)).status).toBe('loaded');
    expect(await broker3.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([
      { topic: 'orders', partition: 0, offset: 5, metadata: 'm5' },
    ]);
  });

  it('loads once the high watermark reaches the log end; a timed-out wait waits again', async () => {
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('g', [commitOf(5)]));
    h.storage.holdHighWatermark(0);
    await h.storage.append(0, h.storage.logs.get(0)![0]!.subarray()); // the same commit again
    await h.storage.append(0, h.storage.logs.get(0)![0]!.subarray());
    h.storage.failNextHighWatermarkWait(new KafkaError('REQUEST_TIMED_OUT', 'an ISR member is slow'));
    h.storage.highWatermarkWaits.length = 0;
    const successor = h.successor();
    const loading = successor.becomeCoordinator(0);
    await vi.waitFor(() => expect(h.storage.highWatermarkWaits).toHaveLength(2), { timeout: 15_000 });
    expect(h.storage.highWatermarkWaits).toEqual([
      { partition: 0, offset: 3 },
      { partition: 0, offset: 3 },
    ]);
    h.storage.setHighWatermark(0, 2);
    await expectKafkaError(
      successor.fetchOffsets({ groupId: 'g', partitions: null }),
      'COORDINATOR_LOAD_IN_PROGRESS',
    );
    h.storage.setHighWatermark(0, 3);
    expect(await loading).toEqual({ status: 'loaded', groups: 1, records: 3 });
    expect((await successor.fetchOffsets({ groupId: 'g', partitions: null }))[0]?.offset).toBe(5);
  });

  it('a failed wait for the high watermark fails the load', async () => {
    const h = harness();
    const failure = new KafkaError('NOT_LEADER_OR_FOLLOWER', 'not the leader');
    h.storage.failNextHighWatermarkWait(failure);
    expect(await h.coordinator.becomeCoordinator(0)).toEqual({ status: 'failed', error: failure });
    await expectKafkaError(h.coordinator.describe('g'), 'NOT_COORDINATOR');
  });
});
