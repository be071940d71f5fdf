// `configs`: the equivalent of Kafka's kafka-configs.sh (kafka.admin.ConfigCommand) on the SDK's Admin
// (REST; failover and retries), for the
// entity types `users` (SCRAM credentials: /v3/clusters/{c}/user-scram-credentials; quotas:
// /v3/clusters/{c}/client-quotas) and `topics` (/v3/clusters/{c}/topics/{t}/configs). Options, the
// --add-config syntax (`SCRAM-SHA-256=[iterations=8192,password=alice-secret],producer_byte_rate=1048576`)
// and the output lines are Kafka's. The password goes to the node over the REST API (use HTTPS where the
// network is not trusted); the node salts it and keeps only the derived credential.

import type { Admin } from '../client/admin.ts';
import type { UserScramCredentials } from '../client/admin-types.ts';
import { adminCall, CliError, EXIT_ERROR, EXIT_OK, HelpRequested, UsageError } from './errors.ts';
import { COMMAND_CONFIG_OPTION, DEFAULT_BOOTSTRAP_SERVER } from './client-config.ts';
import type { Io, OptionSpec } from './io.ts';
import { formatOptionTable, parseOptions } from './io.ts';
import { reportUsageError, startTool } from './tool-start.ts';

const TOOL = 'kafka-configs';
const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate'];

export type EntityType = 'users' | 'topics';

export interface ScramAddition {
  readonly mechanism: string;
  readonly password: string;
  readonly iterations: number | null;
}

export interface ConfigCommand {
  readonly action: 'describe' | 'alter';
  readonly bootstrapServer: string;
  /** --command-config: a client properties file (TLS settings, SASL credentials). */
  readonly commandConfig: string | null;
  readonly entityType: EntityType;
  /** null with entityDefault false: every entity (describe only). */
  readonly entityName: string | null;
  readonly entityDefault: boolean;
  /** Plain key=value additions, in order (a later value of a key wins). */
  readonly addConfigs: ReadonlyMap<string, string>;
  readonly scram: readonly ScramAddition[];
  readonly deleteConfigs: readonly string[];
}

