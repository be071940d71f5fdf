import { parentPort, workerData } from 'node:worker_threads';
import type { PlantedBug } from '../planted-bugs.ts';
import { runSeed, type SeedOutcome } from './entry.ts';

// A worker thread of the CLI: runs every `stride`-th seed from `first`, `count` seeds in all, and posts
// each outcome (the main thread prints and tallies). Interleaving seeds balances the two cores.

export interface WorkerTask {
  readonly first: number;
  readonly count: number;
  readonly stride: number;
  readonly bug: PlantedBug | null;
}

export type WorkerReport =
  | { readonly kind: 'outcome'; readonly outcome: SeedOutcome }
  | { readonly kind: 'done' };

const task = workerData as WorkerTask;
for (let i = 0; i < task.count; i++) {
  const outcome = runSeed(task.first + i * task.stride, task.bug);
  parentPort!.postMessage({ kind: 'outcome', outcome } satisfies WorkerReport);
}
parentPort!.postMessage({ kind: 'done' } satisfies WorkerReport);
