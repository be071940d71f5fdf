/**
 * A broken invariant is a bug, not an operating error: fail loudly with context instead of carrying on
 * with state that may already be corrupt (TigerBeetle, etcd-raft's panics).
 */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
  readonly context: Record<string, unknown>;
  constructor(message: string, context: Record<string, unknown>) {
    super(`invariant violated: ${message} ${JSON.stringify(context)}`);
    this.context = context;
  }
}

/** Throws when `condition` is false. On hot paths pass `message` as a function to skip formatting. */
export function assert(
  condition: boolean,
  message: string | (() => string),
  context: Record<string, unknown> = {},
): asserts condition {
  if (condition) return;
  throw new InvariantError(typeof message === 'function' ? message() : message, context);
}

/** Exhaustiveness check for switches over discriminated unions. */
export function unreachable(value: never): never {
  throw new InvariantError('unreachable', { value });
}
