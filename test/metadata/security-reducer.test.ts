import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../raft/assert.ts';
import { metadataOffset } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';

const ID1 = '6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c';
const ID2 = '7f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c';

const acl = (
  id: string,
  overrides: Partial<MetadataRecord & { type: 'accessControlEntry' }> = {},
): MetadataRecord => ({
  type: 'accessControlEntry',
  id,
  resourceType: 'TOPIC',
  resourceName: 'orders',
  patternType: 'LITERAL',
  principal: 'User:alice',
  host: '*',
  operation: 'READ',
  permissionType: 'ALLOW',
  ...overrides,
});

const credential = (
  name: string,
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
  iterations = 4096,
): MetadataRecord => ({
  type: 'userScramCredential',
  name,
  mechanism,
  salt: Buffer.from([1, 2]),
  storedKey: Buffer.from([3]),
  serverKey: Buffer.from([4]),
  iterations,
});

function build(records: readonly MetadataRecord[]): MetadataImage {
  return records.reduce(
    (image, record, i) => applyBatch(image, [record], metadataOffset(i + 1)),
    emptyImage(),
  );
}

describe('reducer: security records', () => {
  it('adds and removes ACLs by id', () => {
    const image = build([acl(ID1), acl(ID2, { operation: 'WRITE' })]);
    expect([...image.security.acls.keys()]).toEqual([ID1, ID2]);
    expect(image.security.acls.get(ID2)?.operation).toBe('WRITE');
    const after = build([acl(ID1), acl(ID2), { type: 'removeAccessControlEntry', id: ID1 }]);
    expect([...after.security.acls.keys()]).toEqual([ID2]);
  });

  it('asserts unique ids, valid bindings and removals of existing ACLs', () => {
    expect(() => build([acl(ID1), acl(ID1, { operation: 'WRITE' })])).toThrow(/duplicate ACL id/);
    expect(() => build([acl(ID1, { principal: 'alice' })])).toThrow(InvariantError);
    expect(() => build([acl(ID1, { host: 'example.com' })])).toThrow(/neither an IP address/);
    expect(() => build([acl(ID1, { patternType: 'PREFIXED', resourceName: '*' })])).toThrow(/PREFIXED/);
    expect(() => build([acl(ID1, { resourceType: 'CLUSTER', resourceName: 'x' })])).toThrow(/kafka-cluster/);
    expect(() => build([{ type: 'removeAccessControlEntry', id: ID1 }])).toThrow(/unknown ACL/);
  });

  it('upserts SCRAM credentials per user and mechanism; a user without any is gone', () => {
    let image = build([credential('alice', 'SCRAM-SHA-256'), credential('alice', 'SCRAM-SHA-512', 8192)]);
    expect([...(image.security.scramCredentials.get('alice')?.keys() ?? [])]).toEqual([
      'SCRAM-SHA-256',
      'SCRAM-SHA-512',
    ]);
    image = applyBatch(image, [credential('alice', 'SCRAM-SHA-512', 10000)], metadataOffset(10));
    expect(image.security.scramCredentials.get('alice')?.get('SCRAM-SHA-512')?.iterations).toBe(10000);
    image = applyBatch(
      image,
      [
        { type: 'removeUserScramCredential', name: 'alice', mechanism: 'SCRAM-SHA-256' },
        { type: 'removeUserScramCredential', name: 'alice', mechanism: 'SCRAM-SHA-512' },
      ],
      metadataOffset(11),
    );
    expect(image.security.scramCredentials.has('alice')).toBe(false);
    expect(() =>
      build([{ type: 'removeUserScramCredential', name: 'bob', mechanism: 'SCRAM-SHA-256' }]),
    ).toThrow(/unknown SCRAM credential/);
    expect(() => build([credential('', 'SCRAM-SHA-256')])).toThrow(/no user/);
  });

  it('sets and removes quotas per user entity, the default entity apart', () => {
    const image = build([
      { type: 'clientQuota', user: 'alice', key: 'producer_byte_rate', value: 1024 },
      { type: 'clientQuota', user: null, key: 'producer_byte_rate', value: 2048 },
      { type: 'clientQuota', user: 'alice', key: 'producer_byte_rate', value: null },
    ]);
    expect(image.security.clientQuotas.has('alice')).toBe(false);
    expect(image.security.clientQuotas.get('')?.get('producer_byte_rate')).toBe(2048);
    expect(() => build([{ type: 'clientQuota', user: 'a', key: 'consumer_byte_rate', value: null }])).toThrow(
      /unknown quota/,
    );
    expect(() => build([{ type: 'clientQuota', user: 'a', key: 'consumer_byte_rate', value: 0 }])).toThrow(
      /not a positive number/,
    );
    expect(() => build([{ type: 'clientQuota', user: '', key: 'consumer_byte_rate', value: 1 }])).toThrow(
      /empty user name/,
    );
  });

  it('shares the security maps a record does not change', () => {
    const before = build([acl(ID1), credential('alice', 'SCRAM-SHA-256')]);
    const after = applyBatch(
      before,
      [{ type: 'clientQuota', user: 'alice', key: 'producer_byte_rate', value: 1 }],
      metadataOffset(5),
    );
    expect(after.security.acls).toBe(before.security.acls);
    expect(after.security.scramCredentials).toBe(before.security.scramCredentials);
  });
});
