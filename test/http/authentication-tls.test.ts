// Client certificates as principals on the client API over TLS: on SSL and SASL_SSL a verified
// certificate authenticates (subject DN through ssl.principal.mapping.rules), over HTTP/1.1 and h2 alike;
// without one SASL_SSL asks for HTTP Basic and SSL serves anonymously.
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordCheck } from '../../src/common/password-check.ts';
import { parsePrincipalMappingRules } from '../../src/common/principal-mapping.ts';
import { credentialFromPassword } from '../../src/common/scram.ts';
import type { ScramCredential, ScramMechanism } from '../../src/common/security.ts';
import type { ClientSecurityProtocol } from '../../src/http/authentication.ts';
import { buildClientApp } from '../../src/http/client-app.ts';
import { type ClientApiListener, listenClientApi } from '../../src/http/client-server.ts';
import { createCa, issueCertificate } from '../../src/node/local-ca.ts';
import { FakeNode } from './fake-node.ts';

const ca = createCa('authentication test CA');
const server = issueCertificate(ca, {
  commonName: 'node',
  ipAddresses: ['127.0.0.1'],
  serverAuth: true,
  clientAuth: true,
});
const alice = issueCertificate(ca, { commonName: 'alice', serverAuth: false, clientAuth: true });
const stranger = issueCertificate(createCa('another CA'), {
  commonName: 'mallory',
  serverAuth: false,
  clientAuth: true,
});
const users = new Map<string, ReadonlyMap<ScramMechanism, ScramCredential>>([
  ['bob', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'bob-pw')]])],
]);

let listener: ClientApiListener | null = null;

afterEach(async () => {
  await listener?.close();
  listener = null;
});

async function start(securityProtocol: ClientSecurityProtocol, rules = 'DEFAULT'): Promise<string> {
  const credentials = (user: string) => users.get(user);
  const app = buildClientApp({
    node: new FakeNode(),
    authentication: {
      securityProtocol,
      passwords: new PasswordCheck({ credentials, now: () => performance.now() }),
      principalMappingRules: parsePrincipalMappingRules(rules),
    },
  });
  app.get('/test/session', async (request) => request.session);
  listener = await listenClientApi(app, {
    host: '127.0.0.1',
    port: 0,
    tls: {
      key: server.keyPem,
      cert: server.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
  });
  return `https://${listener.address}`;
}

async function session(origin: string, options: { h2: boolean; cert?: typeof alice; basic?: string }) {
  const client = new Client(origin, {
    allowH2: options.h2,
    connect: {
      ca: ca.certPem,
      ...(options.cert === undefined ? {} : { cert: options.cert.certPem, key: options.cert.keyPem }),
    },
  });
  try {
    const response = await client.request({
      method: 'GET',
      path: '/test/session',
      headers:
        options.basic === undefined
          ? {}
          : { authorization: `Basic ${Buffer.from(options.basic).toString('base64')}` },
    });
    return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
  } finally {
    await client.close();
  }
}

describe('client certificates as principals', () => {
  for (const h2 of [false, true]) {
    it(`SASL_SSL over ${h2 ? 'h2' : 'HTTP/1.1'}: a verified certificate is the principal; without one, Basic or 401`, async () => {
      const origin = await start('SASL_SSL');
      expect(await session(origin, { h2, cert: alice })).toMatchObject({
        status: 200,
        body: { principal: { type: 'User', name: 'CN=alice' }, method: 'ssl' },
      });
      expect(await session(origin, { h2 })).toMatchObject({ status: 401, body: { error_code: 40101 } });
      // A certificate of another CA is not verified: it counts for nothing.
      expect(await session(origin, { h2, cert: stranger })).toMatchObject({ status: 401 });
      expect(await session(origin, { h2, basic: 'bob:bob-pw' })).toMatchObject({
        status: 200,
        body: { principal: { name: 'bob' }, method: 'http-basic' },
      });
    });
  }

  it('SSL: the certificate through ssl.principal.mapping.rules; none (or unverified) is anonymous', async () => {
    const origin = await start('SSL', 'RULE:^CN=([^,]*)$/$1/U,DEFAULT');
    expect(await session(origin, { h2: true, cert: alice })).toMatchObject({
      status: 200,
      body: { principal: { name: 'ALICE' }, method: 'ssl' },
    });
    expect(await session(origin, { h2: false })).toMatchObject({
      status: 200,
      body: { principal: { name: 'ANONYMOUS' } },
    });
    expect(await session(origin, { h2: false, cert: stranger })).toMatchObject({
      status: 200,
      body: { principal: { name: 'ANONYMOUS' } },
    });
  });
});
