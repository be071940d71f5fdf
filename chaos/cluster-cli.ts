// The whole-cluster simulation's command line (chaos/cluster/).
//   npm run chaos:sim -- --seeds 300 [--start 1] [--workers 2] [--bug NAME]   many seeds
//   npm run chaos:sim -- --seed 1234 [--bug NAME]                           replay one seed
//   npm run chaos:sim -- --list-bugs                                         the planted bugs
//   npm run chaos:sim -- --fc [--runs 100] [--seed 42] [--path P] [--no-shrink] [--bug NAME]   fast-check
// The wall clock is read here only, to print the time taken; the simulation never sees it.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { type ClusterSeedOutcome, clusterReplayCommand, runClusterOutcome } from './cluster/entry.ts';
import { describeClusterSchedule, runClusterFastCheck } from './cluster/fast-check-run.ts';
import { CLUSTER_BUGS, type ClusterBug, isClusterBug } from './cluster/planted-bugs.ts';
import type { ClusterWorkerReport, ClusterWorkerTask } from './cluster/worker.ts';

const USAGE = `Usage: npm run chaos:sim -- [--seeds N [--start S] [--workers W]] [--seed S] [--fc [--runs R] [--seed S] [--path P] [--no-shrink]] [--bug NAME] [--bit-rot] [--kafka-groups] [--list-bugs] [--summary-file FILE]
  --seeds N        run seeds S..S+N-1 of the whole-cluster simulation (default: 100 from 1)
  --seed S         replay one seed, printing its last events
  --fc             fast-check mode: R generated fault schedules (--seed is fast-check's, random when
                   absent); a failure is shrunk to a minimal schedule and printed with the command
                   that replays it (--path)
  --bug NAME       plant a bug; the exit status is non-zero when a seed catches it
  --bit-rot        add bit rot (a flipped bit in a sealed segment of a crashed broker) to the seeds'
                   faults (off by default: the seeds' schedules stay as they are)
  --kafka-groups   add Kafka-protocol group consumers (the nodes' Kafka listeners, the classic group
                   protocol) to the workload (off by default, likewise)
  --list-bugs      print the planted bugs, one per line
  --summary-file   write {passed, failed, ...} as JSON (CI reads it)
  --raft ...       the Raft-only simulation instead (npm run chaos:sim -- --raft --help)`;

const OPTIONS = {
  seeds: { type: 'string' },
  start: { type: 'string', default: '1' },
  seed: { type: 'string' },
  bug: { type: 'string' },
  'bit-rot': { type: 'boolean' },
  'kafka-groups': { type: 'boolean' },
  'list-bugs': { type: 'boolean', default: false },
  'summary-file': { type: 'string' },
  workers: { type: 'string' },
  fc: { type: 'boolean', default: false },
  runs: { type: 'string', default: '100' },
  path: { type: 'string' },
  'no-shrink': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function usage(problem: string): never {
  console.error(`sim: ${problem}\n${USAGE}`);
  process.exit(2);
}

function parseOptions() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (error) {
    return usage((error as Error).message);
  }
}

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) usage(`--${name} needs an integer, got "${text}"`);
  return value;
}

const values = parseOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values['list-bugs']) {
  for (const name of Object.keys(CLUSTER_BUGS)) console.log(name);
  process.exit(0);
}
const bug: ClusterBug | null =
  values.bug === undefined
    ? null
    : isClusterBug(values.bug)
      ? values.bug
      : usage(`unknown bug "${values.bug}"`);
const modes = { bitRot: values['bit-rot'] === true, kafkaGroups: values['kafka-groups'] === true };
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

process.exit(
  values.fc
    ? await fastCheck()
    : values.seed !== undefined
      ? await replayOne(integer('seed', values.seed))
      : await runMany(),
);

async function fastCheck(): Promise<number> {
  // Without --seed, a new draw each time (CI); the header line prints it, and a failure its replay.
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integer('seed', values.seed);
  const runs = integer('runs', values.runs);
  console.log(
    `sim: whole-cluster fast-check, ${runs} generated schedules (fast-check seed ${seed})${bug === null ? '' : `, planted bug ${bug}`}`,
  );
  const result = await runClusterFastCheck({
    seed,
    numRuns: runs,
    bug,
    shrink: !values['no-shrink'],
    ...(values.path === undefined ? {} : { path: values.path }),
  });
  if (!result.failed) {
    writeSummary(result.numRuns, []);
    console.log(`sim: ${result.numRuns} passed, 0 failed in ${elapsed()}`);
    return exitStatus(0);
  }
  console.log(
    `sim: FAILED after ${result.numRuns} runs, shrunk ${result.numShrinks} times [${result.checker}]`,
  );
  if (result.schedule !== null)
    console.log(`  minimal schedule: ${describeClusterSchedule(result.schedule)}`);
  console.log(`  ${result.message}\n  replay: ${result.replay}`);
  const file = values['summary-file'];
  if (file !== undefined) {
    mkdirSync(dirname(file), { recursive: true });
    const failure = { checker: result.checker, message: result.message, replay: result.replay };
    writeFileSync(
      file,
      `${JSON.stringify({ passed: result.numRuns - 1, failed: 1, bug, failures: [failure] }, null, 2)}\n`,
    );
  }
  console.log(`sim: ${result.numRuns - 1} passed, 1 failed in ${elapsed()}`);
  return exitStatus(1);
}

