// REST v2 consumers (Confluent REST Proxy v2): POST /consumers/{g} creates an instance; under
// /consumers/{g}/instances/{i}: DELETE, subscription, assignments, positions[/beginning|/end], records,
// offsets, and ours: GET (where is it). The instances live in the ConsumerRegistry of the node that
// created them (consumers/registry.ts); any other node forwards their requests there
// (consumers/forwarding.ts) before anything else of the request is read. Groups and commits go through
// GroupApi, reads through DataApi (consumers/instance.ts).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InstanceForwarding } from '../consumers/forwarding.ts';
import type { ConsumerConfig, OffsetToCommit, Subscription } from '../consumers/instance.ts';
import type { ConsumerRegistry } from '../consumers/registry.ts';
import { HttpError } from '../errors.ts';
import { parseJsonBody } from '../json-body.ts';
import type { TopicPartition } from '../ports.ts';
import { urlBuilder } from '../urls.ts';
import { V2_BINARY, V2_JSON_JSON, responseType } from '../v2/media.ts';
import type { RouteDeps } from './context.ts';
import { paramsSchema } from './context.ts';
import {
  READ_MAX_BYTES_CAP,
  READ_MAX_BYTES_DEFAULT,
  READ_TIMEOUT_CAP_MS,
  READ_TIMEOUT_DEFAULT_MS,
} from './v2-records.ts';
import { type AclOperation, principalText } from '../../common/security.ts';
import { authorizeGroup, authorizeTopic } from '../authorization.ts';

interface GroupParams {
  readonly group_name: string;
}
interface InstanceParams extends GroupParams {
  readonly instance: string;
}

const NUMBER_OR_DIGITS = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: '^[0-9]{1,15}$' },
  ],
};

const createSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    format: { type: 'string', enum: ['binary', 'json'] },
    'auto.offset.reset': { type: 'string', enum: ['earliest', 'latest'] },
    'auto.commit.enable': { anyOf: [{ type: 'string', enum: ['true', 'false'] }, { type: 'boolean' }] },
    'fetch.min.bytes': NUMBER_OR_DIGITS,
    'consumer.request.timeout.ms': NUMBER_OR_DIGITS,
  },
} as const;

interface CreateBody {
  readonly name?: string;
  readonly format?: 'binary' | 'json';
  readonly 'auto.offset.reset'?: 'earliest' | 'latest';
  readonly 'auto.commit.enable'?: 'true' | 'false' | boolean;
  readonly 'fetch.min.bytes'?: number | string;
  readonly 'consumer.request.timeout.ms'?: number | string;
}

const TOPIC_PARTITION = {
  type: 'object',
  additionalProperties: false,
  required: ['topic', 'partition'],
  properties: { topic: { type: 'string', minLength: 1 }, partition: { type: 'integer', minimum: 0 } },
} as const;

const OFFSET_ITEM = {
  type: 'object',
  additionalProperties: false,
  required: ['topic', 'partition', 'offset'],
  properties: {
    topic: { type: 'string', minLength: 1 },
    partition: { type: 'integer', minimum: 0 },
    offset: { type: 'integer', minimum: 0 },
    metadata: { type: ['string', 'null'] },
  },
} as const;

const subscriptionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    topics: { type: 'array', items: { type: 'string', minLength: 1 } },
    topic_pattern: { type: 'string', minLength: 1 },
  },
} as const;

const partitionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['partitions'],
  properties: { partitions: { type: 'array', items: TOPIC_PARTITION } },
} as const;

const positionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['offsets'],
  properties: { offsets: { type: 'array', items: OFFSET_ITEM } },
} as const;

const commitSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { offsets: { type: 'array', items: OFFSET_ITEM } },
} as const;

interface PartitionsBody {
  readonly partitions: readonly TopicPartition[];
}
interface OffsetItem extends TopicPartition {
  readonly offset: number;
  readonly metadata?: string | null;
}
interface OffsetsBody {
  readonly offsets?: readonly OffsetItem[];
}

