import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consumerGroupsMain, parseGroupCommand } from '../../src/cli/consumer-groups.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { DataCluster } from './data-cluster.ts';

function usageError(argv: string[]): string {
  try {
    parseGroupCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseGroupCommand', () => {
  it("applies Kafka's option rules", () => {
    expect(usageError([])).toBe(
      'Command must include exactly one action: --list, --describe, --delete, --reset-offsets',
    );
    expect(usageError(['--list', '--describe'])).toMatch(/^Command must include exactly one action/);
    expect(usageError(['--describe'])).toBe(
      'Option [describe] takes one of these options: [all-groups], [group]',
    );
    expect(usageError(['--reset-offsets', '--group', 'g', '--topic', 't'])).toMatch(
      /takes exactly one of these options/,
    );
    expect(usageError(['--reset-offsets', '--group', 'g', '--to-earliest'])).toBe(
      'One of the reset scopes should be defined: --all-topics, --topic.',
    );
    expect(
      usageError([
        '--reset-offsets',
        '--group',
        'g',
        '--all-topics',
        '--to-latest',
        '--dry-run',
        '--execute',
      ]),
    ).toBe("Option [dry-run] can't be used with option [execute]");
    expect(usageError(['--reset-offsets', '--group', 'g', '--all-topics', '--to-offset', 'x'])).toBe(
      "Cannot parse argument 'x' of option to-offset",
    );
    expect(usageError(['--list', '--to-earliest'])).toBe(
      'Option [to-earliest] can only be used with [reset-offsets]',
    );
    expect(
      parseGroupCommand([
        '--reset-offsets',
        '--group',
        'g',
        '--topic',
        't:0,2',
        '--shift-by',
        '-2',
        '--execute',
      ]),
    ).toMatchObject({
      action: 'reset-offsets',
      groups: ['g'],
      topics: [{ topic: 't', partitions: [0, 2] }],
      reset: { kind: 'shift-by', shift: -2 },
      execute: true,
      implicitDryRun: false,
    });
  });
});

