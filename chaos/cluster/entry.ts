import { SimulationFailure } from '../checkers/violation.ts';
import type { ClusterBug } from './planted-bugs.ts';
import { type ClusterRunStats, runClusterSeed } from './run.ts';

export interface ClusterSeedOutcome {
  readonly seed: number;
  readonly ok: boolean;
  readonly checker?: string;
  readonly message?: string;
  readonly stats?: ClusterRunStats;
  readonly journal?: readonly string[];
}

/** Opt-in streams of a run (each off by default, so that seeds keep their schedules). */
export interface ClusterModes {
  readonly bitRot?: boolean;
  readonly kafkaGroups?: boolean;
}

/** One whole-cluster seed as an outcome (the CLI, its workers and the tests). */
export async function runClusterOutcome(
  seed: number,
  bug: ClusterBug | null,
  extra: ClusterModes = {},
): Promise<ClusterSeedOutcome> {
  try {
    const stats = await runClusterSeed(seed, { ...(bug === null ? {} : { bug }), ...extra });
    return { seed, ok: true, stats };
  } catch (error) {
    if (error instanceof SimulationFailure) {
      return { seed, ok: false, checker: error.checker, message: error.message, journal: error.journal };
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { seed, ok: false, checker: 'error', message };
  }
}

/** The one command that replays a seed. */
export function clusterReplayCommand(seed: number, bug: ClusterBug | null, modes: ClusterModes = {}): string {
  const flags = `${modes.bitRot === true ? ' --bit-rot' : ''}${modes.kafkaGroups === true ? ' --kafka-groups' : ''}`;
  return `npm run chaos:sim -- --seed ${seed}${bug === null ? '' : ` --bug ${bug}`}${flags}`;
}
