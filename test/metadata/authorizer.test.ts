import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  AclEntry,
  AclOperation,
  AclResourceType,
  AuthorizationRequest,
  Session,
} from '../../src/common/security.ts';
import { StandardAuthorizer } from '../../src/metadata/authorizer.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { emptyImage } from '../../src/metadata/image.ts';

const OPERATIONS: readonly AclOperation[] = [
  'ALL',
  'READ',
  'WRITE',
  'CREATE',
  'DELETE',
  'ALTER',
  'DESCRIBE',
  'CLUSTER_ACTION',
  'DESCRIBE_CONFIGS',
  'ALTER_CONFIGS',
  'IDEMPOTENT_WRITE',
];
const NAMES = ['orders', 'ord', 'o', 'payments', 'pay', '*'];
const USERS = ['alice', 'bob'];

function imageWith(acls: readonly AclEntry[]): MetadataImage {
  const image = emptyImage();
  return { ...image, security: { ...image.security, acls: new Map(acls.map((acl) => [acl.id, acl])) } };
}

function session(user: string, host = '10.0.0.1'): Session {
  return { principal: { type: 'User', name: user }, clientHost: host, method: 'sasl-plain' };
}

let nextId = 0;
function acl(fields: Partial<AclEntry>): AclEntry {
  nextId++;
  return {
    id: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
    resourceType: 'TOPIC',
    resourceName: 'orders',
    patternType: 'LITERAL',
    principal: 'User:alice',
    host: '*',
    operation: 'READ',
    permissionType: 'ALLOW',
    ...fields,
  };
}

/** Kafka's StandardAuthorizerData.findResult's operation check, spelled out. */
function referenceOperationMatch(acl: AclEntry, operation: AclOperation): boolean {
  if (acl.operation === 'ALL') return true;
  if (acl.permissionType === 'DENY') return acl.operation === operation;
  if (operation === 'DESCRIBE')
    return ['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER'].includes(acl.operation);
  if (operation === 'DESCRIBE_CONFIGS') return ['DESCRIBE_CONFIGS', 'ALTER_CONFIGS'].includes(acl.operation);
  return acl.operation === operation;
}

/** Kafka's rules written the slow, obvious way: the reference the indexed authorizer must agree with. */
function reference(
  acls: readonly AclEntry[],
  options: { superUsers: readonly string[]; allowEveryoneIfNoAclFound: boolean },
  who: Session,
  request: AuthorizationRequest,
): boolean {
  const principal = `User:${who.principal.name}`;
  if (options.superUsers.includes(principal)) return true;
  const onResource = acls.filter(
    (acl) =>
      acl.resourceType === request.resourceType &&
      (acl.patternType === 'LITERAL'
        ? acl.resourceName === request.resourceName || acl.resourceName === '*'
        : request.resourceName.startsWith(acl.resourceName)),
  );
  if (onResource.length === 0) return options.allowEveryoneIfNoAclFound;
  const applying = onResource.filter(
    (acl) =>
      (acl.principal === principal || acl.principal === 'User:*') &&
      (acl.host === who.clientHost || acl.host === '*') &&
      referenceOperationMatch(acl, request.operation),
  );
  if (applying.some((acl) => acl.permissionType === 'DENY')) return false;
  return applying.some((acl) => acl.permissionType === 'ALLOW');
}

const aclArb: fc.Arbitrary<AclEntry> = fc
  .record({
    resourceType: fc.constantFrom<AclResourceType>('TOPIC', 'GROUP'),
    resourceName: fc.constantFrom(...NAMES),
    prefixed: fc.boolean(),
    principal: fc.constantFrom('User:alice', 'User:bob', 'User:*'),
    host: fc.constantFrom('*', '10.0.0.1', '10.0.0.2'),
    operation: fc.constantFrom(...OPERATIONS),
    permissionType: fc.constantFrom<'ALLOW' | 'DENY'>('ALLOW', 'DENY'),
  })
  .map(({ prefixed, ...fields }) =>
    acl({ ...fields, patternType: prefixed && fields.resourceName !== '*' ? 'PREFIXED' : 'LITERAL' }),
  );

const requestArb: fc.Arbitrary<AuthorizationRequest> = fc.record({
  resourceType: fc.constantFrom<AclResourceType>('TOPIC', 'GROUP'),
  resourceName: fc.constantFrom(...NAMES, 'orders-eu', 'other'),
  operation: fc.constantFrom(...OPERATIONS.filter((operation) => operation !== 'ALL')),
});

