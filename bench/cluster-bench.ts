// `npm run bench`: the cluster benchmark. Produce throughput and latency for a matrix of record size x
// acks x partitions x client path (REST v2, REST v3 streaming, kafkajs, confluent-kafka for Python),
// consume throughput from a full log, end-to-end latency, failover time over N leader kills, and with
// `--vs nats` the same produce workload against NATS JetStream R3. Not a test: it prints figures and
// asserts nothing about them. Usage: bench/README.md, or `npm run bench -- --help`.
import { cpus } from 'node:os';
import { BenchCluster } from './cluster/local-cluster.ts';
import { type BenchOptions, parseBenchOptions, USAGE } from './cluster/options.ts';
import { type HeadlineRates, produceMatrix, versusNats } from './cluster/produce-matrix.ts';
import { consumePhase, endToEndPhase, failoverPhase } from './cluster/read-phases.ts';
import { type BenchRun, formatTable, RunReport } from './cluster/report.ts';
import { Progress } from './cluster/workload.ts';

async function startOrAttach(options: BenchOptions, progress: Progress): Promise<BenchCluster> {
  if (options.bootstrap !== null) return BenchCluster.attach(options.bootstrap, options.kafkaBootstrap);
  progress.start(
    'starting a local 3-node cluster (local profile, free ports, temporary data directory)',
    null,
  );
  const cluster = await BenchCluster.start(new Map([['log.level', 'warn']]), {
    cpuProfDir: options.cpuProfDir,
  });
  progress.done(
    `ready: ${cluster.nodes.map((node) => node.clientUrl).join(', ')}; data and logs in ${cluster.root}`,
  );
  return cluster;
}

async function measure(run: BenchRun): Promise<void> {
  const { options } = run;
  const headline: HeadlineRates = options.skip.has('produce') ? new Map() : await produceMatrix(run);
  if (options.versusNats) await versusNats(run, headline);
  if (!options.skip.has('consume')) await consumePhase(run);
  if (!options.skip.has('e2e')) await endToEndPhase(run);
  if (!options.skip.has('failover')) await failoverPhase(run);
}

async function main(): Promise<void> {
  let options: BenchOptions | null;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === null) {
    process.stdout.write(USAGE);
    return;
  }
  const progress = new Progress();
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version };
  const report = new RunReport(new Date(), { machine, options: { ...options, skip: [...options.skip] } });
  progress.note(
    `kraftling cluster benchmark${options.quick ? ' (--quick)' : ''}: ${machine.cpus} cores, ${machine.node}`,
  );
  const cluster = await startOrAttach(options, progress);
  // No node outlives the benchmark, however it ends (Ctrl-C reaches the nodes too: same process group).
  process.on('exit', () => cluster.killAllNow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      cluster.killAllNow();
      process.exit(130);
    });
  report.results.cluster = { started: cluster.owned, nodes: cluster.nodes };
  let failed = false;
  try {
    await measure({ cluster, options, progress, report });
  } catch (error) {
    failed = true;
    progress.stop();
    process.stderr.write(
      `\nbenchmark stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    if (cluster.root !== null) process.stderr.write(`node logs: ${cluster.root}\n`);
  } finally {
    await cluster.close(options.keepData || failed);
  }
  const files = await report.write(options.outDir);
  process.stdout.write(`\n${formatTable(report.rows)}\n\nresults: ${files.json}\nchart:   ${files.svg}\n`);
  if (failed) process.exitCode = 1;
}

await main();
