// Topics: GET|POST /v3/clusters/{c}/topics and GET|PATCH|DELETE /v3/clusters/{c}/topics/{topic_name}.
// Writes go through AdminApi, which resolves once the change is applied to this node's image, so the
// answer is rendered from the image (read-your-writes). Authorized as Kafka's Metadata (DESCRIBE; the
// list shows only describable topics), CreateTopics (CREATE on the cluster or the topic),
// CreatePartitions (ALTER) and DeleteTopics (DELETE).

import { manualAssignment } from '../../metadata/replica-assignment.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorizedOperations } from '../../common/authorization.ts';
import { INT32_MAX } from '../../metadata/ids.ts';
import { topicByName } from '../../metadata/queries.ts';
import { CLUSTER_RESOURCE_NAME } from '../../common/security.ts';
import { allowed, allowedTopics, authorizeTopic } from '../authorization.ts';
import { HttpError } from '../errors.ts';
import { resourceList } from '../render/resource.ts';
import type { TopicShape } from '../render/topic.ts';
import { renderTopic, topicShape } from '../render/topic.ts';
import { urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps, TopicParams } from './context.ts';
import { caughtUpImage, paramsSchema, readImage, requireTopic } from './context.ts';

/** Kafka's replication factor is an int16. */
const REPLICATION_FACTOR_MAX = 32767;

interface CreateTopicBody {
  readonly topic_name: string;
  readonly partitions_count?: number | null;
  readonly replication_factor?: number | null;
  readonly configs?: readonly { readonly name: string; readonly value?: string | null }[];
  readonly validate_only?: boolean;
  readonly replicas_assignments?: readonly {
    readonly partition_id: number;
    readonly broker_ids: readonly number[];
  }[];
}

const createTopicSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['topic_name'],
  properties: {
    topic_name: { type: 'string' },
    partitions_count: { type: ['integer', 'null'], minimum: 1, maximum: INT32_MAX },
    replication_factor: { type: ['integer', 'null'], minimum: 1, maximum: REPLICATION_FACTOR_MAX },
    configs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', minLength: 1 }, value: { type: ['string', 'null'] } },
      },
    },
    validate_only: { type: 'boolean' },
    replicas_assignments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['partition_id', 'broker_ids'],
        properties: {
          partition_id: { type: 'integer', minimum: 0, maximum: INT32_MAX },
          broker_ids: { type: 'array', items: { type: 'integer', minimum: 0, maximum: INT32_MAX } },
        },
      },
    },
  },
} as const;

interface OperationsQuery {
  readonly include_authorized_operations?: string;
}

interface UpdatePartitionCountBody {
  readonly partitions_count: number;
}

const updatePartitionCountSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['partitions_count'],
  properties: { partitions_count: { type: 'integer', minimum: 1, maximum: INT32_MAX } },
} as const;

/** Create-request configs as a map; a null value means "the default", so it is left out. */
function configsOf(body: CreateTopicBody): Map<string, string> {
  const configs = new Map<string, string>();
  const seen = new Set<string>();
  for (const { name, value } of body.configs ?? []) {
    if (seen.has(name)) throw new HttpError('KAFKA_BAD_REQUEST', `Config ${name} is given more than once.`);
    seen.add(name);
    if (typeof value === 'string') configs.set(name, value);
  }
  return configs;
}

/** A cluster default from the node's static config (e.g. num.partitions), else Kafka's default. */
function staticDefault(deps: RouteDeps, name: string, kafkaDefault: number): number {
  const value = Number(deps.staticTopicConfig.get(name));
  return Number.isSafeInteger(value) && value > 0 ? value : kafkaDefault;
}

