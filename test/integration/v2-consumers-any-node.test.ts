// REST v2 consumer instances through any node, and a choice of acks, on 3 real nodes: an instance created
// on node 1 is subscribed through node 2, read through node 3 (records with headers and timestamps),
// committed through node 2 and deleted through node 3; once its node is killed, the others answer 40403 at
// once. A topic's acks config and ?acks= decide how a REST produce is acknowledged.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster, waitFor } from './process-cluster.ts';
import { v2 } from './v2-consumer.ts';

let cluster: ProcessCluster | null = null;

afterEach(async (context) => {
  if (cluster !== null && context.task.result?.state === 'fail') {
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  }
  await cluster?.destroy();
  cluster = null;
});

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const run = promisify(execFile);

const b64 = (text: string): string => Buffer.from(text).toString('base64');

interface ReadRecord {
  readonly offset: number;
  readonly value: string;
  readonly headers: readonly { name: string; value: string | null }[];
  readonly timestamp: number;
  readonly timestamp_type: string;
}

describe('REST v2 consumers through any node, and acks (real processes)', () => {
  it('choose acks by topic config and ?acks=, then serve one consumer instance through every node', async () => {
    const c = await ProcessCluster.create({ controllers: 3 });
    cluster = c;
    await c.startAll();

    // acks: a topic configured with acks=1; describe shows it; ?acks= overrides, a bad one is 400.
    const created = await c.http(1, 'POST', c.topicsPath(), {
      topic_name: 'events',
      partitions_count: 1,
      replication_factor: 3,
      configs: [{ name: 'acks', value: '1' }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const described = await c.get(2, `${c.topicsPath()}/events/configs/acks`);
    expect(described.body).toMatchObject({ name: 'acks', value: '1', source: 'DYNAMIC_TOPIC_CONFIG' });
    const records = `${c.topicsPath()}/events/records`;
    const record = (value: string) => ({
      partition_id: 0,
      headers: [{ name: 'trace', value: b64(`t-${value}`) }],
      value: { type: 'STRING', data: value },
      timestamp: 1_700_000_000_000,
    });
    const viaConfig = await c.http(2, 'POST', records, record('r0'));
    expect(viaConfig.body).toMatchObject({ error_code: 200, offset: 0 });
    const viaAll = await c.http(3, 'POST', `${records}?acks=all`, record('r1'));
    expect(viaAll.body).toMatchObject({ error_code: 200, offset: 1 });
    const bad = await c.http(1, 'POST', `${records}?acks=2`, record('x'));
    expect([bad.status, bad.body.error_code]).toEqual([400, 40002]);
    expect(bad.body.message).toMatch(/must be one of all, -1, 0, 1/);
    const viaOne = await c.http(1, 'POST', `${records}?acks=1`, record('r2'));
    expect(viaOne.body).toMatchObject({ error_code: 200, offset: 2 });
    const viaZero = await c.http(1, 'POST', `${records}?acks=0`, record('r3'));
    expect(viaZero.body).toMatchObject({ error_code: 200, offset: -1 });

    // The topics tool alters and shows it like any topic config.
    const topics = (...args: string[]) =>
      run(
        process.execPath,
        [CLI, 'topics', '--bootstrap-server', `127.0.0.1:${c.node(3).clientPort}`, ...args],
        {
          timeout: 20_000,
        },
      );
    await topics('--alter', '--topic', 'events', '--config', 'acks=0');
    expect((await topics('--describe', '--topic', 'events')).stdout).toMatch(/Configs: acks=0\b/);
    await expect(topics('--alter', '--topic', 'events', '--config', 'acks=2')).rejects.toMatchObject({
      stderr: expect.stringContaining(
        'Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1',
      ),
    });

    // An instance of node 1, used through nodes 2 and 3.
    const instance = await v2(c, 1, 'POST', '/consumers/g', {
      format: 'binary',
      'auto.offset.reset': 'earliest',
      'auto.commit.enable': 'false',
    });
    expect(instance.status, JSON.stringify(instance.body)).toBe(200);
    const { instance_id: id, base_uri: baseUri } = instance.body as { instance_id: string; base_uri: string };
    expect(id).toMatch(/^rest-consumer-1-/);
    const base = `/consumers/g/instances/${id}`;
    expect(baseUri).toBe(`http://127.0.0.1:${c.node(1).clientPort}${base}`);
    expect((await v2(c, 2, 'POST', `${base}/subscription`, { topics: ['events'] })).status).toBe(204);
    const read: ReadRecord[] = [];
    await waitFor('the four records read through node 3', async () => {
      const answer = await v2(c, 3, 'GET', `${base}/records?timeout=500`);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      read.push(...(answer.body as ReadRecord[]));
      return read.length >= 4;
    });
    expect(read.map((r) => [r.offset, Buffer.from(r.value, 'base64').toString()])).toEqual([
      [0, 'r0'],
      [1, 'r1'],
      [2, 'r2'],
      [3, 'r3'],
    ]);
    for (const r of read) {
      expect(r.headers).toEqual([
        { name: 'trace', value: b64(`t-${Buffer.from(r.value, 'base64').toString()}`) },
      ]);
      expect([r.timestamp, r.timestamp_type]).toEqual([1_700_000_000_000, 'CREATE_TIME']);
    }
    expect((await v2(c, 2, 'POST', `${base}/offsets`)).status).toBe(200);
    const committed = await v2(c, 3, 'GET', `${base}/offsets?topic=events&partition=0`);
    expect(committed.body).toEqual({ offsets: [{ topic: 'events', partition: 0, offset: 4, metadata: '' }] });
    // Confluent's GET offsets carries its partitions in a body: relayed too.
    const withBody = await v2(c, 2, 'GET', `${base}/offsets`, {
      partitions: [{ topic: 'events', partition: 0 }],
    });
    expect(withBody.body).toEqual(committed.body);
    expect((await v2(c, 3, 'DELETE', base)).status).toBe(204);
    for (const node of [1, 2, 3]) {
      const gone = await v2(c, node, 'GET', `${base}/subscription`);
      expect([gone.status, (gone.body as { error_code: number }).error_code]).toEqual([404, 40403]);
    }

    // Instances on node 1 (one named, one not); node 1 killed: the others answer 40403 at once.
    expect((await v2(c, 1, 'POST', '/consumers/g', { name: 'named' })).status).toBe(200);
    // The name is the group's across nodes.
    expect((await v2(c, 3, 'POST', '/consumers/g', { name: 'named' })).status).toBe(409);
    const unnamed = (await v2(c, 1, 'POST', '/consumers/g', {})).body as { instance_id: string };
    for (const path of ['/consumers/g/instances/named', `/consumers/g/instances/${unnamed.instance_id}`]) {
      expect((await v2(c, 2, 'GET', `${path}/subscription`)).status).toBe(200);
    }
    await c.stop(1, 'SIGKILL');
    for (const node of [2, 3]) {
      for (const path of ['/consumers/g/instances/named', `/consumers/g/instances/${unnamed.instance_id}`]) {
        const started = Date.now();
        const gone = await v2(c, node, 'POST', `${path}/offsets`);
        expect([gone.status, (gone.body as { error_code: number }).error_code], path).toEqual([404, 40403]);
        expect(Date.now() - started).toBeLessThan(5_000);
      }
    }
  }, 90_000);
});
