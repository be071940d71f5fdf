// The server side of SCRAM (RFC 5802 / RFC 7677) and PLAIN (RFC 4616): RFC 7677's test vector byte for
// byte, a client written from the RFC against both hashes, and hostile messages (garbage, channel
// binding, wrong nonce, replayed final messages, unknown users failing exactly like wrong passwords).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  credentialFromPassword,
  credentialFromSaltedPassword,
  saltedPassword,
} from '../../src/common/scram.ts';
import type { ScramCredential, ScramMechanism } from '../../src/common/security.ts';
import { parsePlainMessage } from '../../src/kafka/server/sasl/plain-server.ts';
import { decodeSaslName, ScramError, ScramServerExchange } from '../../src/kafka/server/sasl/scram-server.ts';
import { scramClientFinal } from './scram-client.ts';

const FAKE_SALT_KEY = Buffer.alloc(32, 7);

function exchangeFor(
  mechanism: ScramMechanism,
  users: ReadonlyMap<string, ScramCredential>,
  serverNonce = randomBytes(18).toString('base64'),
): ScramServerExchange {
  return new ScramServerExchange({
    mechanism,
    credential: (user) => users.get(user),
    serverNonce,
    fakeSaltKey: FAKE_SALT_KEY,
  });
}

function scramError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ScramError) return error.serverError;
    throw error;
  }
  throw new Error('no ScramError');
}

