// REST v2 produce: POST /topics/{t} and POST /topics/{t}/partitions/{p} with {records: [{key?, value?,
// partition?}]}, embedded format from the content type (binary: base64, json: any JSON). A body that does
// not fit is refused whole (422); once produced, each record's error is reported inside `offsets`, as
// Confluent does: {partition, offset, error_code, error}.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { INT32_MAX } from '../../metadata/ids.ts';
import type { TopicImage } from '../../metadata/image.ts';
import { toErrorBody } from '../errors.ts';
import { embeddedBytes } from '../records/embedded.ts';
import { requestAcks } from '../records/acks.ts';
import { produceRecords } from '../records/producer.ts';
import type { RecordInput } from '../records/record-input.ts';
import type { EmbeddedFormat } from '../v2/media.ts';
import { produceFormat } from '../v2/media.ts';
import type { RouteDeps } from './context.ts';
import { paramsSchema, readImage, requirePartition, requireTopic } from './context.ts';
import { producerDeps } from './records.ts';
import { authorizeTopic } from '../authorization.ts';

interface V2ProduceRecord {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly partition?: number | null;
}

interface AcksQuery {
  readonly acks?: string | string[];
}

interface V2ProduceBody {
  readonly records: readonly V2ProduceRecord[];
}

interface V2Offset {
  readonly partition: number | null;
  readonly offset: number | null;
  readonly error_code: number | null;
  readonly error: string | null;
}

function bodySchema(withPartition: boolean) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['records'],
    properties: {
      records: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          properties: {
            key: {},
            value: {},
            ...(withPartition && {
              partition: { type: ['integer', 'null'], minimum: 0, maximum: INT32_MAX },
            }),
          },
        },
      },
    },
  } as const;
}

function inputOf(
  record: V2ProduceRecord,
  index: number,
  format: EmbeddedFormat,
  partition: number | null,
): RecordInput {
  const type = format === 'binary' ? 'BINARY' : 'JSON';
  return {
    partitionId: partition ?? record.partition ?? null,
    key: embeddedBytes(type, record.key, `records[${index}].key`),
    value: embeddedBytes(type, record.value, `records[${index}].value`),
    headers: [],
    timestamp: null,
    keyType: type,
    valueType: type,
    idempotence: null,
  };
}

export function registerV2ProduceRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const produce = async (
    request: FastifyRequest,
    topic: TopicImage,
    body: V2ProduceBody,
    partition: number | null,
  ) => {
    const format = produceFormat(request.headers['content-type']);
    const acks = requestAcks(deps.node.image(), topic.name, (request.query as AcksQuery).acks);
    // Every record is checked before any is produced: a bad one refuses the request (422 / 42207).
    const inputs = body.records.map((record, index) => inputOf(record, index, format, partition));
    const outcomes = await produceRecords(producerDeps(deps, request.log), topic, inputs, acks);
    const offsets = outcomes.map((outcome): V2Offset => {
      if (outcome.ok) {
        return {
          partition: outcome.produced.partitionId,
          offset: outcome.produced.offset,
          error_code: null,
          error: null,
        };
      }
      const { body: error, unexpected } = toErrorBody(outcome.error);
      if (unexpected) request.log.error({ err: outcome.error }, 'produce failed unexpectedly');
      return { partition: null, offset: null, error_code: error.error_code, error: error.message };
    });
    return { key_schema_id: null, value_schema_id: null, offsets };
  };

  scope.post<{ Params: { topic_name: string }; Body: V2ProduceBody }>(
    '/topics/:topic_name',
    {
      schema: { params: paramsSchema('topic_name'), body: bodySchema(true) },
      bodyLimit: deps.recordsBodyBytesMax,
    },
    async (request) => {
      authorizeTopic(request, deps, 'WRITE', request.params.topic_name);
      const topic = await readImage(deps, (image) => requireTopic(image, request.params.topic_name));
      return produce(request, topic, request.body, null);
    },
  );

  scope.post<{ Params: { topic_name: string; partition_id: string }; Body: V2ProduceBody }>(
    '/topics/:topic_name/partitions/:partition_id',
    {
      schema: { params: paramsSchema('topic_name', 'partition_id'), body: bodySchema(false) },
      bodyLimit: deps.recordsBodyBytesMax,
    },
    async (request) => {
      authorizeTopic(request, deps, 'WRITE', request.params.topic_name);
      const { topic, id } = await readImage(deps, (image) => {
        const found = requireTopic(image, request.params.topic_name);
        return { topic: found, ...requirePartition(found, request.params.partition_id) };
      });
      return produce(request, topic, request.body, id);
    },
  );
}
