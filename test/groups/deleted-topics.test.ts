// Committed offsets belong to a topic id, not a name (issue 6, finding 7): a group committed on
// `orders`, the topic was deleted and created again, and the group skipped the new topic's first
// records. Here: the offsets of a deleted topic are deleted with tombstones when the coordinator sees the
// deletion, and an offset recorded for another id than the topic's current one is never served (a
// deletion missed while no coordinator had the partition loaded).
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import {
  type GroupRecord,
  decodeGroupRecords,
  groupRecordBatch,
  offsetCommitRecord,
} from '../../src/groups/offset-records.ts';
import { type Harness, harness, loadedHarness, type MemoryGroupStorage } from './helpers.ts';

const simpleCommit = (groupId: string, offsets: { topic: string; partition: number; offset: number }[]) => ({
  groupId,
  memberId: null,
  generation: -1,
  offsets: offsets.map((entry) => ({ ...entry, metadata: '' })),
});

function records(storage: MemoryGroupStorage): GroupRecord[] {
  return (storage.logs.get(0) ?? []).flatMap((batch) => decodeGroupRecords(batch));
}

/** The last record of the log for (group, topic, partition): its offset, or null for a tombstone. */
function lastInLog(storage: MemoryGroupStorage, groupId: string, topic: string, partition: number) {
  const last = records(storage)
    .filter(
      (record) =>
        record.kind === 'offset-commit' &&
        record.key.groupId === groupId &&
        record.key.topic === topic &&
        record.key.partition === partition,
    )
    .at(-1);
  if (last === undefined || last.kind !== 'offset-commit') return undefined;
  return last.value === null ? null : last.value.offset;
}

async function offsetsOf(h: Harness, groupId: string, coordinator = h.coordinator) {
  return (await coordinator.fetchOffsets({ groupId, partitions: null })).map(
    ({ topic, partition, offset }) => `${topic}-${partition}@${offset}`,
  );
}

