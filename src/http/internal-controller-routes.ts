// The controller's RPC endpoint on a node's internal listener: POST /internal/v1/controller/<operation>
// with a protobuf body (proto/controller.proto). Errors are answered as a ControllerError message.
import type { Http2Session } from 'node:http2';
import type { Logger } from 'pino';
import type { InternalServer } from '../../raft/transport/http2-transport.ts';
import { isKafkaError } from '../common/kafka-errors.ts';
import {
  CONTROLLER_RPC_PATH,
  type ControllerMessages,
  type ControllerOperation,
  ControllerRpcCodecError,
  decodeRequest,
  encodeError,
  encodeResponse,
  isControllerOperation,
} from '../metadata/controller/rpc-codec.ts';

const PROTOBUF = 'application/x-protobuf';

/**
 * The connection a request came on, as the listener knows it: the HTTP/2 session (a token per peer in
 * the whole-cluster simulation). Only its identity matters.
 */
export type PeerConnection = object;

export interface ControllerRpcHandler {
  handle<O extends ControllerOperation>(
    operation: O,
    request: ControllerMessages[O]['request'],
    connection: PeerConnection | null,
  ): Promise<ControllerMessages[O]['response']>;
  /** `connection` closed (its peer's process may be gone: kill -9 closes its sockets at once). */
  connectionClosed(connection: PeerConnection): void;
  /** The node believed to be the active controller (0 if unknown), sent with NOT_CONTROLLER. */
  leaderHint(): number;
}

/** The status and protobuf body of the answer to one controller request. */
export interface ControllerReply {
  readonly statusCode: number;
  readonly body: Uint8Array;
}

/**
 * Answers one controller request: decodes it, runs it on the handler, encodes the response, or a
 * ControllerError with the leader hint (also used by the whole-cluster simulation, without HTTP).
 */
export async function answerControllerRequest(
  handler: ControllerRpcHandler,
  operation: string,
  body: unknown,
  logger: Pick<Logger, 'error'>,
  connection: PeerConnection | null = null,
): Promise<ControllerReply> {
  const fail = (statusCode: number, errorName: string, message: string): ControllerReply => ({
    statusCode,
    body: encodeError({ errorName, message, leaderId: handler.leaderHint() }),
  });
  if (!isControllerOperation(operation))
    return fail(404, 'INVALID_REQUEST', `Unknown operation ${operation}`);
  if (!(body instanceof Uint8Array)) return fail(415, 'INVALID_REQUEST', `The body must be ${PROTOBUF}`);
  try {
    const decoded = decodeRequest(operation, body);
    const response = await handler.handle(operation, decoded, connection);
    return { statusCode: 200, body: encodeResponse(operation, response) };
  } catch (error) {
    if (error instanceof ControllerRpcCodecError) return fail(400, 'INVALID_REQUEST', error.message);
    if (isKafkaError(error)) {
      return fail(error.retriable ? 503 : 400, error.errorName, error.message);
    }
    logger.error({ err: error, operation }, 'controller request failed');
    return fail(500, 'UNKNOWN_SERVER_ERROR', 'The controller failed to handle the request.');
  }
}

export function registerControllerRoutes(
  server: InternalServer,
  handler: ControllerRpcHandler,
  logger: Logger,
): void {
  const watched = new WeakSet<Http2Session>();
  server.post<{ Params: { operation: string } }>(
    `${CONTROLLER_RPC_PATH}:operation`,
    async (request, reply) => {
      const session = request.raw.stream.session;
      if (session !== undefined && !watched.has(session)) {
        watched.add(session);
        session.once('close', () => handler.connectionClosed(session));
      }
      const answer = await answerControllerRequest(
        handler,
        request.params.operation,
        request.body,
        logger,
        session ?? null,
      );
      return reply.code(answer.statusCode).type(PROTOBUF).send(Buffer.from(answer.body));
    },
  );
}
