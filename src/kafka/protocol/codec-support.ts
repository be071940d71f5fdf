// What the generated codecs (./generated) share: tagged fields they do not know, version checks and
// the errors of messages a version cannot carry.
import { assert } from '../../../raft/assert.ts';
import { UnsupportedVersionError } from './errors.ts';
import type { Reader } from './reader.ts';
import type { Writer } from './writer.ts';

/**
 * A tagged field this codec does not know (a newer peer's): kept as its raw bytes on decode and written
 * back on encode, so that a message passed through is not stripped of it.
 */
export interface TaggedField {
  readonly tag: number;
  readonly data: Uint8Array;
}

/** The default of every bytes field: shared, never written to. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

export function checkVersion(message: string, version: number, lowest: number, highest: number): void {
  if (!Number.isInteger(version) || version < lowest || version > highest) {
    throw new UnsupportedVersionError(`${message} version ${version} is not in ${lowest}-${highest}`);
  }
}

/** Kafka refuses to drop a field the version lacks unless the schema says it is ignorable. */
export function nonDefaultField(field: string, version: number): UnsupportedVersionError {
  return new UnsupportedVersionError(
    `${field} has a non-default value, which version ${version} cannot carry`,
  );
}

export function nullField(field: string, version: number): UnsupportedVersionError {
  return new UnsupportedVersionError(`${field} is null, which version ${version} cannot carry`);
}

/** Kafka's encoder refuses a message carrying tagged fields at a version without any (not flexible). */
export function refuseUnknownTaggedFields(
  struct: string,
  fields: readonly TaggedField[] | undefined,
  version: number,
): void {
  if (fields !== undefined && fields.length > 0) {
    throw new UnsupportedVersionError(
      `${struct} has tagged fields set, which version ${version} cannot carry`,
    );
  }
}

function writeTaggedField(writer: Writer, field: TaggedField): void {
  writer.writeUnsignedVarint(field.tag);
  writer.writeUnsignedVarint(field.data.length);
  writer.writeRaw(field.data);
}

/** The tagged-field section of a struct that has no known tagged fields. */
export function writeUnknownTaggedFields(writer: Writer, fields: readonly TaggedField[] | undefined): void {
  if (fields === undefined || fields.length === 0) {
    writer.writeUnsignedVarint(0);
    return;
  }
  writer.writeUnsignedVarint(fields.length);
  writeUnknownTaggedFieldsBefore(writer, fields, 0, Number.POSITIVE_INFINITY, false);
}

/**
 * Tagged fields go out in increasing tag order: writes the unknown fields from `index` whose tag is below
 * `tag` (the next known field's) and returns the index of the first one left.
 */
export function writeUnknownTaggedFieldsBefore(
  writer: Writer,
  fields: readonly TaggedField[] | undefined,
  index: number,
  tag: number,
  knownWritten: boolean,
): number {
  if (fields === undefined) return index;
  let next = index;
  for (; next < fields.length && fields[next]!.tag < tag; next++) {
    const field = fields[next]!;
    assert(
      next === 0 || fields[next - 1]!.tag < field.tag,
      'unknown tagged fields not in increasing tag order',
      {
        tags: fields.map((each) => each.tag),
      },
    );
    writeTaggedField(writer, field);
  }
  assert(!knownWritten || fields[next]?.tag !== tag, 'an unknown tagged field has the tag of a known one', {
    tag,
  });
  return next;
}

/**
 * Reads a tagged field that no known field claims, as its raw bytes up to `end`, onto `fields` (created on
 * the first one): returns the list.
 */
export function readUnknownTaggedField(
  reader: Reader,
  tag: number,
  end: number,
  fields: TaggedField[] | undefined,
): TaggedField[] {
  const list = fields ?? [];
  list.push({ tag, data: reader.readRaw(end - reader.offset) });
  return list;
}

/** How one API's messages are encoded and decoded (the table in ./generated/apis.ts). */
export interface ApiCodec<Request, Response> {
  readonly name: string;
  readonly apiKey: number;
  readonly lowestVersion: number;
  readonly highestVersion: number;
  /** The first flexible version (KIP-482), or null if none is. */
  readonly flexibleLowestVersion: number | null;
  readonly encodeRequest: (writer: Writer, message: Request, version: number) => void;
  readonly decodeRequest: (reader: Reader, version: number) => Request;
  readonly encodeResponse: (writer: Writer, message: Response, version: number) => void;
  readonly decodeResponse: (reader: Reader, version: number) => Response;
}
