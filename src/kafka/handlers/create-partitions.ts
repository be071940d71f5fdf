// CreatePartitions through the active controller (AdminApi, as REST's PATCH {partitions_count}).
// Manual assignments of the new partitions are not supported yet (INVALID_REQUEST).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { createPartitionsApi } from '../protocol/generated/apis.ts';
import type { CreatePartitionsRequest } from '../protocol/generated/create-partitions-request.ts';
import {
  type CreatePartitionsResponse,
  defaultCreatePartitionsResponse,
} from '../protocol/generated/create-partitions-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
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
          if (topic.assignments !== null && topic.assignments.length > 0)
            return {
              name: topic.name,
              errorCode: KafkaErrors.INVALID_REQUEST.code,
              errorMessage: 'Manual replica assignments are not supported',
            };
          try {
            await broker.admin.createPartitions(topic.name, topic.count, request.validateOnly);
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
