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

export type JsonSequenceItem =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: HttpError };

/** Where the JSON value starting at `start` ends (exclusive); text.length when it never does. */
function valueEnd(text: string, start: number): number {
  const first = text[start];
  if (first !== '{' && first !== '[' && first !== '"') {
    let end = start;
    while (end < text.length && !/[\s{["]/.test(text[end]!)) end++;
    return end;
  }
  let depth = 0;
  let inString = false;
  for (let at = start; at < text.length; at++) {
    const char = text[at];
    if (inString) {
      if (char === '\\') at++;
      else if (char === '"') {
        inString = false;
        if (depth === 0) return at + 1;
      }
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return at + 1;
    }
  }
  return text.length;
}

/**
 * A body of concatenated JSON values (REST v3 streaming mode: `{...}{...}` or one per line), each parsed
 * on its own. A value that does not parse ends the sequence with its error: what follows it cannot be
 * told apart reliably.
 */
export function parseJsonSequence(text: string): JsonSequenceItem[] {
  const items: JsonSequenceItem[] = [];
  let at = 0;
  for (;;) {
    while (at < text.length && /\s/.test(text[at]!)) at++;
    if (at >= text.length) return items;
    const end = valueEnd(text, at);
    try {
      items.push({ ok: true, value: parseJsonBody(text.slice(at, end)) });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      items.push({ ok: false, error });
      return items;
    }
    at = end;
  }
}
