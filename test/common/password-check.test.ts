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
    expect(check.matches('alice', 'pw-a')).toBe(true);
    expect(check.matches('bob', 'pw-b')).toBe(true);
    expect(check.matches('alice', 'pw-b')).toBe(false);
    expect(check.matches('carol', 'pw-a')).toBe(false);
    expect(check.matches('alice', '')).toBe(false);
  });

  it('caches a success until it expires, the credential changes or is deleted; failures are not cached', () => {
    const { users, check, advance } = setup();
    users.set('alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'old')]]));
    expect(check.matches('alice', 'wrong')).toBe(false);
    expect(check.cachedEntries).toBe(0);
    expect(check.matches('alice', 'old')).toBe(true);
    expect(check.cachedEntries).toBe(1);
    expect(check.matches('alice', 'old')).toBe(true);
    // A new password (kafka-configs --alter): the cached success no longer counts.
    users.set('alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'new')]]));
    expect(check.matches('alice', 'old')).toBe(false);
    expect(check.matches('alice', 'new')).toBe(true);
    users.delete('alice');
    expect(check.matches('alice', 'new')).toBe(false);
    users.set('alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'new')]]));
    expect(check.matches('alice', 'new')).toBe(true);
    advance(1001);
    // Expired: checked again (and still right).
    expect(check.matches('alice', 'new')).toBe(true);
  });

  it('keeps at most cacheEntriesMax successes', () => {
    const { users, check } = setup();
    for (const name of ['a', 'b', 'c'])
      users.set(name, new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', `pw-${name}`)]]));
    for (const name of ['a', 'b', 'c']) expect(check.matches(name, `pw-${name}`)).toBe(true);
    expect(check.cachedEntries).toBe(2);
  });
});
