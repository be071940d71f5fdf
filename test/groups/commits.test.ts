import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { decodeGroupRecords } from '../../src/groups/offset-records.ts';
import { expectKafkaError, joinRequest, loadedHarness } from './helpers.ts';

const commitOf = (offset: number, partition = 0, topic = 'orders') => ({
  topic,
  partition,
  offset,
  metadata: `m${offset}`,
});

describe('offset commits: fencing', () => {
  it('a member commits at its generation; fetchOffsets answers them', async () => {
    const { coordinator } = await loadedHarness();
    const { memberId, generation } = await coordinator.join(joinRequest('g', ['orders']));
    await coordinator.commit({ groupId: 'g', memberId, generation, offsets: [commitOf(5), commitOf(7, 2)] });
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([
      { topic: 'orders', partition: 0, offset: 5, metadata: 'm5' },
      { topic: 'orders', partition: 2, offset: 7, metadata: 'm7' },
    ]);
    expect(
      await coordinator.fetchOffsets({
        groupId: 'g',
        partitions: [
          { topic: 'orders', partition: 2 },
          { topic: 'orders', partition: 1 },
          { topic: 'other', partition: 0 },
        ],
      }),
    ).toEqual([
      { topic: 'orders', partition: 2, offset: 7, metadata: 'm7' },
      { topic: 'orders', partition: 1, offset: -1, metadata: '' },
      { topic: 'other', partition: 0, offset: -1, metadata: '' },
    ]);
  });

  it('a forwarded fetch that saw a newer leadership than this coordinator knows of is refused (NOT_COORDINATOR)', async () => {
    let epoch: number | null = 4;
    const { coordinator } = await loadedHarness({ offsetsLeaderEpochOf: () => epoch });
    const { memberId, generation } = await coordinator.join(joinRequest('g', ['orders']));
    await coordinator.commit({ groupId: 'g', memberId, generation, offsets: [commitOf(5)] });
    const fetch = (coordinatorEpoch?: number) =>
      coordinator.fetchOffsets({
        groupId: 'g',
        partitions: [{ topic: 'orders', partition: 0 }],
        ...(coordinatorEpoch !== undefined ? { coordinatorEpoch } : {}),
      });
    const answer = [{ topic: 'orders', partition: 0, offset: 5, metadata: 'm5' }];
    expect(await fetch()).toEqual(answer);
    expect(await fetch(4)).toEqual(answer);
    // The forwarding node's image is older: this one's leadership is at least as new, its cache current.
    expect(await fetch(3)).toEqual(answer);
    // Cut off from the metadata, this node missed a leadership of another broker and its return.
    await expectKafkaError(fetch(6), 'NOT_COORDINATOR');
    epoch = null;
    await expectKafkaError(fetch(4), 'NOT_COORDINATOR');
  });

  it('a stale generation is refused with ILLEGAL_GENERATION (the old owner cannot overwrite)', async () => {
    const { coordinator } = await loadedHarness();
    const first = await coordinator.join(joinRequest('g', ['orders']));
    await coordinator.join(joinRequest('g', ['orders']));
    await expectKafkaError(
      coordinator.commit({
        groupId: 'g',
        memberId: first.memberId,
        generation: first.generation,
        offsets: [commitOf(9)],
      }),
      'ILLEGAL_GENERATION',
    );
    await expectKafkaError(
      coordinator.commit({ groupId: 'g', memberId: first.memberId, generation: -1, offsets: [commitOf(9)] }),
      'ILLEGAL_GENERATION',
    );
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([]);
  });

  it('a commit of a member that is not (or no longer) in the group is refused with UNKNOWN_MEMBER_ID', async () => {
    const h = await loadedHarness();
    const { coordinator } = h;
    await expectKafkaError(
      coordinator.commit({ groupId: 'g', memberId: 'ghost', generation: 1, offsets: [commitOf(1)] }),
      'UNKNOWN_MEMBER_ID',
    );
    const expiring = await coordinator.join(joinRequest('g', ['orders'], { sessionTimeoutMs: 10_000 }));
    const staying = await coordinator.join(joinRequest('g', ['orders'], { sessionTimeoutMs: 60_000 }));
    h.advance(10_000);
    coordinator.tick();
    await expectKafkaError(
      coordinator.commit({
        groupId: 'g',
        memberId: expiring.memberId,
        generation: 2,
        offsets: [commitOf(1)],
      }),
      'UNKNOWN_MEMBER_ID',
    );
    await expectKafkaError(
      coordinator.commit({ groupId: 'g', memberId: null, generation: 3, offsets: [commitOf(1)] }),
      'UNKNOWN_MEMBER_ID',
    );
    await coordinator.commit({
      groupId: 'g',
      memberId: staying.memberId,
      generation: 3,
      offsets: [commitOf(1)],
    });
  });

  it('a simple commit (no member, generation -1) is allowed only while the group has no members', async () => {
    const { coordinator } = await loadedHarness();
    await coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(3)] });
    expect(await coordinator.describe('g')).toMatchObject({ state: 'Empty', generation: 0 });
    await coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(4)] });
    const { memberId } = await coordinator.join(joinRequest('g', ['orders']));
    await expectKafkaError(
      coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(99)] }),
      'UNKNOWN_MEMBER_ID',
    );
    await coordinator.leave({ groupId: 'g', memberId });
    expect(await coordinator.describe('g')).toMatchObject({ state: 'Empty', generation: 2 });
    await coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(5)] });
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([
      { topic: 'orders', partition: 0, offset: 5, metadata: 'm5' },
    ]);
  });

  it('refuses negative offsets (INVALID_REQUEST) and partitions that do not exist', async () => {
    const { coordinator } = await loadedHarness();
    const simple = (offsets: ReturnType<typeof commitOf>[]) =>
      coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets });
    await expectKafkaError(simple([commitOf(1), commitOf(-1, 1)]), 'INVALID_REQUEST');
    await expectKafkaError(simple([commitOf(1, -1)]), 'INVALID_REQUEST');
    await expectKafkaError(simple([commitOf(1, 3)]), 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectKafkaError(simple([commitOf(1, 0, 'missing')]), 'UNKNOWN_TOPIC_OR_PARTITION');
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([]);
    await simple([commitOf(0)]);
  });
});

