// The v3 produce record (Confluent's ProduceRequest): {partition_id?, headers?: [{name, value}], key?:
// {type?, data}, value?: {type?, data}, timestamp?}, and our extension for idempotent producers:
// {producer_id, producer_epoch, sequence} with partition_id. Checked by hand rather than by a route
// schema because in streaming mode every record of a body is checked on its own and a bad one fails alone.

import { INT32_MAX } from '../../metadata/ids.ts';
import type { RecordHeader } from '../../storage/record-batch/record.ts';
import { HttpError } from '../errors.ts';
import type { EmbeddedType } from './embedded.ts';
import { EMBEDDED_TYPES, decodeBase64, embeddedBytes } from './embedded.ts';
import type { ProducerSequence, RecordInput } from './record-input.ts';

const RECORD_FIELDS = new Set(['partition_id', 'headers', 'key', 'value', 'timestamp']);
/** Our extension: an idempotent producer's fields (from POST .../producer-ids), all three or none. */
const PRODUCER_FIELDS = ['producer_id', 'producer_epoch', 'sequence'] as const;
const INT16_MAX = 0x7fff;
const DATA_FIELDS = new Set(['type', 'data']);
const HEADER_FIELDS = new Set(['name', 'value']);

function invalid(message: string): HttpError {
  return new HttpError('INVALID_PAYLOAD', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkFields(object: Record<string, unknown>, allowed: ReadonlySet<string>, prefix: string): void {
  for (const name of Object.keys(object)) {
    if (!allowed.has(name)) throw invalid(`Field '${prefix}${name}' is not allowed.`);
  }
}

function partitionIdOf(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value > INT32_MAX) {
    throw invalid("Field 'partition_id' must be an integer.");
  }
  // As Confluent: a negative partition is one that does not exist.
  if (value < 0) throw new HttpError('PARTITION_NOT_FOUND', `Partition ${value} cannot be found.`);
  return value;
}

function embedded(value: unknown, field: string): { type: EmbeddedType | null; bytes: Buffer | null } {
  if (value === undefined || value === null) return { type: null, bytes: null };
  if (!isObject(value)) throw invalid(`Field '${field}' must be an object {type, data}.`);
  checkFields(value, DATA_FIELDS, `${field}.`);
  const type = value.type ?? 'BINARY';
  if (typeof type !== 'string' || !(EMBEDDED_TYPES as readonly string[]).includes(type)) {
    throw invalid(`Field '${field}.type' must be one of ${EMBEDDED_TYPES.join(', ')}.`);
  }
  const embeddedType = type as EmbeddedType;
  return { type: embeddedType, bytes: embeddedBytes(embeddedType, value.data, `${field}.data`) };
}

function headersOf(value: unknown): RecordHeader[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("Field 'headers' must be an array.");
  return value.map((header: unknown, index) => {
    const field = `headers[${index}]`;
    if (!isObject(header)) throw invalid(`Field '${field}' must be an object {name, value}.`);
    checkFields(header, HEADER_FIELDS, `${field}.`);
    if (typeof header.name !== 'string') throw invalid(`Field '${field}.name' must be a string.`);
    const headerValue = header.value;
    if (headerValue !== undefined && headerValue !== null && typeof headerValue !== 'string') {
      throw invalid(`Field '${field}.value' must be a base64 string or null.`);
    }
    return {
      key: header.name,
      value: typeof headerValue === 'string' ? decodeBase64(headerValue, `${field}.value`) : null,
    };
  });
}

function nonNegativeInteger(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw invalid(`Field '${field}' must be an integer from 0 to ${max}.`);
  }
  return value;
}

/**
 * The producer fields of an idempotent record, or null when there are none. They need an explicit
 * partition: a sequence counts the producer's records in one partition.
 */
function producerSequenceOf(
  body: Record<string, unknown>,
  partitionId: number | null,
): ProducerSequence | null {
  const given = PRODUCER_FIELDS.filter((field) => body[field] !== undefined && body[field] !== null);
  if (given.length === 0) return null;
  if (given.length < PRODUCER_FIELDS.length) {
    throw invalid(`Fields ${PRODUCER_FIELDS.map((f) => `'${f}'`).join(', ')} go together.`);
  }
  if (partitionId === null) throw invalid("An idempotent record (with 'producer_id') needs 'partition_id'.");
  return {
    producerId: nonNegativeInteger(body.producer_id, 'producer_id', Number.MAX_SAFE_INTEGER),
    producerEpoch: nonNegativeInteger(body.producer_epoch, 'producer_epoch', INT16_MAX),
    sequence: nonNegativeInteger(body.sequence, 'sequence', INT32_MAX),
  };
}

/** ISO-8601 (Confluent's Instant) or epoch milliseconds. */
export function timestampOf(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isSafeInteger(ms) && ms >= 0 && /^\d{4}-\d{2}-\d{2}T/.test(value)) return ms;
  }
  throw invalid("Field 'timestamp' must be an ISO-8601 instant (e.g. 2021-02-05T19:14:42.274Z) or epoch ms.");
}

/** One v3 record; throws HttpError (422 / 42206, 42207; 404 / 40402 for a negative partition). */
export function parseV3Record(body: unknown, extraFields: ReadonlySet<string> = new Set()): RecordInput {
  if (!isObject(body)) throw invalid('A record must be a JSON object.');
  for (const name of Object.keys(body)) {
    const allowed =
      RECORD_FIELDS.has(name) ||
      extraFields.has(name) ||
      (PRODUCER_FIELDS as readonly string[]).includes(name);
    if (!allowed) throw invalid(`Field '${name}' is not allowed.`);
  }
  const key = embedded(body.key, 'key');
  const value = embedded(body.value, 'value');
  const partitionId = partitionIdOf(body.partition_id);
  return {
    partitionId,
    key: key.bytes,
    value: value.bytes,
    headers: headersOf(body.headers),
    timestamp: timestampOf(body.timestamp),
    keyType: key.type,
    valueType: value.type,
    idempotence: producerSequenceOf(body, partitionId),
  };
}
