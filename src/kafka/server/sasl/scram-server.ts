// The server side of one SCRAM exchange (RFC 5802, RFC 7677: SCRAM-SHA-256 and SCRAM-SHA-512), as
// Kafka's ScramSaslServer runs it: client-first → server-first, client-final → server-final. Sans I/O:
// credentials, the server nonce and the unknown-user salt come from the caller. Channel binding is not
// offered (gs2 header `n,,` only). An unknown user gets a made-up salt and fails at the final message
// like a wrong password, so the exchange never tells whether a user exists.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SCRAM_ITERATIONS_MIN, scramHash, scramHmac } from '../../../common/scram.ts';
import type { ScramCredential, ScramMechanism } from '../../../common/security.ts';

/** A message that breaks the exchange: the caller answers SASL_AUTHENTICATION_FAILED and closes. */
export class ScramError extends Error {
  override readonly name = 'ScramError';
  /** RFC 5802's server-error value, sent as `e=<value>`. */
  readonly serverError: string;
  constructor(serverError: string, detail: string) {
    super(detail);
    this.serverError = serverError;
  }
}

export interface ScramServerOptions {
  readonly mechanism: ScramMechanism;
  /** The user's credential for this mechanism; undefined for an unknown user (or none for this mechanism). */
  readonly credential: (user: string) => ScramCredential | undefined;
  /** The server's part of the nonce: fresh and unpredictable per exchange (printable, no ','). */
  readonly serverNonce: string;
  /** A secret of this process, so an unknown user's fake salt is stable across attempts but unguessable. */
  readonly fakeSaltKey: Buffer;
}

/** The outcome of the client-final message. */
export interface ScramFinal {
  readonly user: string;
  readonly serverFinal: Buffer;
}

type Phase =
  | { readonly kind: 'first' }
  | {
      readonly kind: 'final';
      readonly user: string;
      readonly credential: ScramCredential | undefined;
      readonly nonce: string;
      readonly gs2Header: string;
      readonly clientFirstBare: string;
      readonly serverFirst: string;
    }
  | { readonly kind: 'done' };

/** saslname (RFC 5802 §5.1): ',' and '=' escaped as =2C and =3D; any other '=' is malformed. */
export function decodeSaslName(text: string): string | null {
  if (/=(?!2C|3D)/.test(text)) return null;
  return text.replaceAll('=2C', ',').replaceAll('=3D', '=');
}

/** A nonce: printable ASCII except ','. */
function isNonce(text: string): boolean {
  return text.length > 0 && /^[\x21-\x2b\x2d-\x7e]+$/.test(text);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export class ScramServerExchange {
  private readonly options: ScramServerOptions;
  private phase: Phase = { kind: 'first' };

  constructor(options: ScramServerOptions) {
    if (!isNonce(options.serverNonce))
      throw new Error('bug: a SCRAM server nonce must be printable, without ","');
    this.options = options;
  }

  /** Whether the next message is the client-first one (no message taken yet). */
  get expectsFirst(): boolean {
    return this.phase.kind === 'first';
  }

  /** client-first-message → server-first-message. Throws ScramError. */
  first(message: Buffer): Buffer {
    if (this.phase.kind !== 'first') throw new Error('bug: client-first after the exchange began');
    this.phase = { kind: 'done' };
    const text = message.toString('utf8');
    // gs2-header: "n," (no channel binding), then an optional authzid, then ",".
    const gs2 = /^n,(?:a=([^,]*))?,/.exec(text);
    if (gs2 === null) {
      if (/^[yp][,=]/.test(text))
        throw new ScramError('channel-bindings-not-supported', 'channel binding is not supported');
      throw new ScramError('other-error', 'the client-first message has no gs2 header "n,,"');
    }
    const clientFirstBare = text.slice(gs2[0].length);
    const fields = clientFirstBare.split(',');
    const userField = fields[0];
    const nonceField = fields[1];
    if (
      userField === undefined ||
      !userField.startsWith('n=') ||
      nonceField === undefined ||
      !nonceField.startsWith('r=')
    )
      throw new ScramError('other-error', 'the client-first message is not n=<user>,r=<nonce>');
    // Extensions (Kafka's tokenauth=true for delegation tokens) are not served.
    if (fields.slice(2).some((field) => field.startsWith('tokenauth=')))
      throw new ScramError('extensions-not-supported', 'delegation tokens are not supported');
    const user = decodeSaslName(userField.slice(2));
    if (user === null || user === '')
      throw new ScramError('invalid-username-encoding', 'the user name is not a saslname');
    const authzid = gs2[1];
    if (authzid !== undefined && authzid !== '' && decodeSaslName(authzid) !== user)
      throw new ScramError('invalid-username-encoding', 'the authorization id is not the user name');
    const clientNonce = nonceField.slice(2);
    if (!isNonce(clientNonce)) throw new ScramError('other-error', 'the client nonce is not printable');
    const credential = this.options.credential(user);
    const salt = credential?.salt ?? this.fakeSalt(user);
    const iterations = credential?.iterations ?? SCRAM_ITERATIONS_MIN;
    const nonce = clientNonce + this.options.serverNonce;
    const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.phase = {
      kind: 'final',
      user,
      credential,
      nonce,
      gs2Header: gs2[0],
      clientFirstBare,
      serverFirst,
    };
    return Buffer.from(serverFirst, 'utf8');
  }

  /** client-final-message → server-final-message (`v=<signature>`). Throws ScramError on any mismatch. */
  final(message: Buffer): ScramFinal {
    const phase = this.phase;
    if (phase.kind !== 'final') throw new Error('bug: client-final before client-first');
    this.phase = { kind: 'done' };
    const text = message.toString('utf8');
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('other-error', 'the client-final message has no proof');
    const withoutProof = text.slice(0, proofAt);
    const fields = withoutProof.split(',');
    if (fields[0] !== `c=${Buffer.from(phase.gs2Header, 'utf8').toString('base64')}`)
      throw new ScramError('channel-bindings-dont-match', 'the channel binding is not the gs2 header sent');
    // Kafka's ScramSaslServer checks that the nonce ends with this exchange's (client + server) nonce,
    // not equality: librdkafka (2.0 at least) sends its client nonce twice. The server's random part is
    // still required, so a final message of another exchange never passes.
    const finalNonce = fields[1];
    if (finalNonce === undefined || !finalNonce.startsWith('r=') || !finalNonce.endsWith(phase.nonce))
      throw new ScramError('other-error', 'the nonce is not the one of this exchange');
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const mechanism = this.options.mechanism;
    const credential = phase.credential;
    const authMessage = `${phase.clientFirstBare},${phase.serverFirst},${withoutProof}`;
    // Computed for an unknown user too (against a zero key), so both fail alike.
    const storedKey = credential?.storedKey ?? Buffer.alloc(scramHash(mechanism, Buffer.alloc(0)).length);
    const clientSignature = scramHmac(mechanism, storedKey, authMessage);
    const valid =
      credential !== undefined &&
      proof.length === clientSignature.length &&
      timingSafeEqual(scramHash(mechanism, xor(proof, clientSignature)), storedKey);
    if (!valid) throw new ScramError('invalid-proof', 'the client proof does not match');
    const serverSignature = scramHmac(mechanism, credential.serverKey, authMessage);
    return { user: phase.user, serverFinal: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8') };
  }

  private fakeSalt(user: string): Buffer {
    return createHmac('sha256', this.options.fakeSaltKey).update(user, 'utf8').digest();
  }
}
