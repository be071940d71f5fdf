import { SimulationFailure } from '../checkers/violation.ts';
import { PLANTED_BUGS, type PlantedBug } from '../planted-bugs.ts';
import { type RunStats, runSchedule, scheduleForSeed } from './run.ts';

export interface SeedOutcome {
  readonly seed: number;
  readonly ok: boolean;
  readonly checker?: string;
  readonly message?: string;
  readonly stats?: RunStats;
  readonly journal?: readonly string[];
}

/** One seed, one run (the plain mode, used by the CLI, its workers and the vitest suite). */
export function runSeed(seed: number, bug: PlantedBug | null = null): SeedOutcome {
  try {
    const stats = runSchedule(scheduleForSeed(seed), bug === null ? {} : { world: PLANTED_BUGS[bug] });
    return { seed, ok: true, stats };
  } catch (error) {
    if (error instanceof SimulationFailure) {
      return { seed, ok: false, checker: error.checker, message: error.message, journal: error.journal };
    }
    return {
      seed,
      ok: false,
      checker: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
}

export function replayCommand(seed: number, bug: PlantedBug | null): string {
  return `node chaos/sim-cli.ts --raft --seed ${seed}${bug === null ? '' : ` --bug ${bug}`}`;
}
