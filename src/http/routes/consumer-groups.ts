// REST v3 consumer groups (Confluent's api/v3/openapi.yaml: ConsumerGroupData, ConsumerData,
// ConsumerAssignmentData, ConsumerLagData, ConsumerGroupLagSummaryData) over GroupApi, with log end offsets
// from DataApi. Ours: DELETE of a group, and POST .../offsets, a commit for a group without members
// (kafka-consumer-groups --reset-offsets). Authorized as Kafka's AdminClient equivalents: DESCRIBE on the
// group to read it (lags: topics filtered by DESCRIBE), DELETE to delete it, READ on the group and each
// topic to commit; the list shows every group with DESCRIBE on the cluster, else the describable ones.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isKafkaError } from '../../common/kafka-errors.ts';
import { CLUSTER_RESOURCE_NAME } from '../../common/security.ts';
import { allowed, allowedTopics, authorizeGroup, authorizeTopic } from '../authorization.ts';
import { HttpError } from '../errors.ts';
import type { CommittedOffset, GroupDescription, GroupMemberDescription } from '../ports.ts';
import type { Relationship, ResourceMetadata } from '../render/resource.ts';
import { related, resourceList } from '../render/resource.ts';
import type { UrlBuilder } from '../urls.ts';
import { crn, urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema, parseId } from './context.ts';

interface GroupParams extends ClusterParams {
  readonly consumer_group_id: string;
}
interface ConsumerParams extends GroupParams {
  readonly consumer_id: string;
}

export interface ConsumerGroupData {
  readonly kind: 'KafkaConsumerGroup';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly consumer_group_id: string;
  readonly is_simple: boolean;
  readonly partition_assignor: string;
  readonly state: string;
  readonly coordinator: Relationship;
  readonly consumers: Relationship;
  readonly lag_summary: Relationship;
}

export interface ConsumerLagData {
  readonly kind: 'KafkaConsumerLag';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly consumer_group_id: string;
  readonly topic_name: string;
  readonly partition_id: number;
  readonly current_offset: number;
  readonly log_end_offset: number;
  readonly lag: number;
  readonly consumer_id: string;
  readonly instance_id: string | null;
  readonly client_id: string;
}

const offsetsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['offsets'],
  properties: {
    offsets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['topic_name', 'partition_id', 'offset'],
        properties: {
          topic_name: { type: 'string', minLength: 1 },
          partition_id: { type: 'integer', minimum: 0 },
          offset: { type: 'integer', minimum: 0 },
          metadata: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

interface OffsetsBody {
  readonly offsets: readonly {
    readonly topic_name: string;
    readonly partition_id: number;
    readonly offset: number;
    readonly metadata?: string | null;
  }[];
}

function notFound(groupId: string): HttpError {
  return new HttpError('NOT_FOUND', `Consumer group ${groupId} cannot be found.`);
}

export function renderConsumerGroup(
  url: UrlBuilder,
  clusterId: string,
  group: GroupDescription,
): ConsumerGroupData {
  const base = ['v3', 'clusters', clusterId, 'consumer-groups', group.groupId] as const;
  return {
    kind: 'KafkaConsumerGroup',
    metadata: { self: url(...base), resource_name: crn(clusterId, ['consumer-group', group.groupId]) },
    cluster_id: clusterId,
    consumer_group_id: group.groupId,
    // GroupApi does not tell a group of commits only (Kafka's empty protocol type) from an empty consumer group.
    is_simple: false,
    partition_assignor: group.partitionAssignor,
    // Confluent's names: STABLE, PREPARING_REBALANCE, COMPLETING_REBALANCE, EMPTY, DEAD.
    state: group.state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(),
    coordinator: related(url('v3', 'clusters', clusterId, 'brokers', group.coordinator)),
    consumers: related(url(...base, 'consumers')),
    lag_summary: related(url(...base, 'lag-summary')),
  };
}

function renderConsumer(url: UrlBuilder, clusterId: string, groupId: string, member: GroupMemberDescription) {
  const self = url('v3', 'clusters', clusterId, 'consumer-groups', groupId, 'consumers', member.memberId);
  return {
    kind: 'KafkaConsumer',
    metadata: {
      self,
      resource_name: crn(clusterId, ['consumer-group', groupId], ['consumer', member.memberId]),
    },
    cluster_id: clusterId,
    consumer_group_id: groupId,
    consumer_id: member.memberId,
    instance_id: null,
    client_id: member.clientId,
    // Ours: where the member connects from, as Kafka's kafka-consumer-groups prints it (HOST).
    host: member.host,
    assignments: related(`${self}/assignments`),
  };
}

export function registerConsumerGroupRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const groupParams = { params: paramsSchema('cluster_id', 'consumer_group_id') };
  const consumerParams = { params: paramsSchema('cluster_id', 'consumer_group_id', 'consumer_id') };
  const clusterId = deps.node.clusterId;
  const groups = deps.node.groups;

  /** DescribeGroups: DESCRIBE on the group, asked before the group is looked up. */
  const describe = async (request: FastifyRequest, groupId: string): Promise<GroupDescription> => {
    authorizeGroup(request, deps, 'DESCRIBE', groupId);
    const group = await groups.describe(groupId);
    if (group.state === 'Dead') throw notFound(groupId);
    return group;
  };
  const memberOf = (group: GroupDescription, consumerId: string): GroupMemberDescription => {
    const member = group.members.find((m) => m.memberId === consumerId);
    if (member === undefined) {
      throw new HttpError(
        'NOT_FOUND',
        `Consumer ${consumerId} cannot be found in consumer group ${group.groupId}.`,
      );
    }
    return member;
  };

  /** Every committed partition with its log end offset (high watermark) and the member it is assigned to. */
  const lags = async (request: FastifyRequest, groupId: string): Promise<ConsumerLagData[]> => {
    const url = urlBuilder(request);
    const group = await describe(request, groupId);
    // OffsetFetch of every partition, then ListOffsets: only the topics the principal may describe.
    const committed = allowedTopics(
      request,
      deps,
      'DESCRIBE',
      await groups.fetchOffsets({ groupId, partitions: null }),
      (c) => c.topic,
    );
    const owners = new Map<string, GroupMemberDescription>();
    for (const member of group.members) {
      for (const tp of member.assignment) owners.set(`${tp.topic}\u0000${tp.partition}`, member);
    }
    const rows = await Promise.all(
      committed
        .filter((c) => c.offset >= 0)
        .map(async (c: CommittedOffset): Promise<ConsumerLagData | null> => {
          let logEnd: number;
          try {
            logEnd = (await deps.node.data.offsets({ topicName: c.topic, partitionId: c.partition }))
              .highWatermark;
          } catch (error) {
            // A topic deleted since the commit has no lag to show.
            if (isKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) return null;
            throw error;
          }
          const owner = owners.get(`${c.topic}\u0000${c.partition}`);
          return {
            kind: 'KafkaConsumerLag',
            metadata: {
              self: url(
                'v3',
                'clusters',
                clusterId,
                'consumer-groups',
                groupId,
                'lags',
                c.topic,
                'partitions',
                c.partition,
              ),
              resource_name: crn(
                clusterId,
                ['consumer-group', groupId],
                ['lag', c.topic],
                ['partition', c.partition],
              ),
            },
            cluster_id: clusterId,
            consumer_group_id: groupId,
            topic_name: c.topic,
            partition_id: c.partition,
            current_offset: c.offset,
            log_end_offset: logEnd,
            lag: Math.max(0, logEnd - c.offset),
            consumer_id: owner?.memberId ?? '',
            instance_id: null,
            client_id: owner?.clientId ?? '',
          };
        }),
    );
    return rows
      .filter((row): row is ConsumerLagData => row !== null)
      .sort((a, b) =>
        a.topic_name === b.topic_name
          ? a.partition_id - b.partition_id
          : a.topic_name < b.topic_name
            ? -1
            : 1,
      );
  };

  scope.get('/consumer-groups', async (request) => {
    const url = urlBuilder(request);
    // ListGroups: every group with DESCRIBE on the cluster, else those the principal may describe.
    const everyGroup = allowed(request, deps, 'DESCRIBE', 'CLUSTER', CLUSTER_RESOURCE_NAME);
    const listed = (await groups.list()).filter(
      (g) => everyGroup || allowed(request, deps, 'DESCRIBE', 'GROUP', g.groupId),
    );
    const described = await Promise.all(listed.map((g) => groups.describe(g.groupId)));
    return resourceList(
      'KafkaConsumerGroupList',
      url('v3', 'clusters', clusterId, 'consumer-groups'),
      described.filter((g) => g.state !== 'Dead').map((g) => renderConsumerGroup(url, clusterId, g)),
    );
  });

  scope.get<{ Params: GroupParams }>(
    '/consumer-groups/:consumer_group_id',
    { schema: groupParams },
    async (request) =>
      renderConsumerGroup(
        urlBuilder(request),
        clusterId,
        await describe(request, request.params.consumer_group_id),
      ),
  );

  scope.delete<{ Params: GroupParams }>(
    '/consumer-groups/:consumer_group_id',
    { schema: groupParams },
    async (request, reply) => {
      authorizeGroup(request, deps, 'DELETE', request.params.consumer_group_id);
      await groups.deleteGroup(request.params.consumer_group_id);
      return reply.code(204).send();
    },
  );

  scope.get<{ Params: GroupParams }>(
    '/consumer-groups/:consumer_group_id/consumers',
    { schema: groupParams },
    async (request) => {
      const url = urlBuilder(request);
      const groupId = request.params.consumer_group_id;
      const group = await describe(request, groupId);
      return resourceList(
        'KafkaConsumerList',
        url('v3', 'clusters', clusterId, 'consumer-groups', groupId, 'consumers'),
        group.members.map((member) => renderConsumer(url, clusterId, groupId, member)),
      );
    },
  );

  scope.get<{ Params: ConsumerParams }>(
    '/consumer-groups/:consumer_group_id/consumers/:consumer_id',
    { schema: consumerParams },
    async (request) => {
      const groupId = request.params.consumer_group_id;
      const member = memberOf(await describe(request, groupId), request.params.consumer_id);
      return renderConsumer(urlBuilder(request), clusterId, groupId, member);
    },
  );

  scope.get<{ Params: ConsumerParams }>(
    '/consumer-groups/:consumer_group_id/consumers/:consumer_id/assignments',
    { schema: consumerParams },
    async (request) => {
      const url = urlBuilder(request);
      const groupId = request.params.consumer_group_id;
      const member = memberOf(await describe(request, groupId), request.params.consumer_id);
      const self = url(
        'v3',
        'clusters',
        clusterId,
        'consumer-groups',
        groupId,
        'consumers',
        member.memberId,
        'assignments',
      );
      return resourceList(
        'KafkaConsumerAssignmentList',
        self,
        member.assignment.map((tp) => ({
          kind: 'KafkaConsumerAssignment',
          metadata: {
            self: `${self}/${encodeURIComponent(tp.topic)}/partitions/${tp.partition}`,
            resource_name: crn(
              clusterId,
              ['consumer-group', groupId],
              ['consumer', member.memberId],
              ['assignment', tp.topic],
              ['partition', tp.partition],
            ),
          },
          cluster_id: clusterId,
          consumer_group_id: groupId,
          consumer_id: member.memberId,
          topic_name: tp.topic,
          partition_id: tp.partition,
          partition: related(
            url('v3', 'clusters', clusterId, 'topics', tp.topic, 'partitions', tp.partition),
          ),
          lag: related(
            url(
              'v3',
              'clusters',
              clusterId,
              'consumer-groups',
              groupId,
              'lags',
              tp.topic,
              'partitions',
              tp.partition,
            ),
          ),
        })),
      );
    },
  );

  scope.get<{ Params: GroupParams }>(
    '/consumer-groups/:consumer_group_id/lags',
    { schema: groupParams },
    async (request) => {
      const groupId = request.params.consumer_group_id;
      return resourceList(
        'KafkaConsumerLagList',
        urlBuilder(request)('v3', 'clusters', clusterId, 'consumer-groups', groupId, 'lags'),
        await lags(request, groupId),
      );
    },
  );

  scope.get<{ Params: GroupParams & { topic_name: string; partition_id: string } }>(
    '/consumer-groups/:consumer_group_id/lags/:topic_name/partitions/:partition_id',
    { schema: { params: paramsSchema('cluster_id', 'consumer_group_id', 'topic_name', 'partition_id') } },
    async (request) => {
      const { consumer_group_id: groupId, topic_name: topic, partition_id: partitionText } = request.params;
      const partition = parseId(partitionText);
      const lag = (await lags(request, groupId)).find(
        (l) => l.topic_name === topic && l.partition_id === partition,
      );
      if (lag === undefined) {
        throw new HttpError(
          'NOT_FOUND',
          `Consumer lag for ${topic}-${partitionText} cannot be found in consumer group ${groupId}.`,
        );
      }
      return lag;
    },
  );

  scope.get<{ Params: GroupParams }>(
    '/consumer-groups/:consumer_group_id/lag-summary',
    { schema: groupParams },
    async (request) => {
      const url = urlBuilder(request);
      const groupId = request.params.consumer_group_id;
      const all = await lags(request, groupId);
      const max = all.reduce<ConsumerLagData | null>(
        (best, lag) => (best === null || lag.lag > best.lag ? lag : best),
        null,
      );
      return {
        kind: 'KafkaConsumerGroupLagSummary',
        metadata: {
          self: url('v3', 'clusters', clusterId, 'consumer-groups', groupId, 'lag-summary'),
          resource_name: crn(clusterId, ['consumer-group', groupId], ['lag-summary', groupId]),
        },
        cluster_id: clusterId,
        consumer_group_id: groupId,
        max_lag_consumer_id: max?.consumer_id ?? '',
        max_lag_instance_id: null,
        max_lag_client_id: max?.client_id ?? '',
        max_lag_topic_name: max?.topic_name ?? '',
        max_lag_partition_id: max?.partition_id ?? -1,
        max_lag: max?.lag ?? 0,
        total_lag: all.reduce((sum, lag) => sum + lag.lag, 0),
        max_lag_consumer:
          max === null || max.consumer_id === ''
            ? null
            : related(
                url('v3', 'clusters', clusterId, 'consumer-groups', groupId, 'consumers', max.consumer_id),
              ),
        max_lag_partition:
          max === null
            ? null
            : related(
                url('v3', 'clusters', clusterId, 'topics', max.topic_name, 'partitions', max.partition_id),
              ),
      };
    },
  );

  scope.post<{ Params: GroupParams; Body: OffsetsBody }>(
    '/consumer-groups/:consumer_group_id/offsets',
    { schema: { ...groupParams, body: offsetsSchema } },
    async (request, reply) => {
      // As Kafka's alterConsumerGroupOffsets (OffsetCommit): READ on the group and on every topic.
      authorizeGroup(request, deps, 'READ', request.params.consumer_group_id);
      for (const topic of new Set(request.body.offsets.map((o) => o.topic_name)))
        authorizeTopic(request, deps, 'READ', topic);
      await groups.commit({
        groupId: request.params.consumer_group_id,
        memberId: null,
        generation: -1,
        offsets: request.body.offsets.map((o) => ({
          topic: o.topic_name,
          partition: o.partition_id,
          offset: o.offset,
          metadata: o.metadata ?? '',
        })),
      });
      return reply.code(204).send();
    },
  );
}
