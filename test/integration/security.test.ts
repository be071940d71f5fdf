// Issue 10's acceptance on real processes: a 3-node cluster with every listener secured (CLIENT and the
// Kafka listener SASL_SSL, INTERNAL mutual TLS) and ACLs in the metadata log (StandardAuthorizer, an admin
// super user bootstrapped with --add-scram). A client without credentials is refused on every listener;
// kcat (SASL_SSL, SCRAM-SHA-256 and -512), curl (HTTP Basic over HTTPS) and kafkajs (SASL SCRAM) work; an
// ACL allowing alice to write topic t and read group g lets her do exactly that and nothing else; the
// ACLs survive a restart of every node and a controller failover.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueCertificate, type PemPair } from '../../src/node/local-ca.ts';
import { requireClient } from './kafka-client-tools.ts';
import { type HttpAnswer, ProcessCluster, waitFor } from './process-cluster.ts';

const run = promisify(execFile);

const ADMIN_PASSWORD = 'admin-secret-0123456789';
const ALICE_PASSWORD = 'alice-secret-0123456789';

let cluster: ProcessCluster;
let dir: string;
let ca: PemPair;
let caFile: string;
let alice: Agent;

/** A REST request as `user` (HTTP Basic over HTTPS), or with no credentials at all. */
async function rest(
  id: number,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  options: { user?: [string, string]; body?: unknown; contentType?: string; kafkaPort?: boolean } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (options.user !== undefined)
    headers.authorization = `Basic ${Buffer.from(options.user.join(':')).toString('base64')}`;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const port = options.kafkaPort === true ? cluster.node(id).kafkaPort : cluster.node(id).clientPort;
  const response = await request(`https://127.0.0.1:${port}${path}`, {
    method,
    dispatcher: alice,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text === '' ? null : JSON.parse(text) };
}

const ALICE: [string, string] = ['alice', ALICE_PASSWORD];

function kcatArgs(id: number, user: string, password: string, mechanism: string): string[] {
  return [
    '-b',
    `127.0.0.1:${cluster.node(id).kafkaPort}`,
    '-X',
    'security.protocol=SASL_SSL',
    '-X',
    `sasl.mechanisms=${mechanism}`,
    '-X',
    `sasl.username=${user}`,
    '-X',
    `sasl.password=${password}`,
    '-X',
    `ssl.ca.location=${caFile}`,
  ];
}

/** kcat -P of one line; resolves with what kcat printed on stderr (empty when delivered). */
async function kcatProduce(id: number, topic: string, mechanism = 'SCRAM-SHA-256'): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(
      'kcat',
      [
        ...kcatArgs(id, 'alice', ALICE_PASSWORD, mechanism),
        '-P',
        '-t',
        topic,
        '-X',
        'message.timeout.ms=10000',
      ],
      { timeout: 30_000 },
      (error, _stdout, stderr) => resolve(error === null ? '' : `${stderr}${error.message}`),
    );
    child.stdin?.end('from kcat\n');
  });
}

function kafka(id: number, user: string, password: string): Kafka {
  return new Kafka({
    clientId: 'security-test',
    brokers: [`127.0.0.1:${cluster.node(id).kafkaPort}`],
    ssl: { ca: [ca.certPem] },
    sasl: { mechanism: 'scram-sha-256', username: user, password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 6, initialRetryTime: 300 },
  });
}

