// Shared protobuf plumbing of the metadata codecs (records.ts, snapshot.ts): the schema in
// proto/metadata.proto loaded at runtime by protobufjs, and checked readers of the decoded plain
// objects. Bytes come from disk or from a peer (snapshot transfer), so every read is checked and every
// failure is a MetadataCodecError.

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { BrokerId } from './ids.ts';
import { INT32_MAX, NIL_UUID, NO_LEADER, brokerId, isUuid } from './ids.ts';

/** Bytes that are not a valid metadata record batch or snapshot: corrupt storage or a bad peer. */
export class MetadataCodecError extends Error {
  override readonly name = 'MetadataCodecError';
}

const protoPath = fileURLToPath(new URL('../../proto/metadata.proto', import.meta.url));
const root = protobuf.loadSync(protoPath);

export function lookupType(name: string): protobuf.Type {
  return root.lookupType(`metadata.${name}`);
}

// uint64 as number (checked for precision below), enums as numbers, absent repeated fields as [].
// Proto3 `optional` fields and message fields stay absent (undefined/null) when not set.
const toObjectOptions: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  oneofs: true,
};

export type Fields = Readonly<Record<string, unknown>>;

export function fail(what: string, reason: string): never {
  throw new MetadataCodecError(`bad metadata ${what}: ${reason}`);
}

/** Decodes `bytes` as `type` into a plain object, or throws a MetadataCodecError. */
export function parseWire(type: protobuf.Type, bytes: Uint8Array, what: string): Fields {
  try {
    return type.toObject(type.decode(bytes), toObjectOptions);
  } catch (error) {
    throw new MetadataCodecError(
      `bad metadata ${what}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Reads fields at `where` (a path for messages), failing with the name of the thing decoded. */
export class Reader {
  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }

  fail(reason: string): never {
    return fail(this.what, reason);
  }

  fields(value: unknown, where: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${where} is missing`);
    return value as Fields;
  }

  safeInteger(fields: Fields, name: string, where: string): number {
    const value = fields[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.fail(`${where}.${name} is not a safe non-negative integer`);
    }
    return value;
  }

  int32(fields: Fields, name: string, where: string): number {
    const value = this.safeInteger(fields, name, where);
    if (value > INT32_MAX) this.fail(`${where}.${name} is above 2^31-1`);
    return value;
  }

  positive(fields: Fields, name: string, where: string): number {
    const value = this.safeInteger(fields, name, where);
    if (value === 0) this.fail(`${where}.${name} is 0`);
    return value;
  }

  leader(fields: Fields, name: string, where: string): BrokerId {
    const value = fields[name];
    if (value === NO_LEADER) return NO_LEADER;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > INT32_MAX) {
      this.fail(`${where}.${name} is neither -1 nor a broker id`);
    }
    return brokerId(value);
  }

  brokerIds(fields: Fields, name: string, where: string): BrokerId[] {
    return this.array(fields, name, where).map((id, i) =>
      brokerId(this.int32({ id }, 'id', `${where}.${name}[${i}]`)),
    );
  }

  boolean(fields: Fields, name: string, where: string): boolean {
    const value = fields[name];
    if (typeof value !== 'boolean') this.fail(`${where}.${name} is not a boolean`);
    return value;
  }

  /** An optional boolean: null when absent. */
  optionalBoolean(fields: Fields, name: string, where: string): boolean | null {
    return fields[name] == null ? null : this.boolean(fields, name, where);
  }

  string(fields: Fields, name: string, where: string): string {
    const value = fields[name];
    if (typeof value !== 'string') this.fail(`${where}.${name} is not a string`);
    return value;
  }

  optionalString(fields: Fields, name: string, where: string): string | null {
    return fields[name] == null ? null : this.string(fields, name, where);
  }

  uuid(fields: Fields, name: string, where: string): string {
    const value = this.string(fields, name, where);
    if (!isUuid(value) || value === NIL_UUID) this.fail(`${where}.${name} is not a lower-case, non-nil UUID`);
    return value;
  }

  array(fields: Fields, name: string, where: string): readonly unknown[] {
    const value = fields[name];
    if (!Array.isArray(value)) this.fail(`${where}.${name} is not a list`);
    return value;
  }

  strings(fields: Fields, name: string, where: string): string[] {
    return this.array(fields, name, where).map((item, i) =>
      this.string({ item }, 'item', `${where}.${name}[${i}]`),
    );
  }
}
