// Kafka's --command-config client.properties, its SASL keys: read as Kafka's clients read them, and the
// credentials travelling as HTTP Basic from the REST tools.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfigFrom, parseClientProperties } from '../../src/cli/client-config.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { parseJaasConfig } from '../../src/cli/sasl-config.ts';
import { topicsMain } from '../../src/cli/topics.ts';
import { PasswordCheck } from '../../src/common/password-check.ts';
import { credentialFromPassword } from '../../src/common/scram.ts';
import type { ScramCredential, ScramMechanism } from '../../src/common/security.ts';
import { buildClientApp } from '../../src/http/client-app.ts';
import { type ClientApiListener, listenClientApi } from '../../src/http/client-server.ts';
import { FakeNode } from '../http/fake-node.ts';

const SCRAM_JAAS =
  'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="p\\"w;x";';

function credentialsOf(entries: Record<string, string>) {
  return clientConfigFrom(new Map(Object.entries(entries)), () => '').security.credentials;
}

function refusal(entries: Record<string, string>): string {
  try {
    credentialsOf(entries);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('client.properties: SASL', () => {
  it("reads Kafka's SASL_PLAINTEXT + SCRAM properties", () => {
    const properties = parseClientProperties(
      [
        '# client.properties',
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism = SCRAM-SHA-256',
        `sasl.jaas.config=${SCRAM_JAAS}`,
      ].join('\n'),
    );
    expect(clientConfigFrom(properties)).toEqual({
      scheme: 'http',
      security: { credentials: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'p"w;x' } },
    });
  });

  it('PlainLoginModule, unquoted values, SASL_SSL (https); PLAINTEXT and SSL carry no credentials', () => {
    expect(
      clientConfigFrom(
        new Map([
          ['security.protocol', 'sasl_ssl'],
          ['sasl.mechanism', 'PLAIN'],
          [
            'sasl.jaas.config',
            'org.apache.kafka.common.security.plain.PlainLoginModule required username=bob password=x;',
          ],
        ]),
      ),
    ).toEqual({
      scheme: 'https',
      security: { credentials: { mechanism: 'PLAIN', username: 'bob', password: 'x' } },
    });
    expect(credentialsOf({})).toBeUndefined();
    expect(credentialsOf({ 'security.protocol': 'SSL', 'sasl.jaas.config': SCRAM_JAAS })).toBeUndefined();
  });

  it('refuses what Kafka would not take or this platform does not serve, saying why', () => {
    expect(refusal({ 'security.protocol': 'SASL_PLAINTEXT' })).toContain(
      'sasl.mechanism GSSAPI is not supported',
    );
    expect(refusal({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN' })).toContain(
      'needs sasl.jaas.config',
    );
    expect(
      refusal({
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config': 'com.sun.security.auth.module.Krb5LoginModule required;',
      }),
    ).toContain('Krb5LoginModule is not supported');
    expect(
      refusal({
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism': 'PLAIN',
        'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="a";',
      }),
    ).toContain('needs username');
    expect(() => parseJaasConfig('PlainLoginModule required username="a"')).toThrow('must end with ";"');
    expect(() => parseJaasConfig('nonsense')).toThrow(UsageError);
  });
});

describe('--command-config against an authenticating client API', () => {
  const users = new Map<string, ReadonlyMap<ScramMechanism, ScramCredential>>([
    ['alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'p"w;x')]])],
  ]);
  let listener: ClientApiListener;
  let dir: string;

  beforeAll(async () => {
    const credentials = (user: string) => users.get(user);
    const app = buildClientApp({
      node: new FakeNode(),
      authentication: {
        securityProtocol: 'SASL_PLAINTEXT',
        passwords: new PasswordCheck({ credentials, now: () => performance.now() }),
        principalMappingRules: [{ kind: 'default' }],
      },
    });
    listener = await listenClientApi(app, { host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'command-config-'));
  });

  afterAll(async () => {
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kafka-topics --list works with the credentials and is refused (40101) without', async () => {
    const file = join(dir, 'client.properties');
    writeFileSync(
      file,
      `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\nsasl.jaas.config=${SCRAM_JAAS}\n`,
    );
    const ok = bufferedIo();
    expect(
      await topicsMain(['--bootstrap-server', listener.address, '--list', '--command-config', file], ok),
    ).toBe(0);
    const refused = bufferedIo();
    expect(await topicsMain(['--bootstrap-server', listener.address, '--list'], refused)).not.toBe(0);
    expect(refused.stderr.join('\n')).toMatch(/401|40101|Authentication/);
  });
});
