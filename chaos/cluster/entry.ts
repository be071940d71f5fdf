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

/** One whole-cluster seed as an outcome (the CLI, its workers and the tests). */
export async function runClusterOutcome(
  seed: number,
  bug: ClusterBug | null,
  extra: { readonly bitRot?: boolean } = {},
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
export function clusterReplayCommand(seed: number, bug: ClusterBug | null, bitRot = false): string {
  return `npm run chaos:sim -- --seed ${seed}${bug === null ? '' : ` --bug ${bug}`}${bitRot ? ' --bit-rot' : ''}`;
}
