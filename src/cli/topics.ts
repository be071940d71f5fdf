// `topics`: the equivalent of Kafka's kafka-topics.sh (org.apache.kafka.tools.TopicCommand) over the
// REST v3 API. Options, checks, messages and output formats are Kafka's; the differences are listed in
// src/cli/README.md. The tool is split into parsing (parseTopicCommand, pure), executing
// (executeTopicCommand, on the SDK's Admin: failover and retries) and formatting (format*, pure) so each
// is testable.

import type { Admin } from '../client/admin.ts';
import type { TopicDescription as AdminTopicDescription } from '../client/admin-types.ts';
import {
  adminCall,
  CliError,
  EXIT_ERROR,
  EXIT_OK,
  HelpRequested,
  isTopicAlreadyExists,
  isTopicNotFound,
  UsageError,
} from './errors.ts';
import { reportUsageError, startTool } from './tool-start.ts';
import type { Io, OptionSpec, ParsedArgs } from './io.ts';
import { formatOptionTable, mapConcurrent, parseIntegerOption, parseOptions } from './io.ts';
import { COMMAND_CONFIG_OPTION, DEFAULT_BOOTSTRAP_SERVER } from './client-config.ts';

export type TopicAction = 'create' | 'list' | 'describe' | 'delete' | 'alter';

export interface TopicCommand {
  /** --command-config: a client properties file (TLS settings, SASL credentials). */
  readonly commandConfig: string | null;
  readonly action: TopicAction;
  readonly bootstrapServer: string;
  /** --topic: an exact name, or a regular expression when it is not a legal topic name. */
  readonly topic: string | null;
  readonly partitions: number | null;
  readonly replicationFactor: number | null;
  /** --replica-assignment: partition i's brokers at index i (null: the controller places them). */
  readonly replicaAssignment: readonly (readonly number[])[] | null;
  /** --config k=v, in the order given (a later value of the same key wins). */
  readonly configs: ReadonlyMap<string, string>;
  readonly deleteConfigs: readonly string[];
  readonly ifExists: boolean;
  readonly ifNotExists: boolean;
  readonly excludeInternal: boolean;
  readonly reportUnderReplicatedPartitions: boolean;
  readonly reportUnavailablePartitions: boolean;
  readonly reportUnderMinIsrPartitions: boolean;
  readonly reportAtMinIsrPartitions: boolean;
  readonly reportOverriddenConfigs: boolean;
}

const ACTIONS: readonly TopicAction[] = ['create', 'list', 'alter', 'describe', 'delete'];
const REPORT_OPTIONS = [
  'under-replicated-partitions',
  'unavailable-partitions',
  'under-min-isr-partitions',
  'at-min-isr-partitions',
] as const;

