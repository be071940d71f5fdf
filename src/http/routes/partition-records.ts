// GET /v3/clusters/{c}/topics/{t}/partitions/{p}/records?offset=|timestamp=&max_records= (our extension,
// for the web console's message browser and anyone who wants to look at a partition): committed records
// with their timestamps and headers, which the v2 group-less read does not carry. From `offset` (clamped
// into [log start, high watermark]: a browser asks "from about here", not a consumer position), or from
// the first offset whose timestamp is at or after `timestamp` (Kafka's ListOffsets), or from the log
// start; at most `max_records` (0: only where the read would start, and the log's bounds). Never waits.

import type { FastifyInstance } from 'fastify';
import { batchesIn } from '../../storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../storage/record-batch/decoder.ts';
import { authorizeTopic } from '../authorization.ts';
import { HttpError } from '../errors.ts';
import type { PartitionRecordData, PartitionRecordListData } from '../render/partition-record.ts';
import { renderPartitionRecord } from '../render/partition-record.ts';
import { urlBuilder } from '../urls.ts';
import type { PartitionParams, RouteDeps } from './context.ts';
import { paramsSchema, readImage, requirePartition, requireTopic } from './context.ts';

export const MAX_RECORDS_DEFAULT = 100;
export const MAX_RECORDS_CAP = 1000;
/** Keys and values of one answer, beyond its first record (base64 makes the JSON a third larger). */
export const ANSWER_BYTES_MAX = 4 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;

interface RecordsQuery {
  readonly offset?: string;
  readonly timestamp?: string;
  readonly max_records?: string;
}

function queryNumber(query: RecordsQuery, name: keyof RecordsQuery): number | undefined {
  const text = query[name];
  if (text === undefined) return undefined;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value))
    throw new HttpError('INVALID_PAYLOAD', `Query parameter '${name}' must be a non-negative integer.`);
  return value;
}

/** Epoch milliseconds, or an ISO-8601 instant with its offset (as a produce body's timestamp). */
function queryTimestamp(query: RecordsQuery): number | undefined {
  const text = query.timestamp;
  if (text === undefined) return undefined;
  if (/^\d{1,16}$/.test(text)) return Number(text);
  const parsed = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw new HttpError(
      'INVALID_PAYLOAD',
      "Query parameter 'timestamp' must be epoch milliseconds or an ISO-8601 instant such as 2024-05-01T12:00:00Z.",
    );
  }
  return parsed;
}

export function registerPartitionRecordRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  scope.get<{ Params: PartitionParams; Querystring: RecordsQuery }>(
    '/topics/:topic_name/partitions/:partition_id/records',
    { schema: { params: paramsSchema('cluster_id', 'topic_name', 'partition_id') } },
    async (request): Promise<PartitionRecordListData> => {
      const asked = queryNumber(request.query, 'offset');
      const timestamp = queryTimestamp(request.query);
      if (asked !== undefined && timestamp !== undefined) {
        throw new HttpError('INVALID_PAYLOAD', "Give either 'offset' or 'timestamp', not both.");
      }
      const maxRecords = Math.min(
        queryNumber(request.query, 'max_records') ?? MAX_RECORDS_DEFAULT,
        MAX_RECORDS_CAP,
      );
      // READ on the topic (Kafka's Fetch), asked before the topic is looked up.
      authorizeTopic(request, deps, 'READ', request.params.topic_name);
      const { topic, id } = await readImage(deps, (image) => {
        const found = requireTopic(image, request.params.topic_name);
        return { topic: found, ...requirePartition(found, request.params.partition_id) };
      });
      const partition = { topicName: topic.name, partitionId: id };
      const { logStartOffset, highWatermark } = await node.data.offsets(partition);
      const start =
        timestamp !== undefined
          ? ((await node.data.offsetForTimestamp({ ...partition, timestamp })) ?? highWatermark)
          : Math.min(Math.max(asked ?? logStartOffset, logStartOffset), highWatermark);

      const records: PartitionRecordData[] = [];
      let next = start;
      let bytes = 0;
      reading: while (records.length < maxRecords && next < highWatermark && bytes <= ANSWER_BYTES_MAX) {
        const read = await node.data.read({ ...partition, offset: next, maxBytes: READ_BYTES, maxWaitMs: 0 });
        let advanced = false;
        for (const { header } of batchesIn(read.records)) {
          if (header.lastOffset >= next) {
            advanced = true;
            next = header.lastOffset + 1;
          }
          // Transaction markers are not records a reader sees.
          if (header.isControl) continue;
          const timestampType = header.isLogAppendTime ? 'LOG_APPEND_TIME' : 'CREATE_TIME';
          for (const record of decodeRecords(header)) {
            if (record.offset < start || record.offset >= highWatermark) continue;
            records.push(renderPartitionRecord(id, record, timestampType));
            bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
            if (records.length >= maxRecords || bytes > ANSWER_BYTES_MAX) {
              next = record.offset + 1;
              break reading;
            }
          }
        }
        if (!advanced) break;
      }

      const url = urlBuilder(request);
      const self = url('v3', 'clusters', node.clusterId, 'topics', topic.name, 'partitions', id, 'records');
      const more = maxRecords > 0 && next < highWatermark;
      return {
        kind: 'KafkaPartitionRecordList',
        metadata: {
          self: `${self}${request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''}`,
          next: more ? `${self}?offset=${next}&max_records=${maxRecords}` : null,
        },
        cluster_id: node.clusterId,
        topic_name: topic.name,
        partition_id: id,
        log_start_offset: logStartOffset,
        high_watermark: highWatermark,
        start_offset: start,
        data: records,
      };
    },
  );
}
