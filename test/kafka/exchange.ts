// Requests through the listener's dispatcher as a client sends them: framed bytes in (header at the
// version's header version, body by the generated codec), the response frame decoded back. So a test
// covers the header, the dispatch and the encoding of every field at the version asked.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { apiByKey, requestHeaderVersion, responseHeaderVersion } from '../../src/kafka/protocol/api-keys.ts';
import type { ApiCodec } from '../../src/kafka/protocol/codec-support.ts';
import { encodeRequestHeader } from '../../src/kafka/protocol/generated/request-header.ts';
import { decodeResponseHeader } from '../../src/kafka/protocol/generated/response-header.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';
import type { DispatchOutcome, RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';

export const silent: Logger = pino({ level: 'silent' });

let nextCorrelationId = 1;

/** A request frame's body (without the size prefix), as the dispatcher takes it. */
export function requestFrame<Request, Response>(
  codec: ApiCodec<Request, Response>,
  version: number,
  request: Request,
  correlationId: number,
): Buffer {
  const api = apiByKey(codec.apiKey)!;
  const writer = new Writer();
  encodeRequestHeader(
    writer,
    { requestApiKey: codec.apiKey, requestApiVersion: version, correlationId, clientId: 'test' },
    requestHeaderVersion(api, version),
  );
  codec.encodeRequest(writer, request, version);
  return writer.toBuffer();
}

/** Decodes a response frame (with its size prefix): its correlation id and body. */
export function decodeResponseFrame<Request, Response>(
  codec: ApiCodec<Request, Response>,
  version: number,
  frame: Buffer,
): { correlationId: number; response: Response } {
  const reader = new Reader(frame, 4);
  if (frame.readInt32BE(0) !== frame.length - 4) throw new Error('the size prefix does not match the frame');
  const header = decodeResponseHeader(reader, responseHeaderVersion(apiByKey(codec.apiKey)!, version));
  const response = codec.decodeResponse(reader, version);
  if (reader.remaining !== 0) throw new Error(`${reader.remaining} bytes left after the response`);
  return { correlationId: header.correlationId, response };
}

/** Sends `request` at `version` through `dispatcher`; the decoded response, or the outcome when there is none. */
export async function exchange<Request, Response>(
  dispatcher: RequestDispatcher,
  codec: ApiCodec<Request, Response>,
  version: number,
  request: Request,
): Promise<Response | Exclude<DispatchOutcome, { kind: 'response' }>> {
  const correlationId = nextCorrelationId++;
  const outcome = await dispatcher.dispatch(requestFrame(codec, version, request, correlationId), {
    address: 'test:1',
    logger: silent,
  });
  if (outcome.kind !== 'response') return outcome;
  const decoded = decodeResponseFrame(codec, version, outcome.frame);
  if (decoded.correlationId !== correlationId) throw new Error('the response has another correlation id');
  return decoded.response;
}

/** The response of an exchange that must have one. */
export async function answer<Request, Response>(
  dispatcher: RequestDispatcher,
  codec: ApiCodec<Request, Response>,
  version: number,
  request: Request,
): Promise<Response> {
  const result = await exchange(dispatcher, codec, version, request);
  if (
    typeof result === 'object' &&
    result !== null &&
    'kind' in result &&
    (result.kind === 'close' || result.kind === 'none')
  )
    throw new Error(`no response: ${JSON.stringify(result)}`);
  return result as Response;
}
