// Reads of the image's security part for the describe APIs (DescribeAcls, DescribeUserScramCredentials,
// DescribeClientQuotas, and their REST and CLI forms). A credential is described by its mechanism and
// iterations only: salts and keys never leave the metadata log.

import { KafkaError } from '../common/kafka-errors.ts';
import type { AclEntry, QuotaKey, ScramMechanism } from '../common/security.ts';
import type { AclBindingFilter } from './acl-filter.ts';
import { aclFilterMatches } from './acl-filter.ts';
import type { MetadataImage } from './image.ts';

/** DescribeAcls: the stored ACLs `filter` matches, in the image's order. */
export function describeAcls(image: MetadataImage, filter: AclBindingFilter): AclEntry[] {
  return [...image.security.acls.values()].filter((acl) => aclFilterMatches(filter, acl));
}

export interface ScramCredentialInfo {
  readonly mechanism: ScramMechanism;
  readonly iterations: number;
}

export interface UserScramCredentialsDescription {
  readonly user: string;
  /** RESOURCE_NOT_FOUND for a user asked by name that has no credential; DUPLICATE_RESOURCE if asked twice. */
  readonly error: KafkaError | null;
  readonly credentials: readonly ScramCredentialInfo[];
}

/** DescribeUserScramCredentials: `users` null (or empty, as Kafka) = every user that has a credential. */
export function describeScramCredentials(
  image: MetadataImage,
  users: readonly string[] | null,
): UserScramCredentialsDescription[] {
  const stored = image.security.scramCredentials;
  const describe = (user: string): UserScramCredentialsDescription => {
    const mechanisms = stored.get(user);
    if (mechanisms === undefined)
      return {
        user,
        error: new KafkaError(
          'RESOURCE_NOT_FOUND',
          `Attempt to describe a user credential that does not exist: ${user}`,
        ),
        credentials: [],
      };
    const credentials = [...mechanisms.values()].map(({ mechanism, iterations }) => ({
      mechanism,
      iterations,
    }));
    return { user, error: null, credentials };
  };
  if (users === null || users.length === 0) return [...stored.keys()].map(describe);
  const counts = new Map<string, number>();
  for (const user of users) counts.set(user, (counts.get(user) ?? 0) + 1);
  return [...counts].map(([user, count]) =>
    count > 1
      ? {
          user,
          error: new KafkaError(
            'DUPLICATE_RESOURCE',
            `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`,
          ),
          credentials: [],
        }
      : describe(user),
  );
}

export interface ClientQuotaEntry {
  /** A user's name, or null for the default entity. */
  readonly user: string | null;
  readonly quotas: ReadonlyMap<QuotaKey, number>;
}

/** Every user entity with a quota, the default entity as user null. */
export function describeClientQuotas(image: MetadataImage): ClientQuotaEntry[] {
  return [...image.security.clientQuotas].map(([entity, quotas]) => ({
    user: entity === '' ? null : entity,
    quotas,
  }));
}
