import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../raft/assert.ts';
import { nodeId, term } from '../../raft/types.ts';
import type { BrokerId, MetadataOffset } from '../../src/metadata/ids.ts';
import {
  NO_LEADER,
  brokerEpoch,
  brokerId,
  leaderEpoch,
  metadataOffset,
  partitionEpoch,
  partitionId,
  topicId,
} from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import { imagesEqual, partitionsLedBy, topicByName, unfencedBrokers } from '../../src/metadata/queries.ts';
import type { MetadataRecord, PartitionChangeRecord } from '../../src/metadata/records.ts';
import { applyBatch, applyRecord } from '../../src/metadata/reducer.ts';
import { decodeSnapshot, encodeSnapshot } from '../../src/metadata/snapshot.ts';

const T1 = topicId('6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c');
const T2 = topicId('7f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c');
const INCARNATION = '11111111-2222-4333-8444-555555555555';
const [B1, B2, B3] = [brokerId(1), brokerId(2), brokerId(3)];

function register(id: BrokerId): MetadataRecord {
  return {
    type: 'registerBroker',
    brokerId: id,
    incarnationId: INCARNATION,
    endpoints: [],
    rack: null,
    fenced: true,
    processRoles: ['broker'],
  };
}

function partition(topic = T1, p = 0, leader: BrokerId = B1, isr: BrokerId[] = [B1, B2]): MetadataRecord {
  return {
    type: 'partition',
    topicId: topic,
    partitionId: partitionId(p),
    replicas: [B1, B2, B3],
    isr,
    leader,
    leaderEpoch: leaderEpoch(0),
    partitionEpoch: partitionEpoch(0),
  };
}

function change(delta: Partial<PartitionChangeRecord>): MetadataRecord {
  return {
    type: 'partitionChange',
    topicId: T1,
    partitionId: partitionId(0),
    leader: null,
    isr: null,
    replicas: null,
    ...delta,
  };
}

/** Applies each batch at offsets 1, 2, ... */
function build(...batches: MetadataRecord[][]): MetadataImage {
  return batches.reduce(
    (image, records, i) => applyBatch(image, records, metadataOffset(i + 1)),
    emptyImage(),
  );
}

const withTopic = (): MetadataImage =>
  build(
    [register(B1), register(B2), register(B3)],
    [{ type: 'topic', name: 'orders', topicId: T1 }, partition()],
  );

const next = (image: MetadataImage): MetadataOffset => metadataOffset(image.offset + 1);
const apply = (image: MetadataImage, ...records: MetadataRecord[]) => applyBatch(image, records, next(image));
const partition0 = (image: MetadataImage) => image.topics.get(T1)!.partitions.get(partitionId(0))!;

describe('brokers', () => {
  it('sets the broker epoch to the offset of the registration, and renews it on re-registration', () => {
    const image = build([register(B1)], [], [register(B1)]);
    expect(image.brokers.get(B1)).toMatchObject({ epoch: 3, fenced: true, inControlledShutdown: false });
  });

  it('refuses a second registration of one broker in one batch (epochs must grow)', () => {
    expect(() => build([register(B1), register(B1)])).toThrow(InvariantError);
  });

  it('fences, unfences and marks controlled shutdown; null leaves a flag unchanged', () => {
    const image = build([register(B1)]);
    const change = (fenced: boolean | null, inControlledShutdown: boolean | null): MetadataRecord => ({
      type: 'brokerRegistrationChange',
      brokerId: B1,
      brokerEpoch: brokerEpoch(1),
      fenced,
      inControlledShutdown,
    });
    const unfenced = apply(image, change(false, null));
    expect(unfencedBrokers(unfenced).map((b) => b.id)).toEqual([B1]);
    const shuttingDown = apply(unfenced, change(null, true));
    expect(shuttingDown.brokers.get(B1)).toMatchObject({ fenced: false, inControlledShutdown: true });
    expect(apply(shuttingDown, change(true, null)).brokers.get(B1)).toMatchObject({
      fenced: true,
      inControlledShutdown: true,
    });
  });

  it('asserts on a change or unregistration of an unknown broker or of another epoch', () => {
    const image = build([register(B1)]);
    const stale: MetadataRecord = {
      type: 'brokerRegistrationChange',
      brokerId: B1,
      brokerEpoch: brokerEpoch(7),
      fenced: false,
      inControlledShutdown: null,
    };
    expect(() => apply(image, stale)).toThrow(/broker epoch mismatch/);
    expect(() => apply(image, { ...stale, brokerId: B2 } as MetadataRecord)).toThrow(/unknown broker/);
    expect(() =>
      apply(image, { type: 'unregisterBroker', brokerId: B1, brokerEpoch: brokerEpoch(2) }),
    ).toThrow(InvariantError);
    expect(
      apply(image, { type: 'unregisterBroker', brokerId: B1, brokerEpoch: brokerEpoch(1) }).brokers.size,
    ).toBe(0);
  });
});

