// ACLs, SCRAM credentials and quotas on real node processes: created through REST, the CLI tools and the
// Kafka protocol (kafkajs' admin), listed by every node, kept across a restart of every node and a
// controller failover; the --add-scram bootstrap user exists from the start. (Enforcement and
// authentication are other parts: these nodes run without an authorizer.)
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { aclsMain } from '../../src/cli/acls.ts';
import { configsMain } from '../../src/cli/configs.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.create({
    controllers: 3,
    args: ['--add-scram', 'SCRAM-SHA-256=[name=admin,password=admin-secret]'],
  });
  await cluster.startAll();
}, 60_000);
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  for (const id of cluster.nodes.keys())
    console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
});
afterAll(async () => {
  await cluster?.destroy();
});

const path = (suffix: string) => `/v3/clusters/${cluster.clusterId}${suffix}`;
const server = (id: number) => `127.0.0.1:${cluster.node(id).clientPort}`;

async function tool(main: typeof aclsMain, id: number, ...args: string[]): Promise<string[]> {
  const io = bufferedIo();
  const code = await main(['--bootstrap-server', server(id), ...args], io);
  expect(code, io.stderr.join('\n')).toBe(0);
  return io.stdout;
}

/** "TYPE:name:PATTERN:principal:host:OPERATION:PERMISSION" of every ACL node `id` lists, sorted. */
async function aclsOf(id: number): Promise<string[]> {
  const answer = await cluster.get(id, path('/acls'));
  expect(answer.status).toBe(200);
  return (answer.body.data as Record<string, string>[])
    .map((acl) =>
      [
        acl.resource_type,
        acl.resource_name,
        acl.pattern_type,
        acl.principal,
        acl.host,
        acl.operation,
        acl.permission,
      ].join(':'),
    )
    .sort();
}

/** "user:MECHANISM/iterations,..." of every user with a SCRAM credential, as node `id` lists them. */
async function usersOf(id: number): Promise<string[]> {
  const answer = await cluster.get(id, path('/user-scram-credentials'));
  expect(answer.status).toBe(200);
  return (answer.body.data as { user: string; credentials: { mechanism: string; iterations: number }[] }[])
    .map((user) => `${user.user}:${user.credentials.map((c) => `${c.mechanism}/${c.iterations}`).join(',')}`)
    .sort();
}

async function everyRunningNodeShows(expectedAcls: string[], expectedUsers: string[]): Promise<void> {
  for (const node of cluster.nodes.values()) {
    if (node.process === null) continue;
    await waitFor(`node ${node.id} listing the ACLs and users`, async () => {
      const [acls, users] = [await aclsOf(node.id), await usersOf(node.id)];
      return (
        JSON.stringify(acls) === JSON.stringify(expectedAcls) &&
        JSON.stringify(users) === JSON.stringify(expectedUsers)
      );
    });
  }
}

function kafkaAdmin(id: number) {
  return new Kafka({
    clientId: 'acls-it',
    brokers: [`127.0.0.1:${cluster.node(id).kafkaPort}`],
    logLevel: logLevel.NOTHING,
  }).admin();
}

const ACLS = [
  'CLUSTER:kafka-cluster:LITERAL:User:ops:*:ALTER:ALLOW',
  'GROUP:app:LITERAL:User:bob:*:READ:ALLOW',
  'TOPIC:orders:LITERAL:User:alice:*:READ:ALLOW',
  'TOPIC:pay-:PREFIXED:User:bob:10.0.0.1:WRITE:DENY',
];
const USERS = ['admin:SCRAM-SHA-256/4096', 'alice:SCRAM-SHA-512/8192', 'bob:SCRAM-SHA-256/4096'];

