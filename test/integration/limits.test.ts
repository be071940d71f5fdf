// Limits on a real node process: with max.connections.per.ip=5, a 6th connection from one IP is closed
// at once on the client API and on the Kafka listener (and counted in kraftling_connections_refused_total);
// a client that sends its headers one byte per second is dropped at http.headers.timeout.ms.
// The test's own connections come from 127.0.0.2 (the whole of 127/8 is loopback), so that the
// harness's HTTP pool on 127.0.0.1, which an override leaves unbounded, never shares their count.
// A default-user producer_byte_rate set through REST (client-quotas:alter) throttles a kafkajs producer
// (ANONYMOUS on a plaintext listener): its Produce answers carry throttle_time_ms.
import { connect, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiVersionsApi } from '../../src/kafka/protocol/generated/apis.ts';
import { defaultApiVersionsRequest } from '../../src/kafka/protocol/generated/api-versions-request.ts';
import { requestFrame } from '../../chaos/cluster/kafka-frames.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';

const CLIENT_IP = '127.0.0.2';
const PER_IP = 5;

let cluster: ProcessCluster | null = null;
const sockets: Socket[] = [];

beforeAll(async () => {
  cluster = await ProcessCluster.create({
    controllers: 1,
    overrides: {
      'max.connections.per.ip': String(PER_IP),
      'max.connections.per.ip.overrides': '127.0.0.1:1000',
      'http.headers.timeout.ms': '2000',
      'min.insync.replicas': '1',
    },
  });
  await cluster.startAll();
});

afterEach(async (context) => {
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  if (context.task.result?.state === 'fail' && cluster !== null)
    console.log(`--- node 1 log (tail)\n${(await cluster.logs(1)).slice(-4000)}`);
});

afterAll(async () => {
  await cluster?.destroy();
});

/** A connection from CLIENT_IP: what it received, and whether it closed. */
async function open(port: number) {
  const socket = connect({ host: '127.0.0.1', port, localAddress: CLIENT_IP });
  sockets.push(socket);
  const state = { received: Buffer.alloc(0), closed: false };
  socket.on('data', (chunk: Buffer) => {
    state.received = Buffer.concat([state.received, chunk]);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    state.closed = true;
  });
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  return { socket, state };
}

function apiVersions(correlationId: number): Buffer {
  const body = requestFrame(apiVersionsApi, 3, defaultApiVersionsRequest(), correlationId);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Opens PER_IP + 1 connections, each asking `ask` and waiting for its answer: the last one must be closed unanswered. */
async function sixthIsClosed(port: number, ask: (index: number) => Buffer): Promise<void> {
  const served = [];
  for (let index = 0; index < PER_IP; index++) {
    const connection = await open(port);
    connection.socket.write(ask(index));
    await waitFor(`an answer on connection ${index + 1}`, () => connection.state.received.length > 0, 5000);
    expect(connection.state.closed).toBe(false);
    served.push(connection);
  }
  const sixth = await open(port);
  await waitFor('the 6th connection to be closed', () => sixth.state.closed, 5000);
  expect(sixth.state.received.length).toBe(0);
  // The five stay served.
  for (const connection of served) expect(connection.state.closed).toBe(false);
}

describe('limits on a node process', () => {
  it('a 6th connection from one IP is closed on the client API, with max.connections.per.ip=5', async () => {
    await sixthIsClosed(cluster!.node(1).clientPort, () =>
      Buffer.from('GET /v3/clusters HTTP/1.1\r\nhost: x\r\n\r\n'),
    );
  });

  it('a 6th connection from one IP is closed on the Kafka listener, with max.connections.per.ip=5', async () => {
    await sixthIsClosed(cluster!.node(1).kafkaPort, (index) => apiVersions(index + 1));
  });

  it('counts the refusals by listener and reason in the metrics', async () => {
    const metrics = await request(`http://127.0.0.1:${cluster!.node(1).clientPort}/metrics`);
    const text = await metrics.body.text();
    expect(text).toMatch(
      /kraftling_connections_refused_total\{listener="CLIENT",reason="max_connections_per_ip"\} [1-9]/,
    );
    expect(text).toMatch(
      /kraftling_connections_refused_total\{listener="PLAINTEXT",reason="max_connections_per_ip"\} [1-9]/,
    );
  });

  it('drops a client that sends its headers one byte per second at http.headers.timeout.ms', async () => {
    const slow = await open(cluster!.node(1).clientPort);
    const text = `GET /v3/clusters HTTP/1.1\r\nhost: x\r\nx-slow: ${'a'.repeat(50)}\r\n\r\n`;
    const started = Date.now();
    let at = 0;
    slow.socket.write(text[at++]!);
    const drip = setInterval(() => {
      if (at < text.length && !slow.socket.destroyed) slow.socket.write(text[at++]!);
    }, 1000);
    try {
      await waitFor('the slow client to be dropped', () => slow.state.closed, 10_000);
    } finally {
      clearInterval(drip);
    }
    expect(slow.state.received.toString('latin1')).toMatch(/^HTTP\/1.1 408/);
    // 2 s of deadline, checked every 500 ms: well before the headers were all sent.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(at).toBeLessThan(text.length);
  });

  it('throttles a kafkajs producer over a default producer_byte_rate set through REST', async () => {
    const c = cluster!;
    const quotasPath = `/v3/clusters/${c.clusterId}/client-quotas:alter`;
    const set = await c.http(1, 'POST', quotasPath, {
      data: [{ user: null, quotas: { producer_byte_rate: 1000 } }],
    });
    expect(set.status, JSON.stringify(set.body)).toBe(204);
    const created = await c.http(1, 'POST', c.topicsPath(), {
      topic_name: 'quota-test',
      partitions_count: 1,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const throttles: string[] = [];
    const kafka = new Kafka({
      clientId: 'quota-e2e',
      brokers: [`127.0.0.1:${c.node(1).kafkaPort}`],
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        if (entry.log.message.startsWith('Client side throttling')) throttles.push(entry.log.message);
      },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      // 20 KB against 1 KB/s: over the quota whatever the window measured so far.
      for (let i = 0; i < 4 && throttles.length === 0; i++)
        await producer.send({ topic: 'quota-test', acks: -1, messages: [{ value: 'x'.repeat(5000) }] });
      expect(throttles.length).toBeGreaterThan(0);
    } finally {
      await producer.disconnect();
      await c.http(1, 'POST', quotasPath, { data: [{ user: null, quotas: { producer_byte_rate: null } }] });
    }
  });
});
