// TLS and authenticated peers on real processes, with certificates made in the test (local-ca.ts): a
// 3-node cluster whose CLIENT, Kafka and INTERNAL listeners are all SSL (INTERNAL with mutual TLS) forms,
// replicates and re-elects; curl, undici (HTTP/1.1 and h2) and kcat speak to it; a connection without a
// client certificate, or with one but from another cluster, gets no HTTP/2 answer from INTERNAL. A
// plaintext cluster with internal.auth.secret refuses connections that do not prove the secret.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Client, request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peerDialer } from '../../raft/transport/peer-dialer.ts';
import { Admin, Producer } from '../../src/client/index.ts';
import { encodePreface } from '../../raft/transport/peer-preface.ts';
import { createCa, issueCertificate, type PemPair } from '../../src/node/local-ca.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';
import { produce } from './records.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let cluster: ProcessCluster | null = null;

afterEach(async (context) => {
  if (cluster !== null && context.task.result?.state === 'fail') {
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  }
  await cluster?.destroy();
  cluster = null;
  if (storesDir !== null) await rm(storesDir, { recursive: true, force: true });
  storesDir = null;
});

let storesDir: string | null = null;

let ca: PemPair;
let nodeCerts: PemPair[];
let clientCert: PemPair;

beforeAll(() => {
  ca = createCa('kraftling test CA');
  nodeCerts = [1, 2, 3].map((id) =>
    issueCertificate(ca, {
      commonName: `node-${id}`,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      serverAuth: true,
      clientAuth: true,
    }),
  );
  clientCert = issueCertificate(ca, { commonName: 'client', serverAuth: false, clientAuth: true });
});

