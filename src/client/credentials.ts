// What a client authenticates with (ClientSecurity.credentials): Kafka's SASL settings (sasl.mechanism,
// and the user and password of sasl.jaas.config). Over the client API (REST and the native API, HTTP)
// they travel as HTTP Basic, which a SASL_PLAINTEXT / SASL_SSL CLIENT listener checks against the same
// users and passwords as SASL on the Kafka listener; the mechanism only says which credential exists.

/** The mechanisms a user may have a password for (the node's sasl.enabled.mechanisms). */
export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslCredentials {
  readonly mechanism: SaslMechanismName;
  readonly username: string;
  readonly password: string;
}

/** The Authorization header of `credentials` (RFC 7617); throws for a user name HTTP Basic cannot carry. */
export function basicAuthorization(credentials: SaslCredentials): string {
  if (credentials.username === '' || credentials.username.includes(':'))
    throw new Error(
      `SASL user name '${credentials.username}' cannot be sent as HTTP Basic (empty, or with ':')`,
    );
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/** The headers a client with `credentials` adds to every request: none without. */
export function credentialHeaders(
  credentials: SaslCredentials | undefined,
): Readonly<Record<string, string>> {
  return credentials === undefined ? {} : { authorization: basicAuthorization(credentials) };
}
