// The file operations the partition log and its directory need, as a port: the product runs them on
// node:fs/promises (node-file-system.ts), the simulation on an in-memory disk with power loss and faults
// (chaos/sim/sim-fs.ts). Only what the storage code uses is here.
//
// Errors are Node's: an Error with `code` ('ENOENT', 'EEXIST', 'EIO', 'ENOSPC', ...), so callers test
// codes the same way against either implementation.

import { dirname, join, resolve } from 'node:path';
import { isNotFound } from './errors.ts';

/**
 * How a file is opened:
 * - `create`: a new file, read and write; EEXIST when it exists (Node's 'wx+');
 * - `replace`: created or emptied, write only (Node's 'w');
 * - `update`: an existing file, read and write; ENOENT when missing (Node's 'r+');
 * - `ensure`: created when missing, content kept; opened only to fsync it.
 */
export type OpenMode = 'create' | 'replace' | 'update' | 'ensure';

export interface StorageFile {
  /** Up to `lengthBytes` bytes at `positionBytes`; shorter only where the file ends. */
  read(positionBytes: number, lengthBytes: number): Promise<Buffer>;
  /** Writes all of `bytes` at `positionBytes` (the file grows as needed). */
  write(positionBytes: number, bytes: Uint8Array): Promise<void>;
  /**
   * fdatasync: the file's data and the metadata needed to read it back (its size) are durable. Not its
   * directory entry: a new or renamed file also needs `syncDir` of its directory.
   */
  sync(): Promise<void>;
  truncate(sizeBytes: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<StorageFile>;
  readFile(path: string): Promise<Buffer>;
  /** Entry names of a directory, in no particular order. */
  readdir(dir: string): Promise<string[]>;
  /** Creates the directory and its missing parents; nothing when it exists. */
  mkdir(dir: string): Promise<void>;
  /** Atomically replaces `to` (if it exists) with `from`; durable after `syncDir`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; ENOENT when it does not exist. Durable after `syncDir`. */
  unlink(path: string): Promise<void>;
  /** Removes a file or a directory tree; nothing when it does not exist. */
  rm(path: string): Promise<void>;
  /** fsync of a directory: its entries (files created, renamed, removed) are durable. */
  syncDir(dir: string): Promise<void>;
}

/** Suffix of a file being replaced atomically; recovery removes leftovers. */
export const TEMPORARY_SUFFIX = '.tmp';

/**
 * Replaces `dir/name` with `bytes` so that a crash leaves the old file or the new one, never a mix:
 * write `name.tmp`, fsync it, rename it over `name`, fsync the directory.
 */
export async function writeFileAtomically(
  fs: FileSystem,
  target: { dir: string; name: string },
  bytes: Uint8Array,
): Promise<void> {
  const path = join(target.dir, target.name);
  const temporaryPath = path + TEMPORARY_SUFFIX;
  const file = await fs.open(temporaryPath, 'replace');
  try {
    await file.write(0, bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(temporaryPath, path);
  await fs.syncDir(target.dir);
}

/**
 * Creates `dir` (and its missing parents) so that it survives a power loss: a new directory's entry is
 * in its parent, which needs an fsync of its own (as Kafka flushes a new log's parent directory).
 */
export async function makeDirectoryDurable(fs: FileSystem, dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = dir; !(await exists(fs, at)); at = dirname(at)) missing.push(at);
  if (missing.length === 0) return;
  await fs.mkdir(dir);
  for (const created of missing.reverse()) await fs.syncDir(dirname(created));
}

/**
 * Creates `dir` if needed, then fsyncs it and every ancestor up to the root. Unlike
 * `makeDirectoryDurable`, existing directories are synced too: one that a killed process created is in
 * the page cache (so it exists now) but its entry in its parent may never have been fsynced, and a later
 * power loss would take it, with every log below it. Once per directory per process: the directory's own
 * fsync also makes durable every entry it holds at that moment (e.g. partition directories left by
 * the killed process).
 */
export async function makePathDurable(fs: FileSystem, dir: string): Promise<void> {
  await fs.mkdir(dir);
  for (let at = resolve(dir); ; at = dirname(at)) {
    await fs.syncDir(at);
    if (dirname(at) === at) return;
  }
}

async function exists(fs: FileSystem, dir: string): Promise<boolean> {
  try {
    await fs.readdir(dir);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}
