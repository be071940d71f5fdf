// The native API (proto/native.proto): POST /v1/produce, /v1/fetch and /v1/metadata with protobuf bodies
// and record batches as bytes, end to end: a produce hands each partition's batches to DataApi as they
// came (the leader validates and stores them), a fetch answers the stored batches as they were read. Any
// node serves any partition (DataApi forwards to the leader); clients that route by /v1/metadata save
// the hop. A partition's failure is its Kafka error code in the answer; the request fails whole only when
// its body does not decode (400) or asks what the API refuses (acks outside -1, 0, 1). Authorized as the
// Kafka APIs they mirror (Produce WRITE, Fetch READ, Metadata DESCRIBE), refusals as Kafka's codes.
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { KafkaError, KafkaErrors } from '../../common/kafka-errors.ts';
import { NO_LEADER } from '../../metadata/ids.ts';
import { topicByName } from '../../metadata/queries.ts';
import { HttpError } from '../errors.ts';
import { failure } from '../native/failure.ts';
import {
  decodeFetchRequest,
  decodeMetadataRequest,
  decodeProduceRequest,
  encodeFetchResponse,
  encodeMetadataResponse,
  encodeProduceResponse,
  type NativeFetchedPartition,
  type NativeFetchRequest,
} from '../native/codec.ts';
import type { Acks } from '../ports.ts';
import { CLIENT_LISTENER } from '../render/broker.ts';
import type { RouteDeps } from './context.ts';
import { registerNativeConsumerRoutes } from './native-consumer.ts';
import { allowed, allowedTopics, authorizeAsKafka } from '../authorization.ts';

const PROTOBUF = 'application/x-protobuf';
const PRODUCE_TIMEOUT_DEFAULT_MS = 30_000;
/** The longest a fetch waits for records, whatever max_wait_ms says (as the Kafka listener's Fetch). */
const FETCH_WAIT_MS_MAX = 30_000;
const FETCH_MAX_BYTES_DEFAULT = 50 * 1024 * 1024;
const PARTITION_MAX_BYTES_DEFAULT = 1024 * 1024;

function topicRefused(topic: string): KafkaError {
  return new KafkaError('TOPIC_AUTHORIZATION_FAILED', `Not authorized to access topics: [${topic}]`);
}

function acksOf(value: number): Acks {
  if (value === -1 || value === 0 || value === 1) return value;
  throw new HttpError('KAFKA_BAD_REQUEST', `acks must be -1 (all), 0 or 1, not ${value}.`);
}

interface Asked {
  readonly topic: string;
  /** READ on the topic (Kafka's Fetch), asked once per topic of the request. */
  readonly readable: boolean;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly maxBytes: number;
}

/** One partition's read, never rejected: a failure is its error code. */
async function readPartition(
  deps: RouteDeps,
  asked: Asked,
  maxWaitMs: number,
  log: FastifyBaseLogger,
): Promise<NativeFetchedPartition> {
  try {
    if (!asked.readable) throw topicRefused(asked.topic);
    const read = await deps.node.data.read({
      topicName: asked.topic,
      partitionId: asked.partition,
      offset: asked.fetchOffset,
      maxBytes: asked.maxBytes,
      maxWaitMs,
    });
    return {
      partition: asked.partition,
      errorCode: 0,
      errorMessage: '',
      highWatermark: read.highWatermark,
      logStartOffset: read.logStartOffset,
      records: read.records,
    };
  } catch (error) {
    return {
      partition: asked.partition,
      ...failure(error, log),
      highWatermark: -1,
      logStartOffset: -1,
      records: new Uint8Array(0),
    };
  }
}

/**
 * Every partition once without waiting; with fewer than min_bytes, every partition again as a long poll,
 * answered as soon as one brings records (the others keep their first answer) or when max_wait is up.
 */
async function fetchAll(
  deps: RouteDeps,
  request: NativeFetchRequest,
  http: FastifyRequest,
  log: FastifyBaseLogger,
): Promise<NativeFetchedPartition[]> {
  const asked: Asked[] = request.topics.flatMap((topic) => {
    const readable = allowed(http, deps, 'READ', 'TOPIC', topic.name);
    return topic.partitions.map((p) => ({
      topic: topic.name,
      readable,
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      maxBytes: p.partitionMaxBytes > 0 ? p.partitionMaxBytes : PARTITION_MAX_BYTES_DEFAULT,
    }));
  });
  const bytes = (answers: readonly NativeFetchedPartition[]) =>
    answers.reduce((sum, answer) => sum + answer.records.length, 0);
  const first = await Promise.all(asked.map((partition) => readPartition(deps, partition, 0, log)));
  const waitMs = Math.min(request.maxWaitMs, FETCH_WAIT_MS_MAX);
  if (waitMs === 0 || bytes(first) >= Math.max(1, request.minBytes) || first.some((a) => a.errorCode !== 0))
    return first;
  const latest = [...first];
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    }),
    new Promise<void>((resolve) => {
      let settled = 0;
      asked.forEach((partition, index) => {
        void readPartition(deps, partition, waitMs, log).then((answer) => {
          latest[index] = answer;
          settled += 1;
          if (answer.records.length > 0 || answer.errorCode !== 0 || settled === asked.length) resolve();
        });
      });
      if (asked.length === 0) resolve();
    }),
  ]);
  clearTimeout(timer);
  return [...latest];
}