/** With a planted bug, success means it was caught: the exit status says whether the bug escaped. */
function exitStatus(failed: number): number {
  if (bug === null) return failed === 0 ? 0 : 1;
  console.log(failed > 0 ? `sim: planted bug ${bug} caught` : `sim: planted bug ${bug} NOT caught`);
  return failed > 0 ? 1 : 0;
}

async function replayOne(seed: number): Promise<number> {
  console.log(`sim: whole-cluster seed ${seed}${bug === null ? '' : ` with planted bug ${bug}`}`);
  const outcome = await runClusterOutcome(seed, bug, modes);
  writeSummary(outcome.ok ? 1 : 0, outcome.ok ? [] : [outcome]);
  if (outcome.ok) {
    console.log(`sim: ${JSON.stringify(outcome.stats)}`);
    console.log(`sim: 1 passed, 0 failed in ${elapsed()}`);
    return exitStatus(0);
  }
  console.log(
    `sim: the run's last events:\n${(outcome.journal ?? []).map((line) => `  ${line}`).join('\n')}`,
  );
  printFailure(outcome);
  console.log(`sim: 0 passed, 1 failed in ${elapsed()}`);
  return exitStatus(1);
}

async function runMany(): Promise<number> {
  const first = integer('start', values.start);
  const count = integer('seeds', values.seeds ?? '100');
  const workers = Math.max(
    1,
    Math.min(integer('workers', values.workers ?? String(os.availableParallelism())), count),
  );
  const failures: ClusterSeedOutcome[] = [];
  let done = 0;
  let events = 0;
  const progressEvery = Math.max(100, Math.ceil(count / 10));
  const record = (outcome: ClusterSeedOutcome) => {
    done++;
    events += outcome.stats?.events ?? 0;
    if (!outcome.ok) failures.push(outcome);
    if (done % progressEvery === 0 && done < count)
      console.log(`sim: ${done}/${count} (${failures.length} failed, ${elapsed()})`);
  };
  console.log(
    `sim: whole-cluster seeds ${first}..${first + count - 1} on ${workers} worker(s)${bug === null ? '' : `, planted bug ${bug}`}`,
  );
  await Promise.all(
    Array.from({ length: workers }, (_, k) =>
      runWorker(
        {
          first: first + k,
          count: Math.ceil((count - k) / workers),
          stride: workers,
          bug,
          modes,
          stopOnFailure: bug !== null,
        },
        record,
      ),
    ),
  );
  failures.sort((a, b) => a.seed - b.seed);
  for (const failure of failures.slice(0, 10)) printFailure(failure);
  if (failures.length > 10) console.log(`sim: ... and ${failures.length - 10} more failing seeds`);
  writeSummary(done - failures.length, failures);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `sim: ${done - failures.length} passed, ${failures.length} failed in ${elapsed()} (${(done / seconds).toFixed(1)} seeds/s, ${(events / seconds / 1000).toFixed(0)}k events/s)`,
  );
  return exitStatus(failures.length);
}

function runWorker(task: ClusterWorkerTask, record: (outcome: ClusterSeedOutcome) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./cluster/worker.ts', import.meta.url), { workerData: task });
    worker.on('message', (report: ClusterWorkerReport) => {
      if (report.kind === 'outcome') record(report.outcome);
      else resolve();
    });
    worker.on('error', reject);
    worker.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`sim worker exited with ${code}`)),
    );
  });
}

function printFailure(outcome: ClusterSeedOutcome): void {
  console.log(
    `sim: FAILED seed ${outcome.seed} [${outcome.checker}]\n  ${outcome.message}\n  replay: ${clusterReplayCommand(outcome.seed, bug, modes)}`,
  );
}

/** The machine-readable result for CI (scripts/test-summary.ts reads `passed` and `failed`). */
function writeSummary(passed: number, failures: readonly ClusterSeedOutcome[]): void {
  const file = values['summary-file'];
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true });
  const summary = {
    passed,
    failed: failures.length,
    bug,
    elapsedMs: Math.round(performance.now() - started),
    failures: failures.slice(0, 10).map((outcome) => ({
      checker: outcome.checker ?? 'error',
      message: outcome.message ?? '',
      replay: clusterReplayCommand(outcome.seed, bug, modes),
    })),
  };
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
}
