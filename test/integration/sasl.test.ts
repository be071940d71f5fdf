// A real node with SASL_PLAINTEXT on its Kafka listener and its client API, its user alice made by
// --add-scram (both SCRAM mechanisms, in the new metadata log): kcat with SCRAM-SHA-256, SCRAM-SHA-512
// and PLAIN, kafkajs (scram-sha-256), python3-confluent-kafka and curl -u work; GET /ready stays open
// (the launcher's probe); everything else refuses a client without credentials (401 / 40101 with a Basic
// challenge; a Kafka client without SASL gets no further than ApiVersions), a wrong password and an
// unknown user alike.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, requireClient } from './kafka-client-tools.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';

const run = promisify(execFile);
const PASSWORD = 'alice-secret';
let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.create({
    controllers: 1,
    overrides: {
      'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      'min.insync.replicas': '1',
    },
    args: [
      '--add-scram',
      `SCRAM-SHA-256=[name=alice,password=${PASSWORD}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=alice,password=${PASSWORD},iterations=8192]`,
    ],
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
  it('client API: /ready open; alice with her password served; anything else 401 / 40101 with a Basic challenge', async () => {
    expect((await clientApi('/ready')).status).toBe(200);
    const alice = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
    expect((await clientApi(`/v3/clusters/${cluster.clusterId}/topics`, alice)).status).toBe(200);
    for (const authorization of [
      undefined,
      `Basic ${Buffer.from('alice:wrong').toString('base64')}`,
      `Basic ${Buffer.from(`mallory:${PASSWORD}`).toString('base64')}`,
    ]) {
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

  const kcat = (mechanism: string, user: string, password: string, ...args: string[]) =>
    run(
      'kcat',
      [
        '-b',
        `127.0.0.1:${cluster.node(1).kafkaPort}`,
        '-X',
        'security.protocol=SASL_PLAINTEXT',
        '-X',
        `sasl.mechanisms=${mechanism}`,
        '-X',
        `sasl.username=${user}`,
        '-X',
        `sasl.password=${password}`,
        ...args,
      ],
      { timeout: 20_000 },
    );

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']) {
    it(`Kafka listener: kcat with ${mechanism} produces and reads back; curl -u reads the same record`, async (context) => {
      await requireClient(context, 'kcat', () => run('kcat', ['-V']));
      const topic = `sasl-${mechanism.toLowerCase()}`;
      const producer = kcat(mechanism, 'alice', PASSWORD, '-P', '-t', topic);
      producer.child.stdin?.end(`via-${mechanism}\n`);
      await producer;
      const { stdout } = await kcat(
        mechanism,
        'alice',
        PASSWORD,
        '-C',
        '-t',
        topic,
        '-o',
        'beginning',
        '-e',
        '-q',
      );
      expect(stdout.split('\n')).toContain(`via-${mechanism}`);
      await requireClient(context, 'curl', () => run('curl', ['--version']));
      const curl = await run('curl', [
        '-s',
        '-u',
        `alice:${PASSWORD}`,
        '-H',
        'accept: application/vnd.kafka.binary.v2+json',
        `http://127.0.0.1:${cluster.node(1).clientPort}/topics/${topic}/partitions/0/records?offset=0`,
      ]);
      expect(curl.stdout).toContain(Buffer.from(`via-${mechanism}`).toString('base64'));
    });
  }

  it('Kafka listener: a wrong password and an unknown user are refused alike, as invalid credentials', async (context) => {
    await requireClient(context, 'kcat', () => run('kcat', ['-V']));
    for (const [user, password] of [
      ['alice', 'wrong'],
      ['mallory', PASSWORD],
    ] as const) {
      const failed = await kcat('SCRAM-SHA-512', user, password, '-L', '-m', '3').then(
        () => 'listed',
        (error: { stderr?: string }) => error.stderr ?? '',
      );
      expect(failed).toContain('invalid credentials with SASL mechanism SCRAM-SHA-512');
    }
  });

  it('kafkajs (scram-sha-256) and python3-confluent-kafka (SCRAM-SHA-512) produce', async (context) => {
    const kafka = new Kafka({
      clientId: 'sasl-it',
      brokers: [`127.0.0.1:${cluster.node(1).kafkaPort}`],
      sasl: { mechanism: 'scram-sha-256', username: 'alice', password: PASSWORD },
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const sent = await producer.send({ topic: 'sasl-kafkajs', messages: [{ value: 'from-kafkajs' }] });
    expect(sent[0]?.errorCode).toBe(0);
    await producer.disconnect();
    await requireClient(context, 'python3-confluent-kafka', () =>
      run(PYTHON, ['-c', 'import confluent_kafka']),
    );
    const script = `
import json, sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_PLAINTEXT',
  'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'alice', 'sasl.password': sys.argv[2],
  'message.timeout.ms': 10000})
delivered = []
p.produce('sasl-python', b'from-python', on_delivery=lambda err, msg: delivered.append(err is None))
p.flush(15)
print(json.dumps(delivered))
`;
    const { stdout } = await run(PYTHON, ['-c', script, `127.0.0.1:${cluster.node(1).kafkaPort}`, PASSWORD], {
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toEqual([true]);
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
