// The node's Authorizer, from its authorization settings (Kafka's names: authorizer.class.name,
// super.users, allow.everyone.if.no.acl.found; parsed in config.ts): ALLOW_ALL when no authorizer is
// configured, else Kafka's StandardAuthorizer over the ACLs of this node's metadata image.

import type { Authorizer } from '../common/security.ts';
import { ALLOW_ALL } from '../common/security.ts';
import { StandardAuthorizer } from '../metadata/authorizer.ts';
import type { MetadataImage } from '../metadata/image.ts';

/** The node's authorizer: ALLOW_ALL without authorizer.class.name, else the StandardAuthorizer. */
export function buildAuthorizer(
  config: {
    readonly authorizerClassName: string | null;
    readonly superUsers: readonly string[];
    readonly allowEveryoneIfNoAclFound: boolean;
  },
  image: () => MetadataImage,
): Authorizer {
  if (config.authorizerClassName === null) return ALLOW_ALL;
  return new StandardAuthorizer(image, {
    superUsers: config.superUsers,
    allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound,
  });
}