describe('partitions: epochs', () => {
  it('bumps only the partition epoch when the ISR changes', () => {
    const image = apply(withTopic(), change({ isr: [B1] }));
    expect(partition0(image)).toMatchObject({ isr: [B1], leader: B1, leaderEpoch: 0, partitionEpoch: 1 });
  });

  it('bumps both epochs when the leader changes', () => {
    const image = apply(withTopic(), change({ leader: B2 }));
    expect(partition0(image)).toMatchObject({ leader: B2, leaderEpoch: 1, partitionEpoch: 1 });
  });

  it('bumps the leader epoch when `leader` is present even if it names the same leader (as Kafka)', () => {
    const image = apply(withTopic(), change({ leader: B1 }));
    expect(partition0(image)).toMatchObject({ leader: B1, leaderEpoch: 1, partitionEpoch: 1 });
  });

  it('counts every change of a batch', () => {
    const image = apply(
      withTopic(),
      change({ isr: [B1] }),
      change({ leader: NO_LEADER, isr: [] }),
      change({ replicas: [B2, B1] }),
    );
    expect(partition0(image)).toMatchObject({
      replicas: [B2, B1],
      isr: [],
      leader: NO_LEADER,
      leaderEpoch: 1,
      partitionEpoch: 3,
    });
  });
});

describe('partitions: invariants', () => {
  const image = withTopic();
  it.each([
    ['a leader outside the ISR', change({ leader: B3 })],
    ['an ISR outside the replicas', change({ replicas: [B1, B3] })],
    ['an empty replica list', change({ replicas: [], isr: [], leader: NO_LEADER })],
    ['repeated replicas', change({ replicas: [B1, B1, B2] })],
    ['a repeated ISR member', change({ isr: [B1, B1] })],
    ['an unknown partition', { ...change({}), partitionId: partitionId(1) } as MetadataRecord],
    ['a partition of an unknown topic', partition(T2)],
    ['a partition that is not the next one', partition(T1, 2)],
    ['a partition that exists', partition(T1, 0)],
  ])('asserts on %s', (_, record) => {
    expect(() => apply(image, record)).toThrow(InvariantError);
  });

  it('allows no leader with an empty ISR', () => {
    expect(partition0(apply(image, change({ leader: NO_LEADER, isr: [] }))).leader).toBe(NO_LEADER);
  });
});

describe('topics', () => {
  it('keeps names and ids unique', () => {
    const image = withTopic();
    expect(() => apply(image, { type: 'topic', name: 'orders', topicId: T2 })).toThrow(
      /duplicate topic name/,
    );
    expect(() => apply(image, { type: 'topic', name: 'other', topicId: T1 })).toThrow(/duplicate topic id/);
  });

  it('RemoveTopic removes the topic, its partitions, its name and its configs, and nothing else', () => {
    const config = (resourceName: string): MetadataRecord => ({
      type: 'config',
      resourceType: 'topic',
      resourceName,
      name: 'retention.ms',
      value: '1',
    });
    const before = apply(
      withTopic(),
      { type: 'topic', name: 'other', topicId: T2 },
      config('orders'),
      config('other'),
    );
    const after = apply(before, { type: 'removeTopic', topicId: T1 });
    expect([...after.topics.keys()]).toEqual([T2]);
    expect(topicByName(after, 'orders')).toBeUndefined();
    expect([...after.configs.keys()]).toEqual(['topic:other']);
    expect(partitionsLedBy(after, B1)).toEqual([]);
    // The name may be used again, by a new topic id.
    const recreated = apply(after, {
      type: 'topic',
      name: 'orders',
      topicId: topicId('8f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c'),
    });
    expect(recreated.configs.has('topic:orders')).toBe(false);
  });

  it('asserts on removal of an unknown topic', () => {
    expect(() => apply(withTopic(), { type: 'removeTopic', topicId: T2 })).toThrow(/unknown topic/);
  });
});

