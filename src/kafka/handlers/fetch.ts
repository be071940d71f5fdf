// Fetch for consumers: record batches as stored, below the high watermark, from the partitions this
// broker leads (others: NOT_LEADER_OR_FOLLOWER). Sessionless (KIP-227 sessions answered with session
// id 0, so clients send the full partition list each time). Long poll: with fewer than min_bytes to
// send, waits until a partition asked has a new committed record or max_wait passes (capped at 30 s).
// Topics are named by id from version 13 on (an unknown id is UNKNOWN_TOPIC_ID, as Kafka: ids are not
// secret). READ on each topic is asked: TOPIC_AUTHORIZATION_FAILED for its partitions otherwise. A
// consumer with a consumer_byte_rate gets at most what its quota allows over the window; over its quota,
// no records and throttle_time_ms (quota-throttle.ts).
import { KafkaErrors } from '../../common/kafka-errors.ts';
import type { TopicId } from '../../metadata/ids.ts';
import { fetchApi } from '../protocol/generated/apis.ts';
import type { FetchPartition, FetchRequest } from '../protocol/generated/fetch-request.ts';
import {
  defaultFetchResponse,
  defaultPartitionData,
  type FetchResponse,
  type PartitionData,
} from '../protocol/generated/fetch-response.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { topicAllowed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';
import { recordQuota } from './quota-throttle.ts';

/** What a partition answered without records carries: Kafka's MemoryRecords.EMPTY (librdkafka refuses a null). */
const NO_RECORDS = Buffer.alloc(0);

/** The longest a fetch waits for records, whatever max_wait_ms says. */
export const FETCH_WAIT_MS_MAX = 30_000;
/** A consumer's replica id (replicaId / ReplicaState.replicaId): followers use this node's INTERNAL listener. */
const CONSUMER_REPLICA_ID = -1;
/** The first version that names topics by id. */
const TOPIC_IDS_VERSION = 13;

interface AskedPartition {
  readonly topicName: string | null;
  /** READ on the topic: asked once per topic of the request. */
  readonly readable: boolean;
  readonly topicIndex: number;
  readonly asked: FetchPartition;
}

export function fetchHandler(broker: KafkaBroker): ApiHandler<FetchRequest, FetchResponse> {
  return {
    codec: fetchApi,
    async handle(request, context) {
      const byId = context.apiVersion >= TOPIC_IDS_VERSION;
      const image = broker.image();
      const asked: AskedPartition[] = request.topics.flatMap((topic, topicIndex) => {
        const topicName = byId ? (image.topics.get(topic.topicId as TopicId)?.name ?? null) : topic.topic;
        const readable = topicName !== null && topicAllowed(broker, context, 'READ', topicName);
        return topic.partitions.map((partition) => ({ topicName, readable, topicIndex, asked: partition }));
      });
      const replicaId = Math.max(request.replicaId, request.replicaState.replicaId);
      const waitMs = Math.min(Math.max(0, request.maxWaitMs), FETCH_WAIT_MS_MAX);
      const deadline = Date.now() + waitMs;
      // A consumer with a consumer_byte_rate gets at most what its quota allows over the window.
      const quotaBytesMax =
        replicaId === CONSUMER_REPLICA_ID
          ? (broker.quotas?.maxBytesInQuotaWindow(context.session.principal, 'fetch') ?? null)
          : null;
      let answers = await readAll(broker, asked, request, quotaBytesMax, context);
      const sent = () => answers.reduce((bytes, answer) => bytes + (answer.records?.length ?? 0), 0);
      const anyError = () => answers.some((answer) => answer.errorCode !== 0);
      if (replicaId === CONSUMER_REPLICA_ID && !anyError() && sent() < request.minBytes && waitMs > 0) {
        // Until a record comes to some partition asked, or max_wait: a request of no partitions (or of
        // unknown ones only) waits max_wait, as Kafka's does, and never longer.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          ...asked.flatMap((partition) =>
            partition.topicName === null || !partition.readable
              ? []
              : [
                  broker.partitions.waitForRecords(
                    partition.topicName,
                    partition.asked.partition,
                    Number(partition.asked.fetchOffset),
                    Math.max(1, deadline - Date.now()),
                  ),
                ],
          ),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
          }),
        ]);
        clearTimeout(timer);
        answers = await readAll(broker, asked, request, quotaBytesMax, context);
      }
      // A consumer's records count against its consumer_byte_rate (followers replicate over INTERNAL).
      // Over it, Kafka answers no records at all (and takes back what it counted): the consumer asks
      // again from the same offsets once the throttle time has passed.
      const bytes = sent();
      if (replicaId === CONSUMER_REPLICA_ID) {
        const throttleTimeMs = recordQuota(broker, context, 'fetch', bytes);
        if (throttleTimeMs > 0) {
          broker.quotas?.unrecord(context.session.principal, 'fetch', bytes);
          return { ...defaultFetchResponse(), throttleTimeMs, sessionId: 0, responses: [] };
        }
      }
      return {
        ...defaultFetchResponse(),
        sessionId: 0,
        responses: request.topics.map((topic, topicIndex) => ({
          topic: topic.topic,
          topicId: topic.topicId,
          partitions: answers.filter((_, index) => asked[index]!.topicIndex === topicIndex),
        })),
      };
    },
  };
}

