// Checks a user's password against the SCRAM credentials of the metadata image (KIP-554): what SASL PLAIN
// on the Kafka listener and HTTP Basic on the client API do, since both carry the password itself. A
// check derives the salted password (PBKDF2, thousands of iterations: milliseconds), so successes are
// cached for a while, keyed by a hash of (user, password) — never the password — and each entry
// remembers the credential it was checked against: a changed or deleted credential misses the cache.
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
  /** Per-process: the cache keys cannot be matched against precomputed hashes. */
  private readonly pepper = randomBytes(16);
  /** Checked when the user is unknown, so an unknown user costs what a wrong password costs. */
  private readonly decoy: ScramCredential;

  constructor(options: PasswordCheckOptions) {
    this.options = options;
    this.ttlMs = options.cacheTtlMs ?? 60_000;
    this.entriesMax = options.cacheEntriesMax ?? 1024;
    if (this.ttlMs < 0 || this.entriesMax < 0) throw new Error('bug: negative password cache bounds');
    this.decoy = credentialFromPassword('SCRAM-SHA-256', randomBytes(16).toString('hex'));
  }

  /** Whether `password` is `user`'s (for any mechanism it has a credential for). */
  matches(user: string, password: string): boolean {
    const credential = this.credentialOf(user);
    const key = this.cacheKey(user, password);
    const cached = this.cache.get(key);
    const now = this.options.now();
    if (cached !== undefined) {
      if (cached.expiresAt > now && credential !== undefined && sameCredential(cached.credential, credential))
        return true;
      this.cache.delete(key);
    }
    if (credential === undefined) {
      passwordMatches(this.decoy, password);
      return false;
    }
    if (!passwordMatches(credential, password)) return false;
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
