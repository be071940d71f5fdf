// Shared by the replication tests: the fast-check seed (printed, replayable with REPLICATION_SEED=<n>)
// and a deadline-bounded wait for a condition (tests never sleep to wait for state).

import type { Parameters } from 'fast-check';

const envSeed = process.env.REPLICATION_SEED;

/** fast-check parameters with a known seed: REPLICATION_SEED replays a run; otherwise a fresh seed, printed. */
export function fcParameters<T>(testName: string, numRuns: number): Parameters<T> {
  const seed = envSeed === undefined ? (Math.random() * 0x7fff_ffff) | 0 : Number(envSeed);
  console.log(`[replication] ${testName}: seed ${seed} (replay: REPLICATION_SEED=${seed})`);
  return { seed, numRuns };
}

/**
 * Resolves once `condition` holds (checked every few ms); rejects with `what` and the last `describe()`
 * once `timeoutMs` have passed.
 */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; describe?: () => unknown } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) {
      const state = options.describe === undefined ? '' : ` (state: ${JSON.stringify(options.describe())})`;
      throw new Error(`timed out waiting for ${what}${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
