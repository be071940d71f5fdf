// A real node with SASL_PLAINTEXT on its Kafka listener and its client API, from configuration alone:
// GET /ready stays open (the launcher's probe), everything else refuses a client without credentials
// (401 / 40101 with a Basic challenge; a Kafka client without SASL gets no further than ApiVersions)
// and one with credentials of a user that does not exist (no SCRAM credential is in a new cluster's
// metadata log). Users with credentials are exercised against real listeners in sasl-clients.test.ts;
// creating them in a running cluster is the metadata records' and AlterUserScramCredentials' part.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireClient } from './kafka-client-tools.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';

const run = promisify(execFile);
let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.create({
    controllers: 1,
    overrides: {
      'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      'min.insync.replicas': '1',
    },
  });
  cluster.start(1);
  await waitFor('node 1 ready', async () => (await cluster.get(1, '/ready')).status === 200, 30_000);
});

afterAll(async () => {
  await cluster?.destroy();
});

async function clientApi(path: string, authorization?: string) {
  const response = await request(`http://127.0.0.1:${cluster.node(1).clientPort}${path}`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

describe('a node with SASL_PLAINTEXT listeners', () => {
  it('client API: /ready open; anything else 401 / 40101 with a Basic challenge, credentials or not', async () => {
    expect((await clientApi('/ready')).status).toBe(200);
    for (const authorization of [undefined, `Basic ${Buffer.from('alice:secret').toString('base64')}`]) {
      for (const path of [
        '/v3/clusters',
        `/v3/clusters/${cluster.clusterId}/topics`,
        '/topics',
        '/v1/metadata',
      ]) {
        const answer = await clientApi(path, authorization);
        expect(answer.status, path).toBe(401);
        expect(answer.body.error_code).toBe(40101);
        expect(answer.headers['www-authenticate']).toBe('Basic realm="kraftling", charset="UTF-8"');
      }
    }
  });

  it('Kafka listener: kcat with an unknown user is refused as invalid credentials', async (context) => {
    await requireClient(context, 'kcat', () => run('kcat', ['-V']));
    const failed = await run(
      'kcat',
      [
        '-b',
        `127.0.0.1:${cluster.node(1).kafkaPort}`,
        '-X',
        'security.protocol=SASL_PLAINTEXT',
        '-X',
        'sasl.mechanisms=SCRAM-SHA-512',
        '-X',
        'sasl.username=alice',
        '-X',
        'sasl.password=secret',
        '-L',
        '-m',
        '3',
      ],
      { timeout: 20_000 },
    ).then(
      () => 'listed',
      (error: { stderr?: string }) => error.stderr ?? '',
    );
    expect(failed).toContain('invalid credentials with SASL mechanism SCRAM-SHA-512');
  });

  it('Kafka listener: a client without SASL gets no metadata', async () => {
    const admin = new Kafka({
      clientId: 'no-sasl',
      brokers: [`127.0.0.1:${cluster.node(1).kafkaPort}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2000,
      requestTimeout: 2000,
    }).admin();
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow();
    await admin.disconnect();
  });
});
