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
import { decodeRequestHeader } from '../protocol/generated/request-header.ts';
import { encodeResponseHeader } from '../protocol/generated/response-header.ts';
import { Reader } from '../protocol/reader.ts';
import { Writer } from '../protocol/writer.ts';
import { CloseConnection, type ServedApi } from './api-handler.ts';

/** UNSUPPORTED_VERSION (35). */
const UNSUPPORTED_VERSION = 35;

export type DispatchOutcome =
  /** throttleTimeMs > 0: the connection reads nothing more for that long once this is answered. */
  | { readonly kind: 'response'; readonly frame: Buffer; readonly throttleTimeMs: number }
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
      byKey.set(api.apiKey, api);
    }
    for (const name of ADVERTISED_VERSIONS.keys())
      if (![...byKey.values()].some((api) => api.name === name))
        throw new Error(`${name} is advertised but has no handler`);
    this.apis = byKey;
  }

  async dispatch(
    frame: Buffer,
    client: { readonly address: string; readonly session: Session; readonly logger: Logger },
  ): Promise<DispatchOutcome> {
    const started = performance.now();
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    const name = this.apis.get(apiKey)?.name ?? 'unknown';
    try {
      const outcome = await this.dispatchOnce(frame, client);
      this.observer?.requestDone(name, outcome.kind, (performance.now() - started) / 1000);
      return outcome;
    } catch (error) {
      this.observer?.requestDone(name, 'close', (performance.now() - started) / 1000);
      throw error;
    }
  }

  private async dispatchOnce(
    frame: Buffer,
    client: { readonly address: string; readonly session: Session; readonly logger: Logger },
  ): Promise<DispatchOutcome> {
    if (frame.length < 8)
      return { kind: 'close', reason: `a request of ${frame.length} bytes has no header` };
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const api = apiByKey(apiKey);
    const served = this.apis.get(apiKey);
    if (api === undefined || api.advertised === null || served === undefined)
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
