// OffsetForLeaderEpoch (KIP-101/320) for consumers: after a leader change a client asks where the epoch
// of its position ended on the new leader, to detect a log truncated under it. Answered on the leader
// from its leader epoch history; elsewhere NOT_LEADER_OR_FOLLOWER. Followers use the INTERNAL listener,
// so a request with a replica id of a broker is answered as a consumer's (and asks DESCRIBE on each
// topic, as Kafka asks of a client without CLUSTER_ACTION).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { offsetForLeaderEpochApi } from '../protocol/generated/apis.ts';
import type { OffsetForLeaderEpochRequest } from '../protocol/generated/offset-for-leader-epoch-request.ts';
import type {
  EpochEndOffset,
  OffsetForLeaderEpochResponse,
} from '../protocol/generated/offset-for-leader-epoch-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { topicAllowed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';

export function offsetForLeaderEpochHandler(
  broker: KafkaBroker,
): ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> {
  return {
    codec: offsetForLeaderEpochApi,
    async handle(request, context) {
      const topics = request.topics.map((topic) => {
        const describable = topicAllowed(broker, context, 'DESCRIBE', topic.topic);
        return {
          topic: topic.topic,
          partitions: topic.partitions.map((partition): EpochEndOffset => {
            if (!describable)
              return {
                errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code,
                partition: partition.partition,
                leaderEpoch: -1,
                endOffset: -1n,
              };
            try {
              const end = broker.partitions.epochEnd(
                topic.topic,
                partition.partition,
                partition.currentLeaderEpoch,
                partition.leaderEpoch,
              );
              return {
                errorCode: 0,
                partition: partition.partition,
                leaderEpoch: end.leaderEpoch,
                endOffset: BigInt(end.endOffset),
              };
            } catch (error) {
              const answer = errorAnswer(error, context.logger, 'an epoch end offset failed');
              return {
                errorCode: answer.code,
                partition: partition.partition,
                leaderEpoch: -1,
                endOffset: -1n,
              };
            }
          }),
        };
      });
      return { throttleTimeMs: 0, topics };
    },
  };
}
