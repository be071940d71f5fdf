// What REST v3 produce answers per record (Confluent's ProduceResponse, and the success entry of
// ProduceBatchResponse): where the record went, its timestamp as an ISO-8601 instant, and the type and
// serialized size of its key and value (null when the request had none).

import type { EmbeddedType } from '../records/embedded.ts';
import type { ProducedRecord } from '../records/producer.ts';
import type { RecordInput } from '../records/record-input.ts';

export interface EmbeddedReport {
  readonly type: EmbeddedType;
  readonly size: number;
}

export interface ProducedData {
  readonly cluster_id: string;
  readonly topic_name: string;
  readonly partition_id: number;
  readonly offset: number;
  readonly timestamp: string;
  readonly key: EmbeddedReport | null;
  readonly value: EmbeddedReport | null;
}

function embeddedReport(type: EmbeddedType | null, bytes: Buffer | null): EmbeddedReport | null {
  return type === null ? null : { type, size: bytes?.length ?? 0 };
}

export function renderProduced(
  clusterId: string,
  topicName: string,
  record: RecordInput,
  produced: ProducedRecord,
): ProducedData {
  return {
    cluster_id: clusterId,
    topic_name: topicName,
    partition_id: produced.partitionId,
    offset: produced.offset,
    timestamp: new Date(produced.timestamp).toISOString(),
    key: embeddedReport(record.keyType, record.key),
    value: embeddedReport(record.valueType, record.value),
  };
}
