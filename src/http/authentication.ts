// Who sent a client API request (the `request.session` every route and the authorizer see), by the
// CLIENT listener's security protocol: PLAINTEXT — anonymous; SSL — the verified client certificate's
// principal (ssl.principal.mapping.rules), else anonymous; SASL_PLAINTEXT / SASL_SSL — HTTP Basic
// (RFC 7617) with a user's SCRAM password, as SASL PLAIN checks it (a verified client certificate
// counts instead on SASL_SSL), else 401 / 40101 with a Basic challenge, so a browser prompts. The
// launcher's readiness probe (GET /ready) stays open.
import { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PasswordCheck } from '../common/password-check.ts';
import { type PrincipalMappingRule, tlsClientPrincipal } from '../common/principal-mapping.ts';
import { anonymousSession, type Session } from '../common/security.ts';
import { HttpError } from './errors.ts';

/** Kafka's SecurityProtocol of the CLIENT listener (listener.security.protocol.map). */
export type ClientSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export interface ClientAuthentication {
  readonly securityProtocol: ClientSecurityProtocol;
  /** Checks HTTP Basic passwords against the users' SCRAM credentials (cached). */
  readonly passwords: PasswordCheck;
  readonly principalMappingRules: readonly PrincipalMappingRule[];
}

/** The challenge of a 401: the console in a browser asks for a user and password. */
export const BASIC_CHALLENGE = 'Basic realm="kraftling", charset="UTF-8"';

/** Paths served without credentials: the launcher's readiness probe. */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/ready']);

/** `Basic base64(user:password)` → user and password; null when the header is not that. */
export function parseBasicAuthorization(
  header: string | undefined,
): { user: string; password: string } | null {
  if (header === undefined) return null;
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (match === null) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  // RFC 7617: the user name has no ':'; the password may.
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function certificateSession(request: FastifyRequest, rules: readonly PrincipalMappingRule[]): Session | null {
  // HTTP/1.1: the TLS socket itself; HTTP/2: fastify's raw request proxies the session's socket.
  const socket: unknown = request.raw.socket;
  if (!(socket instanceof TLSSocket) && (socket as { encrypted?: unknown } | null)?.encrypted !== true)
    return null;
  const principal = tlsClientPrincipal(socket as TLSSocket, rules);
  return principal === null ? null : { principal, clientHost: request.ip, method: 'ssl' };
}

/** The session of `request`; throws UNAUTHENTICATED (401 / 40101, with a Basic challenge) when refused. */
export function authenticateRequest(
  authentication: ClientAuthentication | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
): Session {
  const protocol = authentication?.securityProtocol ?? 'PLAINTEXT';
  if (authentication === undefined || protocol === 'PLAINTEXT') return anonymousSession(request.ip);
  const certificate =
    protocol === 'SSL' || protocol === 'SASL_SSL'
      ? certificateSession(request, authentication.principalMappingRules)
      : null;
  if (protocol === 'SSL') return certificate ?? anonymousSession(request.ip);
  if (certificate !== null) return certificate;
  const path = request.url.split('?', 1)[0] ?? request.url;
  if (OPEN_PATHS.has(path) && (request.method === 'GET' || request.method === 'HEAD'))
    return anonymousSession(request.ip);
  const header = request.headers.authorization;
  const basic = parseBasicAuthorization(header);
  if (basic !== null && authentication.passwords.matches(basic.user, basic.password, request.ip))
    return { principal: { type: 'User', name: basic.user }, clientHost: request.ip, method: 'http-basic' };
  reply.header('www-authenticate', BASIC_CHALLENGE);
  throw new HttpError(
    'UNAUTHENTICATED',
    header === undefined
      ? 'Authentication required: send HTTP Basic credentials (a user with a SCRAM credential).'
      : 'Authentication failed: invalid HTTP Basic credentials.',
  );
}
