// Kafka's JSON message schemas (proto/kafka/*.json) read into a model that the generator and the
// property tests share. The format is Kafka's own (clients/src/main/resources/common/message/README.md
// in apache/kafka): JSON with `//` comments, versions as "3+", "0-7" or "none".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An inclusive range of versions; `highest` is Infinity for "N+"; empty when lowest > highest. */
export interface Versions {
  readonly lowest: number;
  readonly highest: number;
}

export const NO_VERSIONS: Versions = { lowest: 1, highest: 0 };

export function parseVersions(text: string): Versions {
  const trimmed = text.trim();
  if (trimmed === 'none') return NO_VERSIONS;
  const plus = /^(\d+)\+$/.exec(trimmed);
  if (plus !== null) return { lowest: Number(plus[1]), highest: Number.POSITIVE_INFINITY };
  const range = /^(\d+)-(\d+)$/.exec(trimmed);
  if (range !== null) return { lowest: Number(range[1]), highest: Number(range[2]) };
  const single = /^(\d+)$/.exec(trimmed);
  if (single !== null) return { lowest: Number(single[1]), highest: Number(single[1]) };
  throw new Error(`bad versions "${text}"`);
}

export function isEmpty(versions: Versions): boolean {
  return versions.lowest > versions.highest;
}

export function contains(versions: Versions, version: number): boolean {
  return version >= versions.lowest && version <= versions.highest;
}

export function intersect(a: Versions, b: Versions): Versions {
  const result = { lowest: Math.max(a.lowest, b.lowest), highest: Math.min(a.highest, b.highest) };
  return isEmpty(result) ? NO_VERSIONS : result;
}

export const PRIMITIVE_TYPES = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
] as const;
export type PrimitiveTypeName = (typeof PRIMITIVE_TYPES)[number];

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveTypeName }
  | { readonly kind: 'struct'; readonly struct: StructSchema }
  | { readonly kind: 'array'; readonly element: FieldType };

export interface FieldSchema {
  /** Kafka's name, e.g. ThrottleTimeMs. */
  readonly name: string;
  /** The name in TypeScript: Kafka's with its first letter in lower case, as Kafka's Java generator does. */
  readonly property: string;
  readonly type: FieldType;
  readonly versions: Versions;
  readonly nullableVersions: Versions;
  /** Versions in which the field is a tagged field (KIP-482); empty if never. */
  readonly taggedVersions: Versions;
  readonly tag: number | null;
  readonly ignorable: boolean;
  /** The schema's `default`, as written; undefined for the type's own default. */
  readonly defaultText: string | undefined;
  /** A field's own flexibleVersions (RequestHeader's ClientId: "none"); null to follow the message. */
  readonly flexibleVersions: Versions | null;
  readonly about: string;
}

export interface StructSchema {
  readonly name: string;
  readonly fields: readonly FieldSchema[];
  /** Versions in which this struct can appear (used to fold version checks). */
  readonly versions: Versions;
}

export interface MessageSchema {
  readonly name: string;
  readonly kind: 'request' | 'response' | 'header';
  readonly apiKey: number | null;
  readonly validVersions: Versions;
  readonly flexibleVersions: Versions;
  /** The message's own fields as a struct named after the message. */
  readonly root: StructSchema;
  /** Every struct of the message except the root, each once, in the order first met. */
  readonly structs: readonly StructSchema[];
  readonly fileName: string;
}

/** Kafka's schemas are JSON with whole-line and trailing `//` comments; a `//` inside a string (a URL in
 * an `about`) is kept. */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let inString = false;
      for (let index = 0; index < line.length; index++) {
        const character = line[index];
        if (character === '"' && line[index - 1] !== '\\') inString = !inString;
        if (!inString && character === '/' && line[index + 1] === '/') return line.slice(0, index);
      }
      return line;
    })
    .join('\n');
}

interface RawField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  ignorable?: boolean;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: RawField[];
  about?: string;
}

