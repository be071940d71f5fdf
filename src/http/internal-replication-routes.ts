// Replication and forwarded client requests on a node's internal listener (proto/broker.proto):
// - POST /internal/v1/replication/fetch: a follower's Fetch; per-partition errors travel inside it;
// - POST /internal/v1/partitions/produce and /read: a client produce or read that another node took,
//   forwarded to this node as the partition's leader; a KafkaError travels inside the answer.
// A body that does not decode is 400; a failure of the broker itself 500.
import type { Logger } from 'pino';
import type { InternalServer } from '../../raft/transport/http2-transport.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import type { PartitionId, TopicId } from '../metadata/ids.ts';
import {
  FETCH_PATH,
  FetchCodecError,
  type FetchRequest,
  type FetchResponse,
  decodeFetchRequest,
  encodeFetchResponse,
} from '../replication/fetch-messages.ts';
import {
  ForwardCodecError,
  PRODUCE_PATH,
  READ_PATH,
  decodeProduce,
  decodeRead,
  encodeProduceAnswer,
  encodeReadAnswer,
} from '../replication/forwarded-messages.ts';
import type { Acks, ReadResult } from '../replication/replica-manager.ts';

const PROTOBUF = 'application/x-protobuf';

/** What the leader side needs: ReplicaManager implements it. */
export interface PartitionLeaderHandler {
  handleFetch(request: FetchRequest): Promise<FetchResponse>;
  appendRecords(
    topicId: TopicId,
    partitionId: PartitionId,
    batches: Buffer,
    options: { acks: Acks; timeoutMs: number },
  ): Promise<{ firstOffset: number; lastOffset: number }>;
  readRecords(
    topicId: TopicId,
    partitionId: PartitionId,
    options: { startOffset: number; maxBytes: number; maxWaitMs: number },
  ): Promise<ReadResult>;
  partitionOffsets(
    topicId: TopicId,
    partitionId: PartitionId,
  ): { logStartOffset: number; highWatermark: number };
  offsetForTimestamp(
    topicId: TopicId,
    partitionId: PartitionId,
    timestamp: number,
  ): Promise<{ offset: number; timestamp: number } | null>;
}

export function registerReplicationRoutes(
  server: InternalServer,
  handler: () => PartitionLeaderHandler | null,
  logger: Logger,
): void {
  const route = <T>(
    path: string,
    decode: (bytes: Uint8Array) => T,
    serve: (target: PartitionLeaderHandler, request: T) => Promise<Uint8Array>,
  ) => {
    server.post(path, async (request, reply) => {
      const body = request.body;
      if (!(body instanceof Uint8Array)) return reply.code(415).send(`The body must be ${PROTOBUF}`);
      const target = handler();
      if (target === null) return reply.code(503).send('This node is not a broker, or is not started yet.');
      let decoded: T;
      try {
        decoded = decode(body);
      } catch (error) {
        if (error instanceof FetchCodecError || error instanceof ForwardCodecError)
          return reply.code(400).send(error.message);
        throw error;
      }
      try {
        const answer = await serve(target, decoded);
        // A view, not a copy: an answer carries whole record batches.
        return reply
          .code(200)
          .type(PROTOBUF)
          .send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
      } catch (error) {
        logger.error({ err: error, path }, 'internal partition request failed');
        return reply.code(500).send('The request failed on the leader.');
      }
    });
  };

  route(FETCH_PATH, decodeFetchRequest, async (target, request) =>
    encodeFetchResponse(await target.handleFetch(request)),
  );
  route(PRODUCE_PATH, decodeProduce, async (target, request) => {
    if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) {
      return encodeProduceAnswer(
        new KafkaError('INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, not ${request.acks}`),
      );
    }
    try {
      const records = Buffer.from(
        request.records.buffer,
        request.records.byteOffset,
        request.records.byteLength,
      );
      const result = await target.appendRecords(
        request.topicId as TopicId,
        request.partition as PartitionId,
        records,
        {
          acks: request.acks,
          timeoutMs: request.timeoutMs,
        },
      );
      return encodeProduceAnswer({ baseOffset: result.firstOffset, lastOffset: result.lastOffset });
    } catch (error) {
      if (error instanceof KafkaError) return encodeProduceAnswer(error);
      throw error;
    }
  });
  route(READ_PATH, decodeRead, async (target, request) => {
    try {
      if (request.offsetsOnly === true) {
        const topicId = request.topicId as TopicId;
        const partitionId = request.partition as PartitionId;
        const positions = target.partitionOffsets(topicId, partitionId);
        if (request.timestamp === undefined)
          return encodeReadAnswer({ ...positions, records: new Uint8Array(0) });
        const found = await target.offsetForTimestamp(topicId, partitionId, request.timestamp);
        return encodeReadAnswer({
          ...positions,
          records: new Uint8Array(0),
          timestampOffset: found?.offset ?? -1,
        });
      }
      const result = await target.readRecords(request.topicId as TopicId, request.partition as PartitionId, {
        startOffset: request.offset,
        maxBytes: request.maxBytes,
        maxWaitMs: request.maxWaitMs,
      });
      return encodeReadAnswer({
        highWatermark: result.highWatermark,
        logStartOffset: result.logStartOffset,
        records: result.bytes,
      });
    } catch (error) {
      if (error instanceof KafkaError) return encodeReadAnswer(error);
      throw error;
    }
  });
}
