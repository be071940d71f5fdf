// The wire form of the security records (proto/metadata.proto: AccessControlEntryRecord,
// UserScramCredentialRecord, ClientQuotaRecord and their removals), shared by the record codec
// (records.ts) and the snapshot (snapshot.ts): Kafka's numeric codes on the wire, names in TypeScript.
// Decoding rejects filter-only values (ANY, MATCH) and unknown codes: a stored ACL is always concrete.

import type {
  AclBinding,
  AclEntry,
  AclOperation,
  AclPatternType,
  AclPermissionType,
  AclResourceType,
  QuotaKey,
  QuotaUser,
  ScramCredential,
  ScramMechanism,
} from '../common/security.ts';
import {
  ACL_OPERATIONS,
  ACL_PATTERN_TYPES,
  ACL_PERMISSION_TYPES,
  ACL_RESOURCE_TYPES,
  QUOTA_KEYS,
  SCRAM_MECHANISMS,
} from '../common/security.ts';
import type { Fields, Reader } from './wire.ts';

/** A name of `table` by its code, or null (ANY is never a stored value). */
function nameOf<T extends string>(table: Readonly<Record<string, number>>, code: number): T | null {
  for (const [name, value] of Object.entries(table)) if (value === code && name !== 'ANY') return name as T;
  return null;
}

function concrete<T extends string>(
  table: Readonly<Record<string, number>>,
  allowed: readonly string[] | null,
  fields: Fields,
  name: string,
  where: string,
  reader: Reader,
): T {
  const code = reader.safeInteger(fields, name, where);
  const value = nameOf<T>(table, code);
  if (value === null || (allowed !== null && !allowed.includes(value)))
    reader.fail(`${where}.${name} is not a stored value (${code})`);
  return value;
}

/** A binding's enums as Kafka's numeric codes (the record's and the controller RPC's form). */
export function aclBindingCodes(binding: AclBinding) {
  return {
    resourceType: ACL_RESOURCE_TYPES[binding.resourceType],
    resourceName: binding.resourceName,
    patternType: ACL_PATTERN_TYPES[binding.patternType],
    principal: binding.principal,
    host: binding.host,
    operation: ACL_OPERATIONS[binding.operation],
    permissionType: ACL_PERMISSION_TYPES[binding.permissionType],
  };
}

export function aclEntryToWire(entry: AclEntry): Record<string, unknown> {
  return { id: entry.id, ...aclBindingCodes(entry) };
}

export function aclEntryFromWire(fields: Fields, where: string, reader: Reader): AclEntry {
  return {
    id: reader.uuid(fields, 'id', where),
    resourceType: concrete<AclResourceType>(ACL_RESOURCE_TYPES, null, fields, 'resourceType', where, reader),
    resourceName: reader.string(fields, 'resourceName', where),
    patternType: concrete<AclPatternType>(
      ACL_PATTERN_TYPES,
      ['LITERAL', 'PREFIXED'],
      fields,
      'patternType',
      where,
      reader,
    ),
    principal: reader.string(fields, 'principal', where),
    host: reader.string(fields, 'host', where),
    operation: concrete<AclOperation>(ACL_OPERATIONS, null, fields, 'operation', where, reader),
    permissionType: concrete<AclPermissionType>(
      ACL_PERMISSION_TYPES,
      null,
      fields,
      'permissionType',
      where,
      reader,
    ),
  };
}

export function mechanismFromWire(fields: Fields, where: string, reader: Reader): ScramMechanism {
  return concrete<ScramMechanism>(SCRAM_MECHANISMS, null, fields, 'mechanism', where, reader);
}

export function scramCredentialToWire(name: string, credential: ScramCredential): Record<string, unknown> {
  return { name, ...credential, mechanism: SCRAM_MECHANISMS[credential.mechanism] };
}

function bytes(fields: Fields, name: string, where: string, reader: Reader): Buffer {
  const value = fields[name];
  if (!(value instanceof Uint8Array)) reader.fail(`${where}.${name} is not bytes`);
  return Buffer.from(value);
}

export function scramCredentialFromWire(
  fields: Fields,
  where: string,
  reader: Reader,
): { name: string; credential: ScramCredential } {
  return {
    name: reader.string(fields, 'name', where),
    credential: {
      mechanism: mechanismFromWire(fields, where, reader),
      salt: bytes(fields, 'salt', where, reader),
      storedKey: bytes(fields, 'storedKey', where, reader),
      serverKey: bytes(fields, 'serverKey', where, reader),
      iterations: reader.safeInteger(fields, 'iterations', where),
    },
  };
}

export function clientQuotaToWire(
  user: QuotaUser,
  key: QuotaKey,
  value: number | null,
): Record<string, unknown> {
  return {
    ...(user === null ? {} : { user }),
    key,
    value: value ?? 0,
    remove: value === null,
  };
}

export function clientQuotaFromWire(
  fields: Fields,
  where: string,
  reader: Reader,
): { user: QuotaUser; key: QuotaKey; value: number | null } {
  const key = reader.string(fields, 'key', where);
  if (!(QUOTA_KEYS as readonly string[]).includes(key)) reader.fail(`${where}.key ${key} is not a quota key`);
  const value = fields.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) reader.fail(`${where}.value is not a number`);
  return {
    user: reader.optionalString(fields, 'user', where),
    key: key as QuotaKey,
    value: reader.boolean(fields, 'remove', where) ? null : value,
  };
}
