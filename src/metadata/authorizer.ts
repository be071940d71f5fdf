// Kafka's StandardAuthorizer (KIP-801, StandardAuthorizerData) over the ACLs of the metadata image: pure,
// the image read through a function so that every call sees the node's current committed ACLs.
//
// Semantics, exactly Kafka's: a super user may do anything; otherwise the ACLs whose pattern matches the
// resource (LITERAL of its name, LITERAL `*`, PREFIXED of any prefix of its name) are examined: one that
// matches the session (principal or `User:*`, host or `*`) and the operation decides. DENY wins over
// ALLOW. ALL matches every operation; an ALLOW of READ, WRITE, DELETE or ALTER also allows DESCRIBE, and
// an ALLOW of ALTER_CONFIGS also allows DESCRIBE_CONFIGS (a DENY only denies its own operation or ALL).
// When no ACL at all has a pattern matching the resource (of any principal or operation),
// allow.everyone.if.no.acl.found decides; when some do but none matches, the answer is no.
//
// The index (by resource type, then literal name or prefix) is rebuilt only when the image's ACL map
// changes: the image is immutable, so comparing the map's reference tells.

import type {
  AclEntry,
  AclOperation,
  AclResourceType,
  Authorizer,
  AuthorizationRequest,
  Session,
} from '../common/security.ts';
import { WILDCARD_HOST, WILDCARD_PRINCIPAL, WILDCARD_RESOURCE, principalText } from '../common/security.ts';
import type { MetadataImage } from './image.ts';

/** The class name of authorizer.class.name that selects this authorizer (Kafka's). */
export const STANDARD_AUTHORIZER_CLASS = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

export interface StandardAuthorizerOptions {
  /** super.users: principals (`User:admin`) allowed everything. */
  readonly superUsers: readonly string[];
  /** allow.everyone.if.no.acl.found. */
  readonly allowEveryoneIfNoAclFound: boolean;
}

/** The ACLs of one resource type, by literal name and by prefix. */
interface ResourceTypeIndex {
  readonly literal: Map<string, AclEntry[]>;
  readonly prefixed: Map<string, AclEntry[]>;
  /** The length of the longest prefix: names are only cut up to it. */
  longestPrefix: number;
}

type AclIndex = ReadonlyMap<AclResourceType, ResourceTypeIndex>;

const IMPLIES_DESCRIBE: ReadonlySet<AclOperation> = new Set(['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER']);
const IMPLIES_DESCRIBE_CONFIGS: ReadonlySet<AclOperation> = new Set(['DESCRIBE_CONFIGS', 'ALTER_CONFIGS']);

function push(map: Map<string, AclEntry[]>, key: string, acl: AclEntry): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [acl]);
  else list.push(acl);
}

function buildIndex(acls: ReadonlyMap<string, AclEntry>): AclIndex {
  const index = new Map<AclResourceType, ResourceTypeIndex>();
  for (const acl of acls.values()) {
    let byType = index.get(acl.resourceType);
    if (byType === undefined) {
      byType = { literal: new Map(), prefixed: new Map(), longestPrefix: 0 };
      index.set(acl.resourceType, byType);
    }
    if (acl.patternType === 'LITERAL') push(byType.literal, acl.resourceName, acl);
    else {
      push(byType.prefixed, acl.resourceName, acl);
      byType.longestPrefix = Math.max(byType.longestPrefix, acl.resourceName.length);
    }
  }
  return index;
}

/** Whether `acl` (already matching the resource) applies to this operation, per its permission. */
export function aclMatchesOperation(acl: AclEntry, operation: AclOperation): boolean {
  if (acl.operation === 'ALL' || acl.operation === operation) return true;
  if (acl.permissionType === 'DENY') return false;
  if (operation === 'DESCRIBE') return IMPLIES_DESCRIBE.has(acl.operation);
  if (operation === 'DESCRIBE_CONFIGS') return IMPLIES_DESCRIBE_CONFIGS.has(acl.operation);
  return false;
}

export class StandardAuthorizer implements Authorizer {
  readonly enabled = true;
  private readonly image: () => MetadataImage;
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowEveryoneIfNoAclFound: boolean;
  private indexedAcls: ReadonlyMap<string, AclEntry> | null = null;
  private index: AclIndex = new Map();

  constructor(image: () => MetadataImage, options: StandardAuthorizerOptions) {
    this.image = image;
    this.superUsers = new Set(options.superUsers);
    this.allowEveryoneIfNoAclFound = options.allowEveryoneIfNoAclFound;
  }

  authorize(session: Session, request: AuthorizationRequest): boolean {
    const principal = principalText(session.principal);
    if (this.superUsers.has(principal)) return true;
    const byType = this.currentIndex().get(request.resourceType);
    if (byType === undefined) return this.allowEveryoneIfNoAclFound;
    let found = false;
    let allowed = false;
    const examine = (acls: readonly AclEntry[] | undefined): boolean => {
      if (acls === undefined) return false;
      found = true;
      for (const acl of acls) {
        if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
        if (acl.host !== session.clientHost && acl.host !== WILDCARD_HOST) continue;
        if (!aclMatchesOperation(acl, request.operation)) continue;
        if (acl.permissionType === 'DENY') return true;
        allowed = true;
      }
      return false;
    };
    const name = request.resourceName;
    if (examine(byType.literal.get(name))) return false;
    if (name !== WILDCARD_RESOURCE && examine(byType.literal.get(WILDCARD_RESOURCE))) return false;
    for (let length = Math.min(name.length, byType.longestPrefix); length > 0; length--) {
      if (examine(byType.prefixed.get(name.slice(0, length)))) return false;
    }
    return found ? allowed : this.allowEveryoneIfNoAclFound;
  }

  private currentIndex(): AclIndex {
    const acls = this.image().security.acls;
    if (acls !== this.indexedAcls) {
      this.index = buildIndex(acls);
      this.indexedAcls = acls;
    }
    return this.index;
  }
}
