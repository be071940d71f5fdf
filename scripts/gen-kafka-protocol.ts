// Generates src/kafka/protocol/generated/ from Kafka's message schemas in proto/kafka/ (npm run gen:kafka).
// `--check` writes nothing and fails when the committed output differs from what it would write.
//
// Per message: its TypeScript types, default<Struct>() and isDefault<Struct>(), and encode<Message>(writer,
// message, version) / decode<Message>(reader, version) as straight-line code with the version checks
// inline (as Kafka's Java generator writes them): nothing reads the schema at run time.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  contains,
  type FieldSchema,
  type FieldType,
  intersect,
  isEmpty,
  loadMessageSchemas,
  type MessageSchema,
  type StructSchema,
  type Versions,
} from './kafka-protocol/schema.ts';

export const OUTPUT_DIRECTORY = new URL('../src/kafka/protocol/generated/', import.meta.url).pathname;

/** Names the generated functions use for themselves: no field may take one. */
const INTERNAL_NAMES = new Set([
  'r',
  'w',
  'm',
  'version',
  'n',
  'i',
  'items',
  'item',
  'tag',
  'end',
  'tagCount',
  'mark',
  'unknownIndex',
  'unknownTaggedFields',
  'result',
]);

function quote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** A condition on `version` within `context` (the versions the code runs in), folded when constant. */
function versionCondition(range: Versions, context: Versions): string {
  const effective = intersect(range, context);
  if (isEmpty(effective)) return 'false';
  const parts: string[] = [];
  if (effective.lowest > context.lowest) parts.push(`version >= ${effective.lowest}`);
  if (effective.highest < context.highest) parts.push(`version <= ${effective.highest}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

function pick(condition: string, whenTrue: string, whenFalse: string): string {
  if (condition === 'true') return whenTrue;
  if (condition === 'false') return whenFalse;
  return `(${condition} ? ${whenTrue} : ${whenFalse})`;
}

function isNullableAnywhere(field: FieldSchema): boolean {
  return field.type.kind === 'primitive' && field.type.name === 'records'
    ? true
    : !isEmpty(field.nullableVersions);
}

function typeName(type: FieldType): string {
  switch (type.kind) {
    case 'struct':
      return type.struct.name;
    case 'array': {
      const element = typeName(type.element);
      return `${element}[]`;
    }
    case 'primitive':
      switch (type.name) {
        case 'int64':
          return 'bigint';
        case 'bool':
          return 'boolean';
        case 'string':
        case 'uuid':
          return 'string';
        case 'bytes':
        case 'records':
          return 'Uint8Array';
        default:
          return 'number';
      }
  }
}

function fieldTypeName(field: FieldSchema): string {
  const base = typeName(field.type);
  return isNullableAnywhere(field) ? `${base} | null` : base;
}

function defaultLiteral(field: FieldSchema): string {
  const text = field.defaultText;
  const type = field.type;
  if (type.kind === 'array') return text === 'null' ? 'null' : '[]';
  if (type.kind === 'struct') return `default${type.struct.name}()`;
  switch (type.name) {
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
      return text === undefined
        ? '0'
        : String(text.startsWith('0x') ? Number.parseInt(text, 16) : Number(text));
    case 'float64':
      return text === undefined ? '0' : String(Number(text));
    case 'int64':
      return `${BigInt(text ?? '0')}n`;
    case 'bool':
      return text === 'true' ? 'true' : 'false';
    case 'string':
      return text === 'null' ? 'null' : quote(text ?? '');
    case 'uuid':
      if (text !== undefined) throw new Error(`uuid default ${text} is not supported`);
      return 'ZERO_UUID';
    case 'bytes':
      return text === 'null' ? 'null' : 'EMPTY_BYTES';
    case 'records':
      return 'null';
  }
}

/** An expression true when `value` differs from the field's default. */
function nonDefault(field: FieldSchema, value: string): string {
  const type = field.type;
  const literal = defaultLiteral(field);
  if (type.kind === 'struct') return `!isDefault${type.struct.name}(${value})`;
  if (
    type.kind === 'array' ||
    (type.kind === 'primitive' && (type.name === 'bytes' || type.name === 'records'))
  ) {
    if (literal === 'null') return `${value} !== null`;
    return isNullableAnywhere(field)
      ? `(${value} === null || ${value}.length !== 0)`
      : `${value}.length !== 0`;
  }
  return `${value} !== ${literal}`;
}

const FIXED_BYTES: Partial<Record<string, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

const FIXED_METHODS: Partial<Record<string, string>> = {
  bool: 'Bool',
  int8: 'Int8',
  int16: 'Int16',
  uint16: 'UInt16',
  int32: 'Int32',
  uint32: 'UInt32',
  int64: 'Int64',
  float64: 'Float64',
  uuid: 'Uuid',
};

class Lines {
  readonly lines: string[] = [];
  private depth = 0;
  line(text: string): void {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
  }
  open(text: string): void {
    this.line(text);
    this.depth++;
  }
  close(text = '}'): void {
    this.depth--;
    this.line(text);
  }
  /** `if (condition) { body }`, folded when the condition is constant. */
  when(condition: string, body: () => void, otherwise?: () => void): void {
    if (condition === 'true') {
      body();
      return;
    }
    if (condition === 'false') {
      otherwise?.();
      return;
    }
    this.open(`if (${condition}) {`);
    body();
    if (otherwise === undefined) {
      this.close();
      return;
    }
    this.close('} else {');
    this.depth++;
    otherwise();
    this.close();
  }
}

class MessageGenerator {
  private readonly out = new Lines();
  private readonly message: MessageSchema;
  private readonly imports = new Set<string>();

  constructor(message: MessageSchema) {
    this.message = message;
    for (const struct of [message.root, ...message.structs]) {
      for (const field of struct.fields) {
        if (INTERNAL_NAMES.has(field.property)) {
          throw new Error(`${message.name}: field ${field.name} takes a name the generated code uses`);
        }
        if (!isEmpty(field.taggedVersions)) {
          const same =
            field.taggedVersions.lowest === field.versions.lowest &&
            field.taggedVersions.highest === field.versions.highest;
          if (!same) throw new Error(`${message.name}: ${field.name} is tagged in only some of its versions`);
        }
      }
    }
  }

  private get hasFlexibleVersions(): boolean {
    return !isEmpty(intersect(this.message.flexibleVersions, this.message.validVersions));
  }

  private flexibleCondition(context: Versions, field?: FieldSchema): string {
    return versionCondition(field?.flexibleVersions ?? this.message.flexibleVersions, context);
  }

  generate(): string {
    const { message } = this;
    const structs = [...message.structs].reverse();
    for (const struct of [message.root, ...message.structs]) this.emitInterface(struct);
    for (const struct of [...structs, message.root]) {
      this.emitDefault(struct);
      this.emitIsDefault(struct);
      this.emitEncode(struct);
      this.emitDecode(struct);
    }
    const header = [
      `// Generated by scripts/gen-kafka-protocol.ts from proto/kafka/${message.fileName}: do not edit.`,
      `// ${message.name}: versions ${message.validVersions.lowest}-${message.validVersions.highest}, flexible ${
        this.hasFlexibleVersions ? `${message.flexibleVersions.lowest}+` : 'none'
      }.`,
    ];
    const support = [...this.imports].filter((name) => name !== 'ZERO_UUID').sort();
    if (support.length > 0) header.push(`import { ${support.join(', ')} } from '../codec-support.ts';`);
    header.push(`import type { Reader } from '../reader.ts';`);
    if (this.imports.has('ZERO_UUID')) header.push(`import { ZERO_UUID } from '../uuid.ts';`);
    header.push(`import type { Writer } from '../writer.ts';`);
    return `${[...header, '', ...this.out.lines].join('\n').replace(/\n+$/, '')}\n`;
  }

  /** Renames the `version` parameter of the function opened at `start` when its body never reads it. */
  private markUnusedVersion(start: number): void {
    const body = this.out.lines.slice(start + 1).join('\n');
    if (!/\bversion\b/.test(body)) {
      this.out.lines[start] = this.out.lines[start]!.replace('version: number', '_version: number');
    }
  }

  private use(name: string): void {
    this.imports.add(name);
  }

  private emitInterface(struct: StructSchema): void {
    const { out } = this;
    out.open(`export interface ${struct.name} {`);
    for (const field of struct.fields) {
      const notes = [`versions ${describe(field.versions)}`];
      if (!isEmpty(field.nullableVersions)) notes.push(`nullable ${describe(field.nullableVersions)}`);
      if (field.tag !== null) notes.push(`tag ${field.tag}`);
      if (field.ignorable) notes.push('ignorable');
      out.line(`/** ${field.about.replaceAll('*/', '* /')} (${notes.join(', ')}) */`);
      out.line(`${field.property}: ${fieldTypeName(field)};`);
    }
    if (this.hasFlexibleVersions) {
      out.line('/** Tagged fields this codec does not know, as received (flexible versions only). */');
      out.line('unknownTaggedFields?: TaggedField[];');
      this.use('type TaggedField');
    }
    out.close();
    out.line('');
  }

  private noteDefault(field: FieldSchema): string {
    const literal = defaultLiteral(field);
    if (literal === 'ZERO_UUID') this.use('ZERO_UUID');
    if (literal === 'EMPTY_BYTES') this.use('EMPTY_BYTES');
    return literal;
  }

  private emitDefault(struct: StructSchema): void {
    const { out } = this;
    out.line(`/** A ${struct.name} with every field at its default. */`);
    out.open(`export function default${struct.name}(): ${struct.name} {`);
    out.open('return {');
    for (const field of struct.fields) out.line(`${field.property}: ${this.noteDefault(field)},`);
    out.close('};');
    out.close();
    out.line('');
  }

  private emitIsDefault(struct: StructSchema): void {
    const { out } = this;
    out.open(`export function isDefault${struct.name}(m: ${struct.name}): boolean {`);
    for (const field of struct.fields)
      out.line(`if (${nonDefault(field, `m.${field.property}`)}) return false;`);
    if (this.hasFlexibleVersions)
      out.line('return m.unknownTaggedFields === undefined || m.unknownTaggedFields.length === 0;');
    else out.line('return true;');
    out.close();
    out.line('');
  }

  private isRoot(struct: StructSchema): boolean {
    return struct === this.message.root;
  }

  private emitEncode(struct: StructSchema): void {
    const { out, message } = this;
    const context = struct.versions;
    const exported = this.isRoot(struct) ? 'export ' : '';
    const start = out.lines.length;
    out.open(
      `${exported}function encode${struct.name}(w: Writer, m: ${struct.name}, version: number): void {`,
    );
    if (this.isRoot(struct)) {
      this.use('checkVersion');
      out.line(
        `checkVersion('${message.name}', version, ${message.validVersions.lowest}, ${message.validVersions.highest});`,
      );
    }
    for (const field of struct.fields) {
      const present = versionCondition(field.versions, context);
      const regular = isEmpty(field.taggedVersions) ? present : 'false';
      const inVersion = intersect(field.versions, context);
      const write = () =>
        this.emitWrite(
          field,
          field.type,
          `m.${field.property}`,
          inVersion,
          this.flexibleCondition(inVersion, field),
        );
      // A field this version lacks is dropped only if ignorable; a tagged one is written later if present.
      const refuseNonDefault = () => {
        this.use('nonDefaultField');
        out.line(
          `if (${nonDefault(field, `m.${field.property}`)}) throw nonDefaultField('${struct.name}.${field.property}', version);`,
        );
      };
      if (isEmpty(field.taggedVersions)) {
        out.when(regular, write, field.ignorable ? undefined : refuseNonDefault);
      } else if (!field.ignorable && present !== 'true') {
        out.when(present === 'false' ? 'true' : `!(${present})`, refuseNonDefault);
      }
    }
    this.emitEncodeTaggedFields(struct);
    out.close();
    this.markUnusedVersion(start);
    out.line('');
  }

  private emitEncodeTaggedFields(struct: StructSchema): void {
    const { out } = this;
    const context = struct.versions;
    const flexible = this.flexibleCondition(context);
    if (!this.hasFlexibleVersions) return;
    // As Kafka's encoder: tagged fields set on a message of a version that has none are an error.
    const refuseUnknown = () => {
      this.use('refuseUnknownTaggedFields');
      out.line(`refuseUnknownTaggedFields('${struct.name}', m.unknownTaggedFields, version);`);
    };
    const tagged = struct.fields
      .filter((field) => field.tag !== null && versionCondition(field.taggedVersions, context) !== 'false')
      .sort((a, b) => a.tag! - b.tag!);
    out.when(
      flexible,
      () => {
        if (tagged.length === 0) {
          this.use('writeUnknownTaggedFields');
          out.line('writeUnknownTaggedFields(w, m.unknownTaggedFields);');
          return;
        }
        this.use('writeUnknownTaggedFieldsBefore');
        out.line('const unknownTaggedFields = m.unknownTaggedFields;');
        const names: string[] = [];
        for (const field of tagged) {
          const name = `write${field.name}`;
          names.push(name);
          const taggedNow = versionCondition(field.taggedVersions, context);
          const value = nonDefault(field, `m.${field.property}`);
          out.line(`const ${name} = ${taggedNow === 'true' ? value : `${taggedNow} && ${value}`};`);
        }
        out.line(
          `w.writeUnsignedVarint(${names.map((name) => `(${name} ? 1 : 0)`).join(' + ')} + (unknownTaggedFields?.length ?? 0));`,
        );
        out.line('let unknownIndex = 0;');
        for (const field of tagged) {
          out.open(`if (write${field.name}) {`);
          out.line(
            `unknownIndex = writeUnknownTaggedFieldsBefore(w, unknownTaggedFields, unknownIndex, ${field.tag}, true);`,
          );
          out.line(`w.writeUnsignedVarint(${field.tag});`);
          out.line('const mark = w.startSizePrefixed();');
          this.emitWrite(
            field,
            field.type,
            `m.${field.property}`,
            intersect(field.taggedVersions, context),
            'true',
          );
          out.line('w.endSizePrefixed(mark);');
          out.close();
        }
        out.line(
          'writeUnknownTaggedFieldsBefore(w, unknownTaggedFields, unknownIndex, Number.POSITIVE_INFINITY, false);',
        );
      },
      refuseUnknown,
    );
  }

  /** Statements writing `value` of `type` (the field's, or an array's element type). */
  private emitWrite(
    field: FieldSchema,
    type: FieldType,
    value: string,
    context: Versions,
    compact: string,
  ): void {
    const { out } = this;
    const isFieldValue = type === field.type;
    const nullable = isFieldValue ? versionCondition(field.nullableVersions, context) : 'false';
    const mayBeNull = isFieldValue && isNullableAnywhere(field);
    if (mayBeNull && nullable !== 'true') {
      this.use('nullField');
      const guard = nullable === 'false' ? `${value} === null` : `${value} === null && !(${nullable})`;
      out.line(`if (${guard}) throw nullField('${field.name}', version);`);
    }
    // After a guard for 'false', TypeScript knows the value is not null.
    const writesNull = mayBeNull && nullable !== 'false';
    const split = (classic: string, flexible: string) => {
      if (compact === 'true') out.line(flexible);
      else if (compact === 'false') out.line(classic);
      else {
        out.line(`if (${compact}) ${flexible}`);
        out.line(`else ${classic}`);
      }
    };
    switch (type.kind) {
      case 'struct':
        out.line(`encode${type.struct.name}(w, ${value}, version);`);
        return;
      case 'array': {
        const count = writesNull ? `${value} === null ? null : ${value}.length` : `${value}.length`;
        split(`w.writeArrayLength(${count});`, `w.writeCompactArrayLength(${count});`);
        const loop = () => {
          out.open(`for (const item of ${value}) {`);
          this.emitWrite(field, type.element, 'item', context, compact);
          out.close();
        };
        if (writesNull) out.when(`${value} !== null`, loop);
        else loop();
        return;
      }
      case 'primitive': {
        const fixed = FIXED_METHODS[type.name];
        if (fixed !== undefined) {
          out.line(`w.write${fixed}(${value});`);
          return;
        }
        const kind = type.name === 'string' ? 'String' : 'Bytes';
        const nullablePart = writesNull ? 'Nullable' : '';
        split(`w.write${nullablePart}${kind}(${value});`, `w.writeCompact${nullablePart}${kind}(${value});`);
        return;
      }
    }
  }

  private emitDecode(struct: StructSchema): void {
    const { out, message } = this;
    const context = struct.versions;
    const exported = this.isRoot(struct) ? 'export ' : '';
    const start = out.lines.length;
    out.open(`${exported}function decode${struct.name}(r: Reader, version: number): ${struct.name} {`);
    if (this.isRoot(struct)) {
      this.use('checkVersion');
      out.line(
        `checkVersion('${message.name}', version, ${message.validVersions.lowest}, ${message.validVersions.highest});`,
      );
    }
    for (const field of struct.fields) {
      const present = isEmpty(field.taggedVersions) ? versionCondition(field.versions, context) : 'false';
      const inVersion = intersect(field.versions, context);
      const compact = this.flexibleCondition(inVersion, field);
      const declared = `${field.property}: ${fieldTypeName(field)}`;
      if (present === 'true' && field.type.kind !== 'array') {
        out.line(`const ${field.property} = ${this.readExpression(field, field.type, inVersion, compact)};`);
        continue;
      }
      if (present === 'true') {
        out.line(`let ${declared};`);
      } else {
        out.line(`let ${declared} = ${this.noteDefault(field)};`);
      }
      out.when(present, () => this.emitRead(field, inVersion, compact));
    }
    this.emitDecodeTaggedFields(struct);
    const properties = struct.fields.map((field) => field.property).join(', ');
    if (this.hasFlexibleVersions && this.flexibleCondition(context) !== 'false') {
      out.line(`const result: ${struct.name} = { ${properties} };`);
      out.line('if (unknownTaggedFields !== undefined) result.unknownTaggedFields = unknownTaggedFields;');
      out.line('return result;');
    } else {
      out.line(`return { ${properties} };`);
    }
    out.close();
    this.markUnusedVersion(start);
    out.line('');
  }

  private emitDecodeTaggedFields(struct: StructSchema): void {
    const { out } = this;
    const context = struct.versions;
    const flexible = this.flexibleCondition(context);
    if (flexible === 'false') return;
    this.use('type TaggedField');
    this.use('readUnknownTaggedField');
    out.line('let unknownTaggedFields: TaggedField[] | undefined;');
    out.when(flexible, () => {
      out.line('const tagCount = r.readUnsignedVarint();');
      out.open('for (let i = 0; i < tagCount; i++) {');
      out.line('const tag = r.readUnsignedVarint();');
      out.line('const end = r.readTaggedFieldEnd(tag);');
      const tagged = struct.fields.filter(
        (field) => field.tag !== null && versionCondition(field.taggedVersions, context) !== 'false',
      );
      let first = true;
      for (const field of tagged) {
        const taggedNow = versionCondition(field.taggedVersions, context);
        const condition =
          taggedNow === 'true' ? `tag === ${field.tag}` : `tag === ${field.tag} && ${taggedNow}`;
        out.open(`${first ? '' : '} else '}if (${condition}) {`);
        this.emitRead(field, intersect(field.taggedVersions, context), 'true');
        out.line('r.expectTaggedFieldEnd(tag, end);');
        out.close('');
        out.lines.pop();
        first = false;
      }
      if (first) {
        out.line('unknownTaggedFields = readUnknownTaggedField(r, tag, end, unknownTaggedFields);');
      } else {
        out.open('} else {');
        out.line('unknownTaggedFields = readUnknownTaggedField(r, tag, end, unknownTaggedFields);');
        out.close();
      }
      out.close();
    });
  }

  /** Statements assigning the field's value read from `r` to its local. */
  private emitRead(field: FieldSchema, context: Versions, compact: string): void {
    const { out } = this;
    const type = field.type;
    if (type.kind !== 'array') {
      out.line(`${field.property} = ${this.readExpression(field, type, context, compact)};`);
      return;
    }
    const nullable = versionCondition(field.nullableVersions, context);
    const minBytes = type.element.kind === 'primitive' ? (FIXED_BYTES[type.element.name] ?? 1) : 1;
    const what = `'${field.name}'`;
    const length = (nullablePart: string) =>
      pick(
        compact,
        `r.readCompact${nullablePart}ArrayLength(${minBytes}, ${what})`,
        `r.read${nullablePart}ArrayLength(${minBytes}, ${what})`,
      );
    const count = nullable === 'false' ? length('') : pick(nullable, length('Nullable'), length(''));
    out.open('{');
    out.line(`const n = ${count};`);
    const fill = () => {
      out.line(`const items: ${typeName(type.element)}[] = [];`);
      out.line(
        `for (let i = 0; i < n; i++) items.push(${this.readExpression(field, type.element, context, compact)});`,
      );
      out.line(`${field.property} = items;`);
    };
    if (nullable === 'false') fill();
    else out.when('n >= 0', fill, () => out.line(`${field.property} = null;`));
    out.close();
  }

  private readExpression(field: FieldSchema, type: FieldType, context: Versions, compact: string): string {
    if (type.kind === 'struct') return `decode${type.struct.name}(r, version)`;
    if (type.kind === 'array') throw new Error('arrays are read by statements');
    const fixed = FIXED_METHODS[type.name];
    if (fixed !== undefined) return `r.read${fixed}()`;
    const kind = type.name === 'string' ? 'String' : 'Bytes';
    const what = `'${field.name}'`;
    const nullable = type === field.type ? versionCondition(field.nullableVersions, context) : 'false';
    const read = (nullablePart: string) =>
      pick(compact, `r.readCompact${nullablePart}${kind}(${what})`, `r.read${nullablePart}${kind}(${what})`);
    return nullable === 'false' ? read('') : pick(nullable, read('Nullable'), read(''));
  }
}

