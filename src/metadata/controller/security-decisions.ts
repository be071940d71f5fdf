// The controller's decisions on ACLs, SCRAM credentials and client quotas (Kafka's AclControlManager,
// ScramControlManager, ClientQuotaControlManager): pure functions from the committed image and a request
// to the records to commit and the per-item answers. A failed item writes nothing; the others still do.

import { KafkaError } from '../../common/kafka-errors.ts';
import {
  SCRAM_ITERATIONS_MAX,
  SCRAM_ITERATIONS_MIN,
  credentialFromSaltedPassword,
} from '../../common/scram.ts';
import type {
  AclBinding,
  AclEntry,
  QuotaKey,
  ScramCredential,
  ScramMechanism,
} from '../../common/security.ts';
import { QUOTA_KEYS, SCRAM_MECHANISMS } from '../../common/security.ts';
import type { AclBindingFilter } from '../acl-filter.ts';
import { aclFilterMatches } from '../acl-filter.ts';
import { aclBindingKey, aclBindingProblem } from '../acl-rules.ts';
import type { MetadataImage } from '../image.ts';
import type { MetadataRecord } from '../records.ts';
import { quotaEntityKey } from '../security-reducer.ts';

// ---------------------------------------------------------------------------------------------------
// ACLs

/**
 * CreateAcls: each binding is validated (acl-rules.ts; INVALID_REQUEST otherwise); one identical to an
 * ACL already stored, or to an earlier one of the same request, succeeds without a new record.
 */
export function decideCreateAcls(
  image: MetadataImage,
  bindings: readonly AclBinding[],
  newUuid: () => string,
): { records: MetadataRecord[]; errors: (KafkaError | null)[] } {
  const present = new Set([...image.security.acls.values()].map(aclBindingKey));
  const records: MetadataRecord[] = [];
  const usedIds = new Set<string>();
  const errors = bindings.map((binding) => {
    const problem = aclBindingProblem(binding);
    if (problem !== null) return new KafkaError('INVALID_REQUEST', problem);
    const key = aclBindingKey(binding);
    if (present.has(key)) return null;
    present.add(key);
    let id = newUuid();
    while (image.security.acls.has(id) || usedIds.has(id)) id = newUuid();
    usedIds.add(id);
    records.push({ type: 'accessControlEntry', id, ...bindingOf(binding) });
    return null;
  });
  return { records, errors };
}

function bindingOf(binding: AclBinding): AclBinding {
  const { resourceType, resourceName, patternType, principal, host, operation, permissionType } = binding;
  return { resourceType, resourceName, patternType, principal, host, operation, permissionType };
}

/**
 * DeleteAcls: per filter, every stored ACL it matches (an ACL matched by several filters is listed by
 * each, and removed once).
 */
export function decideDeleteAcls(
  image: MetadataImage,
  filters: readonly AclBindingFilter[],
): { records: MetadataRecord[]; deleted: AclEntry[][] } {
  const removed = new Set<string>();
  const records: MetadataRecord[] = [];
  const deleted = filters.map((filter) => {
    const matches = [...image.security.acls.values()].filter((acl) => aclFilterMatches(filter, acl));
    for (const acl of matches) {
      if (removed.has(acl.id)) continue;
      removed.add(acl.id);
      records.push({ type: 'removeAccessControlEntry', id: acl.id });
    }
    return matches;
  });
  return { records, deleted };
}

// ---------------------------------------------------------------------------------------------------
// SCRAM credentials

export interface ScramUpsertion {
  readonly user: string;
  /** A mechanism's name as asked; anything but SCRAM-SHA-256/512 is UNSUPPORTED_SASL_MECHANISM. */
  readonly mechanism: string;
  readonly iterations: number;
  readonly salt: Buffer;
  /** Hi(password, salt, iterations): the password itself never reaches the controller. */
  readonly saltedPassword: Buffer;
}

export interface ScramDeletion {
  readonly user: string;
  readonly mechanism: string;
}

export interface UserResult {
  readonly user: string;
  readonly error: KafkaError | null;
}

function isMechanism(name: string): name is ScramMechanism {
  return Object.hasOwn(SCRAM_MECHANISMS, name);
}

/**
 * AlterUserScramCredentials, as Kafka's: one answer per user, in the order users first appear; a user
 * with any bad alteration gets its first error and none of its alterations is written. Errors: an empty
 * name or iterations outside [4096, 16384] → UNACCEPTABLE_CREDENTIAL; an unknown mechanism →
 * UNSUPPORTED_SASL_MECHANISM; the same user and mechanism twice → DUPLICATE_RESOURCE; deleting a credential
 * that does not exist → RESOURCE_NOT_FOUND.
 */
