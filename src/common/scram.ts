// SCRAM's key derivation (RFC 5802 §3, RFC 7677), shared by what stores credentials (the controller,
// AlterUserScramCredentials) and what checks them (SASL SCRAM and PLAIN on the Kafka listener, HTTP Basic
// on the client API). The exchange itself lives with the listener that runs it.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ScramCredential, ScramMechanism } from './security.ts';

/** Kafka's bounds on iterations (ScramMechanism.minIterations / maxIterations). */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_MAX = 16384;

const HASHES: Readonly<
  Record<ScramMechanism, { readonly name: 'sha256' | 'sha512'; readonly bytes: number }>
> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

export function scramHashName(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return HASHES[mechanism].name;
}

/** Hi(password, salt, i) = PBKDF2 with the mechanism's HMAC. Costs milliseconds: callers cache. */
export function saltedPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Buffer {
  const hash = HASHES[mechanism];
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hash.bytes, hash.name);
}

export function scramHmac(mechanism: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(HASHES[mechanism].name, key).update(data).digest();
}

export function scramHash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(HASHES[mechanism].name).update(data).digest();
}

/** The credential a salted password gives (what AlterUserScramCredentials' upsertion carries). */
export function credentialFromSaltedPassword(
  mechanism: ScramMechanism,
  salt: Buffer,
  salted: Buffer,
  iterations: number,
): ScramCredential {
  const clientKey = scramHmac(mechanism, salted, 'Client Key');
  return {
    mechanism,
    salt,
    storedKey: scramHash(mechanism, clientKey),
    serverKey: scramHmac(mechanism, salted, 'Server Key'),
    iterations,
  };
}

/** A new credential for `password` with a random salt. */
export function credentialFromPassword(
  mechanism: ScramMechanism,
  password: string,
  iterations: number = SCRAM_ITERATIONS_MIN,
): ScramCredential {
  const salt = randomBytes(32);
  return credentialFromSaltedPassword(
    mechanism,
    salt,
    saltedPassword(mechanism, password, salt, iterations),
    iterations,
  );
}

/** Whether `password` is the one `credential` was made from (PLAIN and HTTP Basic), in constant time. */
export function passwordMatches(credential: ScramCredential, password: string): boolean {
  const derived = credentialFromSaltedPassword(
    credential.mechanism,
    credential.salt,
    saltedPassword(credential.mechanism, password, credential.salt, credential.iterations),
    credential.iterations,
  );
  return (
    derived.storedKey.length === credential.storedKey.length &&
    timingSafeEqual(derived.storedKey, credential.storedKey)
  );
}
