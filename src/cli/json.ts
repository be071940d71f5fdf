// Reading the server's JSON without trusting it: each accessor checks the type it returns and throws a
// CliError('response') naming the field, so a server that changed shape gives a clear message instead
// of "undefined" in the output.

import { CliError } from './errors.ts';

export type JsonObject = { readonly [key: string]: unknown };

function fail(what: string, context: string): never {
  throw new CliError('response', `Unexpected response from the server: ${what} (in ${context})`);
}

export function asObject(value: unknown, context: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('expected an object', context);
  return value as JsonObject;
}

export function asArray(value: unknown, context: string): readonly unknown[] {
  if (!Array.isArray(value)) fail('expected an array', context);
  return value;
}

/** The `data` array of a `{kind, metadata, data}` list, each element an object. */
export function listData(body: unknown, context: string): JsonObject[] {
  const data = asObject(body, context).data;
  return asArray(data, `${context}.data`).map((item, index) => asObject(item, `${context}.data[${index}]`));
}

export function stringField(object: JsonObject, key: string, context: string): string {
  const value = object[key];
  if (typeof value !== 'string') fail(`field '${key}' is not a string`, context);
  return value;
}

export function optionalStringField(object: JsonObject, key: string, context: string): string | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') fail(`field '${key}' is not a string`, context);
  return value;
}

export function numberField(object: JsonObject, key: string, context: string): number {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`field '${key}' is not a number`, context);
  return value;
}

export function optionalNumberField(object: JsonObject, key: string, context: string): number | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`field '${key}' is not a number`, context);
  return value;
}

export function optionalBooleanField(object: JsonObject, key: string, context: string): boolean | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') fail(`field '${key}' is not a boolean`, context);
  return value;
}

export function numberArrayField(object: JsonObject, key: string, context: string): number[] {
  return asArray(object[key], `${context}.${key}`).map((item, index) => {
    if (typeof item !== 'number' || !Number.isFinite(item)) fail(`${key}[${index}] is not a number`, context);
    return item;
  });
}

/** An array of objects under `key`; absent counts as empty. */
export function objectArrayField(object: JsonObject, key: string, context: string): JsonObject[] {
  const value = object[key];
  if (value === undefined || value === null) return [];
  return asArray(value, `${context}.${key}`).map((item, index) =>
    asObject(item, `${context}.${key}[${index}]`),
  );
}
