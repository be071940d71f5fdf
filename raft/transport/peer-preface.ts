// The peer preface: one line a node writes first on every connection to another node's internal
// listener (inside TLS when the listener is SSL), before any HTTP/2 byte, so that the acceptor knows the
// dialer is a node of *this* cluster before it parses anything else:
//
//   KRAFTLING-PEER/1 <cluster-id> <node-id> <unix-ms> <nonce> <mac>\n
//
// mac = hex HMAC-SHA256(internal.auth.secret, everything before " <mac>"), or "-" without a secret (then
// TLS with client certificates authenticates the peer and the line only names its cluster). With a secret
// the acceptor also refuses a clock more than ±5 min off and a nonce it has seen, so a captured line
// cannot be replayed. Pure: the clock and the nonces come from the caller.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const PREFACE_MAGIC = 'KRAFTLING-PEER/1';
/** A longer first line is not a preface (cluster ids are at most 64 characters). */
export const PREFACE_BYTES_MAX = 256;
/** Kerberos' default: enough for unsynchronised laptops, short enough that replays need the cache only so long. */
export const PREFACE_SKEW_MS = 5 * 60_000;
const NONCE = /^[0-9a-f]{32}$/;
const MAC = /^[0-9a-f]{64}$/;
const CLUSTER_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PrefaceFields {
  readonly clusterId: string;
  readonly nodeId: number;
  readonly unixMs: number;
  /** 16 random bytes, hex. */
  readonly nonce: string;
}

function mac(secret: Uint8Array, signed: string): string {
  return createHmac('sha256', secret).update(signed).digest('hex');
}

/** The preface line, newline included. */
export function encodePreface(fields: PrefaceFields, secret: Uint8Array | null): string {
  if (!CLUSTER_ID.test(fields.clusterId))
    throw new Error(`bug: cluster id '${fields.clusterId}' in a preface`);
  if (!NONCE.test(fields.nonce)) throw new Error('bug: a preface nonce is 16 bytes in hex');
  const signed = `${PREFACE_MAGIC} ${fields.clusterId} ${fields.nodeId} ${Math.trunc(fields.unixMs)} ${fields.nonce}`;
  return `${signed} ${secret === null ? '-' : mac(secret, signed)}\n`;
}

export type PrefaceSplit =
  | { readonly kind: 'complete'; readonly line: string; readonly rest: Buffer }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'too-long' };

/** The first line of `head` (without its newline) and the bytes after it. */
export function splitPreface(head: Buffer): PrefaceSplit {
  const end = head.indexOf(0x0a);
  if (end === -1) return head.length >= PREFACE_BYTES_MAX ? { kind: 'too-long' } : { kind: 'incomplete' };
  if (end >= PREFACE_BYTES_MAX) return { kind: 'too-long' };
  return { kind: 'complete', line: head.subarray(0, end).toString('latin1'), rest: head.subarray(end + 1) };
}

export type PrefaceVerdict =
  | { readonly ok: true; readonly nodeId: number }
  | { readonly ok: false; readonly reason: string };

export interface PrefaceVerifierOptions {
  readonly clusterId: string;
  /** null: the line names the cluster only (TLS authenticated the peer). */
  readonly secret: Uint8Array | null;
  readonly skewMs?: number;
  /** Nonces remembered at most (each for twice the skew); beyond it new connections are refused. */
  readonly noncesMax?: number;
}

/** The acceptor's check of a preface line; remembers the nonces it accepted (one owner: its listener). */
export class PrefaceVerifier {
  readonly #clusterId: string;
  readonly #secret: Uint8Array | null;
  readonly #skewMs: number;
  readonly #noncesMax: number;
  /** nonce -> when it may be forgotten; insertion order is expiry order (the window is fixed). */
  readonly #nonces = new Map<string, number>();

  constructor(options: PrefaceVerifierOptions) {
    this.#clusterId = options.clusterId;
    this.#secret = options.secret;
    this.#skewMs = options.skewMs ?? PREFACE_SKEW_MS;
    this.#noncesMax = options.noncesMax ?? 100_000;
  }

  verify(line: string, nowMs: number): PrefaceVerdict {
    const parts = line.split(' ');
    if (parts.length !== 6 || parts[0] !== PREFACE_MAGIC)
      return { ok: false, reason: 'not a peer preface (is this a node of this cluster, of this version?)' };
    const [, clusterId, nodeText, msText, nonce, givenMac] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (clusterId !== this.#clusterId)
      return { ok: false, reason: `a node of another cluster (${clusterId.slice(0, 64)})` };
    if (!/^[1-9][0-9]{0,9}$/.test(nodeText) || Number(nodeText) > 0x7fff_ffff)
      return { ok: false, reason: 'a malformed node id' };
    if (!/^[0-9]{1,16}$/.test(msText) || !NONCE.test(nonce))
      return { ok: false, reason: 'a malformed preface' };
    if (this.#secret === null) return { ok: true, nodeId: Number(nodeText) };
    if (!MAC.test(givenMac)) return { ok: false, reason: 'no proof of the internal secret' };
    const signed = line.slice(0, line.length - givenMac.length - 1);
    const expected = Buffer.from(mac(this.#secret, signed), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(givenMac, 'hex')))
      return { ok: false, reason: 'a wrong proof of the internal secret' };
    const sentMs = Number(msText);
    if (Math.abs(nowMs - sentMs) > this.#skewMs)
      return {
        ok: false,
        reason: `a clock ${Math.round((sentMs - nowMs) / 1000)} s off (more than ±${this.#skewMs / 1000} s)`,
      };
    this.#forgetExpired(nowMs);
    if (this.#nonces.has(nonce)) return { ok: false, reason: 'a replayed preface' };
    if (this.#nonces.size >= this.#noncesMax) return { ok: false, reason: 'too many recent connections' };
    this.#nonces.set(nonce, nowMs + 2 * this.#skewMs);
    return { ok: true, nodeId: Number(nodeText) };
  }

  #forgetExpired(nowMs: number): void {
    for (const [nonce, expiresMs] of this.#nonces) {
      if (expiresMs > nowMs) return;
      this.#nonces.delete(nonce);
    }
  }
}
