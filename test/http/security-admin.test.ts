// REST admin of ACLs (Confluent's v3 shape), SCRAM credentials and client quotas (ours), over the fake
// node, which decides with the controller's real decisions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { passwordMatches } from '../../src/common/scram.ts';
import { CLUSTER_ID } from './fake-node.ts';
import type { Harness } from './harness.ts';
import { BASE, ORIGIN, newHarness } from './harness.ts';

const ACLS = `${BASE}/acls`;

let h: Harness;
beforeEach(() => {
  h = newHarness();
});
afterEach(async () => {
  await h.close();
});

const aliceReadsOrders = {
  resource_type: 'TOPIC',
  resource_name: 'orders',
  pattern_type: 'LITERAL',
  principal: 'User:alice',
  host: '*',
  operation: 'READ',
  permission: 'ALLOW',
};

describe('ACLs: /v3/clusters/{c}/acls', () => {
  it('creates one ACL (201 with its Location) and lists it as a KafkaAcl', async () => {
    const created = await h.send('POST', ACLS, aliceReadsOrders);
    expect(created.status).toBe(201);
    const query =
      'resource_type=TOPIC&resource_name=orders&pattern_type=LITERAL&principal=User%3Aalice&host=*&operation=READ&permission=ALLOW';
    expect(created.headers.location).toBe(`${ORIGIN}${ACLS}?${query}`);
    const listed = await h.get(ACLS);
    expect(listed.status).toBe(200);
    expect(listed.json.kind).toBe('KafkaAclList');
    expect(listed.json.data).toEqual([
      {
        kind: 'KafkaAcl',
        metadata: { self: `${ORIGIN}${ACLS}?${query}`, resource_name: null },
        cluster_id: CLUSTER_ID,
        ...aliceReadsOrders,
      },
    ]);
  });

  it('creates a batch, filters the list (case-insensitive values, MATCH), and deletes by filter', async () => {
    const batch = await h.send('POST', `${ACLS}:batch`, {
      data: [
        aliceReadsOrders,
        { ...aliceReadsOrders, resource_name: 'ord', pattern_type: 'PREFIXED', operation: 'WRITE' },
        { ...aliceReadsOrders, resource_type: 'GROUP', resource_name: 'app', principal: 'User:bob' },
      ],
    });
    expect(batch.status).toBe(201);
    const matching = await h.get(`${ACLS}?resource_type=topic&resource_name=orders&pattern_type=match`);
    // Confluent's order: by resource name first ('ord' < 'orders').
    expect(matching.json.data?.map((acl) => acl.pattern_type)).toEqual(['PREFIXED', 'LITERAL']);
    const bobs = await h.get(`${ACLS}?principal=User:bob`);
    expect(bobs.json.data?.map((acl) => acl.resource_name)).toEqual(['app']);
    const deleted = await h.send('DELETE', `${ACLS}?resource_type=TOPIC&operation=WRITE`);
    expect(deleted.status).toBe(200);
    expect(deleted.json.data?.map((acl) => acl.resource_name)).toEqual(['ord']);
    expect((await h.get(ACLS)).json.data).toHaveLength(2);
  });

  it('refuses bad values with 400 / 40002 naming the field, and a bad batch entirely', async () => {
    const bad = async (body: unknown, pattern: RegExp) => {
      const reply = await h.send('POST', ACLS, body);
      expect(reply.status).toBe(400);
      expect(reply.json.error_code).toBe(40002);
      expect(String(reply.json.message)).toMatch(pattern);
    };
    await bad({ ...aliceReadsOrders, operation: 'ANY' }, /operation must be one of/);
    await bad({ ...aliceReadsOrders, pattern_type: 'MATCH' }, /pattern_type must be one of/);
    await bad({ ...aliceReadsOrders, principal: 'alice' }, /User:<name>/);
    await bad({ ...aliceReadsOrders, host: 'example.com' }, /IP address/);
    await bad({ ...aliceReadsOrders, resource_type: 'CLUSTER' }, /kafka-cluster/);
    const batch = await h.send('POST', `${ACLS}:batch`, {
      data: [aliceReadsOrders, { ...aliceReadsOrders, permission: 'maybe' }],
    });
    expect(batch.status).toBe(400);
    expect(batch.json.message).toMatch(/data\[1\]\.permission/);
    expect((await h.get(ACLS)).json.data).toEqual([]);
    const query = await h.get(`${ACLS}?operation=JUMP`);
    expect(query.status).toBe(400);
    expect(query.json.error_code).toBe(40002);
  });

  it('the cluster links to its ACLs', async () => {
    expect((await h.get(BASE)).json.acls).toEqual({ related: `${ORIGIN}${ACLS}` });
  });
});

