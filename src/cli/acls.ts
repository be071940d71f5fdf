// `acls`: the equivalent of Kafka's kafka-acls.sh (kafka.admin.AclCommand) over REST v3's ACL routes
// (GET/POST/DELETE /v3/clusters/{c}/acls), through the SDK's Admin (failover and retries). Options, defaults and output are Kafka's: --operation defaults
// to All, hosts to *, the pattern type to literal; --producer / --consumer expand to Kafka's operation
// sets. One difference: --remove never prompts (these tools run without a terminal), so it needs --force.
// Split into parsing (parseAclCommand, pure), executing (on an Admin) and formatting (pure).

import type { Admin } from '../client/admin.ts';
import type { AclBindingFilter, AclDescription } from '../client/admin-types.ts';
import type { AclOperation } from '../common/security.ts';
import { adminCall, CliError, EXIT_ERROR, EXIT_OK, HelpRequested, UsageError } from './errors.ts';
import { COMMAND_CONFIG_OPTION, DEFAULT_BOOTSTRAP_SERVER } from './client-config.ts';
import type { Io, OptionSpec } from './io.ts';
import { formatOptionTable, parseOptions } from './io.ts';
import { reportUsageError, startTool } from './tool-start.ts';

const TOOL = 'kafka-acls';

export type AclAction = 'add' | 'remove' | 'list';
type ResourceType = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
type PatternType = 'LITERAL' | 'PREFIXED' | 'ANY' | 'MATCH';

export interface AclResource {
  readonly type: ResourceType;
  readonly name: string;
}

export interface AclEntrySpec {
  readonly principal: string;
  readonly host: string;
  readonly operation: string;
  readonly permission: 'ALLOW' | 'DENY';
}

export interface AclCommand {
  readonly action: AclAction;
  readonly bootstrapServer: string;
  /** --command-config: a client properties file (TLS settings, SASL credentials). */
  readonly commandConfig: string | null;
  readonly patternType: PatternType;
  /** With the ACL entries to add or remove on each (add: never empty; remove: empty = every ACL). */
  readonly resources: readonly {
    readonly resource: AclResource;
    readonly entries: readonly AclEntrySpec[];
  }[];
  /** --list --principal: only these principals' ACLs. */
  readonly listPrincipals: readonly string[];
  readonly force: boolean;
}

