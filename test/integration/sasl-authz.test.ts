// Authentication and authorization together on a real node: SASL_PLAINTEXT Kafka and client listeners,
// the StandardAuthorizer on, User:admin a super user. alice (both made by --add-scram) authenticates
// but may do nothing until admin, through kafka-acls with --command-config, allows her to write a
// topic; then kcat produces as her. REST answers her 403 / 40301 before, for a topic that exists.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclsMain } from '../../src/cli/acls.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { requireClient } from './kafka-client-tools.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';

const run = promisify(execFile);
let cluster: ProcessCluster;
let dir: string;

beforeAll(async () => {
  cluster = await ProcessCluster.create({
    controllers: 1,
    overrides: {
      'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
      'min.insync.replicas': '1',
      'auto.create.topics.enable': 'false',
    },
    args: [
      '--add-scram',
      'SCRAM-SHA-256=[name=admin,password=admin-secret]',
      '--add-scram',
      'SCRAM-SHA-256=[name=alice,password=alice-secret]',
    ],
  });
  cluster.start(1);
  await waitFor('node 1 ready', async () => (await cluster.get(1, '/ready')).status === 200, 30_000);
  dir = mkdtempSync(join(tmpdir(), 'sasl-authz-'));
});

afterAll(async () => {
  await cluster?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function rest(method: 'GET' | 'POST', path: string, authorization: string, body?: unknown) {
  const response = await request(`http://127.0.0.1:${cluster.node(1).clientPort}${path}`, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    body: (text === '' ? null : JSON.parse(text)) as Record<string, unknown>,
  };
}

function kcatProduce(user: string, password: string, topic: string, value: string) {
  const producer = run(
    'kcat',
    [
      '-b',
      `127.0.0.1:${cluster.node(1).kafkaPort}`,
      '-X',
      'security.protocol=SASL_PLAINTEXT',
      '-X',
      'sasl.mechanisms=SCRAM-SHA-256',
      '-X',
      `sasl.username=${user}`,
      '-X',
      `sasl.password=${password}`,
      '-P',
      '-t',
      topic,
    ],
    { timeout: 20_000 },
  );
  producer.child.stdin?.end(`${value}\n`);
  return producer.then(
    ({ stderr }) => ({ ok: true, stderr }),
    (error: { stderr?: string }) => ({ ok: false, stderr: error.stderr ?? '' }),
  );
}

describe('SASL principals under the StandardAuthorizer', () => {
  it('alice is refused until admin allows her; then she produces', async (context) => {
    await requireClient(context, 'kcat', () => run('kcat', ['-V']));
    const topics = `/v3/clusters/${cluster.clusterId}/topics`;
    const admin = basic('admin', 'admin-secret');
    const alice = basic('alice', 'alice-secret');
    const created = await rest('POST', topics, admin, {
      topic_name: 'orders',
      partitions_count: 1,
      replication_factor: 1,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const describe = await rest('GET', `${topics}/orders`, alice);
    expect(describe.status).toBe(403);
    expect(describe.body.error_code).toBe(40301);
    const refused = await kcatProduce('alice', 'alice-secret', 'orders', 'refused');
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toMatch(/[Aa]uthoriz/);

    // kafka-acls as admin, authenticated by --command-config.
    const config = join(dir, 'admin.properties');
    writeFileSync(
      config,
      'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\n' +
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";\n',
    );
    const io = bufferedIo();
    const code = await aclsMain(
      [
        '--bootstrap-server',
        `127.0.0.1:${cluster.node(1).clientPort}`,
        '--command-config',
        config,
        '--add',
        '--allow-principal',
        'User:alice',
        '--operation',
        'Write',
        '--operation',
        'Describe',
        '--topic',
        'orders',
      ],
      io,
    );
    expect(code, io.stderr.join('\n')).toBe(0);
    // Without the admin's credentials the same tool is refused.
    const anonymous = bufferedIo();
    expect(
      await aclsMain(['--bootstrap-server', `127.0.0.1:${cluster.node(1).clientPort}`, '--list'], anonymous),
    ).not.toBe(0);

    await waitFor(
      'alice may describe orders',
      async () => (await rest('GET', `${topics}/orders`, alice)).status === 200,
    );
    const allowed = await kcatProduce('alice', 'alice-secret', 'orders', 'allowed');
    expect(allowed.ok, allowed.stderr).toBe(true);
  });
});
