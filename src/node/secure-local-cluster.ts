// `npm run cluster -- --secure`: the local cluster with security on. On first start it makes, under
// <data>/secure/, a local CA, one certificate per node (SANs localhost and 127.0.0.1; used as server and
// as client certificate between nodes), a client certificate, and the admin user's random password
// (admin.properties); later starts reuse them (a node added later gets its certificate then). Keys and
// secrets are written 0600. Each node then runs with CLIENT SASL_SSL (HTTPS + HTTP Basic, or the client
// certificate), its Kafka listener SASL_SSL, and INTERNAL SSL (mutual TLS against the local CA).

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STANDARD_AUTHORIZER_CLASS } from '../metadata/authorizer.ts';
import { LOCAL_CLUSTER } from './config-defaults.ts';
import { createCa, issueCertificate, type PemPair } from './local-ca.ts';

export const SECURE_DIR = 'secure';
export const ADMIN_USER = 'admin';

export interface SecureLocalCluster {
  readonly dir: string;
  /** The CA certificate clients trust (curl --cacert, kcat ssl.ca.location). */
  readonly caFile: string;
  /** The client certificate and key in one PEM file (curl --cert, the launcher's readiness probe). */
  readonly clientFile: string;
  readonly ca: string;
  readonly client: PemPair;
  /** The admin user's credentials (admin.properties): SCRAM for Kafka clients, HTTP Basic for REST. */
  readonly admin: { readonly username: string; readonly password: string };
  /** A Kafka-style client config (--command-config, Java clients) for the admin over SASL_SSL. */
  readonly clientProperties: string;
  /** The same for librdkafka (kcat -F, confluent-kafka). */
  readonly librdkafkaConfig: string;
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

async function writeSecret(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}

function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) continue;
    const separator = trimmed.search(/[=:]/);
    if (separator > 0) result.set(trimmed.slice(0, separator).trim(), trimmed.slice(separator + 1).trim());
  }
  return result;
}

function nodeFile(dir: string, id: number): string {
  return join(dir, `node-${id}.pem`);
}

/** Makes (first start) or reads (later starts) the CA, the certificates and the admin password. */
export async function ensureSecureLocalCluster(dataRoot: string, nodes: number): Promise<SecureLocalCluster> {
  const dir = join(dataRoot, SECURE_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca-key.pem');
  let ca: PemPair;
  if (await exists(caKeyFile)) {
    ca = { certPem: await readFile(caFile, 'utf8'), keyPem: await readFile(caKeyFile, 'utf8') };
  } else {
    ca = createCa('kraftling local CA');
    await writeSecret(caKeyFile, ca.keyPem);
    await writeFile(caFile, ca.certPem);
  }
  for (let id = 1; id <= nodes; id++) {
    const file = nodeFile(dir, id);
    if (await exists(file)) continue;
    const pair = issueCertificate(ca, {
      commonName: `node-${id}`,
      dnsNames: ['localhost'],
      ipAddresses: [LOCAL_CLUSTER.host],
      serverAuth: true,
      clientAuth: true,
    });
    await writeSecret(file, pair.keyPem + pair.certPem);
  }
  const clientFile = join(dir, 'client.pem');
  if (!(await exists(clientFile))) {
    const pair = issueCertificate(ca, { commonName: ADMIN_USER, serverAuth: false, clientAuth: true });
    await writeSecret(clientFile, pair.keyPem + pair.certPem);
  }
  const clientText = await readFile(clientFile, 'utf8');
  const client = {
    keyPem: /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\r?\n?/.exec(clientText)?.[0] ?? '',
    certPem: /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\r?\n?/.exec(clientText)?.[0] ?? '',
  };
  if (client.keyPem === '' || client.certPem === '')
    throw new Error(
      `${clientFile} does not hold a private key and a certificate: delete it to make a new one`,
    );
  const adminFile = join(dir, 'admin.properties');
  let password = (await exists(adminFile))
    ? (parseProperties(await readFile(adminFile, 'utf8')).get('password') ?? '')
    : '';
  if (password === '') {
    password = randomBytes(18).toString('base64url');
    await writeSecret(
      adminFile,
      `# The local cluster's admin user (npm run cluster -- --secure)\nusername=${ADMIN_USER}\npassword=${password}\n`,
    );
  }
  const clientProperties = join(dir, 'client.properties');
  await writeSecret(
    clientProperties,
    [
      "# Kafka client settings of the local secure cluster's admin (--command-config, Kafka's Java clients)",
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-256',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${ADMIN_USER}" password="${password}";`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${caFile}`,
      '',
    ].join('\n'),
  );
  // librdkafka (kcat -F, confluent-kafka) names the same settings its own way and refuses the JAAS line.
  const librdkafkaConfig = join(dir, 'librdkafka.conf');
  await writeSecret(
    librdkafkaConfig,
    [
      "# librdkafka settings of the local secure cluster's admin (kcat -F, confluent-kafka)",
      'security.protocol=SASL_SSL',
      'sasl.mechanisms=SCRAM-SHA-256',
      `sasl.username=${ADMIN_USER}`,
      `sasl.password=${password}`,
      `ssl.ca.location=${caFile}`,
      '',
    ].join('\n'),
  );
  return {
    dir,
    caFile,
    clientFile,
    ca: ca.certPem,
    client,
    admin: { username: ADMIN_USER, password },
    clientProperties,
    librdkafkaConfig,
  };
}

/** The settings node `id` of the secure local cluster runs with (on top of the local profile). */
export function secureNodeSettings(secure: SecureLocalCluster, id: number): Map<string, string> {
  const { host, clientPortBase, kafkaPortBase, internalPortBase } = LOCAL_CLUSTER;
  return new Map([
    // The Kafka listener is named for its protocol, as in Kafka's default map.
    [
      'listeners',
      `CLIENT://${host}:${clientPortBase + id},SASL_SSL://${host}:${kafkaPortBase + id},` +
        `INTERNAL://${host}:${internalPortBase + id}`,
    ],
    ['listener.security.protocol.map', 'CLIENT:SASL_SSL,SASL_SSL:SASL_SSL,INTERNAL:SSL'],
    ['ssl.keystore.location', nodeFile(secure.dir, id)],
    ['ssl.truststore.location', secure.caFile],
    // A client certificate of the local CA is accepted instead of HTTP Basic on the client API.
    ['listener.name.client.ssl.client.auth', 'requested'],
    // ACLs in the metadata log; the admin (by password, or by its client certificate's subject) may do
    // everything, anyone else only what an ACL allows.
    ['authorizer.class.name', STANDARD_AUTHORIZER_CLASS],
    ['super.users', `User:${ADMIN_USER};User:CN=${ADMIN_USER}`],
  ]);
}

/** The node flags that give a new cluster its admin user (both SCRAM mechanisms, as kafka-storage --add-scram). */
export function secureBootstrapArgs(secure: SecureLocalCluster): string[] {
  const { username, password } = secure.admin;
  return (['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const).flatMap((mechanism) => [
    '--add-scram',
    `${mechanism}=[name=${username},password=${password}]`,
  ]);
}
