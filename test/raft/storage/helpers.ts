// Shared helpers of the storage tests: temporary directories and entry builders.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorage } from '../../../raft/storage/file-storage.ts';
import {
  type Entry,
  EntryType,
  type HardState,
  type Snapshot,
  logIndex,
  nodeId,
  term,
} from '../../../raft/types.ts';

export async function makeTemporaryDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'raft-storage-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Runs `body` with a fresh directory, removed afterwards whatever happens. */
export async function withTemporaryDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTemporaryDir();
  try {
    return await body(dir);
  } finally {
    await removeDir(dir);
  }
}

export function makeEntry(index: number, entryTerm: number, data: Uint8Array = defaultData(index)): Entry {
  return { index: logIndex(index), term: term(entryTerm), type: EntryType.Normal, data };
}

/** Entries first..last, all of one term. */
export function makeEntries(first: number, last: number, entryTerm: number, dataBytes?: number): Entry[] {
  const entries: Entry[] = [];
  for (let index = first; index <= last; index++) {
    const data = dataBytes === undefined ? defaultData(index) : new Uint8Array(dataBytes).fill(index & 0xff);
    entries.push(makeEntry(index, entryTerm, data));
  }
  return entries;
}

export function makeSnapshot(index: number, snapshotTerm: number, voters: number[] = [1, 2, 3]): Snapshot {
  const metadata = {
    index: logIndex(index),
    term: term(snapshotTerm),
    membership: { voters: voters.map(nodeId) },
  };
  return { metadata, data: new TextEncoder().encode(`state at ${index}`) };
}

export function makeHardState(hardStateTerm: number, vote: number, commit: number): HardState {
  return { term: term(hardStateTerm), vote: nodeId(vote), commit: logIndex(commit) };
}

export async function reopen(
  storage: FileStorage,
  dir: string,
  segmentBytesMax?: number,
): Promise<FileStorage> {
  await storage.close();
  return FileStorage.open({ dir, segmentBytesMax });
}

function defaultData(index: number): Uint8Array {
  return new TextEncoder().encode(`entry ${index}`);
}
