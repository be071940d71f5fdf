// The one-port server with real clients: undici over HTTP/1.1 and over h2c with prior knowledge, curl
// both ways, raw sockets for the odd cases, and close() with connections open and a request in flight.

import { execFile, execFileSync } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Client } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildClientApp } from '../../src/http/client-app.ts';
import type { ClientApiListener } from '../../src/http/client-server.ts';
import { listenClientApi } from '../../src/http/client-server.ts';
import { HTTP2_PREFACE } from '../../src/http/protocol-sniff.ts';
import { CLUSTER_ID, FakeNode } from './fake-node.ts';

const execFileAsync = promisify(execFile);
const BASE = `/v3/clusters/${CLUSTER_ID}`;
const UPLOAD_BYTES_MAX = 64 * 1024 * 1024;

function hasCurl(): boolean {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function deferred(): Deferred {
  let resolve = (): void => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

let app: FastifyInstance;
let listener: ClientApiListener;
let origin: string;
let clients: Client[];
/** /test/slow signals `arrived`, then waits for `release`. */
let arrived: Deferred;
let release: Deferred;

beforeEach(async () => {
  app = buildClientApp({ node: new FakeNode(), bodyBytesMax: UPLOAD_BYTES_MAX });
  // Test-only routes: which protocol a request came over, an upload sink, a request that waits.
  app.get('/test/protocol', async (request) => ({ http_version: request.raw.httpVersion }));
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  app.post('/test/upload', async (request) => ({ bytes: (request.body as Buffer).length }));
  arrived = deferred();
  release = deferred();
  app.get('/test/slow', async () => {
    arrived.resolve();
    await release.promise;
    return { done: true };
  });
  listener = await listenClientApi(app, { host: '127.0.0.1', port: 0 });
  origin = `http://${listener.address}`;
  clients = [];
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await listener.close();
  await app.close();
});

function http1Client(): Client {
  const client = new Client(origin, { allowH2: false });
  clients.push(client);
  return client;
}

function h2cClient(): Client {
  const client = new Client(origin, { allowH2: true, h2Options: { useH2c: true } });
  clients.push(client);
  return client;
}

async function getJson(
  client: Client,
  path: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await client.request({ method: 'GET', path });
  return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
}

describe('one port, HTTP/1.1 and h2c', () => {
  it('listens on an ephemeral port', () => {
    expect(listener.address).toMatch(/^127\.0\.0\.1:[1-9][0-9]*$/);
  });

  it('serves HTTP/1.1 (undici)', async () => {
    const client = http1Client();
    expect((await getJson(client, '/test/protocol')).json).toEqual({ http_version: '1.1' });
    const clusters = await getJson(client, '/v3/clusters');
    expect(clusters.status).toBe(200);
    expect((clusters.json.metadata as { self: string }).self).toBe(`${origin}/v3/clusters`);
  });

  it('serves h2c with prior knowledge (undici)', async () => {
    const client = h2cClient();
    expect((await getJson(client, '/test/protocol')).json).toEqual({ http_version: '2.0' });
    const created = await client.request({
      method: 'POST',
      path: `${BASE}/topics`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic_name: 'orders', partitions_count: 2 }),
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe(`${origin}${BASE}/topics/orders`);
    expect(await created.body.json()).toMatchObject({ topic_name: 'orders', partitions_count: 2 });
    const missing = await getJson(client, `${BASE}/topics/nope`);
    expect(missing).toEqual({
      status: 404,
      json: { error_code: 40401, message: 'This server does not host this topic-partition.' },
    });
  });

  it('multiplexes concurrent h2c requests on one connection', async () => {
    const client = h2cClient();
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        getJson(client, i % 2 === 0 ? '/health' : `${BASE}/brokers/${(i % 3) + 1}`),
      ),
    );
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
  });

  it('takes a large body over h2c (flow control windows)', async () => {
    const client = h2cClient();
    const body = Buffer.alloc(16 * 1024 * 1024, 7);
    const response = await client.request({
      method: 'POST',
      path: '/test/upload',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ bytes: body.length });
  });

  it('keeps HTTP/1.1 connections alive across requests, pipelined or not', async () => {
    const socket = net.connect(Number(listener.address.split(':')[1]), '127.0.0.1');
    const request = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`;
    socket.write(request('/health') + request('/test/protocol'));
    let received = '';
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.includes('"http_version":"1.1"')) resolve();
      });
    });
    expect(received.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    socket.destroy();
  });

  it('answers bytes that are not HTTP with 400 and closes', async () => {
    const socket = net.connect(Number(listener.address.split(':')[1]), '127.0.0.1');
    socket.write('HELLO\r\n\r\n');
    const received = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(text));
    });
    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request/);
  });

  it('survives clients that vanish mid-preface or mid-session', async () => {
    const port = Number(listener.address.split(':')[1]);
    const partial = net.connect(port, '127.0.0.1');
    partial.end(HTTP2_PREFACE.subarray(0, 10));
    const garbageSession = net.connect(port, '127.0.0.1');
    garbageSession.end(Buffer.concat([HTTP2_PREFACE, Buffer.from('not a settings frame at all')]));
    await Promise.all(
      [partial, garbageSession].map(
        (socket) =>
          new Promise<void>((resolve) => {
            socket.on('error', () => {});
            socket.on('close', () => resolve());
            socket.resume();
          }),
      ),
    );
    expect((await getJson(h2cClient(), '/health')).status).toBe(200);
  });

  it('refuses a port that is taken', async () => {
    const port = Number(listener.address.split(':')[1]);
    await expect(listenClientApi(app, { host: '127.0.0.1', port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe.skipIf(!hasCurl())('curl', () => {
  async function curl(
    ...args: string[]
  ): Promise<{ version: string; status: number; body: Record<string, unknown> }> {
    const { stdout } = await execFileAsync('curl', ['-sS', '-w', '\n%{http_version} %{http_code}', ...args]);
    const lines = stdout.split('\n');
    const [version, status] = lines.pop()!.split(' ');
    return {
      version: version!,
      status: Number(status),
      body: JSON.parse(lines.join('\n')) as Record<string, unknown>,
    };
  }

  it('plain curl speaks HTTP/1.1', async () => {
    const reply = await curl(`${origin}/v3/clusters`);
    expect([reply.version, reply.status]).toEqual(['1.1', 200]);
    expect(reply.body.kind).toBe('KafkaClusterList');
  });

  it('curl --http2-prior-knowledge speaks h2c', async () => {
    const reply = await curl('--http2-prior-knowledge', `${origin}${BASE}/brokers/1`);
    expect([reply.version, reply.status]).toEqual(['2', 200]);
    expect(reply.body).toMatchObject({ kind: 'KafkaBroker', broker_id: 1 });
  });

  it('curl gets the error body over both protocols', async () => {
    for (const flags of [[], ['--http2-prior-knowledge']]) {
      const reply = await curl(
        ...flags,
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '-d',
        '{"topic_name": ',
        `${origin}${BASE}/topics`,
      );
      expect(reply.status).toBe(400);
      expect(reply.body.error_code).toBe(400);
    }
  });
});

describe('close()', () => {
  it('closes idle HTTP/1.1 and HTTP/2 connections and stops accepting', async () => {
    await getJson(http1Client(), '/health');
    await getJson(h2cClient(), '/health');
    await listener.close();
    const port = Number(listener.address.split(':')[1]);
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', resolve);
      socket.on('connect', () => resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' })));
    });
    expect(error.code).toBe('ECONNREFUSED');
  });

  it.each([
    ['HTTP/1.1', http1Client],
    ['h2c', h2cClient],
  ])('lets a request in flight over %s finish', async (_label, makeClient) => {
    const client = makeClient();
    const pending = getJson(client, '/test/slow');
    await arrived.promise;
    const closed = listener.close();
    release.resolve();
    expect(await pending).toEqual({ status: 200, json: { done: true } });
    await closed;
  });

  it('drops a connection that has not sent a byte yet', async () => {
    const socket = net.connect(Number(listener.address.split(':')[1]), '127.0.0.1');
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    const socketClosed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    await listener.close();
    await socketClosed;
  });

  it('is idempotent', async () => {
    await Promise.all([listener.close(), listener.close()]);
    await listener.close();
  });
});