export function decideAlterScramCredentials(
  image: MetadataImage,
  upsertions: readonly ScramUpsertion[],
  deletions: readonly ScramDeletion[],
): { records: MetadataRecord[]; results: UserResult[] } {
  const users: string[] = [];
  const errors = new Map<string, KafkaError>();
  const pending = new Map<string, MetadataRecord[]>();
  const seen = new Set<string>();
  const fail = (user: string, error: KafkaError) => {
    if (!errors.has(user)) errors.set(user, error);
  };
  const alterations = [
    ...deletions.map((deletion) => ({ kind: 'delete' as const, ...deletion })),
    ...upsertions.map((upsertion) => ({ kind: 'upsert' as const, ...upsertion })),
  ];
  for (const alteration of alterations) {
    const { user, mechanism } = alteration;
    if (!users.includes(user)) users.push(user);
    if (user.length === 0) {
      fail(user, new KafkaError('UNACCEPTABLE_CREDENTIAL', 'Username must not be empty.'));
      continue;
    }
    if (!isMechanism(mechanism)) {
      fail(user, new KafkaError('UNSUPPORTED_SASL_MECHANISM', `Unknown SCRAM mechanism ${mechanism}.`));
      continue;
    }
    const key = JSON.stringify([user, mechanism]);
    if (seen.has(key)) {
      fail(
        user,
        new KafkaError(
          'DUPLICATE_RESOURCE',
          `A user credential cannot be altered twice in the same request (${user}, ${mechanism}).`,
        ),
      );
      continue;
    }
    seen.add(key);
    const records = pending.get(user) ?? [];
    pending.set(user, records);
    if (alteration.kind === 'delete') {
      if (image.security.scramCredentials.get(user)?.has(mechanism) !== true) {
        fail(
          user,
          new KafkaError(
            'RESOURCE_NOT_FOUND',
            `Attempt to delete a user credential that does not exist (${user}, ${mechanism}).`,
          ),
        );
        continue;
      }
      records.push({ type: 'removeUserScramCredential', name: user, mechanism });
      continue;
    }
    const { iterations } = alteration;
    if (
      !Number.isInteger(iterations) ||
      iterations < SCRAM_ITERATIONS_MIN ||
      iterations > SCRAM_ITERATIONS_MAX
    ) {
      fail(
        user,
        new KafkaError(
          'UNACCEPTABLE_CREDENTIAL',
          `Iterations ${iterations} must be between ${SCRAM_ITERATIONS_MIN} and ${SCRAM_ITERATIONS_MAX} for ${mechanism}.`,
        ),
      );
      continue;
    }
    if (alteration.salt.length === 0 || alteration.saltedPassword.length === 0) {
      fail(
        user,
        new KafkaError('UNACCEPTABLE_CREDENTIAL', 'The salt and the salted password must not be empty.'),
      );
      continue;
    }
    const credential = credentialFromSaltedPassword(
      mechanism,
      alteration.salt,
      alteration.saltedPassword,
      iterations,
    );
    records.push({ type: 'userScramCredential', name: user, ...credential });
  }
  const records = users.flatMap((user) => (errors.has(user) ? [] : (pending.get(user) ?? [])));
  return { records, results: users.map((user) => ({ user, error: errors.get(user) ?? null })) };
}

/** A credential to create when the cluster's metadata log is new (the KIP-900 bootstrap). */
export interface BootstrapCredential {
  readonly user: string;
  readonly credential: ScramCredential;
}

/**
 * Whether the committed image is that of a new metadata log: nothing but controller leader changes. A
 * broker registers only with an active controller, so every log that served anyone has a broker.
 */
export function isNewMetadataLog(image: MetadataImage): boolean {
  const { security } = image;
  return (
    image.brokers.size === 0 &&
    image.topics.size === 0 &&
    image.configs.size === 0 &&
    image.nextProducerId === 0 &&
    security.acls.size === 0 &&
    security.scramCredentials.size === 0 &&
    security.clientQuotas.size === 0
  );
}

/** The bootstrap credentials' records: only on a new log, never rewriting a credential present. */
export function decideBootstrapCredentials(
  image: MetadataImage,
  credentials: readonly BootstrapCredential[],
): MetadataRecord[] {
  if (credentials.length === 0 || !isNewMetadataLog(image)) return [];
  const written = new Set<string>();
  return credentials.flatMap(({ user, credential }) => {
    const key = JSON.stringify([user, credential.mechanism]);
    if (written.has(key) || image.security.scramCredentials.get(user)?.has(credential.mechanism) === true)
      return [];
    written.add(key);
    return [{ type: 'userScramCredential' as const, name: user, ...credential }];
  });
}

// ---------------------------------------------------------------------------------------------------
// Client quotas

export interface QuotaAlteration {
  /** A user's name, or null for the default entity. */
  readonly user: string | null;
  /** value null = remove the key. */
  readonly ops: readonly { readonly key: string; readonly value: number | null }[];
}

function quotaProblem(alteration: QuotaAlteration): string | null {
  if (alteration.user === '') return 'A user entity name must not be empty (use the default entity).';
  const keys = new Set<string>();
  for (const { key, value } of alteration.ops) {
    if (!(QUOTA_KEYS as readonly string[]).includes(key))
      return `Unknown quota key ${key}: the keys are ${QUOTA_KEYS.join(', ')}.`;
    if (keys.has(key)) return `The quota key ${key} is altered twice.`;
    keys.add(key);
    if (value !== null && !(Number.isSafeInteger(value) && value > 0))
      return `The value of ${key} must be a positive whole number of bytes per second, not ${value}.`;
  }
  return null;
}

/**
 * AlterClientQuotas for user entities: one answer per entity (INVALID_REQUEST for an unknown key, a value
 * that is not a positive whole number, a key or entity given twice); removing a key not set is a no-op.
 */
export function decideAlterClientQuotas(
  image: MetadataImage,
  alterations: readonly QuotaAlteration[],
): { records: MetadataRecord[]; errors: (KafkaError | null)[] } {
  const records: MetadataRecord[] = [];
  const entities = new Set<string>();
  const errors = alterations.map((alteration) => {
    const problem = quotaProblem(alteration);
    if (problem !== null) return new KafkaError('INVALID_REQUEST', problem);
    const entity = quotaEntityKey(alteration.user);
    if (entities.has(entity))
      return new KafkaError(
        'INVALID_REQUEST',
        `The entity ${alteration.user ?? '<default>'} is altered twice.`,
      );
    entities.add(entity);
    const current = image.security.clientQuotas.get(entity);
    for (const { key, value } of alteration.ops) {
      const quotaKey = key as QuotaKey;
      if (value === null && current?.has(quotaKey) !== true) continue;
      records.push({ type: 'clientQuota', user: alteration.user, key: quotaKey, value });
    }
    return null;
  });
  return { records, errors };
}
