// REST v2 consumer instances served by every node: three client apps over fake nodes 1..3 whose
// transport carries a forwarded request to the other app by its CLIENT address (localhost:808<id>).
import { afterEach, describe, expect, it } from 'vitest';
import type {
  InstanceTransport,
  RelayedAnswer,
  RelayedRequest,
} from '../../src/http/consumers/forwarding.ts';
import {
  FORWARDED_BY_HEADER,
  generatedInstanceId,
  holderHint,
  holderSearch,
} from '../../src/http/consumers/instance-id.ts';
import { brokerId } from '../../src/metadata/ids.ts';
import { FakeNode } from './fake-node.ts';
import type { Harness, Reply } from './harness.ts';
import { createTopic, newHarness } from './harness.ts';

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

interface Sent {
  readonly to: string;
  readonly request: RelayedRequest;
}

/** Routes "localhost:808N" to app N; a node in `dead` refuses connections, one in `broken` fails mid-way. */
class InjectTransport implements InstanceTransport {
  readonly sent: Sent[] = [];
  readonly dead = new Set<number>();
  readonly broken = new Set<number>();
  readonly apps = new Map<number, Harness>();

  async send(address: string, request: RelayedRequest): Promise<RelayedAnswer> {
    this.sent.push({ to: address, request });
    const id = Number(/^localhost:808(\d)$/.exec(address)?.[1]);
    if (this.dead.has(id))
      throw Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    if (this.broken.has(id)) throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const app = this.apps.get(id);
    if (app === undefined) throw new Error(`no app at ${address}`);
    const response = await app.app.inject({
      method: request.method as 'GET',
      url: request.path,
      headers: request.headers,
      ...(request.body !== null ? { payload: request.body } : {}),
    });
    const type = response.headers['content-type'];
    return {
      status: response.statusCode,
      contentType: typeof type === 'string' ? type : null,
      body: response.rawPayload,
    };
  }

  async close(): Promise<void> {}
}

let transport: InjectTransport;
let nodes: Harness[] = [];

function cluster(): Harness[] {
  transport = new InjectTransport();
  nodes = [1, 2, 3].map((id) => newHarness({ consumerTransport: transport }, new FakeNode(id)));
  nodes.forEach((harness, i) => {
    transport.apps.set(i + 1, harness);
  });
  return nodes;
}

afterEach(async () => {
  await Promise.all(nodes.map((harness) => harness.close()));
  nodes = [];
});

function v2(
  node: number,
  method: 'POST' | 'DELETE' | 'GET',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return nodes[node - 1]!.request({
    method,
    url,
    headers: { ...(body !== undefined && { 'content-type': V2 }), ...headers },
    ...(body !== undefined && { payload: JSON.stringify(body) }),
  });
}

async function produce(node: number, values: string[]): Promise<void> {
  const reply = await nodes[node - 1]!.request({
    method: 'POST',
    url: '/topics/t/partitions/0',
    headers: { 'content-type': BINARY },
    payload: JSON.stringify({ records: values.map((v) => ({ value: Buffer.from(v).toString('base64') })) }),
  });
  expect(reply.status, reply.text).toBe(200);
}

describe('instance ids and the search for a holder', () => {
  it('a generated id names its node; any other id names none', () => {
    expect(generatedInstanceId(2, UUID)).toBe(`rest-consumer-2-${UUID}`);
    expect(holderHint(generatedInstanceId(2, UUID))).toBe(2);
    expect(holderHint(generatedInstanceId(0, UUID))).toBe(0);
    for (const id of [
      `rest-consumer-${UUID}`,
      'c1',
      `rest-consumer-02-${UUID}`,
      `rest-consumer-2-${UUID}x`,
      `rest-consumer-99999999999-${UUID}`,
    ]) {
      expect(holderHint(id), id).toBeNull();
    }
  });

  it('tries the remembered holder, else the hint, first; then every other broker but itself', () => {
    const image = new FakeNode().image();
    const self = brokerId(1);
    expect(holderSearch(image, self, 'named', null)).toEqual({ first: null, rest: [2, 3] });
    expect(holderSearch(image, self, generatedInstanceId(3, UUID), null)).toEqual({ first: 3, rest: [2] });
    expect(holderSearch(image, self, generatedInstanceId(3, UUID), brokerId(2))).toEqual({
      first: 2,
      rest: [3],
    });
    // A hint of this node itself or of a broker the image does not know is no guess.
    expect(holderSearch(image, self, generatedInstanceId(1, UUID), null)).toEqual({
      first: null,
      rest: [2, 3],
    });
    expect(holderSearch(image, self, generatedInstanceId(7, UUID), null)).toEqual({
      first: null,
      rest: [2, 3],
    });
  });
});