export const TOPIC_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'alter',
    type: 'boolean',
    description:
      'Alter the number of partitions of a topic; with --config/--delete-config, alter its configs ' +
      '(Kafka moved the latter to kafka-configs; accepted here).',
  },
  {
    name: 'at-min-isr-partitions',
    type: 'boolean',
    description:
      'If set when describing topics, only show partitions whose isr count is equal to the configured minimum.',
  },
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `The server(s) to connect to (the REST API of any node). Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  COMMAND_CONFIG_OPTION,
  {
    name: 'config',
    type: 'string',
    multiple: true,
    argName: 'name=value',
    description: 'A topic configuration override for the topic being created or altered (repeatable).',
  },
  { name: 'create', type: 'boolean', description: 'Create a new topic.' },
  { name: 'delete', type: 'boolean', description: 'Delete a topic.' },
  {
    name: 'delete-config',
    type: 'string',
    multiple: true,
    argName: 'name',
    description:
      'A topic configuration override to be removed for an existing topic (with --alter; repeatable).',
  },
  { name: 'describe', type: 'boolean', description: 'List details for the given topics.' },
  {
    name: 'exclude-internal',
    type: 'boolean',
    description:
      'Exclude internal topics when listing or describing topics. By default, the internal topics are included.',
  },
  { name: 'help', type: 'boolean', description: 'Print usage information.' },
  {
    name: 'if-exists',
    type: 'boolean',
    description:
      'If set when altering or deleting or describing topics, the action will only execute if the topic exists.',
  },
  {
    name: 'if-not-exists',
    type: 'boolean',
    description:
      'If set when creating topics, the action will only execute if the topic does not already exist.',
  },
  { name: 'list', type: 'boolean', description: 'List all available topics.' },
  {
    name: 'partitions',
    type: 'string',
    argName: '# of partitions',
    description:
      'The number of partitions for the topic being created or altered. If not supplied with --create, ' +
      'the topic uses the cluster default (num.partitions).',
  },
  {
    name: 'replica-assignment',
    type: 'string',
    argName:
      'broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...',
    description: 'A list of manual partition-to-broker assignments for the topic being created.',
  },
  {
    name: 'replication-factor',
    type: 'string',
    argName: 'replication factor',
    description:
      'The replication factor for each partition in the topic being created. If not supplied, the topic ' +
      'uses the cluster default (default.replication.factor).',
  },
  {
    name: 'topic',
    type: 'string',
    argName: 'topic',
    description:
      'The topic to create, alter, describe or delete. A legal topic name is matched exactly; anything else ' +
      "is a regular expression (e.g. 'orders-.*'), except with --create.",
  },
  {
    name: 'topics-with-overrides',
    type: 'boolean',
    description: 'If set when describing topics, only show topics that have overridden configs.',
  },
  {
    name: 'unavailable-partitions',
    type: 'boolean',
    description: 'If set when describing topics, only show partitions whose leader is not available.',
  },
  {
    name: 'under-min-isr-partitions',
    type: 'boolean',
    description:
      'If set when describing topics, only show partitions whose isr count is less than the configured minimum.',
  },
  {
    name: 'under-replicated-partitions',
    type: 'boolean',
    description: 'If set when describing topics, only show under-replicated partitions.',
  },
];

const UNSUPPORTED_OPTIONS = new Map([
  [
    'zookeeper',
    `this cluster runs in KRaft mode; use --bootstrap-server host:port (default ${DEFAULT_BOOTSTRAP_SERVER})`,
  ],
  ['bootstrap-controller', 'use --bootstrap-server: every node serves the admin API'],
  ['replica-assignment', 'replicas are placed by the controller'],
  ['topic-id', 'use --topic <name>'],
  ['partition-size-limit-per-response', 'describe has no paging'],
]);

export const TOPIC_TOOL_DESCRIPTION = 'This tool helps to create, delete, describe, or change a topic.';

export function topicUsage(): string[] {
  return [TOPIC_TOOL_DESCRIPTION, ...formatOptionTable(TOPIC_OPTIONS)];
}

/** Kafka's CommandLineUtils.checkInvalidArgs: `used` may only appear with one of `allowedWith`. */
function checkInvalidArgs(args: ParsedArgs, used: string, invalid: readonly string[]): void {
  if (!args.has(used)) return;
  for (const other of invalid) {
    if (args.has(other)) {
      throw new UsageError(`Option "[${used}]" can't be used with option "[${other}]"`, { showUsage: true });
    }
  }
}

/** The actions other than `allowed` (Kafka's invalidOptions). */
function actionsExcept(...allowed: TopicAction[]): TopicAction[] {
  return ACTIONS.filter((action) => !allowed.includes(action));
}

/**
 * Kafka's parse of `--config` values: `name=value`, split on '=' with surrounding blanks trimmed; a
 * missing or second '=' is refused.
 */
export function parseTopicConfigs(values: readonly string[]): Map<string, string> {
  const configs = new Map<string, string>();
  for (const value of values) {
    const parts = value.split(/\s*=\s*/);
    while (parts.length > 0 && parts.at(-1) === '') parts.pop(); // Java's String.split drops trailing empties
    if (parts.length !== 2) {
      throw new UsageError(
        'requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".',
      );
    }
    configs.set(parts[0]!.trim(), parts[1]!.trim());
  }
  return configs;
}

