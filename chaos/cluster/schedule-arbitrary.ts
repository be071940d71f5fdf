// fast-check arbitraries for whole-cluster runs (`npm run chaos:sim -- --fc`): the world's seed (topology,
// network delays, workload) and an explicit list of faults. Each fault carries the seed of its own draws
// (target, duration), so shrinking drops faults, brings them closer and towards the first kinds while
// the rest of the schedule stays what it was. Weights are the seeded streams' (faults.ts).
import fc from 'fast-check';
import {
  DATA_FAULT_KINDS,
  type ExplicitFault,
  FAULT_WEIGHTS,
  type FaultKind,
  GROUP_FAULT_KINDS,
} from './faults.ts';

export interface ClusterSchedule {
  readonly seed: number;
  readonly faults: readonly ExplicitFault[];
}

const gapMs = fc.integer({ min: 200, max: 2_500 });
const faultSeed = fc.integer({ min: 1, max: 2 ** 31 - 1 });

const mainFault: fc.Arbitrary<ExplicitFault> = fc.oneof(
  ...(Object.entries(FAULT_WEIGHTS) as [FaultKind, number][]).map(([kind, weight]) => ({
    weight,
    arbitrary: fc.record({
      gapMs,
      stream: fc.constant('main' as const),
      kind: fc.constant(kind),
      seed: faultSeed,
    }),
  })),
);

const dataFault: fc.Arbitrary<ExplicitFault> = fc.record({
  gapMs,
  stream: fc.constant('data' as const),
  kind: fc.constantFrom(...DATA_FAULT_KINDS),
  seed: faultSeed,
});

const groupFault: fc.Arbitrary<ExplicitFault> = fc.record({
  gapMs,
  stream: fc.constant('group' as const),
  kind: fc.constantFrom(...GROUP_FAULT_KINDS),
  seed: faultSeed,
});

const diskFault: fc.Arbitrary<ExplicitFault> = fc.record({
  gapMs,
  stream: fc.constant('disk' as const),
  seed: faultSeed,
});

export const clusterScheduleArbitrary: fc.Arbitrary<ClusterSchedule> = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  faults: fc.array(
    fc.oneof(
      { weight: 6, arbitrary: mainFault },
      { weight: 2, arbitrary: dataFault },
      { weight: 1, arbitrary: groupFault },
      { weight: 1, arbitrary: diskFault },
    ),
    { maxLength: 16 },
  ),
});
