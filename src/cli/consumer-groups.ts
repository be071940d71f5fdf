// `consumer-groups`: the equivalent of Kafka's kafka-consumer-groups.sh (org.apache.kafka.tools.consumer.
// group.ConsumerGroupCommand) on the SDK's Admin (REST v3; failover and retries): --list, --describe [--members [--verbose]], --delete, and
// --reset-offsets (--to-earliest | --to-latest | --to-offset N | --shift-by N; --dry-run | --execute)
// with Kafka's messages and table layouts. A reset commits through POST .../consumer-groups/{g}/offsets
// (ours: a commit for a group without members). Differences: src/cli/README.md.

import type { Admin } from '../client/admin.ts';
import { adminCall, CliError, EXIT_ERROR, EXIT_OK, HelpRequested, UsageError } from './errors.ts';
import { startTool } from './tool-start.ts';
import type { Io, OptionSpec } from './io.ts';
import { formatOptionTable, parseOptions } from './io.ts';
import { COMMAND_CONFIG_OPTION, DEFAULT_BOOTSTRAP_SERVER } from './client-config.ts';

export type GroupAction = 'list' | 'describe' | 'delete' | 'reset-offsets';
export type ResetSpec =
  | { readonly kind: 'to-earliest' }
  | { readonly kind: 'to-latest' }
  | { readonly kind: 'to-offset'; readonly offset: number }
  | { readonly kind: 'shift-by'; readonly shift: number };

export interface GroupCommand {
  /** --command-config: a client properties file (TLS settings, SASL credentials). */
  readonly commandConfig: string | null;
  readonly action: GroupAction;
  readonly bootstrapServer: string;
  readonly groups: readonly string[];
  readonly allGroups: boolean;
  readonly members: boolean;
  readonly verbose: boolean;
  /** --topic values: `t` (every partition) or `t:0,1`. */
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] | null }[];
  readonly allTopics: boolean;
  readonly reset: ResetSpec | null;
  /** --execute; otherwise a dry run. */
  readonly execute: boolean;
  /** Neither --dry-run nor --execute: Kafka warns and does a dry run. */
  readonly implicitDryRun: boolean;
}

export const GROUP_OPTIONS: readonly OptionSpec[] = [
  { name: 'all-groups', type: 'boolean', description: 'Apply to all consumer groups.' },
  {
    name: 'all-topics',
    type: 'boolean',
    description: 'Consider all topics assigned to a group in the reset-offsets process.',
  },
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `The server(s) to connect to (the REST API of any node). Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  COMMAND_CONFIG_OPTION,
  {
    name: 'delete',
    type: 'boolean',
    description:
      'Pass in groups to delete topic partition offsets and ownership information over the entire consumer group.',
  },
  {
    name: 'describe',
    type: 'boolean',
    description:
      'Describe consumer group and list offset lag (number of messages not yet processed) related to given group.',
  },
  {
    name: 'dry-run',
    type: 'boolean',
    description: 'Only show results without executing changes on Consumer Groups.',
  },
  { name: 'execute', type: 'boolean', description: 'Execute operation.' },
  {
    name: 'group',
    type: 'string',
    multiple: true,
    argName: 'consumer group',
    description: 'The consumer group we wish to act on.',
  },
  { name: 'help', type: 'boolean', description: 'Print usage information.' },
  { name: 'list', type: 'boolean', description: 'List all consumer groups.' },
  { name: 'members', type: 'boolean', description: 'Describe members of the group (with --describe).' },
  {
    name: 'offsets',
    type: 'boolean',
    description:
      'Describe the group and list all topic partitions in the group along with their offset lag (the default of --describe).',
  },
  {
    name: 'reset-offsets',
    type: 'boolean',
    description:
      'Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive.',
  },
  {
    name: 'shift-by',
    type: 'string',
    argName: 'Long: number-of-offsets',
    description: 'Reset offsets shifting current offset by n, where n can be positive or negative.',
  },
  { name: 'to-earliest', type: 'boolean', description: 'Reset offsets to earliest offset.' },
  { name: 'to-latest', type: 'boolean', description: 'Reset offsets to latest offset.' },
  {
    name: 'to-offset',
    type: 'string',
    argName: 'Long: offset',
    description: 'Reset offsets to a specific offset.',
  },
  {
    name: 'topic',
    type: 'string',
    multiple: true,
    argName: 'topic',
    description:
      'The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`.',
  },
  {
    name: 'verbose',
    type: 'boolean',
    description:
      "Provide additional information, if any, when describing the group (the members' assignments).",
  },
];