export const ACL_OPTIONS: readonly OptionSpec[] = [
  { name: 'add', type: 'boolean', description: 'Indicates you are trying to add ACLs.' },
  {
    name: 'allow-host',
    type: 'string',
    multiple: true,
    argName: 'allow-host',
    description:
      'Host from which principals listed in --allow-principal will have access. Default: * (all hosts).',
  },
  {
    name: 'allow-principal',
    type: 'string',
    multiple: true,
    argName: 'allow-principal',
    description: 'principal is in principalType:name format, e.g. User:alice; User:* is the wildcard.',
  },
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `A comma-separated list of host:port pairs of the cluster's REST API. Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  COMMAND_CONFIG_OPTION,
  { name: 'cluster', type: 'boolean', description: 'Add/Remove cluster ACLs.' },
  {
    name: 'consumer',
    type: 'boolean',
    description: 'Convenience option to add/remove ACLs for consumer role (needs --topic and --group).',
  },
  {
    name: 'deny-host',
    type: 'string',
    multiple: true,
    argName: 'deny-host',
    description:
      'Host from which principals listed in --deny-principal will be denied access. Default: * (all hosts).',
  },
  {
    name: 'deny-principal',
    type: 'string',
    multiple: true,
    argName: 'deny-principal',
    description: 'principal is in principalType:name format. Denies win over allows.',
  },
  {
    name: 'force',
    type: 'boolean',
    description: 'Assume Yes to all queries and do not prompt (required by --remove).',
  },
  {
    name: 'group',
    type: 'string',
    multiple: true,
    argName: 'group',
    description: 'Consumer Group to which the ACLs should be added or removed.',
  },
  { name: 'help', type: 'boolean', description: 'Print usage information.' },
  {
    name: 'list',
    type: 'boolean',
    description:
      'List ACLs for the specified resource, use --topic <topic> or --group <group> or --cluster to specify a resource.',
  },
  {
    name: 'operation',
    type: 'string',
    multiple: true,
    argName: 'operation',
    description:
      'Operation that is being allowed or denied. Valid values: Read, Write, Create, Delete, Alter, Describe, ' +
      'ClusterAction, AlterConfigs, DescribeConfigs, IdempotentWrite, CreateTokens, DescribeTokens, All. Default: All.',
  },
  {
    name: 'principal',
    type: 'string',
    multiple: true,
    argName: 'principal',
    description: 'List ACLs for the specified principal (with --list).',
  },
  {
    name: 'producer',
    type: 'boolean',
    description: 'Convenience option to add/remove ACLs for producer role (needs --topic).',
  },
  { name: 'remove', type: 'boolean', description: 'Indicates you are trying to remove ACLs.' },
  {
    name: 'resource-pattern-type',
    type: 'string',
    argName: 'ANY|MATCH|LITERAL|PREFIXED',
    description:
      'The type of the resource pattern or pattern filter. When adding acls, this should be a specific pattern type, ' +
      'e.g. literal or prefixed. When listing or removing acls, a specific pattern type filters to that type; any ' +
      'matches every pattern type; match matches every pattern that applies to the named resource. Default: literal.',
  },
  {
    name: 'topic',
    type: 'string',
    multiple: true,
    argName: 'topic',
    description: 'topic to which ACLs should be added or removed. * for all topics.',
  },
  {
    name: 'transactional-id',
    type: 'string',
    multiple: true,
    argName: 'transactional-id',
    description: 'The transactionalId to which ACLs should be added or removed. * for all.',
  },
];

const UNSUPPORTED_OPTIONS = new Map([
  ['authorizer-properties', 'ACLs live in the metadata log: use --bootstrap-server'],
  ['idempotent', 'IdempotentWrite needs no ACL of its own here: use --operation IdempotentWrite --cluster'],
]);

export function aclUsage(): string[] {
  return [
    `usage: ${TOOL} --bootstrap-server host:port (--add | --remove | --list) [options]`,
    '',
    'This tool helps to manage acls on kafka.',
    '',
    ...formatOptionTable(ACL_OPTIONS),
  ];
}

/** Kafka's operation names (AclOperation), as kafka-acls takes them: Read, AlterConfigs, ... */
const OPERATIONS = new Map(
  [
    'All',
    'Read',
    'Write',
    'Create',
    'Delete',
    'Alter',
    'Describe',
    'ClusterAction',
    'DescribeConfigs',
    'AlterConfigs',
    'IdempotentWrite',
    'CreateTokens',
    'DescribeTokens',
  ].map((name) => [name.toLowerCase(), name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()]),
);

/** AclCommand.ResourceToOperations: what each resource type accepts. */
const RESOURCE_OPERATIONS: Readonly<Record<ResourceType, readonly string[]>> = {
  TOPIC: [
    'READ',
    'WRITE',
    'CREATE',
    'DESCRIBE',
    'DELETE',
    'ALTER',
    'DESCRIBE_CONFIGS',
    'ALTER_CONFIGS',
    'ALL',
  ],
  GROUP: ['READ', 'DESCRIBE', 'DELETE', 'ALL'],
  CLUSTER: [
    'CREATE',
    'CLUSTER_ACTION',
    'DESCRIBE_CONFIGS',
    'ALTER_CONFIGS',
    'IDEMPOTENT_WRITE',
    'ALTER',
    'DESCRIBE',
    'ALL',
  ],
  TRANSACTIONAL_ID: ['DESCRIBE', 'WRITE', 'ALL'],
};

function operationOf(text: string): string {
  const operation = OPERATIONS.get(text.replaceAll('_', '').toLowerCase());
  if (operation === undefined)
    throw new UsageError(`Invalid operation ${text}: use one of ${[...OPERATIONS.keys()].join(', ')}`);
  return operation;
}

function principalOf(text: string): string {
  if (!/^User:.+$/.test(text))
    throw new UsageError(`Could not parse principal from \`${text}\` (expected User:<name>)`);
  return text;
}

