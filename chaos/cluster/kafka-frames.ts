// Kafka request and response frames as a client writes and reads them: the header at the version's
// header version, the body by the generated codec. The whole-cluster simulation's Kafka clients and
// the listener tests (test/kafka/exchange.ts) both use these.
import { apiByKey, requestHeaderVersion, responseHeaderVersion } from '../../src/kafka/protocol/api-keys.ts';
import type { ApiCodec } from '../../src/kafka/protocol/codec-support.ts';
import { encodeRequestHeader } from '../../src/kafka/protocol/generated/request-header.ts';
import { decodeResponseHeader } from '../../src/kafka/protocol/generated/response-header.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';

/** A request frame's body (without the size prefix), as the dispatcher takes it. */
export function requestFrame<Request, Response>(
  codec: ApiCodec<Request, Response>,
  version: number,
  request: Request,
  correlationId: number,
  clientId = 'test',
): Buffer {
  const api = apiByKey(codec.apiKey)!;
  const writer = new Writer();
  encodeRequestHeader(
    writer,
    { requestApiKey: codec.apiKey, requestApiVersion: version, correlationId, clientId },
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
