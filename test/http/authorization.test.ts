// Authorization of every REST route family (src/http/authorization.ts) over the fake node, with an
// allow-list authorizer and a test hook that sets the request's session from `x-test-user` (what
// authentication does for real): what is granted works, what is not is 403 / 40301 (or Kafka's code
// in a native answer), a topic that does not exist is refused exactly as one that does, lists are
// filtered, and an authorizer that is off is never asked.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { anonymousSession, type Authorizer } from '../../src/common/security.ts';
import { clientCodec } from '../../src/http/native/codec.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { AllowListAuthorizer, NEVER_ASKED, userSession } from '../common/allow-list-authorizer.ts';
import { BASE, type Harness, newHarness, type Reply } from './harness.ts';

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const FORBIDDEN = { error_code: 40301 };

let h: Harness;
let authorizer: AllowListAuthorizer;

/** A harness whose requests run as `x-test-user` (anonymous without it). */
async function harnessWith(chosen: Authorizer): Promise<Harness> {
  const harness = newHarness({ authorizer: chosen });
  harness.app.addHook('onRequest', async (request) => {
    const user = request.headers['x-test-user'];
    request.session = typeof user === 'string' ? userSession(user) : anonymousSession(request.ip);
  });
  for (const name of ['orders', 'secret'])
    await harness.node.createTopic({
      name,
      partitionsCount: 2,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
  return harness;
}

beforeEach(async () => {
  authorizer = new AllowListAuthorizer();
  h = await harnessWith(authorizer);
});
afterEach(async () => h.close());

function as(
  user: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  contentType = 'application/json',
  accept?: string,
): Promise<Reply> {
  return h.request({
    method,
    url,
    headers: {
      'x-test-user': user,
      ...(body !== undefined && { 'content-type': contentType }),
      ...(accept !== undefined && { accept }),
    },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
}

/** The same refusal for an existing topic and a missing one (names swapped), and its status. */
function expectSameRefusal(existing: Reply, missing: Reply, existingName: string, missingName: string): void {
  expect(existing.status, existing.text).toBe(403);
  expect(existing.json).toMatchObject(FORBIDDEN);
  expect(missing.status).toBe(403);
  expect(missing.text.replaceAll(missingName, existingName)).toBe(existing.text);
}

describe('REST v3 topics', () => {
  it('the list shows only the topics the principal may describe', async () => {
    authorizer.grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders');
    const listed = await as('alice', 'GET', `${BASE}/topics`);
    expect(listed.status).toBe(200);
    expect(listed.json.data!.map((topic) => topic.topic_name)).toEqual(['orders']);
    expect((await as('mallory', 'GET', `${BASE}/topics`)).json.data).toEqual([]);
  });

  it('a topic without DESCRIBE is 403 whether or not it exists; with it, a missing one is 404', async () => {
    expectSameRefusal(
      await as('mallory', 'GET', `${BASE}/topics/secret`),
      await as('mallory', 'GET', `${BASE}/topics/ghost`),
      'secret',
      'ghost',
    );
    expect((await as('mallory', 'GET', `${BASE}/topics/secret`)).json.message).toBe(
      'Not authorized to access topics: [secret]',
    );
    authorizer.grant('User:alice', 'DESCRIBE', 'TOPIC', '*');
    expect((await as('alice', 'GET', `${BASE}/topics/secret`)).status).toBe(200);
    expect((await as('alice', 'GET', `${BASE}/topics/ghost`)).status).toBe(404);
    // Partitions as Kafka's Metadata: DESCRIBE.
    expect((await as('alice', 'GET', `${BASE}/topics/secret/partitions/1`)).status).toBe(200);
    expectSameRefusal(
      await as('mallory', 'GET', `${BASE}/topics/secret/partitions`),
      await as('mallory', 'GET', `${BASE}/topics/ghost/partitions`),
      'secret',
      'ghost',
    );
  });

  it('authorized_operations when asked (include_authorized_operations=true)', async () => {
    authorizer
      .grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders')
      .grant('User:alice', 'READ', 'TOPIC', 'orders');
    const asked = await as('alice', 'GET', `${BASE}/topics/orders?include_authorized_operations=true`);
    expect(asked.json.authorized_operations).toEqual(['READ', 'DESCRIBE']);
    const listed = await as('alice', 'GET', `${BASE}/topics?include_authorized_operations=true`);
    expect(listed.json.data![0]!.authorized_operations).toEqual(['READ', 'DESCRIBE']);
    expect((await as('alice', 'GET', `${BASE}/topics/orders`)).json.authorized_operations).toEqual([]);
  });

  it('create needs CREATE on the cluster or the topic; partitions ALTER; delete DELETE', async () => {
    const create = (user: string, name: string) =>
      as(user, 'POST', `${BASE}/topics`, { topic_name: name, partitions_count: 1, replication_factor: 1 });
    expect(await create('alice', 'mine')).toMatchObject({ status: 403, json: FORBIDDEN });
    authorizer.grant('User:alice', 'CREATE', 'TOPIC', 'mine');
    expect((await create('alice', 'mine')).status).toBe(201);
    expect((await create('alice', 'other')).status).toBe(403);
    authorizer.grant('User:alice', 'CREATE', 'CLUSTER', 'kafka-cluster');
    expect((await create('alice', 'other')).status).toBe(201);

    const grow = (user: string) => as(user, 'PATCH', `${BASE}/topics/orders`, { partitions_count: 4 });
    expect((await grow('alice')).status).toBe(403);
    authorizer.grant('User:alice', 'ALTER', 'TOPIC', 'orders');
    expect((await grow('alice')).status).toBe(200);

    expectSameRefusal(
      await as('alice', 'DELETE', `${BASE}/topics/secret`),
      await as('alice', 'DELETE', `${BASE}/topics/ghost`),
      'secret',
      'ghost',
    );
    authorizer.grant('User:alice', 'DELETE', 'TOPIC', 'secret');
    expect((await as('alice', 'DELETE', `${BASE}/topics/secret`)).status).toBe(204);
  });

  it('configs: DESCRIBE_CONFIGS to read, ALTER_CONFIGS to change', async () => {
    const url = `${BASE}/topics/orders/configs`;
    expect((await as('alice', 'GET', url)).status).toBe(403);
    authorizer.grant('User:alice', 'DESCRIBE_CONFIGS', 'TOPIC', 'orders');
    expect((await as('alice', 'GET', url)).status).toBe(200);
    expect((await as('alice', 'GET', `${url}/retention.ms`)).status).toBe(200);
    const alter = () => as('alice', 'PUT', `${url}/retention.ms`, { value: '1000' });
    expect((await alter()).status).toBe(403);
    expect(
      (await as('alice', 'POST', `${url}:alter`, { data: [{ name: 'retention.ms', value: '1000' }] })).status,
    ).toBe(403);
    authorizer.grant('User:alice', 'ALTER_CONFIGS', 'TOPIC', 'orders');
    expect((await alter()).status).toBe(204);
  });
});

describe('records', () => {
  it('v3 produce needs WRITE; reading a partition READ', async () => {
    const produce = (user: string, topic: string) =>
      as(user, 'POST', `${BASE}/topics/${topic}/records`, { value: { type: 'STRING', data: 'x' } });
    expectSameRefusal(
      await produce('mallory', 'secret'),
      await produce('mallory', 'ghost'),
      'secret',
      'ghost',
    );
    authorizer.grant('User:alice', 'WRITE', 'TOPIC', 'orders');
    const produced = await produce('alice', 'orders');
    expect(produced.status, produced.text).toBe(200);
    const read = (user: string) => as(user, 'GET', `${BASE}/topics/orders/partitions/0/records`);
    expect((await read('alice')).status).toBe(403);
    authorizer.grant('User:alice', 'READ', 'TOPIC', 'orders');
    expect((await read('alice')).status).toBe(200);
  });

  it('v2 produce needs WRITE, the group-less read READ, the topic list and topic DESCRIBE', async () => {
    const body = { records: [{ value: Buffer.from('x').toString('base64') }] };
    const produce = (user: string, topic: string) => as(user, 'POST', `/topics/${topic}`, body, BINARY);
    expectSameRefusal(
      await produce('mallory', 'secret'),
      await produce('mallory', 'ghost'),
      'secret',
      'ghost',
    );
    authorizer.grant('User:alice', 'WRITE', 'TOPIC', 'orders');
    expect((await produce('alice', 'orders')).status).toBe(200);
    const read = () =>
      as('alice', 'GET', '/topics/orders/partitions/0/records?offset=0', undefined, V2, BINARY);
    expect((await read()).status).toBe(403);
    authorizer.grant('User:alice', 'READ', 'TOPIC', 'orders');
    expect((await read()).status).toBe(200);

    expect((await as('alice', 'GET', '/topics')).json).toEqual([]);
    authorizer.grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders');
    expect((await as('alice', 'GET', '/topics')).json).toEqual(['orders']);
    expect((await as('alice', 'GET', '/topics/orders/partitions/0/offsets')).status).toBe(200);
    // The v2 topic shows its configs too.
    expect((await as('alice', 'GET', '/topics/orders')).status).toBe(403);
    authorizer.grant('User:alice', 'DESCRIBE_CONFIGS', 'TOPIC', 'orders');
    expect((await as('alice', 'GET', '/topics/orders')).status).toBe(200);
  });

  it('producer ids: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic', async () => {
    expect((await as('alice', 'POST', `${BASE}/producer-ids`)).status).toBe(403);
    authorizer.grant('User:alice', 'WRITE', 'TOPIC', 'orders');
    expect((await as('alice', 'POST', `${BASE}/producer-ids`)).status).toBe(200);
    authorizer.grant('User:bob', 'IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster');
    expect((await as('bob', 'POST', `${BASE}/producer-ids`)).status).toBe(200);
  });
});

describe('REST v2 consumer instances', () => {
  it('READ on the group to create and use one; READ on each topic subscribed and read', async () => {
    const create = (user: string) => as(user, 'POST', '/consumers/g', { format: 'binary' }, V2);
    expect(await create('alice')).toMatchObject({ status: 403, json: FORBIDDEN });
    expect((await create('alice')).json.message).toBe('Not authorized to access group: g');
    authorizer.grant('User:alice', 'READ', 'GROUP', 'g').grant('User:mallory', 'READ', 'GROUP', 'g');
    const created = await create('alice');
    expect(created.status, created.text).toBe(200);
    const base = `/consumers/g/instances/${created.json.instance_id as string}`;
    const subscribe = () => as('alice', 'POST', `${base}/subscription`, { topics: ['orders'] }, V2);
    expect((await subscribe()).status).toBe(403);
    authorizer.grant('User:alice', 'READ', 'TOPIC', 'orders');
    expect((await subscribe()).status).toBe(204);
    const assign = await as(
      'alice',
      'POST',
      `${base}/assignments`,
      { partitions: [{ topic: 'secret', partition: 0 }] },
      V2,
    );
    expect(assign.status).toBe(403);
    // Reading asks READ on what the instance reads: alice may. mallory (READ on the group, not the
    // creator) does not even find alice's instance: 404 / 40403, as for one that does not exist.
    const records = (user: string) =>
      as(user, 'GET', `${base}/records?timeout=0`, undefined, undefined, BINARY);
    expect((await records('alice')).status).toBe(200);
    await as('alice', 'POST', `${base}/assignments`, { partitions: [{ topic: 'orders', partition: 0 }] }, V2);
    expect((await records('mallory')).status).toBe(404);
    expect((await as('bob', 'GET', `${base}/subscription`)).status).toBe(403);
    const commit = (user: string) =>
      as(user, 'POST', `${base}/offsets`, { offsets: [{ topic: 'orders', partition: 0, offset: 0 }] }, V2);
    expect((await commit('mallory')).status).toBe(404);
    expect((await commit('alice')).status).toBe(200);
    expect((await as('bob', 'DELETE', base)).status).toBe(403);
    expect((await as('alice', 'DELETE', base)).status).toBe(204);
  });
});

describe('REST v3 consumer groups', () => {
  beforeEach(async () => {
    for (const groupId of ['g', 'h'])
      await h.node.groups.commit({
        groupId,
        memberId: null,
        generation: -1,
        offsets: [
          { topic: 'orders', partition: 0, offset: 1, metadata: '' },
          { topic: 'secret', partition: 0, offset: 1, metadata: '' },
        ],
      });
  });

  it('the list: every group with DESCRIBE on the cluster, else the describable ones', async () => {
    const ids = async (user: string) =>
      (await as(user, 'GET', `${BASE}/consumer-groups`)).json.data!.map((g) => g.consumer_group_id);
    expect(await ids('alice')).toEqual([]);
    authorizer.grant('User:alice', 'DESCRIBE', 'GROUP', 'h');
    expect(await ids('alice')).toEqual(['h']);
    authorizer.grant('User:alice', 'DESCRIBE', 'CLUSTER', 'kafka-cluster');
    expect((await ids('alice')).sort()).toEqual(['g', 'h']);
  });

  it('a group needs DESCRIBE (lags of describable topics only), delete DELETE, offsets READ on group and topics', async () => {
    expect((await as('alice', 'GET', `${BASE}/consumer-groups/g`)).status).toBe(403);
    expect((await as('alice', 'GET', `${BASE}/consumer-groups/g/lags`)).status).toBe(403);
    authorizer
      .grant('User:alice', 'DESCRIBE', 'GROUP', 'g')
      .grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders');
    expect((await as('alice', 'GET', `${BASE}/consumer-groups/g`)).status).toBe(200);
    const lags = await as('alice', 'GET', `${BASE}/consumer-groups/g/lags`);
    expect(lags.json.data!.map((lag) => lag.topic_name)).toEqual(['orders']);

    const reset = (topic: string) =>
      as('alice', 'POST', `${BASE}/consumer-groups/g/offsets`, {
        offsets: [{ topic_name: topic, partition_id: 0, offset: 0 }],
      });
    expect((await reset('orders')).status).toBe(403);
    authorizer.grant('User:alice', 'READ', 'GROUP', 'g').grant('User:alice', 'READ', 'TOPIC', 'orders');
    expect((await reset('orders')).status).toBe(204);
    expect((await reset('secret')).status).toBe(403);

    expect((await as('alice', 'DELETE', `${BASE}/consumer-groups/g`)).status).toBe(403);
    authorizer.grant('User:alice', 'DELETE', 'GROUP', 'g');
    expect((await as('alice', 'DELETE', `${BASE}/consumer-groups/g`)).status).toBe(204);
  });
});

describe('cluster and operations', () => {
  it('metadata quorum, broker traffic and /metrics need DESCRIBE on the cluster; the rest is open', async () => {
    for (const url of [`${BASE}/metadata-quorum`, `${BASE}/broker-traffic`, '/metrics']) {
      const refused = await as('alice', 'GET', url);
      expect(refused.status, url).toBe(403);
      expect(refused.json).toMatchObject({ error_code: 40301, message: 'Cluster authorization failed.' });
    }
    authorizer.grant('User:alice', 'DESCRIBE', 'CLUSTER', 'kafka-cluster');
    for (const url of [`${BASE}/metadata-quorum`, `${BASE}/broker-traffic`, '/metrics'])
      expect((await as('alice', 'GET', url)).status, url).toBe(200);
    // As Kafka's Metadata and DescribeCluster: the cluster and its brokers are everyone's.
    for (const url of ['/v3/clusters', BASE, `${BASE}/brokers`, '/brokers', '/ready', '/health'])
      expect((await as('mallory', 'GET', url)).status, url).toBe(200);
    expect((await as('mallory', 'GET', '/ui/')).status).toBe(200);
  });
});

describe('native API', () => {
  async function post(user: string, path: string, body: Buffer) {
    const response = await h.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-protobuf', 'x-test-user': user },
      payload: body,
    });
    return response.rawPayload;
  }
  const batch = buildRecordBatch({
    records: [{ key: null, value: Buffer.from('x'), headers: [], timestamp: 1 }],
  });

  it('produce WRITE, fetch READ, metadata DESCRIBE, as Kafka codes in the answer', async () => {
    const produce = (user: string, topic: string) =>
      post(
        user,
        '/v1/produce',
        clientCodec.produceRequest({
          acks: -1,
          timeoutMs: 0,
          topics: [{ name: topic, partitions: [{ partition: 0, records: batch }] }],
        }),
      );
    const code = (bytes: Uint8Array) =>
      clientCodec.produceResponse(bytes).topics[0]!.partitions[0]!.errorCode;
    expect(code(await produce('mallory', 'orders'))).toBe(KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code);
    expect(code(await produce('mallory', 'ghost'))).toBe(KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code);
    authorizer.grant('User:alice', 'WRITE', 'TOPIC', 'orders');
    expect(code(await produce('alice', 'orders'))).toBe(0);

    const fetch = (user: string) =>
      post(
        user,
        '/v1/fetch',
        clientCodec.fetchRequest({
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 0,
          topics: [{ name: 'orders', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 0 }] }],
        }),
      );
    const fetched = (bytes: Uint8Array) => clientCodec.fetchResponse(bytes).topics[0]!.partitions[0]!;
    expect(fetched(await fetch('alice')).errorCode).toBe(KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code);
    authorizer.grant('User:alice', 'READ', 'TOPIC', 'orders');
    expect(fetched(await fetch('alice'))).toMatchObject({ errorCode: 0 });
    expect(fetched(await fetch('alice')).records.length).toBeGreaterThan(0);

    authorizer.grant('User:alice', 'DESCRIBE', 'TOPIC', 'orders');
    const all = clientCodec.metadataResponse(
      await post('alice', '/v1/metadata', clientCodec.metadataRequest({ topics: [] })),
    );
    expect(all.topics.map((topic) => topic.name)).toEqual(['orders']);
    const named = clientCodec.metadataResponse(
      await post('alice', '/v1/metadata', clientCodec.metadataRequest({ topics: ['secret', 'ghost'] })),
    );
    expect(named.topics.map((topic) => [topic.name, topic.errorCode])).toEqual([
      ['secret', KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code],
      ['ghost', KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code],
    ]);
  });
});

describe('authorization off', () => {
  it('asks nothing and changes nothing', async () => {
    await h.close();
    h = await harnessWith(NEVER_ASKED);
    expect((await as('mallory', 'GET', `${BASE}/topics`)).json.data!.length).toBe(2);
    expect((await as('mallory', 'GET', `${BASE}/topics/ghost`)).status).toBe(404);
    expect(
      (await as('mallory', 'POST', `${BASE}/topics/orders/records`, { value: { type: 'STRING', data: 'x' } }))
        .status,
    ).toBe(200);
    expect((await as('mallory', 'GET', '/topics')).json).toEqual(['orders', 'secret']);
    expect((await as('mallory', 'POST', '/consumers/g', { format: 'binary' }, V2)).status).toBe(200);
    expect((await as('mallory', 'GET', '/metrics')).status).toBe(200);
    expect((await as('mallory', 'POST', `${BASE}/producer-ids`)).status).toBe(200);
    // As Kafka without an authorizer: every operation a topic supports.
    const topic = await as('mallory', 'GET', `${BASE}/topics/orders?include_authorized_operations=true`);
    expect(topic.json.authorized_operations).toHaveLength(8);
  });
});
