// A simulated client's loop: `step` after each gap of `gapMs()` simulated ms, the next gap drawn once the
// step settled, until `endUs`; a step that throws fails the run (a harness or checker error).
import { MS } from '../sim/scheduler.ts';
import type { SimCluster } from './cluster.ts';

export function repeatSteps(
  cluster: SimCluster,
  endUs: number,
  gapMs: () => number,
  step: () => Promise<void>,
): void {
  const { world } = cluster;
  const next = () => {
    const gapUs = gapMs() * MS;
    if (world.scheduler.now() + gapUs >= endUs) return;
    world.scheduler.after(gapUs, () => void step().then(next, (error: unknown) => world.fail(error)));
  };
  next();
}
