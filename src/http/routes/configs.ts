// Topic configs: GET .../topics/{t}/configs, GET|PUT|DELETE .../configs/{name}, POST .../configs:alter.
// As Confluent (AbstractConfigManager), PUT and DELETE of a single config first check that the config
// exists (404 otherwise); the batch alter leaves every check to the controller (INVALID_CONFIG, 40002).
// Reads ask DESCRIBE_CONFIGS on the topic, changes ALTER_CONFIGS (as Kafka's config APIs), first.

import type { FastifyInstance } from 'fastify';
import type { MetadataImage } from '../../metadata/image.ts';
import type { TopicConfigDescription } from '../../metadata/topic-config-describe.ts';
import { describeTopicConfigs } from '../../metadata/topic-config-describe.ts';
import { authorizeTopic } from '../authorization.ts';
import { HttpError } from '../errors.ts';
import type { ConfigAlteration } from '../ports.ts';
import { resourceList } from '../render/resource.ts';
import { renderTopicConfig } from '../render/topic-config.ts';
import { urlBuilder } from '../urls.ts';
import type { RouteDeps, TopicParams } from './context.ts';
import { paramsSchema, readImage } from './context.ts';

interface ConfigParams extends TopicParams {
  readonly name: string;
}

interface UpdateConfigBody {
  readonly value: string | null;
}

const updateConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: { value: { type: ['string', 'null'] } },
} as const;

interface AlterConfigsBody {
  readonly data: readonly {
    readonly name: string;
    readonly value?: string | null;
    readonly operation?: 'SET' | 'DELETE';
  }[];
  readonly validate_only?: boolean;
}

const alterConfigsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data'],
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          value: { type: ['string', 'null'] },
          operation: { type: 'string', enum: ['SET', 'DELETE'] },
        },
      },
    },
    validate_only: { type: 'boolean' },
  },
} as const;

function alterationsOf(body: AlterConfigsBody): ConfigAlteration[] {
  const seen = new Set<string>();
  return body.data.map(({ name, value, operation }, index) => {
    // Kafka's message for IncrementalAlterConfigs with a key twice (INVALID_REQUEST).
    if (seen.has(name)) throw new HttpError('KAFKA_BAD_REQUEST', 'Error due to duplicate config keys');
    seen.add(name);
    if (operation === 'DELETE') return { name, value: null };
    if (typeof value !== 'string') {
      throw new HttpError(
        'INVALID_PAYLOAD',
        `Field 'data[${index}].value' is required when operation is SET.`,
      );
    }
    return { name, value };
  });
}

export function registerConfigRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node, staticTopicConfig } = deps;

  const describeIn = (image: MetadataImage, topicName: string): TopicConfigDescription[] => {
    const configs = describeTopicConfigs(image, topicName, staticTopicConfig);
    if (configs === null) throw new HttpError('TOPIC_NOT_FOUND');
    return configs;
  };
  const describe = (topicName: string) => readImage(deps, (image) => describeIn(image, topicName));
  const describeOne = (topicName: string, name: string): Promise<TopicConfigDescription> =>
    readImage(deps, (image) => {
      const config = describeIn(image, topicName).find((candidate) => candidate.name === name);
      if (config === undefined)
        throw new HttpError('NOT_FOUND', `Config ${name} cannot be found for topic ${topicName}.`);
      return config;
    });

  scope.get<{ Params: TopicParams }>(
    '/topics/:topic_name/configs',
    { schema: { params: paramsSchema('cluster_id', 'topic_name') } },
    async (request) => {
      const url = urlBuilder(request);
      const topicName = request.params.topic_name;
      authorizeTopic(request, deps, 'DESCRIBE_CONFIGS', topicName);
      return resourceList(
        'KafkaTopicConfigList',
        url('v3', 'clusters', node.clusterId, 'topics', topicName, 'configs'),
        (await describe(topicName)).map((config) =>
          renderTopicConfig(url, node.clusterId, topicName, config),
        ),
      );
    },
  );

  const configParams = paramsSchema('cluster_id', 'topic_name', 'name');

  scope.get<{ Params: ConfigParams }>(
    '/topics/:topic_name/configs/:name',
    { schema: { params: configParams } },
    async (request) => {
      const { topic_name: topicName, name } = request.params;
      authorizeTopic(request, deps, 'DESCRIBE_CONFIGS', topicName);
      return renderTopicConfig(
        urlBuilder(request),
        node.clusterId,
        topicName,
        await describeOne(topicName, name),
      );
    },
  );

  scope.put<{ Params: ConfigParams; Body: UpdateConfigBody }>(
    '/topics/:topic_name/configs/:name',
    { schema: { params: configParams, body: updateConfigSchema } },
    async (request, reply) => {
      const { topic_name: topicName, name } = request.params;
      authorizeTopic(request, deps, 'ALTER_CONFIGS', topicName);
      await describeOne(topicName, name);
      await node.admin.alterTopicConfigs(topicName, [{ name, value: request.body.value }], false);
      return reply.code(204).send();
    },
  );

  scope.delete<{ Params: ConfigParams }>(
    '/topics/:topic_name/configs/:name',
    { schema: { params: configParams } },
    async (request, reply) => {
      const { topic_name: topicName, name } = request.params;
      authorizeTopic(request, deps, 'ALTER_CONFIGS', topicName);
      await describeOne(topicName, name);
      await node.admin.alterTopicConfigs(topicName, [{ name, value: null }], false);
      return reply.code(204).send();
    },
  );

  // '::' is fastify's escape of a literal ':' (Confluent's custom-method path `configs:alter`).
  scope.post<{ Params: TopicParams; Body: AlterConfigsBody }>(
    '/topics/:topic_name/configs::alter',
    { schema: { params: paramsSchema('cluster_id', 'topic_name'), body: alterConfigsSchema } },
    async (request, reply) => {
      authorizeTopic(request, deps, 'ALTER_CONFIGS', request.params.topic_name);
      const alterations = alterationsOf(request.body);
      await node.admin.alterTopicConfigs(
        request.params.topic_name,
        alterations,
        request.body.validate_only === true,
      );
      return reply.code(204).send();
    },
  );
}
