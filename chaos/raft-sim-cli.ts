// The Raft-only simulation's command line (chaos/sim-cli.ts runs it for --raft).
//   node chaos/sim-cli.ts --raft --seeds 1000 [--start 1] [--workers 2] [--bug <name>]   many seeds
//   node chaos/sim-cli.ts --raft --seed 1234 [--bug <name>]                            replay one seed
//   node chaos/sim-cli.ts --raft --fc [--runs 100] [--seed 42] [--path 3:1:0] [--no-shrink] [--bug <name>]
//                                                        fast-check: generate, then shrink a failure
// The wall clock is read here only, to print the time taken; the simulation never sees it.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { SimulationFailure } from './checkers/violation.ts';
import { isPlantedBug, PLANTED_BUGS, type PlantedBug } from './planted-bugs.ts';
import { replayCommand, runSeed, type SeedOutcome } from './sim/entry.ts';
import { runSchedule, scheduleForSeed } from './sim/run.ts';
import { describeSchedule } from './sim/schedule.ts';
import { scheduleArbitrary } from './sim/schedule-arbitrary.ts';
import type { WorkerReport, WorkerTask } from './sim/worker.ts';

const USAGE = `Usage: node chaos/sim-cli.ts --raft [--seeds N [--start S] [--workers W]] [--seed S] [--fc [--runs R] [--seed S] [--path P] [--no-shrink]] [--bug NAME] [--summary-file FILE]
  --seeds N        run seeds S..S+N-1 (default: 1000 from 1)
  --seed S         replay one seed, printing its schedule and last events
  --fc             fast-check mode: generated schedules, a failure is shrunk to a minimal one
  --bug NAME       plant a bug, to see the checkers catch it
  --summary-file   write {passed, failed, ...} as JSON (CI reads it)`;

function parseOptions() {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (error) {
    console.error(`sim: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const OPTIONS = {
  raft: { type: 'boolean', default: false },
  seeds: { type: 'string' },
  start: { type: 'string', default: '1' },
  seed: { type: 'string' },
  bug: { type: 'string' },
  fc: { type: 'boolean', default: false },
  runs: { type: 'string', default: '100' },
  path: { type: 'string' },
  'no-shrink': { type: 'boolean', default: false },
  'summary-file': { type: 'string' },
  workers: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;
const { values } = parseOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) usage(`--${name} needs an integer, got "${text}"`);
  return value;
}

function usage(problem: string): never {
  console.error(`sim: ${problem}`);
  console.error(`planted bugs: ${Object.keys(PLANTED_BUGS).join(', ')}`);
  process.exit(2);
}

const bug: PlantedBug | null =
  values.bug === undefined
    ? null
    : isPlantedBug(values.bug)
      ? values.bug
      : usage(`unknown bug "${values.bug}"`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

if (values.fc) process.exit(runFastCheck());
if (values.seed !== undefined) process.exit(replayOne(integer('seed', values.seed)));
process.exit(await runMany());

interface SummaryFailure {
  readonly checker: string;
  readonly message: string;
  readonly replay: string;
}

function summaryFailure(outcome: SeedOutcome): SummaryFailure {
  return {
    checker: outcome.checker ?? 'error',
    message: outcome.message ?? '',
    replay: replayCommand(outcome.seed, bug),
  };
}

/** The machine-readable result for CI (scripts/test-summary.ts reads `passed` and `failed`). */
function writeSummary(passed: number, failures: readonly SummaryFailure[]): void {
  const file = values['summary-file'];
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true });
  const summary = {
    passed,
    failed: failures.length,
    bug,
    elapsedMs: Math.round(performance.now() - started),
    failures: failures.slice(0, 10),
  };
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
}

function replayOne(seed: number): number {
  const schedule = scheduleForSeed(seed);
  console.log(
    `sim: seed ${seed}${bug === null ? '' : ` with planted bug ${bug}`}\n${describeSchedule(schedule)}`,
  );
  const outcome = runSeed(seed, bug);
  writeSummary(outcome.ok ? 1 : 0, outcome.ok ? [] : [summaryFailure(outcome)]);
  if (outcome.ok) {
    console.log(`sim: ${JSON.stringify(outcome.stats)}`);
    console.log(`sim: 1 passed, 0 failed in ${elapsed()}`);
    return 0;
  }
  console.log(
    `sim: the run's last events:\n${(outcome.journal ?? []).map((line) => `  ${line}`).join('\n')}`,
  );
  printFailure(outcome);
  console.log(`sim: 0 passed, 1 failed in ${elapsed()}`);
  return 1;
}

async function runMany(): Promise<number> {
  const first = integer('start', values.start);
  const count = integer('seeds', values.seeds ?? '100');
  const workers = Math.max(
    1,
    Math.min(integer('workers', values.workers ?? String(os.availableParallelism())), count),
  );
  const failures: SeedOutcome[] = [];
  let done = 0;
  let events = 0;
  const progressEvery = Math.max(100, Math.ceil(count / 10));
  const record = (outcome: SeedOutcome) => {
    done++;
    events += outcome.stats?.events ?? 0;
    if (!outcome.ok) failures.push(outcome);
    if (done % progressEvery === 0 && done < count)
      console.log(`sim: ${done}/${count} (${failures.length} failed, ${elapsed()})`);
  };
  console.log(
    `sim: seeds ${first}..${first + count - 1} on ${workers} worker(s)${bug === null ? '' : `, planted bug ${bug}`}`,
  );
  if (workers === 1) {
    for (let seed = first; seed < first + count; seed++) record(runSeed(seed, bug));
  } else {
    await Promise.all(
      Array.from({ length: workers }, (_, k) =>
        runWorker(
          { first: first + k, count: Math.ceil((count - k) / workers), stride: workers, bug },
          record,
        ),
      ),
    );
  }
  failures.sort((a, b) => a.seed - b.seed);
  for (const failure of failures.slice(0, 10)) printFailure(failure);
  if (failures.length > 10) console.log(`sim: ... and ${failures.length - 10} more failing seeds`);
  writeSummary(count - failures.length, failures.map(summaryFailure));
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `sim: ${count - failures.length} passed, ${failures.length} failed in ${elapsed()} (${(count / seconds).toFixed(0)} seeds/s, ${(events / seconds / 1000).toFixed(0)}k events/s)`,
  );
  return failures.length === 0 ? 0 : 1;
}

