// One request frame to one outcome, as Kafka's SocketServer and KafkaApis do it: the request header
// (its version from the API version), the API and version checked against what is advertised, the
// body decoded and handed to the API's handler, the response framed with its header. Sans I/O: the
// connection (connection.ts) writes the bytes or closes the socket.
import type { Logger } from 'pino';
import type { Session } from '../../common/security.ts';
import { KafkaError } from '../../common/kafka-errors.ts';
import {
  ADVERTISED_VERSIONS,
  API_VERSIONS_KEY,
  advertisedApiVersions,
  apiByKey,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../protocol/api-keys.ts';
import { MalformedMessageError, UnsupportedVersionError } from '../protocol/errors.ts';
import { encodeApiVersionsResponse } from '../protocol/generated/api-versions-response.ts';
import { saslAuthenticateApi, saslHandshakeApi } from '../protocol/generated/apis.ts';
import { decodeRequestHeader } from '../protocol/generated/request-header.ts';
import { encodeResponseHeader } from '../protocol/generated/response-header.ts';
import { Reader } from '../protocol/reader.ts';
import { Writer } from '../protocol/writer.ts';
import { CloseConnection, type ServedApi } from './api-handler.ts';
import {
  SASL_AUTHENTICATE_KEY,
  SASL_HANDSHAKE_KEY,
  type SaslAuthenticator,
} from './sasl/sasl-authenticator.ts';

/** UNSUPPORTED_VERSION (35). */
const UNSUPPORTED_VERSION = 35;
/** ILLEGAL_SASL_STATE (34): SASL on a listener without it (Kafka's KafkaApis answer). */
const ILLEGAL_SASL_STATE = 34;

/**
 * APIs about the connection itself, answered here from the connection's state rather than by a handler
 * of src/kafka/handlers (Kafka's SaslServerAuthenticator, before KafkaApis).
 */
export const CONNECTION_APIS: ReadonlySet<string> = new Set([
  saslHandshakeApi.name,
  saslAuthenticateApi.name,
]);

function connectionApiName(apiKey: number): string | undefined {
  const name = apiByKey(apiKey)?.name;
  return name !== undefined && CONNECTION_APIS.has(name) ? name : undefined;
}

/** The connection a frame came on, as the dispatcher needs it. */
export interface DispatchClient {
  /** "host:port" */
  readonly address: string;
  /** Who the connection is at the time the frame is read. */
  readonly session: Session;
  readonly logger: Logger;
  /** The connection's SASL state on a SASL_* listener; absent elsewhere (SaslHandshake is then refused). */
  readonly sasl?: SaslAuthenticator;
}

export type DispatchOutcome =
  /** throttleTimeMs > 0: the connection reads nothing more for that long once this is answered. */
  | { readonly kind: 'response'; readonly frame: Buffer; readonly throttleTimeMs: number }
  /** An answer after which the connection closes (a failed SASL authentication), once it is sent. */
  | { readonly kind: 'response-then-close'; readonly frame: Buffer; readonly reason: string }
  /** Produce with acks=0: the client reads no answer (but may be throttled all the same). */
  | { readonly kind: 'none'; readonly throttleTimeMs: number }
  /** What Kafka answers by closing the connection: an unknown API, a version not served, a malformed frame. */
  | { readonly kind: 'close'; readonly reason: string };

/** What the listener reports as it works (the node's Prometheus metrics). */
export interface KafkaListenerObserver {
  /** A request of `api` (its name, or "unknown") done: answered, not answered (acks=0), or its connection closed. */
  requestDone(api: string, outcome: DispatchOutcome['kind'], seconds: number): void;
  connectionOpened(): void;
  connectionClosed(): void;
}

export class RequestDispatcher {
  private readonly apis: ReadonlyMap<number, ServedApi>;
  readonly observer: KafkaListenerObserver | null;

  constructor(apis: readonly ServedApi[], observer: KafkaListenerObserver | null = null) {
    this.observer = observer;
    const byKey = new Map<number, ServedApi>();
    for (const api of apis) {
      if (byKey.has(api.apiKey)) throw new Error(`two handlers for API ${api.name}`);
      if (!ADVERTISED_VERSIONS.has(api.name))
        throw new Error(`a handler for ${api.name}, which is not advertised`);
      if (CONNECTION_APIS.has(api.name))
        throw new Error(`a handler for ${api.name}, which the dispatcher answers from the connection`);
      byKey.set(api.apiKey, api);
    }
    for (const name of ADVERTISED_VERSIONS.keys())
      if (!CONNECTION_APIS.has(name) && ![...byKey.values()].some((api) => api.name === name))
        throw new Error(`${name} is advertised but has no handler`);
    this.apis = byKey;
  }

  async dispatch(frame: Buffer, client: DispatchClient): Promise<DispatchOutcome> {
    const started = performance.now();
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    const name = this.apis.get(apiKey)?.name ?? connectionApiName(apiKey) ?? 'unknown';
    try {
      const outcome = await this.dispatchOnce(frame, client);
      this.observer?.requestDone(name, outcome.kind, (performance.now() - started) / 1000);
      return outcome;
    } catch (error) {
      this.observer?.requestDone(name, 'close', (performance.now() - started) / 1000);
      throw error;
    }
  }

  private async dispatchOnce(frame: Buffer, client: DispatchClient): Promise<DispatchOutcome> {
    if (frame.length < 8 && client.sasl?.expectsRawToken !== true)
      return { kind: 'close', reason: `a request of ${frame.length} bytes has no header` };
    const apiKey = frame.length < 8 ? -1 : frame.readInt16BE(0);
    const apiVersion = frame.length < 8 ? -1 : frame.readInt16BE(2);
    const correlationId = frame.length < 8 ? -1 : frame.readInt32BE(4);
    if (client.sasl?.expectsRawToken === true) return rawSaslToken(frame, client);
    // Before anything is decoded: an unauthenticated client gets no further than the SASL exchange.
    const refusal = client.sasl?.refusal(apiKey) ?? null;
    if (refusal !== null) return { kind: 'close', reason: refusal };
    const api = apiByKey(apiKey);
    const served = this.apis.get(apiKey);
    const connectionApi = api !== undefined && CONNECTION_APIS.has(api.name);
    if (api === undefined || api.advertised === null || (served === undefined && !connectionApi))
      return { kind: 'close', reason: `API key ${apiKey} is not served` };
    const { lowest, highest } = api.advertised;
    if (apiVersion < lowest || apiVersion > highest) {
      // KIP-511: a client newer than this broker asks ApiVersions at a version the broker does not know;
      // the answer is in v0's format (which every client reads) and lists what the broker has.
      if (apiKey === API_VERSIONS_KEY)
        return { kind: 'response', frame: unsupportedApiVersions(correlationId), throttleTimeMs: 0 };
      return { kind: 'close', reason: `${api.name} version ${apiVersion} is not in ${lowest}-${highest}` };
    }
    try {
      const reader = new Reader(frame);
      const header = decodeRequestHeader(reader, requestHeaderVersion(api, apiVersion));
      const logger = client.logger.child({
        api: api.name,
        version: apiVersion,
        correlationId,
        clientId: header.clientId,
      });
      if (served === undefined) return saslExchange(api.apiKey, apiVersion, correlationId, reader, client);
      let throttleTimeMs = 0;
      const encodeBody = await served.serve(reader, {
        apiVersion,
        correlationId,
        clientId: header.clientId,
        clientAddress: client.address,
        session: client.session,
        logger,
        throttled: (ms) => {
          throttleTimeMs = Math.max(throttleTimeMs, ms);
        },
      });
      if (encodeBody === null) return { kind: 'none', throttleTimeMs };
      if (encodeBody instanceof CloseConnection) return { kind: 'close', reason: encodeBody.reason };
      const writer = new Writer();
      const size = writer.reserveInt32();
      encodeResponseHeader(writer, { correlationId }, responseHeaderVersion(api, apiVersion));
      encodeBody(writer);
      writer.setInt32(size, writer.length - 4);
      return { kind: 'response', frame: writer.toBuffer(), throttleTimeMs };
    } catch (error) {
      // A KafkaError out of a handler: a request it cannot answer at all (this node has not caught up
      // with the metadata quorum yet, so it has no image to answer from); the client tries another.
      if (
        error instanceof MalformedMessageError ||
        error instanceof UnsupportedVersionError ||
        error instanceof KafkaError
      )
        return { kind: 'close', reason: `${api.name} v${apiVersion}: ${error.message}` };
      throw error;
    }
  }
}

/**
 * SaslHandshake / SaslAuthenticate, answered from the connection's SASL state: synchronously, so that the
 * frames after one see the state it left. On a listener without SASL both are ILLEGAL_SASL_STATE.
 */
function saslExchange(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  reader: Reader,
  client: DispatchClient,
): DispatchOutcome {
  const writer = new Writer();
  const size = writer.reserveInt32();
  let close: string | null;
  if (apiKey === SASL_HANDSHAKE_KEY) {
    const request = saslHandshakeApi.decodeRequest(reader, apiVersion);
    const answer = client.sasl?.handshake(request.mechanism, apiVersion) ?? {
      errorCode: ILLEGAL_SASL_STATE,
      mechanisms: [],
      close: null,
    };
    close = answer.close;
    encodeResponseHeader(writer, { correlationId }, 0);
    saslHandshakeApi.encodeResponse(
      writer,
      { errorCode: answer.errorCode, mechanisms: answer.mechanisms },
      apiVersion,
    );
  } else {
    if (apiKey !== SASL_AUTHENTICATE_KEY) throw new Error(`bug: API key ${apiKey} is not a SASL API`);
    const request = saslAuthenticateApi.decodeRequest(reader, apiVersion);
    const answer = client.sasl?.authenticate(Buffer.from(request.authBytes)) ?? {
      errorCode: ILLEGAL_SASL_STATE,
      errorMessage: 'SASL is not enabled on this listener',
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0n,
      close: null,
    };
    close = answer.close;
    const api = apiByKey(apiKey);
    if (api === undefined) throw new Error('bug: SaslAuthenticate is not in the API table');
    encodeResponseHeader(writer, { correlationId }, responseHeaderVersion(api, apiVersion));
    saslAuthenticateApi.encodeResponse(
      writer,
      {
        errorCode: answer.errorCode,
        errorMessage: answer.errorMessage,
        authBytes: answer.authBytes,
        sessionLifetimeMs: answer.sessionLifetimeMs,
      },
      apiVersion,
    );
  }
  writer.setInt32(size, writer.length - 4);
  if (close !== null) {
    client.logger.info({ reason: close }, 'SASL authentication refused');
    return { kind: 'response-then-close', frame: writer.toBuffer(), reason: close };
  }
  return { kind: 'response', frame: writer.toBuffer(), throttleTimeMs: 0 };
}

/**
 * A raw SASL token after SaslHandshake v0: the mechanism's message itself, answered by the server's
 * message, size-prefixed, no header. A refusal has no field to travel in: Kafka closes the connection.
 */
function rawSaslToken(frame: Buffer, client: DispatchClient): DispatchOutcome {
  const sasl = client.sasl;
  if (sasl === undefined) throw new Error('bug: a raw SASL token without SASL');
  const answer = sasl.authenticate(frame);
  if (answer.errorCode !== 0) {
    client.logger.info({ reason: answer.errorMessage }, 'SASL authentication refused');
    return { kind: 'close', reason: answer.errorMessage ?? 'SASL authentication failed' };
  }
  const response = Buffer.alloc(4 + answer.authBytes.length);
  response.writeInt32BE(answer.authBytes.length);
  answer.authBytes.copy(response, 4);
  return { kind: 'response', frame: response, throttleTimeMs: 0 };
}

function unsupportedApiVersions(correlationId: number): Buffer {
  const writer = new Writer();
  const size = writer.reserveInt32();
  encodeResponseHeader(writer, { correlationId }, 0);
  encodeApiVersionsResponse(
    writer,
    {
      errorCode: UNSUPPORTED_VERSION,
      apiKeys: advertisedApiVersions(),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    },
    0,
  );
  writer.setInt32(size, writer.length - 4);
  return writer.toBuffer();
}