const UNSUPPORTED_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['delete-offsets', 'delete the group (--delete) instead'],
  ['to-datetime', 'use --to-offset or --shift-by'],
  ['by-duration', 'use --to-offset or --shift-by'],
  ['from-file', 'use --to-offset per --topic t:p'],
  ['to-current', 'nothing to do: the committed offsets stay as they are'],
  ['export', 'not supported'],
  ['state', 'the state is in the output of --describe --members'],
  ['timeout', 'not supported'],
]);

export const GROUP_TOOL_DESCRIPTION =
  'This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.';

export function groupUsage(): string[] {
  return [GROUP_TOOL_DESCRIPTION, ...formatOptionTable(GROUP_OPTIONS)];
}

function parseLong(value: string, name: string): number {
  const trimmed = value.trim();
  const parsed = /^[+-]?\d{1,16}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(parsed))
    throw new UsageError(`Cannot parse argument '${value}' of option ${name}`);
  return parsed;
}

function parseTopic(value: string): GroupCommand['topics'][number] {
  const at = value.lastIndexOf(':');
  if (at < 0) return { topic: value, partitions: null };
  const partitions = value
    .slice(at + 1)
    .split(',')
    .map((p) => {
      if (!/^\d+$/.test(p.trim())) throw new UsageError(`Invalid partition in --topic ${value}`);
      return Number(p.trim());
    });
  return { topic: value.slice(0, at), partitions };
}

/** Parses arguments with Kafka's checks (ConsumerGroupCommandOptions.checkArgs). */
export function parseGroupCommand(argv: readonly string[]): GroupCommand {
  const args = parseOptions(argv, GROUP_OPTIONS, { unsupported: UNSUPPORTED_OPTIONS });
  if (args.flag('help')) throw new HelpRequested();
  const actions = (['list', 'describe', 'delete', 'reset-offsets'] as const).filter((a) => args.flag(a));
  if (actions.length !== 1) {
    throw new UsageError(
      'Command must include exactly one action: --list, --describe, --delete, --reset-offsets',
      { showUsage: true },
    );
  }
  const action = actions[0]!;
  const groups = args.strings('group');
  const allGroups = args.flag('all-groups');
  if (action !== 'list' && groups.length === 0 && !allGroups) {
    throw new UsageError(`Option [${action}] takes one of these options: [all-groups], [group]`, {
      showUsage: true,
    });
  }
  if (action === 'reset-offsets' && allGroups) {
    throw new UsageError('Option [reset-offsets] takes --group (one group at a time here).', {
      showUsage: true,
    });
  }
  const resetKinds = (['to-earliest', 'to-latest', 'to-offset', 'shift-by'] as const).filter((k) =>
    args.has(k),
  );
  let reset: ResetSpec | null = null;
  if (action === 'reset-offsets') {
    if (resetKinds.length !== 1) {
      throw new UsageError(
        'Option [reset-offsets] takes exactly one of these options: [to-earliest], [to-latest], [to-offset], [shift-by]',
        { showUsage: true },
      );
    }
    const kind = resetKinds[0]!;
    if (kind === 'to-offset') reset = { kind, offset: parseLong(args.string('to-offset')!, 'to-offset') };
    else if (kind === 'shift-by') reset = { kind, shift: parseLong(args.string('shift-by')!, 'shift-by') };
    else reset = { kind };
    if (args.flag('dry-run') && args.flag('execute')) {
      throw new UsageError("Option [dry-run] can't be used with option [execute]", { showUsage: true });
    }
    if (args.strings('topic').length === 0 && !args.flag('all-topics')) {
      throw new UsageError('One of the reset scopes should be defined: --all-topics, --topic.', {
        showUsage: true,
      });
    }
    if (args.strings('topic').length > 0 && args.flag('all-topics')) {
      throw new UsageError("Option [all-topics] can't be used with option [topic]", { showUsage: true });
    }
  } else if (resetKinds.length > 0) {
    throw new UsageError(`Option [${resetKinds[0]}] can only be used with [reset-offsets]`, {
      showUsage: true,
    });
  }
  if (args.flag('members') && action !== 'describe') {
    throw new UsageError('Option [members] can only be used with [describe]', { showUsage: true });
  }
  return {
    action,
    bootstrapServer: args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
    commandConfig: args.string('command-config') ?? null,
    groups,
    allGroups,
    members: args.flag('members'),
    verbose: args.flag('verbose'),
    topics: args.strings('topic').map(parseTopic),
    allTopics: args.flag('all-topics'),
    reset,
    execute: args.flag('execute'),
    implicitDryRun: action === 'reset-offsets' && !args.flag('execute') && !args.flag('dry-run'),
  };
}