/** True when the peer closed the TLS connection without answering a byte. */
function refusedWithoutAnswer(socket: tls.TLSSocket): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    socket.on('data', () => {
      answered = true;
    });
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(!answered));
    setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 8000).unref();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kraftling-security-'));
  ca = createCa('kraftling security test CA');
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  for (const id of [1, 2, 3]) {
    const pair = issueCertificate(ca, {
      commonName: `node-${id}`,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      serverAuth: true,
      clientAuth: true,
    });
    await writeFile(join(dir, `node-${id}.pem`), pair.keyPem + pair.certPem, { mode: 0o600 });
  }
  // The harness's own calls (readiness, partitions) use the admin's client certificate: User:CN=admin.
  const adminCert = issueCertificate(ca, { commonName: 'admin', serverAuth: false, clientAuth: true });
  alice = new Agent({ connect: { ca: ca.certPem } });
  cluster = await ProcessCluster.create({
    controllers: 3,
    overrides: {
      'listener.security.protocol.map': 'CLIENT:SASL_SSL,PLAINTEXT:SASL_SSL,INTERNAL:SSL',
      'ssl.truststore.location': caFile,
      'listener.name.client.ssl.client.auth': 'requested',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin;User:CN=admin',
    },
    nodeOverrides: (id) => ({ 'ssl.keystore.location': join(dir, `node-${id}.pem`) }),
    https: { ca: ca.certPem, cert: adminCert.certPem, key: adminCert.keyPem },
    args: ['--add-scram', `SCRAM-SHA-256=[name=admin,password=${ADMIN_PASSWORD}]`],
  });
  await cluster.startAll();

  const admin: [string, string] = ['admin', ADMIN_PASSWORD];
  const c = `/v3/clusters/${cluster.clusterId}`;
  for (const topic of ['t', 'u']) {
    const created = await rest(1, 'POST', `${c}/topics`, {
      user: admin,
      body: { topic_name: topic, partitions_count: 1, replication_factor: 3 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  }
  const users = await rest(1, 'POST', `${c}/user-scram-credentials:alter`, {
    user: admin,
    body: {
      upsertions: [
        { user: 'alice', mechanism: 'SCRAM-SHA-256', password: ALICE_PASSWORD },
        { user: 'alice', mechanism: 'SCRAM-SHA-512', password: ALICE_PASSWORD },
      ],
    },
  });
  expect(users.status, JSON.stringify(users.body)).toBe(204);
  const acl = (resource_type: string, resource_name: string, operation: string) => ({
    resource_type,
    resource_name,
    pattern_type: 'LITERAL',
    principal: 'User:alice',
    host: '*',
    operation,
    permission: 'ALLOW',
  });
  const acls = await rest(1, 'POST', `${c}/acls:batch`, {
    user: admin,
    body: { data: [acl('TOPIC', 't', 'WRITE'), acl('GROUP', 'g', 'READ')] },
  });
  expect(acls.status, JSON.stringify(acls.body)).toBe(201);
  // Every node holds them before the checks (the admin reads them through each node).
  for (const id of [1, 2, 3])
    await waitFor(`node ${id} lists alice's ACLs`, async () => {
      const listed = await rest(id, 'GET', `${c}/acls?principal=User:alice`, { user: admin });
      return listed.body?.data?.length === 2;
    });
}, 120_000);

afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  for (const id of cluster.nodes.keys())
    console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
});

