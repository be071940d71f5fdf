// A record read back (our extension, GET .../partitions/{p}/records): the shape of a v3 produce body
// (`key`/`value` as `{type: BINARY, data: base64}`, headers `[{name, value: base64}]`) plus where and
// when it was written, so that what a client reads is what it could produce again.

import type { DecodedRecord } from '../../storage/record-batch/record.ts';
import type { CollectionMetadata } from './resource.ts';

export type TimestampType = 'CREATE_TIME' | 'LOG_APPEND_TIME';

export interface BinaryData {
  readonly type: 'BINARY';
  readonly data: string;
}

export interface PartitionRecordData {
  readonly partition_id: number;
  readonly offset: number;
  /** ISO-8601, as the produce report's; null for one outside what ISO-8601 can say (Kafka allows any int64). */
  readonly timestamp: string | null;
  readonly timestamp_type: TimestampType;
  readonly key: BinaryData | null;
  readonly value: BinaryData | null;
  readonly headers: readonly { readonly name: string; readonly value: string | null }[];
}

export interface PartitionRecordListData {
  readonly kind: 'KafkaPartitionRecordList';
  /** `next`: the same read from the offset after the last record, while records remain below the high watermark. */
  readonly metadata: CollectionMetadata;
  readonly cluster_id: string;
  readonly topic_name: string;
  readonly partition_id: number;
  readonly log_start_offset: number;
  readonly high_watermark: number;
  /** Where the read started: the offset asked (within the log), or the one found for the timestamp. */
  readonly start_offset: number;
  readonly data: readonly PartitionRecordData[];
}

/** ECMAScript's Date range: ±8.64e15 ms around the epoch. */
const DATE_MS_MAX = 8.64e15;

function binary(bytes: Buffer | null): BinaryData | null {
  return bytes === null ? null : { type: 'BINARY', data: bytes.toString('base64') };
}

export function renderPartitionRecord(
  partitionId: number,
  record: DecodedRecord,
  timestampType: TimestampType,
): PartitionRecordData {
  return {
    partition_id: partitionId,
    offset: record.offset,
    timestamp: Math.abs(record.timestamp) <= DATE_MS_MAX ? new Date(record.timestamp).toISOString() : null,
    timestamp_type: timestampType,
    key: binary(record.key),
    value: binary(record.value),
    headers: record.headers.map((header) => ({
      name: header.key,
      value: header.value === null ? null : header.value.toString('base64'),
    })),
  };
}
