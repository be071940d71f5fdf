/**
 * A broken safety or liveness property (or a broken contract between the core and its driver). The
 * runner catches it, adds the seed and the replay command, and fails the run.
 */
export class Violation extends Error {
  override readonly name = 'Violation';
  /** Which checker fired: "election-safety", "log-matching", ... */
  readonly checker: string;

  constructor(checker: string, message: string) {
    super(`${checker}: ${message}`);
    this.checker = checker;
  }
}

/** A failed run: the first violation (or core assertion), with what it takes to replay it. */
export class SimulationFailure extends Error {
  override readonly name = 'SimulationFailure';
  readonly seed: number;
  readonly checker: string;
  readonly atMs: number;
  /** The last notable happenings before the failure (faults, crashes, elections). */
  readonly journal: readonly string[];

  constructor(seed: number, atMs: number, cause: unknown, journal: readonly string[] = []) {
    const checker = cause instanceof Violation ? cause.checker : errorName(cause);
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`seed ${seed} at ${atMs.toFixed(3)} ms: ${detail}`, { cause });
    this.seed = seed;
    this.checker = checker;
    this.atMs = atMs;
    this.journal = journal;
  }
}

function errorName(cause: unknown): string {
  if (cause instanceof Error && cause.name === 'InvariantError') return 'core-assertion';
  return cause instanceof Error ? cause.name : 'error';
}