/** Parses kafka-topics arguments with Kafka's checks and messages. Throws UsageError or HelpRequested. */
export function parseTopicCommand(argv: readonly string[]): TopicCommand {
  if (argv.length === 0)
    throw new UsageError('Create, delete, describe, or change a topic.', { showUsage: true });
  const args = parseOptions(argv, TOPIC_OPTIONS, { unsupported: UNSUPPORTED_OPTIONS });
  if (args.flag('help')) throw new HelpRequested();

  const actions = ACTIONS.filter((action) => args.flag(action));
  if (actions.length !== 1) {
    throw new UsageError(
      'Command must include exactly one action: --list, --describe, --create, --alter or --delete',
      { showUsage: true },
    );
  }
  const action = actions[0]!;

  if (action !== 'list' && action !== 'describe' && !args.has('topic')) {
    throw new UsageError('Missing required argument "[topic]"', { showUsage: true });
  }
  if (action === 'alter' && !args.has('partitions') && !args.has('config') && !args.has('delete-config')) {
    throw new UsageError('Missing required argument "[partitions]"', { showUsage: true });
  }

  checkInvalidArgs(args, 'config', actionsExcept('alter', 'create'));
  checkInvalidArgs(args, 'delete-config', actionsExcept('alter'));
  checkInvalidArgs(args, 'partitions', actionsExcept('alter', 'create'));
  checkInvalidArgs(args, 'replication-factor', actionsExcept('create'));
  checkInvalidArgs(args, 'replica-assignment', actionsExcept('create'));
  if (args.has('replica-assignment')) {
    for (const other of ['partitions', 'replication-factor']) {
      if (args.has(other)) {
        throw new UsageError(`Option "[replica-assignment]" can't be used with option "[${other}]"`, {
          showUsage: true,
        });
      }
    }
  }
  for (const report of REPORT_OPTIONS) {
    checkInvalidArgs(args, report, [...actionsExcept('describe'), 'topics-with-overrides']);
  }
  checkInvalidArgs(args, 'topics-with-overrides', [...actionsExcept('describe'), ...REPORT_OPTIONS]);
  checkInvalidArgs(args, 'if-exists', actionsExcept('alter', 'delete', 'describe'));
  checkInvalidArgs(args, 'if-not-exists', actionsExcept('create'));
  checkInvalidArgs(args, 'exclude-internal', actionsExcept('list', 'describe'));

  const partitionsText = args.string('partitions');
  const replicationText = args.string('replication-factor');
  const command: TopicCommand = {
    action,
    bootstrapServer: args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
    commandConfig: args.string('command-config') ?? null,
    topic: args.string('topic') ?? null,
    partitions: partitionsText === undefined ? null : parseIntegerOption(partitionsText, 'partitions'),
    replicationFactor:
      replicationText === undefined ? null : parseIntegerOption(replicationText, 'replication-factor'),
    replicaAssignment: parseReplicaAssignment(args.string('replica-assignment')),
    configs: parseTopicConfigs(args.strings('config')),
    deleteConfigs: args.strings('delete-config').map((name) => name.trim()),
    ifExists: args.flag('if-exists'),
    ifNotExists: args.flag('if-not-exists'),
    excludeInternal: args.flag('exclude-internal'),
    reportUnderReplicatedPartitions: args.flag('under-replicated-partitions'),
    reportUnavailablePartitions: args.flag('unavailable-partitions'),
    reportUnderMinIsrPartitions: args.flag('under-min-isr-partitions'),
    reportAtMinIsrPartitions: args.flag('at-min-isr-partitions'),
    reportOverriddenConfigs: args.flag('topics-with-overrides'),
  };
  if (action === 'create') {
    if (
      command.replicationFactor !== null &&
      (command.replicationFactor < 1 || command.replicationFactor > 32767)
    ) {
      throw new UsageError('The replication factor must be between 1 and 32767 inclusive');
    }
    if (command.partitions !== null && command.partitions < 1) {
      throw new UsageError('The partitions must be greater than 0');
    }
  }
  return command;
}

/** Kafka's --replica-assignment "1:2,2:3": partitions split by ',', their brokers by ':'. */
function parseReplicaAssignment(text: string | undefined): number[][] | null {
  if (text === undefined) return null;
  return text.split(',').map((partition) => {
    const brokers = partition.split(':').map((broker) => parseIntegerOption(broker, 'replica-assignment'));
    if (new Set(brokers).size !== brokers.length) {
      throw new UsageError(`Partition replica lists may not contain duplicate entries: ${brokers.join(',')}`);
    }
    return brokers;
  });
}

