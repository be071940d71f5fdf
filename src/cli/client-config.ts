// Kafka's `--command-config FILE` for the REST-backed tools: a client properties file whose security
// settings say how to reach the cluster. security.protocol SSL or SASL_SSL makes bootstrap servers
// without a scheme https://; the PEM truststore (KIP-651: ssl.truststore.location or
// ssl.truststore.certificates) verifies the nodes, and a PEM keystore (ssl.keystore.location, or
// ssl.keystore.certificate.chain + ssl.keystore.key, with ssl.key.password) is the client certificate.
// SASL_PLAINTEXT / SASL_SSL add the credentials of sasl.mechanism and sasl.jaas.config (sasl-config.ts).

import { readFileSync } from 'node:fs';
import type { ClientSecurity, ClientTls } from '../client/security.ts';
import { UsageError } from './errors.ts';
import { saslCredentialsOf } from './sasl-config.ts';
import type { OptionSpec } from './io.ts';

export const COMMAND_CONFIG_OPTION: OptionSpec = {
  name: 'command-config',
  type: 'string',
  argName: 'FILE',
  description:
    'A client properties file: security.protocol (SSL, SASL_SSL: https), ssl.truststore.location and ssl.keystore.location (PEM), sasl.mechanism and sasl.jaas.config (SASL_PLAINTEXT, SASL_SSL).',
};

export interface ClientConfig {
  /** https for bootstrap servers given without a scheme. */
  readonly scheme: 'http' | 'https';
  readonly security: ClientSecurity;
}

export const PLAIN_CLIENT_CONFIG: ClientConfig = { scheme: 'http', security: {} };

/** Java properties, the subset client configs use: key=value or key:value, # and ! comments. */
export function parseClientProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const separator = trimmed.search(/[=:]/);
    if (separator <= 0) throw new UsageError(`--command-config: '${trimmed}' is not key=value`);
    result.set(trimmed.slice(0, separator).trim(), trimmed.slice(separator + 1).trim());
  }
  return result;
}

function readPem(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--command-config: cannot read ${key} ${path}: ${(error as Error).message}`);
  }
}

/** The client settings of a properties map (`read` opens the files it names). */
export function clientConfigFrom(properties: ReadonlyMap<string, string>, read = readPem): ClientConfig {
  const protocol = (properties.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol))
    throw new UsageError(`--command-config: unknown security.protocol ${protocol}`);
  for (const key of ['ssl.truststore.type', 'ssl.keystore.type']) {
    const type = properties.get(key);
    if (type !== undefined && type.toUpperCase() !== 'PEM')
      throw new UsageError(`--command-config: ${key}=${type}: only PEM is supported (KIP-651)`);
  }
  const trustFile = properties.get('ssl.truststore.location');
  const ca =
    trustFile !== undefined
      ? read('ssl.truststore.location', trustFile)
      : properties.get('ssl.truststore.certificates');
  const keystoreFile = properties.get('ssl.keystore.location');
  const keystore = keystoreFile !== undefined ? read('ssl.keystore.location', keystoreFile) : null;
  const cert = keystore ?? properties.get('ssl.keystore.certificate.chain');
  const key = keystore ?? properties.get('ssl.keystore.key');
  const passphrase = properties.get('ssl.key.password');
  const tls: ClientTls = {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
  };
  const secure = protocol === 'SSL' || protocol === 'SASL_SSL';
  const credentials = saslCredentialsOf(protocol, properties);
  return {
    scheme: secure ? 'https' : 'http',
    security: {
      ...(Object.keys(tls).length > 0 ? { tls } : {}),
      ...(credentials !== undefined ? { credentials } : {}),
    },
  };
}

/** --command-config FILE, or the plain defaults without one. */
export function readClientConfig(path: string | null): ClientConfig {
  if (path === null) return PLAIN_CLIENT_CONFIG;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read --command-config ${path}: ${(error as Error).message}`);
  }
  return clientConfigFrom(parseClientProperties(text));
}