function configOf(body: CreateBody): ConsumerConfig {
  const number = (value: number | string | undefined, fallback: number): number =>
    value === undefined ? fallback : Number(value);
  const autoCommit = body['auto.commit.enable'];
  return {
    format: body.format ?? 'binary',
    autoOffsetReset: body['auto.offset.reset'] ?? 'latest',
    autoCommit: autoCommit === undefined || autoCommit === true || autoCommit === 'true',
    fetchMinBytes: number(body['fetch.min.bytes'], -1),
    requestTimeoutMs: Math.min(
      number(body['consumer.request.timeout.ms'], READ_TIMEOUT_DEFAULT_MS),
      READ_TIMEOUT_CAP_MS,
    ),
  };
}

/** Java's Pattern.matches: the whole topic name. An invalid expression is a bad payload. */
function topicPattern(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`, 'u');
  } catch {
    throw new HttpError(
      'INVALID_PAYLOAD',
      `Field 'topic_pattern' is not a valid regular expression: ${source}`,
    );
  }
}

/** A non-negative decimal query parameter; absent gives `fallback`. */
function natural(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new HttpError('INVALID_PAYLOAD', `Query parameter '${name}' must be a non-negative integer.`);
  }
  return value;
}

/** Confluent refuses a records read whose Accept names the other embedded format than the instance's. */
function checkAccept(accept: string | undefined, format: ConsumerConfig['format']): void {
  const types = (accept ?? '').split(',').map((type) => (type.split(';', 1)[0] ?? '').trim().toLowerCase());
  const named: string[] = types.filter((type) => type === V2_BINARY || type === V2_JSON_JSON);
  if (named.length > 0 && !named.includes(responseType(format)))
    throw new HttpError('CONSUMER_FORMAT_MISMATCH');
}

const GET_BODY_BYTES_MAX = 1024 * 1024;

/** GET offsets carries its partitions in a body (Confluent); fastify does not parse GET bodies. */
async function getBody(request: FastifyRequest): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > GET_BODY_BYTES_MAX) throw new HttpError('PAYLOAD_TOO_LARGE');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? undefined : parseJsonBody(text);
}

function partitionsOf(body: unknown): TopicPartition[] {
  const partitions = (body as { partitions?: unknown } | undefined)?.partitions;
  if (
    typeof body !== 'object' ||
    body === null ||
    !Array.isArray(partitions) ||
    !partitions.every(
      (tp: unknown) =>
        typeof tp === 'object' &&
        tp !== null &&
        typeof (tp as TopicPartition).topic === 'string' &&
        Number.isSafeInteger((tp as TopicPartition).partition) &&
        (tp as TopicPartition).partition >= 0,
    )
  ) {
    throw new HttpError('INVALID_PAYLOAD', "Field 'partitions' must be an array of {topic, partition}.");
  }
  return (partitions as TopicPartition[]).map(({ topic, partition }) => ({ topic, partition }));
}

/** GET offsets without a body: `?topic=t&partition=p` (both repeatable, paired in order). */
function partitionsOfQuery(query: Record<string, string | string[] | undefined>): TopicPartition[] {
  const list = (value: string | string[] | undefined): string[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];
  const topics = list(query.topic);
  const partitions = list(query.partition);
  if (topics.length !== partitions.length) {
    throw new HttpError('INVALID_PAYLOAD', "Query parameters 'topic' and 'partition' must come in pairs.");
  }
  return topics.map((topic, i) => ({ topic, partition: natural(partitions[i], 'partition', 0) }));
}

/**
 * The onRequest hook of every instance route: before the body is parsed, an instance held by another
 * node gets that node's answer, as it is.
 */
export function instanceRelay(
  forwarding: InstanceForwarding | null,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    if (forwarding === null) return undefined;
    const { group_name: group, instance } = request.params as InstanceParams;
    const answer = await forwarding.relay(request, group, instance);
    if (answer === null) return undefined;
    if (answer.contentType !== null) reply.type(answer.contentType);
    return reply.code(answer.status).send(answer.body);
  };
}

export function registerV2ConsumerRoutes(
  scope: FastifyInstance,
  deps: RouteDeps,
  registry: ConsumerRegistry,
  forwarding: InstanceForwarding | null,
): void {
  const groupParams = paramsSchema('group_name');
  const instanceParams = { params: paramsSchema('group_name', 'instance') };
  const base = '/consumers/:group_name/instances/:instance';
  // Authorization is asked on the node holding the instance (a relayed request carries the client's
  // own credentials there): READ on the group for every instance route (the instance is a member of
  // it, as Kafka's JoinGroup/Heartbeat/OffsetCommit ask), READ on each topic subscribed, assigned, read
  // or committed.
  const instanceOf = (request: FastifyRequest, params: InstanceParams) => {
    authorizeGroup(request, deps, 'READ', params.group_name);
    return registry.get(params.group_name, params.instance, principalText(request.session.principal));
  };
  const authorizeTopics = (request: FastifyRequest, operation: AclOperation, topics: Iterable<string>) => {
    for (const topic of new Set(topics)) authorizeTopic(request, deps, operation, topic);
  };

  const relay = instanceRelay(forwarding);
  // Every instance route: its params schema, and the relay.
  const instanceRoute = { schema: instanceParams, onRequest: relay };

  scope.post<{ Params: GroupParams; Body: CreateBody | undefined }>(
    '/consumers/:group_name',
    { schema: { params: groupParams, body: createSchema } },
    async (request) => {
      const body = request.body ?? {};
      const group = request.params.group_name;
      authorizeGroup(request, deps, 'READ', group);
      // A name is unique in its group across the cluster: another node's instance of it is a conflict.
      if (
        body.name !== undefined &&
        forwarding !== null &&
        !registry.holds(group, body.name) &&
        (await forwarding.heldElsewhere(group, body.name, request.headers.authorization))
      ) {
        throw new HttpError('CONSUMER_ALREADY_EXISTS');
      }
      const instance = registry.create(
        request.params.group_name,
        body.name ?? null,
        configOf(body),
        `/${request.ip}`,
        principalText(request.session.principal),
      );
      return {
        instance_id: instance.id,
        base_uri: urlBuilder(request)('consumers', instance.groupId, 'instances', instance.id),
      };
    },
  );

  // Ours: whether the instance exists (through any node), with its base_uri. Nodes looking for the
  // holder of an instance ask each other this, with the forwarded marker (answered from memory). Not
  // authorized: the nodes' probe carries no client credentials, and the answer tells only that an
  // instance id exists in a group (its records, offsets and subscription need READ on the group).
  scope.get<{ Params: InstanceParams }>(base, instanceRoute, async (request) => {
    const instance = registry.get(request.params.group_name, request.params.instance);
    return {
      instance_id: instance.id,
      base_uri: urlBuilder(request)('consumers', instance.groupId, 'instances', instance.id),
    };
  });

  scope.delete<{ Params: InstanceParams }>(base, instanceRoute, async (request, reply) => {
    authorizeGroup(request, deps, 'READ', request.params.group_name);
    await registry.delete(
      request.params.group_name,
      request.params.instance,
      principalText(request.session.principal),
    );
    return reply.code(204).send();
  });

  scope.post<{ Params: InstanceParams; Body: { topics?: string[]; topic_pattern?: string } }>(
    `${base}/subscription`,
    { onRequest: relay, schema: { ...instanceParams, body: subscriptionSchema } },
    async (request, reply) => {
      const { topics, topic_pattern: pattern } = request.body;
      if ((topics === undefined) === (pattern === undefined)) {
        throw new HttpError('INVALID_PAYLOAD', "Exactly one of 'topics' and 'topic_pattern' must be given.");
      }
      const subscription: Subscription =
        topics !== undefined
          ? { kind: 'topics', topics }
          : { kind: 'pattern', pattern: topicPattern(pattern!) };
      const instance = instanceOf(request, request.params);
      // A pattern's topics are checked when they are read (they change as topics are created).
      authorizeTopics(request, 'READ', topics ?? []);
      await instance.exclusive(() => instance.subscribe(subscription));
      return reply.code(204).send();
    },
  );

  scope.get<{ Params: InstanceParams }>(`${base}/subscription`, instanceRoute, async (request) => ({
    topics: instanceOf(request, request.params).subscription(),
  }));

  scope.delete<{ Params: InstanceParams }>(`${base}/subscription`, instanceRoute, async (request, reply) => {
    const instance = instanceOf(request, request.params);
    await instance.exclusive(() => instance.unsubscribe());
    return reply.code(204).send();
  });

  scope.post<{ Params: InstanceParams; Body: PartitionsBody }>(
    `${base}/assignments`,
    { onRequest: relay, schema: { ...instanceParams, body: partitionsSchema } },
    async (request, reply) => {
      const instance = instanceOf(request, request.params);
      authorizeTopics(
        request,
        'READ',
        request.body.partitions.map((partition) => partition.topic),
      );
      await instance.exclusive(async () => instance.assign(request.body.partitions));
      return reply.code(204).send();
    },
  );

  scope.get<{ Params: InstanceParams }>(`${base}/assignments`, instanceRoute, async (request) => ({
    partitions: instanceOf(request, request.params).assignment(),
  }));

  scope.post<{ Params: InstanceParams; Body: { offsets: readonly OffsetItem[] } }>(
    `${base}/positions`,
    { onRequest: relay, schema: { ...instanceParams, body: positionsSchema } },
    async (request, reply) => {
      const instance = instanceOf(request, request.params);
      await instance.exclusive(async () => instance.seek(request.body.offsets));
      return reply.code(204).send();
    },
  );

  for (const which of ['beginning', 'end'] as const) {
    scope.post<{ Params: InstanceParams; Body: PartitionsBody }>(
      `${base}/positions/${which}`,
      { onRequest: relay, schema: { ...instanceParams, body: partitionsSchema } },
      async (request, reply) => {
        const instance = instanceOf(request, request.params);
        await instance.exclusive(() => instance.seekTo(which, request.body.partitions));
        return reply.code(204).send();
      },
    );
  }

  scope.get<{ Params: InstanceParams; Querystring: { timeout?: string; max_bytes?: string } }>(
    `${base}/records`,
    instanceRoute,
    async (request, reply) => {
      const instance = instanceOf(request, request.params);
      authorizeTopics(
        request,
        'READ',
        instance.assignment().map((partition) => partition.topic),
      );
      checkAccept(request.headers.accept, instance.config.format);
      const timeoutMs = Math.min(
        natural(request.query.timeout, 'timeout', instance.config.requestTimeoutMs),
        READ_TIMEOUT_CAP_MS,
      );
      const maxBytes = Math.min(
        natural(request.query.max_bytes, 'max_bytes', READ_MAX_BYTES_DEFAULT),
        READ_MAX_BYTES_CAP,
      );
      const records = await instance.exclusive(() => instance.records({ timeoutMs, maxBytes }));
      // The instance was used until now: its idle time starts when the answer goes out.
      instance.lastUsed = deps.now();
      return reply.type(responseType(instance.config.format)).send(records);
    },
  );

  scope.post<{ Params: InstanceParams; Body: OffsetsBody | null | undefined }>(
    `${base}/offsets`,
    { onRequest: relay, schema: { ...instanceParams, body: commitSchema } },
    async (request, reply) => {
      const instance = instanceOf(request, request.params);
      const given = request.body?.offsets;
      authorizeTopics(
        request,
        'READ',
        (given ?? instance.assignment()).map((partition) => partition.topic),
      );
      const offsets: OffsetToCommit[] | null =
        given === undefined
          ? null
          : given.map((o) => ({
              topic: o.topic,
              partition: o.partition,
              offset: o.offset,
              metadata: o.metadata ?? '',
            }));
      await instance.exclusive(() => instance.commitOffsets(offsets));
      return reply.code(200).send();
    },
  );

  scope.get<{ Params: InstanceParams; Querystring: Record<string, string | string[] | undefined> }>(
    `${base}/offsets`,
    instanceRoute,
    async (request) => {
      const instance = instanceOf(request, request.params);
      const body = await getBody(request);
      const partitions = body === undefined ? partitionsOfQuery(request.query) : partitionsOf(body);
      // OffsetFetch: DESCRIBE on each topic asked.
      authorizeTopics(
        request,
        'DESCRIBE',
        partitions.map((partition) => partition.topic),
      );
      const offsets = await instance.exclusive(() => instance.committed(partitions));
      return {
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          metadata: o.metadata,
        })),
      };
    },
  );
}
