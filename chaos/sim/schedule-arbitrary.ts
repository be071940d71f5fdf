import fc from 'fast-check';
import { FAULT_WEIGHTS, type Fault, LIMITS, type NodeRef, type Schedule } from './schedule.ts';

// fast-check arbitraries for whole runs. Fault times are generated against the longest phase and clamped
// to the drawn one, so shrinking the phase length or any fault never makes another fault invalid.

const nodeRef: fc.Arbitrary<NodeRef> = fc.oneof(fc.constant('leader' as const), fc.nat(63));
const duration = fc.integer({ min: LIMITS.durationMsMin, max: LIMITS.durationMsMax });
const at = fc.nat(LIMITS.faultMsMax - 1);

const fault: fc.Arbitrary<Fault> = fc.oneof(
  {
    weight: FAULT_WEIGHTS.crash,
    arbitrary: fc.record({ kind: fc.constant('crash' as const), atMs: at, node: nodeRef, downMs: duration }),
  },
  {
    weight: FAULT_WEIGHTS.crashMidSync,
    arbitrary: fc.record({
      kind: fc.constant('crashMidSync' as const),
      atMs: at,
      node: nodeRef,
      downMs: duration,
    }),
  },
  {
    weight: FAULT_WEIGHTS.crashAll,
    arbitrary: fc.record({
      kind: fc.constant('crashAll' as const),
      atMs: at,
      downMs: fc.integer({ min: 1, max: 200 }),
    }),
  },
  {
    weight: FAULT_WEIGHTS.pause,
    arbitrary: fc.record({
      kind: fc.constant('pause' as const),
      atMs: at,
      node: nodeRef,
      durationMs: duration,
    }),
  },
  {
    weight: FAULT_WEIGHTS.isolate,
    arbitrary: fc.record({
      kind: fc.constant('isolate' as const),
      atMs: at,
      node: nodeRef,
      durationMs: duration,
    }),
  },
  {
    weight: FAULT_WEIGHTS.split,
    arbitrary: fc.record({
      kind: fc.constant('split' as const),
      atMs: at,
      shift: fc.nat(63),
      minority: fc.integer({ min: 1, max: 3 }),
      durationMs: duration,
    }),
  },
  {
    weight: FAULT_WEIGHTS.bridge,
    arbitrary: fc.record({
      kind: fc.constant('bridge' as const),
      atMs: at,
      node: nodeRef,
      durationMs: duration,
    }),
  },
  {
    weight: FAULT_WEIGHTS.lossy,
    arbitrary: fc.record({
      kind: fc.constant('lossy' as const),
      atMs: at,
      durationMs: duration,
      drop: fc.double({ min: 0, max: 0.5, noNaN: true }),
      duplicate: fc.double({ min: 0, max: 0.3, noNaN: true }),
      extraDelayMs: fc.integer({ min: 0, max: 60 }),
    }),
  },
  {
    weight: FAULT_WEIGHTS.skew,
    arbitrary: fc.record({
      kind: fc.constant('skew' as const),
      atMs: at,
      node: nodeRef,
      rate: fc.double({ min: 0.7, max: 1.3, noNaN: true }),
      durationMs: duration,
    }),
  },
  {
    weight: FAULT_WEIGHTS.slowDisk,
    arbitrary: fc.record({
      kind: fc.constant('slowDisk' as const),
      atMs: at,
      node: nodeRef,
      factor: fc.integer({ min: 2, max: 20 }),
      durationMs: duration,
    }),
  },
  {
    weight: FAULT_WEIGHTS.transfer,
    arbitrary: fc.record({ kind: fc.constant('transfer' as const), atMs: at, to: nodeRef }),
  },
  {
    weight: FAULT_WEIGHTS.leaderTrap,
    arbitrary: fc.record({
      kind: fc.constant('leaderTrap' as const),
      atMs: at,
      count: fc.integer({ min: 1, max: 4 }),
      delayMaxUs: fc.constantFrom(1_000, 5_000, 20_000, 60_000),
      action: fc.constantFrom('crash' as const, 'isolate' as const),
      durationMs: duration,
    }),
  },
);

/** A whole run; shrinks towards fewer faults, fewer nodes, a shorter phase and a slower workload. */
export const scheduleArbitrary: fc.Arbitrary<Schedule> = fc
  .record({
    seed: fc.nat(),
    voters: fc.constantFrom(3, 5),
    observers: fc.integer({ min: 0, max: 2 }),
    proposalIntervalMs: fc.integer({ min: LIMITS.proposalIntervalMsMin, max: LIMITS.proposalIntervalMsMax }),
    faultMs: fc.integer({ min: LIMITS.faultMsMin, max: LIMITS.faultMsMax }),
    faults: fc.array(fault, { maxLength: (LIMITS.faultsPerSecondMax * LIMITS.faultMsMax) / 1000 }),
  })
  .map((drawn) => ({
    ...drawn,
    faults: drawn.faults
      .map((each) => ({ ...each, atMs: Math.min(each.atMs, drawn.faultMs - 1) }))
      .sort((a, b) => a.atMs - b.atMs),
  }));