export function parseAclCommand(argv: readonly string[]): AclCommand {
  const args = parseOptions(argv, ACL_OPTIONS, { unsupported: UNSUPPORTED_OPTIONS });
  if (args.flag('help')) throw new HelpRequested();
  const actions = (['add', 'remove', 'list'] as const).filter((action) => args.flag(action));
  if (actions.length !== 1)
    throw new UsageError('Command must include exactly one action: --list, --add, --remove. ', {
      showUsage: true,
    });
  const action = actions[0]!;
  const patternText = (args.string('resource-pattern-type') ?? 'literal').toUpperCase();
  if (!['LITERAL', 'PREFIXED', 'ANY', 'MATCH'].includes(patternText))
    throw new UsageError(
      `Invalid resource-pattern-type ${patternText.toLowerCase()}: use literal, prefixed, any or match`,
    );
  const patternType = patternText as PatternType;
  if (action === 'add' && (patternType === 'ANY' || patternType === 'MATCH'))
    throw new UsageError(
      `A '--resource-pattern-type' value of '${patternText}' is not valid when adding acls.`,
    );
  const producer = args.flag('producer');
  const consumer = args.flag('consumer');
  if ((producer || consumer) && action === 'list')
    throw new UsageError('Option "[list]" can\'t be used with option "[producer]" or "[consumer]"', {
      showUsage: true,
    });
  if ((producer || consumer) && args.has('operation'))
    throw new UsageError('Option "[producer]" and "[consumer]" can\'t be used with option "[operation]"', {
      showUsage: true,
    });
  if (args.has('principal') && action !== 'list')
    throw new UsageError('--principal is used with --list only; use --allow-principal / --deny-principal', {
      showUsage: true,
    });
  if (action === 'remove' && !args.flag('force'))
    throw new UsageError('--remove needs --force: this tool does not prompt for confirmation.');

  const topics = args.strings('topic').map((name): AclResource => ({ type: 'TOPIC', name }));
  const groups = args.strings('group').map((name): AclResource => ({ type: 'GROUP', name }));
  const transactionalIds = args
    .strings('transactional-id')
    .map((name): AclResource => ({ type: 'TRANSACTIONAL_ID', name }));
  const cluster: AclResource[] = args.flag('cluster') ? [{ type: 'CLUSTER', name: 'kafka-cluster' }] : [];
  const resources = [...topics, ...groups, ...cluster, ...transactionalIds];
  if (producer && topics.length === 0)
    throw new UsageError('With --producer you must specify a --topic', { showUsage: true });
  if (consumer && (topics.length === 0 || groups.length === 0))
    throw new UsageError('With --consumer you must specify a --topic and a --group', { showUsage: true });
  if (action !== 'list' && resources.length === 0)
    throw new UsageError(
      'You must provide at least one resource: --topic <topic> or --cluster or --group <group>',
      { showUsage: true },
    );

  const operationsFor = (resource: AclResource): string[] => {
    if (producer) return resource.type === 'TOPIC' ? ['WRITE', 'DESCRIBE', 'CREATE'] : [];
    if (consumer)
      return resource.type === 'TOPIC' ? ['READ', 'DESCRIBE'] : resource.type === 'GROUP' ? ['READ'] : [];
    const operations = args.strings('operation').map(operationOf);
    return operations.length === 0 ? ['ALL'] : [...new Set(operations)];
  };
  const entriesOf = (permission: 'ALLOW' | 'DENY', operations: readonly string[]): AclEntrySpec[] => {
    const principals = args.strings(`${permission.toLowerCase()}-principal`).map(principalOf);
    const hosts = args.strings(`${permission.toLowerCase()}-host`);
    if (hosts.length > 0 && principals.length === 0)
      throw new UsageError(
        `--${permission.toLowerCase()}-host needs --${permission.toLowerCase()}-principal`,
        { showUsage: true },
      );
    return principals.flatMap((principal) =>
      (hosts.length === 0 ? ['*'] : hosts).flatMap((host) =>
        operations.map((operation) => ({ principal, host, operation, permission })),
      ),
    );
  };
  const withEntries = resources.map((resource) => {
    const operations = operationsFor(resource);
    for (const operation of operations)
      if (!RESOURCE_OPERATIONS[resource.type].includes(operation))
        throw new UsageError(
          `ResourceType ${resource.type} only supports operations ${RESOURCE_OPERATIONS[resource.type].join(',')}`,
        );
    return { resource, entries: [...entriesOf('ALLOW', operations), ...entriesOf('DENY', operations)] };
  });
  if (action === 'add' && withEntries.some(({ entries }) => entries.length === 0))
    throw new UsageError(
      'You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.',
      {
        showUsage: true,
      },
    );
  return {
    action,
    bootstrapServer: args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
    commandConfig: args.string('command-config') ?? null,
    patternType,
    resources: withEntries,
    listPrincipals: args.strings('principal').map(principalOf),
    force: args.flag('force'),
  };
}

// ---------------------------------------------------------------------------------------------------

export interface ListedAcl {
  readonly resourceType: string;
  readonly resourceName: string;
  readonly patternType: string;
  readonly principal: string;
  readonly host: string;
  readonly operation: string;
  readonly permission: string;
}

