// Who a request comes from, and what the metadata log says about who may do what: the types every layer
// shares for authentication (principals, sessions, SCRAM credentials), authorization (Kafka's ACL model,
// as its StandardAuthorizer keeps it in the metadata log) and client quotas. Names and numeric codes are
// Kafka's (AclOperation, ResourceType, PatternType, AclPermissionType), so that the wire protocol, REST
// v3 and the CLI speak of the same things. Pure data; the logic is in src/metadata/authorizer.ts and
// src/common/scram.ts.

/** Kafka's KafkaPrincipal: `User:alice`. The only principal type is User. */
export interface Principal {
  readonly type: 'User';
  readonly name: string;
}

/** The principal of a client that did not authenticate (PLAINTEXT and SSL without a client certificate). */
export const ANONYMOUS: Principal = { type: 'User', name: 'ANONYMOUS' };

/** `User:alice`: how ACLs, super.users and logs write a principal. */
export function principalText(principal: Principal): string {
  return `${principal.type}:${principal.name}`;
}

/** `User:alice` → the principal; null when it is not `User:<non-empty name>`. */
export function parsePrincipal(text: string): Principal | null {
  if (!text.startsWith('User:') || text.length === 'User:'.length) return null;
  return { type: 'User', name: text.slice('User:'.length) };
}

/** How a client proved who it is. */
export type AuthenticationMethod =
  | 'none'
  | 'ssl'
  | 'sasl-plain'
  | 'sasl-scram-sha-256'
  | 'sasl-scram-sha-512'
  | 'http-basic';

/** One authenticated connection or request: what the authorizer and quotas are asked about. */
export interface Session {
  readonly principal: Principal;
  /** The client's IP address (no port), as ACLs' `host` matches it. */
  readonly clientHost: string;
  readonly method: AuthenticationMethod;
}

export function anonymousSession(clientHost: string): Session {
  return { principal: ANONYMOUS, clientHost, method: 'none' };
}

// ---------------------------------------------------------------------------------------------------
// ACLs (KIP-290 prefixed patterns, KIP-801 StandardAuthorizer)

/** Kafka's ResourceType; ANY only in filters. */
export const ACL_RESOURCE_TYPES = {
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type AclResourceType = Exclude<keyof typeof ACL_RESOURCE_TYPES, 'ANY'>;

/** Kafka's PatternType; ANY and MATCH only in filters. */
export const ACL_PATTERN_TYPES = { ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export type AclPatternType = 'LITERAL' | 'PREFIXED';

/** Kafka's AclOperation; ANY only in filters. */
export const ACL_OPERATIONS = {
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperation = Exclude<keyof typeof ACL_OPERATIONS, 'ANY'>;

/** Kafka's AclPermissionType; ANY only in filters. */
export const ACL_PERMISSION_TYPES = { ANY: 1, DENY: 2, ALLOW: 3 } as const;
export type AclPermissionType = 'DENY' | 'ALLOW';

/** The resource name that matches every resource of its type (LITERAL only). */
export const WILDCARD_RESOURCE = '*';
/** The principal and host that match every principal / host. */
export const WILDCARD_PRINCIPAL = 'User:*';
export const WILDCARD_HOST = '*';
/** The one CLUSTER resource's name. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';

/** Kafka's AclBinding: a resource pattern and an access control entry. */
export interface AclBinding {
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly patternType: AclPatternType;
  /** `User:alice` or `User:*`. */
  readonly principal: string;
  /** An IP address or `*`. */
  readonly host: string;
  readonly operation: AclOperation;
  readonly permissionType: AclPermissionType;
}

/** An ACL as the metadata log keeps it (AccessControlEntryRecord): with its id (a UUID). */
export interface AclEntry extends AclBinding {
  readonly id: string;
}

/** What an authorizer is asked: may `session` do `operation` on the resource `resourceType`/`resourceName`? */
export interface AuthorizationRequest {
  readonly operation: AclOperation;
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
}

/**
 * What the serving layers (src/http, src/kafka) ask. `enabled` is false when no authorizer is configured
 * (authorizer.class.name unset): then every request is allowed and nothing else needs asking.
 */
export interface Authorizer {
  readonly enabled: boolean;
  authorize(session: Session, request: AuthorizationRequest): boolean;
  /**
   * Optional (Kafka's Authorizer.authorizeByResourceType, KIP-679): could `session` do `operation` on
   * some resource of the type, by any ACL (a prefixed one, one for a topic not created yet)? Asked by
   * InitProducerId (WRITE on any topic); without it the serving layer asks about the topics that exist.
   */
  authorizeByResourceType?(session: Session, operation: AclOperation, resourceType: AclResourceType): boolean;
}

/** The authorizer of a node without authorizer.class.name: allows everything. */
export const ALLOW_ALL: Authorizer = { enabled: false, authorize: () => true };

// ---------------------------------------------------------------------------------------------------
// SCRAM credentials (KIP-554: UserScramCredentialRecord)

export const SCRAM_MECHANISMS = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 } as const;
export type ScramMechanism = keyof typeof SCRAM_MECHANISMS;

/** What the metadata log keeps of a user's password for one mechanism (RFC 5802): never the password. */
export interface ScramCredential {
  readonly mechanism: ScramMechanism;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

// ---------------------------------------------------------------------------------------------------
// Client quotas (KIP-546: ClientQuotaRecord), by user

/** The quota keys served: bytes per second per broker, as Kafka's. */
export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

/** A quota entity: a user's name, or null for the default of every user (`--entity-default`). */
export type QuotaUser = string | null;

/** What the metadata image holds of security: ACLs, SCRAM credentials and quotas. */
export interface SecurityImage {
  /** By ACL id. */
  readonly acls: ReadonlyMap<string, AclEntry>;
  /** By user name, then mechanism. */
  readonly scramCredentials: ReadonlyMap<string, ReadonlyMap<ScramMechanism, ScramCredential>>;
  /** By user name ('' = the default entity), then key; a user with no quota left is absent. */
  readonly clientQuotas: ReadonlyMap<string, ReadonlyMap<QuotaKey, number>>;
}

export const EMPTY_SECURITY_IMAGE: SecurityImage = {
  acls: new Map(),
  scramCredentials: new Map(),
  clientQuotas: new Map(),
};
