// `metadata-quorum`: the equivalent of Kafka's kafka-metadata-quorum.sh (MetadataQuorumCommand) over
// the SDK's Admin.describeMetadataQuorum. `describe --status` prints the quorum summary and
// `describe --replication` the per-replica table, in Kafka 3.x's formats (without the DirectoryId
// column Kafka 3.8 added: this quorum has no directory ids). `describe` alone means --status.

import type { Admin } from '../client/admin.ts';
import type { QuorumInfo, QuorumReplica } from '../client/admin-types.ts';
import { adminCall, CliError, EXIT_ERROR, EXIT_OK, EXIT_USAGE, HelpRequested, UsageError } from './errors.ts';
import type { Io, OptionSpec } from './io.ts';
import { formatOptionTable, parseOptions, prettyPrintTable } from './io.ts';
import { COMMAND_CONFIG_OPTION, DEFAULT_BOOTSTRAP_SERVER } from './client-config.ts';
import { adminFor } from './tool-start.ts';

const TOOL = 'kafka-metadata-quorum';

export const METADATA_QUORUM_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'bootstrap-server',
    type: 'string',
    argName: 'host:port[,host:port...]',
    description: `A comma-separated list of host:port pairs of the cluster's REST API. Default: ${DEFAULT_BOOTSTRAP_SERVER}.`,
  },
  COMMAND_CONFIG_OPTION,
  { name: 'help', type: 'boolean', description: 'Show this help message and exit.' },
  {
    name: 'status',
    type: 'boolean',
    description: 'describe: a short summary of the quorum status (the default).',
  },
  {
    name: 'replication',
    type: 'boolean',
    description: 'describe: detailed information about the status of replication.',
  },
  {
    name: 'human-readable',
    type: 'boolean',
    description: 'describe --replication: timestamps as "N ms ago".',
  },
];

const UNSUPPORTED_OPTIONS = new Map([
  ['bootstrap-controller', 'use --bootstrap-server: every node serves the quorum description'],
]);

export function metadataQuorumUsage(): string[] {
  return [
    `usage: ${TOOL} [--help] [--bootstrap-server BOOTSTRAP_SERVER] describe [--status | --replication [--human-readable]]`,
    '',
    'This tool describes kraft metadata quorum status.',
    '',
    ...formatOptionTable(METADATA_QUORUM_OPTIONS),
  ];
}

export type QuorumView = 'status' | 'replication';

export interface MetadataQuorumCommand {
  /** --command-config: a client properties file (TLS settings, SASL credentials). */
  readonly commandConfig: string | null;
  readonly bootstrapServer: string;
  readonly view: QuorumView;
  readonly humanReadable: boolean;
}

/** argparse4j's error form: the usage line, then "<tool>: error: <message>". */
class ArgumentError extends UsageError {}

export function parseMetadataQuorumCommand(argv: readonly string[]): MetadataQuorumCommand {
  const args = parseOptions(argv, METADATA_QUORUM_OPTIONS, {
    allowPositionals: true,
    unsupported: UNSUPPORTED_OPTIONS,
  });
  if (args.flag('help')) throw new HelpRequested();
  const [command, ...rest] = args.positionals;
  if (command === undefined) throw new ArgumentError('too few arguments');
  if (command !== 'describe') {
    throw new ArgumentError(`argument command: invalid choice: '${command}' (choose from 'describe')`);
  }
  if (rest.length > 0) throw new ArgumentError(`unrecognized arguments: '${rest.join(' ')}'`);
  const status = args.flag('status');
  const replication = args.flag('replication');
  const humanReadable = args.flag('human-readable');
  if (status && replication) {
    throw new UsageError(
      'Only one of --status or --replication should be specified with describe sub-command',
    );
  }
  if (humanReadable && !replication) {
    throw new UsageError('The option --human-readable is only supported along with --replication');
  }
  return {
    bootstrapServer: args.string('bootstrap-server') ?? DEFAULT_BOOTSTRAP_SERVER,
    commandConfig: args.string('command-config') ?? null,
    view: replication ? 'replication' : 'status',
    humanReadable,
  };
}

// ---------------------------------------------------------------------------------------------------

function leaderOf(quorum: QuorumInfo): QuorumReplica | undefined {
  return quorum.voters.find((voter) => voter.replicaId === quorum.leaderId);
}

