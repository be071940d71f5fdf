// Kafka's own clients and curl against SASL_PLAINTEXT listeners: a real KafkaServer and a real client
// API listener in this process, over a fake broker whose image holds the SCRAM credentials the test
// made (the metadata records that put them there in a real cluster are helper meta's; the process-level
// version of this test, credentials created with kafka-configs, belongs with them). kcat, kafkajs and
// python3-confluent-kafka authenticate with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, produce and read a
// record; wrong passwords and unknown users are refused on both listeners, and no credentials at all.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordCheck } from '../../src/common/password-check.ts';
import { credentialFromPassword } from '../../src/common/scram.ts';
import type { ScramCredential, ScramMechanism } from '../../src/common/security.ts';
import { buildClientApp } from '../../src/http/client-app.ts';
import { type ClientApiListener, listenClientApi } from '../../src/http/client-server.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import { KafkaServer } from '../../src/kafka/server/kafka-server.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { type FakeBroker, fakeBroker } from '../kafka/fake-broker.ts';
import { PYTHON, requireClient } from './kafka-client-tools.ts';

const run = promisify(execFile);
const silent = pino({ level: 'silent' });
const PASSWORD = 'alice-secret';

const users = new Map<string, ReadonlyMap<ScramMechanism, ScramCredential>>([
  [
    'alice',
    new Map<ScramMechanism, ScramCredential>([
      ['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', PASSWORD)],
      ['SCRAM-SHA-512', credentialFromPassword('SCRAM-SHA-512', PASSWORD, 8192)],
    ]),
  ],
]);
const credentials = (user: string) => users.get(user);

let broker: FakeBroker;
/** Three listeners, one per broker of the fake image; the first is the bootstrap. */
const listeners: KafkaServer[] = [];
let kafka: KafkaServer;
let http: ClientApiListener;

/**
 * The fake image, each broker's endpoint at one of this test's listeners (librdkafka needs a distinct
 * address per broker): all serve the same fake broker 1, which leads the test's partition.
 */
function imageAt(image: MetadataImage, ports: readonly number[]): MetadataImage {
  const brokers = new Map(
    [...image.brokers].map(([id, registration]) => [
      id,
      {
        ...registration,
        endpoints: registration.endpoints.map((endpoint) =>
          endpoint.name === 'CLIENT'
            ? { ...endpoint, host: '127.0.0.1', port: ports[id - 1] ?? 0 }
            : endpoint,
        ),
      },
    ]),
  );
  return { ...image, brokers };
}

beforeAll(async () => {
  broker = fakeBroker();
  await broker.node.createTopic({
    name: 'secured',
    partitionsCount: 1,
    replicationFactor: 1,
    configs: new Map(),
    validateOnly: false,
  });
  const ports: number[] = [];
  const apis = kafkaApis({ ...broker, image: () => imageAt(broker.node.image(), ports) });
  for (let i = 0; i < 3; i++) listeners.push(await startListener(apis));
  ports.push(...listeners.map((listener) => listener.port));
  kafka = listeners[0]!;
  const app = buildClientApp({
    node: broker.node,
    authentication: {
      securityProtocol: 'SASL_PLAINTEXT',
      passwords: new PasswordCheck({ credentials, now: () => performance.now() }),
      principalMappingRules: [{ kind: 'default' }],
    },
  });
  http = await listenClientApi(app, { host: '127.0.0.1', port: 0 });
});

function startListener(apis: ReturnType<typeof kafkaApis>): Promise<KafkaServer> {
  return KafkaServer.start({
    host: '127.0.0.1',
    port: 0,
    apis,
    frameBytesMax: 1 << 20,
    sasl: {
      settings: {
        mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
        credentials,
        passwords: new PasswordCheck({ credentials, now: () => performance.now() }),
        reauthMs: 0,
        now: () => performance.now(),
      },
      receiveBytesMax: 524288,
    },
    listenerName: 'SASL_PLAINTEXT',
    logger: silent,
  });
}

afterAll(async () => {
  for (const listener of listeners) await listener.close();
  await http?.close();
});

function kcatArgs(mechanism: string, user: string, password: string): string[] {
  return [
    '-b',
    `127.0.0.1:${kafka.port}`,
    '-X',
    'security.protocol=SASL_PLAINTEXT',
    '-X',
    `sasl.mechanisms=${mechanism}`,
    '-X',
    `sasl.username=${user}`,
    '-X',
    `sasl.password=${password}`,
  ];
}

