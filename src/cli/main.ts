#!/usr/bin/env node
// The command-line tools' entry point: `node src/cli/main.ts <tool> [options]`, with tool one of
// `topics` (kafka-topics.sh), `metadata-quorum` (kafka-metadata-quorum.sh), `cluster`
// (kafka-cluster.sh + status), `console-producer` and `console-consumer` (kafka-console-producer.sh,
// kafka-console-consumer.sh), `consumer-groups` (kafka-consumer-groups.sh), `acls` (kafka-acls.sh), `configs`
// (kafka-configs.sh). Exit codes: 0 ok, 1 the command failed, 2 usage error.

import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { aclsMain } from './acls.ts';
import { clusterMain } from './cluster.ts';
import { configsMain } from './configs.ts';
import { consoleConsumerMain } from './console-consumer.ts';
import { consoleProducerMain } from './console-producer.ts';
import { consumerGroupsMain } from './consumer-groups.ts';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE } from './errors.ts';
import type { Io } from './io.ts';
import { interruptSignal } from './io.ts';
import { metadataQuorumMain } from './metadata-quorum.ts';
import { topicsMain } from './topics.ts';

type ToolMain = (argv: readonly string[], io: Io) => Promise<number>;

/** The console tools read stdin / poll until stopped: Ctrl-C ends them cleanly. */
const consoleProducer: ToolMain = (argv, io) => consoleProducerMain(argv, io, { signal: interruptSignal() });
const consoleConsumer: ToolMain = (argv, io) => consoleConsumerMain(argv, io, { signal: interruptSignal() });

/** Tool names, with the names Kafka users know them by as aliases. */
const TOOLS = new Map<string, ToolMain>([
  ['topics', topicsMain],
  ['kafka-topics', topicsMain],
  ['kafka-topics.sh', topicsMain],
  ['metadata-quorum', metadataQuorumMain],
  ['kafka-metadata-quorum', metadataQuorumMain],
  ['kafka-metadata-quorum.sh', metadataQuorumMain],
  ['cluster', clusterMain],
  ['kafka-cluster', clusterMain],
  ['kafka-cluster.sh', clusterMain],
  ['console-producer', consoleProducer],
  ['kafka-console-producer', consoleProducer],
  ['kafka-console-producer.sh', consoleProducer],
  ['consumer-groups', consumerGroupsMain],
  ['kafka-consumer-groups', consumerGroupsMain],
  ['kafka-consumer-groups.sh', consumerGroupsMain],
  ['acls', aclsMain],
  ['kafka-acls', aclsMain],
  ['kafka-acls.sh', aclsMain],
  ['configs', configsMain],
  ['kafka-configs', configsMain],
  ['kafka-configs.sh', configsMain],
  ['console-consumer', consoleConsumer],
  ['kafka-console-consumer', consoleConsumer],
  ['kafka-console-consumer.sh', consoleConsumer],
]);

export function mainUsage(): string[] {
  return [
    'usage: main.ts <tool> [options]',
    '',
    'Tools (each takes --bootstrap-server host:port[,host:port...] and --help):',
    '  topics            create, list, describe, alter and delete topics (kafka-topics.sh)',
    '  metadata-quorum   describe the KRaft metadata quorum: describe --status | --replication',
    '  cluster           status (cluster id, controller, brokers) | cluster-id',
    '  console-producer  stdin lines to records of a topic (kafka-console-producer.sh)',
    "  console-consumer  a topic's records to stdout, alone or in a group (kafka-console-consumer.sh)",
    '  consumer-groups   list, describe, delete groups and reset their offsets (kafka-consumer-groups.sh)',
    '  acls              add, remove and list ACLs (kafka-acls.sh)',
    "  configs           users' SCRAM credentials and quotas, topics' configs (kafka-configs.sh)",
  ];
}

/** Runs one tool; resolves to its exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [tool, ...rest] = argv;
  if (tool === undefined || tool === '--help' || tool === '-h' || tool === 'help') {
    const write = tool === undefined ? io.err : io.out;
    for (const line of mainUsage()) write(line);
    return tool === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const run = TOOLS.get(tool);
  if (run === undefined) {
    io.err(`Unknown tool '${tool}'.`);
    for (const line of mainUsage()) io.err(line);
    return EXIT_USAGE;
  }
  return run(rest, io);
}

const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** True when this file is the program (also through a symlink, as npm links a "bin"), not an import. */
function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // `... | head` closes the pipe early: stop writing quietly instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? EXIT_OK);
    });
  }
  try {
    process.exitCode = await main(process.argv.slice(2), processIo);
  } catch (error) {
    // A bug, not an operating error: show everything.
    console.error(error);
    process.exitCode = EXIT_ERROR;
  }
}
