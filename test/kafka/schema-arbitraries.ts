// fast-check arbitraries of Kafka messages at one version, built from the same schemas the generator
// reads (scripts/kafka-protocol/schema.ts): every field the version carries gets any value its type
// allows (null where the version allows it), every other field its default, and structs of flexible
// versions sometimes carry tagged fields nobody knows.
import fc from 'fast-check';
import {
  contains,
  type FieldSchema,
  type FieldType,
  isEmpty,
  type MessageSchema,
  type StructSchema,
} from '../../scripts/kafka-protocol/schema.ts';

export type Value = unknown;

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const fromEnvironment = process.env.KAFKA_SEED;
const SEED = fromEnvironment === undefined ? (Math.random() * 0x7fff_ffff) | 0 : Number(fromEnvironment);
let seedPrinted = false;

/** One seed per test file, printed once; every property of the file runs from it. */
export function fcParameters(numRuns: number): { seed: number; numRuns: number } {
  if (!seedPrinted) {
    console.log(`[kafka] protocol properties: seed ${SEED} (replay: KAFKA_SEED=${SEED})`);
    seedPrinted = true;
  }
  return { seed: SEED, numRuns };
}

/** The value a decoder gives a field the version lacks (Kafka's defaults, worked out independently). */
export function defaultValue(field: FieldSchema): Value {
  const text = field.defaultText;
  const type = field.type;
  if (type.kind === 'array') return text === 'null' ? null : [];
  if (type.kind === 'struct') return defaultStruct(type.struct);
  switch (type.name) {
    case 'int64':
      return BigInt(text ?? 0);
    case 'bool':
      return text === 'true';
    case 'string':
      return text === 'null' ? null : (text ?? '');
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return new Uint8Array(0);
    case 'records':
      return null;
    default:
      return text === undefined ? 0 : Number(text);
  }
}

function defaultStruct(struct: StructSchema): Record<string, Value> {
  return Object.fromEntries(struct.fields.map((field) => [field.property, defaultValue(field)]));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function primitiveArbitrary(name: string): fc.Arbitrary<Value> {
  switch (name) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -0x80, max: 0x7f });
    case 'int16':
      return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'int32':
      return fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
    case 'uint32':
      return fc.integer({ min: 0, max: 0xffff_ffff });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double({ noNaN: true }).map((value) => (Object.is(value, -0) ? 0 : value));
    case 'string':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => {
        const text = hex(bytes);
        return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
      });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 });
    default:
      throw new Error(`no arbitrary for ${name}`);
  }
}

function typeArbitrary(type: FieldType, message: MessageSchema, version: number): fc.Arbitrary<Value> {
  switch (type.kind) {
    case 'primitive':
      return primitiveArbitrary(type.name);
    case 'array':
      return fc.array(typeArbitrary(type.element, message, version), { maxLength: 3 });
    case 'struct':
      return structArbitrary(type.struct, message, version);
  }
}

function fieldArbitrary(field: FieldSchema, message: MessageSchema, version: number): fc.Arbitrary<Value> {
  if (!contains(field.versions, version)) return fc.constant(defaultValue(field));
  const value = typeArbitrary(field.type, message, version);
  return contains(field.nullableVersions, version) ? fc.option(value, { nil: null, freq: 4 }) : value;
}

function knownTags(struct: StructSchema): Set<number> {
  return new Set(struct.fields.flatMap((field) => (field.tag === null ? [] : [field.tag])));
}

/** Tagged fields of tags no field of the struct has, in increasing tag order, or undefined. */
function unknownTaggedFieldsArbitrary(
  struct: StructSchema,
): fc.Arbitrary<{ tag: number; data: Uint8Array }[] | undefined> {
  const known = knownTags(struct);
  const tags = fc.uniqueArray(
    fc.integer({ min: 0, max: 300 }).filter((tag) => !known.has(tag)),
    { minLength: 1, maxLength: 3 },
  );
  const fields = tags.chain((chosen) =>
    fc.tuple(
      ...chosen
        .sort((a, b) => a - b)
        .map((tag) => fc.uint8Array({ maxLength: 200 }).map((data) => ({ tag, data }))),
    ),
  );
  return fc.option(fields, { nil: undefined, freq: 3 });
}

export function structArbitrary(
  struct: StructSchema,
  message: MessageSchema,
  version: number,
): fc.Arbitrary<Record<string, Value>> {
  const fields: Record<string, fc.Arbitrary<Value>> = {};
  for (const field of struct.fields) fields[field.property] = fieldArbitrary(field, message, version);
  const record = fc.record(fields);
  if (isEmpty(message.flexibleVersions) || !contains(message.flexibleVersions, version)) return record;
  return fc
    .tuple(record, unknownTaggedFieldsArbitrary(struct))
    .map(([value, unknown]) => (unknown === undefined ? value : { ...value, unknownTaggedFields: unknown }));
}

export function messageArbitrary(
  message: MessageSchema,
  version: number,
): fc.Arbitrary<Record<string, Value>> {
  return structArbitrary(message.root, message, version);
}

export function versionsOf(message: MessageSchema): number[] {
  const versions: number[] = [];
  for (let version = message.validVersions.lowest; version <= message.validVersions.highest; version++) {
    versions.push(version);
  }
  return versions;
}
