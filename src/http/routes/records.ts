// REST v3 produce: POST .../topics/{t}/records (one record, or streaming mode: several concatenated JSON
// records, one report each, in order) and POST .../topics/{t}/records:batch ({entries: [{id, ...}]} ->
// 207 {successes, failures}). The records of a request are produced together (records/producer.ts).

import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { TopicImage } from '../../metadata/image.ts';
import type { ErrorBody } from '../errors.ts';
import { authorizeTopic } from '../authorization.ts';
import { HttpError, toErrorBody } from '../errors.ts';
import type { JsonSequenceItem } from '../json-body.ts';
import { parseJsonSequence } from '../json-body.ts';
import type { ProducedData } from '../render/produce-report.ts';
import { renderProduced } from '../render/produce-report.ts';
import { requestAcks } from '../records/acks.ts';
import type { ProducedRecord, ProducerDeps, RequestAcks } from '../records/producer.ts';
import { produceRecords } from '../records/producer.ts';
import type { RecordInput } from '../records/record-input.ts';
import { parseV3Record } from '../records/v3-record.ts';
import type { RouteDeps, TopicParams } from './context.ts';
import { paramsSchema, readImage, requireTopic } from './context.ts';

/** Entries of one records:batch request (Confluent: api.v3.produce.batch.max.entries). */
export const BATCH_ENTRIES_MAX = 100;

type Report = ({ readonly error_code: 200 } & ProducedData) | ErrorBody;

interface BatchBody {
  readonly entries: readonly (Record<string, unknown> & { readonly id: string })[];
}

const batchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['entries'],
  properties: {
    entries: {
      type: 'array',
      minItems: 1,
      maxItems: BATCH_ENTRIES_MAX,
      items: {
        type: 'object',
        required: ['id'],
        // Confluent's rule for entry ids (ProduceBatchRequestEntry): 1..80 of [0-9a-zA-Z-_].
        properties: { id: { type: 'string', pattern: '^[0-9a-zA-Z_-]{1,80}$' } },
      },
    },
  },
} as const;

/** A record's parse result: the input, or why it cannot be produced. */
type Parsed =
  | { readonly ok: true; readonly input: RecordInput }
  | { readonly ok: false; readonly error: unknown };

function parsed(parse: () => RecordInput): Parsed {
  try {
    return { ok: true, input: parse() };
  } catch (error) {
    return { ok: false, error };
  }
}

type Result =
  | { readonly ok: true; readonly input: RecordInput; readonly produced: ProducedRecord }
  | { readonly ok: false; readonly error: unknown };

/** What the producer needs of a route's deps; an acks=0 send's failure is logged for the operator. */
export function producerDeps(deps: RouteDeps, log: FastifyBaseLogger): ProducerDeps {
  return {
    data: deps.node.data,
    sticky: deps.sticky,
    now: deps.now,
    sendOrder: deps.sendOrder,
    onUnacknowledgedFailure: (error, topic, partition) =>
      log.warn({ err: error, topic, partition }, 'an acks=0 produce failed (not reported to the client)'),
  };
}

interface AcksQuery {
  readonly acks?: string | string[];
}

/** Produces the records that parsed; the others keep their parse error. Same order as `records`. */
async function produceParsed(
  deps: RouteDeps,
  log: FastifyBaseLogger,
  topic: TopicImage,
  records: readonly Parsed[],
  acks: RequestAcks,
): Promise<Result[]> {
  const inputs = records.flatMap((record) => (record.ok ? [record.input] : []));
  const outcomes = await produceRecords(producerDeps(deps, log), topic, inputs, acks);
  let next = 0;
  return records.map((record): Result => {
    if (!record.ok) return record;
    const outcome = outcomes[next++]!;
    return outcome.ok ? { ok: true, input: record.input, produced: outcome.produced } : outcome;
  });
}

function errorOf(error: unknown, log: FastifyBaseLogger): { status: number; body: ErrorBody } {
  const { status, body, unexpected } = toErrorBody(error);
  if (unexpected) log.error({ err: error }, 'produce failed unexpectedly');
  else if (status >= 500) log.warn({ err: error }, 'produce failed');
  return { status, body };
}

export function registerRecordRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const clusterId = deps.node.clusterId;
  // WRITE on the topic (Kafka's Produce), asked before the topic is looked up.
  const topicOf = (request: FastifyRequest, name: string) => {
    authorizeTopic(request, deps, 'WRITE', name);
    return readImage(deps, (image) => requireTopic(image, name));
  };
  const params = paramsSchema('cluster_id', 'topic_name');

  // Streaming mode needs the body as a sequence of JSON values: this scope parses JSON its own way.
  scope.register(async (records) => {
    records.removeContentTypeParser('application/json');
    records.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      done(null, parseJsonSequence(typeof body === 'string' ? body : body.toString('utf8')));
    });

    records.post<{ Params: TopicParams; Body: JsonSequenceItem[] | undefined; Querystring: AcksQuery }>(
      '/topics/:topic_name/records',
      { schema: { params }, bodyLimit: deps.recordsBodyBytesMax },
      async (request, reply) => {
        const items = request.body ?? [];
        if (items.length === 0) {
          throw new HttpError('MALFORMED_REQUEST', 'Payload error. Request body is empty. Data is required.');
        }
        const topic = await topicOf(request, request.params.topic_name);
        const acks = requestAcks(deps.node.image(), topic.name, request.query.acks);
        const results = await produceParsed(
          deps,
          request.log,
          topic,
          items.map((item) => (item.ok ? parsed(() => parseV3Record(item.value)) : item)),
          acks,
        );
        const reports = results.map((result): { status: number; body: Report } =>
          result.ok
            ? {
                status: 200,
                body: {
                  error_code: 200,
                  ...renderProduced(clusterId, topic.name, result.input, result.produced),
                },
              }
            : errorOf(result.error, request.log),
        );
        const type = 'application/json; charset=utf-8';
        if (reports.length === 1) return reply.code(reports[0]!.status).type(type).send(reports[0]!.body);
        // Streaming mode: one report per record, concatenated (one per line), status 200.
        return reply
          .code(200)
          .type(type)
          .send(`${reports.map((report) => JSON.stringify(report.body)).join('\n')}\n`);
      },
    );
  });

  scope.post<{ Params: TopicParams; Body: BatchBody; Querystring: AcksQuery }>(
    '/topics/:topic_name/records::batch',
    { schema: { params, body: batchSchema }, bodyLimit: deps.recordsBodyBytesMax },
    async (request, reply) => {
      const { entries } = request.body;
      const ids = new Set(entries.map((entry) => entry.id));
      if (ids.size !== entries.length) {
        throw new HttpError('INVALID_PAYLOAD', 'Batch entry identifiers are not distinct.');
      }
      const topic = await topicOf(request, request.params.topic_name);
      const acks = requestAcks(deps.node.image(), topic.name, request.query.acks);
      const results = await produceParsed(
        deps,
        request.log,
        topic,
        entries.map((entry) => parsed(() => parseV3Record(entry, new Set(['id'])))),
        acks,
      );
      const successes: ({ readonly id: string } & ProducedData)[] = [];
      const failures: ({ readonly id: string } & ErrorBody)[] = [];
      results.forEach((result, index) => {
        const id = entries[index]!.id;
        if (result.ok)
          successes.push({ id, ...renderProduced(clusterId, topic.name, result.input, result.produced) });
        else failures.push({ id, ...errorOf(result.error, request.log).body });
      });
      return reply.code(207).send({ successes, failures });
    },
  );
}
