// The QuorumController's ACL, SCRAM and quota operations (Kafka's AclControlManager, ScramControlManager,
// ClientQuotaControlManager) against an in-memory metadata log, and the bootstrap credentials of a new log.
import { describe, expect, it } from 'vitest';
import { term } from '../../../raft/types.ts';
import { saltedPassword } from '../../../src/common/scram.ts';
import { credentialFromPassword, passwordMatches } from '../../../src/common/scram.ts';
import type { AclBinding } from '../../../src/common/security.ts';
import { ANY_ACL } from '../../../src/metadata/acl-filter.ts';
import { describeAcls } from '../../../src/metadata/security-queries.ts';
import { activeFixture, flush, newFixture, registerRequest } from './fixtures.ts';

const READ_ORDERS: AclBinding = {
  resourceType: 'TOPIC',
  resourceName: 'orders',
  patternType: 'LITERAL',
  principal: 'User:alice',
  host: '*',
  operation: 'READ',
  permissionType: 'ALLOW',
};

function upsertion(user: string, password: string, iterations = 4096, mechanism = 'SCRAM-SHA-256') {
  const salt = Buffer.from(`salt-of-${user}`);
  const salted =
    mechanism === 'SCRAM-SHA-256' || mechanism === 'SCRAM-SHA-512'
      ? saltedPassword(mechanism, password, salt, iterations)
      : Buffer.from([1]);
  return { user, mechanism, iterations, salt, saltedPassword: salted };
}

describe('createAcls / deleteAcls', () => {
  it('creates valid bindings once, refuses invalid ones with INVALID_REQUEST, in one batch', async () => {
    const { controller, log } = await activeFixture();
    const before = log.batches.length;
    const { errors } = await controller.createAcls([
      READ_ORDERS,
      { ...READ_ORDERS, principal: 'alice' },
      { ...READ_ORDERS, host: 'localhost' },
      { ...READ_ORDERS, resourceType: 'CLUSTER' },
      { ...READ_ORDERS, patternType: 'PREFIXED', resourceName: '*' },
      READ_ORDERS,
      { ...READ_ORDERS, resourceType: 'CLUSTER', resourceName: 'kafka-cluster', operation: 'ALTER' },
    ]);
    expect(errors.map((error) => error?.errorName ?? null)).toEqual([
      null,
      'INVALID_REQUEST',
      'INVALID_REQUEST',
      'INVALID_REQUEST',
      'INVALID_REQUEST',
      null,
      null,
    ]);
    expect(log.batches.length).toBe(before + 1);
    expect(log.image().security.acls.size).toBe(2);
    // An identical binding already stored is not added again, and writes nothing.
    expect((await controller.createAcls([READ_ORDERS])).errors).toEqual([null]);
    expect(log.batches.length).toBe(before + 1);
  });

  it('deletes what the filters match, each ACL once, listing it under every filter that matched it', async () => {
    const { controller, log } = await activeFixture();
    await controller.createAcls([
      READ_ORDERS,
      { ...READ_ORDERS, operation: 'WRITE' },
      { ...READ_ORDERS, resourceName: 'ord', patternType: 'PREFIXED' },
      { ...READ_ORDERS, resourceName: '*' },
      { ...READ_ORDERS, resourceType: 'GROUP', resourceName: 'g' },
    ]);
    const matchOrders = {
      ...ANY_ACL,
      resourceType: 'TOPIC' as const,
      resourceName: 'orders',
      patternType: 'MATCH' as const,
    };
    expect(describeAcls(log.image(), matchOrders).map((acl) => acl.resourceName)).toEqual([
      'orders',
      'orders',
      'ord',
      '*',
    ]);
    const literalOrders = { ...ANY_ACL, resourceName: 'orders', patternType: 'LITERAL' as const };
    const { deleted } = await controller.deleteAcls([
      { ...literalOrders, operation: 'WRITE' },
      literalOrders,
    ]);
    expect(deleted.map((list) => list.map((acl) => acl.operation))).toEqual([['WRITE'], ['READ', 'WRITE']]);
    expect([...log.image().security.acls.values()].map((acl) => acl.resourceName)).toEqual(['ord', '*', 'g']);
    expect((await controller.deleteAcls([{ ...ANY_ACL, principal: 'User:bob' }])).deleted).toEqual([[]]);
  });
});

