// Kafka's `--command-config FILE` for the REST-backed tools: a client properties file whose security
// settings say how to reach the cluster. security.protocol SSL or SASL_SSL makes bootstrap servers
// without a scheme https://; the PEM truststore (KIP-651: ssl.truststore.location or
// ssl.truststore.certificates) verifies the nodes, and a PEM keystore (ssl.keystore.location, or
// ssl.keystore.certificate.chain + ssl.keystore.key, with ssl.key.password) is the client certificate.
// SASL_PLAINTEXT / SASL_SSL add the credentials of sasl.mechanism and sasl.jaas.config (sasl-config.ts).
// default.api.timeout.ms and retry.backoff.ms bound the admin tools' retries, as Kafka's AdminClient's.
// Here too: the --bootstrap-server list every tool takes, and its default.

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
    'A client properties file: security.protocol (SSL, SASL_SSL: https), ssl.truststore.location and ssl.keystore.location (PEM), sasl.mechanism and sasl.jaas.config (SASL_PLAINTEXT, SASL_SSL), default.api.timeout.ms and retry.backoff.ms (admin tools).',
};

export interface ClientConfig {
  /** https for bootstrap servers given without a scheme. */
  readonly scheme: 'http' | 'https';
  readonly security: ClientSecurity;
  /** default.api.timeout.ms: how long an admin call may take, retries and failover included. */
  readonly apiTimeoutMs?: number;
  /** retry.backoff.ms: the wait before a retriable error is asked again. */
  readonly retryBackoffMs?: number;
}

/** node 1 of `npm run cluster` (design §1). */
export const DEFAULT_BOOTSTRAP_SERVER = '127.0.0.1:8081';

/**
 * Parses a bootstrap server list into base URLs ("http://host:port"). Like Kafka's client, every
 * entry needs a host and a port.
 */
export function parseBootstrapServers(spec: string, defaultScheme: 'http' | 'https' = 'http'): string[] {
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new UsageError('No resolvable bootstrap urls given in bootstrap.servers');
  return entries.map((entry) => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `${defaultScheme}://${entry}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new UsageError(`Invalid url in bootstrap.servers: ${entry}`);
    }
    const explicitPort = url.port !== '' || /:\d+\/?$/.test(withScheme);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || !explicitPort) {
      throw new UsageError(`Invalid url in bootstrap.servers: ${entry}`);
    }
    return `${url.protocol}//${url.host}`;
  });
}

/** A non-negative whole number of milliseconds, or undefined when the key is absent. */
function millisecondsOf(properties: ReadonlyMap<string, string>, key: string): number | undefined {
  const text = properties.get(key);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value))
    throw new UsageError(`--command-config: ${key}=${text} is not a number of milliseconds`);
  return value;
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
  const apiTimeoutMs = millisecondsOf(properties, 'default.api.timeout.ms');
  const retryBackoffMs = millisecondsOf(properties, 'retry.backoff.ms');
  return {
    scheme: secure ? 'https' : 'http',
    security: {
      ...(Object.keys(tls).length > 0 ? { tls } : {}),
      ...(credentials !== undefined ? { credentials } : {}),
    },
    ...(apiTimeoutMs !== undefined && { apiTimeoutMs }),
    ...(retryBackoffMs !== undefined && { retryBackoffMs }),
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
