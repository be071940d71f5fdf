// The client API listener's bounds on abuse, with real sockets: connections over max.connections.per.ip
// closed at accept, slow headers and slow bodies dropped at their deadlines (slowloris), an oversized
// body refused from its Content-Length before it is sent, and HTTP/2 floods that end only the session.
import http2 from 'node:http2';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLimiter, NO_CONNECTION_LIMITS } from '../../src/common/connection-limits.ts';
import { buildClientApp } from '../../src/http/client-app.ts';
import { type ClientApiListener, listenClientApi } from '../../src/http/client-server.ts';
import { BASE } from './harness.ts';
import { FakeNode } from './fake-node.ts';

let app: FastifyInstance | null = null;
let listener: ClientApiListener | null = null;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  await listener?.close();
  await app?.close();
  listener = null;
  app = null;
});

async function start(options: Omit<Parameters<typeof listenClientApi>[1], 'host' | 'port'> = {}) {
  app = buildClientApp({ node: new FakeNode(), bodyBytesMax: 1024 });
  listener = await listenClientApi(app, { host: '127.0.0.1', port: 0, ...options });
  return Number(listener.address.split(':')[1]);
}

/** A raw connection: what it received, and whether (and when) it closed. */
function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  const state = { received: '', closedAtMs: null as number | null };
  socket.on('data', (chunk: Buffer) => {
    state.received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    state.closedAtMs = Date.now();
  });
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, state, connected };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const GET = 'GET /v3/clusters HTTP/1.1\r\nhost: x\r\n\r\n';

describe('client API listener limits', () => {
  it('closes a connection over max.connections.per.ip at once, and takes one again once a slot is free', async () => {
    const refusals: string[] = [];
    const limiter = new ConnectionLimiter(
      'CLIENT',
      { ...NO_CONNECTION_LIMITS, maxConnectionsPerIp: 2 },
      (l, r) => refusals.push(`${l} ${r}`),
    );
    const port = await start({ connectionLimiter: limiter });
    const first = rawClient(port);
    const second = rawClient(port);
    await Promise.all([first.connected, second.connected]);
    await until(() => limiter.open === 2, 'two connections admitted');
    const third = rawClient(port);
    await until(() => third.state.closedAtMs !== null, 'the third connection to be closed');
    expect(third.state.received).toBe('');
    expect(refusals).toEqual(['CLIENT max_connections_per_ip']);
    // The admitted ones are served.
    first.socket.write(GET);
    await until(() => first.state.received.includes('200 OK'), 'an answer on an admitted connection');
    second.socket.destroy();
    await until(() => limiter.open === 1, 'the slot released');
    const fourth = rawClient(port);
    fourth.socket.write(GET);
    await until(() => fourth.state.received.includes('200 OK'), 'an answer on a new connection');
  });

  it('drops a client that sends its headers one byte at a time past http.headers.timeout.ms', async () => {
    const port = await start({ headersTimeoutMs: 400, requestTimeoutMs: 5000 });
    const slow = rawClient(port);
    await slow.connected;
    const started = Date.now();
    const text = `GET /v3/clusters HTTP/1.1\r\nhost: x\r\nx-slow: ${'a'.repeat(100)}\r\n\r\n`;
    let at = 0;
    const drip = setInterval(() => {
      if (at < text.length && !slow.socket.destroyed) slow.socket.write(text[at++]!);
    }, 50);
    try {
      await until(() => slow.state.closedAtMs !== null, 'the slow client to be dropped', 4000);
    } finally {
      clearInterval(drip);
    }
    expect(slow.state.received).toMatch(/^HTTP\/1.1 408/);
    expect(slow.state.closedAtMs! - started).toBeLessThan(2000);
    expect(at).toBeLessThan(text.length);
  });

  it('drops a client whose body trickles in past http.request.timeout.ms', async () => {
    const port = await start({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const slow = rawClient(port);
    await slow.connected;
    slow.socket.write(
      `POST ${BASE}/topics HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n`,
    );
    const drip = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(' ');
    }, 50);
    try {
      await until(() => slow.state.closedAtMs !== null, 'the slow body to be dropped', 4000);
    } finally {
      clearInterval(drip);
    }
    expect(slow.state.received).toMatch(/^HTTP\/1.1 408/);
  });

  it('cancels an HTTP/2 stream whose body trickles in past http.request.timeout.ms; the session goes on', async () => {
    const port = await start({ requestTimeoutMs: 500 });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': `${BASE}/topics`,
        'content-type': 'application/json',
      });
      stream.on('error', () => {});
      stream.write(' ');
      const drip = setInterval(() => {
        if (!stream.closed) stream.write(' ');
      }, 50);
      const started = Date.now();
      const code = await new Promise<number>((resolve) =>
        stream.once('close', () => resolve(stream.rstCode)),
      );
      clearInterval(drip);
      expect(code).toBe(http2.constants.NGHTTP2_CANCEL);
      expect(Date.now() - started).toBeLessThan(2000);
      // The same session still serves a request without a body.
      const status = await new Promise<number>((resolve, reject) => {
        const get = session.request({ ':path': '/v3/clusters' });
        get.on('response', (headers) => resolve(Number(headers[':status'])));
        get.on('error', reject);
        get.resume();
      });
      expect(status).toBe(200);
    } finally {
      session.destroy();
    }
  });

  it('refuses an oversized body from its Content-Length (413) before it is sent', async () => {
    const port = await start();
    const client = rawClient(port);
    await client.connected;
    // Headers only: the 10 MB body is never sent, so a 413 means it was not waited for.
    client.socket.write(
      `POST ${BASE}/topics HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n`,
    );
    await until(() => client.state.received.includes('\r\n\r\n{'), 'the answer');
    expect(client.state.received).toMatch(/^HTTP\/1.1 413/);
    expect(client.state.received).toContain('accepts at most 1024 bytes');
  });

  it('survives HTTP/2 floods of pings and of streams reset at once (rapid reset): the next client is served', async () => {
    const port = await start();
    // Rapid reset: streams opened and cancelled straight away, many times over.
    const resetter = http2.connect(`http://127.0.0.1:${port}`);
    resetter.on('error', () => {});
    for (let i = 0; i < 2000 && !resetter.destroyed; i++) {
      const stream = resetter.request({ ':path': '/v3/clusters' });
      stream.on('error', () => {});
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }
    // A ping flood on a raw session: the preface, empty SETTINGS, then 20,000 PINGs never read back.
    const pinger = rawClient(port);
    await pinger.connected;
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const ping = Buffer.from([0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    pinger.socket.pause();
    pinger.socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings]));
    pinger.socket.write(Buffer.concat(Array.from({ length: 20_000 }, () => ping)));
    const fresh = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = fresh.request({ ':path': '/v3/clusters' });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        stream.resume();
      });
      expect(status).toBe(200);
    } finally {
      fresh.destroy();
      resetter.destroy();
    }
  });
});
