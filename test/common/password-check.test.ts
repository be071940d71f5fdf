// PLAIN's and HTTP Basic's password check: against the users' SCRAM credentials, successes cached by
// (user, password) only while the credential they were checked against is still the user's.
import { describe, expect, it } from 'vitest';
import { PasswordCheck } from '../../src/common/password-check.ts';
import { credentialFromPassword } from '../../src/common/scram.ts';
import type { ScramCredential, ScramMechanism } from '../../src/common/security.ts';

function setup() {
  const users = new Map<string, Map<ScramMechanism, ScramCredential>>();
  let now = 0;
  const check = new PasswordCheck({
    credentials: (user) => users.get(user),
    now: () => now,
    cacheTtlMs: 1000,
    cacheEntriesMax: 2,
  });
  return {
    users,
    check,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('PasswordCheck', () => {
  it('accepts the password of a SHA-256 or SHA-512 credential, refuses others and unknown users', () => {
    const { users, check } = setup();
    users.set('alice', new Map([['SCRAM-SHA-512', credentialFromPassword('SCRAM-SHA-512', 'pw-a')]]));
    users.set('bob', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'pw-b')]]));
    expect(check.matches('alice', 'pw-a', '10.0.0.1')).toBe(true);
    expect(check.matches('bob', 'pw-b', '10.0.0.1')).toBe(true);
    expect(check.matches('alice', 'pw-b', '10.0.0.1')).toBe(false);
    expect(check.matches('carol', 'pw-a', '10.0.0.1')).toBe(false);
    expect(check.matches('alice', '', '10.0.0.1')).toBe(false);
  });

  it('caches a success until it expires, the credential changes or is deleted; failures are not cached', () => {
    const { users, check, advance } = setup();
    users.set('alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'old')]]));
    expect(check.matches('alice', 'wrong', '10.0.0.1')).toBe(false);
    expect(check.cachedEntries).toBe(0);
    expect(check.matches('alice', 'old', '10.0.0.1')).toBe(true);
    expect(check.cachedEntries).toBe(1);
    expect(check.matches('alice', 'old', '10.0.0.1')).toBe(true);
    // A new password (kafka-configs --alter): the cached success no longer counts.
    users.set('alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'new')]]));
    expect(check.matches('alice', 'old', '10.0.0.1')).toBe(false);
    expect(check.matches('alice', 'new', '10.0.0.1')).toBe(true);
    users.delete('alice');
    expect(check.matches('alice', 'new', '10.0.0.1')).toBe(false);
    users.set('alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'new')]]));
    expect(check.matches('alice', 'new', '10.0.0.1')).toBe(true);
    advance(1001);
    // Expired: checked again (and still right).
    expect(check.matches('alice', 'new', '10.0.0.1')).toBe(true);
  });

  it('keeps at most cacheEntriesMax successes', () => {
    const { users, check } = setup();
    for (const name of ['a', 'b', 'c'])
      users.set(name, new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', `pw-${name}`)]]));
    for (const name of ['a', 'b', 'c']) expect(check.matches(name, `pw-${name}`, '10.0.0.1')).toBe(true);
    expect(check.cachedEntries).toBe(2);
  });

  it('refuses a host unchecked once it failed failuresPerHostMax times in the window, other hosts not', () => {
    const users = new Map<string, Map<ScramMechanism, ScramCredential>>();
    users.set('alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'right')]]));
    let now = 0;
    const check = new PasswordCheck({
      credentials: (user) => users.get(user),
      now: () => now,
      failuresPerHostMax: 3,
      failureWindowMs: 1000,
    });
    for (let i = 0; i < 3; i++) expect(check.matches('alice', `guess-${i}`, '10.0.0.9')).toBe(false);
    // Over its failures: even the right password is refused from that host, until the window passes.
    expect(check.matches('alice', 'right', '10.0.0.9')).toBe(false);
    expect(check.matches('alice', 'right', '10.0.0.8')).toBe(true);
    now += 1000;
    expect(check.matches('alice', 'right', '10.0.0.9')).toBe(true);
    // Unknown users count as failures too.
    for (let i = 0; i < 3; i++) expect(check.matches('mallory', 'x', '10.0.0.7')).toBe(false);
    expect(check.matches('alice', 'right', '10.0.0.7')).toBe(false);
  });
});
