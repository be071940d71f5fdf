// Issue 8: the admin tools inherit what a Kafka client does (through the SDK's Admin). With
// `--bootstrap-server` naming the active controller (the metadata quorum's leader) then another node, a
// kill -9 of the first before or while `topics --create`,
// `topics --describe` and `consumer-groups --describe` run does not fail them: they go on through the
// other nodes, and ask again while the cluster moves (a new controller, a new group coordinator). A
// retriable error that outlasts default.api.timeout.ms is reported with the cluster's message.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consumerGroupsMain } from '../../src/cli/consumer-groups.ts';
import { bufferedIo, type Io } from '../../src/cli/io.ts';
import { topicsMain } from '../../src/cli/topics.ts';
import { Admin } from '../../src/client/admin.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';

let cluster: ProcessCluster | null = null;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'admin-failover-'));
  cluster = await ProcessCluster.create({ controllers: 3 });
  await cluster.startAll();
}, 60_000);

afterEach(async (context) => {
  if (cluster !== null && context.task.result?.state === 'fail') {
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  }
  await cluster?.destroy();
  cluster = null;
  rmSync(dir, { recursive: true, force: true });
});

function address(id: number): string {
  return `127.0.0.1:${cluster!.node(id).clientPort}`;
}

/** The active controller first, then another node: killing the first also makes the cluster elect. */
async function controllerThenOther(): Promise<{ controller: number; other: number; bootstrap: string }> {
  const controller = await waitFor('a quorum leader', async () => {
    const leader = (await cluster!.quorum(1)).body.leader_id as number;
    return leader > 0 ? leader : undefined;
  });
  const other = controller === 1 ? 2 : 1;
  return { controller, other, bootstrap: `${address(controller)},${address(other)}` };
}

async function run(
  main: (argv: readonly string[], io: Io) => Promise<number>,
  ...args: string[]
): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const io = bufferedIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('admin tools when a node dies (real processes)', () => {
  it('create, describe and describe a group through another node when the controller was killed just before', async () => {
    const { controller, other, bootstrap } = await controllerThenOther();
    // A group with committed offsets (and no members), written before the kill.
    const admin = new Admin({ bootstrap: `http://${address(other)}` });
    try {
      await admin.createTopics([{ topic: 'before', numPartitions: 2, replicationFactor: 3 }]);
      await waitFor('before on every node', async () => {
        for (const id of [1, 2, 3]) if ((await cluster!.partitions(id, 'before')).length !== 2) return false;
        return true;
      });
      await admin.alterConsumerGroupOffsets('g', [
        { topic: 'before', partition: 0, offset: 0 },
        { topic: 'before', partition: 1, offset: 0 },
      ]);
    } finally {
      await admin.close();
    }
    await cluster!.stop(controller, 'SIGKILL');

    expect(
      await run(
        topicsMain,
        '--bootstrap-server',
        bootstrap,
        '--create',
        '--topic',
        'after',
        '--partitions',
        '3',
        '--replication-factor',
        '2',
      ),
    ).toEqual({ code: 0, stdout: ['Created topic after.'], stderr: [] });

    const described = await run(
      topicsMain,
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--topic',
      'after',
    );
    expect(described.code, described.stderr.join('\n')).toBe(0);
    expect(described.stdout[0]).toMatch(
      /^Topic: after\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 2\t/,
    );
    expect(described.stdout).toHaveLength(4);

    // The group's coordinator may have been node 1: the tool asks again until another one serves it.
    const group = await run(
      consumerGroupsMain,
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--group',
      'g',
    );
    expect(group.code, group.stderr.join('\n')).toBe(0);
    expect(group.stdout.slice(0, 2)).toEqual(['', "Consumer group 'g' has no active members."]);
    expect(group.stdout.filter((line) => /^g\s+before\s+[01]\s+0\s/.test(line))).toHaveLength(2);
  }, 120_000);

  it('a create under way when the controller is killed succeeds (or, applied before its answer was lost, is silent with --if-not-exists)', async () => {
    const { controller, bootstrap } = await controllerThenOther();
    const creating = run(
      topicsMain,
      '--bootstrap-server',
      bootstrap,
      '--create',
      '--if-not-exists',
      '--topic',
      'during',
      '--partitions',
      '2',
      '--replication-factor',
      '2',
    );
    await cluster!.stop(controller, 'SIGKILL');
    const created = await creating;
    expect(created.code, created.stderr.join('\n')).toBe(0);
    expect(created.stderr).toEqual([]);
    const described = await run(
      topicsMain,
      '--bootstrap-server',
      bootstrap,
      '--describe',
      '--topic',
      'during',
    );
    expect(described.code, described.stderr.join('\n')).toBe(0);
    expect(described.stdout[0]).toMatch(/^Topic: during\t.*PartitionCount: 2\tReplicationFactor: 2\t/);
  }, 120_000);

  it('reports a retriable error that outlasts default.api.timeout.ms with the cluster message', async () => {
    // Two of three voters gone: no controller can be elected, so the create keeps being refused.
    await cluster!.stop(1, 'SIGKILL');
    await cluster!.stop(2, 'SIGKILL');
    const config = join(dir, 'client.properties');
    writeFileSync(config, 'default.api.timeout.ms=8000\n');
    const started = Date.now();
    const result = await run(
      topicsMain,
      '--bootstrap-server',
      address(3),
      '--command-config',
      config,
      '--create',
      '--topic',
      'never',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(8000);
    expect(result.code).toBe(1);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(
      /^Error while executing topic command : POST \/v3\/clusters\/\S+\/topics did not succeed within .*\(8000 ms\): (NOT_CONTROLLER|REQUEST_TIMED_OUT): /,
    );
  }, 120_000);
});