describe('offset commits: the log', () => {
  it('writes one batch per commit request, whatever its number of partitions', async () => {
    const { coordinator, storage } = await loadedHarness();
    await coordinator.commit({
      groupId: 'g',
      memberId: null,
      generation: -1,
      offsets: [commitOf(1, 0), commitOf(2, 1), commitOf(3, 0, 'payments')],
    });
    expect(storage.batchCount(0)).toBe(1);
    const records = decodeGroupRecords(storage.logs.get(0)![0]!);
    expect(records.map((record) => record.kind === 'offset-commit' && record.key)).toEqual([
      { groupId: 'g', topic: 'orders', partition: 0 },
      { groupId: 'g', topic: 'orders', partition: 1 },
      { groupId: 'g', topic: 'payments', partition: 0 },
    ]);
    await coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [] });
    expect(storage.batchCount(0)).toBe(1);
  });

  it('resolves only once the append is acknowledged, and only then the cache changes', async () => {
    const { coordinator, storage } = await loadedHarness();
    storage.holdAppends = true;
    let resolved = false;
    const commit = coordinator
      .commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(8)] })
      .then(() => {
        resolved = true;
      });
    await settleMicrotasks();
    expect(resolved).toBe(false);
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([]);
    storage.settle(0);
    await commit;
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toHaveLength(1);
  });

  it('a failed append rejects with the storage error unchanged and leaves the cache as it was', async () => {
    const { coordinator, storage } = await loadedHarness();
    await coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(1)] });
    const failure = new KafkaError(
      'NOT_ENOUGH_REPLICAS',
      'Messages are rejected since there are fewer in-sync replicas than required.',
    );
    storage.failNextAppend(failure);
    await expect(
      coordinator.commit({
        groupId: 'g',
        memberId: null,
        generation: -1,
        offsets: [commitOf(2), commitOf(2, 1)],
      }),
    ).rejects.toBe(failure);
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([
      { topic: 'orders', partition: 0, offset: 1, metadata: 'm1' },
    ]);
    storage.failNextAppend(new KafkaError('REQUEST_TIMED_OUT', 'timed out'));
    await expectKafkaError(
      coordinator.commit({ groupId: 'fresh', memberId: null, generation: -1, offsets: [commitOf(1)] }),
      'REQUEST_TIMED_OUT',
    );
    expect(await coordinator.describe('fresh')).toMatchObject({ state: 'Dead' });
  });

  it('applies commits in log order even when acknowledgements arrive out of order', async () => {
    const { coordinator, storage } = await loadedHarness();
    storage.holdAppends = true;
    const simple = (offset: number) =>
      coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(offset)] });
    const earlier = simple(10);
    const later = simple(20);
    let laterResolved = false;
    void later.then(() => {
      laterResolved = true;
    });
    storage.settle(1);
    await settleMicrotasks();
    expect(laterResolved).toBe(false); // waits for the earlier append: the cache follows the log
    storage.settle(0);
    await Promise.all([earlier, later]);
    expect(
      await coordinator.fetchOffsets({ groupId: 'g', partitions: [{ topic: 'orders', partition: 0 }] }),
    ).toEqual([{ topic: 'orders', partition: 0, offset: 20, metadata: 'm20' }]);
  });

  it('an earlier failed append does not hold back or undo a later one', async () => {
    const { coordinator, storage } = await loadedHarness();
    storage.holdAppends = true;
    const simple = (offset: number) =>
      coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(offset)] });
    const earlier = simple(10);
    const later = simple(20);
    storage.settle(0, new KafkaError('REQUEST_TIMED_OUT', 'timed out'));
    storage.settle(0);
    await expectKafkaError(earlier, 'REQUEST_TIMED_OUT');
    await later;
    expect((await coordinator.fetchOffsets({ groupId: 'g', partitions: null }))[0]?.offset).toBe(20);
  });
});

