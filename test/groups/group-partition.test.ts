import { describe, expect, it } from 'vitest';
import { partitionForGroup, javaStringHashCode, kafkaAbs } from '../../src/groups/group-partition.ts';

// Each row checked against a JVM: String.hashCode() and Utils.abs(hash) % 50.
const JAVA_VECTORS: readonly [string, number, number][] = [
  ['hello', 99162322, 22],
  ['', 0, 0],
  ['polygenelubricants', -2147483648, 0],
  ['Hello World', -862545276, 26],
  ['my-group', -1906497762, 12],
  ['console-consumer-12345', 158455506, 6],
  ['\u{1D11E} group', 1211588169, 19], // a surrogate pair: hashed as two UTF-16 code units
  ['Aa', 2112, 12],
  ['BB', 2112, 12],
];

describe('group partition (Kafka: Utils.abs(groupId.hashCode) % partitions)', () => {
  it.each(JAVA_VECTORS)(
    '%j hashes as Java does (%i) and lives in partition %i of 50',
    (group, hash, partition) => {
      expect(javaStringHashCode(group)).toBe(hash);
      expect(partitionForGroup(group, 50)).toBe(partition);
    },
  );

  it('Utils.abs maps Integer.MIN_VALUE to 0 and is Math.abs elsewhere', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(kafkaAbs(2147483647)).toBe(2147483647);
  });

  it('every group of one partition count lands in range', () => {
    for (let index = 0; index < 1000; index++) {
      const partition = partitionForGroup(`group-${index}`, 7);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(7);
    }
  });
});
