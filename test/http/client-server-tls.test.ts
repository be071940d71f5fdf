// The one-port server over TLS (CLIENT SSL / SASL_SSL): ALPN picks h2 or http/1.1; a client that offers
// no ALPN is sniffed inside TLS; ssl.client.auth=required refuses a client without a certificate, and
// requested lets it in; close() ends connections still in their handshake.

import net from 'node:net';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClientApp } from '../../src/http/client-app.ts';
import { type ClientApiListener, listenClientApi } from '../../src/http/client-server.ts';
import { createCa, issueCertificate } from '../../src/node/local-ca.ts';
import { FakeNode } from './fake-node.ts';

const ca = createCa('client-server test CA');
const server = issueCertificate(ca, {
  commonName: 'node',
  ipAddresses: ['127.0.0.1'],
  serverAuth: true,
  clientAuth: true,
});
const client = issueCertificate(ca, { commonName: 'alice', serverAuth: false, clientAuth: true });

let app: FastifyInstance | null = null;
let listener: ClientApiListener | null = null;

afterEach(async () => {
  await listener?.close();
  await app?.close();
  listener = null;
  app = null;
});

async function start(clientAuth: 'none' | 'requested' | 'required'): Promise<number> {
  app = buildClientApp({ node: new FakeNode() });
  app.get('/test/protocol', async (request) => ({
    http_version: request.raw.httpVersion,
    peer: (request.raw.socket as tls.TLSSocket).getPeerCertificate?.()?.subject?.CN ?? null,
  }));
  listener = await listenClientApi(app, {
    host: '127.0.0.1',
    port: 0,
    tls: {
      key: server.keyPem,
      cert: server.certPem,
      ca: ca.certPem,
      requestCert: clientAuth !== 'none',
      rejectUnauthorized: clientAuth === 'required',
    },
  });
  return Number(listener.address.slice(listener.address.lastIndexOf(':') + 1));
}

async function protocolOver(port: number, allowH2: boolean, withCert: boolean) {
  const undici = new Client(`https://127.0.0.1:${port}`, {
    allowH2,
    connect: { ca: ca.certPem, ...(withCert ? { cert: client.certPem, key: client.keyPem } : {}) },
  });
  try {
    const response = await undici.request({ method: 'GET', path: '/test/protocol' });
    return (await response.body.json()) as { http_version: string; peer: string | null };
  } finally {
    await undici.close();
  }
}

describe('the client API over TLS', () => {
  it('serves h2 and HTTP/1.1 as ALPN chooses, and HTTP/1.1 to a client without ALPN', async () => {
    const port = await start('none');
    expect((await protocolOver(port, true, false)).http_version).toBe('2.0');
    expect((await protocolOver(port, false, false)).http_version).toBe('1.1');
    const raw = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem });
    await new Promise<void>((resolve) => raw.once('secureConnect', () => resolve()));
    expect(raw.alpnProtocol).toBe(false);
    raw.write('GET /test/protocol HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    let answer = '';
    raw.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    await new Promise<void>((resolve) => raw.once('close', () => resolve()));
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain('"http_version":"1.1"');
  });

  it('requires a client certificate with ssl.client.auth=required, and shows it', async () => {
    const port = await start('required');
    await expect(protocolOver(port, true, false)).rejects.toThrow();
    expect((await protocolOver(port, true, true)).peer).toBe('alice');
    expect((await protocolOver(port, false, true)).peer).toBe('alice');
  });

  it('lets a client without a certificate in with ssl.client.auth=requested', async () => {
    const port = await start('requested');
    expect((await protocolOver(port, true, false)).http_version).toBe('2.0');
    expect((await protocolOver(port, false, true)).peer).toBe('alice');
  });

  it('closes with a connection still in its TLS handshake', async () => {
    const port = await start('none');
    const stalled = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    await listener!.close();
    await closed;
  });
});