/** Keeps the answer within max_bytes: the first batch goes out whatever its size (Kafka's KIP-74). */
function withinMaxBytes(
  answers: readonly NativeFetchedPartition[],
  maxBytes: number,
): NativeFetchedPartition[] {
  let left = maxBytes;
  let sentAny = false;
  return answers.map((answer) => {
    if (answer.records.length === 0) return answer;
    if (sentAny && answer.records.length > left) return { ...answer, records: new Uint8Array(0) };
    sentAny = true;
    left = Math.max(0, left - answer.records.length);
    return answer;
  });
}

export function registerNativeRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  scope.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const options = { bodyLimit: deps.recordsBodyBytesMax };

  scope.post('/v1/produce', options, async (request, reply) => {
    const produce = decodeProduceRequest(request.body);
    const acks = acksOf(produce.acks);
    const timeoutMs = produce.timeoutMs > 0 ? produce.timeoutMs : PRODUCE_TIMEOUT_DEFAULT_MS;
    const topics = await Promise.all(
      produce.topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map(async ({ partition, records }) => {
            try {
              authorizeAsKafka(request, deps, 'WRITE', 'TOPIC', topic.name);
              const produced = await deps.node.data.produce({
                topicName: topic.name,
                partitionId: partition,
                records,
                acks,
                timeoutMs,
              });
              return { partition, errorCode: 0, errorMessage: '', baseOffset: produced.baseOffset };
            } catch (error) {
              return { partition, ...failure(error, request.log), baseOffset: -1 };
            }
          }),
        ),
      })),
    );
    return reply.type(PROTOBUF).send(encodeProduceResponse({ topics }));
  });

  scope.post('/v1/fetch', options, async (request, reply) => {
    const fetch = decodeFetchRequest(request.body);
    const maxBytes = fetch.maxBytes > 0 ? fetch.maxBytes : FETCH_MAX_BYTES_DEFAULT;
    const answers = withinMaxBytes(await fetchAll(deps, fetch, request, request.log), maxBytes);
    let at = 0;
    const topics = fetch.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map(() => answers[at++]!),
    }));
    return reply.type(PROTOBUF).send(encodeFetchResponse({ topics }));
  });

  scope.post('/v1/metadata', options, async (request, reply) => {
    const asked = decodeMetadataRequest(request.body);
    const image = deps.node.image();
    // As Kafka's Metadata: all topics means the describable ones; a named one not describable is
    // refused before it is looked up, existing or not.
    const names =
      asked.topics.length > 0
        ? asked.topics
        : allowedTopics(request, deps, 'DESCRIBE', [...image.topics.values()], (t) => t.name)
            .map((t) => t.name)
            .sort();
    const brokers = [...image.brokers.values()].map((broker) => {
      const endpoint = broker.endpoints.find((e) => e.name === CLIENT_LISTENER) ?? broker.endpoints[0];
      return { id: broker.id, host: endpoint?.host ?? '', port: endpoint?.port ?? 0, fenced: broker.fenced };
    });
    const topics = names.map((name) => {
      if (!allowed(request, deps, 'DESCRIBE', 'TOPIC', name))
        return { name, errorCode: KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code, partitions: [] };
      const topic = topicByName(image, name);
      if (topic === undefined)
        return { name, errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code, partitions: [] };
      return {
        name,
        errorCode: 0,
        partitions: [...topic.partitions.entries()]
          .sort(([a], [b]) => a - b)
          .map(([partition, registration]) => ({
            partition,
            leader: registration.leader === NO_LEADER ? -1 : registration.leader,
            leaderEpoch: registration.leaderEpoch,
            replicas: [...registration.replicas],
            isr: [...registration.isr],
          })),
      };
    });
    return reply
      .type(PROTOBUF)
      .send(encodeMetadataResponse({ clusterId: deps.node.clusterId, brokers, topics }));
  });

  registerNativeConsumerRoutes(scope, deps);
}