// ---------------------------------------------------------------------------------------------------
// Reading the cluster.

interface MemberInfo {
  readonly consumerId: string;
  readonly clientId: string;
  readonly host: string;
  readonly assignment: readonly { readonly topic: string; readonly partition: number }[];
}

interface GroupInfo {
  readonly groupId: string;
  /** Kafka's casing: Stable, Empty, Dead. */
  readonly state: string;
  readonly exists: boolean;
  readonly members: readonly MemberInfo[];
}

interface LagInfo {
  readonly topic: string;
  readonly partition: number;
  readonly current: number;
  readonly logEnd: number;
}

function kafkaState(state: string): string {
  return state
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

function isNotFound(error: unknown): boolean {
  return error instanceof CliError && error.kind === 'server' && error.status === 404;
}

/** The group's state and members; a group that does not exist is Dead, without members. */
async function groupInfo(admin: Admin, groupId: string): Promise<GroupInfo> {
  try {
    const [group] = await adminCall(admin.describeGroups([groupId]));
    return {
      groupId,
      state: kafkaState(group!.state),
      exists: true,
      members: group!.members.map((member) => ({
        consumerId: member.memberId,
        clientId: member.clientId,
        host: member.host,
        assignment: member.assignment,
      })),
    };
  } catch (error) {
    if (isNotFound(error)) return { groupId, state: 'Dead', exists: false, members: [] };
    throw error;
  }
}

async function lags(admin: Admin, groupId: string): Promise<LagInfo[]> {
  try {
    return (await adminCall(admin.listConsumerGroupOffsets(groupId))).map((lag) => ({
      topic: lag.topic,
      partition: lag.partition,
      current: lag.offset,
      logEnd: lag.logEndOffset,
    }));
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/** Log start and end (high watermark) of a partition. */
async function partitionOffsets(
  admin: Admin,
  topic: string,
  partition: number,
): Promise<{ start: number; end: number }> {
  const [start, end] = await adminCall(
    admin.listOffsets([
      { topic, partition, spec: 'earliest' },
      { topic, partition, spec: 'latest' },
    ]),
  );
  return { start: start!.offset, end: end!.offset };
}

async function topicPartitions(admin: Admin, topic: string): Promise<number[]> {
  try {
    const [description] = await adminCall(admin.describeTopics([topic]));
    return description!.partitions.map((p) => p.partition).sort((a, b) => a - b);
  } catch (error) {
    if (isNotFound(error)) throw new CliError('command', `Topic '${topic}' does not exist.`);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Output: Kafka's printf layouts (each column at least as wide as Kafka's minimum or its widest cell).

function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  minWidths: readonly number[],
): string[] {
  const widths = headers.map((header, i) =>
    i === headers.length - 1
      ? 0
      : Math.max(minWidths[i] ?? 0, header.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join(' ')
      .trimEnd();
  return ['', line(headers), ...rows.map(line)];
}

function byTopicPartition<T extends { topic: string; partition: number }>(a: T, b: T): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
}

async function describeGroup(admin: Admin, command: GroupCommand, groupId: string, io: Io): Promise<boolean> {
  const info = await groupInfo(admin, groupId);
  if (!info.exists) {
    io.err(`Error: Consumer group '${groupId}' does not exist.`);
    return false;
  }
  const memberList = info.members;
  if (command.members) {
    if (memberList.length === 0) {
      io.out('');
      io.out(`Consumer group '${groupId}' has no active members.`);
      return true;
    }
    const headers = [
      'GROUP',
      'CONSUMER-ID',
      'HOST',
      'CLIENT-ID',
      '#PARTITIONS',
      ...(command.verbose ? ['ASSIGNMENT'] : []),
    ];
    const rows = memberList.map((m) => {
      const assignment = [...m.assignment].sort(byTopicPartition);
      const byTopic = new Map<string, number[]>();
      for (const tp of assignment) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
      const text =
        assignment.length === 0 ? '-' : [...byTopic].map(([t, ps]) => `${t}(${ps.join(',')})`).join(', ');
      return [
        groupId,
        m.consumerId,
        m.host,
        m.clientId,
        String(m.assignment.length),
        ...(command.verbose ? [text] : []),
      ];
    });
    for (const line of table(headers, rows, [15, 15, 15, 15, 15])) io.out(line);
    return true;
  }
  const committed = await lags(admin, groupId);
  const owner = new Map<string, MemberInfo>();
  for (const m of memberList) for (const tp of m.assignment) owner.set(`${tp.topic}:${tp.partition}`, m);
  const rows: { topic: string; partition: number; cells: string[] }[] = [];
  const seen = new Set<string>();
  for (const lag of committed) {
    const m = owner.get(`${lag.topic}:${lag.partition}`);
    seen.add(`${lag.topic}:${lag.partition}`);
    rows.push({
      topic: lag.topic,
      partition: lag.partition,
      cells: [
        groupId,
        lag.topic,
        String(lag.partition),
        String(lag.current),
        String(lag.logEnd),
        String(Math.max(0, lag.logEnd - lag.current)),
        m?.consumerId ?? '-',
        m?.host ?? '-',
        m?.clientId ?? '-',
      ],
    });
  }
  // Assigned partitions without a commit: Kafka prints their log end and '-' for the offset and lag.
  for (const m of memberList) {
    for (const tp of m.assignment) {
      if (seen.has(`${tp.topic}:${tp.partition}`)) continue;
      const { end } = await partitionOffsets(admin, tp.topic, tp.partition);
      rows.push({
        ...tp,
        cells: [
          groupId,
          tp.topic,
          String(tp.partition),
          '-',
          String(end),
          '-',
          m.consumerId,
          m.host,
          m.clientId,
        ],
      });
    }
  }
  rows.sort(byTopicPartition);
  if (memberList.length === 0) {
    io.out('');
    io.out(`Consumer group '${groupId}' has no active members.`);
  }
  const headers = [
    'GROUP',
    'TOPIC',
    'PARTITION',
    'CURRENT-OFFSET',
    'LOG-END-OFFSET',
    'LAG',
    'CONSUMER-ID',
    'HOST',
    'CLIENT-ID',
  ];
  for (const line of table(
    headers,
    rows.map((r) => r.cells),
    [15, 15, 10, 15, 15, 15, 15, 15],
  ))
    io.out(line);
  return true;
}

async function deleteGroups(admin: Admin, groupIds: readonly string[], io: Io): Promise<boolean> {
  const failed: [string, string][] = [];
  const deleted: string[] = [];
  for (const groupId of groupIds) {
    try {
      await adminCall(admin.deleteGroups([groupId]));
      deleted.push(groupId);
    } catch (error) {
      if (!(error instanceof CliError) || error.kind !== 'server') throw error;
      const exception =
        error.status === 404
          ? 'org.apache.kafka.common.errors.GroupIdNotFoundException'
          : error.status === 409
            ? 'org.apache.kafka.common.errors.GroupNotEmptyException'
            : 'org.apache.kafka.common.KafkaException';
      failed.push([groupId, `${exception}: ${error.message}`]);
    }
  }
  if (failed.length === 0) {
    io.out(
      `Deletion of requested consumer groups (${deleted.map((g) => `'${g}'`).join(', ')}) was successful.`,
    );
    return true;
  }
  io.err('Error: Deletion of some consumer groups failed:');
  for (const [groupId, why] of failed) io.err(`* Group '${groupId}' could not be deleted due to: ${why}`);
  if (deleted.length > 0) {
    io.out(`These consumer groups were deleted successfully: ${deleted.map((g) => `'${g}'`).join(', ')}`);
  }
  return false;
}

const DRY_RUN_WARNING =
  'WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.';

async function resetOffsets(admin: Admin, command: GroupCommand, groupId: string, io: Io): Promise<boolean> {
  const info = await groupInfo(admin, groupId);
  if (info.exists && info.state !== 'Empty') {
    io.err(
      `Error: Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${info.state}.`,
    );
    return false;
  }
  const committed = await lags(admin, groupId);
  const current = new Map(committed.map((l) => [`${l.topic}:${l.partition}`, l.current]));
  let partitions: { topic: string; partition: number }[];
  if (command.allTopics) {
    partitions = committed.map((l) => ({ topic: l.topic, partition: l.partition }));
  } else {
    partitions = [];
    for (const { topic, partitions: given } of command.topics) {
      const all = await topicPartitions(admin, topic);
      for (const partition of given ?? all) {
        if (!all.includes(partition))
          throw new CliError('command', `Partition ${topic}-${partition} does not exist.`);
        partitions.push({ topic, partition });
      }
    }
  }
  partitions.sort(byTopicPartition);
  const reset = command.reset!;
  const planned: { topic: string; partition: number; offset: number }[] = [];
  for (const tp of partitions) {
    const { start, end } = await partitionOffsets(admin, tp.topic, tp.partition);
    const name = `${tp.topic}-${tp.partition}`;
    let target: number;
    if (reset.kind === 'to-earliest') target = start;
    else if (reset.kind === 'to-latest') target = end;
    else if (reset.kind === 'to-offset') target = reset.offset;
    else {
      const now = current.get(`${tp.topic}:${tp.partition}`);
      if (now === undefined) {
        throw new CliError(
          'command',
          `Cannot shift offset for partition ${name} since there is no current committed offset`,
        );
      }
      target = now + reset.shift;
    }
    // Kafka's checkOffsetRange.
    if (target < start) {
      io.err(
        `New offset (${target}) is lower than earliest offset for topic partition ${name}. Value will be set to ${start}`,
      );
      target = start;
    } else if (target > end) {
      io.err(
        `New offset (${target}) is higher than latest offset for topic partition ${name}. Value will be set to ${end}`,
      );
      target = end;
    }
    planned.push({ ...tp, offset: target });
  }
  if (command.implicitDryRun) io.err(DRY_RUN_WARNING);
  if (command.execute && planned.length > 0) {
    await adminCall(admin.alterConsumerGroupOffsets(groupId, planned));
  }
  const rows = planned.map((p) => [groupId, p.topic, String(p.partition), String(p.offset)]);
  for (const line of table(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], rows, [0, 0, 10])) io.out(line);
  return true;
}

async function allGroupIds(admin: Admin): Promise<string[]> {
  return (await adminCall(admin.listGroups())).map((group) => group.groupId);
}

/** Runs a parsed command; resolves to whether everything succeeded. */
export async function executeGroupCommand(admin: Admin, command: GroupCommand, io: Io): Promise<boolean> {
  if (command.action === 'list') {
    for (const groupId of await allGroupIds(admin)) io.out(groupId);
    return true;
  }
  const groupIds = command.allGroups ? await allGroupIds(admin) : command.groups;
  if (command.action === 'delete') return deleteGroups(admin, groupIds, io);
  let ok = true;
  for (const groupId of groupIds) {
    const done =
      command.action === 'describe'
        ? await describeGroup(admin, command, groupId, io)
        : await resetOffsets(admin, command, groupId, io);
    ok = ok && done;
  }
  return ok;
}

/** `consumer-groups` entry point; resolves to the exit code. */
export async function consumerGroupsMain(argv: readonly string[], io: Io): Promise<number> {
  const started = startTool(argv, io, parseGroupCommand, groupUsage);
  if ('exitCode' in started) return started.exitCode;
  const { command, admin } = started;
  try {
    return (await executeGroupCommand(admin, command, io)) ? EXIT_OK : EXIT_ERROR;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.err(`Error: Executing consumer group command failed due to ${error.message}`);
    return EXIT_ERROR;
  } finally {
    await admin.close();
  }
}
