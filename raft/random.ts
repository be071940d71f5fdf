import type { Random } from './types.ts';

/**
 * A small seeded PRNG (splitmix32) for the core's election jitter. A real node seeds it from the OS; tests
 * and the simulation seed it from their run's seed so that every run replays.
 */
export function seededRandom(seed: number): Random & { nextUint32(): number } {
  let state = seed >>> 0;
  const nextUint32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return {
    nextUint32,
    nextInt(maxExclusive: number): number {
      return Math.floor((nextUint32() / 0x1_0000_0000) * maxExclusive);
    },
  };
}
