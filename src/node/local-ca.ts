// A small certificate authority for local clusters and tests (`npm run cluster -- --secure`,
// test/integration/tls.test.ts): a self-signed CA, and certificates it signs for nodes (server and
// client use: they dial each other with the same certificate) and for clients. RSA 2048 keys (node-forge
// generates them with Node's native crypto), SHA-256 signatures, PEM out. No openssl binary needed.

import { randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface PemPair {
  readonly certPem: string;
  /** PKCS#8 "PRIVATE KEY" PEM, unencrypted. */
  readonly keyPem: string;
}

export interface IssueOptions {
  readonly commonName: string;
  /** subjectAltName DNS names (e.g. localhost). */
  readonly dnsNames?: readonly string[];
  /** subjectAltName IP addresses (e.g. 127.0.0.1). */
  readonly ipAddresses?: readonly string[];
  /** extendedKeyUsage: serverAuth and/or clientAuth. */
  readonly serverAuth: boolean;
  readonly clientAuth: boolean;
  readonly validDays?: number;
}

const DAY_MS = 86_400_000;

function newCertificate(publicKey: forge.pki.PublicKey, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the high bit cleared.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - DAY_MS);
  cert.validity.notAfter = new Date(now + validDays * DAY_MS);
  return cert;
}

function keyPem(privateKey: forge.pki.PrivateKey): string {
  return forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(privateKey)));
}

/** A self-signed CA certificate (basicConstraints CA:true, keyCertSign). */
export function createCa(commonName: string, validDays = 3650): PemPair {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, validDays);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keyPem(keys.privateKey) };
}

/** A certificate signed by `ca` for a node or a client. */
export function issueCertificate(ca: PemPair, options: IssueOptions): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = newCertificate(keys.publicKey, options.validDays ?? 825);
  cert.setSubject([{ name: 'commonName', value: options.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: options.serverAuth, clientAuth: options.clientAuth },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keyPem(keys.privateKey) };
}
