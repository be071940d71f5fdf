// REST v2 shapes (Confluent's entities/v2): Topic {name, configs, partitions}, Partition {partition,
// leader, replicas: [{broker, leader, in_sync}]}, and a record read back {topic, key, value, partition,
// offset} plus ours (Confluent's v2 omits them): headers as the v3 produce takes them ({name, value:
// base64 | null}, whatever the embedded format: header values are bytes), timestamp (ms since the
// epoch) and timestamp_type (Kafka's TimestampType names).

import type { PartitionRegistration } from '../../metadata/image.ts';
import type { DecodedRecord } from '../../storage/record-batch/record.ts';

export interface V2Replica {
  readonly broker: number;
  readonly leader: boolean;
  readonly in_sync: boolean;
}

export interface V2Partition {
  readonly partition: number;
  /** -1 when the partition has no leader. */
  readonly leader: number;
  readonly replicas: readonly V2Replica[];
}

export interface V2Topic {
  readonly name: string;
  readonly configs: Readonly<Record<string, string>>;
  readonly partitions: readonly V2Partition[];
}

export interface V2RecordHeader {
  readonly name: string;
  /** base64; null for a null header value. */
  readonly value: string | null;
}

export type TimestampType = 'CREATE_TIME' | 'LOG_APPEND_TIME';

export interface V2Record {
  readonly topic: string;
  readonly key: unknown;
  readonly value: unknown;
  readonly partition: number;
  readonly offset: number;
  readonly headers: readonly V2RecordHeader[];
  readonly timestamp: number;
  readonly timestamp_type: TimestampType;
}

/** A record read back; `embed` turns its key and value into the embedded format (it may throw 40601). */
export function renderV2Record(
  topic: string,
  partition: number,
  record: DecodedRecord,
  logAppendTime: boolean,
  embed: (bytes: Buffer | null, what: string) => unknown,
): V2Record {
  return {
    topic,
    key: embed(record.key, `key at offset ${record.offset}`),
    value: embed(record.value, `value at offset ${record.offset}`),
    partition,
    offset: record.offset,
    headers: record.headers.map((header) => ({
      name: header.key,
      value: header.value === null ? null : header.value.toString('base64'),
    })),
    timestamp: record.timestamp,
    timestamp_type: logAppendTime ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
  };
}

export function renderV2Partition(partitionId: number, partition: PartitionRegistration): V2Partition {
  return {
    partition: partitionId,
    leader: partition.leader,
    replicas: partition.replicas.map((broker) => ({
      broker,
      leader: broker === partition.leader,
      in_sync: partition.isr.includes(broker),
    })),
  };
}

export function renderV2Partitions(partitions: ReadonlyMap<number, PartitionRegistration>): V2Partition[] {
  return [...partitions].sort(([a], [b]) => a - b).map(([id, partition]) => renderV2Partition(id, partition));
}
