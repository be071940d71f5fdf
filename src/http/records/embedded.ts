// Embedded data: how the REST APIs carry keys, values and header values inside JSON, both ways.
// BINARY is base64 (strictly: a typo is an error, not silently different bytes), JSON is any JSON value
// stored as its UTF-8 JSON text, STRING is a string stored as UTF-8. JSON null is a null key/value.

import { HttpError } from '../errors.ts';

export type EmbeddedType = 'BINARY' | 'JSON' | 'STRING';
export const EMBEDDED_TYPES: readonly EmbeddedType[] = ['BINARY', 'JSON', 'STRING'];

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const EQUALS = 0x3d;

/** The value of a base64 digit (the text already matched BASE64). */
function sextet(code: number): number {
  if (code >= 0x61) return code - 0x61 + 26; // a-z
  if (code >= 0x41) return code - 0x41; // A-Z
  if (code >= 0x30) return code - 0x30 + 52; // 0-9
  return code === 0x2b ? 62 : 63; // + /
}

/**
 * Standard base64 (padding optional); anything Buffer.from would have to guess at is refused: a length
 * no bytes encode to, or a last digit with bits set that no byte sets (the text is not the encoding of
 * what it decodes to). Checked on the text itself: a REST produce decodes one per record.
 */
export function decodeBase64(text: string, field: string): Buffer {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === EQUALS) end--;
  const rest = end % 4;
  const unusedBits = rest === 2 ? 0x0f : rest === 3 ? 0x03 : 0;
  if (
    !BASE64.test(text) ||
    rest === 1 ||
    (unusedBits !== 0 && (sextet(text.charCodeAt(end - 1)) & unusedBits) !== 0)
  ) {
    throw new HttpError(
      'SERIALIZATION_ERROR',
      `Error serializing message. Field '${field}' is not valid base64.`,
    );
  }
  return Buffer.from(text, 'base64');
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