describe('alterUserScramCredentials', () => {
  it('stores credentials derived from the salted password, never the password', async () => {
    const { controller, log } = await activeFixture();
    const { results } = await controller.alterUserScramCredentials(
      [upsertion('alice', 'alice-secret'), upsertion('alice', 'alice-512', 8192, 'SCRAM-SHA-512')],
      [],
    );
    expect(results).toEqual([{ user: 'alice', error: null }]);
    const stored = log.image().security.scramCredentials.get('alice');
    expect(stored?.get('SCRAM-SHA-512')?.iterations).toBe(8192);
    expect(passwordMatches(stored!.get('SCRAM-SHA-256')!, 'alice-secret')).toBe(true);
    expect(passwordMatches(stored!.get('SCRAM-SHA-256')!, 'wrong')).toBe(false);
  });

  it("answers per user with Kafka's errors, writing nothing of a user that has one", async () => {
    const { controller, log } = await activeFixture();
    await controller.alterUserScramCredentials([upsertion('carol', 'c')], []);
    const { results } = await controller.alterUserScramCredentials(
      [
        upsertion('alice', 'a', 4095),
        upsertion('bob', 'b', 4096, 'SCRAM-SHA-1'),
        upsertion('', 'x'),
        upsertion('dave', 'd'),
        upsertion('dave', 'd'),
        upsertion('erin', 'e'),
      ],
      [
        { user: 'carol', mechanism: 'SCRAM-SHA-512' },
        { user: 'erin', mechanism: 'SCRAM-SHA-256' },
      ],
    );
    expect(results.map(({ user, error }) => [user, error?.errorName ?? null])).toEqual([
      ['carol', 'RESOURCE_NOT_FOUND'],
      ['erin', 'RESOURCE_NOT_FOUND'],
      ['alice', 'UNACCEPTABLE_CREDENTIAL'],
      ['bob', 'UNSUPPORTED_SASL_MECHANISM'],
      ['', 'UNACCEPTABLE_CREDENTIAL'],
      ['dave', 'DUPLICATE_RESOURCE'],
    ]);
    expect([...log.image().security.scramCredentials.keys()]).toEqual(['carol']);
    const { results: deletion } = await controller.alterUserScramCredentials(
      [],
      [{ user: 'carol', mechanism: 'SCRAM-SHA-256' }],
    );
    expect(deletion).toEqual([{ user: 'carol', error: null }]);
    expect(log.image().security.scramCredentials.size).toBe(0);
  });
});

describe('alterClientQuotas', () => {
  it('sets and removes user and default quotas; validate-only writes nothing', async () => {
    const { controller, log } = await activeFixture();
    const { errors } = await controller.alterClientQuotas(
      [
        { user: 'alice', ops: [{ key: 'producer_byte_rate', value: 1024 }] },
        {
          user: null,
          ops: [
            { key: 'consumer_byte_rate', value: 2048 },
            { key: 'producer_byte_rate', value: null },
          ],
        },
        { user: 'bob', ops: [{ key: 'request_percentage', value: 10 }] },
        { user: 'carol', ops: [{ key: 'producer_byte_rate', value: 1.5 }] },
        { user: 'alice', ops: [{ key: 'consumer_byte_rate', value: 1 }] },
      ],
      false,
    );
    expect(errors.map((error) => error?.errorName ?? null)).toEqual([
      null,
      null,
      'INVALID_REQUEST',
      'INVALID_REQUEST',
      'INVALID_REQUEST',
    ]);
    expect(log.image().security.clientQuotas.get('alice')?.get('producer_byte_rate')).toBe(1024);
    expect(log.image().security.clientQuotas.get('')?.get('consumer_byte_rate')).toBe(2048);
    const batches = log.batches.length;
    await controller.alterClientQuotas(
      [{ user: 'alice', ops: [{ key: 'producer_byte_rate', value: 5 }] }],
      true,
    );
    expect(log.batches.length).toBe(batches);
    await controller.alterClientQuotas(
      [{ user: 'alice', ops: [{ key: 'producer_byte_rate', value: null }] }],
      false,
    );
    expect(log.image().security.clientQuotas.has('alice')).toBe(false);
  });
});

describe('bootstrap credentials', () => {
  const admin = { user: 'admin', credential: credentialFromPassword('SCRAM-SHA-256', 'admin-secret') };

  it('are written by the first controller of a new log, right after its LeaderChange', async () => {
    const { log } = await activeFixture({ bootstrapScramCredentials: [admin] });
    expect(log.batches.map((batch) => batch.records.map((record) => record.type))).toEqual([
      ['leaderChange'],
      ['userScramCredential'],
    ]);
    expect(
      passwordMatches(
        log.image().security.scramCredentials.get('admin')!.get('SCRAM-SHA-256')!,
        'admin-secret',
      ),
    ).toBe(true);
  });

  it('are not written again by a later controller, even if the credential was deleted meanwhile', async () => {
    const first = await activeFixture({ bootstrapScramCredentials: [admin] });
    await first.controller.registerBroker(registerRequest(1));
    await first.controller.alterUserScramCredentials([], [{ user: 'admin', mechanism: 'SCRAM-SHA-256' }]);
    first.controller.resign();
    const second = newFixture({ bootstrapScramCredentials: [admin] }, first.log);
    second.controller.becomeLeader(term(2));
    await flush();
    expect(second.controller.isActive()).toBe(true);
    expect(first.log.image().security.scramCredentials.size).toBe(0);
    expect(first.log.batches.at(-1)?.records.map((record) => record.type)).toEqual(['leaderChange']);
  });
});
