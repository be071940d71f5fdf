// What the serving layers (src/http, src/kafka) share to ask an Authorizer: one call that costs nothing
// when no authorizer is configured, and the operations a resource type supports (Kafka's
// AclEntry.supportedOperations), from which Kafka's clients get a resource's "authorized operations"
// (Metadata, DescribeCluster, DescribeGroups; REST v3's authorized_operations). Pure.
import {
  ACL_OPERATIONS,
  type AclOperation,
  type AclResourceType,
  type Authorizer,
  CLUSTER_RESOURCE_NAME,
  type Session,
} from './security.ts';

/** May `session` do `operation` on the resource? Always true, without asking, when authorization is off. */
export function isAllowed(
  authorizer: Authorizer,
  session: Session,
  operation: AclOperation,
  resourceType: AclResourceType,
  resourceName: string,
): boolean {
  return !authorizer.enabled || authorizer.authorize(session, { operation, resourceType, resourceName });
}

/** May `session` do `operation` on the cluster (the one CLUSTER resource, `kafka-cluster`)? */
export function isAllowedOnCluster(
  authorizer: Authorizer,
  session: Session,
  operation: AclOperation,
): boolean {
  return isAllowed(authorizer, session, operation, 'CLUSTER', CLUSTER_RESOURCE_NAME);
}

/** Kafka's AclEntry.supportedOperations: what an ACL on a resource of each type may name (ALL aside). */
export const SUPPORTED_OPERATIONS: Readonly<Record<AclResourceType, readonly AclOperation[]>> = {
  TOPIC: ['READ', 'WRITE', 'CREATE', 'DESCRIBE', 'DELETE', 'ALTER', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['READ', 'DESCRIBE', 'DELETE'],
  CLUSTER: [
    'CREATE',
    'CLUSTER_ACTION',
    'DESCRIBE_CONFIGS',
    'ALTER_CONFIGS',
    'IDEMPOTENT_WRITE',
    'ALTER',
    'DESCRIBE',
  ],
  TRANSACTIONAL_ID: ['DESCRIBE', 'WRITE'],
  DELEGATION_TOKEN: ['DESCRIBE'],
  USER: ['CREATE_TOKENS', 'DESCRIBE_TOKENS'],
};

/** The supported operations `session` may do on the resource (all of them when authorization is off). */
export function authorizedOperations(
  authorizer: Authorizer,
  session: Session,
  resourceType: AclResourceType,
  resourceName: string,
): AclOperation[] {
  return SUPPORTED_OPERATIONS[resourceType].filter((operation) =>
    isAllowed(authorizer, session, operation, resourceType, resourceName),
  );
}

/** Operations as Kafka's wire carries them (Utils.to32BitField): bit `code` set for each. */
export function operationsBitField(operations: readonly AclOperation[]): number {
  let field = 0;
  for (const operation of operations) field |= 1 << ACL_OPERATIONS[operation];
  return field;
}