function describe(versions: Versions): string {
  if (isEmpty(versions)) return 'none';
  if (versions.highest === Number.POSITIVE_INFINITY) return `${versions.lowest}+`;
  return versions.lowest === versions.highest
    ? String(versions.lowest)
    : `${versions.lowest}-${versions.highest}`;
}

function apiTable(messages: readonly MessageSchema[]): string {
  const byKey = new Map<number, { request?: MessageSchema; response?: MessageSchema }>();
  for (const message of messages) {
    if (message.apiKey === null) continue;
    const entry = byKey.get(message.apiKey) ?? {};
    if (message.kind === 'request') entry.request = message;
    else entry.response = message;
    byKey.set(message.apiKey, entry);
  }
  const lines = [
    '// Generated by scripts/gen-kafka-protocol.ts from proto/kafka/: do not edit.',
    '// Every API whose request and response schemas are vendored, by API key.',
    "import type { ApiCodec } from '../codec-support.ts';",
  ];
  const entries: string[] = [];
  for (const [apiKey, { request, response }] of [...byKey.entries()].sort((a, b) => a[0] - b[0])) {
    if (request === undefined || response === undefined)
      throw new Error(`API ${apiKey} lacks a request or response`);
    const sameVersions =
      request.validVersions.lowest === response.validVersions.lowest &&
      request.validVersions.highest === response.validVersions.highest &&
      request.flexibleVersions.lowest === response.flexibleVersions.lowest;
    if (!sameVersions) throw new Error(`${request.name} and ${response.name} differ in versions`);
    const api = request.name.replace(/Request$/, '');
    lines.push(
      `import { decode${request.name}, encode${request.name}, type ${request.name} } from './${kebab(request.name)}.ts';`,
      `import { decode${response.name}, encode${response.name}, type ${response.name} } from './${kebab(response.name)}.ts';`,
    );
    const flexibleLowest = contains(request.flexibleVersions, request.validVersions.highest)
      ? String(Math.max(request.flexibleVersions.lowest, request.validVersions.lowest))
      : 'null';
    entries.push(
      [
        `export const ${api[0]!.toLowerCase()}${api.slice(1)}Api: ApiCodec<${request.name}, ${response.name}> = {`,
        `  name: '${api}',`,
        `  apiKey: ${apiKey},`,
        `  lowestVersion: ${request.validVersions.lowest},`,
        `  highestVersion: ${request.validVersions.highest},`,
        `  flexibleLowestVersion: ${flexibleLowest},`,
        `  encodeRequest: encode${request.name},`,
        `  decodeRequest: decode${request.name},`,
        `  encodeResponse: encode${response.name},`,
        `  decodeResponse: decode${response.name},`,
        '};',
      ].join('\n'),
    );
  }
  const names = entries.map((entry) => /export const (\w+)/.exec(entry)![1]);
  return `${[...lines, '', entries.join('\n\n'), '', `export const generatedApis = [${names.join(', ')}] as const;`].join('\n')}\n`;
}

