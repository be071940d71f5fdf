// listener.security.protocol.map, the ssl.* keys (node-wide and listener.name.<name>.*), and
// internal.auth.secret: parsed without I/O (config.ts); the files they name are read by tls-material.ts.
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeConfig, ConfigError, configToProperties, type NodeConfig } from '../../src/node/config.ts';
import { createCa, issueCertificate, type PemPair } from '../../src/node/local-ca.ts';
import { loadSecurityMaterial } from '../../src/node/tls-material.ts';

const BASE: Record<string, string> = {
  'node.id': '1',
  'process.roles': 'broker,controller',
  'controller.quorum.voters': '1@10.0.0.1:9093',
  listeners: 'CLIENT://10.0.0.1:8080,PLAINTEXT://10.0.0.1:9092,INTERNAL://10.0.0.1:9093',
  'log.dirs': '/var/lib/kraftling',
};

function build(overrides: Record<string, string> = {}): { config: NodeConfig; warnings: string[] } {
  return buildNodeConfig(new Map(Object.entries({ ...BASE, ...overrides })));
}

function configError(overrides: Record<string, string>): ConfigError {
  try {
    build(overrides);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('listener security config', () => {
  it('is all PLAINTEXT with nothing configured', () => {
    const { config, warnings } = build();
    expect(config.listenerSecurityProtocols).toEqual(
      new Map([
        ['CLIENT', 'PLAINTEXT'],
        ['PLAINTEXT', 'PLAINTEXT'],
        ['INTERNAL', 'PLAINTEXT'],
      ]),
    );
    expect(config.kafkaListenerName).toBe('PLAINTEXT');
    expect(config.listenerSsl.size).toBe(0);
    expect(config.internalAuthSecret).toBeNull();
    expect(warnings).toEqual([]);
  });

  it('takes the Kafka listener by name (SSL, SASL_SSL, KAFKA, ...), at most one', () => {
    const { config } = build({
      listeners:
        'CLIENT://10.0.0.1:8080,SASL_PLAINTEXT://10.0.0.1:9092,INTERNAL://10.0.0.1:9093,REPL://10.0.0.1:9094',
    });
    expect(config.kafkaListenerName).toBe('SASL_PLAINTEXT');
    expect(config.listenerSecurityProtocols.get('SASL_PLAINTEXT')).toBe('SASL_PLAINTEXT');
    // A named internal listener not in the map is PLAINTEXT.
    expect(config.listenerSecurityProtocols.get('REPL')).toBe('PLAINTEXT');
    expect(config.listeners.named.has('SASL_PLAINTEXT')).toBe(false);
    expect(configToProperties(config).get('listeners')).toContain('SASL_PLAINTEXT://10.0.0.1:9092');
    expect(configError({ listeners: 'CLIENT://h:1,SSL://h:2,KAFKA://h:3,INTERNAL://h:4' }).message).toContain(
      'SSL and KAFKA are both Kafka listeners',
    );
  });

  it('lays the given map over the default one and checks it', () => {
    const { config } = build({
      'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT',
    });
    expect(config.listenerSecurityProtocols.get('CLIENT')).toBe('SASL_PLAINTEXT');
    expect(config.listenerSecurityProtocols.get('INTERNAL')).toBe('PLAINTEXT');
    expect(configError({ 'listener.security.protocol.map': 'CLIENT:TLS' }).message).toContain(
      'unknown security protocol TLS',
    );
    expect(configError({ 'listener.security.protocol.map': 'CLIENT' }).message).toContain('NAME:PROTOCOL');
    expect(configError({ 'listener.security.protocol.map': 'INTERNAL:SASL_SSL' }).message).toContain(
      'INTERNAL is an internal listener',
    );
  });

  it('needs a keystore on an SSL listener, and a truststore on an internal one', () => {
    const noKeystore = configError({ 'listener.security.protocol.map': 'CLIENT:SSL' });
    expect(noKeystore.key).toBe('ssl.keystore.location');
    expect(noKeystore.message).toContain('listener CLIENT is SSL');
    const { config } = build({
      'listener.security.protocol.map': 'CLIENT:SSL,PLAINTEXT:SASL_SSL',
      'ssl.keystore.location': '/etc/kraftling/node.pem',
      'ssl.client.auth': 'requested',
      'ssl.truststore.location': '/etc/kraftling/ca.pem',
    });
    expect(config.listenerSsl.get('CLIENT')).toMatchObject({
      keystoreLocation: '/etc/kraftling/node.pem',
      clientAuth: 'requested',
      enabledProtocols: ['TLSv1.2', 'TLSv1.3'],
    });
    expect(config.listenerSsl.has('PLAINTEXT')).toBe(true);
    expect(config.listenerSsl.has('INTERNAL')).toBe(false);
    const noTrust = configError({
      'listener.security.protocol.map': 'INTERNAL:SSL',
      'ssl.keystore.location': '/etc/kraftling/node.pem',
    });
    expect(noTrust.key).toBe('ssl.truststore.location');
    expect(noTrust.message).toContain('internal SSL listener');
  });

  it('takes listener.name.<name>.ssl.* overrides, without warnings, and names them in errors', () => {
    const { config, warnings } = build({
      'listener.security.protocol.map': 'CLIENT:SSL,INTERNAL:SSL',
      'ssl.keystore.location': '/etc/kraftling/public.pem',
      'listener.name.internal.ssl.keystore.location': '/etc/kraftling/internal.pem',
      'listener.name.internal.ssl.truststore.certificates': '-----BEGIN CERTIFICATE-----',
    });
    expect(warnings).toEqual([]);
    expect(config.listenerSsl.get('CLIENT')?.keystoreLocation).toBe('/etc/kraftling/public.pem');
    expect(config.listenerSsl.get('INTERNAL')).toMatchObject({
      keystoreLocation: '/etc/kraftling/internal.pem',
      clientAuth: 'required',
    });
    const forced = configError({
      'listener.security.protocol.map': 'INTERNAL:SSL',
      'ssl.keystore.location': '/k.pem',
      'ssl.truststore.location': '/ca.pem',
      'listener.name.internal.ssl.client.auth': 'none',
    });
    expect(forced.key).toBe('listener.name.internal.ssl.client.auth');
    expect(build({ 'listener.name.nope.ssl.client.auth': 'required' }).warnings[0]).toContain(
      'there is no listener NOPE',
    );
  });

  it('refuses keystores that are not PEM, mixed sources and bad values', () => {
    const jks = configError({ 'ssl.keystore.type': 'JKS' });
    expect(jks.key).toBe('ssl.keystore.type');
    expect(jks.message).toContain('only PEM is supported');
    expect(configError({ 'ssl.truststore.type': 'PKCS12' }).message).toContain('only PEM');
    expect(
      configError({
        'ssl.keystore.location': '/a.pem',
        'ssl.keystore.key': 'x',
        'ssl.keystore.certificate.chain': 'y',
      }).message,
    ).toContain('not both');
    expect(configError({ 'ssl.keystore.key': 'x' }).key).toBe('ssl.keystore.certificate.chain');
    expect(configError({ 'ssl.client.auth': 'always' }).message).toContain('none, requested, required');
    expect(configError({ 'ssl.enabled.protocols': 'TLSv1.1' }).message).toContain('TLSv1.1 is not supported');
  });

  it('takes internal.auth.secret or its file, never describes the secret', () => {
    const secret = 'correct horse battery staple';
    const { config } = build({ 'internal.auth.secret': secret });
    expect(config.internalAuthSecret).toEqual({ kind: 'text', secret });
    const properties = configToProperties(config);
    expect(properties.get('internal.auth.secret')).toBeNull();
    expect([...properties.values()]).not.toContain(secret);
    expect(build({ 'internal.auth.secret.location': '/s' }).config.internalAuthSecret).toEqual({
      kind: 'file',
      location: '/s',
    });
    expect(configError({ 'internal.auth.secret': 'short' }).message).toContain('at least 16 characters');
    expect(
      configError({ 'internal.auth.secret': secret, 'internal.auth.secret.location': '/s' }).message,
    ).toContain('not both');
  });
});

describe('reading the security material at start', () => {
  let dir: string;
  let ca: PemPair;
  let node: PemPair;
  let other: PemPair;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kraftling-tls-material-'));
    ca = createCa('test CA');
    node = issueCertificate(ca, {
      commonName: 'n1',
      ipAddresses: ['127.0.0.1'],
      serverAuth: true,
      clientAuth: true,
    });
    other = issueCertificate(ca, { commonName: 'n2', serverAuth: true, clientAuth: true });
    await writeFile(join(dir, 'node.pem'), node.keyPem + node.certPem);
    await writeFile(join(dir, 'mismatch.pem'), other.keyPem + node.certPem);
    await writeFile(join(dir, 'ca.pem'), ca.certPem);
    await writeFile(join(dir, 'secret'), 'x'.repeat(32));
    const encrypted = createPrivateKey(node.keyPem).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'open sesame',
    });
    await writeFile(join(dir, 'encrypted.pem'), `${encrypted}${node.certPem}`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const internalSsl = (overrides: Record<string, string>) =>
    build({
      'listener.security.protocol.map': 'INTERNAL:SSL',
      'ssl.truststore.location': join(dir, 'ca.pem'),
      ...overrides,
    }).config;

  it('reads the keystore, the truststore and the secret file', async () => {
    const material = await loadSecurityMaterial(
      internalSsl({
        'ssl.keystore.location': join(dir, 'node.pem'),
        'internal.auth.secret.location': join(dir, 'secret'),
      }),
    );
    const internal = material.listeners.get('INTERNAL')!;
    expect(internal.cert.trim()).toBe(node.certPem.trim());
    expect(internal.ca?.trim()).toBe(ca.certPem.trim());
    expect(internal.clientAuth).toBe('required');
    expect(Buffer.from(material.internalSecret!).toString()).toBe('x'.repeat(32));
    // PEM text instead of files.
    const fromText = await loadSecurityMaterial(
      build({
        'listener.security.protocol.map': 'CLIENT:SSL',
        'ssl.keystore.certificate.chain': node.certPem,
        'ssl.keystore.key': node.keyPem,
      }).config,
    );
    expect(fromText.listeners.get('CLIENT')?.ca).toBeUndefined();
  });

  it('opens an encrypted key with ssl.key.password, and says which key is wrong otherwise', async () => {
    const encrypted = join(dir, 'encrypted.pem');
    await expect(
      loadSecurityMaterial(
        internalSsl({ 'ssl.keystore.location': encrypted, 'ssl.key.password': 'open sesame' }),
      ),
    ).resolves.toBeDefined();
    const failures: [Record<string, string>, string, string][] = [
      [{ 'ssl.keystore.location': encrypted }, 'ssl.key.password', 'no password is given'],
      [
        { 'ssl.keystore.location': encrypted, 'ssl.key.password': 'nope' },
        'ssl.key.password',
        'does not open it',
      ],
      [
        { 'ssl.keystore.location': join(dir, 'missing.pem') },
        'ssl.keystore.location',
        'cannot read the file',
      ],
      [{ 'ssl.keystore.location': join(dir, 'ca.pem') }, 'ssl.keystore.location', 'no PEM PRIVATE KEY'],
      [
        { 'ssl.keystore.location': join(dir, 'mismatch.pem') },
        'ssl.keystore.location',
        "not the private key's",
      ],
      [
        { 'ssl.keystore.location': join(dir, 'node.pem'), 'ssl.truststore.location': join(dir, 'secret') },
        'ssl.truststore.location',
        'no PEM CERTIFICATE',
      ],
    ];
    for (const [overrides, key, message] of failures) {
      const failure = await loadSecurityMaterial(internalSsl(overrides)).catch((error: unknown) => error);
      expect(failure, JSON.stringify(overrides)).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).key).toBe(key);
      expect((failure as ConfigError).message).toContain(message);
    }
  });
});
