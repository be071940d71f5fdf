// Partitions and their replicas: GET .../topics/{t}/partitions[/{partition_id}[/replicas[/{broker_id}]]].
// DESCRIBE on the topic, as Kafka's Metadata, asked before the topic is looked up.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.ts';
import type { PartitionRef } from '../render/partition.ts';
import { renderPartition, renderReplica } from '../render/partition.ts';
import { resourceList } from '../render/resource.ts';
import { urlBuilder } from '../urls.ts';
import type { PartitionParams, RouteDeps, TopicParams } from './context.ts';
import { paramsSchema, parseId, readImage, requirePartition, requireTopic } from './context.ts';
import { authorizeTopic } from '../authorization.ts';

interface ReplicaParams extends PartitionParams {
  readonly broker_id: string;
}

export function registerPartitionRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const clusterId = deps.node.clusterId;
  const partitionOf = (request: FastifyRequest, params: PartitionParams) => {
    authorizeTopic(request, deps, 'DESCRIBE', params.topic_name);
    return readImage(deps, (image) => {
      const topic = requireTopic(image, params.topic_name);
      return { topic, ...requirePartition(topic, params.partition_id) };
    });
  };

  scope.get<{ Params: TopicParams }>(
    '/topics/:topic_name/partitions',
    { schema: { params: paramsSchema('cluster_id', 'topic_name') } },
    async (request) => {
      const url = urlBuilder(request);
      authorizeTopic(request, deps, 'DESCRIBE', request.params.topic_name);
      const topic = await readImage(deps, (image) => requireTopic(image, request.params.topic_name));
      const partitions = [...topic.partitions].sort(([a], [b]) => a - b);
      return resourceList(
        'KafkaPartitionList',
        url('v3', 'clusters', clusterId, 'topics', topic.name, 'partitions'),
        partitions.map(([partitionId, partition]) =>
          renderPartition(url, { clusterId, topicName: topic.name, partitionId }, partition),
        ),
      );
    },
  );

  const partitionParams = paramsSchema('cluster_id', 'topic_name', 'partition_id');

  scope.get<{ Params: PartitionParams }>(
    '/topics/:topic_name/partitions/:partition_id',
    { schema: { params: partitionParams } },
    async (request) => {
      const { topic, id, partition } = await partitionOf(request, request.params);
      return renderPartition(
        urlBuilder(request),
        { clusterId, topicName: topic.name, partitionId: id },
        partition,
      );
    },
  );

  scope.get<{ Params: PartitionParams }>(
    '/topics/:topic_name/partitions/:partition_id/replicas',
    { schema: { params: partitionParams } },
    async (request) => {
      const url = urlBuilder(request);
      const { topic, id, partition } = await partitionOf(request, request.params);
      const ref: PartitionRef = { clusterId, topicName: topic.name, partitionId: id };
      return resourceList(
        'KafkaReplicaList',
        url('v3', 'clusters', clusterId, 'topics', topic.name, 'partitions', id, 'replicas'),
        partition.replicas.map((brokerId) => renderReplica(url, ref, partition, brokerId)),
      );
    },
  );

  scope.get<{ Params: ReplicaParams }>(
    '/topics/:topic_name/partitions/:partition_id/replicas/:broker_id',
    { schema: { params: paramsSchema('cluster_id', 'topic_name', 'partition_id', 'broker_id') } },
    async (request) => {
      const { topic, id, partition } = await partitionOf(request, request.params);
      const brokerNumber = parseId(request.params.broker_id);
      const brokerId = partition.replicas.find((replica) => replica === brokerNumber);
      if (brokerId === undefined) {
        throw new HttpError(
          'NOT_FOUND',
          `Replica ${request.params.broker_id} of partition ${id} of topic ${topic.name} cannot be found.`,
        );
      }
      return renderReplica(
        urlBuilder(request),
        { clusterId, topicName: topic.name, partitionId: id },
        partition,
        brokerId,
      );
    },
  );
}