describe('SCRAM server exchange', () => {
  it("RFC 7677's SCRAM-SHA-256 test vector, byte for byte", () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const credential = credentialFromSaltedPassword(
      'SCRAM-SHA-256',
      salt,
      saltedPassword('SCRAM-SHA-256', 'pencil', salt, 4096),
      4096,
    );
    const server = exchangeFor(
      'SCRAM-SHA-256',
      new Map([['user', credential]]),
      '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    );
    expect(server.first(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')).toString()).toBe(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    const final = server.final(
      Buffer.from(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
    );
    expect(final.user).toBe('user');
    expect(final.serverFinal.toString()).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: a client from RFC 5802 authenticates, and verifies the server's signature`, () => {
      const users = new Map([['alice', credentialFromPassword(mechanism, 'alice-secret')]]);
      const server = exchangeFor(mechanism, users);
      const clientFirstBare = 'n=alice,r=fyko+d2lbbFgONRv9qkxdawL';
      const serverFirst = server.first(Buffer.from(`n,,${clientFirstBare}`)).toString();
      const client = scramClientFinal(mechanism, 'alice-secret', clientFirstBare, serverFirst);
      const final = server.final(Buffer.from(client.message));
      expect(final.user).toBe('alice');
      expect(final.serverFinal.toString()).toBe(`v=${client.serverSignature}`);
    });

    it(`${mechanism}: a wrong password and an unknown user fail alike, at the final message`, () => {
      const users = new Map([['alice', credentialFromPassword(mechanism, 'alice-secret')]]);
      const wrong = exchangeFor(mechanism, users);
      const bare = 'n=alice,r=abc';
      const wrongFirst = wrong.first(Buffer.from(`n,,${bare}`)).toString();
      expect(
        scramError(() =>
          wrong.final(Buffer.from(scramClientFinal(mechanism, 'nope', bare, wrongFirst).message)),
        ),
      ).toBe('invalid-proof');
      // The unknown user gets a salt (stable across attempts, as a real one is) and the minimum iterations.
      const unknownFirst = () =>
        exchangeFor(mechanism, users).first(Buffer.from('n,,n=mallory,r=abc')).toString().split(',').slice(1);
      expect(unknownFirst()).toEqual(unknownFirst());
      expect(unknownFirst()[1]).toBe('i=4096');
      const unknown = exchangeFor(mechanism, users);
      const first = unknown.first(Buffer.from('n,,n=mallory,r=abc')).toString();
      expect(
        scramError(() =>
          unknown.final(Buffer.from(scramClientFinal(mechanism, 'x', 'n=mallory,r=abc', first).message)),
        ),
      ).toBe('invalid-proof');
    });
  }

  it('a final message replayed into another exchange fails (the server nonce differs)', () => {
    const users = new Map([['alice', credentialFromPassword('SCRAM-SHA-256', 'pw')]]);
    const bare = 'n=alice,r=clientnonce';
    const first = exchangeFor('SCRAM-SHA-256', users);
    const serverFirst = first.first(Buffer.from(`n,,${bare}`)).toString();
    const final = scramClientFinal('SCRAM-SHA-256', 'pw', bare, serverFirst).message;
    first.final(Buffer.from(final));
    const second = exchangeFor('SCRAM-SHA-256', users);
    second.first(Buffer.from(`n,,${bare}`));
    expect(scramError(() => second.final(Buffer.from(final)))).toBe('other-error');
  });

  it('refuses channel binding, a missing gs2 header, bad names and nonces, and a wrong c=', () => {
    const users = new Map([['alice', credentialFromPassword('SCRAM-SHA-256', 'pw')]]);
    const firstError = (text: string) =>
      scramError(() => exchangeFor('SCRAM-SHA-256', users).first(Buffer.from(text)));
    expect(firstError('p=tls-unique,,n=alice,r=abc')).toBe('channel-bindings-not-supported');
    expect(firstError('y,,n=alice,r=abc')).toBe('channel-bindings-not-supported');
    expect(firstError('n=alice,r=abc')).toBe('other-error');
    expect(firstError('\u0000\u0001garbage')).toBe('other-error');
    expect(firstError('n,,r=abc,n=alice')).toBe('other-error');
    expect(firstError('n,,n=al=ice,r=abc')).toBe('invalid-username-encoding');
    expect(firstError('n,,n=,r=abc')).toBe('invalid-username-encoding');
    expect(firstError('n,a=bob,n=alice,r=abc')).toBe('invalid-username-encoding');
    expect(firstError('n,,n=alice,r=a\u0001b')).toBe('other-error');
    expect(firstError('n,,n=alice,r=abc,tokenauth=true')).toBe('extensions-not-supported');
    const server = exchangeFor('SCRAM-SHA-256', users);
    const bare = 'n=alice,r=abc';
    const serverFirst = server.first(Buffer.from(`n,a=alice,${bare}`)).toString();
    // The client claims it sent "n,," while it sent "n,a=alice,".
    const final = scramClientFinal('SCRAM-SHA-256', 'pw', bare, serverFirst, 'n,,').message;
    expect(scramError(() => server.final(Buffer.from(final)))).toBe('channel-bindings-dont-match');
    const noProof = exchangeFor('SCRAM-SHA-256', users);
    noProof.first(Buffer.from(`n,,${bare}`));
    expect(scramError(() => noProof.final(Buffer.from('c=biws,r=abc')))).toBe('other-error');
  });

  it('decodes saslnames (=2C and =3D) and refuses other escapes', () => {
    expect(decodeSaslName('a=2Cb=3Dc')).toBe('a,b=c');
    expect(decodeSaslName('a=2')).toBeNull();
    expect(decodeSaslName('a=41')).toBeNull();
  });
});

describe('PLAIN message', () => {
  it('parses [authzid] NUL user NUL password, and refuses the rest', () => {
    expect(parsePlainMessage(Buffer.from('\0alice\0s3cret'))).toEqual({ user: 'alice', password: 's3cret' });
    expect(parsePlainMessage(Buffer.from('alice\0alice\0p\u00e4ss'))).toEqual({
      user: 'alice',
      password: 'p\u00e4ss',
    });
    expect(parsePlainMessage(Buffer.from('bob\0alice\0pw'))).toMatch(/authorization id/);
    expect(parsePlainMessage(Buffer.from('alice\0pw'))).toMatch(/NUL/);
    expect(parsePlainMessage(Buffer.from('\0alice\0pw\0extra'))).toMatch(/NUL/);
    expect(parsePlainMessage(Buffer.from('\0\0pw'))).toMatch(/user name is empty/);
    expect(parsePlainMessage(Buffer.from('\0alice\0'))).toMatch(/password is empty/);
    expect(parsePlainMessage(Buffer.alloc(0))).toMatch(/NUL/);
  });
});
