// The group-less read (Redpanda's extension of REST v2): GET /topics/{t}/partitions/{p}/records?offset=
// &timeout=&max_bytes= -> [{topic, key, value, partition, offset, headers, timestamp, timestamp_type}]
// (render/v2.ts) in the embedded format of the Accept
// header. Only records at or after `offset` (the first batch may start before it); at least one record
// when any is there, however small max_bytes is (as Kafka's fetch); `timeout` is the long poll.

import type { FastifyInstance } from 'fastify';
import { batchesIn } from '../../storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../storage/record-batch/decoder.ts';
import type { DecodedRecord } from '../../storage/record-batch/record.ts';
import { HttpError } from '../errors.ts';
import { bytesAsJson } from '../records/embedded.ts';
import { renderV2Record } from '../render/v2.ts';
import type { EmbeddedFormat } from '../v2/media.ts';
import { readFormat, responseType } from '../v2/media.ts';
import type { RouteDeps } from './context.ts';
import { paramsSchema, readImage, requirePartition, requireTopic } from './context.ts';
import { authorizeTopic } from '../authorization.ts';

/** Confluent caps a records read at 64 MiB. */
export const READ_MAX_BYTES_CAP = 64 * 1024 * 1024;
export const READ_MAX_BYTES_DEFAULT = 1024 * 1024;
/** Confluent's consumer.request.timeout.ms default. */
export const READ_TIMEOUT_DEFAULT_MS = 1000;
export const READ_TIMEOUT_CAP_MS = 30_000;

interface ReadQuery {
  readonly offset?: string;
  readonly timeout?: string;
  readonly max_bytes?: string;
}

/** A non-negative decimal query parameter; absent gives `fallback` (undefined: required). */
function natural(query: ReadQuery, name: keyof ReadQuery, fallback?: number): number {
  const text = query[name];
  if (text === undefined) {
    if (fallback === undefined)
      throw new HttpError('INVALID_PAYLOAD', `Query parameter '${name}' is required.`);
    return fallback;
  }
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new HttpError('INVALID_PAYLOAD', `Query parameter '${name}' must be a non-negative integer.`);
  }
  return value;
}

interface ReadRecord {
  readonly record: DecodedRecord;
  readonly logAppendTime: boolean;
}

/** Decoded records at or after `offset`, within `maxBytes` of keys and values but at least one. */
function recordsFrom(bytes: Buffer, offset: number, maxBytes: number): ReadRecord[] {
  const records: ReadRecord[] = [];
  let size = 0;
  for (const { header } of batchesIn(bytes)) {
    // Transaction markers are not records a reader sees.
    if (header.isControl) continue;
    for (const record of decodeRecords(header)) {
      if (record.offset < offset) continue;
      const recordSize = (record.key?.length ?? 0) + (record.value?.length ?? 0);
      if (records.length > 0 && size + recordSize > maxBytes) return records;
      records.push({ record, logAppendTime: header.isLogAppendTime });
      size += recordSize;
    }
  }
  return records;
}

/** How many reads a request makes past batches without records before it answers. */
const COMPACTED_READ_HOPS_MAX = 16;

/** The offset after the last batch of `bytes`, or null when there is none. */
function endOfBatches(bytes: Buffer): number | null {
  let end: number | null = null;
  for (const { header } of batchesIn(bytes)) end = header.lastOffset + 1;
  return end;
}

function embedded(bytes: Buffer | null, format: EmbeddedFormat, what: string): unknown {
  if (format === 'json') return bytesAsJson(bytes, what);
  return bytes === null ? null : bytes.toString('base64');
}

export function registerV2RecordRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  scope.get<{ Params: { topic_name: string; partition_id: string }; Querystring: ReadQuery }>(
    '/topics/:topic_name/partitions/:partition_id/records',
    { schema: { params: paramsSchema('topic_name', 'partition_id') } },
    async (request, reply) => {
      const format = readFormat(request.headers.accept);
      const offset = natural(request.query, 'offset');
      const timeoutMs = Math.min(
        natural(request.query, 'timeout', READ_TIMEOUT_DEFAULT_MS),
        READ_TIMEOUT_CAP_MS,
      );
      const maxBytes = Math.min(
        natural(request.query, 'max_bytes', READ_MAX_BYTES_DEFAULT),
        READ_MAX_BYTES_CAP,
      );
      // READ on the topic (Kafka's Fetch), asked before the topic is looked up.
      authorizeTopic(request, deps, 'READ', request.params.topic_name);
      const { topic, id } = await readImage(deps, (image) => {
        const found = requireTopic(image, request.params.topic_name);
        return { topic: found, ...requirePartition(found, request.params.partition_id) };
      });
      const read = (from: number, maxWaitMs: number) =>
        deps.node.data.read({
          topicName: topic.name,
          partitionId: id,
          offset: from,
          maxBytes: Math.max(maxBytes, 1),
          maxWaitMs,
        });
      let result = await read(offset, timeoutMs);
      let found = recordsFrom(result.records, offset, maxBytes);
      // A compacted partition may hold batches without a record from `offset` on (the log cleaner
      // removed them): read on past them, so that a reader paging by offsets is never stuck there.
      for (let from = offset, hops = 0; found.length === 0 && hops < COMPACTED_READ_HOPS_MAX; hops++) {
        const next = endOfBatches(result.records);
        if (next === null || next <= from || next >= result.highWatermark) break;
        from = next;
        result = await read(from, 0);
        found = recordsFrom(result.records, offset, maxBytes);
      }
      const records = found.map(({ record, logAppendTime }) =>
        renderV2Record(topic.name, id, record, logAppendTime, (bytes, what) => embedded(bytes, format, what)),
      );
      return reply.type(responseType(format)).send(records);
    },
  );
}
