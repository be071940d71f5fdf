import { describe, expect, it } from 'vitest';
import {
  GroupRecordError,
  decodeGroupRecords,
  encodeOffsetCommitKey,
  groupRecordBatch,
  offsetCommitRecord,
} from '../../src/groups/offset-records.ts';
import { topicId } from '../../src/metadata/ids.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';

const key = { groupId: 'g', topic: 'orders', partition: 2 };

describe('offset commit records', () => {
  it('round-trips commits and tombstones through one v2 batch', () => {
    const value = {
      offset: 2 ** 40,
      metadata: 'meta',
      commitTimestampMs: 1_700_000_000_000,
      topicId: topicId('5f0c8a8e-3b1d-4c56-9a3e-0b6f2f7e9d11'),
    };
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

  it('reads a value written before topic ids were recorded (no field 4) as topic id null', () => {
    // OffsetCommitValue {offset: 7, commit_timestamp: 9} as the first version wrote it.
    const oldValue = Buffer.from([0x08, 0x07, 0x18, 0x09]);
    const batch = buildRecordBatch({
      records: [{ timestamp: 1, key: encodeOffsetCommitKey(key), value: oldValue, headers: [] }],
    });
    expect(decodeGroupRecords(batch)).toEqual([
      { kind: 'offset-commit', key, value: { offset: 7, metadata: '', commitTimestampMs: 9, topicId: null } },
    ]);
    // And a commit without a topic id is written exactly so.
    const written = offsetCommitRecord(
      key,
      { offset: 7, metadata: '', commitTimestampMs: 9, topicId: null },
      1,
    );
    expect(written.value).toEqual(oldValue);
  });

  it('refuses a topic id that is not a UUID', () => {
    // OffsetCommitValue {offset: 7, topic_id: "nope"}.
    const value = Buffer.from([0x08, 0x07, 0x22, 0x04, ...Buffer.from('nope')]);
    const batch = buildRecordBatch({
      records: [{ timestamp: 1, key: encodeOffsetCommitKey(key), value, headers: [] }],
    });
    expect(() => decodeGroupRecords(batch)).toThrow(/topic id "nope"/);
  });
});
