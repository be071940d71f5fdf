// DescribeAcls, CreateAcls, DeleteAcls, DescribeUserScramCredentials, AlterUserScramCredentials,
// DescribeClientQuotas and AlterClientQuotas through the listener's dispatcher over the in-memory broker
// (whose admin decides with the controller's real decisions): every advertised version, Kafka's codes.
import { beforeEach, describe, expect, it } from 'vitest';
import { KafkaError, KafkaErrors } from '../../src/common/kafka-errors.ts';
import { passwordMatches, saltedPassword } from '../../src/common/scram.ts';
import { ADVERTISED_VERSIONS } from '../../src/kafka/protocol/api-keys.ts';
import {
  alterClientQuotasApi,
  alterUserScramCredentialsApi,
  createAclsApi,
  deleteAclsApi,
  describeAclsApi,
  describeClientQuotasApi,
  describeUserScramCredentialsApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import type { RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { answer } from './exchange.ts';
import { type FakeBroker, servedFakeBroker } from './fake-broker.ts';

const TOPIC = 2;
const GROUP = 3;
const ANY = 1;
const MATCH = 2;
const LITERAL = 3;
const PREFIXED = 4;
const READ = 3;
const WRITE = 4;
const ALLOW = 3;
const DENY = 2;

let broker: FakeBroker;
let dispatcher: RequestDispatcher;
beforeEach(async () => {
  ({ broker, dispatcher } = await servedFakeBroker());
});

function range(name: string): number[] {
  const versions = ADVERTISED_VERSIONS.get(name)!;
  return Array.from({ length: versions.highest - versions.lowest + 1 }, (_, i) => versions.lowest + i);
}

const creation = (overrides: Record<string, unknown> = {}) => ({
  resourceType: TOPIC,
  resourceName: 'orders',
  resourcePatternType: LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: READ,
  permissionType: ALLOW,
  ...overrides,
});

const anyFilter = {
  resourceTypeFilter: ANY,
  resourceNameFilter: null,
  patternTypeFilter: ANY,
  principalFilter: null,
  hostFilter: null,
  operation: ANY,
  permissionType: ANY,
};

describe('ACL APIs', () => {
  it('create, describe (grouped by resource) and delete at every version', async () => {
    for (const version of range('CreateAcls')) {
      const prefixed = version >= 1;
      const created = await answer(dispatcher, createAclsApi, version, {
        creations: [
          creation(),
          creation({ operation: WRITE, permissionType: DENY, host: '10.0.0.1' }),
          ...(prefixed ? [creation({ resourceName: 'ord', resourcePatternType: PREFIXED })] : []),
          creation({ resourceType: GROUP, resourceName: 'app' }),
        ],
      });
      expect(created.results.map((result) => result.errorCode)).toEqual(prefixed ? [0, 0, 0, 0] : [0, 0, 0]);
      const filter = {
        ...anyFilter,
        patternTypeFilter: version >= 1 ? MATCH : LITERAL,
        resourceTypeFilter: TOPIC,
        resourceNameFilter: 'orders',
      };
      const described = await answer(dispatcher, describeAclsApi, version, filter);
      expect(described.errorCode).toBe(0);
      expect(
        described.resources.map((resource) => [
          resource.resourceName,
          resource.patternType,
          resource.acls.length,
        ]),
      ).toEqual(
        prefixed
          ? [
              ['orders', LITERAL, 2],
              ['ord', PREFIXED, 1],
            ]
          : [['orders', LITERAL, 2]],
      );
      expect(described.resources[0]?.acls[1]).toEqual({
        principal: 'User:alice',
        host: '10.0.0.1',
        operation: WRITE,
        permissionType: DENY,
      });
      const deleted = await answer(dispatcher, deleteAclsApi, version, {
        filters: [{ ...anyFilter, patternTypeFilter: version >= 1 ? ANY : LITERAL }],
      });
      expect(deleted.filterResults[0]?.errorCode).toBe(0);
      expect(deleted.filterResults[0]?.matchingAcls).toHaveLength(prefixed ? 4 : 3);
      expect(broker.node.image().security.acls.size).toBe(0);
    }
  });

  it('refuses each bad creation or filter on its own with INVALID_REQUEST', async () => {
    const created = await answer(dispatcher, createAclsApi, 3, {
      creations: [
        creation(),
        creation({ operation: ANY }),
        creation({ resourcePatternType: MATCH }),
        creation({ principal: 'alice' }),
      ],
    });
    expect(created.results.map((result) => result.errorCode)).toEqual([
      0,
      KafkaErrors.INVALID_REQUEST.code,
      KafkaErrors.INVALID_REQUEST.code,
      KafkaErrors.INVALID_REQUEST.code,
    ]);
    expect(broker.node.image().security.acls.size).toBe(1);
    const described = await answer(dispatcher, describeAclsApi, 3, { ...anyFilter, operation: 0 });
    expect(described.errorCode).toBe(KafkaErrors.INVALID_REQUEST.code);
    const deleted = await answer(dispatcher, deleteAclsApi, 3, {
      filters: [{ ...anyFilter, permissionType: 7 }, anyFilter],
    });
    expect(deleted.filterResults.map((result) => [result.errorCode, result.matchingAcls.length])).toEqual([
      [KafkaErrors.INVALID_REQUEST.code, 0],
      [0, 1],
    ]);
  });

  it('answers every item with the admin failure (e.g. NOT_CONTROLLER)', async () => {
    broker.node.failWith = new KafkaError('NOT_CONTROLLER', 'no');
    const created = await answer(dispatcher, createAclsApi, 3, {
      creations: [creation(), creation({ operation: WRITE })],
    });
    expect(created.results.map((result) => result.errorCode)).toEqual([
      KafkaErrors.NOT_CONTROLLER.code,
      KafkaErrors.NOT_CONTROLLER.code,
    ]);
  });
});

describe('SCRAM credential APIs', () => {
  it('alter with salted passwords, describe mechanisms and iterations, per-user errors', async () => {
    const salt = Buffer.from('pepper-and-salt!');
    const altered = await answer(dispatcher, alterUserScramCredentialsApi, 0, {
      deletions: [{ name: 'bob', mechanism: 1 }],
      upsertions: [
        {
          name: 'alice',
          mechanism: 2,
          iterations: 8192,
          salt,
          saltedPassword: saltedPassword('SCRAM-SHA-512', 'pw', salt, 8192),
        },
        { name: 'carol', mechanism: 0, iterations: 4096, salt, saltedPassword: Buffer.from([1]) },
      ],
    });
    expect(altered.results.map((result) => [result.user, result.errorCode])).toEqual([
      ['bob', KafkaErrors.RESOURCE_NOT_FOUND.code],
      ['alice', 0],
      ['carol', KafkaErrors.UNSUPPORTED_SASL_MECHANISM.code],
    ]);
    const stored = broker.node.image().security.scramCredentials.get('alice')?.get('SCRAM-SHA-512');
    expect(passwordMatches(stored!, 'pw')).toBe(true);
    const all = await answer(dispatcher, describeUserScramCredentialsApi, 0, { users: null });
    expect(all.results).toEqual([
      {
        user: 'alice',
        errorCode: 0,
        errorMessage: null,
        credentialInfos: [{ mechanism: 2, iterations: 8192 }],
      },
    ]);
    const named = await answer(dispatcher, describeUserScramCredentialsApi, 0, {
      users: [{ name: 'nobody' }],
    });
    expect(named.results[0]?.errorCode).toBe(KafkaErrors.RESOURCE_NOT_FOUND.code);
  });
});

describe('client quota APIs', () => {
  it('alter and describe user quotas with filters, at every version', async () => {
    for (const version of range('AlterClientQuotas')) {
      const altered = await answer(dispatcher, alterClientQuotasApi, version, {
        entries: [
          {
            entity: [{ entityType: 'user', entityName: 'alice' }],
            ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }],
          },
          {
            entity: [{ entityType: 'user', entityName: null }],
            ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }],
          },
          {
            entity: [{ entityType: 'client-id', entityName: 'app' }],
            ops: [{ key: 'producer_byte_rate', value: 1, remove: false }],
          },
          {
            entity: [{ entityType: 'user', entityName: 'bob' }],
            ops: [{ key: 'request_percentage', value: 50, remove: false }],
          },
        ],
        validateOnly: false,
      });
      expect(altered.entries.map((entry) => entry.errorCode)).toEqual([
        0,
        0,
        KafkaErrors.INVALID_REQUEST.code,
        KafkaErrors.INVALID_REQUEST.code,
      ]);
      const describe = (
        components: { entityType: string; matchType: number; match: string | null }[],
        strict = false,
      ) => answer(dispatcher, describeClientQuotasApi, version, { components, strict });
      const all = await describe([]);
      expect(all.entries?.map((entry) => [entry.entity[0]?.entityName, entry.values])).toEqual([
        ['alice', [{ key: 'producer_byte_rate', value: 1024 }]],
        [null, [{ key: 'consumer_byte_rate', value: 2048 }]],
      ]);
      expect((await describe([], true)).entries).toEqual([]);
      expect((await describe([{ entityType: 'user', matchType: 0, match: 'alice' }])).entries).toHaveLength(
        1,
      );
      expect(
        (await describe([{ entityType: 'user', matchType: 1, match: null }])).entries?.[0]?.entity[0]
          ?.entityName,
      ).toBeNull();
      expect(
        (await describe([{ entityType: 'user', matchType: 2, match: null }])).entries?.[0]?.entity[0]
          ?.entityName,
      ).toBe('alice');
      expect((await describe([{ entityType: 'client-id', matchType: 2, match: null }])).entries).toEqual([]);
      const bad = await describe([{ entityType: 'user', matchType: 9, match: null }]);
      expect(bad.errorCode).toBe(KafkaErrors.INVALID_REQUEST.code);
      await answer(dispatcher, alterClientQuotasApi, version, {
        entries: [
          {
            entity: [{ entityType: 'user', entityName: 'alice' }],
            ops: [{ key: 'producer_byte_rate', value: 0, remove: true }],
          },
          {
            entity: [{ entityType: 'user', entityName: null }],
            ops: [{ key: 'consumer_byte_rate', value: 0, remove: true }],
          },
        ],
        validateOnly: false,
      });
      expect(broker.node.image().security.clientQuotas.size).toBe(0);
    }
  });
});
