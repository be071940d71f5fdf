// The principal of a verified TLS client certificate, as Kafka's SslPrincipalMapper gives it: the
// subject's distinguished name in RFC 2253 form (`CN=alice,OU=eng,O=Example`), rewritten by
// `ssl.principal.mapping.rules` — `RULE:pattern/replacement/[LU]` (the first rule whose pattern matches
// the whole DN wins; L/U lower/upper-case the result) and `DEFAULT` (the DN as it is), comma-separated.
// A DN no rule matches has no principal: the client is refused, as Kafka refuses it.
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Principal } from './security.ts';

export type PrincipalMappingRule =
  | { readonly kind: 'default' }
  | {
      readonly kind: 'rule';
      readonly pattern: RegExp;
      readonly replacement: string;
      readonly letterCase: 'lower' | 'upper' | null;
    };

/** A rule set that does not parse; the message names the rule. */
export class PrincipalMappingError extends Error {
  override readonly name = 'PrincipalMappingError';
}

/** Kafka's RULE_SPLITTER: DEFAULT, or RULE:p/r/[LU] with `\/` and `\\` escapes inside p and r. */
const RULE_SPLITTER = /\s*(DEFAULT|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?)|[^,]*?)\s*(?:,\s*|$)/gy;

/** Parses `ssl.principal.mapping.rules`; throws PrincipalMappingError. An empty text is DEFAULT. */
export function parsePrincipalMappingRules(text: string): PrincipalMappingRule[] {
  if (text.trim() === '') return [{ kind: 'default' }];
  const rules: PrincipalMappingRule[] = [];
  RULE_SPLITTER.lastIndex = 0;
  while (RULE_SPLITTER.lastIndex < text.length) {
    const at = RULE_SPLITTER.lastIndex;
    const match = RULE_SPLITTER.exec(text);
    if (match === null || match[0] === '') throw new PrincipalMappingError(`Invalid rule: ${text.slice(at)}`);
    const whole = match[1] ?? '';
    if (whole === '') continue; // an empty rule, as Kafka's, is ignored
    if (whole === 'DEFAULT') rules.push({ kind: 'default' });
    else if (match[2] !== undefined && match[3] !== undefined) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${match[2]})$`);
      } catch (error) {
        throw new PrincipalMappingError(`Invalid rule: ${whole}: ${(error as Error).message}`);
      }
      rules.push({
        kind: 'rule',
        pattern,
        // Java's replaceAll takes `\x` as a literal x; JavaScript's replace does not.
        replacement: match[3].replace(/\\(.)/g, '$1'),
        letterCase: match[4] === 'L' ? 'lower' : match[4] === 'U' ? 'upper' : null,
      });
    } else throw new PrincipalMappingError(`Invalid rule: ${whole}`);
  }
  return rules;
}

/** The principal name `dn` maps to, or null when no rule matches it. */
export function mapDistinguishedName(rules: readonly PrincipalMappingRule[], dn: string): string | null {
  for (const rule of rules) {
    if (rule.kind === 'default') return dn;
    if (!rule.pattern.test(dn)) continue;
    const mapped = dn.replace(rule.pattern, rule.replacement);
    return rule.letterCase === 'lower'
      ? mapped.toLowerCase()
      : rule.letterCase === 'upper'
        ? mapped.toUpperCase()
        : mapped;
  }
  return null;
}

/**
 * The subject DN of a certificate in RFC 2253 order (most specific first, as Java's
 * X500Principal.getName() writes it). Node lists the attributes in certificate order, one a line,
 * already RFC 2253-escaped.
 */
export function certificateSubjectDn(der: Buffer): string {
  return new X509Certificate(der).subject.split('\n').reverse().join(',');
}

/**
 * The principal of a TLS connection whose client certificate the server verified against its
 * truststore; null without one (not asked, not sent, or not verified) or when no rule maps its DN.
 */
export function tlsClientPrincipal(
  socket: TLSSocket,
  rules: readonly PrincipalMappingRule[],
): Principal | null {
  if (!socket.authorized) return null;
  const certificate = socket.getPeerCertificate(false);
  if (certificate === null || certificate.raw === undefined) return null;
  const name = mapDistinguishedName(rules, certificateSubjectDn(certificate.raw));
  return name === null || name === '' ? null : { type: 'User', name };
}