/** Lets every settled append apply (they chain on promises only: no timers involved). */
const applied = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('offsets of deleted topics', () => {
  it('a deletion seen in the metadata deletes the topic’s offsets: tombstones, and gone from the cache', async () => {
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 2 }]));
    await h.coordinator.commit(simpleCommit('g', [{ topic: 'payments', partition: 1, offset: 4 }]));
    await h.coordinator.commit(simpleCommit('only-orders', [{ topic: 'orders', partition: 2, offset: 9 }]));
    h.deleteTopic('orders');
    h.coordinator.topicsChanged();
    await applied();
    expect(lastInLog(h.storage, 'g', 'orders', 0)).toBeNull();
    expect(lastInLog(h.storage, 'only-orders', 'orders', 2)).toBeNull();
    expect(lastInLog(h.storage, 'g', 'payments', 1)).toBe(4);
    expect(await offsetsOf(h, 'g')).toEqual(['payments-1@4']);
    expect(await h.coordinator.describe('only-orders')).toMatchObject({ state: 'Dead' });
    expect(await h.coordinator.list()).toEqual([{ groupId: 'g', state: 'Empty' }]);

    // Created again: the group starts from nothing on it, also after a reload from the log.
    h.topics.set('orders', 3);
    h.coordinator.topicsChanged();
    await applied();
    const batches = h.storage.batchCount(0);
    h.coordinator.topicsChanged(); // nothing left to delete: no more tombstones
    expect(h.storage.batchCount(0)).toBe(batches);
    const successor = h.successor();
    expect((await successor.becomeCoordinator(0)).status).toBe('loaded');
    expect(await offsetsOf(h, 'g', successor)).toEqual(['payments-1@4']);
    expect(
      await successor.fetchOffsets({ groupId: 'g', partitions: [{ topic: 'orders', partition: 0 }] }),
    ).toEqual([{ topic: 'orders', partition: 0, offset: -1, metadata: '' }]);
  });

  it('a topic deleted and created again between two metadata changes (a new id) counts as deleted', async () => {
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 2 }]));
    h.deleteTopic('orders');
    h.topics.set('orders', 3);
    // Before the coordinator hears of it, the old offset is already not served for the new topic.
    expect(await offsetsOf(h, 'g')).toEqual([]);
    h.coordinator.topicsChanged();
    await applied();
    expect(lastInLog(h.storage, 'g', 'orders', 0)).toBeNull();
    await h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 1 }]));
    expect(await offsetsOf(h, 'g')).toEqual(['orders-0@1']);
  });

  it('a deletion missed while no coordinator had the partition loaded: ignored on fetch, deleted on load', async () => {
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 2 }]));
    await h.coordinator.commit(simpleCommit('g', [{ topic: 'payments', partition: 0, offset: 3 }]));
    h.coordinator.resignCoordinator(0);
    h.deleteTopic('orders');
    h.topics.set('orders', 3);
    // The successor's deletion fails at first: the offset stays in its cache, never served.
    h.storage.failNextAppend(new KafkaError('NOT_ENOUGH_REPLICAS', 'ISR too small'));
    const successor = h.successor();
    expect(await successor.becomeCoordinator(0)).toEqual({ status: 'loaded', groups: 1, records: 2 });
    await applied();
    expect(lastInLog(h.storage, 'g', 'orders', 0)).toBe(2);
    expect(await offsetsOf(h, 'g', successor)).toEqual(['payments-0@3']);
    expect(
      await successor.fetchOffsets({ groupId: 'g', partitions: [{ topic: 'orders', partition: 0 }] }),
    ).toEqual([{ topic: 'orders', partition: 0, offset: -1, metadata: '' }]);
    successor.topicsChanged(); // the next metadata change tries again
    await applied();
    expect(lastInLog(h.storage, 'g', 'orders', 0)).toBeNull();
    const third = h.successor(3);
    await third.becomeCoordinator(0);
    expect(await offsetsOf(h, 'g', third)).toEqual(['payments-0@3']);
  });

  it('records written before topic ids were recorded belong to the topic of their name at load', async () => {
    const h = harness();
    const legacy = (topic: string, offset: number) =>
      offsetCommitRecord(
        { groupId: 'g', topic, partition: 0 },
        { offset, metadata: '', commitTimestampMs: 1, topicId: null },
        1,
      );
    await h.storage.append(0, groupRecordBatch([legacy('orders', 5), legacy('gone', 6)]));
    expect((await h.coordinator.becomeCoordinator(0)).status).toBe('loaded');
    await applied();
    expect(await offsetsOf(h, 'g')).toEqual(['orders-0@5']);
    expect(lastInLog(h.storage, 'g', 'gone', 0)).toBeNull(); // no such topic at load
    h.deleteTopic('orders');
    h.topics.set('orders', 3);
    h.coordinator.topicsChanged();
    await applied();
    expect(await offsetsOf(h, 'g')).toEqual([]);
    expect(lastInLog(h.storage, 'g', 'orders', 0)).toBeNull();
  });

  it('a commit in flight across the deletion is deleted after it lands', async () => {
    const h = await loadedHarness();
    h.storage.holdAppends = true;
    const inFlight = h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 2 }]));
    h.deleteTopic('orders');
    h.coordinator.topicsChanged();
    h.storage.holdAppends = false;
    h.storage.settle(0);
    await inFlight;
    await applied();
    expect(lastInLog(h.storage, 'g', 'orders', 0)).toBeNull();
    expect(await h.coordinator.describe('g')).toMatchObject({ state: 'Dead' });
  });

  it('never writes a tombstone behind a newer commit of the re-created topic', async () => {
    const h = await loadedHarness();
    await h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 1 }]));
    h.storage.holdAppends = true;
    const old = h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 2 }]));
    h.deleteTopic('orders');
    h.topics.set('orders', 3);
    h.coordinator.topicsChanged();
    const fresh = h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 7 }]));
    h.storage.holdAppends = false;
    while (h.storage.pendingAppends > 0) {
      h.storage.settle(0); // in log order
      await applied();
    }
    await Promise.all([old, fresh]);
    expect(lastInLog(h.storage, 'g', 'orders', 0)).toBe(7);
    expect(await offsetsOf(h, 'g')).toEqual(['orders-0@7']);
    const successor = h.successor();
    await successor.becomeCoordinator(0);
    expect(await offsetsOf(h, 'g', successor)).toEqual(['orders-0@7']);
  });

  it('a commit on a topic that is not in the metadata is refused', async () => {
    const h = await loadedHarness();
    h.deleteTopic('orders');
    await expect(
      h.coordinator.commit(simpleCommit('g', [{ topic: 'orders', partition: 0, offset: 1 }])),
    ).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });
});
