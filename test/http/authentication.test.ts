// Authentication on the client API: HTTP Basic against the users' SCRAM credentials on a SASL_* CLIENT
// listener (401 / 40101 with a Basic challenge otherwise, whatever the path, so nothing tells what
// exists), GET /ready open for the launcher, anonymous sessions on PLAINTEXT as today.
import { describe, expect, it } from 'vitest';
import { PasswordCheck } from '../../src/common/password-check.ts';
import { credentialFromPassword } from '../../src/common/scram.ts';
import type { ScramCredential, ScramMechanism, Session } from '../../src/common/security.ts';
import {
  BASIC_CHALLENGE,
  type ClientSecurityProtocol,
  parseBasicAuthorization,
} from '../../src/http/authentication.ts';
import { BASE, newHarness } from './harness.ts';

const users = new Map<string, ReadonlyMap<ScramMechanism, ScramCredential>>([
  ['alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'alice:pw')]])],
]);

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function harness(securityProtocol?: ClientSecurityProtocol) {
  const credentials = (user: string) => users.get(user);
  const h = newHarness(
    securityProtocol === undefined
      ? {}
      : {
          authentication: {
            securityProtocol,
            passwords: new PasswordCheck({ credentials, now: () => performance.now() }),
            principalMappingRules: [{ kind: 'default' }],
          },
        },
  );
  // What the routes see as the request's session.
  h.app.get('/test/session', async (request) => request.session);
  return h;
}

describe('HTTP Basic', () => {
  it('parses Basic credentials (the password may hold ":"), refuses anything else', () => {
    expect(parseBasicAuthorization(basic('alice', 'a:b'))).toEqual({ user: 'alice', password: 'a:b' });
    expect(parseBasicAuthorization(`basic ${Buffer.from('bob:').toString('base64')}`)).toEqual({
      user: 'bob',
      password: '',
    });
    expect(parseBasicAuthorization(undefined)).toBeNull();
    expect(parseBasicAuthorization('Bearer abc')).toBeNull();
    expect(parseBasicAuthorization(`Basic ${Buffer.from(':pw').toString('base64')}`)).toBeNull();
    expect(parseBasicAuthorization(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeNull();
    expect(parseBasicAuthorization('Basic !!!')).toBeNull();
  });

  for (const protocol of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    it(`${protocol}: no, wrong or unknown credentials are 401 / 40101 with a Basic challenge, on any path`, async () => {
      const h = harness(protocol);
      for (const headers of [
        {},
        { authorization: basic('alice', 'wrong') },
        { authorization: basic('eve', 'alice:pw') },
      ]) {
        for (const url of [`${BASE}/topics`, '/v3/clusters', '/no/such/path', '/topics', '/test/session']) {
          const reply = await h.request({ method: 'GET', url, headers });
          expect(reply.status, url).toBe(401);
          expect(reply.json.error_code).toBe(40101);
          expect(reply.headers['www-authenticate']).toBe(BASIC_CHALLENGE);
        }
      }
      const wrong = await h.request({
        method: 'GET',
        url: '/test/session',
        headers: { authorization: basic('alice', 'x') },
      });
      const unknown = await h.request({
        method: 'GET',
        url: '/test/session',
        headers: { authorization: basic('eve', 'x') },
      });
      expect(wrong.json).toEqual(unknown.json);
      await h.close();
    });

    it(`${protocol}: the right password gives the session User:alice; GET /ready needs none`, async () => {
      const h = harness(protocol);
      const reply = await h.request({
        method: 'GET',
        url: '/test/session',
        headers: { authorization: basic('alice', 'alice:pw') },
      });
      expect(reply.status).toBe(200);
      expect(reply.json as unknown as Session).toEqual({
        principal: { type: 'User', name: 'alice' },
        clientHost: '127.0.0.1',
        method: 'http-basic',
      });
      const topics = await h.request({
        method: 'GET',
        url: `${BASE}/topics`,
        headers: { authorization: basic('alice', 'alice:pw') },
      });
      expect(topics.status).toBe(200);
      expect((await h.get('/ready')).status).not.toBe(401);
      expect((await h.request({ method: 'POST', url: '/ready' })).status).toBe(401);
      await h.close();
    });
  }

  it('PLAINTEXT (and no option at all): every request is anonymous, credentials or not', async () => {
    for (const h of [harness('PLAINTEXT'), harness()]) {
      const reply = await h.request({
        method: 'GET',
        url: '/test/session',
        headers: { authorization: basic('alice', 'x') },
      });
      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({ principal: { name: 'ANONYMOUS' }, method: 'none' });
      await h.close();
    }
  });

  it('SSL without a client certificate: anonymous (no Basic asked)', async () => {
    const h = harness('SSL');
    const reply = await h.get('/test/session');
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ principal: { name: 'ANONYMOUS' }, method: 'none' });
    await h.close();
  });
});