function listedAcl(acl: AclDescription): ListedAcl {
  return {
    resourceType: acl.resourceType,
    resourceName: acl.resourceName,
    patternType: acl.patternType,
    principal: acl.principal,
    host: acl.host,
    operation: acl.operation,
    permission: acl.permissionType,
  };
}

function patternText(type: string, name: string, patternType: string): string {
  return `ResourcePattern(resourceType=${type}, name=${name}, patternType=${patternType})`;
}

function entryText(entry: {
  principal: string;
  host: string;
  operation: string;
  permission: string;
}): string {
  return `\t(principal=${entry.principal}, host=${entry.host}, operation=${entry.operation}, permissionType=${entry.permission})`;
}

/** Kafka's --list output: per resource pattern, "Current ACLs for resource `...`:" and its entries. */
export function formatAclList(acls: readonly ListedAcl[]): string[] {
  const byPattern = new Map<string, ListedAcl[]>();
  for (const acl of acls) {
    const key = patternText(acl.resourceType, acl.resourceName, acl.patternType);
    byPattern.set(key, [...(byPattern.get(key) ?? []), acl]);
  }
  return [...byPattern].flatMap(([pattern, entries]) => [
    `Current ACLs for resource \`${pattern}\`: `,
    ...entries.map(entryText),
    '',
  ]);
}

export async function executeAclCommand(admin: Admin, command: AclCommand, io: Io): Promise<void> {
  // operationOf yields only Kafka's operation names, checked against the resource type.
  const operationOfEntry = (entry: AclEntrySpec) => entry.operation as AclOperation;
  if (command.action === 'add') {
    const patternType = command.patternType === 'PREFIXED' ? 'PREFIXED' : 'LITERAL';
    const acls = command.resources.flatMap(({ resource, entries }) =>
      entries.map(
        (entry): AclDescription => ({
          resourceType: resource.type,
          resourceName: resource.name,
          patternType,
          principal: entry.principal,
          host: entry.host,
          operation: operationOfEntry(entry),
          permissionType: entry.permission,
        }),
      ),
    );
    for (const { resource, entries } of command.resources) {
      io.out(
        `Adding ACLs for resource \`${patternText(resource.type, resource.name, command.patternType)}\`: `,
      );
      for (const entry of entries) io.out(entryText(entry));
      io.out('');
    }
    await adminCall(admin.createAcls(acls));
  } else if (command.action === 'remove') {
    for (const { resource, entries } of command.resources) {
      const base: AclBindingFilter = {
        resourceType: resource.type,
        resourceName: resource.name,
        patternType: command.patternType,
      };
      const filters =
        entries.length === 0
          ? [base]
          : entries.map((entry) => ({
              ...base,
              principal: entry.principal,
              host: entry.host,
              operation: operationOfEntry(entry),
              permissionType: entry.permission,
            }));
      await adminCall(admin.deleteAcls(filters));
    }
  }
  // As Kafka's AclCommand: after a change, and for --list, the ACLs now on the resources asked about.
  const filters: AclBindingFilter[] =
    command.resources.length === 0
      ? [{ patternType: 'ANY' }]
      : command.resources.map(({ resource }) => ({
          resourceType: resource.type,
          resourceName: resource.name,
          patternType: command.action === 'list' ? command.patternType : 'ANY',
        }));
  const principals = command.listPrincipals.length === 0 ? [null] : command.listPrincipals;
  const seen = new Set<string>();
  const found: ListedAcl[] = [];
  for (const filter of filters)
    for (const principal of principals)
      for (const acl of await adminCall(
        admin.describeAcls(principal === null ? filter : { ...filter, principal }),
      )) {
        const listed = listedAcl(acl);
        if (!seen.has(JSON.stringify(listed))) {
          seen.add(JSON.stringify(listed));
          found.push(listed);
        }
      }
  for (const line of formatAclList(found)) io.out(line);
}

/** `acls` entry point; resolves to the exit code. */
export async function aclsMain(argv: readonly string[], io: Io): Promise<number> {
  const started = startTool(argv, io, parseAclCommand, aclUsage);
  if ('exitCode' in started) return started.exitCode;
  const { command, admin } = started;
  try {
    await executeAclCommand(admin, command, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(error, io, aclUsage);
    if (error instanceof CliError) {
      io.err(`Error while executing ACL command: ${error.message}`);
      return EXIT_ERROR;
    }
    throw error;
  } finally {
    await admin.close();
  }
}
