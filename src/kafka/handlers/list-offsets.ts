// ListOffsets: per partition, on its leader, the earliest offset (timestamp -2), the latest (-1: the
// high watermark; no transactions, so read_committed's last stable offset is the same), the first
// record with the largest timestamp (-3, from version 7, KIP-734: -1 and no offset when it is not
// committed yet), or the first committed offset whose record timestamp is at or after the one asked
// (-1 and no offset when none is). The leader epoch is given for the latest offset (the epoch leading
// now) and the max timestamp (its batch's); for the others it would be the epoch of the batch found,
// which the log does not look up here, and -1 says "unknown". DESCRIBE on each topic is asked
// (TOPIC_AUTHORIZATION_FAILED for its partitions otherwise).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { listOffsetsApi } from '../protocol/generated/apis.ts';
import type { ListOffsetsPartition, ListOffsetsRequest } from '../protocol/generated/list-offsets-request.ts';
import {
  defaultListOffsetsPartitionResponse,
  defaultListOffsetsResponse,
  type ListOffsetsPartitionResponse,
  type ListOffsetsResponse,
} from '../protocol/generated/list-offsets-response.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { topicAllowed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';

const LATEST_TIMESTAMP = -1n;
/** The first version with a leader epoch in the answer (not ignorable: earlier ones must carry -1). */
const LEADER_EPOCH_VERSION = 4;
const EARLIEST_TIMESTAMP = -2n;
const MAX_TIMESTAMP = -3n;
/** The first version a client may ask MAX_TIMESTAMP at (KIP-734). */
const MAX_TIMESTAMP_VERSION = 7;

export function listOffsetsHandler(broker: KafkaBroker): ApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
  return {
    codec: listOffsetsApi,
    async handle(request, context) {
      const topics = await Promise.all(
        request.topics.map(async (topic) => {
          const describable = topicAllowed(broker, context, 'DESCRIBE', topic.name);
          return {
            name: topic.name,
            partitions: await Promise.all(
              topic.partitions.map((partition) =>
                describable
                  ? listPartition(broker, topic.name, partition, context)
                  : {
                      ...defaultListOffsetsPartitionResponse(),
                      partitionIndex: partition.partitionIndex,
                      errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code,
                    },
              ),
            ),
          };
        }),
      );
      return { ...defaultListOffsetsResponse(), topics };
    },
  };
}

async function listPartition(
  broker: KafkaBroker,
  topicName: string,
  partition: ListOffsetsPartition,
  context: RequestContext,
): Promise<ListOffsetsPartitionResponse> {
  const answer = (offset: number, timestamp: bigint, leaderEpoch: number): ListOffsetsPartitionResponse => ({
    ...defaultListOffsetsPartitionResponse(),
    partitionIndex: partition.partitionIndex,
    offset: BigInt(offset),
    timestamp,
    leaderEpoch: context.apiVersion >= LEADER_EPOCH_VERSION ? leaderEpoch : -1,
  });
  try {
    const index = partition.partitionIndex;
    const epoch = partition.currentLeaderEpoch;
    const offsets = broker.partitions.offsets(topicName, index, epoch);
    if (partition.timestamp === EARLIEST_TIMESTAMP) return answer(offsets.logStartOffset, -1n, -1);
    if (partition.timestamp === LATEST_TIMESTAMP)
      return answer(offsets.highWatermark, -1n, offsets.leaderEpoch);
    if (partition.timestamp === MAX_TIMESTAMP && context.apiVersion >= MAX_TIMESTAMP_VERSION) {
      const found = await broker.partitions.maxTimestamp(topicName, index, epoch);
      return found === null
        ? answer(-1, -1n, -1)
        : answer(found.offset, BigInt(found.timestamp), found.leaderEpoch);
    }
    if (partition.timestamp < 0n) {
      // -4 (local log start), -5 (tiered): versions this listener does not advertise; -3 before v7.
      return answer(-1, -1n, -1);
    }
    const found = await broker.partitions.offsetForTimestamp(
      topicName,
      index,
      Number(partition.timestamp),
      epoch,
    );
    return found === null ? answer(-1, -1n, -1) : answer(found.offset, BigInt(found.timestamp), -1);
  } catch (error) {
    const failed = errorAnswer(error, context.logger, 'listing offsets of a partition failed');
    return {
      ...defaultListOffsetsPartitionResponse(),
      partitionIndex: partition.partitionIndex,
      errorCode: failed.code,
    };
  }
}