describe('REST v2 consumer instances through any node', () => {
  it('serves an instance of node 1 through nodes 2 and 3, relaying each answer unchanged', async () => {
    cluster();
    await createTopic(nodes[0]!, 't', 1, 1);
    await produce(1, ['a', 'b']);
    const created = await v2(1, 'POST', '/consumers/g', {
      format: 'binary',
      'auto.offset.reset': 'earliest',
    });
    expect(created.status).toBe(200);
    const id = created.json.instance_id as string;
    expect(holderHint(id)).toBe(1);
    const base = `/consumers/g/instances/${id}`;

    expect((await v2(2, 'POST', `${base}/subscription`, { topics: ['t'] })).status).toBe(204);
    expect((await v2(3, 'GET', `${base}/subscription`)).json).toEqual({ topics: ['t'] });
    const read = await v2(3, 'GET', `${base}/records?timeout=0`, undefined, { accept: BINARY });
    expect(read.status, read.text).toBe(200);
    expect(read.headers['content-type']).toMatch(/^application\/vnd\.kafka\.binary\.v2\+json/);
    expect(
      (JSON.parse(read.text) as { value: string }[]).map((r) => Buffer.from(r.value, 'base64').toString()),
    ).toEqual(['a', 'b']);
    // Only the hinted holder was asked, with the marker and the client's Accept and Host.
    expect(transport.sent.map((s) => s.to)).toEqual(['localhost:8081', 'localhost:8081', 'localhost:8081']);
    expect(transport.sent.at(-1)!.request.headers).toMatchObject({
      [FORWARDED_BY_HEADER]: '3',
      accept: BINARY,
      host: 'localhost:80',
    });

    expect((await v2(2, 'POST', `${base}/offsets`)).status).toBe(200);
    expect(await nodes[0]!.node.groups.fetchOffsets({ groupId: 'g', partitions: null })).toMatchObject([
      { topic: 't', partition: 0, offset: 2 },
    ]);
    // Errors of the holder come back as they are (a format mismatch: 406 / 40601).
    const mismatch = await v2(2, 'GET', `${base}/records`, undefined, {
      accept: 'application/vnd.kafka.json.v2+json',
    });
    expect([mismatch.status, mismatch.json.error_code]).toEqual([406, 40601]);

    expect((await v2(3, 'GET', base)).json).toEqual({
      instance_id: id,
      base_uri: `http://localhost:80/consumers/g/instances/${id}`,
    });
    expect((await v2(3, 'DELETE', base)).status).toBe(204);
    for (const node of [1, 2, 3]) {
      const gone = await v2(node, 'GET', `${base}/subscription`);
      expect([gone.status, gone.json.error_code]).toEqual([404, 40403]);
    }
  });

  it('finds a named instance by asking the other nodes, then remembers its holder', async () => {
    cluster();
    expect((await v2(2, 'POST', '/consumers/g', { name: 'c1' })).status).toBe(200);
    // Creating a named instance asked the other nodes whether they hold one of that name.
    expect(transport.sent.map((s) => s.to).sort()).toEqual(['localhost:8081', 'localhost:8083']);
    transport.sent.length = 0;
    expect((await v2(1, 'GET', '/consumers/g/instances/c1/subscription')).json).toEqual({ topics: [] });
    // Nodes 2 and 3 asked (2 says yes), then the request went to 2.
    const asked = transport.sent.map((s) => `${s.request.method} ${s.to}`);
    expect(asked.slice(0, 2).sort()).toEqual(['GET localhost:8082', 'GET localhost:8083']);
    expect(asked.slice(2)).toEqual(['GET localhost:8082']);
    transport.sent.length = 0;
    expect((await v2(1, 'GET', '/consumers/g/instances/c1/assignments')).status).toBe(200);
    expect(transport.sent.map((s) => s.to)).toEqual(['localhost:8082']);
    // Deleted there and made again on node 3: node 1's memory is wrong, it asks again.
    expect((await v2(2, 'DELETE', '/consumers/g/instances/c1')).status).toBe(204);
    expect((await v2(3, 'POST', '/consumers/g', { name: 'c1' })).status).toBe(200);
    expect((await v2(1, 'POST', '/consumers/g/instances/c1/subscription', { topics: ['x'] })).status).toBe(
      204,
    );
    expect((await v2(3, 'GET', '/consumers/g/instances/c1/subscription')).json).toEqual({ topics: ['x'] });
  });

  it('keeps a name unique in its group across nodes: 409 / 40902', async () => {
    cluster();
    expect((await v2(1, 'POST', '/consumers/g', { name: 'c1' })).status).toBe(200);
    const again = await v2(3, 'POST', '/consumers/g', { name: 'c1' });
    expect([again.status, again.json.error_code]).toEqual([409, 40902]);
    expect((await v2(3, 'POST', '/consumers/other', { name: 'c1' })).status).toBe(200);
  });

  it('follows a wrong hint to the real holder (a client may name an instance like a generated id)', async () => {
    cluster();
    const name = generatedInstanceId(2, UUID);
    expect((await v2(1, 'POST', '/consumers/g', { name })).json.instance_id).toBe(name);
    transport.sent.length = 0;
    expect((await v2(3, 'GET', `/consumers/g/instances/${name}/subscription`)).status).toBe(200);
    expect(transport.sent.map((s) => `${s.request.method} ${s.to}`)).toEqual([
      'GET localhost:8082',
      'GET localhost:8081',
      'GET localhost:8081',
    ]);
  });

  it('answers 40403 at once when the holder is dead, or nobody holds the instance', async () => {
    cluster();
    const id = (await v2(1, 'POST', '/consumers/g', {})).json.instance_id as string;
    transport.dead.add(1);
    const started = Date.now();
    const gone = await v2(2, 'POST', `/consumers/g/instances/${id}/subscription`, { topics: ['t'] });
    expect([gone.status, gone.json.error_code]).toEqual([404, 40403]);
    expect(gone.json.message).toMatch(/no reachable node holds/);
    expect(Date.now() - started).toBeLessThan(1000);
    transport.dead.clear();
    const unknown = await v2(2, 'GET', '/consumers/g/instances/nobody/subscription');
    expect([unknown.status, unknown.json.error_code, unknown.json.message]).toEqual([
      404,
      40403,
      'Consumer instance not found.',
    ]);
  });

  it('looks past a node that fails to answer the search: it holds nothing reachable', async () => {
    cluster();
    expect((await v2(2, 'POST', '/consumers/g', { name: 'c1' })).status).toBe(200);
    transport.broken.add(3);
    expect((await v2(1, 'GET', '/consumers/g/instances/c1/subscription')).status).toBe(200);
    transport.dead.add(2);
    const gone = await v2(1, 'GET', '/consumers/g/instances/c1/subscription');
    expect([gone.status, gone.json.error_code]).toEqual([404, 40403]);
    expect(gone.json.message).toMatch(
      /no reachable node holds c1 of group g \(2 node\(s\) could not be asked/,
    );
  });

  it('never forwards a forwarded request again (no loop)', async () => {
    cluster();
    const marked = await v2(2, 'GET', '/consumers/g/instances/c1/subscription', undefined, {
      [FORWARDED_BY_HEADER]: '3',
    });
    expect([marked.status, marked.json.error_code]).toEqual([404, 40403]);
    expect(transport.sent).toEqual([]);
  });

  it('answers 500 / 50003 when the holder fails after the request went out (it may have acted)', async () => {
    cluster();
    const id = (await v2(1, 'POST', '/consumers/g', {})).json.instance_id as string;
    transport.broken.add(1);
    const failed = await v2(2, 'POST', `/consumers/g/instances/${id}/offsets`);
    expect([failed.status, failed.json.error_code]).toEqual([500, 50003]);
    expect(transport.sent).toHaveLength(1);
  });
});
