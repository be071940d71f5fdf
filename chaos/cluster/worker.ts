// A worker thread of the whole-cluster CLI: runs seeds first, first + stride, ... and reports each.
import { parentPort, workerData } from 'node:worker_threads';
import { type ClusterModes, type ClusterSeedOutcome, runClusterOutcome } from './entry.ts';
import type { ClusterBug } from './planted-bugs.ts';

export interface ClusterWorkerTask {
  readonly first: number;
  readonly count: number;
  readonly stride: number;
  readonly bug: ClusterBug | null;
  readonly modes: ClusterModes;
  /** Stop at the first failure (a planted bug was caught: no need for more seeds). */
  readonly stopOnFailure: boolean;
}

export type ClusterWorkerReport =
  | { readonly kind: 'outcome'; readonly outcome: ClusterSeedOutcome }
  | { readonly kind: 'done' };

const task = workerData as ClusterWorkerTask;
for (let i = 0; i < task.count; i++) {
  const outcome = await runClusterOutcome(task.first + i * task.stride, task.bug, task.modes);
  parentPort?.postMessage({ kind: 'outcome', outcome } satisfies ClusterWorkerReport);
  if (!outcome.ok && task.stopOnFailure) break;
}
parentPort?.postMessage({ kind: 'done' } satisfies ClusterWorkerReport);
