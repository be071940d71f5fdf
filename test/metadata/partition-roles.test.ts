import { describe, expect, it } from 'vitest';
import { brokerId, leaderEpoch, metadataOffset, partitionEpoch, partitionId, topicId } from '../../src/metadata/ids.ts';
import { emptyImage, type MetadataImage } from '../../src/metadata/image.ts';
import { PartitionRoleTracker } from '../../src/metadata/partition-roles.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';

const REPLICAS = [
  [1, 2, 3],
  [2, 3, 1],
];
const T = topicId('00000000-0000-0000-0000-000000000001');
let offset = 0;
function apply(image: MetadataImage, records: MetadataRecord[]): MetadataImage {
  offset += 1;
  return applyBatch(image, records, metadataOffset(offset));
}

function setup(): MetadataImage {
  let image = emptyImage();
  for (const id of [1, 2, 3]) {
    image = apply(image, [
      { type: 'registerBroker', brokerId: brokerId(id), incarnationId: `i${id}`, endpoints: [], rack: null, fenced: false, processRoles: ['broker'] },
    ]);
  }
  return apply(image, [
    { type: 'topic', name: 'orders', topicId: T },
    ...[0, 1].map((p) => ({
      type: 'partition' as const,
      topicId: T,
      partitionId: partitionId(p),
      replicas: REPLICAS[p]!.map(brokerId),
      isr: REPLICAS[p]!.map(brokerId),
      leader: brokerId(1 + p),
      leaderEpoch: leaderEpoch(0),
      partitionEpoch: partitionEpoch(0),
    })),
  ]);
}

describe('PartitionRoleTracker: what a broker must lead and follow', () => {
  it('reports new roles, leadership moves, ISR changes of led partitions, and removal', () => {
    const tracker = new PartitionRoleTracker(brokerId(2));
    let image = setup();
    expect(tracker.update(image).map((c) => [c.partitionId, c.role?.role])).toEqual([
      [0, 'follower'],
      [1, 'leader'],
    ]);
    expect(tracker.update(image)).toEqual([]);

    // Partition 0's leader moves to broker 2 (leader epoch + 1).
    image = apply(image, [{ type: 'partitionChange', topicId: T, partitionId: partitionId(0), leader: brokerId(2), isr: null, replicas: null }]);
    expect(tracker.update(image)).toMatchObject([{ partitionId: 0, role: { role: 'leader', leaderEpoch: 1 } }]);

    // An ISR shrink of a partition it leads is a change it must act on (high watermark, acks).
    image = apply(image, [{ type: 'partitionChange', topicId: T, partitionId: partitionId(1), leader: null, isr: [brokerId(2), brokerId(3)], replicas: null }]);
    expect(tracker.update(image)).toMatchObject([{ partitionId: 1, role: { role: 'leader', isr: [2, 3] } }]);

    image = apply(image, [{ type: 'removeTopic', topicId: T }]);
    expect(tracker.update(image).map((c) => [c.partitionId, c.role])).toEqual([
      [0, null],
      [1, null],
    ]);
  });
});
