// The few file primitives durability rests on.

import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { assert } from '../assert.ts';

export const TEMPORARY_SUFFIX = '.tmp';

/** Writes all of `data` at `positionBytes`: a write may be short, so loop until it is not. */
export async function writeAll(handle: FileHandle, data: Uint8Array, positionBytes: number): Promise<void> {
  let writtenBytes = 0;
  while (writtenBytes < data.length) {
    const remaining = data.length - writtenBytes;
    const { bytesWritten } = await handle.write(data, writtenBytes, remaining, positionBytes + writtenBytes);
    assert(bytesWritten > 0, 'write made no progress');
    writtenBytes += bytesWritten;
  }
}

/** Makes the directory's entries (created, renamed, removed files) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * mkdir -p, then fsyncs the directory and every ancestor up to the root, so that its whole path survives
 * a power loss. Existing directories are synced too: one that a killed process created is in the page
 * cache (so it exists for this process) but its entry in its parent may never have been fsynced, and a
 * later power loss would take it with everything below it. Called once per directory per process.
 */
export async function makeDirectoryPathDurable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let at = resolve(dir); ; at = dirname(at)) {
    await syncDirectory(at);
    if (dirname(at) === at) return;
  }
}

/**
 * Replaces `dir/name` with `data` so that a crash leaves the old file or the new one, never a mix:
 * write `name.tmp`, fsync it, rename it over `name`, fsync the directory.
 */
export async function writeFileAtomically(dir: string, name: string, data: Uint8Array): Promise<void> {
  const temporaryPath = join(dir, name + TEMPORARY_SUFFIX);
  const handle = await open(temporaryPath, 'w');
  try {
    await writeAll(handle, data, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporaryPath, join(dir, name));
  await syncDirectory(dir);
}