describe('kcat (librdkafka)', () => {
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']) {
    it(`${mechanism}: produces a record and reads it back`, async (context) => {
      await requireClient(context, 'kcat', () => run('kcat', ['-V']));
      const value = `via-${mechanism}`;
      const producer = run('kcat', [...kcatArgs(mechanism, 'alice', PASSWORD), '-P', '-t', 'secured'], {
        timeout: 20_000,
      });
      producer.child.stdin?.end(`${value}\n`);
      await producer;
      const { stdout } = await run(
        'kcat',
        [...kcatArgs(mechanism, 'alice', PASSWORD), '-C', '-t', 'secured', '-o', 'beginning', '-e', '-q'],
        { timeout: 20_000 },
      );
      expect(stdout.split('\n')).toContain(value);
    });
  }

  it('a wrong password and an unknown user are refused with the same message', async (context) => {
    await requireClient(context, 'kcat', () => run('kcat', ['-V']));
    for (const [user, password] of [
      ['alice', 'wrong'],
      ['mallory', PASSWORD],
    ]) {
      const failed = await run('kcat', [...kcatArgs('SCRAM-SHA-256', user!, password!), '-L', '-m', '5'], {
        timeout: 20_000,
      }).then(
        () => null,
        (error: { stderr?: string }) => error.stderr ?? '',
      );
      expect(failed).toContain('invalid credentials with SASL mechanism SCRAM-SHA-256');
    }
  });
});

describe('kafkajs', () => {
  it('scram-sha-256 and plain: admin and producer work; a wrong password fails to connect', async () => {
    for (const sasl of [
      { mechanism: 'scram-sha-256', username: 'alice', password: PASSWORD },
      { mechanism: 'plain', username: 'alice', password: PASSWORD },
    ] as const) {
      const client = new Kafka({
        clientId: 'sasl-test',
        brokers: [`127.0.0.1:${kafka.port}`],
        sasl,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      });
      const admin = client.admin();
      await admin.connect();
      expect(await admin.listTopics()).toContain('secured');
      await admin.disconnect();
      const producer = client.producer();
      await producer.connect();
      const sent = await producer.send({
        topic: 'secured',
        messages: [{ value: `kafkajs-${sasl.mechanism}` }],
      });
      expect(sent[0]?.errorCode).toBe(0);
      await producer.disconnect();
    }
    const wrong = new Kafka({
      clientId: 'sasl-test',
      brokers: [`127.0.0.1:${kafka.port}`],
      sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'wrong' },
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    await expect(wrong.connect()).rejects.toThrow(/invalid credentials|SASL/);
    await wrong.disconnect();
  });

  it('without SASL configured, a client gets no further than ApiVersions', async () => {
    const admin = new Kafka({
      clientId: 'no-sasl',
      brokers: [`127.0.0.1:${kafka.port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2000,
      requestTimeout: 2000,
    }).admin();
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow();
    await admin.disconnect();
  });
});

describe('python3-confluent-kafka', () => {
  it('SCRAM-SHA-512: produces a record (delivered), and a wrong password is an authentication error', async (context) => {
    await requireClient(context, 'python3-confluent-kafka', () =>
      run(PYTHON, ['-c', 'import confluent_kafka']),
    );
    const script = `
import json, sys
from confluent_kafka import Producer
port, password = sys.argv[1], sys.argv[2]
errors = []
p = Producer({'bootstrap.servers': '127.0.0.1:' + port, 'security.protocol': 'SASL_PLAINTEXT',
  'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'alice', 'sasl.password': password,
  'message.timeout.ms': 5000, 'error_cb': lambda e: errors.append(str(e))})
delivered = []
p.produce('secured', b'from-python', on_delivery=lambda err, msg: delivered.append(err is None))
p.flush(10)
print(json.dumps({'delivered': delivered, 'errors': errors}))
`;
    const ok = JSON.parse(
      (await run(PYTHON, ['-c', script, String(kafka.port), PASSWORD], { timeout: 30_000 })).stdout,
    ) as { delivered: boolean[]; errors: string[] };
    expect(ok.delivered).toEqual([true]);
    const refused = JSON.parse(
      (await run(PYTHON, ['-c', script, String(kafka.port), 'wrong'], { timeout: 30_000 })).stdout,
    ) as { delivered: boolean[]; errors: string[] };
    expect(refused.delivered).toEqual([false]);
    expect(refused.errors.join('\n')).toContain('invalid credentials with SASL mechanism SCRAM-SHA-512');
  });
});

describe('curl (HTTP Basic on the client API)', () => {
  it('-u alice:pw is served; no credentials, a wrong password or an unknown user is 401 / 40101', async (context) => {
    await requireClient(context, 'curl', () => run('curl', ['--version']));
    const url = `http://127.0.0.1:${http.address.slice(http.address.lastIndexOf(':') + 1)}/v3/clusters`;
    const curl = async (...args: string[]) => {
      const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args, url], { timeout: 10_000 });
      const lines = stdout.split('\n');
      return { status: Number(lines.pop()), body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
    };
    const ok = await curl('-u', `alice:${PASSWORD}`);
    expect(ok.status).toBe(200);
    expect(ok.body.kind).toBe('KafkaClusterList');
    for (const args of [
      [],
      ['-u', 'alice:wrong'],
      ['-u', `mallory:${PASSWORD}`],
      ['--http2-prior-knowledge'],
    ]) {
      const refused = await curl(...args);
      expect(refused.status, args.join(' ')).toBe(401);
      expect(refused.body.error_code).toBe(40101);
    }
    // HTTP/2 (h2c) carries Basic the same way.
    expect((await curl('--http2-prior-knowledge', '-u', `alice:${PASSWORD}`)).status).toBe(200);
  });
});
