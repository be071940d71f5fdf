// The SDK Admin's calls the admin tools stand on, against the real client app over the in-memory
// FakeNode (test/cli/data-cluster.ts): ACLs, SCRAM credentials, client quotas and the cluster id; and
// the fenced brokers describeCluster shows only when asked (test/cli/fake-cluster.ts has one).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import type { AclDescription } from '../../src/client/admin-types.ts';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { passwordMatches } from '../../src/common/scram.ts';
import { DataCluster } from '../cli/data-cluster.ts';
import { CLUSTER_ID, FakeCluster } from '../cli/fake-cluster.ts';

let cluster: DataCluster;
let admin: Admin;

beforeEach(async () => {
  cluster = new DataCluster();
  admin = new Admin({ bootstrap: `http://${await cluster.start()}`, requestTimeoutMs: 5_000 });
});

afterEach(async () => {
  await admin.close();
  await cluster.close();
});

const readOrders: AclDescription = {
  resourceType: 'TOPIC',
  resourceName: 'orders',
  patternType: 'LITERAL',
  principal: 'User:alice',
  host: '*',
  operation: 'READ',
  permissionType: 'ALLOW',
};
const denyPrefix: AclDescription = {
  resourceType: 'TOPIC',
  resourceName: 'ord',
  patternType: 'PREFIXED',
  principal: 'User:mallory',
  host: '10.0.0.9',
  operation: 'WRITE',
  permissionType: 'DENY',
};

describe('Admin ACLs', () => {
  it('creates, describes by filter and deletes ACLs', async () => {
    await admin.createAcls([readOrders, denyPrefix]);
    expect(cluster.node.image().security.acls.size).toBe(2);
    expect(await admin.describeAcls({ principal: 'User:alice' })).toEqual([readOrders]);
    // MATCH: every pattern that applies to the name, the prefixed one included.
    const matching = await admin.describeAcls({
      resourceType: 'TOPIC',
      resourceName: 'orders',
      patternType: 'MATCH',
    });
    expect(matching).toHaveLength(2);
    expect(matching).toEqual(expect.arrayContaining([readOrders, denyPrefix]));
    expect(await admin.deleteAcls([{ permissionType: 'DENY' }])).toEqual([denyPrefix]);
    expect(await admin.describeAcls()).toEqual([readOrders]);
    // Deleting again is harmless: nothing matches any more.
    expect(await admin.deleteAcls([{ permissionType: 'DENY' }])).toEqual([]);
  });

  it('refuses an ACL the cluster cannot take, creating none of the batch', async () => {
    const failure = await admin
      .createAcls([readOrders, { ...readOrders, principal: 'alice' }])
      .catch((error: unknown) => error);
    expect(isKafkaError(failure)).toBe(true);
    expect(cluster.node.image().security.acls.size).toBe(0);
  });
});

describe('Admin SCRAM credentials', () => {
  it('upserts, describes (never a salt or key) and deletes credentials', async () => {
    await admin.alterUserScramCredentials([
      { user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'alice-secret', iterations: 8192 },
      { user: 'bob', mechanism: 'SCRAM-SHA-512', password: 'bob-secret' },
    ]);
    const stored = cluster.node.image().security.scramCredentials.get('alice')?.get('SCRAM-SHA-256');
    expect(stored !== undefined && passwordMatches(stored, 'alice-secret')).toBe(true);
    expect(await admin.describeUserScramCredentials(['alice'])).toEqual([
      { user: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }] },
    ]);
    expect((await admin.describeUserScramCredentials()).map((entry) => entry.user).sort()).toEqual([
      'alice',
      'bob',
    ]);
    await admin.alterUserScramCredentials([], [{ user: 'alice', mechanism: 'SCRAM-SHA-256' }]);
    const failure = await admin.describeUserScramCredentials(['alice']).catch((error: unknown) => error);
    expect(isKafkaError(failure, 'RESOURCE_NOT_FOUND')).toBe(true);
  });
});

describe('Admin client quotas', () => {
  it('sets, describes and removes a user quota and the default', async () => {
    await admin.alterClientQuotas([
      { user: 'alice', quotas: { producer_byte_rate: 1048576 } },
      { user: null, quotas: { consumer_byte_rate: 2048 } },
    ]);
    const described = await admin.describeClientQuotas();
    expect(described).toHaveLength(2);
    expect(described).toEqual(
      expect.arrayContaining([
        { user: 'alice', quotas: { producer_byte_rate: 1048576 } },
        { user: null, quotas: { consumer_byte_rate: 2048 } },
      ]),
    );
    await admin.alterClientQuotas([{ user: 'alice', quotas: { producer_byte_rate: null } }]);
    expect(await admin.describeClientQuotas()).toEqual([
      { user: null, quotas: { consumer_byte_rate: 2048 } },
    ]);
  });
});

describe('Admin cluster', () => {
  it('answers the cluster id, asked once', async () => {
    const id = await admin.clusterId();
    expect(id).toBe(cluster.node.clusterId);
    expect(await admin.clusterId()).toBe(id);
    expect(cluster.requests.filter((request) => request === 'GET /v3/clusters')).toHaveLength(1);
  });

  it('shows fenced brokers only with includeFencedBrokers', async () => {
    const fake = new FakeCluster();
    const fakeAdmin = new Admin({ bootstrap: `http://${await fake.start()}`, requestTimeoutMs: 5_000 });
    try {
      const live = await fakeAdmin.describeCluster();
      expect(live.clusterId).toBe(CLUSTER_ID);
      expect(live.brokers.map((broker) => [broker.id, broker.fenced])).toEqual([
        [1, undefined],
        [2, undefined],
      ]);
      const all = await fakeAdmin.describeCluster({ includeFencedBrokers: true });
      expect(all.brokers.map((broker) => [broker.id, broker.fenced, broker.rack])).toEqual([
        [1, false, null],
        [2, false, null],
        [3, true, 'rack-b'],
      ]);
    } finally {
      await fakeAdmin.close();
      await fake.close();
    }
  });
});