/** Kafka's handleDescribeStatus. Without a leader (an election) the lags are unknown: -1. */
export function formatQuorumStatus(quorum: QuorumInfo, clusterId: string): string[] {
  const leader = leaderOf(quorum);
  let maxFollowerLag = -1;
  let maxFollowerLagTimeMs = -1;
  if (leader !== undefined) {
    // Stream.min keeps the first of equal elements.
    const maxLagFollower = quorum.voters.reduce((min, voter) =>
      voter.logEndOffset < min.logEndOffset ? voter : min,
    );
    maxFollowerLag = leader.logEndOffset - maxLagFollower.logEndOffset;
    if (maxLagFollower === leader) maxFollowerLagTimeMs = 0;
    else if (leader.lastCaughtUpTimestamp !== null && maxLagFollower.lastCaughtUpTimestamp !== null) {
      maxFollowerLagTimeMs = leader.lastCaughtUpTimestamp - maxLagFollower.lastCaughtUpTimestamp;
    }
  } else if (quorum.maxFollowerLag !== null) {
    maxFollowerLag = quorum.maxFollowerLag;
  }
  const ids = (replicas: readonly QuorumReplica[]): string =>
    `[${replicas.map((r) => r.replicaId).join(',')}]`;
  return [
    `ClusterId:              ${clusterId}`,
    `LeaderId:               ${quorum.leaderId}`,
    `LeaderEpoch:            ${quorum.leaderEpoch}`,
    `HighWatermark:          ${quorum.highWatermark}`,
    `MaxFollowerLag:         ${maxFollowerLag}`,
    `MaxFollowerLagTimeMs:   ${maxFollowerLagTimeMs}`,
    `CurrentVoters:          ${ids(quorum.voters)}`,
    `CurrentObservers:       ${ids(quorum.observers)}`,
  ];
}

/**
 * Kafka's handleDescribeReplication: the leader, then the other voters, then the observers. With
 * `nowMs`, timestamps print as "N ms ago" (--human-readable; a timestamp ahead of this clock prints 0).
 */
export function formatQuorumReplication(quorum: QuorumInfo, nowMs: number | null): string[] {
  const leader = leaderOf(quorum);
  const timestamp = (value: number | null): string => {
    if (value === null || value < 0) return '-1';
    return nowMs === null ? String(value) : `${Math.max(0, nowMs - value)} ms ago`;
  };
  const row = (replica: QuorumReplica, status: string): string[] => [
    String(replica.replicaId),
    String(replica.logEndOffset),
    // A log end offset of -1 is unknown (the leader has not heard from the replica): so is its lag.
    String(
      leader === undefined || replica.logEndOffset < 0
        ? replica.lag
        : leader.logEndOffset - replica.logEndOffset,
    ),
    timestamp(replica.lastFetchTimestamp),
    timestamp(replica.lastCaughtUpTimestamp),
    status,
  ];
  const rows = [
    ...(leader === undefined ? [] : [row(leader, 'Leader')]),
    ...quorum.voters.filter((voter) => voter !== leader).map((voter) => row(voter, 'Follower')),
    ...quorum.observers.map((observer) => row(observer, 'Observer')),
  ];
  return prettyPrintTable(
    ['NodeId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp', 'LastCaughtUpTimestamp', 'Status'],
    rows,
  );
}

export async function executeMetadataQuorumCommand(
  admin: Admin,
  command: MetadataQuorumCommand,
  io: Io,
  nowMs: () => number = Date.now,
): Promise<void> {
  const quorum = await adminCall(admin.describeMetadataQuorum());
  const lines =
    command.view === 'status'
      ? formatQuorumStatus(quorum, await adminCall(admin.clusterId()))
      : formatQuorumReplication(quorum, command.humanReadable ? nowMs() : null);
  for (const line of lines) io.out(line);
}

function reportUsage(error: UsageError, io: Io): number {
  if (error instanceof ArgumentError) {
    io.err(metadataQuorumUsage()[0]!);
    io.err(`${TOOL}: error: ${error.message}`);
  } else {
    io.err(error.message);
  }
  return EXIT_USAGE;
}

/** `metadata-quorum` entry point; resolves to the exit code. */
export async function metadataQuorumMain(
  argv: readonly string[],
  io: Io,
  nowMs: () => number = Date.now,
): Promise<number> {
  let command: MetadataQuorumCommand;
  let admin: Admin;
  try {
    command = parseMetadataQuorumCommand(argv);
    admin = adminFor(command);
  } catch (error) {
    if (error instanceof HelpRequested) {
      for (const line of metadataQuorumUsage()) io.out(line);
      return EXIT_OK;
    }
    if (error instanceof UsageError) return reportUsage(error, io);
    throw error;
  }
  try {
    await executeMetadataQuorumCommand(admin, command, io, nowMs);
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
