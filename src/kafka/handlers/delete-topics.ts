// DeleteTopics through the active controller (AdminApi, as REST's DELETE /topics/{t}), by name, or
// from version 6 by name or id. DELETE on each topic is asked (and DESCRIBE of one named by id), before
// its existence: TOPIC_AUTHORIZATION_FAILED otherwise.
import { KafkaErrors } from '../../common/kafka-errors.ts';
import type { TopicId } from '../../metadata/ids.ts';
import { deleteTopicsApi } from '../protocol/generated/apis.ts';
import type { DeleteTopicsRequest } from '../protocol/generated/delete-topics-request.ts';
import {
  type DeletableTopicResult,
  type DeleteTopicsResponse,
  defaultDeletableTopicResult,
  defaultDeleteTopicsResponse,
} from '../protocol/generated/delete-topics-response.ts';
import { ZERO_UUID } from '../protocol/uuid.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { topicAllowed, topicAuthorizationFailed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';

/** The first version that lists topics as (name or id) states rather than names. */
const TOPIC_STATES_VERSION = 6;

export function deleteTopicsHandler(
  broker: KafkaBroker,
): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
  return {
    codec: deleteTopicsApi,
    async handle(request, context) {
      const asked =
        context.apiVersion >= TOPIC_STATES_VERSION
          ? request.topics
          : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
      const responses = await Promise.all(
        asked.map((topic) => deleteTopic(broker, topic.name, topic.topicId, context)),
      );
      return { ...defaultDeleteTopicsResponse(), responses };
    },
  };
}

async function deleteTopic(
  broker: KafkaBroker,
  askedName: string | null,
  topicId: string,
  context: RequestContext,
): Promise<DeletableTopicResult> {
  const result = { ...defaultDeletableTopicResult(), name: askedName, topicId };
  const name =
    askedName ?? (topicId === ZERO_UUID ? undefined : broker.image().topics.get(topicId as TopicId)?.name);
  if (name === undefined)
    return {
      ...result,
      errorCode: KafkaErrors.UNKNOWN_TOPIC_ID.code,
      errorMessage: `No topic with id ${topicId}`,
    };
  const refused = {
    ...result,
    errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code,
    errorMessage: topicAuthorizationFailed(name).message,
  };
  // Named by id, the name is told only to who may describe the topic (Kafka's rule).
  if (askedName === null && !topicAllowed(broker, context, 'DESCRIBE', name))
    return { ...refused, errorMessage: `Not authorized to access topic id ${topicId}` };
  if (!topicAllowed(broker, context, 'DELETE', name)) return { ...refused, name };
  try {
    await broker.admin.deleteTopic(name);
    return { ...result, name };
  } catch (error) {
    const answer = errorAnswer(error, context.logger, 'deleting a topic failed');
    return { ...result, name, errorCode: answer.code, errorMessage: answer.message };
  }
}
