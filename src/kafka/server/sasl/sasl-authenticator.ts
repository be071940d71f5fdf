// One connection's SASL authentication on a SASL_PLAINTEXT / SASL_SSL Kafka listener, as Kafka's
// SaslServerAuthenticator runs it: ApiVersions and SaslHandshake (v1) choose a mechanism, SaslAuthenticate
// carries its messages (PLAIN: one; SCRAM: two), and until it succeeds nothing else is served. KIP-368:
// with connections.max.reauth.ms the session expires; the client re-authenticates on the same connection
// (same mechanism, same principal) or the connection closes at its next request. Sans I/O and
// synchronous (a PLAIN check derives a key in place), so that each frame sees the state the frames before
// it left, in the order they came.
import { randomBytes } from 'node:crypto';
import type { CredentialLookup, PasswordCheck } from '../../../common/password-check.ts';
import type { AuthenticationMethod, Principal, ScramMechanism, Session } from '../../../common/security.ts';
import { anonymousSession, principalText } from '../../../common/security.ts';
import { parsePlainMessage } from './plain-server.ts';
import { ScramError, ScramServerExchange } from './scram-server.ts';

/** The mechanisms served (Kafka's GSSAPI and OAUTHBEARER are not). */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export function isSaslMechanism(name: string): name is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(name);
}

export const SASL_HANDSHAKE_KEY = 17;
export const SASL_AUTHENTICATE_KEY = 36;
const API_VERSIONS_KEY = 18;

/** Kafka's error codes of the exchange. */
const NONE = 0;
const UNSUPPORTED_SASL_MECHANISM = 33;
const ILLEGAL_SASL_STATE = 34;
const SASL_AUTHENTICATION_FAILED = 58;

/** What every connection of one listener shares. */
export interface SaslListenerSettings {
  /** sasl.enabled.mechanisms, in the order configured. */
  readonly mechanisms: readonly SaslMechanism[];
  readonly credentials: CredentialLookup;
  /** PLAIN's check (cached; shared with nothing else on this listener). */
  readonly passwords: PasswordCheck;
  /** connections.max.reauth.ms: 0 = sessions do not expire. */
  readonly reauthMs: number;
  /** Monotonic ms. */
  readonly now: () => number;
  /** A fresh SCRAM server nonce per exchange; default 24 random bytes in base64. */
  readonly serverNonce?: () => string;
  /** Keys the made-up salts of unknown users; default random per process. */
  readonly fakeSaltKey?: Buffer;
}

export interface HandshakeAnswer {
  readonly errorCode: number;
  readonly mechanisms: string[];
  /** Why the connection closes once the answer is sent; null when it stays open. */
  readonly close: string | null;
}

export interface AuthenticateAnswer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly authBytes: Buffer;
  /** KIP-368: ms until the session expires; 0 when it does not. */
  readonly sessionLifetimeMs: bigint;
  readonly close: string | null;
}

type State =
  | { readonly kind: 'handshake' }
  | {
      readonly kind: 'authenticate';
      readonly mechanism: SaslMechanism;
      exchange: ScramServerExchange | null;
      /** The principal re-authenticating (KIP-368), null on the first authentication. */
      readonly reauthenticating: Principal | null;
      /**
       * SaslHandshake v0's form (KIP-43, before SaslAuthenticate): the mechanism's messages come as raw
       * size-prefixed tokens, without a request header, and go back the same way.
       */
      readonly rawTokens: boolean;
    }
  | { readonly kind: 'authenticated'; readonly mechanism: SaslMechanism; readonly expiresAt: number | null }
  | { readonly kind: 'failed' };

const METHODS: Readonly<Record<SaslMechanism, AuthenticationMethod>> = {
  PLAIN: 'sasl-plain',
  'SCRAM-SHA-256': 'sasl-scram-sha-256',
  'SCRAM-SHA-512': 'sasl-scram-sha-512',
};

function defaultNonce(): string {
  return randomBytes(24).toString('base64');
}

const PROCESS_FAKE_SALT_KEY = randomBytes(32);

