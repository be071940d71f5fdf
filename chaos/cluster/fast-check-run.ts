// fast-check mode of the whole-cluster simulation: generated schedules (schedule-arbitrary.ts), a failure
// shrunk to a minimal one, and the one command that replays it (fast-check's seed and path).
import fc from 'fast-check';
import { SimulationFailure } from '../checkers/violation.ts';
import { describeExplicitFaults } from './faults.ts';
import type { ClusterBug } from './planted-bugs.ts';
import { runClusterSeed } from './run.ts';
import { type ClusterSchedule, clusterScheduleArbitrary } from './schedule-arbitrary.ts';

export interface ClusterFastCheckOptions {
  /** fast-check's seed (not the world's: each generated schedule carries its own). */
  readonly seed: number;
  readonly numRuns: number;
  readonly bug: ClusterBug | null;
  /** A counterexample path printed by an earlier failure: replays it (and shrinks from there). */
  readonly path?: string;
  readonly shrink: boolean;
}

export type ClusterFastCheckResult =
  | { readonly failed: false; readonly numRuns: number }
  | {
      readonly failed: true;
      readonly numRuns: number;
      readonly numShrinks: number;
      readonly checker: string;
      readonly message: string;
      readonly schedule: ClusterSchedule | null;
      readonly replay: string;
    };

export async function runClusterFastCheck(options: ClusterFastCheckOptions): Promise<ClusterFastCheckResult> {
  const { bug } = options;
  const property = fc.asyncProperty(clusterScheduleArbitrary, async (schedule) => {
    await runClusterSeed(schedule.seed, { faults: schedule.faults, ...(bug === null ? {} : { bug }) });
  });
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.numRuns,
    endOnFailure: !options.shrink,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  if (!details.failed) return { failed: false, numRuns: details.numRuns };
  const error = details.errorInstance;
  const [schedule] = details.counterexample ?? [];
  return {
    failed: true,
    numRuns: details.numRuns,
    numShrinks: details.numShrinks,
    checker: error instanceof SimulationFailure ? error.checker : 'error',
    message: error instanceof Error ? error.message : String(error),
    schedule: schedule ?? null,
    replay:
      `npm run chaos:sim -- --fc --seed ${details.seed} --path ${details.counterexamplePath}` +
      (bug === null ? '' : ` --bug ${bug}`),
  };
}

/** The shrunk schedule, as the CLI prints it. */
export function describeClusterSchedule(schedule: ClusterSchedule): string {
  const faults = schedule.faults.length === 0 ? '  (no faults)' : describeExplicitFaults(schedule.faults);
  return `world seed ${schedule.seed}, ${schedule.faults.length} fault(s):\n${faults}`;
}
