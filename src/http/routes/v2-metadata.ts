// REST v2 metadata: GET /topics, /topics/{t}, /topics/{t}/partitions[/{p}[/offsets]], /brokers.
// DESCRIBE on the topic (and DESCRIBE_CONFIGS for /topics/{t}, which shows its configs), asked before
// the topic is looked up; the list shows the describable topics; brokers are everyone's (Metadata).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unfencedBrokers } from '../../metadata/queries.ts';
import { describeTopicConfigs } from '../../metadata/topic-config-describe.ts';
import type { V2Topic } from '../render/v2.ts';
import { renderV2Partition, renderV2Partitions } from '../render/v2.ts';
import type { RouteDeps } from './context.ts';
import { caughtUpImage, paramsSchema, readImage, requirePartition, requireTopic } from './context.ts';
import { allowedTopics, authorizeTopic } from '../authorization.ts';

interface TopicParams {
  readonly topic_name: string;
}
interface PartitionParams extends TopicParams {
  readonly partition_id: string;
}

export function registerV2MetadataRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const topicParams = { params: paramsSchema('topic_name') };
  const partitionParams = { params: paramsSchema('topic_name', 'partition_id') };
  const partitionOf = (request: FastifyRequest, params: PartitionParams) => {
    authorizeTopic(request, deps, 'DESCRIBE', params.topic_name);
    return readImage(deps, (image) => {
      const topic = requireTopic(image, params.topic_name);
      return { topic, ...requirePartition(topic, params.partition_id) };
    });
  };

  scope.get('/topics', async (request) => {
    // A list claims that no other topic exists: it is read after the read barrier. Only the topics the
    // principal may describe.
    const names = [...(await caughtUpImage(deps)).topics.values()].map((topic) => topic.name);
    return allowedTopics(request, deps, 'DESCRIBE', names, (name) => name).sort();
  });

  scope.get<{ Params: TopicParams }>('/topics/:topic_name', { schema: topicParams }, async (request) => {
    // The topic and its configs (Confluent's describeTopics and describeConfigs).
    authorizeTopic(request, deps, 'DESCRIBE', request.params.topic_name);
    authorizeTopic(request, deps, 'DESCRIBE_CONFIGS', request.params.topic_name);
    return readImage(deps, (image): V2Topic => {
      const topic = requireTopic(image, request.params.topic_name);
      const configs = describeTopicConfigs(image, topic.name, deps.staticTopicConfig) ?? [];
      return {
        name: topic.name,
        configs: Object.fromEntries(configs.map((config) => [config.name, config.value])),
        partitions: renderV2Partitions(topic.partitions),
      };
    });
  });

  scope.get<{ Params: TopicParams }>(
    '/topics/:topic_name/partitions',
    { schema: topicParams },
    async (request) => {
      authorizeTopic(request, deps, 'DESCRIBE', request.params.topic_name);
      const topic = await readImage(deps, (image) => requireTopic(image, request.params.topic_name));
      return renderV2Partitions(topic.partitions);
    },
  );

  scope.get<{ Params: PartitionParams }>(
    '/topics/:topic_name/partitions/:partition_id',
    { schema: partitionParams },
    async (request) => {
      const { id, partition } = await partitionOf(request, request.params);
      return renderV2Partition(id, partition);
    },
  );

  scope.get<{ Params: PartitionParams }>(
    '/topics/:topic_name/partitions/:partition_id/offsets',
    { schema: partitionParams },
    async (request) => {
      const { topic, id } = await partitionOf(request, request.params);
      const result = await deps.node.data.offsets({ topicName: topic.name, partitionId: id });
      return { beginning_offset: result.logStartOffset, end_offset: result.highWatermark };
    },
  );

  scope.get('/brokers', async () => ({
    brokers: unfencedBrokers(deps.node.image())
      .map((broker) => broker.id)
      .sort((a, b) => a - b),
  }));
}
