// Reads what the security settings point at, once at start: each SSL listener's PEM key and
// certificate chain (KIP-651: ssl.keystore.location, or the PEM text itself), its truststore, and
// internal.auth.secret(.location). Everything is checked here (the files exist, the PEM parses, an
// encrypted key opens with ssl.key.password, the key matches the certificate), so that a mistake stops
// the node at start with a ConfigError naming the key, not at the first handshake.

import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions } from 'node:tls';
import {
  ConfigError,
  INTERNAL_AUTH_SECRET_CHARS_MIN,
  type InternalAuthSecret,
  type ListenerSsl,
  type NodeConfig,
  type SslKey,
  sslKeyName,
} from './config.ts';

/** What tls.createServer / tls.connect take for one listener. */
export interface ListenerTls {
  readonly key: string;
  readonly cert: string;
  readonly passphrase?: string;
  /** The truststore; absent = Node's default CAs. */
  readonly ca?: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly clientAuth: ListenerSsl['clientAuth'];
}

export interface SecurityMaterial {
  /** By listener name: every SSL / SASL_SSL listener. */
  readonly listeners: ReadonlyMap<string, ListenerTls>;
  /** The shared internal secret's bytes; null = none. */
  readonly internalSecret: Uint8Array | null;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1]!, pem: `${match[0]}\n` }));
}

async function readText(key: string, location: string): Promise<string> {
  try {
    return await readFile(location, 'utf8');
  } catch (error) {
    throw new ConfigError(key, location, `cannot read the file: ${(error as Error).message}`);
  }
}

function certificates(key: string, value: string, text: string): string {
  const blocks = pemBlocks(text).filter((block) => block.label === 'CERTIFICATE');
  if (blocks.length === 0) throw new ConfigError(key, value, 'no PEM CERTIFICATE block found');
  for (const block of blocks) {
    try {
      new X509Certificate(block.pem);
    } catch (error) {
      throw new ConfigError(key, value, `a certificate does not parse: ${(error as Error).message}`);
    }
  }
  return blocks.map((block) => block.pem).join('');
}

async function loadListener(ssl: ListenerSsl): Promise<ListenerTls> {
  const name = (key: SslKey): string => sslKeyName(ssl, key);
  let keyText: string;
  let chainText: string;
  let keyKey: string;
  let chainKey: string;
  let keyValue: string;
  let chainValue: string;
  if (ssl.keystoreLocation !== null) {
    const text = await readText(name('ssl.keystore.location'), ssl.keystoreLocation);
    keyText = text;
    chainText = text;
    keyKey = chainKey = name('ssl.keystore.location');
    keyValue = chainValue = ssl.keystoreLocation;
  } else {
    if (ssl.keystoreKey === null || ssl.keystoreCertificateChain === null)
      throw new Error(`bug: listener ${ssl.listener} is TLS without a keystore (config.ts checks)`);
    keyText = ssl.keystoreKey;
    chainText = ssl.keystoreCertificateChain;
    keyKey = name('ssl.keystore.key');
    chainKey = name('ssl.keystore.certificate.chain');
    // PEM text is not repeated in errors: the key's text is a secret.
    keyValue = '[hidden]';
    chainValue = '(PEM text)';
  }
  const keyBlock = pemBlocks(keyText).find((block) => block.label.endsWith('PRIVATE KEY'));
  if (keyBlock === undefined) throw new ConfigError(keyKey, keyValue, 'no PEM PRIVATE KEY block found');
  const cert = certificates(chainKey, chainValue, chainText);
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey({
      key: keyBlock.pem,
      ...(ssl.keyPassword !== null ? { passphrase: ssl.keyPassword } : {}),
    });
  } catch (error) {
    const encrypted = keyBlock.label.startsWith('ENCRYPTED') || /Proc-Type: 4,ENCRYPTED/.test(keyBlock.pem);
    if (encrypted)
      throw new ConfigError(
        name('ssl.key.password'),
        ssl.keyPassword === null ? null : '[hidden]',
        `the private key is encrypted and ${ssl.keyPassword === null ? 'no password is given' : 'the password does not open it'}`,
      );
    throw new ConfigError(keyKey, keyValue, `the private key does not parse: ${(error as Error).message}`);
  }
  const leaf = new X509Certificate(pemBlocks(cert)[0]!.pem);
  const matches = createPublicKey(privateKey)
    .export({ format: 'der', type: 'spki' })
    .equals(leaf.publicKey.export({ format: 'der', type: 'spki' }));
  if (!matches)
    throw new ConfigError(chainKey, chainValue, "the first certificate is not the private key's certificate");
  let ca: string | undefined;
  if (ssl.truststoreLocation !== null) {
    const key = name('ssl.truststore.location');
    ca = certificates(key, ssl.truststoreLocation, await readText(key, ssl.truststoreLocation));
  } else if (ssl.truststoreCertificates !== null) {
    ca = certificates(name('ssl.truststore.certificates'), '(PEM text)', ssl.truststoreCertificates);
  }
  const versions = [...ssl.enabledProtocols].sort();
  return {
    key: keyBlock.pem,
    cert,
    ...(ssl.keyPassword !== null ? { passphrase: ssl.keyPassword } : {}),
    ...(ca !== undefined ? { ca } : {}),
    minVersion: versions[0]!,
    maxVersion: versions[versions.length - 1]!,
    clientAuth: ssl.clientAuth,
  };
}

async function loadSecret(secret: InternalAuthSecret): Promise<Uint8Array> {
  if (secret.kind === 'text') return Buffer.from(secret.secret, 'utf8');
  const key = 'internal.auth.secret.location';
  const text = (await readText(key, secret.location)).trim();
  if (text.length < INTERNAL_AUTH_SECRET_CHARS_MIN)
    throw new ConfigError(
      key,
      secret.location,
      `the file holds ${text.length} characters: use a secret of at least ${INTERNAL_AUTH_SECRET_CHARS_MIN}`,
    );
  return Buffer.from(text, 'utf8');
}

/** Reads and checks every file and PEM text the security settings name; throws ConfigError. */
export async function loadSecurityMaterial(config: NodeConfig): Promise<SecurityMaterial> {
  const listeners = new Map<string, ListenerTls>();
  for (const [name, ssl] of config.listenerSsl) listeners.set(name, await loadListener(ssl));
  return {
    listeners,
    internalSecret: config.internalAuthSecret === null ? null : await loadSecret(config.internalAuthSecret),
  };
}

/** What a server and a client of this listener share: its certificate, its trust, its TLS versions. */
function contextOptions(material: ListenerTls): SecureContextOptions {
  return {
    key: material.key,
    cert: material.cert,
    ...(material.passphrase !== undefined ? { passphrase: material.passphrase } : {}),
    ...(material.ca !== undefined ? { ca: material.ca } : {}),
    minVersion: material.minVersion,
    maxVersion: material.maxVersion,
  };
}

/** Server options: the certificate, the trust, and the client certificate per ssl.client.auth. */
export function serverTlsOptions(material: ListenerTls): SecureContextOptions & {
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  return {
    ...contextOptions(material),
    requestCert: material.clientAuth !== 'none',
    rejectUnauthorized: material.clientAuth === 'required',
  };
}

/** Client options for dialing a peer: this node's certificate as client certificate, the same trust. */
export function clientTlsOptions(material: ListenerTls): SecureContextOptions & { rejectUnauthorized: true } {
  return { ...contextOptions(material), rejectUnauthorized: true };
}