describe('StandardAuthorizer', () => {
  it('agrees with the reference on any ACLs, session and request', () => {
    fc.assert(
      fc.property(
        fc.array(aclArb, { maxLength: 12 }),
        fc.constantFrom(...USERS, 'admin'),
        fc.constantFrom('10.0.0.1', '10.0.0.2'),
        requestArb,
        fc.boolean(),
        (acls, user, host, request, allowEveryoneIfNoAclFound) => {
          const options = { superUsers: ['User:admin'], allowEveryoneIfNoAclFound };
          const authorizer = new StandardAuthorizer(() => imageWith(acls), options);
          const who = session(user, host);
          expect(authorizer.authorize(who, request)).toBe(reference(acls, options, who, request));
        },
      ),
      { numRuns: 2000 },
    );
  });

  const options = { superUsers: ['User:admin'], allowEveryoneIfNoAclFound: false };
  const read = (resourceName = 'orders'): AuthorizationRequest => ({
    operation: 'READ',
    resourceType: 'TOPIC',
    resourceName,
  });
  const allows = (acls: AclEntry[], who: Session, request: AuthorizationRequest, opts = options) =>
    new StandardAuthorizer(() => imageWith(acls), opts).authorize(who, request);

  it('allows super users everything, even against a DENY', () => {
    expect(
      allows(
        [acl({ principal: 'User:admin', permissionType: 'DENY', operation: 'ALL' })],
        session('admin'),
        read(),
      ),
    ).toBe(true);
  });

  it('without any ACL on the resource, allow.everyone.if.no.acl.found decides', () => {
    const otherTopic = [acl({ resourceName: 'payments' })];
    expect(allows(otherTopic, session('alice'), read())).toBe(false);
    expect(
      allows(otherTopic, session('alice'), read(), { ...options, allowEveryoneIfNoAclFound: true }),
    ).toBe(true);
    // An ACL on the resource for someone else: no longer "no ACL found", so no.
    const forBob = [acl({ principal: 'User:bob' })];
    expect(allows(forBob, session('alice'), read(), { ...options, allowEveryoneIfNoAclFound: true })).toBe(
      false,
    );
  });

  it('DENY wins over ALLOW, wildcards included', () => {
    const acls = [acl({}), acl({ principal: 'User:*', host: '10.0.0.2', permissionType: 'DENY' })];
    expect(allows(acls, session('alice', '10.0.0.1'), read())).toBe(true);
    expect(allows(acls, session('alice', '10.0.0.2'), read())).toBe(false);
  });

  it('READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; only for ALLOW', () => {
    const describe = { ...read(), operation: 'DESCRIBE' as const };
    for (const operation of ['READ', 'WRITE', 'DELETE', 'ALTER'] as const)
      expect(allows([acl({ operation })], session('alice'), describe)).toBe(true);
    expect(allows([acl({ operation: 'CREATE' })], session('alice'), describe)).toBe(false);
    const describeConfigs = { ...read(), operation: 'DESCRIBE_CONFIGS' as const };
    expect(allows([acl({ operation: 'ALTER_CONFIGS' })], session('alice'), describeConfigs)).toBe(true);
    // A DENY of READ does not deny DESCRIBE.
    expect(
      allows([acl({ operation: 'DESCRIBE' }), acl({ permissionType: 'DENY' })], session('alice'), describe),
    ).toBe(true);
    expect(
      allows([acl({ operation: 'ALL' })], session('alice'), { ...read(), operation: 'ALTER_CONFIGS' }),
    ).toBe(true);
  });

  it('matches LITERAL *, PREFIXED prefixes (the whole name included), never other types', () => {
    expect(allows([acl({ resourceName: '*' })], session('alice'), read('anything'))).toBe(true);
    const prefixed = [acl({ resourceName: 'ord', patternType: 'PREFIXED' })];
    expect(allows(prefixed, session('alice'), read('orders'))).toBe(true);
    expect(allows(prefixed, session('alice'), read('ord'))).toBe(true);
    expect(allows(prefixed, session('alice'), read('or'))).toBe(false);
    expect(
      allows([acl({ resourceType: 'GROUP' })], session('alice'), read(), {
        ...options,
        allowEveryoneIfNoAclFound: true,
      }),
    ).toBe(true);
  });

  it('rebuilds its index when the image ACLs change, not otherwise', () => {
    let image = imageWith([]);
    const authorizer = new StandardAuthorizer(() => image, options);
    expect(authorizer.authorize(session('alice'), read())).toBe(false);
    image = imageWith([acl({})]);
    expect(authorizer.authorize(session('alice'), read())).toBe(true);
    image = { ...image, offset: image.offset };
    expect(authorizer.authorize(session('alice'), read())).toBe(true);
  });
});
