// The native API's consumer side (proto/native.proto): POST /v1/list-offsets, and consumer groups at
// /v1/groups/{join,heartbeat,leave,commit,offsets} over GroupApi (any node: it forwards to the group's
// coordinator). Registered by registerNativeRoutes, in its scope (protobuf bodies). A failure is Kafka's
// error code in the answer, as the Kafka protocol has it; only a body that does not decode is a 400.
// Authorized as the Kafka APIs they mirror: ListOffsets DESCRIBE on each topic, join/heartbeat/leave READ
// on the group, commit READ on the group and each topic, offsets DESCRIBE on the group and the topics.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { TopicPartition } from '../../groups/api.ts';
import { consumerCodec, type NativeTopicPartitions } from '../native/consumer-codec.ts';
import { failure } from '../native/failure.ts';
import type { RouteDeps } from './context.ts';
import { allowedTopics, authorizeAsKafka } from '../authorization.ts';

const PROTOBUF = 'application/x-protobuf';
/** Kafka's session.timeout.ms default, for a join that names none. */
const SESSION_TIMEOUT_DEFAULT_MS = 45_000;

const flatten = (topics: readonly NativeTopicPartitions[]): TopicPartition[] =>
  topics.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, partition })));

function grouped(partitions: readonly TopicPartition[]): NativeTopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic) ?? [];
    list.push(partition);
    byTopic.set(topic, list);
  }
  return [...byTopic].map(([name, list]) => ({ name, partitions: list.sort((a, b) => a - b) }));
}

const OK = { errorCode: 0, errorMessage: '' };

/** The answer of a group call: its result, or its failure as Kafka's error code. */
async function answer<T extends object>(
  call: () => Promise<T>,
  failed: T,
  log: FastifyBaseLogger,
): Promise<T & { errorCode: number; errorMessage: string }> {
  try {
    return { ...(await call()), ...OK };
  } catch (error) {
    return { ...failed, ...failure(error, log) };
  }
}

export function registerNativeConsumerRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { groups, data } = deps.node;

  scope.post('/v1/list-offsets', async (request, reply) => {
    const asked = consumerCodec.listOffsetsRequest.decode(request.body);
    const topics = await Promise.all(
      asked.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async (partition) => {
            try {
              authorizeAsKafka(request, deps, 'DESCRIBE', 'TOPIC', topic.name);
              const offsets = await data.offsets({ topicName: topic.name, partitionId: partition });
              return { partition, ...OK, ...offsets };
            } catch (error) {
              return { partition, ...failure(error, request.log), logStartOffset: -1, highWatermark: -1 };
            }
          }),
        ),
      })),
    );
    return reply.type(PROTOBUF).send(consumerCodec.listOffsetsResponse.encode({ topics }));
  });

  const noMembership = { memberId: '', generation: -1, assignment: [] };
  const membership = (result: {
    memberId: string;
    generation: number;
    assignment: readonly TopicPartition[];
  }) => ({
    memberId: result.memberId,
    generation: result.generation,
    assignment: grouped(result.assignment),
  });

  scope.post('/v1/groups/join', async (request, reply) => {
    const join = consumerCodec.joinGroupRequest.decode(request.body);
    const result = await answer(
      async () => {
        authorizeAsKafka(request, deps, 'READ', 'GROUP', join.groupId);
        return membership(
          await groups.join({
            groupId: join.groupId,
            memberId: join.memberId === '' ? null : join.memberId,
            clientId: join.clientId,
            host: request.ip,
            topics: [...new Set(join.topics)].sort(),
            sessionTimeoutMs: join.sessionTimeoutMs > 0 ? join.sessionTimeoutMs : SESSION_TIMEOUT_DEFAULT_MS,
          }),
        );
      },
      noMembership,
      request.log,
    );
    return reply.type(PROTOBUF).send(consumerCodec.membershipResponse.encode(result));
  });

  scope.post('/v1/groups/heartbeat', async (request, reply) => {
    const member = consumerCodec.heartbeatRequest.decode(request.body);
    const result = await answer(
      async () => {
        authorizeAsKafka(request, deps, 'READ', 'GROUP', member.groupId);
        return membership(await groups.heartbeat(member));
      },
      noMembership,
      request.log,
    );
    return reply.type(PROTOBUF).send(consumerCodec.membershipResponse.encode(result));
  });

  scope.post('/v1/groups/leave', async (request, reply) => {
    const member = consumerCodec.leaveGroupRequest.decode(request.body);
    const result = await answer(
      async () => {
        authorizeAsKafka(request, deps, 'READ', 'GROUP', member.groupId);
        return groups.leave(member).then(() => ({}));
      },
      {},
      request.log,
    );
    return reply.type(PROTOBUF).send(consumerCodec.groupResponse.encode(result));
  });

  scope.post('/v1/groups/commit', async (request, reply) => {
    const commit = consumerCodec.commitOffsetsRequest.decode(request.body);
    const result = await answer(
      async () => {
        // OffsetCommit: READ on the group and on every topic committed.
        authorizeAsKafka(request, deps, 'READ', 'GROUP', commit.groupId);
        for (const topic of new Set(commit.offsets.map((offset) => offset.topic)))
          authorizeAsKafka(request, deps, 'READ', 'TOPIC', topic);
        return groups
          .commit({
            groupId: commit.groupId,
            memberId: commit.memberId === '' ? null : commit.memberId,
            generation: commit.generation,
            offsets: commit.offsets,
          })
          .then(() => ({}));
      },
      {},
      request.log,
    );
    return reply.type(PROTOBUF).send(consumerCodec.groupResponse.encode(result));
  });

  scope.post('/v1/groups/offsets', async (request, reply) => {
    const asked = consumerCodec.fetchOffsetsRequest.decode(request.body);
    const partitions = asked.topics.length > 0 ? flatten(asked.topics) : null;
    const result = await answer(
      async () => {
        // OffsetFetch: DESCRIBE on the group and on every topic named; all topics: the describable ones.
        authorizeAsKafka(request, deps, 'DESCRIBE', 'GROUP', asked.groupId);
        for (const topic of new Set((partitions ?? []).map((partition) => partition.topic)))
          authorizeAsKafka(request, deps, 'DESCRIBE', 'TOPIC', topic);
        const offsets = await groups.fetchOffsets({ groupId: asked.groupId, partitions });
        return { offsets: allowedTopics(request, deps, 'DESCRIBE', offsets, (offset) => offset.topic) };
      },
      { offsets: [] },
      request.log,
    );
    return reply.type(PROTOBUF).send(consumerCodec.fetchOffsetsResponse.encode(result));
  });
}