/** Writes the CA and each node's key+chain PEM file into the cluster's directory. */
async function writeStores(root: string): Promise<{ caFile: string; keystore: (id: number) => string }> {
  const caFile = join(root, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  for (const [index, pair] of nodeCerts.entries())
    await writeFile(join(root, `node-${index + 1}.pem`), pair.keyPem + pair.certPem, { mode: 0o600 });
  return { caFile, keystore: (id) => join(root, `node-${id}.pem`) };
}

/** True when the peer closed (or refused) the connection before answering anything. */
function closedWithoutAnswer(socket: tls.TLSSocket | import('node:net').Socket): Promise<boolean> {
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

describe('TLS on every listener (real processes)', () => {
  it('forms a 3-node cluster over mutual TLS, serves HTTPS (h1, h2) and Kafka over SSL, refuses peers without a certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kraftling-tls-'));
    storesDir = dir;
    const { caFile, keystore } = await writeStores(dir);
    const clientFile = join(dir, 'client.pem');
    await writeFile(clientFile, clientCert.keyPem + clientCert.certPem, { mode: 0o600 });
    cluster = await ProcessCluster.create({
      controllers: 3,
      overrides: {
        'listener.security.protocol.map': 'CLIENT:SSL,PLAINTEXT:SSL,INTERNAL:SSL',
        'ssl.truststore.location': caFile,
        // The client API wants a client certificate; the Kafka listener keeps Kafka's default (none).
        'listener.name.client.ssl.client.auth': 'required',
      },
      nodeOverrides: (id) => ({ 'ssl.keystore.location': keystore(id) }),
      https: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem },
    });
    const c = cluster;
    await c.startAll();

    // Replicated over mutual TLS: a topic of RF 3 takes acks=all records and every replica is in sync.
    const created = await c.http(1, 'POST', c.topicsPath(), {
      topic_name: 'secured',
      partitions_count: 1,
      replication_factor: 3,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    for (let i = 0; i < 5; i++) expect(await produce(c, (i % 3) + 1, 'secured', 0, `v${i}`)).not.toBeNull();
    await waitFor(
      'every replica in sync',
      async () => (await c.partitions(2, 'secured'))[0]?.isr.length === 3,
    );

    const port = c.node(1).clientPort;
    // curl over HTTP/1.1 and HTTP/2 (ALPN).
    for (const flag of ['--http1.1', '--http2']) {
      const { stdout } = await run('curl', [
        '-sS',
        flag,
        '--cacert',
        caFile,
        '--cert',
        clientFile,
        '-w',
        '\n%{http_version}',
        `https://127.0.0.1:${port}/v3/clusters`,
      ]);
      const [body, version] = [
        stdout.slice(0, stdout.lastIndexOf('\n')),
        stdout.slice(stdout.lastIndexOf('\n') + 1),
      ];
      expect(JSON.parse(body).data[0].cluster_id).toBe(c.clusterId);
      expect(version).toBe(flag === '--http2' ? '2' : '1.1');
    }
    // undici over HTTP/1.1 and h2.
    for (const allowH2 of [false, true]) {
      const client = new Client(`https://127.0.0.1:${port}`, {
        allowH2,
        connect: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem },
      });
      try {
        const response = await client.request({ method: 'GET', path: '/v3/clusters' });
        const body = (await response.body.json()) as { data: { cluster_id: string }[] };
        expect(body.data[0]!.cluster_id).toBe(c.clusterId);
      } finally {
        await client.close();
      }
    }
    // Plain HTTP on the HTTPS port gets no answer; nor does HTTPS without a client certificate.
    await expect(fetch(`http://127.0.0.1:${port}/v3/clusters`)).rejects.toThrow();
    const noCertificate = new Client(`https://127.0.0.1:${port}`, { connect: { ca: ca.certPem } });
    await expect(noCertificate.request({ method: 'GET', path: '/v3/clusters' })).rejects.toThrow();
    await noCertificate.destroy();

    // The SDK over HTTPS: brokers learned from the metadata are dialed over HTTPS too.
    const security = { tls: { ca: ca.certPem, cert: clientCert.certPem, key: clientCert.keyPem } };
    const admin = new Admin({ bootstrap: `https://127.0.0.1:${port}`, security });
    const producer = new Producer({ bootstrap: `https://127.0.0.1:${c.node(2).clientPort}`, security });
    try {
      expect(await admin.listTopics()).toContain('secured');
      const sent = await producer.send({ topic: 'secured', value: 'from the SDK' });
      expect(sent.offset).toBe(5);
    } finally {
      await producer.close();
      await admin.close();
    }

    // The CLI tools with Kafka's --command-config (security.protocol=SSL, PEM truststore and keystore).
    const properties = join(dir, 'client.properties');
    await writeFile(
      properties,
      `security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=${caFile}\nssl.keystore.location=${clientFile}\n`,
    );
    const { stdout: topics } = await run(process.execPath, [
      CLI,
      'topics',
      '--bootstrap-server',
      `127.0.0.1:${port}`,
      '--command-config',
      properties,
      '--list',
    ]);
    expect(topics.split('\n')).toContain('secured');
    const producerCli = spawn(
      process.execPath,
      [
        CLI,
        'console-producer',
        '--bootstrap-server',
        `127.0.0.1:${port}`,
        '--topic',
        'secured',
        '--command-config',
        properties,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let producerErr = '';
    producerCli.stderr.on('data', (chunk: Buffer) => {
      producerErr += chunk.toString();
    });
    producerCli.stdin.end('from the console producer\n');
    const producerExit = await new Promise<number | null>((resolve) => producerCli.once('exit', resolve));
    expect(producerExit, producerErr).toBe(0);

    // kcat over SSL: the metadata lists the three brokers.
    const { stdout: metadata } = await run('kcat', [
      '-b',
      `127.0.0.1:${c.node(1).kafkaPort}`,
      '-X',
      'security.protocol=SSL',
      '-X',
      `ssl.ca.location=${caFile}`,
      '-L',
      '-m',
      '10',
    ]);
    expect(metadata).toMatch(/3 brokers:/);
    expect(metadata).toMatch(/topic "secured" with 1 partitions/);

    // INTERNAL: a TLS client without a certificate gets no HTTP/2 answer.
    const internalPort = c.node(1).internalPort;
    const anonymous = tls.connect({
      host: '127.0.0.1',
      port: internalPort,
      ca: ca.certPem,
      ALPNProtocols: ['h2'],
    });
    anonymous.on('secureConnect', () => anonymous.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
    expect(await closedWithoutAnswer(anonymous)).toBe(true);
    // A certificate of the cluster CA but a preface of another cluster: refused as well.
    const otherCluster = peerDialer({
      tls: { ca: ca.certPem, key: nodeCerts[0]!.keyPem, cert: nodeCerts[0]!.certPem },
      preface: () =>
        encodePreface(
          {
            clusterId: 'another-cluster',
            nodeId: 1,
            unixMs: Date.now(),
            nonce: randomBytes(16).toString('hex'),
          },
          null,
        ),
    }).client(`127.0.0.1:${internalPort}`, { connectTimeoutMs: 3000, headersTimeoutMs: 3000 });
    await expect(
      otherCluster.request({ method: 'GET', path: '/internal/v1/metadata/image' }),
    ).rejects.toThrow();
    await otherCluster.destroy();
    // The same certificate with this cluster's id is a peer.
    const peer = peerDialer({
      tls: { ca: ca.certPem, key: nodeCerts[0]!.keyPem, cert: nodeCerts[0]!.certPem },
      preface: () =>
        encodePreface(
          { clusterId: c.clusterId, nodeId: 1, unixMs: Date.now(), nonce: randomBytes(16).toString('hex') },
          null,
        ),
    }).client(`127.0.0.1:${internalPort}`, { connectTimeoutMs: 3000, headersTimeoutMs: 3000 });
    try {
      const answer = await peer.request({ method: 'GET', path: '/internal/v1/metadata/image' });
      await answer.body.dump();
      expect(answer.statusCode).toBe(200);
    } finally {
      await peer.close();
    }

    // Elects over TLS: the metadata leader killed, another takes over and the topic still takes records.
    const leader = await waitFor('a metadata leader', async () => {
      const answer = await c.quorum(1);
      return answer.status === 200 && answer.body.leader_id > 0
        ? (answer.body.leader_id as number)
        : undefined;
    });
    await c.stop(leader, 'SIGKILL');
    const survivor = [1, 2, 3].find((id) => id !== leader)!;
    await waitFor(
      'a new metadata leader',
      async () => {
        const answer = await c.quorum(survivor);
        return answer.status === 200 && answer.body.leader_id > 0 && answer.body.leader_id !== leader;
      },
      15_000,
    );
    await waitFor(
      'a record acknowledged after the election',
      async () => (await produce(c, survivor, 'secured', 0, 'after')) !== null,
      15_000,
    );
  }, 90_000);

  it('refuses internal connections that do not prove internal.auth.secret (plaintext listeners)', async () => {
    const secret = randomBytes(24).toString('base64url');
    cluster = await ProcessCluster.create({
      controllers: 1,
      brokers: 1,
      overrides: { 'internal.auth.secret': secret, 'min.insync.replicas': '1' },
    });
    const c = cluster;
    // The broker dials the controller with the preface: it registers, so the cluster is ready.
    await c.startAll();
    const port = c.node(1).internalPort;
    // Without a preface: no answer (today's open listener would answer 200).
    await expect(c.internal(1, '/internal/v1/metadata/image')).rejects.toThrow();
    const dial = (clusterId: string, key: string) =>
      peerDialer({
        tls: null,
        preface: () =>
          encodePreface(
            { clusterId, nodeId: 7, unixMs: Date.now(), nonce: randomBytes(16).toString('hex') },
            Buffer.from(key),
          ),
      }).client(`127.0.0.1:${port}`, { connectTimeoutMs: 3000, headersTimeoutMs: 3000 });
    for (const [clusterId, key] of [
      [c.clusterId, 'not-the-secret-at-all'],
      ['another-cluster', secret],
    ] as const) {
      const client = dial(clusterId, key);
      await expect(client.request({ method: 'GET', path: '/internal/v1/metadata/image' })).rejects.toThrow();
      await client.destroy();
    }
    const client = dial(c.clusterId, secret);
    try {
      const answer = await client.request({ method: 'GET', path: '/internal/v1/metadata/image' });
      await answer.body.dump();
      expect(answer.statusCode).toBe(200);
    } finally {
      await client.close();
    }
    expect(await c.logs(1)).toContain('internal listener refused a connection');
    const metrics = await request(`http://127.0.0.1:${c.node(1).clientPort}/metrics`);
    const refused = /^kraftling_internal_refused_connections (\d+)$/m.exec(await metrics.body.text());
    expect(Number(refused?.[1])).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
