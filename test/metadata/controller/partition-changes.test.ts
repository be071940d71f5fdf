// Properties of the partition changes made when a broker leaves service (fenced or in controlled
// shutdown) or returns, on random valid images (log-generator.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  electOnReturn,
  isEligible,
  removeBrokerFromPartitions,
} from '../../../src/metadata/controller/partition-changes.ts';
import type { BrokerId } from '../../../src/metadata/ids.ts';
import {
  brokerId,
  leaderEpoch,
  metadataOffset,
  NO_LEADER,
  partitionEpoch,
  partitionId,
  topicId,
} from '../../../src/metadata/ids.ts';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../../../src/metadata/image.ts';
import { emptyImage, partitionProblem } from '../../../src/metadata/image.ts';
import type { MetadataRecord } from '../../../src/metadata/records.ts';
import { applyBatch, applyRecord } from '../../../src/metadata/reducer.ts';
import { buildLog, opsArb } from '../log-generator.ts';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const params = { seed: SEED, numRuns: 200 };

interface Scenario {
  readonly image: MetadataImage;
  readonly broker: BrokerId;
  readonly how: 'fence' | 'controlledShutdown';
  /** Topics (by name) with unclean leader election enabled. */
  readonly unclean: ReadonlySet<string>;
}

type How = Scenario['how'];

/**
 * A random valid image, then brokers leaving one after another (so that partitions lose their ISR down
 * to the last member), with unclean election enabled on a random subset of topics.
 */
const chainArb = fc.record({
  ops: opsArb,
  removals: fc.array(
    fc.record({ pick: fc.nat({ max: 100 }), how: fc.constantFrom<How>('fence', 'controlledShutdown') }),
    {
      minLength: 1,
      maxLength: 4,
    },
  ),
  uncleanMask: fc.nat({ max: 255 }),
});

function uncleanTopics(image: MetadataImage, mask: number): Set<string> {
  const names = [...image.topicIdsByName.keys()].sort();
  return new Set(names.filter((_, i) => (mask >> i) & 1));
}

function partitionsOf(
  image: MetadataImage,
): { key: string; topic: TopicImage; partition: PartitionRegistration }[] {
  return [...image.topics.values()].flatMap((topic) =>
    [...topic.partitions].map(([id, partition]) => ({ key: `${topic.name}-${id}`, topic, partition })),
  );
}

/** The image once the broker is out of service, as decideRemoval builds it before deciding. */
function withoutBroker(s: Scenario): MetadataImage {
  const registration = s.image.brokers.get(s.broker)!;
  const change: MetadataRecord = {
    type: 'brokerRegistrationChange',
    brokerId: s.broker,
    brokerEpoch: registration.epoch,
    fenced: s.how === 'fence' ? true : null,
    inControlledShutdown: s.how === 'controlledShutdown' ? true : null,
  };
  return applyRecord(s.image, change, s.image.offset);
}

/** Removes `s.broker` as the controller does, checks every property, and returns the resulting image. */
function checkRemoval(s: Scenario): MetadataImage {
  const policy = (topic: TopicImage) => s.unclean.has(topic.name);
  const before = withoutBroker(s);
  const changes = removeBrokerFromPartitions(before, s.broker, policy);
  // Applying the changes must not break the reducer's invariants.
  const after = applyBatch(before, changes, metadataOffset(before.offset + 1));
  const beforeByKey = new Map(partitionsOf(before).map((p) => [p.key, p.partition]));
  // At most one change per partition.
  const changed = changes.map((c) => `${c.topicId}-${c.partitionId}`);
  expect(new Set(changed).size).toBe(changed.length);

  for (const { key, topic, partition } of partitionsOf(after)) {
    const old = beforeByKey.get(key)!;
    expect(partitionProblem(partition)).toBeNull();
    expect(partition.leader === NO_LEADER || partition.isr.includes(partition.leader)).toBe(true);
    expect(partition.isr.every((r) => partition.replicas.includes(r))).toBe(true);
    expect(partition.replicas).toEqual(old.replicas);
    if (!old.isr.includes(s.broker)) {
      // Untouched.
      expect(partition).toEqual(old);
      continue;
    }
    expect(partition.leader).not.toBe(s.broker);
    const wasLast = old.isr.length === 1;
    if (partition.isr.includes(s.broker)) {
      // Only the last ISR member stays, leaderless.
      expect(wasLast).toBe(true);
      expect(partition.isr).toEqual([s.broker]);
      expect(partition.leader).toBe(NO_LEADER);
    }
    if (partition.leader !== old.leader) {
      expect(partition.leaderEpoch).toBe(old.leaderEpoch + 1);
      if (partition.leader !== NO_LEADER) expect(isEligible(after, partition.leader)).toBe(true);
    }
    if (partition.leader !== NO_LEADER && partition.leader !== old.leader) {
      if (wasLast) {
        // Unclean: only if enabled, alone in the ISR.
        expect(policy(topic)).toBe(true);
        expect(partition.isr).toEqual([partition.leader]);
      } else {
        // Clean: the first eligible replica, in replica order, of the remaining ISR.
        const expected = old.replicas.find(
          (r) => r !== s.broker && old.isr.includes(r) && isEligible(after, r),
        );
        expect(partition.leader).toBe(expected);
      }
    }
    if (!wasLast) expect(partition.isr).toEqual(old.isr.filter((r) => r !== s.broker));
    // A leader that stays keeps its epoch.
    if (old.leader !== s.broker && partition.leader === old.leader)
      expect(partition.leaderEpoch).toBe(old.leaderEpoch);
    if (changed.includes(`${topic.id}-${key.slice(topic.name.length + 1)}`)) {
      expect(partition.partitionEpoch).toBe(old.partitionEpoch + 1);
    } else {
      // Nothing to change only when it already was the leaderless last member.
      expect(partition).toEqual(old);
      expect(old).toMatchObject({ isr: [s.broker], leader: NO_LEADER });
    }
  }
  return after;
}

