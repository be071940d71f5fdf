// CreateTopics through the active controller (AdminApi, as REST's POST /topics): answered once this
// node's image shows the topic. -1 partitions or replication factor: the cluster's defaults. A manual
// replica assignment (partition indexes 0..n-1, each once) comes with both at -1, as Kafka requires.
// CREATE on the cluster or on the topic is asked (TOPIC_AUTHORIZATION_FAILED otherwise).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { topicByName } from '../../metadata/queries.ts';
import { manualAssignment } from '../../metadata/replica-assignment.ts';
import { createTopicsApi } from '../protocol/generated/apis.ts';
import type { CreatableTopic, CreateTopicsRequest } from '../protocol/generated/create-topics-request.ts';
import {
  type CreatableTopicResult,
  type CreateTopicsResponse,
  defaultCreatableTopicResult,
  defaultCreateTopicsResponse,
} from '../protocol/generated/create-topics-response.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { clusterAllowed, mayCreateTopic, topicAuthorizationFailed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';

/** A partition count or replication factor of -1: the broker's default. */
const USE_DEFAULT = -1;

export function createTopicsHandler(
  broker: KafkaBroker,
): ApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
  return {
    codec: createTopicsApi,
    async handle(request, context) {
      // CREATE on the cluster covers every topic; without it, CREATE on each topic (asked once here).
      const clusterCreate = clusterAllowed(broker, context, 'CREATE');
      const topics = await Promise.all(
        request.topics.map((topic) =>
          mayCreateTopic(broker, context, topic.name, clusterCreate)
            ? createTopic(broker, topic, request.validateOnly, context)
            : {
                ...defaultCreatableTopicResult(),
                name: topic.name,
                errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code,
                errorMessage: topicAuthorizationFailed(topic.name).message,
              },
        ),
      );
      return { ...defaultCreateTopicsResponse(), topics };
    },
  };
}

async function createTopic(
  broker: KafkaBroker,
  topic: CreatableTopic,
  validateOnly: boolean,
  context: RequestContext,
): Promise<CreatableTopicResult> {
  const result = { ...defaultCreatableTopicResult(), name: topic.name };
  try {
    const manual = manualAssignment(
      topic.assignments.map(({ partitionIndex, brokerIds }) => ({
        partition: partitionIndex,
        brokers: brokerIds,
      })),
      topic.numPartitions !== USE_DEFAULT || topic.replicationFactor !== USE_DEFAULT,
    );
    await broker.admin.createTopic({
      name: topic.name,
      ...(topic.numPartitions !== USE_DEFAULT && { partitionsCount: topic.numPartitions }),
      ...(topic.replicationFactor !== USE_DEFAULT && { replicationFactor: topic.replicationFactor }),
      configs: new Map(
        topic.configs.flatMap((config) => (config.value === null ? [] : [[config.name, config.value]])),
      ),
      validateOnly,
      ...(manual !== null && { assignments: manual }),
    });
  } catch (error) {
    const answer = errorAnswer(error, context.logger, 'creating a topic failed');
    return { ...result, errorCode: answer.code, errorMessage: answer.message };
  }
  const created = validateOnly ? undefined : topicByName(broker.image(), topic.name);
  if (created === undefined)
    return {
      ...result,
      numPartitions: topic.numPartitions,
      replicationFactor: topic.replicationFactor,
      configs: [],
    };
  return {
    ...result,
    topicId: created.id,
    numPartitions: created.partitions.size,
    replicationFactor: [...created.partitions.values()][0]?.replicas.length ?? USE_DEFAULT,
    configs: [],
  };
}
