// How the SDK reaches brokers whose client API is secured: TLS options for `https://` origins (the CA
// that signed the brokers' certificates, and a client certificate where the brokers ask for one).
// and the SASL credentials sent as HTTP Basic to a cluster whose client API requires authentication.
import type { SaslCredentials } from './credentials.ts';

export interface ClientTls {
  /** PEM of the CA certificates the brokers' certificates are verified against (default: Node's CAs). */
  readonly ca?: string | Buffer;
  /** A client certificate (PEM chain) and its key, for brokers with ssl.client.auth requested/required. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Decrypts an encrypted `key`. */
  readonly passphrase?: string;
  /** The name checked against the brokers' certificates when it is not the host dialed. */
  readonly servername?: string;
}

export interface ClientSecurity {
  readonly tls?: ClientTls;
  /** SASL credentials (Kafka's sasl.mechanism + sasl.jaas.config), sent as HTTP Basic on every request. */
  readonly credentials?: SaslCredentials;
}