describe(`partition changes (seed ${SEED}; rerun with FC_SEED=${SEED})`, () => {
  it('removeBrokerFromPartitions keeps every invariant and never elects an ineligible broker', () => {
    fc.assert(
      fc.property(chainArb, ({ ops, removals, uncleanMask }) => {
        let image = buildLog(ops).image;
        const unclean = uncleanTopics(image, uncleanMask);
        for (const { pick, how } of removals) {
          const ids = [...image.brokers.keys()];
          if (ids.length === 0) break;
          image = checkRemoval({ image, broker: ids[pick % ids.length]!, how, unclean });
        }
      }),
      params,
    );
  });

  it('electOnReturn gives a leader to the leaderless partitions whose ISR holds the returning broker', () => {
    fc.assert(
      fc.property(
        chainArb,
        fc.nat({ max: 100 }),
        fc.boolean(),
        ({ ops, removals, uncleanMask }, pick, unclean) => {
          let image = buildLog(ops).image;
          const uncleanSet = uncleanTopics(image, uncleanMask);
          for (const removal of removals) {
            const ids = [...image.brokers.keys()];
            if (ids.length === 0) break;
            const broker = ids[removal.pick % ids.length]!;
            const before = withoutBroker({ image, broker, how: 'fence', unclean: uncleanSet });
            const changes = removeBrokerFromPartitions(before, broker, (topic) => uncleanSet.has(topic.name));
            image = applyBatch(before, changes, metadataOffset(before.offset + 1));
          }
          const fenced = [...image.brokers.values()].filter((b) => b.fenced);
          fc.pre(fenced.length > 0);
          const registration = fenced[pick % fenced.length]!;
          const broker = registration.id;
          const back = applyRecord(
            image,
            {
              type: 'brokerRegistrationChange',
              brokerId: broker,
              brokerEpoch: registration.epoch,
              fenced: false,
              inControlledShutdown: false,
            },
            image.offset,
          );
          const changes = electOnReturn(back, broker, () => unclean);
          const after = applyBatch(back, changes, metadataOffset(back.offset + 1));
          const beforeByKey = new Map(partitionsOf(back).map((p) => [p.key, p.partition]));
          for (const { key, partition } of partitionsOf(after)) {
            const old = beforeByKey.get(key)!;
            if (old.leader !== NO_LEADER) {
              expect(partition).toEqual(old);
              continue;
            }
            if (partition.leader !== NO_LEADER) {
              expect(isEligible(after, partition.leader)).toBe(true);
              expect(partition.leaderEpoch).toBe(old.leaderEpoch + 1);
              expect(partition.isr.includes(partition.leader)).toBe(true);
            }
            if (old.isr.includes(broker)) expect(partition.leader).not.toBe(NO_LEADER);
            if (!unclean) expect(partition.isr).toEqual(old.isr);
            if (unclean && old.replicas.includes(broker) && !old.isr.some((r) => isEligible(after, r))) {
              expect(partition).toMatchObject({ leader: broker, isr: [broker] });
            }
          }
        },
      ),
      params,
    );
  });

  it('example: fencing the leader of [1, 2, 3] elects 2, then fencing 2 elects 3, then 3 stays leaderless', () => {
    const b = [brokerId(1), brokerId(2), brokerId(3)];
    const t = topicId('10000000-0000-4000-8000-000000000000');
    let current = applyBatch(
      emptyImage(),
      [
        ...b.map(
          (id): MetadataRecord => ({
            type: 'registerBroker',
            brokerId: id,
            incarnationId: `00000000-0000-4000-8000-00000000000${id}`,
            endpoints: [],
            rack: null,
            fenced: false,
            processRoles: ['broker'],
          }),
        ),
        { type: 'topic', name: 't', topicId: t },
        {
          type: 'partition',
          topicId: t,
          partitionId: partitionId(0),
          replicas: b,
          isr: b,
          leader: b[0]!,
          leaderEpoch: leaderEpoch(0),
          partitionEpoch: partitionEpoch(0),
        },
      ],
      metadataOffset(1),
    );
    const leaders: number[] = [];
    for (const id of b) {
      const fenced = withoutBroker({ image: current, broker: id, how: 'fence', unclean: new Set() });
      current = applyBatch(
        fenced,
        removeBrokerFromPartitions(fenced, id, () => false),
        metadataOffset(fenced.offset + 1),
      );
      const partition = current.topics.get(t)!.partitions.get(partitionId(0))!;
      leaders.push(partition.leader);
      expect(partition.isr).toEqual(id === b[2] ? [b[2]] : b.slice(b.indexOf(id) + 1));
    }
    expect(leaders).toEqual([2, 3, NO_LEADER]);
  });
});
