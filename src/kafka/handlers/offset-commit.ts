// OffsetCommit: a member's commit (its member id and generation: fenced as Kafka's
// validateOffsetCommit) or a "simple" one (no member id, generation -1) for a group without members.
// Partitions of unknown topics are answered UNKNOWN_TOPIC_OR_PARTITION each; the others are committed
// in one batch of __consumer_offsets (all or none), acknowledged once replicated (acks=all). READ on the
// group (else GROUP_AUTHORIZATION_FAILED everywhere) and on each topic (TOPIC_AUTHORIZATION_FAILED).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { topicByName } from '../../metadata/queries.ts';
import { offsetCommitApi } from '../protocol/generated/apis.ts';
import type { OffsetCommitRequest } from '../protocol/generated/offset-commit-request.ts';
import {
  defaultOffsetCommitResponse,
  type OffsetCommitResponse,
} from '../protocol/generated/offset-commit-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { groupAllowed, topicAllowed } from './authorization.ts';
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
      // READ on the group, then on each topic (asked once per topic), before the image is looked at.
      const groupReadable = groupAllowed(broker, context, 'READ', groupId);
      const readable = new Set(
        groupReadable
          ? request.topics
              .map(({ name }) => name)
              .filter((name) => topicAllowed(broker, context, 'READ', name))
          : [],
      );
      const refusal = (topic: string): number | null => {
        if (!groupReadable) return KafkaErrors.GROUP_AUTHORIZATION_FAILED.code;
        return readable.has(topic) ? null : KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code;
      };
      const offsets = request.topics.flatMap(({ name, partitions }) =>
        partitions
          .filter(({ partitionIndex }) => refusal(name) === null && exists(name, partitionIndex))
          .map(({ partitionIndex, committedOffset, committedMetadata }) => ({
            topic: name,
            partition: partitionIndex,
            offset: Number(committedOffset),
            metadata: committedMetadata ?? '',
          })),
      );
      let errorCode = NONE;
      if (groupReadable)
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
            errorCode:
              refusal(name) ??
              (exists(name, partitionIndex) ? errorCode : KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code),
          })),
        })),
      };
    },
  };
}