function runWorker(task: WorkerTask, record: (outcome: SeedOutcome) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./sim/worker.ts', import.meta.url), { workerData: task });
    worker.on('message', (report: WorkerReport) => {
      if (report.kind === 'outcome') record(report.outcome);
      else resolve();
    });
    worker.on('error', reject);
    worker.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`sim worker exited with ${code}`)),
    );
  });
}

function printFailure(outcome: SeedOutcome): void {
  console.log(
    `sim: FAILED seed ${outcome.seed} [${outcome.checker}]\n  ${outcome.message}\n  replay: ${replayCommand(outcome.seed, bug)}`,
  );
}

function runFastCheck(): number {
  const seed = integer('seed', values.seed ?? '42');
  const numRuns = integer('runs', values.runs);
  const world = bug === null ? {} : { world: PLANTED_BUGS[bug] };
  const property = fc.property(scheduleArbitrary, (schedule) => {
    runSchedule(schedule, world);
  });
  const details = fc.check(property, {
    seed,
    numRuns,
    endOnFailure: values['no-shrink'],
    ...(values.path === undefined ? {} : { path: values.path }),
  });
  if (!details.failed) {
    writeSummary(details.numRuns, []);
    console.log(`sim: ${details.numRuns} passed, 0 failed in ${elapsed()} (fast-check seed ${seed})`);
    return 0;
  }
  const [schedule] = details.counterexample ?? [];
  const error = details.errorInstance;
  const message = error instanceof Error ? error.message : String(error);
  const checker = error instanceof SimulationFailure ? error.checker : 'error';
  const bugFlag = bug === null ? '' : ` --bug ${bug}`;
  const replay = `node chaos/sim-cli.ts --raft --fc --seed ${details.seed} --path ${details.counterexamplePath}${bugFlag}`;
  console.log(`sim: FAILED after ${details.numRuns} runs, shrunk ${details.numShrinks} times [${checker}]`);
  if (schedule !== undefined)
    console.log(`  minimal schedule (seed ${schedule.seed}):\n${describeSchedule(schedule)}`);
  console.log(`  ${message}\n  replay: ${replay}`);
  writeSummary(details.numRuns - 1, [{ checker, message, replay }]);
  console.log(`sim: ${details.numRuns - 1} passed, 1 failed in ${elapsed()}`);
  return 1;
}