describe('consumer-groups against a node', () => {
  let cluster: DataCluster;
  let server: string;

  beforeEach(async () => {
    cluster = new DataCluster();
    server = await cluster.start();
    await cluster.createTopic('orders', 2);
    for (const [partition, count] of [
      [0, 5],
      [1, 3],
    ] as const) {
      for (let i = 0; i < count; i++) {
        await cluster.node.data.produce({
          topicName: 'orders',
          partitionId: partition,
          records: buildRecordBatch({
            records: [{ timestamp: 0, key: null, value: Buffer.from(`v${i}`), headers: [] }],
          }),
          acks: -1,
          timeoutMs: 1000,
        });
      }
    }
  });

  afterEach(async () => {
    await cluster.close();
  });

  async function run(...args: string[]) {
    const io = bufferedIo();
    const code = await consumerGroupsMain(['--bootstrap-server', server, ...args], io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  }

  async function member(groupId: string): Promise<string> {
    const joined = await cluster.node.groups.join({
      groupId,
      memberId: null,
      clientId: 'console',
      host: '/127.0.0.1',
      topics: ['orders'],
      sessionTimeoutMs: 45_000,
    });
    await cluster.node.groups.commit({
      groupId,
      memberId: joined.memberId,
      generation: joined.generation,
      offsets: [{ topic: 'orders', partition: 0, offset: 2, metadata: '' }],
    });
    return joined.memberId;
  }

  it('lists groups and describes one with Kafka columns', async () => {
    const id = await member('g');
    await cluster.node.groups.commit({
      groupId: 'idle',
      memberId: null,
      generation: -1,
      offsets: [{ topic: 'orders', partition: 1, offset: 3, metadata: '' }],
    });
    expect(await run('--list')).toEqual({ code: 0, stdout: ['g', 'idle'], stderr: [] });
    const described = await run('--describe', '--group', 'g');
    expect(described.code).toBe(0);
    const pad = (text: string, width: number) => text.padEnd(width);
    const w = id.length;
    expect(described.stdout).toEqual([
      '',
      `${pad('GROUP', 15)} ${pad('TOPIC', 15)} ${pad('PARTITION', 10)} ${pad('CURRENT-OFFSET', 15)} ${pad('LOG-END-OFFSET', 15)} ${pad('LAG', 15)} ${pad('CONSUMER-ID', w)} ${pad('HOST', 15)} CLIENT-ID`,
      `${pad('g', 15)} ${pad('orders', 15)} ${pad('0', 10)} ${pad('2', 15)} ${pad('5', 15)} ${pad('3', 15)} ${id} ${pad('/127.0.0.1', 15)} console`,
      `${pad('g', 15)} ${pad('orders', 15)} ${pad('1', 10)} ${pad('-', 15)} ${pad('3', 15)} ${pad('-', 15)} ${id} ${pad('/127.0.0.1', 15)} console`,
    ]);
    const idle = await run('--describe', '--group', 'idle');
    expect(idle.stdout.slice(0, 3)).toEqual(['', "Consumer group 'idle' has no active members.", '']);
    expect(idle.stdout[4]).toMatch(/^idle +orders +1 +3 +3 +0 +- +- +-$/);
    const members = await run('--describe', '--members', '--verbose', '--group', 'g');
    expect(members.stdout[1]).toMatch(/^GROUP +CONSUMER-ID +HOST +CLIENT-ID +#PARTITIONS +ASSIGNMENT$/);
    expect(members.stdout[2]).toMatch(new RegExp(`^g +${id} +/127.0.0.1 +console +2 +orders\\(0,1\\)$`));
    const missing = await run('--describe', '--group', 'nope');
    expect(missing).toEqual({
      code: 1,
      stdout: [],
      stderr: ["Error: Consumer group 'nope' does not exist."],
    });
  });

  it('resets offsets only of an inactive group: dry run, execute, shift-by with clamping', async () => {
    const id = await member('g');
    const refused = await run(
      '--reset-offsets',
      '--group',
      'g',
      '--all-topics',
      '--to-earliest',
      '--execute',
    );
    expect(refused).toEqual({
      code: 1,
      stdout: [],
      stderr: [
        "Error: Assignments can only be reset if the group 'g' is inactive, but the current state is Stable.",
      ],
    });
    await cluster.node.groups.leave({ groupId: 'g', memberId: id });
    const dry = await run('--reset-offsets', '--group', 'g', '--topic', 'orders', '--to-latest');
    expect(dry.code).toBe(0);
    expect(dry.stderr[0]).toMatch(/^WARN: No action will be performed as the --execute option is missing/);
    expect(dry.stdout).toEqual([
      '',
      'GROUP TOPIC  PARTITION  NEW-OFFSET',
      'g     orders 0          5',
      'g     orders 1          3',
    ]);
    expect(await cluster.node.groups.fetchOffsets({ groupId: 'g', partitions: null })).toHaveLength(1);
    const executed = await run(
      '--reset-offsets',
      '--group',
      'g',
      '--topic',
      'orders:1',
      '--to-offset',
      '1',
      '--execute',
    );
    expect(executed.stdout).toEqual(['', 'GROUP TOPIC  PARTITION  NEW-OFFSET', 'g     orders 1          1']);
    const shifted = await run(
      '--reset-offsets',
      '--group',
      'g',
      '--all-topics',
      '--shift-by',
      '10',
      '--execute',
    );
    expect(shifted.stderr).toEqual([
      'New offset (12) is higher than latest offset for topic partition orders-0. Value will be set to 5',
      'New offset (11) is higher than latest offset for topic partition orders-1. Value will be set to 3',
    ]);
    expect(await cluster.node.groups.fetchOffsets({ groupId: 'g', partitions: null })).toEqual([
      { topic: 'orders', partition: 0, offset: 5, metadata: '' },
      { topic: 'orders', partition: 1, offset: 3, metadata: '' },
    ]);
    expect(
      (await run('--reset-offsets', '--group', 'g', '--topic', 'nope', '--to-earliest', '--execute')).stderr,
    ).toEqual(["Error: Executing consumer group command failed due to Topic 'nope' does not exist."]);
  });

  it('deletes empty groups and reports the ones it cannot delete', async () => {
    const id = await member('g');
    const busy = await run('--delete', '--group', 'g');
    expect(busy).toEqual({
      code: 1,
      stdout: [],
      stderr: [
        'Error: Deletion of some consumer groups failed:',
        "* Group 'g' could not be deleted due to: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.",
      ],
    });
    await cluster.node.groups.leave({ groupId: 'g', memberId: id });
    expect(await run('--delete', '--group', 'g')).toEqual({
      code: 0,
      stdout: ["Deletion of requested consumer groups ('g') was successful."],
      stderr: [],
    });
    expect((await run('--delete', '--group', 'g')).stderr[1]).toBe(
      "* Group 'g' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.",
    );
  });

  it('is a tool of main.ts', async () => {
    const io = bufferedIo();
    expect(await main(['consumer-groups', '--bootstrap-server', server, '--list'], io)).toBe(0);
    expect(io.stdout).toEqual([]);
    expect(await main(['consumer-groups', '--help'], bufferedIo())).toBe(0);
  });
});
