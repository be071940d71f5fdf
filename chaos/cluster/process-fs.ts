import type { FileSystem, OpenMode, StorageFile } from '../../src/storage/file-system.ts';

const NEVER = new Promise<never>(() => {});

/**
 * A process's view of its disk that stops with the process: once `alive()` is false, no operation
 * settles, neither the ones in flight nor later ones. A dead process runs no code, so none of its
 * awaits may resume (sim-fs fails them with EIO, which would run the dead process's error paths and
 * surface as unhandled rejections of a process that no longer exists).
 */
export function processFileSystem(
  fs: FileSystem,
  alive: () => boolean,
  planted: { fsyncLies: boolean } = { fsyncLies: false },
): FileSystem {
  const guard = <T>(operation: () => Promise<T>): Promise<T> => {
    if (!alive()) return NEVER;
    return operation().then(
      (value) => (alive() ? value : NEVER),
      (error: unknown) => (alive() ? Promise.reject(error) : NEVER),
    );
  };
  const file = (inner: StorageFile): StorageFile => ({
    read: (positionBytes, lengthBytes) => guard(() => inner.read(positionBytes, lengthBytes)),
    write: (positionBytes, bytes) => guard(() => inner.write(positionBytes, bytes)),
    // Planted bug partition-fsync-lies: the fsync answers at once and makes nothing durable.
    sync: () => guard(() => (planted.fsyncLies ? Promise.resolve() : inner.sync())),
    truncate: (sizeBytes) => guard(() => inner.truncate(sizeBytes)),
    size: () => guard(() => inner.size()),
    close: () => guard(() => inner.close()),
  });
  return {
    open: (path: string, mode: OpenMode) => guard(async () => file(await fs.open(path, mode))),
    readFile: (path) => guard(() => fs.readFile(path)),
    readdir: (dir) => guard(() => fs.readdir(dir)),
    mkdir: (dir) => guard(() => fs.mkdir(dir)),
    rename: (from, to) => guard(() => fs.rename(from, to)),
    unlink: (path) => guard(() => fs.unlink(path)),
    rm: (path) => guard(() => fs.rm(path)),
    syncDir: (dir) => guard(() => fs.syncDir(dir)),
  };
}
