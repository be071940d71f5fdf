// The application/json body parser. Unlike fastify's default it says WHERE the JSON is broken (as
// Confluent's JsonParseExceptionMapper does: 400, error_code 400), treats an empty body as no body (a
// DELETE sent with a JSON content type is fine; a route that needs a body says so through its schema),
// and, like fastify's secure-json-parse, refuses `__proto__` and `constructor.prototype` keys.

import { HttpError } from './errors.ts';

function hasForbiddenKey(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Object.hasOwn(value, '__proto__')) return true;
  const record = value as Record<string, unknown>;
  const constructorValue = Object.hasOwn(value, 'constructor') ? record.constructor : undefined;
  if (
    typeof constructorValue === 'object' &&
    constructorValue !== null &&
    Object.hasOwn(constructorValue, 'prototype')
  ) {
    return true;
  }
  return Object.values(record).some(hasForbiddenKey);
}

/** Parses a JSON body; throws HttpError MALFORMED_REQUEST with the parser's reason. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError('MALFORMED_REQUEST', `Malformed JSON: ${reason}`);
  }
  if ((text.includes('__proto__') || text.includes('constructor')) && hasForbiddenKey(value)) {
    throw new HttpError('MALFORMED_REQUEST', 'Malformed JSON: Object contains forbidden prototype property');
  }
  return value;
}
