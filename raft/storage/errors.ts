// The one operating error of the storage adapter: a file on disk does not hold what was made durable.

/**
 * A log, snapshot or hard state file failed a check that a crash cannot explain (a checksum or index
 * mismatch in data that was fsynced). Recovery refuses to start rather than silently drop durable data.
 */
export class CorruptStorageError extends Error {
  override readonly name = 'CorruptStorageError';
  readonly path: string;
  readonly offsetBytes: number;

  constructor(options: { path: string; offsetBytes: number; reason: string }) {
    super(`corrupt raft storage: ${options.path} at byte ${options.offsetBytes}: ${options.reason}`);
    this.path = options.path;
    this.offsetBytes = options.offsetBytes;
  }
}

/** True for the error fs raises when a path does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}