/** Reads every partition asked once, within the request's max_bytes (at least one batch overall). */
async function readAll(
  broker: KafkaBroker,
  asked: readonly AskedPartition[],
  request: FetchRequest,
  /** What a consumer's quota allows at most (null: no quota). */
  quotaBytesMax: number | null,
  context: RequestContext,
): Promise<PartitionData[]> {
  const answers: PartitionData[] = [];
  let bytesLeft = Math.min(
    request.maxBytes > 0 ? request.maxBytes : Number.MAX_SAFE_INTEGER,
    quotaBytesMax ?? Number.MAX_SAFE_INTEGER,
  );
  let sentAny = false;
  for (const partition of asked) {
    // KIP-74: the first batch goes out whatever its size; after it, max_bytes holds.
    const maxBytes = Math.min(partition.asked.partitionMaxBytes, bytesLeft);
    const answer = await readPartition(
      broker,
      partition,
      sentAny && maxBytes === 0 ? null : maxBytes,
      context,
    );
    sentAny ||= (answer.records?.length ?? 0) > 0;
    bytesLeft = Math.max(0, bytesLeft - (answer.records?.length ?? 0));
    answers.push(answer);
  }
  return answers;
}

async function readPartition(
  broker: KafkaBroker,
  partition: AskedPartition,
  /** null: nothing may be sent, only the partition's offsets. */
  maxBytes: number | null,
  context: RequestContext,
): Promise<PartitionData> {
  const index = partition.asked.partition;
  if (partition.topicName === null)
    return {
      ...defaultPartitionData(),
      records: NO_RECORDS,
      partitionIndex: index,
      errorCode: KafkaErrors.UNKNOWN_TOPIC_ID.code,
      highWatermark: -1n,
    };
  if (!partition.readable)
    return {
      ...defaultPartitionData(),
      records: NO_RECORDS,
      partitionIndex: index,
      errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code,
      highWatermark: -1n,
    };
  try {
    const read =
      maxBytes === null
        ? {
            ...broker.partitions.offsets(partition.topicName, index, partition.asked.currentLeaderEpoch),
            records: NO_RECORDS,
          }
        : await broker.partitions.read(partition.topicName, index, {
            offset: Number(partition.asked.fetchOffset),
            maxBytes,
            currentLeaderEpoch: partition.asked.currentLeaderEpoch,
          });
    return {
      ...defaultPartitionData(),
      partitionIndex: index,
      highWatermark: BigInt(read.highWatermark),
      // No transactions: everything below the high watermark is stable.
      lastStableOffset: BigInt(read.highWatermark),
      logStartOffset: BigInt(read.logStartOffset),
      records: read.records,
    };
  } catch (error) {
    const answer = errorAnswer(error, context.logger, 'fetch from a partition failed');
    return {
      ...defaultPartitionData(),
      records: NO_RECORDS,
      partitionIndex: index,
      errorCode: answer.code,
      highWatermark: -1n,
    };
  }
}
