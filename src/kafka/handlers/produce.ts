// Produce: each partition's record batches appended as the client sent them (the log checks their CRC
// and format) on this broker, its leader; a partition led elsewhere is NOT_LEADER_OR_FOLLOWER, and the
// client refreshes its metadata. acks=0 gets no response at all (a failed one closes the connection).
// Versions 0-2 (message sets before the v2 batch format) are advertised, because librdkafka before
// 2.11 turns compression off unless Produce starts at 0, and answered UNSUPPORTED_VERSION. WRITE on
// each topic is asked (TOPIC_AUTHORIZATION_FAILED for its partitions otherwise). The record batches'
// bytes count against the principal's producer_byte_rate (quota-throttle.ts).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { produceApi } from '../protocol/generated/apis.ts';
import type { PartitionProduceData, ProduceRequest } from '../protocol/generated/produce-request.ts';
import {
  defaultPartitionProduceResponse,
  defaultProduceResponse,
  type PartitionProduceResponse,
  type ProduceResponse,
} from '../protocol/generated/produce-response.ts';
import { type ApiHandler, CloseConnection, NO_RESPONSE, type RequestContext } from '../server/api-handler.ts';
import { topicAllowed, topicAuthorizationFailed } from './authorization.ts';
import type { Acks, KafkaBroker } from './broker-ports.ts';
import { errorAnswer, UNSUPPORTED_VERSION } from './error-codes.ts';
import { recordQuota } from './quota-throttle.ts';

/** The first version whose records are v2 record batches (magic 2), the only format the log stores. */
const RECORD_BATCH_VERSION_MIN = 3;

export function produceHandler(broker: KafkaBroker): ApiHandler<ProduceRequest, ProduceResponse> {
  return {
    codec: produceApi,
    async handle(request, context) {
      const acks = request.acks;
      const responses = await Promise.all(
        request.topicData.map(async (topic) => {
          // Asked once per topic, before the image is: a topic not writable is refused whether or not it exists.
          const writable = topicAllowed(broker, context, 'WRITE', topic.name);
          return {
            name: topic.name,
            partitionResponses: await Promise.all(
              topic.partitionData.map((partition) =>
                producePartition(broker, topic.name, writable, partition, request, context),
              ),
            ),
          };
        }),
      );
      // Kafka counts the request whatever became of it (appended or refused).
      const bytes = request.topicData.reduce(
        (sum, topic) =>
          sum +
          topic.partitionData.reduce((inTopic, partition) => inTopic + (partition.records?.length ?? 0), 0),
        0,
      );
      const throttleTimeMs = recordQuota(broker, context, 'produce', bytes);
      if (acks === 0) {
        // Kafka closes the connection of an acks=0 produce that failed: the client has no other way to
        // learn that it must refresh its metadata (a moved leader) before sending more.
        const failed = responses
          .flatMap((topic) => topic.partitionResponses.map((partition) => ({ topic: topic.name, partition })))
          .find(({ partition }) => partition.errorCode !== 0);
        if (failed === undefined) return NO_RESPONSE;
        return new CloseConnection(
          `an acks=0 produce to ${failed.topic}-${failed.partition.index} failed with error ${failed.partition.errorCode}`,
        );
      }
      return { ...defaultProduceResponse(), responses, throttleTimeMs };
    },
  };
}

async function producePartition(
  broker: KafkaBroker,
  topicName: string,
  writable: boolean,
  partition: PartitionProduceData,
  request: ProduceRequest,
  context: RequestContext,
): Promise<PartitionProduceResponse> {
  const failed = (code: number, message: string | null): PartitionProduceResponse => ({
    ...defaultPartitionProduceResponse(),
    index: partition.index,
    errorCode: code,
    baseOffset: -1n,
    errorMessage: message,
  });
  if (context.apiVersion < RECORD_BATCH_VERSION_MIN)
    return failed(UNSUPPORTED_VERSION, 'Produce versions 0-2 (message format v0/v1) are not supported');
  if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1)
    return failed(KafkaErrors.INVALID_REQUIRED_ACKS.code, `acks must be 0, 1 or -1, not ${request.acks}`);
  if (!writable)
    return failed(KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code, topicAuthorizationFailed(topicName).message);
  if (request.transactionalId !== null)
    return failed(KafkaErrors.INVALID_REQUEST.code, 'Transactions are not supported');
  if (partition.records === null || partition.records.length === 0)
    return failed(KafkaErrors.CORRUPT_MESSAGE.code, 'A produce of no records');
  try {
    // Copied: the request's bytes are a view of the frame, and the log keeps what it is given.
    const appended = await broker.partitions.append(
      topicName,
      partition.index,
      Buffer.from(partition.records),
      {
        acks: request.acks as Acks,
        timeoutMs: Math.max(1, request.timeoutMs),
      },
    );
    return {
      ...defaultPartitionProduceResponse(),
      index: partition.index,
      baseOffset: BigInt(appended.baseOffset),
      logStartOffset: BigInt(appended.logStartOffset),
    };
  } catch (error) {
    const answer = errorAnswer(error, context.logger, 'produce to a partition failed');
    return failed(answer.code, answer.message);
  }
}
