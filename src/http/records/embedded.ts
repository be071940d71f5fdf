// Embedded data: how the REST APIs carry keys, values and header values inside JSON, both ways.
// BINARY is base64 (strictly: a typo is an error, not silently different bytes), JSON is any JSON value
// stored as its UTF-8 JSON text, STRING is a string stored as UTF-8. JSON null is a null key/value.

import { HttpError } from '../errors.ts';

export type EmbeddedType = 'BINARY' | 'JSON' | 'STRING';
export const EMBEDDED_TYPES: readonly EmbeddedType[] = ['BINARY', 'JSON', 'STRING'];

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard base64 (padding optional); anything Buffer.from would have to guess at is refused. */
export function decodeBase64(text: string, field: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  const unpadded = text.replace(/=+$/, '');
  if (!BASE64.test(text) || bytes.toString('base64').replace(/=+$/, '') !== unpadded) {
    throw new HttpError(
      'SERIALIZATION_ERROR',
      `Error serializing message. Field '${field}' is not valid base64.`,
    );
  }
  return bytes;
}

/** The bytes of embedded `data` of `type`; null data is a null key/value. */
export function embeddedBytes(type: EmbeddedType, data: unknown, field: string): Buffer | null {
  if (data === null || data === undefined) return null;
  switch (type) {
    case 'BINARY':
      if (typeof data !== 'string') {
        throw new HttpError(
          'SERIALIZATION_ERROR',
          `Error serializing message. Field '${field}' must be a base64 string for type BINARY.`,
        );
      }
      return decodeBase64(data, field);
    case 'STRING':
      if (typeof data !== 'string') {
        throw new HttpError(
          'SERIALIZATION_ERROR',
          `Error serializing message. Field '${field}' must be a string for type STRING.`,
        );
      }
      return Buffer.from(data, 'utf8');
    case 'JSON':
      return Buffer.from(JSON.stringify(data), 'utf8');
  }
}

/** A record's bytes as JSON for a json-format reader: parsed JSON; a record that is not JSON is refused. */
export function bytesAsJson(bytes: Buffer | null, what: string): unknown {
  if (bytes === null) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(
      'CONSUMER_FORMAT_MISMATCH',
      `The ${what} is not JSON: read it with Accept: application/vnd.kafka.binary.v2+json.`,
    );
  }
}