/** File name -> content of everything the generator writes. */
export function generateAll(): Map<string, string> {
  const messages = loadMessageSchemas();
  const files = new Map<string, string>();
  for (const message of messages)
    files.set(`${kebab(message.name)}.ts`, new MessageGenerator(message).generate());
  files.set('apis.ts', apiTable(messages));
  return files;
}

/** The names of generated files that are missing, differ, or should not be there. */
export function staleFiles(directory = OUTPUT_DIRECTORY): string[] {
  const expected = generateAll();
  const present = new Set(readdirSync(directory).filter((name) => name.endsWith('.ts')));
  const stale: string[] = [];
  for (const [name, content] of expected) {
    if (!present.has(name) || readFileSync(join(directory, name), 'utf8') !== content) stale.push(name);
  }
  for (const name of present) if (!expected.has(name)) stale.push(name);
  return stale.sort();
}

function main(): void {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      console.error(`src/kafka/protocol/generated is stale (run npm run gen:kafka): ${stale.join(', ')}`);
      process.exit(1);
    }
    console.log('src/kafka/protocol/generated is up to date');
    return;
  }
  const files = generateAll();
  rmSync(OUTPUT_DIRECTORY, { recursive: true, force: true });
  mkdirSync(OUTPUT_DIRECTORY, { recursive: true });
  for (const [name, content] of files) writeFileSync(join(OUTPUT_DIRECTORY, name), content);
  console.log(`wrote ${files.size} files to src/kafka/protocol/generated`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
