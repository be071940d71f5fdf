// OffsetCommit: a member's commit (its member id and generation: fenced as Kafka's
// validateOffsetCommit) or a "simple" one (no member id, generation -1) for a group without members.
// Partitions of unknown topics are answered UNKNOWN_TOPIC_OR_PARTITION each; the others are committed
// in one batch of __consumer_offsets (all or none), acknowledged once replicated (acks=all).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { topicByName } from '../../metadata/queries.ts';
import { offsetCommitApi } from '../protocol/generated/apis.ts';
import type { OffsetCommitRequest } from '../protocol/generated/offset-commit-request.ts';
import {
  defaultOffsetCommitResponse,
  type OffsetCommitResponse,
} from '../protocol/generated/offset-commit-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer, NONE } from './error-codes.ts';
import { localCoordinator } from './group-coordinator.ts';

export function offsetCommitHandler(
  broker: KafkaBroker,
): ApiHandler<OffsetCommitRequest, OffsetCommitResponse> {
  return {
    codec: offsetCommitApi,
    async handle(request, context) {
      const { groupId } = request;
      const image = broker.image();
      const exists = (topic: string, partition: number) => {
        const count = topicByName(image, topic)?.partitions.size ?? 0;
        return partition >= 0 && partition < count;
      };
      const offsets = request.topics.flatMap(({ name, partitions }) =>
        partitions
          .filter(({ partitionIndex }) => exists(name, partitionIndex))
          .map(({ partitionIndex, committedOffset, committedMetadata }) => ({
            topic: name,
            partition: partitionIndex,
            offset: Number(committedOffset),
            metadata: committedMetadata ?? '',
          })),
      );
      let errorCode = NONE;
      try {
        const simple = request.memberId === '' && request.generationIdOrMemberEpoch < 0;
        await localCoordinator(broker, groupId).commit({
          groupId,
          memberId: request.memberId === '' ? null : request.memberId,
          generation: simple ? -1 : request.generationIdOrMemberEpoch,
          offsets,
        });
      } catch (error) {
        errorCode = errorAnswer(error, context.logger, 'OffsetCommit failed').code;
      }
      return {
        ...defaultOffsetCommitResponse(),
        topics: request.topics.map(({ name, partitions }) => ({
          name,
          partitions: partitions.map(({ partitionIndex }) => ({
            partitionIndex,
            errorCode: exists(name, partitionIndex) ? errorCode : KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code,
          })),
        })),
      };
    },
  };
}