// ---------------------------------------------------------------------------------------------------
// Topic selection: exact names, and Kafka's IncludeList regular expressions.

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** True when --topic is matched as an exact name rather than as a regular expression. */
export function isLiteralTopicName(topic: string): boolean {
  return LEGAL_TOPIC_NAME.test(topic) && topic !== '.' && topic !== '..';
}

/**
 * Kafka's IncludeList: ',' means '|', blanks and surrounding quotes are dropped, and the expression
 * must match the whole name.
 */
export function topicRegex(pattern: string): RegExp {
  const source = pattern
    .trim()
    .replaceAll(',', '|')
    .replaceAll(' ', '')
    .replace(/^["']+/, '')
    .replace(/["']+$/, '');
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw new UsageError(`${source} is an invalid regex.`);
  }
}

/** Kafka's Topic.hasCollisionChars. */
function hasCollisionChars(name: string): boolean {
  return name.includes('.') || name.includes('_');
}

// ---------------------------------------------------------------------------------------------------
// What the REST API answers, as the tool reads it.

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string | null;
  readonly partitionsCount: number | null;
  readonly replicationFactor: number | null;
  readonly isInternal: boolean;
}

export interface PartitionInfo {
  readonly partition: number;
  /** null: no leader (the API's leader_id -1). */
  readonly leader: number | null;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface ConfigInfo {
  readonly name: string;
  readonly value: string | null;
  readonly isDefault: boolean;
}

function topicInfo(description: AdminTopicDescription): TopicInfo {
  return {
    name: description.name,
    topicId: description.topicId,
    partitionsCount: description.partitions.length,
    replicationFactor: description.partitions[0]?.replicas.length ?? null,
    isInternal: description.internal,
  };
}

function partitionInfos(description: AdminTopicDescription): PartitionInfo[] {
  return description.partitions
    .map(({ partition, leader, replicas, isr }) => ({ partition, leader, replicas, isr }))
    .sort((a, b) => a.partition - b.partition);
}

async function getConfigs(admin: Admin, name: string): Promise<ConfigInfo[]> {
  const configs = await adminCall(admin.describeConfigs({ topic: name }));
  return Object.entries(configs).map(([configName, entry]) => ({
    name: configName,
    value: entry.value,
    isDefault: entry.isDefault,
  }));
}

/** Ids of the live (unfenced) brokers. */
async function liveBrokers(admin: Admin): Promise<Set<number>> {
  const cluster = await adminCall(admin.describeCluster());
  return new Set(cluster.brokers.map((broker) => broker.id));
}

function doesNotExist(topic: string): CliError {
  return new CliError('command', `Topic '${topic}' does not exist as expected`);
}

/**
 * The names an action applies to (Kafka's getTopics): every topic when --topic is absent, else those
 * matching the expression; internal topics dropped with --exclude-internal. Nothing found for a given
 * --topic is an error unless --if-exists.
 */
async function matchingTopics(admin: Admin, command: TopicCommand): Promise<string[]> {
  const pattern = command.topic;
  const regex = pattern === null ? null : topicRegex(pattern);
  const names = (await adminCall(admin.listTopics({ includeInternal: !command.excludeInternal }))).filter(
    (name) => regex === null || regex.test(name),
  );
  if (pattern !== null && pattern !== '' && names.length === 0 && !command.ifExists)
    throw doesNotExist(pattern);
  return names;
}

// ---------------------------------------------------------------------------------------------------
// Output formats (TopicCommand.TopicDescription / PartitionDescription).

const ZERO_TOPIC_IDS = new Set(['00000000-0000-0000-0000-000000000000', 'AAAAAAAAAAAAAAAAAAAAAA']);

export interface TopicDescription {
  readonly topic: TopicInfo;
  readonly partitions: readonly PartitionInfo[];
  readonly configs: readonly ConfigInfo[];
}

/** `Topic: t\tTopicId: id\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: k=v,k=v` */
export function formatTopicLine(description: TopicDescription): string {
  const { topic, partitions, configs } = description;
  const overrides = configs
    .filter((config) => !config.isDefault)
    .map((config) => `${config.name}=${config.value ?? ''}`)
    .join(',');
  const partitionCount = partitions.length > 0 ? partitions.length : (topic.partitionsCount ?? 0);
  const replicationFactor = partitions[0]?.replicas.length ?? topic.replicationFactor ?? 0;
  const topicId =
    topic.topicId !== null && !ZERO_TOPIC_IDS.has(topic.topicId) ? `\tTopicId: ${topic.topicId}` : '';
  return (
    `Topic: ${topic.name}${topicId}\tPartitionCount: ${partitionCount}` +
    `\tReplicationFactor: ${replicationFactor}\tConfigs: ${overrides}`
  );
}

/** `\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3` */
export function formatPartitionLine(topic: string, partition: PartitionInfo): string {
  return (
    `\tTopic: ${topic}\tPartition: ${partition.partition}\tLeader: ${partition.leader ?? 'none'}` +
    `\tReplicas: ${partition.replicas.join(',')}\tIsr: ${partition.isr.join(',')}`
  );
}

function minIsr(configs: readonly ConfigInfo[]): number {
  const value = configs.find((config) => config.name === 'min.insync.replicas')?.value;
  const parsed = value === undefined || value === null ? Number.NaN : Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : 1;
}

/**
 * The lines `--describe` prints for one topic, with Kafka's filters: the report options keep only the
 * matching partitions and drop the topic line; --topics-with-overrides keeps only the topic line of
 * topics with overrides. `live` is needed only for --unavailable-partitions.
 */
export function describeLines(
  command: TopicCommand,
  description: TopicDescription,
  live: ReadonlySet<number> | null,
): string[] {
  const lines: string[] = [];
  const reporting =
    command.reportUnderReplicatedPartitions ||
    command.reportUnavailablePartitions ||
    command.reportUnderMinIsrPartitions ||
    command.reportAtMinIsrPartitions;
  if (!reporting) {
    const hasOverrides = description.configs.some((config) => !config.isDefault);
    if (!command.reportOverriddenConfigs || hasOverrides) lines.push(formatTopicLine(description));
  }
  if (command.reportOverriddenConfigs) return lines;
  const minInSync = minIsr(description.configs);
  for (const partition of description.partitions) {
    const hasLeader = partition.leader !== null;
    const show =
      !reporting ||
      (command.reportUnderReplicatedPartitions && partition.replicas.length - partition.isr.length > 0) ||
      (command.reportUnavailablePartitions &&
        (!hasLeader || (live !== null && !live.has(partition.leader ?? -1)))) ||
      (command.reportUnderMinIsrPartitions && (!hasLeader || partition.isr.length < minInSync)) ||
      (command.reportAtMinIsrPartitions && partition.isr.length === minInSync);
    if (show) lines.push(formatPartitionLine(description.topic.name, partition));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------
// Actions.

const DESCRIBE_CONCURRENCY = 8;

async function createTopic(admin: Admin, command: TopicCommand, io: Io): Promise<void> {
  const name = command.topic!;
  if (hasCollisionChars(name)) {
    io.out(
      "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could " +
        'collide. To avoid issues it is best to use either, but not both.',
    );
  }
  const topic = {
    topic: name,
    ...(command.partitions !== null && { numPartitions: command.partitions }),
    ...(command.replicationFactor !== null && { replicationFactor: command.replicationFactor }),
    ...(command.replicaAssignment !== null && {
      replicaAssignment: Object.fromEntries(command.replicaAssignment.map((brokers, id) => [id, brokers])),
    }),
    ...(command.configs.size > 0 && { configs: Object.fromEntries(command.configs) }),
  };
  try {
    // A create whose answer was lost is sent again elsewhere: it then answers TOPIC_ALREADY_EXISTS, as
    // with Kafka's AdminClient (--if-not-exists makes that silent).
    await adminCall(admin.createTopics([topic]));
  } catch (error) {
    if (command.ifNotExists && isTopicAlreadyExists(error)) return;
    throw error;
  }
  io.out(`Created topic ${name}.`);
}

async function listAction(admin: Admin, command: TopicCommand, io: Io): Promise<void> {
  const regex =
    command.topic === null || isLiteralTopicName(command.topic) ? null : topicRegex(command.topic);
  for (const name of await adminCall(admin.listTopics({ includeInternal: !command.excludeInternal }))) {
    if (command.topic !== null && (regex === null ? name !== command.topic : !regex.test(name))) continue;
    io.out(name);
  }
}

/** The topic, or null when it does not exist. */
async function describeTopic(admin: Admin, name: string): Promise<AdminTopicDescription | null> {
  try {
    return (await adminCall(admin.describeTopics([name])))[0]!;
  } catch (error) {
    if (isTopicNotFound(error)) return null;
    throw error;
  }
}

async function describeAction(admin: Admin, command: TopicCommand, io: Io): Promise<void> {
  const pattern = command.topic;
  const literal = pattern !== null && isLiteralTopicName(pattern);
  const names = literal ? [pattern] : await matchingTopics(admin, command);
  const found = await mapConcurrent(
    names,
    DESCRIBE_CONCURRENCY,
    async (name): Promise<TopicDescription | null> => {
      const description = literal
        ? await describeTopic(admin, name)
        : (await adminCall(admin.describeTopics([name])))[0]!;
      if (description === null || (command.excludeInternal && description.internal)) return null;
      return {
        topic: topicInfo(description),
        partitions: partitionInfos(description),
        configs: await getConfigs(admin, name),
      };
    },
  );
  const descriptions = found.filter((description): description is TopicDescription => description !== null);
  if (literal && descriptions.length === 0 && !command.ifExists) throw doesNotExist(pattern);
  const live = command.reportUnavailablePartitions ? await liveBrokers(admin) : null;
  for (const description of descriptions) {
    for (const line of describeLines(command, description, live)) io.out(line);
  }
}

/** Runs `task` on the named topic or on every topic matching the expression. */
async function forEachTarget(
  admin: Admin,
  command: TopicCommand,
  task: (topic: string) => Promise<void>,
): Promise<void> {
  const pattern = command.topic!;
  if (!isLiteralTopicName(pattern)) {
    for (const topic of await matchingTopics(admin, command)) await task(topic);
    return;
  }
  // One request instead of list-then-act; the server's "not found" becomes Kafka's message.
  try {
    await task(pattern);
  } catch (error) {
    if (!isTopicNotFound(error)) throw error;
    if (!command.ifExists) throw doesNotExist(pattern);
  }
}

async function deleteAction(admin: Admin, command: TopicCommand): Promise<void> {
  await forEachTarget(admin, command, async (topic) => {
    await adminCall(admin.deleteTopics([topic]));
  });
}

async function alterAction(admin: Admin, command: TopicCommand, io: Io): Promise<void> {
  const changesConfigs = command.configs.size > 0 || command.deleteConfigs.length > 0;
  await forEachTarget(admin, command, async (topic) => {
    if (changesConfigs) {
      await adminCall(
        admin.incrementalAlterConfigs({
          topic,
          set: Object.fromEntries(command.configs),
          delete: command.deleteConfigs,
        }),
      );
      io.out(`Updated config for topic ${topic}.`);
    }
    if (command.partitions !== null) {
      await adminCall(admin.createPartitions({ [topic]: command.partitions }));
    }
  });
}

export async function executeTopicCommand(admin: Admin, command: TopicCommand, io: Io): Promise<void> {
  switch (command.action) {
    case 'create':
      return createTopic(admin, command, io);
    case 'list':
      return listAction(admin, command, io);
    case 'describe':
      return describeAction(admin, command, io);
    case 'delete':
      return deleteAction(admin, command);
    case 'alter':
      return alterAction(admin, command, io);
    default: {
      const unknown: never = command.action;
      throw new Error(`unknown action ${String(unknown)}`);
    }
  }
}

/** Prints a usage error as Kafka does: the message, then (for option errors) the option table. */
/** `topics` entry point: parses, runs, prints; resolves to the exit code. */
export async function topicsMain(argv: readonly string[], io: Io): Promise<number> {
  const started = startTool(argv, io, parseTopicCommand, topicUsage);
  if ('exitCode' in started) return started.exitCode;
  const { command, admin } = started;
  try {
    await executeTopicCommand(admin, command, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(error, io, topicUsage);
    if (error instanceof CliError) {
      io.err(`Error while executing topic command : ${error.message}`);
      return EXIT_ERROR;
    }
    throw error;
  } finally {
    await admin.close();
  }
}
