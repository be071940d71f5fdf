// CreatePartitions through the active controller (AdminApi, as REST's PATCH {partitions_count}), with
// or without a manual assignment of the new partitions' replicas. ALTER on each topic is asked.
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { createPartitionsApi } from '../protocol/generated/apis.ts';
import type { CreatePartitionsRequest } from '../protocol/generated/create-partitions-request.ts';
import {
  type CreatePartitionsResponse,
  defaultCreatePartitionsResponse,
} from '../protocol/generated/create-partitions-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { topicAllowed, topicAuthorizationFailed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';

export function createPartitionsHandler(
  broker: KafkaBroker,
): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> {
  return {
    codec: createPartitionsApi,
    async handle(request, context) {
      const results = await Promise.all(
        request.topics.map(async (topic) => {
          if (!topicAllowed(broker, context, 'ALTER', topic.name))
            return {
              name: topic.name,
              errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code,
              errorMessage: topicAuthorizationFailed(topic.name).message,
            };
          const assignments =
            topic.assignments === null ? undefined : topic.assignments.map(({ brokerIds }) => [...brokerIds]);
          try {
            await broker.admin.createPartitions(topic.name, topic.count, request.validateOnly, assignments);
            return { name: topic.name, errorCode: 0, errorMessage: null };
          } catch (error) {
            const answer = errorAnswer(error, context.logger, 'creating partitions failed');
            return { name: topic.name, errorCode: answer.code, errorMessage: answer.message };
          }
        }),
      );
      return { ...defaultCreatePartitionsResponse(), results };
    },
  };
}
