// The records of __consumer_offsets (proto/groups.proto) and their batches. A commit request becomes ONE
// Kafka v2 batch, so a commit of many partitions is in the log entirely or not at all; a group's deletion
// is one batch of tombstones (null values). Reading back walks whole batches (a load reads the partition
// from its start), skips control batches (transaction markers, as Kafka's loader does) and records whose
// key kind this version does not know (a newer writer's). Bytes come from disk, so every field is
// checked; a record that cannot be ours is a GroupRecordError.

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { NIL_UUID, type TopicId, isUuid, topicId } from '../metadata/ids.ts';
import { batchesIn } from '../storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../storage/record-batch/builder.ts';
import { decodeRecords } from '../storage/record-batch/decoder.ts';
import type { DecodedRecord, ProducerRecord } from '../storage/record-batch/record.ts';

const protoPath = fileURLToPath(new URL('../../proto/groups.proto', import.meta.url));
const root = protobuf.loadSync(protoPath);
const keyType = root.lookupType('groups.GroupRecordKey');
const offsetValueType = root.lookupType('groups.OffsetCommitValue');

const toObjectOptions: protobuf.IConversionOptions = { longs: Number, defaults: true, oneofs: true };

/** A record of __consumer_offsets that this coordinator cannot read: corruption, or not ours. */
export class GroupRecordError extends Error {
  override readonly name = 'GroupRecordError';
}

export interface OffsetCommitValue {
  readonly offset: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
  /** The topic the offset belongs to; null in a record written before commits recorded it. */
  readonly topicId: TopicId | null;
}

export interface OffsetCommitKey {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
}

export type GroupRecord =
  /** value null: a tombstone, the commit is deleted. */
  | {
      readonly kind: 'offset-commit';
      readonly key: OffsetCommitKey;
      readonly value: OffsetCommitValue | null;
    }
  /** A key kind this version does not know: skipped. */
  | { readonly kind: 'unknown'; readonly offset: number };

export function encodeOffsetCommitKey(key: OffsetCommitKey): Buffer {
  const message = keyType.fromObject({
    offsetCommit: { group: key.groupId, topic: key.topic, partition: key.partition },
  });
  return Buffer.from(keyType.encode(message).finish());
}

export function encodeOffsetCommitValue(value: OffsetCommitValue): Buffer {
  const message = offsetValueType.fromObject({
    offset: value.offset,
    metadata: value.metadata,
    commitTimestamp: value.commitTimestampMs,
    topicId: value.topicId ?? '',
  });
  return Buffer.from(offsetValueType.encode(message).finish());
}

/** One record of a commit (value) or of a deletion (value null), stamped with the caller's clock. */
export function offsetCommitRecord(
  key: OffsetCommitKey,
  value: OffsetCommitValue | null,
  timestampMs: number,
): ProducerRecord {
  return {
    timestamp: timestampMs,
    key: encodeOffsetCommitKey(key),
    value: value === null ? null : encodeOffsetCommitValue(value),
    headers: [],
  };
}

/** The records in one batch, in order. */
export function groupRecordBatch(records: readonly ProducerRecord[]): Buffer {
  return buildRecordBatch({ records });
}

/** Every group record in `buffer` (whole batches laid end to end), in log order. */
export function decodeGroupRecords(buffer: Buffer): GroupRecord[] {
  const decoded: GroupRecord[] = [];
  for (const { header } of batchesIn(buffer)) {
    if (header.isControl) continue;
    for (const record of decodeRecords(header)) decoded.push(decodeGroupRecord(record));
  }
  return decoded;
}

export function decodeGroupRecord(record: DecodedRecord): GroupRecord {
  const where = `record at offset ${record.offset}`;
  if (record.key === null) throw new GroupRecordError(`${where}: null key`);
  const key = parse(keyType, record.key, `${where}: key`);
  if (key.kind !== 'offsetCommit') return { kind: 'unknown', offset: record.offset };
  const fields = key.offsetCommit as Record<string, unknown>;
  const partition = fields.partition;
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw new GroupRecordError(`${where}: partition ${String(partition)}`);
  }
  const commitKey = { groupId: String(fields.group), topic: String(fields.topic), partition };
  if (record.value === null) return { kind: 'offset-commit', key: commitKey, value: null };
  const value = parse(offsetValueType, record.value, `${where}: value`);
  const safe = (field: unknown): field is number => Number.isSafeInteger(field) && (field as number) >= 0;
  if (!safe(value.offset) || !safe(value.commitTimestamp)) {
    throw new GroupRecordError(`${where}: offset or timestamp outside 0..2^53-1`);
  }
  const recordedTopicId = String(value.topicId);
  if (recordedTopicId !== '' && (!isUuid(recordedTopicId) || recordedTopicId === NIL_UUID)) {
    throw new GroupRecordError(`${where}: topic id ${JSON.stringify(recordedTopicId)} is not a topic's UUID`);
  }
  return {
    kind: 'offset-commit',
    key: commitKey,
    value: {
      offset: value.offset,
      metadata: String(value.metadata),
      commitTimestampMs: value.commitTimestamp,
      topicId: recordedTopicId === '' ? null : topicId(recordedTopicId),
    },
  };
}

function parse(type: protobuf.Type, bytes: Buffer, what: string): Record<string, unknown> {
  try {
    return type.toObject(type.decode(bytes), toObjectOptions);
  } catch (error) {
    throw new GroupRecordError(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
