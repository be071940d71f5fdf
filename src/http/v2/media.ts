// REST v2 media types (Confluent's Versions.java): requests carry the embedded format in the content type
// (binary: base64 keys and values; json: any JSON), responses are application/vnd.kafka.v2+json, and a
// records read answers in the embedded format its Accept header asks for.

import { HttpError } from '../errors.ts';

export const V2_JSON = 'application/vnd.kafka.v2+json';
export const V2_BINARY = 'application/vnd.kafka.binary.v2+json';
export const V2_JSON_JSON = 'application/vnd.kafka.json.v2+json';
/** The content types a v2 body may have (the plain one for requests without embedded data). */
export const V2_REQUEST_TYPES = [V2_JSON, V2_BINARY, V2_JSON_JSON] as const;

export type EmbeddedFormat = 'binary' | 'json';

function mediaType(header: string): string {
  return (header.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/** The embedded format of a produce body; other content types are 415, as Confluent's @Consumes. */
export function produceFormat(contentType: string | undefined): EmbeddedFormat {
  const type = mediaType(contentType ?? '');
  if (type === V2_BINARY) return 'binary';
  if (type === V2_JSON_JSON) return 'json';
  throw new HttpError(
    'UNSUPPORTED_MEDIA_TYPE',
    `HTTP 415 Unsupported Media Type: produce with Content-Type ${V2_BINARY} or ${V2_JSON_JSON}.`,
  );
}

/**
 * The embedded format a records read answers in. No preference (no Accept, *\/*, the plain v2 or JSON
 * type) is binary, which holds any bytes; a format we do not serve (avro, protobuf, ...) is 406 / 40601.
 */
export function readFormat(accept: string | undefined): EmbeddedFormat {
  const types = (accept ?? '')
    .split(',')
    .map(mediaType)
    .filter((type) => type !== '');
  if (types.length === 0) return 'binary';
  for (const type of types) {
    if (type === V2_BINARY) return 'binary';
    if (type === V2_JSON_JSON) return 'json';
  }
  if (
    types.some(
      (type) => type === '*/*' || type === V2_JSON || type === 'application/json' || type === 'application/*',
    )
  ) {
    return 'binary';
  }
  throw new HttpError(
    'CONSUMER_FORMAT_MISMATCH',
    `The requested embedded data format is not served: Accept ${V2_BINARY} or ${V2_JSON_JSON}.`,
  );
}

export function responseType(format: EmbeddedFormat): string {
  return format === 'binary' ? V2_BINARY : V2_JSON_JSON;
}