describe('deleteGroup', () => {
  it('refuses a group with members (NON_EMPTY_GROUP) and an unknown one (GROUP_ID_NOT_FOUND)', async () => {
    const { coordinator } = await loadedHarness();
    await expectKafkaError(coordinator.deleteGroup('g'), 'GROUP_ID_NOT_FOUND');
    await coordinator.join(joinRequest('g', ['orders']));
    await expectKafkaError(coordinator.deleteGroup('g'), 'NON_EMPTY_GROUP');
  });

  it('appends tombstones for every offset of the group, then forgets it', async () => {
    const { coordinator, storage } = await loadedHarness();
    await coordinator.commit({
      groupId: 'g',
      memberId: null,
      generation: -1,
      offsets: [commitOf(1, 0), commitOf(2, 1)],
    });
    await coordinator.commit({ groupId: 'other', memberId: null, generation: -1, offsets: [commitOf(3)] });
    await coordinator.deleteGroup('g');
    const tombstones = decodeGroupRecords(storage.logs.get(0)![2]!);
    expect(tombstones).toEqual([
      { kind: 'offset-commit', key: { groupId: 'g', topic: 'orders', partition: 0 }, value: null },
      { kind: 'offset-commit', key: { groupId: 'g', topic: 'orders', partition: 1 }, value: null },
    ]);
    expect(await coordinator.describe('g')).toMatchObject({ state: 'Dead' });
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([]);
    expect(await coordinator.list()).toEqual([{ groupId: 'other', state: 'Empty' }]);
    await expectKafkaError(coordinator.deleteGroup('g'), 'GROUP_ID_NOT_FOUND');
  });

  it('a failed deletion keeps the offsets', async () => {
    const { coordinator, storage } = await loadedHarness();
    await coordinator.commit({ groupId: 'g', memberId: null, generation: -1, offsets: [commitOf(1)] });
    storage.failNextAppend(new KafkaError('NOT_LEADER_OR_FOLLOWER', 'not the leader'));
    await expectKafkaError(coordinator.deleteGroup('g'), 'NOT_LEADER_OR_FOLLOWER');
    expect(await coordinator.fetchOffsets({ groupId: 'g', partitions: null })).toHaveLength(1);
  });
});

async function settleMicrotasks(): Promise<void> {
  for (let round = 0; round < 20; round++) await Promise.resolve();
}
