import type { Prng } from './prng.ts';

/**
 * One simulation run, as data: the topology, the workload and the timed faults. fast-check generates and
 * shrinks these (schedule-arbitrary.ts); the plain mode draws them from a seed (below). Everything that
 * is not in the schedule (message delays, drops, sync latencies, election jitter) comes from `seed`.
 */
export interface Schedule {
  readonly seed: number;
  readonly voters: number;
  readonly observers: number;
  /** Mean time between two client proposals. */
  readonly proposalIntervalMs: number;
  /** Length of the safety phase; every fault ends (heals) by then. */
  readonly faultMs: number;
  readonly faults: readonly Fault[];
}

/** A node: an index into all nodes (taken modulo their number), or whoever leads at that moment. */
export type NodeRef = number | 'leader';

export type Fault =
  | { readonly kind: 'crash'; readonly atMs: number; readonly node: NodeRef; readonly downMs: number }
  /** The node's next fsync after `atMs` never completes: it crashes while the sync is in flight. */
  | { readonly kind: 'crashMidSync'; readonly atMs: number; readonly node: NodeRef; readonly downMs: number }
  /** Every node at once (power loss): only what was synced survives anywhere. */
  | { readonly kind: 'crashAll'; readonly atMs: number; readonly downMs: number }
  | { readonly kind: 'pause'; readonly atMs: number; readonly node: NodeRef; readonly durationMs: number }
  | { readonly kind: 'isolate'; readonly atMs: number; readonly node: NodeRef; readonly durationMs: number }
  /** Majority/minority: the first `minority` nodes after rotating by `shift` are cut from the others. */
  | {
      readonly kind: 'split';
      readonly atMs: number;
      readonly shift: number;
      readonly minority: number;
      readonly durationMs: number;
    }
  /** The others are split in two halves that cannot talk; `node` talks to both. */
  | { readonly kind: 'bridge'; readonly atMs: number; readonly node: NodeRef; readonly durationMs: number }
  | {
      readonly kind: 'lossy';
      readonly atMs: number;
      readonly durationMs: number;
      readonly drop: number;
      readonly duplicate: number;
      readonly extraDelayMs: number;
    }
  | {
      readonly kind: 'skew';
      readonly atMs: number;
      readonly node: NodeRef;
      readonly rate: number;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'slowDisk';
      readonly atMs: number;
      readonly node: NodeRef;
      readonly factor: number;
      readonly durationMs: number;
    }
  | { readonly kind: 'transfer'; readonly atMs: number; readonly to: NodeRef }
  /**
   * Jepsen-style targeted nemesis: each of the next `count` leaders elected after `atMs` is crashed or
   * isolated a random delay in [0, delayMaxUs] after it wins: before its first append leaves, or in the
   * middle of catching a follower up (the Figure 8 situations of Raft §5.4.2 need a chain of these).
   */
  | {
      readonly kind: 'leaderTrap';
      readonly atMs: number;
      readonly count: number;
      readonly delayMaxUs: number;
      readonly action: 'crash' | 'isolate';
      readonly durationMs: number;
    };

export type FaultKind = Fault['kind'];

/** Relative frequencies of fault kinds in generated schedules: leader crashes and partitions dominate. */
export const FAULT_WEIGHTS: Readonly<Record<FaultKind, number>> = {
  crash: 6,
  crashMidSync: 3,
  crashAll: 1,
  pause: 2,
  isolate: 3,
  split: 3,
  bridge: 2,
  lossy: 2,
  skew: 2,
  slowDisk: 2,
  transfer: 2,
  leaderTrap: 4,
};

/** Bounds shared by both generators. */
export const LIMITS = {
  faultMsMin: 2_000,
  faultMsMax: 5_000,
  /** Per second of faults: dense enough that faults overlap and leaders keep changing. */
  faultsPerSecondMax: 6,
  durationMsMin: 20,
  durationMsMax: 800,
  proposalIntervalMsMin: 2,
  proposalIntervalMsMax: 25,
} as const;

/** The plain "one seed, one run" mode: a schedule drawn from a PRNG (cheaper than fast-check). */
export function randomSchedule(seed: number, random: Prng): Schedule {
  const faultMs = random.between(LIMITS.faultMsMin, LIMITS.faultMsMax);
  const faults: Fault[] = [];
  const count = random.between(2, Math.ceil((LIMITS.faultsPerSecondMax * faultMs) / 1000));
  for (let i = 0; i < count; i++) faults.push(randomFault(random, faultMs));
  faults.sort((a, b) => a.atMs - b.atMs);
  return {
    seed,
    voters: random.chance(0.5) ? 3 : 5,
    observers: random.between(0, 2),
    proposalIntervalMs: random.between(LIMITS.proposalIntervalMsMin, LIMITS.proposalIntervalMsMax),
    faultMs,
    faults,
  };
}

function randomFault(random: Prng, faultMs: number): Fault {
  const kind = pickWeighted(random);
  const atMs = random.nextInt(faultMs);
  const durationMs = random.between(LIMITS.durationMsMin, LIMITS.durationMsMax);
  const node: NodeRef = random.chance(0.4) ? 'leader' : random.nextInt(64);
  switch (kind) {
    case 'crash':
    case 'crashMidSync':
      return { kind, atMs, node, downMs: durationMs };
    case 'crashAll':
      return { kind, atMs, downMs: random.between(1, 200) };
    case 'pause':
    case 'isolate':
    case 'bridge':
      return { kind, atMs, node, durationMs };
    case 'split':
      return { kind, atMs, shift: random.nextInt(64), minority: random.between(1, 3), durationMs };
    case 'lossy':
      return {
        kind,
        atMs,
        durationMs,
        drop: random.float() * 0.5,
        duplicate: random.float() * 0.3,
        extraDelayMs: random.between(0, 60),
      };
    case 'skew':
      return { kind, atMs, node, rate: 0.7 + random.float() * 0.6, durationMs };
    case 'slowDisk':
      return { kind, atMs, node, factor: random.between(2, 20), durationMs };
    case 'transfer':
      return { kind, atMs, to: random.nextInt(64) };
    case 'leaderTrap':
      return {
        kind,
        atMs,
        count: random.between(1, 4),
        delayMaxUs: random.pick([1_000, 5_000, 20_000, 60_000]),
        action: random.chance(0.5) ? 'crash' : 'isolate',
        durationMs,
      };
    default:
      return kind satisfies never;
  }
}

function pickWeighted(random: Prng): FaultKind {
  const kinds = Object.keys(FAULT_WEIGHTS) as FaultKind[];
  let total = 0;
  for (const kind of kinds) total += FAULT_WEIGHTS[kind];
  let roll = random.nextInt(total);
  for (const kind of kinds) {
    roll -= FAULT_WEIGHTS[kind];
    if (roll < 0) return kind;
  }
  return kinds[0]!;
}

/** One line per fault, for failure reports. */
export function describeSchedule(schedule: Schedule): string {
  const head = `${schedule.voters} voters + ${schedule.observers} observers, a proposal every ~${schedule.proposalIntervalMs} ms, ${schedule.faultMs} ms of faults`;
  return [head, ...schedule.faults.map((fault) => `  ${JSON.stringify(fault)}`)].join('\n');
}