describe('SCRAM credentials: /v3/clusters/{c}/user-scram-credentials', () => {
  const ALTER = `${BASE}/user-scram-credentials:alter`;

  it('salts and derives on the server, describes mechanisms and iterations only', async () => {
    const altered = await h.send('POST', ALTER, {
      upsertions: [
        { user: 'alice', mechanism: 'SCRAM-SHA-256', password: 'alice-secret' },
        { user: 'alice', mechanism: 'scram-sha-512', iterations: 8192, password: 'alice-512' },
      ],
    });
    expect(altered.status).toBe(204);
    const stored = h.node.image().security.scramCredentials.get('alice');
    expect(passwordMatches(stored!.get('SCRAM-SHA-256')!, 'alice-secret')).toBe(true);
    expect(stored!.get('SCRAM-SHA-256')!.salt.length).toBe(32);
    const described = await h.get(`${BASE}/user-scram-credentials`);
    expect(described.status).toBe(200);
    expect(described.json.kind).toBe('KafkaUserScramCredentialList');
    expect(described.json.data).toEqual([
      {
        kind: 'KafkaUserScramCredential',
        metadata: {
          self: `${ORIGIN}${BASE}/user-scram-credentials?user=alice`,
          resource_name: `crn:///kafka=${CLUSTER_ID}/user=alice`,
        },
        cluster_id: CLUSTER_ID,
        user: 'alice',
        credentials: [
          { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
          { mechanism: 'SCRAM-SHA-512', iterations: 8192 },
        ],
      },
    ]);
    expect(described.text).not.toMatch(/salt|stored|server_key|secret/);
  });

  it("answers Kafka's errors: unknown user 404, bad iterations or mechanism 400", async () => {
    expect((await h.get(`${BASE}/user-scram-credentials?user=nobody`)).status).toBe(404);
    const iterations = await h.send('POST', ALTER, {
      upsertions: [{ user: 'a', mechanism: 'SCRAM-SHA-256', iterations: 1_000_000_000, password: 'p' }],
    });
    expect(iterations.status).toBe(400);
    expect(iterations.json.message).toMatch(/Iterations 1000000000 must be between 4096 and 16384/);
    const mechanism = await h.send('POST', ALTER, {
      upsertions: [{ user: 'a', mechanism: 'SCRAM-SHA-1', password: 'p' }],
    });
    // UNSUPPORTED_SASL_MECHANISM is a 401 on a login; in an admin request it is a bad value.
    expect(mechanism.status).toBe(400);
    expect(mechanism.json.message).toMatch(/Unknown SCRAM mechanism SCRAM-SHA-1/);
    const missing = await h.send('POST', ALTER, { deletions: [{ user: 'a', mechanism: 'SCRAM-SHA-256' }] });
    expect(missing.status).toBe(404);
    expect((await h.send('POST', ALTER, {})).status).toBe(400);
  });
});

describe('client quotas: /v3/clusters/{c}/client-quotas', () => {
  it('sets, lists and removes user and default quotas', async () => {
    const altered = await h.send('POST', `${BASE}/client-quotas:alter`, {
      data: [
        { user: 'alice', quotas: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
        { user: null, quotas: { producer_byte_rate: 524288 } },
      ],
    });
    expect(altered.status).toBe(204);
    const listed = await h.get(`${BASE}/client-quotas`);
    expect(listed.json.data?.map(({ user, quotas }) => ({ user, quotas }))).toEqual([
      { user: 'alice', quotas: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
      { user: null, quotas: { producer_byte_rate: 524288 } },
    ]);
    await h.send('POST', `${BASE}/client-quotas:alter`, {
      data: [{ user: 'alice', quotas: { producer_byte_rate: null, consumer_byte_rate: null } }],
    });
    expect((await h.get(`${BASE}/client-quotas`)).json.data?.map(({ user }) => user)).toEqual([null]);
  });

  it('refuses unknown keys and values that are not positive whole numbers with 400 / 40002', async () => {
    for (const quotas of [
      { request_percentage: 10 },
      { producer_byte_rate: -1 },
      { producer_byte_rate: 1.5 },
    ]) {
      const reply = await h.send('POST', `${BASE}/client-quotas:alter`, { data: [{ user: 'bob', quotas }] });
      expect(reply.status).toBe(400);
      expect(reply.json.error_code).toBe(40002);
    }
  });
});