describe('ACLs and SCRAM credentials in the metadata log', () => {
  it('are created through REST, the CLI and the Kafka protocol, and listed by every node', async () => {
    expect(await usersOf(1)).toEqual(['admin:SCRAM-SHA-256/4096']);
    const created = await cluster.http(1, 'POST', path('/acls'), {
      resource_type: 'TOPIC',
      resource_name: 'orders',
      pattern_type: 'LITERAL',
      principal: 'User:alice',
      host: '*',
      operation: 'READ',
      permission: 'ALLOW',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await tool(aclsMain, 2, '--add', '--allow-principal', 'User:ops', '--cluster', '--operation', 'Alter');
    await tool(
      aclsMain,
      2,
      '--add',
      '--allow-principal',
      'User:bob',
      '--group',
      'app',
      '--operation',
      'Read',
    );
    const admin = kafkaAdmin(3);
    await admin.connect();
    try {
      await admin.createAcls({
        acl: [
          {
            resourceType: AclResourceTypes.TOPIC,
            resourceName: 'pay-',
            resourcePatternType: ResourcePatternTypes.PREFIXED,
            principal: 'User:bob',
            host: '10.0.0.1',
            operation: AclOperationTypes.WRITE,
            permissionType: AclPermissionTypes.DENY,
          },
        ],
      });
      const described = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      // kafkajs throws on a response error code; the answer itself carries the resources.
      expect(described.resources.map((resource) => resource.resourceName).sort()).toEqual([
        'app',
        'kafka-cluster',
        'orders',
        'pay-',
      ]);
    } finally {
      await admin.disconnect();
    }
    const altered = await cluster.http(1, 'POST', path('/user-scram-credentials:alter'), {
      upsertions: [{ user: 'alice', mechanism: 'SCRAM-SHA-512', iterations: 8192, password: 'alice-secret' }],
    });
    expect(altered.status, JSON.stringify(altered.body)).toBe(204);
    await tool(
      configsMain,
      3,
      '--alter',
      '--entity-type',
      'users',
      '--entity-name',
      'bob',
      '--add-config',
      'SCRAM-SHA-256=[password=bob-secret],producer_byte_rate=1048576',
    );
    await everyRunningNodeShows(ACLS, USERS);
    // The quota is a record of its own, committed after the credential: node 1 may apply it a moment
    // later (as a Kafka broker's metadata cache may), so the describe is waited for, not raced.
    const expected = [
      "Quota configs for user-principal 'bob' are producer_byte_rate=1048576.0",
      "SCRAM credential configs for user-principal 'bob' are SCRAM-SHA-256=iterations=4096",
    ];
    let described: string[] = [];
    await waitFor('node 1 describing bob', async () => {
      described = await tool(configsMain, 1, '--describe', '--user', 'bob');
      return JSON.stringify(described) === JSON.stringify(expected);
    }).catch(() => undefined);
    expect(described).toEqual(expected);
  }, 60_000);

  it('survive a restart of every node', async () => {
    for (const id of cluster.nodes.keys()) await cluster.stop(id, 'SIGTERM');
    await cluster.startAll();
    await everyRunningNodeShows(ACLS, USERS);
    // The bootstrap credential is not written again by the controllers of an existing log.
    expect(await usersOf(2)).toContain('admin:SCRAM-SHA-256/4096');
  }, 90_000);

  it('survive a controller failover, and change through the new controller', async () => {
    const leader = (await cluster.quorum(1)).body.leader_id as number;
    await cluster.stop(leader, 'SIGKILL');
    const survivor = [...cluster.nodes.keys()].find((id) => id !== leader)!;
    await waitFor(
      'a new metadata leader',
      async () => {
        const quorum = await cluster.quorum(survivor);
        return quorum.status === 200 && quorum.body.leader_id !== leader ? true : undefined;
      },
      20_000,
    );
    await tool(
      aclsMain,
      survivor,
      '--remove',
      '--force',
      '--allow-principal',
      'User:ops',
      '--cluster',
      '--operation',
      'Alter',
    );
    const deleted = await cluster.http(survivor, 'POST', path('/user-scram-credentials:alter'), {
      deletions: [{ user: 'bob', mechanism: 'SCRAM-SHA-256' }],
    });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    const acls = ACLS.filter((acl) => !acl.startsWith('CLUSTER'));
    const users = USERS.filter((user) => !user.startsWith('bob'));
    await everyRunningNodeShows(acls, users);
    cluster.start(leader);
    await cluster.waitReady();
    await everyRunningNodeShows(acls, users);
  }, 90_000);
});