afterAll(async () => {
  await cluster?.destroy();
  await alice?.destroy();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** What alice may and may not do, through REST, kcat and kafkajs, against node `id`. */
async function checkAlice(id: number, context: Parameters<typeof requireClient>[0]): Promise<void> {
  const c = `/v3/clusters/${cluster.clusterId}`;
  // REST: she sees only t (DESCRIBE is implied by WRITE), produces to t, nothing else.
  const topics = await rest(id, 'GET', `${c}/topics`, { user: ALICE });
  expect(topics.status).toBe(200);
  expect(topics.body.data.map((t: { topic_name: string }) => t.topic_name)).toEqual(['t']);
  // curl with HTTP Basic over HTTPS, as a user would.
  const { stdout: curled } = await run('curl', [
    '-sS',
    '--cacert',
    caFile,
    '-u',
    `alice:${ALICE_PASSWORD}`,
    `https://127.0.0.1:${cluster.node(id).clientPort}${c}/topics`,
  ]);
  expect(JSON.parse(curled).data.map((t: { topic_name: string }) => t.topic_name)).toEqual(['t']);
  // The Kafka port hands HTTPS to the client API too (the tools' --bootstrap-server host:9092).
  const viaKafkaPort = await rest(id, 'GET', `${c}/topics`, { user: ALICE, kafkaPort: true });
  expect(viaKafkaPort.status).toBe(200);
  expect(viaKafkaPort.body.data.map((t: { topic_name: string }) => t.topic_name)).toEqual(['t']);
  const produced = await rest(id, 'POST', `${c}/topics/t/records`, {
    user: ALICE,
    body: { value: { type: 'STRING', data: 'from curl-like REST' } },
  });
  expect(produced.status, JSON.stringify(produced.body)).toBe(200);
  for (const [method, path, body] of [
    ['POST', `${c}/topics/u/records`, { value: { type: 'STRING', data: 'no' } }],
    ['GET', `${c}/topics/u`, undefined],
    ['GET', `${c}/topics/does-not-exist`, undefined],
    ['GET', `${c}/topics/t/partitions/0/records?offset=0`, undefined],
    ['POST', `${c}/topics`, { topic_name: 'v' }],
    ['DELETE', `${c}/topics/t`, undefined],
    ['GET', `${c}/acls`, undefined],
    ['GET', `${c}/consumer-groups/h`, undefined],
  ] as const) {
    const answer = await rest(id, method, path, { user: ALICE, ...(body !== undefined ? { body } : {}) });
    expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBe(403);
    expect(answer.body.error_code).toBe(40301);
  }
  // REST v2: she may join group g, but not read t through it (no READ on the topic).
  const instance = await rest(id, 'POST', '/consumers/g', {
    user: ALICE,
    body: { name: `alice-${id}-${Date.now()}`, format: 'binary' },
    contentType: 'application/vnd.kafka.v2+json',
  });
  expect(instance.status, JSON.stringify(instance.body)).toBe(200);
  const base = new URL(instance.body.base_uri).pathname;
  const subscribed = await rest(id, 'POST', `${base}/subscription`, {
    user: ALICE,
    body: { topics: ['t'] },
    contentType: 'application/vnd.kafka.v2+json',
  });
  expect(subscribed.status, JSON.stringify(subscribed.body)).toBe(403);
  expect((await rest(id, 'DELETE', base, { user: ALICE })).status).toBe(204);
  const otherGroup = await rest(id, 'POST', '/consumers/h', {
    user: ALICE,
    body: { name: 'alice-h', format: 'binary' },
    contentType: 'application/vnd.kafka.v2+json',
  });
  expect(otherGroup.status).toBe(403);

  // kcat over SASL_SSL: both SCRAM mechanisms write t; u and reading t are refused.
  await requireClient(context, 'kcat', () => run('kcat', ['-V']));
  expect(await kcatProduce(id, 't', 'SCRAM-SHA-256')).toBe('');
  expect(await kcatProduce(id, 't', 'SCRAM-SHA-512')).toBe('');
  expect(await kcatProduce(id, 'u')).toMatch(/authoriz/i);
  const consumed = await run('kcat', [
    ...kcatArgs(id, 'alice', ALICE_PASSWORD, 'SCRAM-SHA-256'),
    '-C',
    '-t',
    't',
    '-o',
    'beginning',
    '-c',
    '1',
    '-e',
  ]).then(
    (out) => `exit 0: ${out.stdout}${out.stderr}`,
    (error: { stderr?: string; message: string }) => `${error.stderr ?? ''}${error.message}`,
  );
  expect(consumed).toMatch(/authoriz/i);

  // kafkajs with SASL SCRAM-SHA-256 over TLS: writes t, refused on u; group g's offsets readable, h's not.
  const client = kafka(id, 'alice', ALICE_PASSWORD);
  const producer = client.producer();
  await producer.connect();
  try {
    await producer.send({ topic: 't', acks: -1, messages: [{ value: 'from kafkajs' }] });
    await expect(producer.send({ topic: 'u', acks: -1, messages: [{ value: 'no' }] })).rejects.toThrow(
      /authoriz/i,
    );
  } finally {
    await producer.disconnect();
  }
  const admin = client.admin();
  await admin.connect();
  try {
    // Right after a restart or failover the group's coordinator may still move (NOT_COORDINATOR, which
    // kafkajs's admin does not retry): asked again until it answers.
    const offsets = await waitFor('group g offsets through kafkajs', async () =>
      admin.fetchOffsets({ groupId: 'g', topics: ['t'] }).catch((error: Error) => {
        if (/coordinator/i.test(error.message)) return undefined;
        throw error;
      }),
    );
    expect(offsets[0]?.topic).toBe('t');
    // FindCoordinator for h is refused GROUP_AUTHORIZATION_FAILED; kafkajs reports that lookup as
    // "Failed to find group coordinator".
    await expect(admin.fetchOffsets({ groupId: 'h', topics: ['t'] })).rejects.toThrow(
      /authoriz|group coordinator/i,
    );
    const refused = await admin.createTopics({ topics: [{ topic: 'w' }] }).then(
      () => null,
      (error: { errors?: { type?: string }[] }) => error.errors?.map((e) => e.type),
    );
    expect(refused).toEqual(['TOPIC_AUTHORIZATION_FAILED']);
  } finally {
    await admin.disconnect();
  }
}

describe('security on every listener (real processes)', () => {
  it('refuses a client without credentials on every listener', async (context) => {
    const c = `/v3/clusters/${cluster.clusterId}`;
    // Client API: HTTPS without Basic (and without a client certificate) → 401 with a challenge.
    const anonymous = await request(`https://127.0.0.1:${cluster.node(1).clientPort}${c}/topics`, {
      dispatcher: alice,
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
    expect((await anonymous.body.json()) as { error_code: number }).toMatchObject({ error_code: 40101 });
    const wrong = await rest(1, 'GET', `${c}/topics`, { user: ['alice', 'not-her-password'] });
    expect(wrong.status).toBe(401);
    const unknown = await rest(1, 'GET', `${c}/topics`, { user: ['mallory', 'whatever'] });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    // Plain HTTP on the HTTPS port gets nothing useful.
    await expect(
      request(`http://127.0.0.1:${cluster.node(1).clientPort}${c}/topics`, { headersTimeout: 5000 }).then(
        (r) => r.statusCode,
      ),
    ).rejects.toThrow();
    // Kafka listener: TLS without SASL, or SASL with a wrong password, is refused.
    await requireClient(context, 'kcat', () => run('kcat', ['-V']));
    const noSasl = await run(
      'kcat',
      [
        '-b',
        `127.0.0.1:${cluster.node(1).kafkaPort}`,
        '-X',
        'security.protocol=SSL',
        '-X',
        `ssl.ca.location=${caFile}`,
        '-L',
        '-m',
        '5',
      ],
      { timeout: 30_000 },
    ).then(
      (out) => `exit 0: ${out.stdout}`,
      (error: { stderr?: string; message: string }) => `${error.stderr ?? ''}${error.message}`,
    );
    expect(noSasl).not.toMatch(/^exit 0/);
    const badPassword = await run(
      'kcat',
      [...kcatArgs(1, 'alice', 'wrong', 'SCRAM-SHA-256'), '-L', '-m', '5'],
      {
        timeout: 30_000,
      },
    ).then(
      (out) => `exit 0: ${out.stdout}`,
      (error: { stderr?: string; message: string }) => `${error.stderr ?? ''}${error.message}`,
    );
    expect(badPassword).toMatch(/authentication|SASL/i);
    // Internal listener: a TLS client without a node certificate gets no answer.
    const socket = tls.connect({
      host: '127.0.0.1',
      port: cluster.node(1).internalPort,
      ca: ca.certPem,
      ALPNProtocols: ['h2'],
      checkServerIdentity: () => undefined,
    });
    socket.on('secureConnect', () => socket.write('GET /internal/v1/metadata/image HTTP/1.1\r\n\r\n'));
    expect(await refusedWithoutAnswer(socket)).toBe(true);
  }, 90_000);

  it('lets alice write t and read group g, and nothing else (REST, kcat, kafkajs)', async (context) => {
    await checkAlice(2, context);
  }, 120_000);

  it('keeps the ACLs and users across a restart of every node and a controller failover', async (context) => {
    for (const id of [1, 2, 3]) await cluster.stop(id, 'SIGTERM');
    for (const id of [1, 2, 3]) cluster.start(id);
    await cluster.waitReady(60_000);
    await checkAlice(1, context);

    const quorum = await cluster.quorum(1);
    expect(quorum.status, JSON.stringify(quorum.body)).toBe(200);
    const leader: number = quorum.body.leader_id;
    await cluster.stop(leader, 'SIGKILL');
    const survivor = [1, 2, 3].find((id) => id !== leader)!;
    await waitFor(
      'a new metadata leader',
      async () => {
        const answer = await cluster.quorum(survivor);
        return answer.status === 200 && answer.body.leader_id !== leader && answer.body.leader_id !== -1;
      },
      30_000,
    );
    await checkAlice(survivor, context);
    cluster.start(leader);
    await cluster.waitReady(60_000);
  }, 240_000);
});