interface RawMessage {
  name: string;
  type: 'request' | 'response' | 'header';
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  fields: RawField[];
  commonStructs?: { name: string; versions: string; fields: RawField[] }[];
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function parseMessage(fileName: string, text: string): MessageSchema {
  const raw = JSON.parse(stripComments(text)) as RawMessage;
  const validVersions = parseVersions(raw.validVersions);
  const structs = new Map<string, StructSchema>();
  const common = new Map((raw.commonStructs ?? []).map((struct) => [struct.name, struct]));

  const structOf = (name: string, rawFields: RawField[] | undefined, versions: Versions): StructSchema => {
    const known = structs.get(name);
    if (known !== undefined) {
      if (rawFields !== undefined && !common.has(name)) throw new Error(`${fileName}: struct ${name} twice`);
      return known;
    }
    const commonStruct = common.get(name);
    const fieldsSource = rawFields ?? commonStruct?.fields;
    if (fieldsSource === undefined) throw new Error(`${fileName}: unknown type ${name}`);
    // A common struct may be used in several places: its checks cannot be folded beyond the message's.
    const structVersions = commonStruct === undefined ? versions : validVersions;
    const fields: FieldSchema[] = [];
    const struct: StructSchema = { name, fields, versions: structVersions };
    structs.set(name, struct);
    for (const field of fieldsSource) fields.push(fieldOf(field, structVersions));
    return struct;
  };

  const typeOf = (field: RawField, versions: Versions): FieldType => {
    const text = field.type;
    if (text.startsWith('[]')) {
      const elementName = text.slice(2);
      if ((PRIMITIVE_TYPES as readonly string[]).includes(elementName)) {
        return { kind: 'array', element: { kind: 'primitive', name: elementName as PrimitiveTypeName } };
      }
      return {
        kind: 'array',
        element: { kind: 'struct', struct: structOf(elementName, field.fields, versions) },
      };
    }
    if ((PRIMITIVE_TYPES as readonly string[]).includes(text)) {
      return { kind: 'primitive', name: text as PrimitiveTypeName };
    }
    return { kind: 'struct', struct: structOf(text, field.fields, versions) };
  };

  const fieldOf = (field: RawField, parentVersions: Versions): FieldSchema => {
    const versions = parseVersions(field.versions);
    const type = typeOf(field, intersect(versions, parentVersions));
    const nullableVersions =
      field.nullableVersions === undefined ? NO_VERSIONS : parseVersions(field.nullableVersions);
    if (type.kind === 'struct' && !isEmpty(nullableVersions)) {
      throw new Error(`${fileName}: nullable struct ${field.name} is not supported`);
    }
    const taggedVersions =
      field.taggedVersions === undefined ? NO_VERSIONS : parseVersions(field.taggedVersions);
    if (!isEmpty(taggedVersions) && field.tag === undefined)
      throw new Error(`${fileName}: ${field.name} has no tag`);
    return {
      name: field.name,
      property: lowerFirst(field.name),
      type,
      versions,
      nullableVersions,
      taggedVersions,
      tag: field.tag ?? null,
      ignorable: field.ignorable === true,
      defaultText: field.default === undefined ? undefined : String(field.default),
      flexibleVersions: field.flexibleVersions === undefined ? null : parseVersions(field.flexibleVersions),
      about: field.about ?? '',
    };
  };

  const rootFields: FieldSchema[] = [];
  const root: StructSchema = { name: raw.name, fields: rootFields, versions: validVersions };
  for (const field of raw.fields) rootFields.push(fieldOf(field, validVersions));
  return {
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey ?? null,
    validVersions,
    flexibleVersions: parseVersions(raw.flexibleVersions),
    root,
    structs: [...structs.values()],
    fileName,
  };
}

export const SCHEMA_DIRECTORY = new URL('../../proto/kafka/', import.meta.url).pathname;

/** Every schema in proto/kafka, by file name. */
export function loadMessageSchemas(directory = SCHEMA_DIRECTORY): MessageSchema[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => parseMessage(name, readFileSync(join(directory, name), 'utf8')));
}
