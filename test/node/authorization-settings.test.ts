// The authorization settings (authorizer.class.name, super.users, allow.everyone.if.no.acl.found), the
// node's Authorizer built from them, and the bootstrap credentials of `--add-scram`.
import { describe, expect, it } from 'vitest';
import { passwordMatches } from '../../src/common/scram.ts';
import { ALLOW_ALL } from '../../src/common/security.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import { buildNodeConfig, ConfigError, configToProperties } from '../../src/node/config.ts';
import { loadNodeConfig } from '../../src/node/node-args.ts';
import { bootstrapCredentials, parseScramSpec } from '../../src/node/bootstrap-credentials.ts';
import { buildAuthorizer } from '../../src/node/node-authorizer.ts';

const BASE: ReadonlyMap<string, string> = new Map([
  ['node.id', '1'],
  ['process.roles', 'broker,controller'],
  ['controller.quorum.voters', '1@10.0.0.1:9093'],
  ['listeners', 'CLIENT://10.0.0.1:8080,INTERNAL://10.0.0.1:9093'],
  ['log.dirs', '/var/lib/kraftling'],
]);
const STANDARD = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

function build(overrides: Record<string, string>) {
  return buildNodeConfig(new Map([...BASE, ...Object.entries(overrides)])).config;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const alice = {
  principal: { type: 'User' as const, name: 'alice' },
  clientHost: '10.0.0.9',
  method: 'sasl-plain' as const,
};
const admin = { ...alice, principal: { type: 'User' as const, name: 'admin' } };
const readOrders = { operation: 'READ' as const, resourceType: 'TOPIC' as const, resourceName: 'orders' };

describe('authorization settings', () => {
  it('default to no authorizer: everything allowed, as today', () => {
    const config = build({});
    expect(config.authorizerClassName).toBeNull();
    expect(config.superUsers).toEqual([]);
    expect(config.allowEveryoneIfNoAclFound).toBe(false);
    expect(buildAuthorizer(config, emptyImage)).toBe(ALLOW_ALL);
  });

  it('build the StandardAuthorizer with super.users and allow.everyone.if.no.acl.found', () => {
    const config = build({ 'authorizer.class.name': STANDARD, 'super.users': ' User:admin ; User:ops;' });
    expect(config.superUsers).toEqual(['User:admin', 'User:ops']);
    const authorizer = buildAuthorizer(config, emptyImage);
    expect(authorizer.enabled).toBe(true);
    expect(authorizer.authorize(admin, readOrders)).toBe(true);
    expect(authorizer.authorize(alice, readOrders)).toBe(false);
    const open = buildAuthorizer(
      build({ 'authorizer.class.name': STANDARD, 'allow.everyone.if.no.acl.found': 'true' }),
      emptyImage,
    );
    expect(open.authorize(alice, readOrders)).toBe(true);
  });

  it('round-trip through properties', () => {
    const config = build({ 'authorizer.class.name': STANDARD, 'super.users': 'User:admin;User:ops' });
    const properties = configToProperties(config);
    expect(properties.get('super.users')).toBe('User:admin;User:ops');
    const again = buildNodeConfig(
      new Map([...properties].filter((entry): entry is [string, string] => entry[1] !== null)),
    ).config;
    expect(again.superUsers).toEqual(config.superUsers);
    expect(again.authorizerClassName).toBe(STANDARD);
  });

  it('refuse another authorizer class and principals that are not User:<name>', () => {
    const wrong = configError(() =>
      build({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer' }),
    );
    expect(wrong.key).toBe('authorizer.class.name');
    expect(wrong.message).toContain(STANDARD);
    expect(configError(() => build({ 'super.users': 'admin' })).key).toBe('super.users');
    expect(configError(() => build({ 'super.users': 'User:*' })).key).toBe('super.users');
  });
});

describe('--add-scram', () => {
  it("parses Kafka's syntax, with iterations and quoted values", () => {
    expect(parseScramSpec('SCRAM-SHA-256=[name=admin,password=admin-secret]')).toEqual({
      mechanism: 'SCRAM-SHA-256',
      user: 'admin',
      password: 'admin-secret',
      iterations: 4096,
    });
    expect(parseScramSpec('SCRAM-SHA-512=[name="a,b",password="p,w",iterations=8192]')).toEqual({
      mechanism: 'SCRAM-SHA-512',
      user: 'a,b',
      password: 'p,w',
      iterations: 8192,
    });
  });

  it('refuses malformed values without echoing the password', () => {
    for (const bad of [
      'SCRAM-SHA-1=[name=a,password=p]',
      'SCRAM-SHA-256=[name=a]',
      'SCRAM-SHA-256=[password=p]',
      'SCRAM-SHA-256=[name=a,password=s3cret,iterations=100]',
      'SCRAM-SHA-256=[name=a,password=s3cret,salt=abc]',
      'SCRAM-SHA-256=[name=a,name=b,password=s3cret]',
    ]) {
      const error = configError(() => parseScramSpec(bad));
      expect(error.key).toBe('--add-scram');
      expect(error.message).not.toContain('s3cret');
    }
  });

  it('is a repeatable node flag, and becomes credentials with a fresh salt', () => {
    const result = loadNodeConfig([
      '--node-id',
      '1',
      '--add-scram',
      'SCRAM-SHA-256=[name=admin,password=admin-secret]',
      '--add-scram',
      'SCRAM-SHA-512=[name=admin,password=admin-secret]',
    ]);
    if (result.kind !== 'config') throw new Error('expected a config');
    expect(result.bootstrapScram.map((spec) => spec.mechanism)).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-512']);
    const [first, second] = bootstrapCredentials(result.bootstrapScram);
    expect(first?.user).toBe('admin');
    expect(passwordMatches(first!.credential, 'admin-secret')).toBe(true);
    expect(passwordMatches(second!.credential, 'admin-secret')).toBe(true);
    expect(first!.credential.salt.equals(second!.credential.salt)).toBe(false);
  });
});
