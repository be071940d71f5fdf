import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodePreface,
  PREFACE_BYTES_MAX,
  PREFACE_SKEW_MS,
  PrefaceVerifier,
  splitPreface,
} from '../../../raft/transport/peer-preface.ts';

const SECRET = Buffer.from('a shared secret of the cluster');
const NOW = 1_800_000_000_000;

function line(
  fields: Partial<{ clusterId: string; nodeId: number; unixMs: number; nonce: string }>,
  secret: Uint8Array | null,
) {
  const text = encodePreface(
    {
      clusterId: fields.clusterId ?? 'cluster-a',
      nodeId: fields.nodeId ?? 2,
      unixMs: fields.unixMs ?? NOW,
      nonce: fields.nonce ?? randomBytes(16).toString('hex'),
    },
    secret,
  );
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1);
}

describe('the peer preface', () => {
  it('is accepted as written, with or without a secret (property)', () => {
    const seed = Date.now();
    console.log(`fast-check seed ${seed}`);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/),
        fc.integer({ min: 1, max: 0x7fff_ffff }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.boolean(),
        (clusterId, nodeId, nonceBytes, withSecret) => {
          const secret = withSecret ? SECRET : null;
          const verifier = new PrefaceVerifier({ clusterId, secret });
          const text = line({ clusterId, nodeId, nonce: Buffer.from(nonceBytes).toString('hex') }, secret);
          expect(Buffer.byteLength(text) + 1).toBeLessThanOrEqual(PREFACE_BYTES_MAX);
          expect(verifier.verify(text, NOW)).toEqual({ ok: true, nodeId });
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it('refuses another cluster, a missing or wrong proof, a skewed clock and a replay', () => {
    const verifier = new PrefaceVerifier({ clusterId: 'cluster-a', secret: SECRET });
    const refused = (text: string, nowMs = NOW) => {
      const verdict = verifier.verify(text, nowMs);
      expect(verdict.ok).toBe(false);
      return verdict.ok ? '' : verdict.reason;
    };
    expect(refused(line({ clusterId: 'cluster-b' }, SECRET))).toContain('another cluster');
    expect(refused(line({}, null))).toContain('no proof');
    expect(refused(line({}, Buffer.from('another secret entirely!')))).toContain('wrong proof');
    expect(refused(line({ unixMs: NOW - PREFACE_SKEW_MS - 1 }, SECRET))).toContain('clock');
    expect(refused(line({ unixMs: NOW + PREFACE_SKEW_MS + 1 }, SECRET))).toContain('clock');
    const once = line({}, SECRET);
    expect(verifier.verify(once, NOW).ok).toBe(true);
    expect(refused(once, NOW + 1000)).toContain('replayed');
    // A tampered field breaks the proof.
    expect(refused(once.replace(' 2 ', ' 3 '))).toContain('wrong proof');
    expect(refused('GET / HTTP/1.1')).toContain('not a peer preface');
    expect(refused('PRI * HTTP/2.0')).toContain('not a peer preface');
    expect(refused(line({}, SECRET).replace(/ [0-9a-f]{32} /, ' zz '))).toContain('malformed');
  });

  it('forgets nonces after twice the skew, and refuses new ones beyond its bound', () => {
    const verifier = new PrefaceVerifier({ clusterId: 'c', secret: SECRET, noncesMax: 2 });
    const nonce = randomBytes(16).toString('hex');
    expect(verifier.verify(line({ clusterId: 'c', nonce }, SECRET), NOW).ok).toBe(true);
    expect(verifier.verify(line({ clusterId: 'c' }, SECRET), NOW).ok).toBe(true);
    expect(verifier.verify(line({ clusterId: 'c' }, SECRET), NOW)).toEqual({
      ok: false,
      reason: 'too many recent connections',
    });
    const later = NOW + 2 * PREFACE_SKEW_MS + 1;
    // Replayed after the window: refused by the clock, no longer by the cache.
    expect(verifier.verify(line({ clusterId: 'c', nonce }, SECRET), NOW).ok).toBe(false);
    expect(verifier.verify(line({ clusterId: 'c', nonce, unixMs: later }, SECRET), later).ok).toBe(true);
  });

  it('without a secret checks only the cluster (TLS authenticated the peer)', () => {
    const verifier = new PrefaceVerifier({ clusterId: 'c', secret: null });
    const text = line({ clusterId: 'c', unixMs: 0 }, null);
    expect(verifier.verify(text, NOW).ok).toBe(true);
    expect(verifier.verify(text, NOW).ok).toBe(true);
    expect(verifier.verify(line({ clusterId: 'd' }, null), NOW).ok).toBe(false);
  });

  it('is split from the bytes that follow it, bounded in length', () => {
    const text = `${line({}, null)}\n`;
    const head = Buffer.concat([Buffer.from(text), Buffer.from('PRI * HTTP/2.0')]);
    const split = splitPreface(head);
    expect(split.kind).toBe('complete');
    if (split.kind === 'complete') {
      expect(split.line).toBe(text.slice(0, -1));
      expect(split.rest.toString()).toBe('PRI * HTTP/2.0');
    }
    expect(splitPreface(Buffer.from(text.slice(0, 20))).kind).toBe('incomplete');
    expect(splitPreface(Buffer.alloc(PREFACE_BYTES_MAX, 0x41)).kind).toBe('too-long');
    expect(splitPreface(Buffer.from(`${'A'.repeat(PREFACE_BYTES_MAX)}\n`)).kind).toBe('too-long');
  });
});
