// ssl.principal.mapping.rules as Kafka's SslPrincipalMapper reads them (its own test cases), and the
// subject DN of a certificate in RFC 2253 order.
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import {
  certificateSubjectDn,
  mapDistinguishedName,
  PrincipalMappingError,
  parsePrincipalMappingRules,
} from '../../src/common/principal-mapping.ts';

function map(rules: string, dn: string): string | null {
  return mapDistinguishedName(parsePrincipalMappingRules(rules), dn);
}

/** Self-signed, subject /C=US/O=Example, Inc./OU=eng/CN=alice (openssl req -x509). */
const CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIB3jCCAYOgAwIBAgIUJAAeCXxFrzk5IlZa/j5Uv803l5swCgYIKoZIzj0EAwIw
QzELMAkGA1UEBhMCVVMxFjAUBgNVBAoMDUV4YW1wbGUsIEluYy4xDDAKBgNVBAsM
A2VuZzEOMAwGA1UEAwwFYWxpY2UwIBcNMjYxMjA2MjI1NDQwWhgPMjEyNjExMTIy
MjU0NDBaMEMxCzAJBgNVBAYTAlVTMRYwFAYDVQQKDA1FeGFtcGxlLCBJbmMuMQww
CgYDVQQLDANlbmcxDjAMBgNVBAMMBWFsaWNlMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEKxnTZZXYnfvny/NDNFWaG1RZ9xPKd3XPGEKa5sO567NIsKJKHP2U2KAq
dyXFVCkyPOrDCWq2NlsLbi/vFM7V2KNTMFEwHQYDVR0OBBYEFEO8DwRtQt0WdbuN
j4TMEnk4AAytMB8GA1UdIwQYMBaAFEO8DwRtQt0WdbuNj4TMEnk4AAytMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAMWvxhLx/0FkiBrrMNWsR7cc
Y6dph+HCyiKcyN2jo122AiEAxiAN8LMWudEvDJbYFGkIAvsAdSyNq0Fx6muB9Uax
WKI=
-----END CERTIFICATE-----`;

describe('certificateSubjectDn', () => {
  it("writes the subject most specific first, RFC 2253-escaped, as Java's X500Principal.getName()", () => {
    const der = Buffer.from(new X509Certificate(CERTIFICATE).raw);
    expect(certificateSubjectDn(der)).toBe('CN=alice,OU=eng,O=Example\\, Inc.,C=US');
    expect(map('RULE:^CN=([^,]*),.*$/$1/', certificateSubjectDn(der))).toBe('alice');
  });
});

describe('ssl.principal.mapping.rules', () => {
  it('DEFAULT (and an empty rule set) keeps the DN', () => {
    expect(map('DEFAULT', 'CN=alice,OU=eng,O=Example')).toBe('CN=alice,OU=eng,O=Example');
    expect(map('', 'CN=alice')).toBe('CN=alice');
  });

  it("Kafka's SslPrincipalMapperTest cases", () => {
    const rules =
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,' +
      'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U,DEFAULT';
    expect(map(rules, 'CN=Duke,OU=ServiceUsers,O=Org,C=US')).toBe('Duke');
    expect(map(rules, 'CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US')).toBe('duke@sme');
    expect(map(rules, 'cn=duke,ou=JavaSoft,o=Sun Microsystems')).toBe('DUKE');
    expect(map(rules, 'OU=JavaSoft,O=Sun Microsystems,C=US')).toBe('OU=JavaSoft,O=Sun Microsystems,C=US');
  });

  it('a DN no rule matches has no principal; escaped slashes; spaces around rules', () => {
    expect(map('RULE:^CN=(.*)$/$1/', 'OU=x')).toBeNull();
    expect(map(' RULE:^CN=(.*?),OU=(.*)$/$2\\/$1/ , DEFAULT ', 'CN=a,OU=b')).toBe('b/a');
  });

  it('refuses what does not parse', () => {
    expect(() => parsePrincipalMappingRules('RULE:^CN=(.*)$/$1/X')).toThrow(PrincipalMappingError);
    expect(() => parsePrincipalMappingRules('NOPE')).toThrow(PrincipalMappingError);
    expect(() => parsePrincipalMappingRules('RULE:(/x/')).toThrow(PrincipalMappingError);
  });
});
