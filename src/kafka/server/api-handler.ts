// The contract between the listener and the API handlers (src/kafka/handlers): a handler takes one
// decoded request and answers a response (or nothing, for a Produce with acks=0). The listener owns
// frames, headers, versions and encoding; a handler owns what the API means.
import type { Logger } from 'pino';
import type { Session } from '../../common/security.ts';
import type { ApiCodec } from '../protocol/codec-support.ts';
import type { Reader } from '../protocol/reader.ts';
import type { Writer } from '../protocol/writer.ts';

/** Who sent a request, and at which version: what a handler may need besides the request. */
export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** "host:port" of the client. */
  readonly clientAddress: string;
  /** Who the connection authenticated as (ANONYMOUS without SASL or a client certificate). */
  readonly session: Session;
  readonly logger: Logger;
  /**
   * The client went over its quota (KIP-219): after this request's answer (which carries
   * throttle_time_ms), the connection reads nothing more from it for that long. Absent where there is
   * no connection to hold (handlers called in tests).
   */
  readonly throttled?: (throttleTimeMs: number) => void;
}

/** A handler's answer when the client expects none (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');

/**
 * A handler's answer when the connection must close instead: a Produce with acks=0 that failed, which
 * Kafka answers by closing, the only way such a client learns to refresh its metadata.
 */
export class CloseConnection {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

export interface ApiHandler<Request, Response> {
  readonly codec: ApiCodec<Request, Response>;
  /**
   * Answers `request`. Errors the API carries (per topic, per partition) belong in the response; a
   * throw is a bug or a request that cannot be answered at all, and closes the connection.
   */
  handle(request: Request, context: RequestContext): Promise<Response | typeof NO_RESPONSE | CloseConnection>;
}

/** A handler with its types erased behind closures, so the listener can keep handlers of every API in one table. */
export interface ServedApi {
  readonly apiKey: number;
  readonly name: string;
  /**
   * Decodes the request body from `reader` and answers: an encoder of the response body, null for none,
   * or a CloseConnection.
   */
  serve(
    reader: Reader,
    context: RequestContext,
  ): Promise<((writer: Writer) => void) | null | CloseConnection>;
}

export function servedApi<Request, Response>(handler: ApiHandler<Request, Response>): ServedApi {
  const codec = handler.codec;
  return {
    apiKey: codec.apiKey,
    name: codec.name,
    async serve(reader, context) {
      const request = codec.decodeRequest(reader, context.apiVersion);
      const response = await handler.handle(request, context);
      if (response === NO_RESPONSE) return null;
      if (response instanceof CloseConnection) return response;
      return (writer) => codec.encodeResponse(writer, response, context.apiVersion);
    },
  };
}