export const CONFIG_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'add-config',
    type: 'string',
    argName: 'k1=v1,k2=[v1,v2,v2],k3=v3',
    description:
      "Key Value pairs of configs to add. Square brackets group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'. " +
      'Users: SCRAM-SHA-256=[iterations=8192,password=alice-secret], SCRAM-SHA-512=[password=...], ' +
      'producer_byte_rate=N, consumer_byte_rate=N. Topics: any topic config.',
  },
  { name: 'alter', type: 'boolean', description: 'Alter the configuration for the entity.' },
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `A comma-separated list of host:port pairs of the cluster's REST API. Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  COMMAND_CONFIG_OPTION,
  { name: 'delete-config', type: 'string', argName: 'k1,k2', description: 'config keys to remove: k1,k2' },
  { name: 'describe', type: 'boolean', description: 'List configs for the given entity.' },
  { name: 'entity-default', type: 'boolean', description: 'Default entity name for users (quotas only).' },
  {
    name: 'entity-name',
    type: 'string',
    argName: 'name',
    description: 'Name of entity (a user name or a topic name).',
  },
  {
    name: 'entity-type',
    type: 'string',
    argName: 'users|topics',
    description: 'Type of entity (users/topics).',
  },
  { name: 'help', type: 'boolean', description: 'Print usage information.' },
  {
    name: 'topic',
    type: 'string',
    argName: 'topic',
    description: "The topic's name (same as --entity-type topics --entity-name <topic>).",
  },
  {
    name: 'user',
    type: 'string',
    argName: 'user',
    description: "The user's name (same as --entity-type users --entity-name <user>).",
  },
  {
    name: 'user-defaults',
    type: 'boolean',
    description: 'The default user (same as --entity-type users --entity-default).',
  },
];

const UNSUPPORTED_OPTIONS = new Map([
  ['zookeeper', 'there is no ZooKeeper: use --bootstrap-server'],
  ['add-config-file', 'give the configs with --add-config'],
  ['client', 'quotas are kept for users only'],
  ['client-defaults', 'quotas are kept for users only'],
  ['broker', "broker configs are static here (the node's properties)"],
  ['broker-defaults', "broker configs are static here (the node's properties)"],
]);

export function configUsage(): string[] {
  return [
    `usage: ${TOOL} --bootstrap-server host:port --entity-type users|topics (--entity-name NAME | --entity-default) (--describe | --alter [--add-config ...] [--delete-config ...])`,
    '',
    'This tool helps to manipulate and describe entity config for a topic and user.',
    '',
    ...formatOptionTable(CONFIG_OPTIONS),
  ];
}

/** Kafka's parseConfigsToBeAdded: commas split pairs, except inside square brackets. */
export function splitConfigs(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const item of text.split(/,(?=[^\]]*(?:\[|$))/)) {
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    if (equals <= 0)
      throw new UsageError(
        `Invalid entity config: all configs to be added must be in the format "key=val". ('${item}')`,
      );
    pairs.push([item.slice(0, equals).trim(), item.slice(equals + 1).trim()]);
  }
  return pairs;
}

function scramAddition(mechanism: string, value: string): ScramAddition {
  const match = /^\[(.*)\]$/.exec(value);
  const fields = new Map<string, string>();
  for (const part of (match?.[1] ?? value).split(',')) {
    const equals = part.indexOf('=');
    if (equals <= 0)
      throw new UsageError(`Invalid ${mechanism} config: expected [iterations=N,password=...] ('${value}')`);
    fields.set(part.slice(0, equals).trim(), part.slice(equals + 1));
  }
  const password = fields.get('password');
  if (password === undefined || password === '')
    throw new UsageError(`${mechanism} needs a password: ${mechanism}=[password=...]`);
  for (const key of fields.keys())
    if (key !== 'password' && key !== 'iterations')
      throw new UsageError(`Unknown ${mechanism} key ${key} (iterations, password)`);
  const iterationsText = fields.get('iterations');
  if (iterationsText !== undefined && !/^[0-9]+$/.test(iterationsText))
    throw new UsageError(`${mechanism} iterations must be a whole number, not '${iterationsText}'`);
  return { mechanism, password, iterations: iterationsText === undefined ? null : Number(iterationsText) };
}

export function parseConfigCommand(argv: readonly string[]): ConfigCommand {
  const args = parseOptions(argv, CONFIG_OPTIONS, { unsupported: UNSUPPORTED_OPTIONS });
  if (args.flag('help')) throw new HelpRequested();
  const describe = args.flag('describe');
  const alter = args.flag('alter');
  if (describe === alter)
    throw new UsageError('Command must include exactly one action: --describe, --alter', { showUsage: true });
  let entityType = args.string('entity-type') ?? null;
  let entityName = args.string('entity-name') ?? null;
  let entityDefault = args.flag('entity-default');
  for (const [option, type] of [
    ['topic', 'topics'],
    ['user', 'users'],
  ] as const) {
    const value = args.string(option);
    if (value === undefined) continue;
    if (entityType !== null && entityType !== type)
      throw new UsageError(`--${option} cannot be used with --entity-type ${entityType}`);
    entityType = type;
    entityName = value;
  }
  if (args.flag('user-defaults')) {
    entityType = 'users';
    entityDefault = true;
  }
  if (entityType !== 'users' && entityType !== 'topics')
    throw new UsageError(
      `--entity-type must be users or topics${entityType === null ? '' : `, not ${entityType}`}`,
      { showUsage: true },
    );
  if (entityName !== null && entityDefault)
    throw new UsageError('--entity-name and --entity-default cannot both be given');
  if (entityType === 'topics' && entityDefault)
    throw new UsageError('--entity-default applies to users only');
  if (alter && entityName === null && !entityDefault)
    throw new UsageError(
      'an entity name must be specified with --alter of users (--entity-name or --entity-default) or topics (--entity-name)',
      {
        showUsage: true,
      },
    );
  const addConfigs = new Map<string, string>();
  const scram: ScramAddition[] = [];
  for (const [key, value] of splitConfigs(args.string('add-config') ?? '')) {
    if (entityType === 'users' && SCRAM_MECHANISMS.includes(key.toUpperCase())) {
      if (entityDefault)
        throw new UsageError(
          'The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials',
        );
      scram.push(scramAddition(key.toUpperCase(), value));
    } else addConfigs.set(key, value);
  }
  const deleteConfigs = (args.string('delete-config') ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  if (entityType === 'users') {
    for (const key of [
      ...addConfigs.keys(),
      ...deleteConfigs.filter((key) => !SCRAM_MECHANISMS.includes(key.toUpperCase())),
    ])
      if (!QUOTA_KEYS.includes(key))
        throw new UsageError(
          `Invalid config(s): ${key} (users take ${[...SCRAM_MECHANISMS, ...QUOTA_KEYS].join(', ')})`,
        );
    for (const [key, value] of addConfigs)
      if (!/^[0-9]+(\.0*)?$/.test(value))
        throw new UsageError(`${key} must be a whole number of bytes per second, not '${value}'`);
    if (entityDefault && deleteConfigs.some((key) => SCRAM_MECHANISMS.includes(key.toUpperCase())))
      throw new UsageError(
        'The use of --entity-default or --user-defaults is not allowed with User SCRAM Credentials',
      );
  }
  if (alter && addConfigs.size === 0 && scram.length === 0 && deleteConfigs.length === 0)
    throw new UsageError('At least one of --add-config or --delete-config must be specified with --alter', {
      showUsage: true,
    });
  if (describe && (addConfigs.size > 0 || scram.length > 0 || deleteConfigs.length > 0))
    throw new UsageError('--add-config and --delete-config are used with --alter only', { showUsage: true });
  return {
    action: alter ? 'alter' : 'describe',
    bootstrapServer: args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
    commandConfig: args.string('command-config') ?? null,
    entityType,
    entityName,
    entityDefault,
    addConfigs,
    scram,
    deleteConfigs,
  };
}

// ---------------------------------------------------------------------------------------------------

/** Kafka prints quota values as doubles: 1048576 → 1048576.0. */
function quotaText(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function userLabel(user: string | null): string {
  return user === null ? 'the default user-principal' : `user-principal '${user}'`;
}

async function describeUsers(admin: Admin, command: ConfigCommand, io: Io): Promise<void> {
  const quotas = await adminCall(admin.describeClientQuotas());
  const described: UserScramCredentials[] = command.entityDefault
    ? []
    : await adminCall(
        admin.describeUserScramCredentials(command.entityName === null ? undefined : [command.entityName]),
      ).catch((error: unknown) => {
        // A named user without credentials is not an error for describe: it has none to show.
        if (error instanceof CliError && error.status === 404) return [];
        throw error;
      });
  const credentials = described.map((entry) => ({
    user: entry.user,
    credentials: entry.credentials.map(
      (credential) => `${credential.mechanism}=iterations=${credential.iterations}`,
    ),
  }));
  const wanted = (user: string | null) =>
    command.entityDefault ? user === null : command.entityName === null || user === command.entityName;
  const users: (string | null)[] = [];
  for (const user of [...quotas.map((entry) => entry.user), ...credentials.map((entry) => entry.user)])
    if (wanted(user) && !users.includes(user)) users.push(user);
  if (users.length === 0 && (command.entityName !== null || command.entityDefault))
    users.push(command.entityDefault ? null : command.entityName);
  for (const user of users) {
    const entry = quotas.find((quota) => quota.user === user);
    const values = Object.entries(entry?.quotas ?? {})
      .filter((pair): pair is [string, number] => typeof pair[1] === 'number')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => `${key}=${quotaText(value)}`);
    io.out(`Quota configs for ${userLabel(user)} are ${values.join(', ')}`);
    if (user !== null) {
      const scram = credentials.find((credential) => credential.user === user)?.credentials ?? [];
      io.out(`SCRAM credential configs for ${userLabel(user)} are ${scram.join(', ')}`);
    }
  }
}

async function alterUser(admin: Admin, command: ConfigCommand, io: Io): Promise<void> {
  const user = command.entityDefault ? null : command.entityName;
  const scramDeletions = command.deleteConfigs.filter((key) => SCRAM_MECHANISMS.includes(key.toUpperCase()));
  const quotaDeletions = command.deleteConfigs.filter((key) => QUOTA_KEYS.includes(key));
  if (user !== null && (command.scram.length > 0 || scramDeletions.length > 0))
    await adminCall(
      admin.alterUserScramCredentials(
        command.scram.map((addition) => ({
          user,
          mechanism: addition.mechanism,
          password: addition.password,
          ...(addition.iterations !== null ? { iterations: addition.iterations } : {}),
        })),
        scramDeletions.map((mechanism) => ({ user, mechanism: mechanism.toUpperCase() })),
      ),
    );
  if (command.addConfigs.size > 0 || quotaDeletions.length > 0) {
    const quotas: Record<string, number | null> = {};
    for (const key of quotaDeletions) quotas[key] = null;
    for (const [key, value] of command.addConfigs) quotas[key] = Number(value);
    await adminCall(admin.alterClientQuotas([{ user, quotas }]));
  }
  io.out(
    user === null
      ? 'Completed updating default config for users in the cluster.'
      : `Completed updating config for user ${user}.`,
  );
}

async function describeTopics(admin: Admin, command: ConfigCommand, io: Io): Promise<void> {
  const names =
    command.entityName !== null
      ? [command.entityName]
      : await adminCall(admin.listTopics({ includeInternal: true }));
  for (const name of names) {
    const configs = Object.entries(await adminCall(admin.describeConfigs({ topic: name }))).filter(
      ([, config]) => config.source === 'DYNAMIC_TOPIC_CONFIG',
    );
    io.out(`Dynamic configs for topic ${name} are:`);
    for (const [key, config] of configs) {
      const value = config.value ?? 'null';
      io.out(
        `  ${key}=${value} sensitive=${config.isSensitive === true} synonyms={DYNAMIC_TOPIC_CONFIG:${key}=${value}}`,
      );
    }
  }
}

async function alterTopic(admin: Admin, command: ConfigCommand, io: Io): Promise<void> {
  const name = command.entityName!;
  await adminCall(
    admin.incrementalAlterConfigs({
      topic: name,
      set: Object.fromEntries(command.addConfigs),
      delete: command.deleteConfigs,
    }),
  );
  io.out(`Completed updating config for topic ${name}.`);
}

export async function executeConfigCommand(admin: Admin, command: ConfigCommand, io: Io): Promise<void> {
  if (command.entityType === 'users')
    await (command.action === 'describe' ? describeUsers : alterUser)(admin, command, io);
  else await (command.action === 'describe' ? describeTopics : alterTopic)(admin, command, io);
}

/** `configs` entry point; resolves to the exit code. */
export async function configsMain(argv: readonly string[], io: Io): Promise<number> {
  const started = startTool(argv, io, parseConfigCommand, configUsage);
  if ('exitCode' in started) return started.exitCode;
  const { command, admin } = started;
  try {
    await executeConfigCommand(admin, command, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(error, io, configUsage);
    if (error instanceof CliError) {
      io.err(
        `Error while executing config command with args '${argv.join(' ').replace(/password=[^,\]\s]*/g, 'password=[hidden]')}'`,
      );
      io.err(error.message);
      return EXIT_ERROR;
    }
    throw error;
  } finally {
    await admin.close();
  }
}