/** Kafka's message for wrong credentials: the same whether the user exists or not. */
export function invalidCredentialsMessage(mechanism: SaslMechanism): string {
  return `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
}

export class SaslAuthenticator {
  private readonly settings: SaslListenerSettings;
  private readonly clientHost: string;
  private state: State = { kind: 'handshake' };
  private current: Session;

  constructor(settings: SaslListenerSettings, clientHost: string) {
    if (settings.mechanisms.length === 0) throw new Error('bug: a SASL listener without mechanisms');
    this.settings = settings;
    this.clientHost = clientHost;
    this.current = anonymousSession(clientHost);
  }

  /** Who the connection is: anonymous until the first authentication succeeds. */
  get session(): Session {
    return this.current;
  }

  /** Whether the connection authenticated (and did not fail since). */
  get authenticated(): boolean {
    return (
      this.state.kind === 'authenticated' ||
      (this.state.kind === 'authenticate' && this.state.reauthenticating !== null)
    );
  }

  /** Whether the next frame is a raw SASL token (after SaslHandshake v0) rather than a request. */
  get expectsRawToken(): boolean {
    return this.state.kind === 'authenticate' && this.state.rawTokens;
  }

  /**
   * Whether a request of `apiKey` may be served now: null if so, else why the connection closes without
   * an answer (Kafka's IllegalSaslStateException for a request before authentication).
   */
  refusal(apiKey: number): string | null {
    const state = this.state;
    switch (state.kind) {
      case 'failed':
        return 'SASL authentication failed on this connection';
      case 'handshake':
      case 'authenticate':
        if (apiKey === API_VERSIONS_KEY || apiKey === SASL_HANDSHAKE_KEY || apiKey === SASL_AUTHENTICATE_KEY)
          return null;
        return state.kind === 'authenticate' && state.reauthenticating !== null
          ? `API key ${apiKey} during SASL re-authentication`
          : `API key ${apiKey} before SASL authentication`;
      case 'authenticated':
        if (
          state.expiresAt !== null &&
          this.settings.now() >= state.expiresAt &&
          apiKey !== SASL_HANDSHAKE_KEY
        )
          return 'the SASL session expired (connections.max.reauth.ms) without re-authentication';
        return null;
    }
  }

  /** SaslHandshake at `version` (0: raw tokens follow; 1: SaslAuthenticate requests follow). */
  handshake(mechanism: string, version: number): HandshakeAnswer {
    const rawTokens = version === 0;
    const enabled = [...this.settings.mechanisms];
    const state = this.state;
    switch (state.kind) {
      case 'handshake':
        if (!isSaslMechanism(mechanism) || !enabled.includes(mechanism)) {
          this.state = { kind: 'failed' };
          return {
            errorCode: UNSUPPORTED_SASL_MECHANISM,
            mechanisms: enabled,
            close: `unsupported SASL mechanism '${mechanism}' (enabled: ${enabled.join(', ')})`,
          };
        }
        this.state = { kind: 'authenticate', mechanism, exchange: null, reauthenticating: null, rawTokens };
        return { errorCode: NONE, mechanisms: enabled, close: null };
      case 'authenticated':
        // Without connections.max.reauth.ms Kafka's KafkaApis answers a late handshake so, and goes on.
        if (this.settings.reauthMs === 0)
          return { errorCode: ILLEGAL_SASL_STATE, mechanisms: enabled, close: null };
        if (mechanism !== state.mechanism) {
          this.state = { kind: 'failed' };
          return {
            errorCode: UNSUPPORTED_SASL_MECHANISM,
            mechanisms: [state.mechanism],
            close: `re-authentication with ${mechanism}, not ${state.mechanism}`,
          };
        }
        this.state = {
          kind: 'authenticate',
          mechanism,
          exchange: null,
          reauthenticating: this.current.principal,
          rawTokens,
        };
        return { errorCode: NONE, mechanisms: enabled, close: null };
      case 'authenticate':
        this.state = { kind: 'failed' };
        return { errorCode: ILLEGAL_SASL_STATE, mechanisms: enabled, close: 'a second SaslHandshake' };
      case 'failed':
        return { errorCode: ILLEGAL_SASL_STATE, mechanisms: enabled, close: 'SASL authentication failed' };
    }
  }

  authenticate(authBytes: Buffer): AuthenticateAnswer {
    const state = this.state;
    if (state.kind === 'authenticated')
      return this.refused(
        ILLEGAL_SASL_STATE,
        'SaslAuthenticate request received after successful authentication',
        null,
      );
    if (state.kind !== 'authenticate') {
      this.state = { kind: 'failed' };
      return this.refused(
        ILLEGAL_SASL_STATE,
        'Unexpected SaslAuthenticate request: a SaslHandshake must choose a mechanism first',
        'SaslAuthenticate before SaslHandshake',
      );
    }
    const mechanism = state.mechanism;
    let user: string;
    let serverBytes: Buffer;
    try {
      if (mechanism === 'PLAIN') {
        const parsed = parsePlainMessage(authBytes);
        if (typeof parsed === 'string')
          return this.failed(`Authentication failed: ${parsed}`, Buffer.alloc(0));
        if (!this.settings.passwords.matches(parsed.user, parsed.password, this.clientHost))
          return this.failed(invalidCredentialsMessage(mechanism), Buffer.alloc(0));
        user = parsed.user;
        serverBytes = Buffer.alloc(0);
      } else if (state.exchange === null) {
        const exchange = this.scramExchange(mechanism);
        state.exchange = exchange;
        return this.answered(exchange.first(authBytes));
      } else {
        const final = state.exchange.final(authBytes);
        user = final.user;
        serverBytes = final.serverFinal;
      }
    } catch (error) {
      if (!(error instanceof ScramError)) throw error;
      const message =
        error.serverError === 'invalid-proof'
          ? invalidCredentialsMessage(mechanism)
          : `Authentication failed: ${error.message} (SASL mechanism ${mechanism})`;
      return this.failed(message, Buffer.from(`e=${error.serverError}`, 'utf8'));
    }
    const principal: Principal = { type: 'User', name: user };
    if (state.reauthenticating !== null && principalText(state.reauthenticating) !== principalText(principal))
      return this.failed('Cannot change principals during re-authentication', Buffer.alloc(0));
    const reauthMs = this.settings.reauthMs;
    this.state = {
      kind: 'authenticated',
      mechanism,
      expiresAt: reauthMs > 0 ? this.settings.now() + reauthMs : null,
    };
    this.current = { principal, clientHost: this.clientHost, method: METHODS[mechanism] };
    return {
      errorCode: NONE,
      errorMessage: null,
      authBytes: serverBytes,
      sessionLifetimeMs: BigInt(reauthMs),
      close: null,
    };
  }

  private scramExchange(mechanism: ScramMechanism): ScramServerExchange {
    const credentials = this.settings.credentials;
    return new ScramServerExchange({
      mechanism,
      credential: (user) => credentials(user)?.get(mechanism),
      serverNonce: (this.settings.serverNonce ?? defaultNonce)(),
      fakeSaltKey: this.settings.fakeSaltKey ?? PROCESS_FAKE_SALT_KEY,
    });
  }

  private answered(authBytes: Buffer): AuthenticateAnswer {
    return { errorCode: NONE, errorMessage: null, authBytes, sessionLifetimeMs: 0n, close: null };
  }

  /** Authentication failed: answered with SASL_AUTHENTICATION_FAILED, then the connection closes. */
  private failed(message: string, authBytes: Buffer): AuthenticateAnswer {
    this.state = { kind: 'failed' };
    return {
      errorCode: SASL_AUTHENTICATION_FAILED,
      errorMessage: message,
      authBytes,
      sessionLifetimeMs: 0n,
      close: message,
    };
  }

  private refused(errorCode: number, message: string, close: string | null): AuthenticateAnswer {
    return { errorCode, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n, close };
  }
}
