// The `acls` (kafka-acls.sh) and `configs` (kafka-configs.sh, users and topics) tools against the real
// client app over the in-memory FakeNode (data-cluster.ts): Kafka's options, defaults and output lines.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aclsMain, parseAclCommand } from '../../src/cli/acls.ts';
import { configsMain, parseConfigCommand, splitConfigs } from '../../src/cli/configs.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { passwordMatches } from '../../src/common/scram.ts';
import { DataCluster } from './data-cluster.ts';

let cluster: DataCluster;
let server: string;
beforeEach(async () => {
  cluster = new DataCluster();
  server = await cluster.start();
});
afterEach(async () => {
  await cluster.close();
});

async function run(main: typeof aclsMain, ...args: string[]) {
  const io = bufferedIo();
  const code = await main(['--bootstrap-server', server, ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
const acls = (...args: string[]) => run(aclsMain, ...args);
const configs = (...args: string[]) => run(configsMain, ...args);

describe('acls', () => {
  it('--add prints what it adds and the ACLs now on the resource; --list shows them', async () => {
    const added = await acls(
      '--add',
      '--allow-principal',
      'User:alice',
      '--operation',
      'Read',
      '--operation',
      'Describe',
      '--topic',
      'orders',
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toEqual([
      'Adding ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`: ',
      '\t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)',
      '\t(principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW)',
      '',
      'Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)`: ',
      '\t(principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW)',
      '\t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)',
      '',
    ]);
    expect(cluster.node.image().security.acls.size).toBe(2);
    const listed = await acls('--list');
    expect(listed.stdout.filter((line) => line.startsWith('\t'))).toHaveLength(2);
  });

  it("--producer and --consumer expand to Kafka's operation sets; prefixed patterns; deny hosts", async () => {
    expect(
      (
        await acls(
          '--add',
          '--allow-principal',
          'User:app',
          '--producer',
          '--topic',
          'in-',
          '--resource-pattern-type',
          'prefixed',
        )
      ).code,
    ).toBe(0);
    expect(
      (await acls('--add', '--allow-principal', 'User:app', '--consumer', '--topic', 'out', '--group', 'g'))
        .code,
    ).toBe(0);
    expect(
      (
        await acls(
          '--add',
          '--deny-principal',
          'User:mallory',
          '--deny-host',
          '10.0.0.9',
          '--cluster',
          '--operation',
          'Alter',
        )
      ).code,
    ).toBe(0);
    const bindings = [...cluster.node.image().security.acls.values()].map(
      (acl) =>
        `${acl.resourceType}:${acl.resourceName}:${acl.patternType}:${acl.operation}:${acl.permissionType}:${acl.host}`,
    );
    expect(bindings.sort()).toEqual(
      [
        'TOPIC:in-:PREFIXED:WRITE:ALLOW:*',
        'TOPIC:in-:PREFIXED:DESCRIBE:ALLOW:*',
        'TOPIC:in-:PREFIXED:CREATE:ALLOW:*',
        'TOPIC:out:LITERAL:READ:ALLOW:*',
        'TOPIC:out:LITERAL:DESCRIBE:ALLOW:*',
        'GROUP:g:LITERAL:READ:ALLOW:*',
        'CLUSTER:kafka-cluster:LITERAL:ALTER:DENY:10.0.0.9',
      ].sort(),
    );
    const matching = await acls('--list', '--topic', 'in-orders', '--resource-pattern-type', 'match');
    expect(matching.stdout[0]).toBe(
      'Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=in-, patternType=PREFIXED)`: ',
    );
  });

  it('--remove --force deletes the given entries, or every ACL of the resource', async () => {
    await acls(
      '--add',
      '--allow-principal',
      'User:alice',
      '--allow-principal',
      'User:bob',
      '--operation',
      'Read',
      '--topic',
      'orders',
    );
    expect(
      (
        await acls(
          '--remove',
          '--force',
          '--allow-principal',
          'User:bob',
          '--operation',
          'Read',
          '--topic',
          'orders',
        )
      ).code,
    ).toBe(0);
    expect([...cluster.node.image().security.acls.values()].map((acl) => acl.principal)).toEqual([
      'User:alice',
    ]);
    expect((await acls('--remove', '--force', '--topic', 'orders')).code).toBe(0);
    expect(cluster.node.image().security.acls.size).toBe(0);
  });

  it('refuses bad command lines with usage errors (exit 2) and server refusals with exit 1', async () => {
    const usage =
      (...args: string[]) =>
      () =>
        parseAclCommand(args);
    expect(usage('--add', '--topic', 't')).toThrow(/--allow-principal, --deny-principal/);
    expect(usage('--add', '--allow-principal', 'User:a')).toThrow(/at least one resource/);
    expect(usage('--remove', '--topic', 't')).toThrow(/--force/);
    expect(usage('--add', '--list')).toThrow(UsageError);
    expect(usage('--add', '--allow-principal', 'alice', '--topic', 't')).toThrow(/User:<name>/);
    expect(usage('--add', '--allow-principal', 'User:a', '--group', 'g', '--operation', 'Write')).toThrow(
      /GROUP only supports/,
    );
    expect(
      usage('--add', '--allow-principal', 'User:a', '--topic', 't', '--resource-pattern-type', 'match'),
    ).toThrow(/not valid when adding/);
    expect((await acls('--add', '--topic', 't')).code).toBe(2);
    const refused = await acls(
      '--add',
      '--allow-principal',
      'User:a',
      '--allow-host',
      'example.com',
      '--topic',
      't',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr.join('\n')).toMatch(/neither an IP address nor \*/);
  });
});

describe('configs', () => {
  it("splits --add-config as Kafka's (commas inside brackets stay)", () => {
    expect(splitConfigs('SCRAM-SHA-256=[iterations=8192,password=a,b],producer_byte_rate=1024')).toEqual([
      ['SCRAM-SHA-256', '[iterations=8192,password=a,b]'],
      ['producer_byte_rate', '1024'],
    ]);
  });

  it("alters and describes a user's SCRAM credentials and quotas", async () => {
    const altered = await configs(
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      'alice',
      '--add-config',
      'SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret],producer_byte_rate=1048576',
    );
    expect(altered).toEqual({ code: 0, stdout: ['Completed updating config for user alice.'], stderr: [] });
    const credential = cluster.node.image().security.scramCredentials.get('alice')?.get('SCRAM-SHA-256');
    expect(credential?.iterations).toBe(8192);
    expect(passwordMatches(credential!, 'alice-secret')).toBe(true);
    expect((await configs('--describe', '--entity-type', 'users', '--entity-name', 'alice')).stdout).toEqual([
      "Quota configs for user-principal 'alice' are producer_byte_rate=1048576.0",
      "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096",
    ]);
    await configs(
      '--alter',
      '--entity-type',
      'users',
      '--entity-default',
      '--add-config',
      'consumer_byte_rate=2048',
    );
    await configs('--alter', '--user', 'alice', '--delete-config', 'SCRAM-SHA-512,producer_byte_rate');
    expect((await configs('--describe', '--entity-type', 'users')).stdout).toEqual([
      'Quota configs for the default user-principal are consumer_byte_rate=2048.0',
      "Quota configs for user-principal 'alice' are ",
      "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192",
    ]);
  });

  it('alters and describes topic configs', async () => {
    await cluster.createTopic('orders', 1);
    expect(
      (
        await configs(
          '--alter',
          '--entity-type',
          'topics',
          '--entity-name',
          'orders',
          '--add-config',
          'retention.ms=60000',
        )
      ).stdout,
    ).toEqual(['Completed updating config for topic orders.']);
    expect((await configs('--describe', '--topic', 'orders')).stdout).toEqual([
      'Dynamic configs for topic orders are:',
      '  retention.ms=60000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=60000}',
    ]);
  });

  it('refuses bad command lines, and reports server refusals without echoing passwords', async () => {
    const usage =
      (...args: string[]) =>
      () =>
        parseConfigCommand(args);
    expect(
      usage(
        '--alter',
        '--entity-type',
        'users',
        '--entity-default',
        '--add-config',
        'SCRAM-SHA-256=[password=x]',
      ),
    ).toThrow(/not allowed with User SCRAM Credentials/);
    expect(
      usage(
        '--alter',
        '--entity-type',
        'users',
        '--entity-name',
        'a',
        '--add-config',
        'request_percentage=5',
      ),
    ).toThrow(/Invalid config/);
    expect(usage('--alter', '--entity-type', 'users', '--entity-name', 'a')).toThrow(
      /At least one of --add-config/,
    );
    expect(usage('--describe', '--entity-type', 'brokers')).toThrow(/users or topics/);
    const refused = await configs(
      '--alter',
      '--user',
      'a',
      '--add-config',
      'SCRAM-SHA-256=[iterations=100,password=s3cret]',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr.join('\n')).toMatch(/Iterations 100 must be between 4096 and 16384/);
    expect(refused.stderr.join('\n')).not.toContain('s3cret');
  });
});
