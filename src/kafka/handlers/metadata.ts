// Metadata: the reachable brokers, the cluster id, and per topic its id and partitions (leader, leader
// epoch, replicas, ISR), from this node's published image. With auto.create.topics.enable, a topic a
// client asks for by name and allows creating is created (default partitions and replication) and
// answered LEADER_NOT_AVAILABLE until it has leaders, as Kafka does. Authorization as Kafka's: DESCRIBE
// per topic (left out of an all-topics answer, TOPIC_AUTHORIZATION_FAILED when named, existing or not),
// auto-creation CREATE on the cluster or the topic; authorized operations when asked (v8+).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { NO_LEADER, type TopicId } from '../../metadata/ids.ts';
import type { MetadataImage, TopicImage } from '../../metadata/image.ts';
import { topicByName } from '../../metadata/queries.ts';
import { isInternalTopic, isLegalTopicName } from '../../metadata/topic-rules.ts';
import { metadataApi } from '../protocol/generated/apis.ts';
import type { MetadataRequest } from '../protocol/generated/metadata-request.ts';
import {
  defaultMetadataResponse,
  defaultMetadataResponsePartition,
  defaultMetadataResponseTopic,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '../protocol/generated/metadata-response.ts';
import { ZERO_UUID } from '../protocol/uuid.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { clusterOperations, mayCreateTopic, topicAllowed, topicOperations } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { controllerIdForClients, reachableBrokers } from './brokers.ts';
import { errorAnswer } from './error-codes.ts';

export function metadataHandler(broker: KafkaBroker): ApiHandler<MetadataRequest, MetadataResponse> {
  return {
    codec: metadataApi,
    async handle(request, context) {
      const image = broker.image();
      const brokers = reachableBrokers(image, broker.listenerName);
      // v0: an empty list means every topic; v1+: null does, and an empty list means none.
      const everyTopic = request.topics === null || (context.apiVersion === 0 && request.topics.length === 0);
      const described = everyTopic
        ? [...image.topics.values()]
            // Topics the principal may not describe are left out, not refused, of an all-topics answer.
            .filter((topic) => topicAllowed(broker, context, 'DESCRIBE', topic.name))
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((topic) => describeTopic(topic, brokers))
        : await Promise.all(
            (request.topics ?? []).map((asked) =>
              askedTopic(broker, image, asked, request.allowAutoTopicCreation, brokers, context),
            ),
          );
      const topics = request.includeTopicAuthorizedOperations
        ? described.map((topic) =>
            topic.name === null
              ? topic
              : { ...topic, topicAuthorizedOperations: topicOperations(broker, context, topic.name) },
          )
        : described;
      return {
        ...defaultMetadataResponse(),
        brokers: brokers.map((each) => ({
          nodeId: each.id,
          host: each.host,
          port: each.port,
          rack: each.rack,
        })),
        clusterId: broker.clusterId,
        controllerId: controllerIdForClients(image, brokers, broker.nodeId),
        topics,
        ...(request.includeClusterAuthorizedOperations && {
          clusterAuthorizedOperations: clusterOperations(broker, context),
        }),
      };
    },
  };
}

async function askedTopic(
  broker: KafkaBroker,
  image: MetadataImage,
  asked: { readonly name: string | null; readonly topicId: string },
  allowAutoTopicCreation: boolean,
  brokers: readonly { readonly id: number }[],
  context: RequestContext,
): Promise<MetadataResponseTopic> {
  if (asked.name === null) {
    const topic = asked.topicId === ZERO_UUID ? undefined : image.topics.get(asked.topicId as TopicId);
    // Ids are not secret (Kafka answers an unknown one UNKNOWN_TOPIC_ID); a known one's name may be.
    if (topic !== undefined && !topicAllowed(broker, context, 'DESCRIBE', topic.name))
      return {
        ...defaultMetadataResponseTopic(),
        name: null,
        topicId: asked.topicId,
        errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code,
      };
    if (topic !== undefined) return describeTopic(topic, brokers);
    return {
      ...defaultMetadataResponseTopic(),
      topicId: asked.topicId,
      errorCode: KafkaErrors.UNKNOWN_TOPIC_ID.code,
    };
  }
  const failed = (code: number) => ({ ...defaultMetadataResponseTopic(), name: asked.name, errorCode: code });
  // Before the image is looked at: a topic the principal may not describe is refused, existing or not.
  if (!topicAllowed(broker, context, 'DESCRIBE', asked.name))
    return failed(KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code);
  const topic = topicByName(image, asked.name);
  if (topic !== undefined) return describeTopic(topic, brokers);
  if (!isLegalTopicName(asked.name)) return failed(KafkaErrors.INVALID_TOPIC_EXCEPTION.code);
  if (!allowAutoTopicCreation || !broker.autoCreateTopics || isInternalTopic(asked.name))
    return failed(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code);
  if (!mayCreateTopic(broker, context, asked.name))
    return failed(KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code);
  try {
    await broker.admin.createTopic({ name: asked.name, configs: new Map(), validateOnly: false });
    context.logger.info(
      { topic: asked.name },
      'topic created on a Metadata request (auto.create.topics.enable)',
    );
  } catch (error) {
    const answer = errorAnswer(error, context.logger, 'auto-creating a topic failed');
    // Another client's Metadata created it first: it is being created, as for this one.
    if (answer.code !== KafkaErrors.TOPIC_ALREADY_EXISTS.code) return failed(answer.code);
  }
  return failed(KafkaErrors.LEADER_NOT_AVAILABLE.code);
}

function describeTopic(
  topic: TopicImage,
  brokers: readonly { readonly id: number }[],
): MetadataResponseTopic {
  const reachable = new Set(brokers.map((each) => each.id));
  const partitions = [...topic.partitions]
    .sort(([a], [b]) => a - b)
    .map(([index, partition]) => {
      const hasLeader = partition.leader !== NO_LEADER && reachable.has(partition.leader);
      return {
        ...defaultMetadataResponsePartition(),
        errorCode: hasLeader ? 0 : KafkaErrors.LEADER_NOT_AVAILABLE.code,
        partitionIndex: index,
        leaderId: hasLeader ? partition.leader : -1,
        leaderEpoch: partition.leaderEpoch,
        replicaNodes: [...partition.replicas],
        isrNodes: [...partition.isr],
      };
    });
  return {
    ...defaultMetadataResponseTopic(),
    name: topic.name,
    topicId: topic.id,
    isInternal: isInternalTopic(topic.name),
    partitions,
  };
}