export function registerTopicRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;

  /** Confluent's `?include_authorized_operations=true`: the requester's operations on the topic. */
  const operationsFor = (request: FastifyRequest<{ Querystring: OperationsQuery }>, name: string) =>
    request.query.include_authorized_operations === 'true'
      ? authorizedOperations(deps.authorizer, request.session, 'TOPIC', name)
      : [];

  scope.get<{ Params: ClusterParams; Querystring: OperationsQuery }>(
    '/topics',
    { schema: { params: paramsSchema('cluster_id') } },
    async (request) => {
      const url = urlBuilder(request);
      // A list claims that no other topic exists: it is read after the read barrier.
      // Only the topics the principal may describe (Kafka's Metadata for all topics).
      const topics = allowedTopics(
        request,
        deps,
        'DESCRIBE',
        [...(await caughtUpImage(deps)).topics.values()],
        (topic) => topic.name,
      ).sort((a, b) => (a.name < b.name ? -1 : 1));
      return resourceList(
        'KafkaTopicList',
        url('v3', 'clusters', node.clusterId, 'topics'),
        topics.map((topic) =>
          renderTopic(url, node.clusterId, topicShape(topic), operationsFor(request, topic.name)),
        ),
      );
    },
  );

  scope.post<{ Params: ClusterParams; Body: CreateTopicBody }>(
    '/topics',
    { schema: { params: paramsSchema('cluster_id'), body: createTopicSchema } },
    async (request, reply) => {
      const { body } = request;
      // CreateTopics: CREATE on the cluster, or else on the topic.
      if (!allowed(request, deps, 'CREATE', 'CLUSTER', CLUSTER_RESOURCE_NAME))
        authorizeTopic(request, deps, 'CREATE', body.topic_name);
      const validateOnly = body.validate_only === true;
      const assignments = manualAssignment(
        (body.replicas_assignments ?? []).map(({ partition_id, broker_ids }) => ({
          partition: partition_id,
          brokers: broker_ids,
        })),
        body.partitions_count != null || body.replication_factor != null,
      );
      await node.admin.createTopic({
        name: body.topic_name,
        ...(body.partitions_count != null && { partitionsCount: body.partitions_count }),
        ...(body.replication_factor != null && { replicationFactor: body.replication_factor }),
        configs: configsOf(body),
        validateOnly,
        ...(assignments !== null && { assignments }),
      });
      const created = validateOnly ? undefined : topicByName(node.image(), body.topic_name);
      const shape: TopicShape =
        created === undefined
          ? {
              name: body.topic_name,
              id: null,
              partitionsCount:
                assignments?.length ?? body.partitions_count ?? staticDefault(deps, 'num.partitions', 1),
              replicationFactor:
                assignments?.[0]?.length ??
                body.replication_factor ??
                staticDefault(deps, 'default.replication.factor', 1),
            }
          : topicShape(created);
      const data = renderTopic(urlBuilder(request), node.clusterId, shape);
      // validate_only creates nothing: 200, not 201 Created with a Location.
      if (validateOnly) return reply.code(200).send(data);
      return reply.code(201).header('location', data.metadata.self).send(data);
    },
  );

  scope.get<{ Params: TopicParams; Querystring: OperationsQuery }>(
    '/topics/:topic_name',
    { schema: { params: paramsSchema('cluster_id', 'topic_name') } },
    async (request) => {
      authorizeTopic(request, deps, 'DESCRIBE', request.params.topic_name);
      const topic = await readImage(deps, (image) => requireTopic(image, request.params.topic_name));
      return renderTopic(
        urlBuilder(request),
        node.clusterId,
        topicShape(topic),
        operationsFor(request, topic.name),
      );
    },
  );

  scope.patch<{ Params: TopicParams; Body: UpdatePartitionCountBody }>(
    '/topics/:topic_name',
    { schema: { params: paramsSchema('cluster_id', 'topic_name'), body: updatePartitionCountSchema } },
    async (request) => {
      const name = request.params.topic_name;
      authorizeTopic(request, deps, 'ALTER', name);
      await node.admin.createPartitions(name, request.body.partitions_count, false);
      return renderTopic(urlBuilder(request), node.clusterId, topicShape(requireTopic(node.image(), name)));
    },
  );

  scope.delete<{ Params: TopicParams }>(
    '/topics/:topic_name',
    { schema: { params: paramsSchema('cluster_id', 'topic_name') } },
    async (request, reply) => {
      authorizeTopic(request, deps, 'DELETE', request.params.topic_name);
      await node.admin.deleteTopic(request.params.topic_name);
      return reply.code(204).send();
    },
  );
}
