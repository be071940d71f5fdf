// Checks a user's password against the SCRAM credentials of the metadata image (KIP-554): what SASL PLAIN
// on the Kafka listener and HTTP Basic on the client API do, since both carry the password itself. A
// check derives the salted password (PBKDF2, thousands of iterations: milliseconds), so successes are
// cached for a while, keyed by a hash of (user, password) — never the password — and each entry
// remembers the credential it was checked against: a changed or deleted credential misses the cache.
// Failures are what an attacker can make cost: a client host that failed `failuresPerHostMax` checks in
// the last `failureWindowMs` is refused without a derivation until that window has passed, so guessing
// passwords (or making a node burn CPU with them) is bounded per host, on SASL PLAIN and HTTP Basic alike.
import { createHash, randomBytes } from 'node:crypto';
import { credentialFromPassword, passwordMatches } from './scram.ts';
import type { ScramCredential, ScramMechanism } from './security.ts';

/** The credentials of a user, by mechanism, as the image holds them; undefined for an unknown user. */
export type CredentialLookup = (user: string) => ReadonlyMap<ScramMechanism, ScramCredential> | undefined;

export interface PasswordCheckOptions {
  readonly credentials: CredentialLookup;
  /** Monotonic ms. */
  readonly now: () => number;
  /** How long a success is remembered; default 60 s. */
  readonly cacheTtlMs?: number;
  /** Successes remembered at most (the oldest go first); default 1024. */
  readonly cacheEntriesMax?: number;
  /** Failed checks a client host may make per window before it is refused unchecked; default 20. */
  readonly failuresPerHostMax?: number;
  /** The window of failuresPerHostMax; default 10 s. */
  readonly failureWindowMs?: number;
}

/** Hosts whose failures are tracked at most (the oldest window goes first). */
const FAILING_HOSTS_MAX = 4096;

interface HostFailures {
  windowStart: number;
  count: number;
}

/** Checked in this order: the first mechanism the user has a credential for decides. */
const MECHANISM_ORDER: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

interface CachedSuccess {
  readonly credential: ScramCredential;
  readonly expiresAt: number;
}

export class PasswordCheck {
  private readonly options: PasswordCheckOptions;
  private readonly ttlMs: number;
  private readonly entriesMax: number;
  private readonly cache = new Map<string, CachedSuccess>();
  private readonly failures = new Map<string, HostFailures>();
  private readonly failuresMax: number;
  private readonly failureWindowMs: number;
  /** Per-process: the cache keys cannot be matched against precomputed hashes. */
  private readonly pepper = randomBytes(16);
  /** Checked when the user is unknown, so an unknown user costs what a wrong password costs. */
  private readonly decoy: ScramCredential;

  constructor(options: PasswordCheckOptions) {
    this.options = options;
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.entriesMax = options.cacheEntriesMax ?? 1024;
    this.failuresMax = options.failuresPerHostMax ?? 20;
    this.failureWindowMs = options.failureWindowMs ?? 10_000;
    if (this.ttlMs < 0 || this.entriesMax < 0 || this.failuresMax < 1 || this.failureWindowMs < 0)
      throw new Error('bug: bad password check bounds');
    this.decoy = credentialFromPassword('SCRAM-SHA-256', randomBytes(16).toString('hex'));
  }

  /**
   * Whether `password` is `user`'s (for any mechanism it has a credential for). `clientHost` is who asks:
   * a host over its failures is answered false without a check until its window has passed.
   */
  matches(user: string, password: string, clientHost: string): boolean {
    const credential = this.credentialOf(user);
    const key = this.cacheKey(user, password);
    const cached = this.cache.get(key);
    const now = this.options.now();
    // Before the cache: a guess that hits it (a right password) must not pass the bound either.
    if (this.overFailures(clientHost, now)) return false;
    if (cached !== undefined) {
      if (cached.expiresAt > now && credential !== undefined && sameCredential(cached.credential, credential))
        return true;
      this.cache.delete(key);
    }
    if (credential === undefined) {
      passwordMatches(this.decoy, password);
      this.failed(clientHost, now);
      return false;
    }
    if (!passwordMatches(credential, password)) {
      this.failed(clientHost, now);
      return false;
    }
    if (this.entriesMax > 0 && this.ttlMs > 0) {
      if (this.cache.size >= this.entriesMax) {
        const oldest = this.cache.keys().next();
        if (oldest.done !== true) this.cache.delete(oldest.value);
      }
      this.cache.set(key, { credential, expiresAt: now + this.ttlMs });
    }
    return true;
  }

  /** Successes remembered now (tests). */
  get cachedEntries(): number {
    return this.cache.size;
  }

  private overFailures(host: string, now: number): boolean {
    const failures = this.failures.get(host);
    if (failures === undefined) return false;
    if (now - failures.windowStart >= this.failureWindowMs) {
      this.failures.delete(host);
      return false;
    }
    return failures.count >= this.failuresMax;
  }

  private failed(host: string, now: number): void {
    const failures = this.failures.get(host);
    if (failures !== undefined) {
      failures.count += 1;
      return;
    }
    if (this.failures.size >= FAILING_HOSTS_MAX) {
      const oldest = this.failures.keys().next();
      if (oldest.done !== true) this.failures.delete(oldest.value);
    }
    this.failures.set(host, { windowStart: now, count: 1 });
  }

  private credentialOf(user: string): ScramCredential | undefined {
    const byMechanism = this.options.credentials(user);
    if (byMechanism === undefined) return undefined;
    for (const mechanism of MECHANISM_ORDER) {
      const credential = byMechanism.get(mechanism);
      if (credential !== undefined) return credential;
    }
    return undefined;
  }

  private cacheKey(user: string, password: string): string {
    return createHash('sha256')
      .update(this.pepper)
      .update(user, 'utf8')
      .update('\0')
      .update(password, 'utf8')
      .digest('base64');
  }
}

function sameCredential(a: ScramCredential, b: ScramCredential): boolean {
  return (
    a === b ||
    (a.mechanism === b.mechanism &&
      a.iterations === b.iterations &&
      a.salt.equals(b.salt) &&
      a.storedKey.equals(b.storedKey))
  );
}
