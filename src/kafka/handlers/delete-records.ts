// DeleteRecords on the partitions this broker leads (Kafka's clients send each partition to its
// leader): the log start moves to the offset asked (-1: the high watermark), and reads below it answer
// OFFSET_OUT_OF_RANGE from then on. The low watermark answered is the leader's new log start; followers
// follow from their next fetch, and the answer does not wait for them (timeout_ms is not used). DELETE
// on each topic is asked (TOPIC_AUTHORIZATION_FAILED for its partitions otherwise).
import { KafkaError, KafkaErrors } from '../../common/kafka-errors.ts';
import { deleteRecordsApi } from '../protocol/generated/apis.ts';
import type { DeleteRecordsRequest } from '../protocol/generated/delete-records-request.ts';
import {
  type DeleteRecordsPartitionResult,
  type DeleteRecordsResponse,
  defaultDeleteRecordsResponse,
} from '../protocol/generated/delete-records-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { topicAllowed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';

export function deleteRecordsHandler(
  broker: KafkaBroker,
): ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> {
  return {
    codec: deleteRecordsApi,
    async handle(request, context) {
      const topics = await Promise.all(
        request.topics.map(async (topic) => {
          const deletable = topicAllowed(broker, context, 'DELETE', topic.name);
          return {
            name: topic.name,
            partitions: await Promise.all(
              topic.partitions.map(async (partition): Promise<DeleteRecordsPartitionResult> => {
                if (!deletable)
                  return {
                    partitionIndex: partition.partitionIndex,
                    lowWatermark: -1n,
                    errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code,
                  };
                try {
                  const offset = Number(partition.offset);
                  if (!Number.isSafeInteger(offset))
                    throw new KafkaError(
                      'OFFSET_OUT_OF_RANGE',
                      `The offset ${partition.offset} is not valid`,
                    );
                  const { lowWatermark } = await broker.partitions.deleteRecords(
                    topic.name,
                    partition.partitionIndex,
                    offset,
                  );
                  return {
                    partitionIndex: partition.partitionIndex,
                    lowWatermark: BigInt(lowWatermark),
                    errorCode: 0,
                  };
                } catch (error) {
                  const answer = errorAnswer(error, context.logger, 'deleting records failed');
                  return {
                    partitionIndex: partition.partitionIndex,
                    lowWatermark: -1n,
                    errorCode: answer.code,
                  };
                }
              }),
            ),
          };
        }),
      );
      return { ...defaultDeleteRecordsResponse(), topics };
    },
  };
}