describe('configs', () => {
  const set = (
    resourceType: 'topic' | 'broker',
    resourceName: string,
    name: string,
    value: string | null,
  ): MetadataRecord => ({ type: 'config', resourceType, resourceName, name, value });

  it('sets and deletes keys; a resource with no key left disappears', () => {
    const image = apply(
      withTopic(),
      set('topic', 'orders', 'retention.ms', '10'),
      set('broker', '', 'log.retention.ms', '5'),
    );
    expect(image.configs.get('topic:orders')?.get('retention.ms')).toBe('10');
    expect(image.configs.get('broker:')?.get('log.retention.ms')).toBe('5');
    const cleared = apply(image, set('topic', 'orders', 'retention.ms', null));
    expect(cleared.configs.has('topic:orders')).toBe(false);
  });

  it('asserts on configs of an unknown topic or of a malformed broker id', () => {
    expect(() => apply(withTopic(), set('topic', 'nope', 'retention.ms', '1'))).toThrow(/unknown topic/);
    expect(() => apply(withTopic(), set('broker', '01', 'x', '1'))).toThrow(InvariantError);
  });
});

describe('offsets, producer ids, controller leader', () => {
  it('advances the offset on every batch, including an empty one, and never goes back', () => {
    const image = build([register(B1)], []);
    expect(image.offset).toBe(2);
    expect(() => applyBatch(image, [], metadataOffset(2))).toThrow(/does not advance/);
    expect(() => applyRecord(image, { type: 'noOp' }, metadataOffset(1))).toThrow(/goes back/);
  });

  it('hands out producer ids upwards only', () => {
    const record = (nextProducerId: number): MetadataRecord => ({
      type: 'producerIds',
      brokerId: B1,
      brokerEpoch: brokerEpoch(1),
      nextProducerId,
    });
    const image = apply(emptyImage(), record(1000));
    expect(image.nextProducerId).toBe(1000);
    expect(() => apply(image, record(1000))).toThrow(/producer ids go back/);
  });

  it('records the controller leader; its epoch only grows', () => {
    const leader = (id: number, epoch: number): MetadataRecord => ({
      type: 'leaderChange',
      leaderId: nodeId(id),
      epoch: term(epoch),
    });
    const image = apply(emptyImage(), leader(1, 3));
    expect(image.controllerLeader).toEqual({ id: 1, epoch: 3 });
    expect(apply(image, leader(2, 4)).controllerLeader).toEqual({ id: 2, epoch: 4 });
    expect(() => apply(image, leader(2, 3))).toThrow(/controller epoch/);
    expect(() => apply(image, leader(1, 2))).toThrow(/controller epoch/);
  });

  it('replays a repeated LeaderChange of the same leadership (written by controllers before a fix)', () => {
    const leader: MetadataRecord = { type: 'leaderChange', leaderId: nodeId(3), epoch: term(62) };
    const image = apply(emptyImage(), leader);
    expect(apply(image, leader).controllerLeader).toEqual({ id: 3, epoch: 62 });
  });
});

describe('purity and sharing', () => {
  it('leaves the input image unchanged and shares the parts it does not change', () => {
    const image = withTopic();
    const bytes = encodeSnapshot(image);
    const after = apply(image, change({ isr: [B1] }), {
      type: 'config',
      resourceType: 'topic',
      resourceName: 'orders',
      name: 'a',
      value: 'b',
    });
    expect(imagesEqual(decodeSnapshot(bytes), image)).toBe(true);
    expect(encodeSnapshot(image)).toEqual(bytes);
    expect(after.brokers).toBe(image.brokers);
    expect(after.topicIdsByName).toBe(image.topicIdsByName);
    expect(after.topics).not.toBe(image.topics);
  });

  it('shares the other topics when one partition changes', () => {
    const image = apply(withTopic(), { type: 'topic', name: 'other', topicId: T2 });
    const after = apply(image, change({ isr: [B1] }));
    expect(after.topics.get(T2)).toBe(image.topics.get(T2));
  });
});

describe('queries', () => {
  it('lists the partitions a broker leads', () => {
    const image = apply(withTopic(), partition(T1, 1, B2, [B2]));
    expect(partitionsLedBy(image, B2).map((led) => [led.topicName, led.partitionId])).toEqual([
      ['orders', 1],
    ]);
    expect(topicByName(image, 'orders')?.partitions.size).toBe(2);
  });

  it('compares images structurally, ignoring map order but not replica order', () => {
    const a = build([register(B1), register(B2)]);
    expect(imagesEqual(a, { ...a, brokers: new Map([...a.brokers].reverse()) })).toBe(true);
    expect(imagesEqual(a, build([register(B1)], [register(B2)]))).toBe(false); // B2's epoch differs
    const withTopicImage = withTopic();
    expect(imagesEqual(withTopicImage, apply(withTopicImage, change({ replicas: [B2, B1, B3] })))).toBe(
      false,
    );
  });
});
