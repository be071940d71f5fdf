// The followers' Fetch endpoint on a node's internal listener: POST /internal/v1/replication/fetch with a
// protobuf FetchRequest (proto/broker.proto). Per-partition errors travel inside the FetchResponse; a
// body that does not decode is 400, a failure of the broker itself 500.
import type { Logger } from 'pino';
import type { InternalServer } from '../../raft/transport/http2-transport.ts';
import {
  FETCH_PATH,
  FetchCodecError,
  type FetchRequest,
  type FetchResponse,
  decodeFetchRequest,
  encodeFetchResponse,
} from '../replication/fetch-messages.ts';

const PROTOBUF = 'application/x-protobuf';

export interface FetchHandler {
  handleFetch(request: FetchRequest): Promise<FetchResponse>;
}

export function registerReplicationRoutes(
  server: InternalServer,
  handler: () => FetchHandler | null,
  logger: Logger,
): void {
  server.post(FETCH_PATH, async (request, reply) => {
    const body = request.body;
    if (!(body instanceof Uint8Array)) return reply.code(415).send(`The body must be ${PROTOBUF}`);
    const target = handler();
    if (target === null) return reply.code(503).send('This node is not a broker, or is not started yet.');
    let decoded: FetchRequest;
    try {
      decoded = decodeFetchRequest(body);
    } catch (error) {
      if (error instanceof FetchCodecError) return reply.code(400).send(error.message);
      throw error;
    }
    try {
      const response = await target.handleFetch(decoded);
      return reply
        .code(200)
        .type(PROTOBUF)
        .send(Buffer.from(encodeFetchResponse(response)));
    } catch (error) {
      logger.error({ err: error, replica: decoded.replicaId }, 'fetch failed');
      return reply.code(500).send('The fetch failed on the leader.');
    }
  });
}
