// `cluster`: what an operator asks first. `cluster-id` is Kafka's kafka-cluster.sh cluster-id;
// `status` adds the active controller (the metadata quorum's leader: every node is a controller in
// combined mode) and each broker's endpoint, rack and fenced state, as a table in the style of
// kafka-cluster.sh list-endpoints.

import type { Admin } from '../client/admin.ts';
import type { ClusterDescription } from '../client/admin-types.ts';
import { adminCall, CliError, EXIT_ERROR, EXIT_OK, EXIT_USAGE, HelpRequested, UsageError } from './errors.ts';
import type { Io, OptionSpec } from './io.ts';
import { formatOptionTable, parseOptions, prettyPrintTable } from './io.ts';
import { COMMAND_CONFIG_OPTION, DEFAULT_BOOTSTRAP_SERVER } from './client-config.ts';
import { adminFor } from './tool-start.ts';

const TOOL = 'kafka-cluster';
const SUBCOMMANDS = ['status', 'cluster-id'] as const;
export type ClusterSubcommand = (typeof SUBCOMMANDS)[number];

export const CLUSTER_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `A list of host:port pairs of the cluster's REST API. Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  COMMAND_CONFIG_OPTION,
  { name: 'help', type: 'boolean', description: 'Show this help message and exit.' },
];

export function clusterUsage(): string[] {
  return [
    `usage: ${TOOL} [--help] [--bootstrap-server BOOTSTRAP_SERVER] {status,cluster-id}`,
    '',
    'The cluster tool.',
    '  status       The cluster id, the active controller, and every broker with its endpoint and state.',
    '  cluster-id   Get information about the ID of a cluster.',
    '',
    ...formatOptionTable(CLUSTER_OPTIONS),
  ];
}

export interface ClusterCommand {
  /** --command-config: a client properties file (TLS settings, SASL credentials). */
  readonly commandConfig: string | null;
  readonly bootstrapServer: string;
  readonly subcommand: ClusterSubcommand;
}

class ArgumentError extends UsageError {}

function isSubcommand(value: string): value is ClusterSubcommand {
  return (SUBCOMMANDS as readonly string[]).includes(value);
}

export function parseClusterCommand(argv: readonly string[]): ClusterCommand {
  const args = parseOptions(argv, CLUSTER_OPTIONS, { allowPositionals: true });
  if (args.flag('help')) throw new HelpRequested();
  const [subcommand = 'status', ...rest] = args.positionals;
  if (!isSubcommand(subcommand)) {
    throw new ArgumentError(
      `argument command: invalid choice: '${subcommand}' (choose from 'status', 'cluster-id')`,
    );
  }
  if (rest.length > 0) throw new ArgumentError(`unrecognized arguments: '${rest.join(' ')}'`);
  return {
    bootstrapServer: args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
    commandConfig: args.string('command-config') ?? null,
    subcommand,
  };
}

// ---------------------------------------------------------------------------------------------------

export interface BrokerInfo {
  readonly brokerId: number;
  readonly host: string | null;
  readonly port: number | null;
  readonly rack: string | null;
  /** null when the server does not say. */
  readonly fenced: boolean | null;
}

export interface ControllerInfo {
  /** -1: no active controller (an election is under way). */
  readonly id: number;
  /** The metadata quorum's leader epoch, when known. */
  readonly epoch: number | null;
}

export interface ClusterStatus {
  readonly clusterId: string;
  readonly controller: ControllerInfo | null;
  readonly brokers: readonly BrokerInfo[];
}

/**
 * The active controller: the metadata quorum's leader, or, when the quorum cannot be described, the
 * cluster's controller.
 */
async function findController(admin: Admin, cluster: ClusterDescription): Promise<ControllerInfo | null> {
  try {
    const quorum = await adminCall(admin.describeMetadataQuorum());
    return { id: quorum.leaderId, epoch: quorum.leaderEpoch };
  } catch (error) {
    if (!(error instanceof CliError) || error.kind !== 'server') throw error;
  }
  return cluster.controller === null ? null : { id: cluster.controller, epoch: null };
}

export async function fetchClusterStatus(admin: Admin): Promise<ClusterStatus> {
  const cluster = await adminCall(admin.describeCluster({ includeFencedBrokers: true }));
  const brokers = cluster.brokers.map((broker) => ({
    brokerId: broker.id,
    host: broker.host,
    port: broker.port,
    rack: broker.rack,
    fenced: broker.fenced ?? null,
  }));
  return { clusterId: cluster.clusterId, controller: await findController(admin, cluster), brokers };
}

function stateOf(broker: BrokerInfo): string {
  if (broker.fenced === null) return 'unknown';
  return broker.fenced ? 'fenced' : 'unfenced';
}

export function formatClusterStatus(status: ClusterStatus): string[] {
  const { controller, brokers } = status;
  let controllerLine = 'Controller: unknown';
  if (controller !== null) {
    if (controller.id < 0)
      controllerLine = 'Controller: none (no metadata quorum leader: an election is under way)';
    else if (controller.epoch === null) controllerLine = `Controller: ${controller.id}`;
    else controllerLine = `Controller: ${controller.id} (metadata quorum leader, epoch ${controller.epoch})`;
  }
  const fenced = brokers.filter((broker) => broker.fenced === true).length;
  const unfenced = brokers.filter((broker) => broker.fenced === false).length;
  const counts = fenced + unfenced === brokers.length ? ` (${unfenced} unfenced, ${fenced} fenced)` : '';
  const rows = brokers.map((broker) => [
    String(broker.brokerId),
    broker.host ?? '-',
    broker.port === null ? '-' : String(broker.port),
    broker.rack ?? 'null',
    stateOf(broker),
  ]);
  return [
    `Cluster ID: ${status.clusterId}`,
    controllerLine,
    `Brokers: ${brokers.length}${counts}`,
    ...(brokers.length === 0 ? [] : prettyPrintTable(['ID', 'HOST', 'PORT', 'RACK', 'STATE'], rows)),
  ];
}

export async function executeClusterCommand(admin: Admin, command: ClusterCommand, io: Io): Promise<void> {
  if (command.subcommand === 'cluster-id') {
    io.out(`Cluster ID: ${await adminCall(admin.clusterId())}`);
    return;
  }
  for (const line of formatClusterStatus(await fetchClusterStatus(admin))) io.out(line);
}

/** `cluster` entry point; resolves to the exit code. */
export async function clusterMain(argv: readonly string[], io: Io): Promise<number> {
  let command: ClusterCommand;
  let admin: Admin;
  try {
    command = parseClusterCommand(argv);
    admin = adminFor(command);
  } catch (error) {
    if (error instanceof HelpRequested) {
      for (const line of clusterUsage()) io.out(line);
      return EXIT_OK;
    }
    if (error instanceof ArgumentError) {
      io.err(clusterUsage()[0]!);
      io.err(`${TOOL}: error: ${error.message}`);
      return EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      io.err(error.message);
      return EXIT_USAGE;
    }
    throw error;
  }
  try {
    await executeClusterCommand(admin, command, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(error.message);
      return EXIT_ERROR;
    }
    throw error;
  } finally {
    await admin.close();
  }
}
