import { describe, expect, it } from 'vitest';
import {
  GroupRecordError,
  decodeGroupRecords,
  encodeOffsetCommitKey,
  groupRecordBatch,
  offsetCommitRecord,
} from '../../src/groups/offset-records.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';

const key = { groupId: 'g', topic: 'orders', partition: 2 };

describe('offset commit records', () => {
  it('round-trips commits and tombstones through one v2 batch', () => {
    const value = { offset: 2 ** 40, metadata: 'meta', commitTimestampMs: 1_700_000_000_000 };
    const batch = groupRecordBatch([
      offsetCommitRecord(key, value, 5),
      offsetCommitRecord({ ...key, partition: 0 }, null, 5),
    ]);
    expect(decodeGroupRecords(batch)).toEqual([
      { kind: 'offset-commit', key, value },
      { kind: 'offset-commit', key: { ...key, partition: 0 }, value: null },
    ]);
  });

  it('encodes a key deterministically (compaction keeps the last record per key)', () => {
    expect(encodeOffsetCommitKey(key).equals(encodeOffsetCommitKey({ ...key }))).toBe(true);
    expect(encodeOffsetCommitKey(key).equals(encodeOffsetCommitKey({ ...key, partition: 3 }))).toBe(false);
  });

  it('skips records of key kinds it does not know (a newer writer)', () => {
    // GroupRecordKey with field 2 (a future kind): tag (2 << 3 | 2), length 2, an embedded message.
    const futureKey = Buffer.from([0x12, 0x02, 0x08, 0x01]);
    const batch = buildRecordBatch({
      records: [{ timestamp: 1, key: futureKey, value: Buffer.from('x'), headers: [] }],
    });
    expect(decodeGroupRecords(batch)).toEqual([{ kind: 'unknown', offset: 0 }]);
  });

  it('refuses a record without a key', () => {
    const batch = buildRecordBatch({ records: [{ timestamp: 1, key: null, value: null, headers: [] }] });
    expect(() => decodeGroupRecords(batch)).toThrow(GroupRecordError);
  });

  it('skips control batches (transaction markers)', () => {
    const batch = buildRecordBatch({
      control: true,
      records: [{ timestamp: 1, key: Buffer.from([0, 0, 0, 0]), value: null, headers: [] }],
    });
    expect(decodeGroupRecords(batch)).toEqual([]);
  });
});
