// An Authorizer for tests of the serving layers: allows exactly the (principal, operation, resource)
// tuples listed, and records every question it was asked, so a test can check both what a request may
// do and that nothing was asked when authorization is off. Kafka's implications (READ, WRITE, DELETE,
// ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS) are the real authorizer's business and
// are not applied here: a test lists what it grants.
import type {
  AclOperation,
  AclResourceType,
  AuthorizationRequest,
  Authorizer,
  Principal,
  Session,
} from '../../src/common/security.ts';

export interface Grant {
  /** `User:alice`; `User:*` for everyone. */
  readonly principal: string;
  readonly operation: AclOperation;
  readonly resourceType: AclResourceType;
  /** A resource name, or `*` for every resource of the type. */
  readonly resourceName: string;
}

export class AllowListAuthorizer implements Authorizer {
  readonly enabled = true;
  readonly asked: AuthorizationRequest[] = [];
  private readonly grants: Grant[];

  constructor(grants: readonly Grant[] = []) {
    this.grants = [...grants];
  }

  grant(
    principal: string,
    operation: AclOperation,
    resourceType: AclResourceType,
    resourceName: string,
  ): this {
    this.grants.push({ principal, operation, resourceType, resourceName });
    return this;
  }

  authorize(session: Session, request: AuthorizationRequest): boolean {
    this.asked.push(request);
    const principal = `${session.principal.type}:${session.principal.name}`;
    return this.grants.some(
      (grant) =>
        (grant.principal === principal || grant.principal === 'User:*') &&
        grant.operation === request.operation &&
        grant.resourceType === request.resourceType &&
        (grant.resourceName === request.resourceName || grant.resourceName === '*'),
    );
  }
}

/** An Authorizer that is off (as ALLOW_ALL) but fails the test if it is ever asked. */
export const NEVER_ASKED: Authorizer = {
  enabled: false,
  authorize: () => {
    throw new Error('a disabled authorizer was asked');
  },
};

export function userSession(name: string, clientHost = '127.0.0.1'): Session {
  const principal: Principal = { type: 'User', name };
  return { principal, clientHost, method: 'sasl-plain' };
}
