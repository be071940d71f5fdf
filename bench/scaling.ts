// `npm run bench:scaling`: how kraftling scales (issue 8): produce and consume on topics of 1 to 1,000
// partitions and the time until such a topic is usable, the time to create (and delete) 1,000 topics,
// and the memory, file descriptors and idle CPU a partition replica costs. Starts the local three-node
// cluster (or measures a running one with --bootstrap: then without the memory section, which reads the
// nodes' /proc), prints a progress line per step and markdown tables, writes
// bench-results/scaling-<start>.json; asserts nothing. The fetch latency against the log's size is
// `npm run bench:log-size`.
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Admin } from '../src/client/index.ts';
import { BenchCluster } from './cluster/local-cluster.ts';
import { type LoadShape, Progress } from './cluster/workload.ts';
import { type MemoryResult, measureMemory } from './scaling/memory.ts';
import { measurePartitions, type PartitionsResult } from './scaling/partitions.ts';
import { memoryTable, partitionsTable, topicsTable } from './scaling/report.ts';
import { type CreationMode, measureTopics, type TopicsResult } from './scaling/topics.ts';

const USAGE = `Usage: npm run bench:scaling -- [options]

  --partitions LIST        partition counts of the produce / consume topics (default 1,10,100,1000)
  --seconds S              seconds of each produce measurement (default 10), after a warm-up of 2
  --topics N               topics created at once, then one call after another (default 1000)
  --memory-partitions N    idle partitions (topics of 10) whose memory is measured (default 1000)
  --skip LIST              leave out partitions, topics, sequential (the one-by-one creates), memory
  --bootstrap URL          measure a running cluster (its REST URL, e.g. http://127.0.0.1:8081); no memory section
  --keep-data              keep the started cluster's data directory and logs
  --help
`;

const SECTIONS = ['partitions', 'topics', 'sequential', 'memory'] as const;
type Section = (typeof SECTIONS)[number];
const REPLICATION_FACTOR = 3;

interface Options {
  readonly partitions: readonly number[];
  readonly shape: LoadShape;
  readonly topics: number;
  readonly memoryPartitions: number;
  readonly skip: ReadonlySet<Section>;
  readonly bootstrap: string | null;
  readonly keepData: boolean;
}

function positiveInteger(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${flag}: expected a positive integer, got ${raw}`);
  return value;
}

function parse(): Options | null {
  const { values } = parseArgs({
    strict: true,
    options: {
      partitions: { type: 'string', default: '1,10,100,1000' },
      seconds: { type: 'string', default: '10' },
      topics: { type: 'string', default: '1000' },
      'memory-partitions': { type: 'string', default: '1000' },
      skip: { type: 'string', default: '' },
      bootstrap: { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const list = (raw: string) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const skip = new Set<Section>();
  for (const item of list(values.skip)) {
    const section = SECTIONS.find((candidate) => candidate === item);
    if (section === undefined) throw new Error(`--skip: one of ${SECTIONS.join(', ')}, got ${item}`);
    skip.add(section);
  }
  return {
    partitions: list(values.partitions).map((item) => positiveInteger('--partitions', item)),
    shape: {
      warmupSeconds: 2,
      seconds: positiveInteger('--seconds', values.seconds),
      recordsPerRequest: 500,
      inFlight: 16,
    },
    topics: positiveInteger('--topics', values.topics),
    memoryPartitions: positiveInteger('--memory-partitions', values['memory-partitions']),
    skip,
    bootstrap: values.bootstrap ?? null,
    keepData: values['keep-data'],
  };
}

/** What the run measured, as written to the JSON file; a section that failed has its error instead. */
interface Results {
  partitions: PartitionsResult[];
  topics: TopicsResult[];
  memory: MemoryResult | null;
  errors: { readonly step: string; readonly error: string }[];
}

async function main(): Promise<void> {
  const options = parse();
  if (options === null) {
    console.log(USAGE);
    return;
  }
  const progress = new Progress();
  const started = new Date();
  const stamp = started.getTime();
  progress.note(
    options.bootstrap === null
      ? 'starting a local 3-node cluster ...'
      : `attaching to ${options.bootstrap} ...`,
  );
  // No node outlives the benchmark, however it ends.
  const cluster = await BenchCluster.startOrAttach(options.bootstrap);
  const admin = new Admin({
    bootstrap: cluster.nodes.map((node) => node.clientUrl),
    // 1,000 creates or deletes in one call queue behind each other: the default 30 s is not enough.
    requestTimeoutMs: 300_000,
  });
  const results: Results = { partitions: [], topics: [], memory: null, errors: [] };
  let failed = false;
  const step = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      progress.stop();
      failed = true;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      progress.note(`${name} failed: ${message}`);
      results.errors.push({ step: name, error: message });
    }
  };
  try {
    // Memory first: its baseline is the cluster as it started, before any other topic came and went.
    if (!options.skip.has('memory')) {
      if (!cluster.owned)
        progress.note("memory: skipped (--bootstrap: the nodes are not this process's children)");
      else
        await step('memory', async () => {
          results.memory = await measureMemory({
            cluster,
            admin,
            progress,
            partitions: options.memoryPartitions,
            replicationFactor: REPLICATION_FACTOR,
            prefix: `scaling-memory-${stamp}`,
          });
        });
    }
    if (!options.skip.has('partitions'))
      for (const partitions of options.partitions)
        await step(`partitions ${partitions}`, async () => {
          results.partitions.push(
            await measurePartitions({
              cluster,
              admin,
              progress,
              partitions,
              replicationFactor: REPLICATION_FACTOR,
              shape: options.shape,
              topic: `scaling-p${partitions}-${stamp}`,
            }),
          );
        });
    const modes: CreationMode[] = [];
    if (!options.skip.has('topics')) modes.push('one call');
    if (!options.skip.has('sequential')) modes.push('sequential');
    for (const mode of modes)
      await step(`topics, ${mode}`, async () => {
        results.topics.push(
          await measureTopics({
            cluster,
            admin,
            progress,
            mode,
            count: options.topics,
            replicationFactor: REPLICATION_FACTOR,
            prefix: `scaling-t${mode === 'one call' ? 'a' : 's'}-${stamp}`,
          }),
        );
      });

    const tables = [
      results.partitions.length > 0 ? partitionsTable(results.partitions) : null,
      results.topics.length > 0 ? topicsTable(results.topics) : null,
      results.memory !== null ? memoryTable(results.memory) : null,
    ].filter((table) => table !== null);
    console.log(`\n${tables.join('\n\n')}`);
    await mkdir('bench-results', { recursive: true });
    const file = `bench-results/scaling-${started.toISOString().replaceAll(':', '-')}.json`;
    await writeFile(
      file,
      `${JSON.stringify({ startedAt: started.toISOString(), options: { ...options, skip: [...options.skip] }, ...results }, null, 2)}\n`,
    );
    console.log(`\nresults: ${file}`);
  } finally {
    await admin.close();
    // A failed run keeps the data directory and the nodes' logs, as the cluster benchmark does.
    await cluster.close(options.keepData || failed);
    if (failed && cluster.root !== null) console.log(`nodes' logs and data kept in ${cluster.root}`);
  }
  if (failed) process.exitCode = 1;
}

await main();
