// Recovery at open: read the newest snapshot, the hard state and the log segments, repair what a crash
// can leave behind, and refuse (CorruptStorageError) what a crash cannot explain.
//
// A crash can leave: *.tmp files (removed), snapshot files older than the newest (removed), a torn
// tail in the last segment (cut at the last good frame, fsynced), an empty last segment (removed),
// segments the snapshot made obsolete (removed). Anything else that fails a check is corruption of
// fsynced data: a bad frame in a segment before the last, or followed by valid frames, a gap.

import { open, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type Entry, type HardState, NONE, type Snapshot, logIndex, term } from '../types.ts';
import { CorruptStorageError } from './errors.ts';
import { makeDirectoryPathDurable, syncDirectory, TEMPORARY_SUFFIX } from './file-io.ts';
import { readHardStateFile } from './hard-state-file.ts';
import {
  Segment,
  hasEntryFrameAfter,
  parseSegmentFileName,
  scanSegment,
  segmentFileName,
} from './segment.ts';
import { parseSnapshotFileName, readSnapshotFile } from './snapshot-file.ts';

export const INITIAL_HARD_STATE: HardState = { term: term(0), vote: NONE, commit: logIndex(0) };

export interface Recovery {
  readonly hardState: HardState;
  readonly hardStateSequence: number;
  readonly snapshot: Snapshot | null;
  readonly snapshotFileName: string | null;
  /** Every entry after the snapshot, contiguous. */
  readonly entries: Entry[];
  readonly segments: Segment[];
}

interface ScannedSegment {
  readonly baseIndex: number;
  readonly path: string;
  readonly entries: Entry[];
  readonly endsBytes: number[];
}

export async function recover(dir: string): Promise<Recovery> {
  await makeDirectoryPathDurable(dir);
  const names = await readdir(dir);
  await removeFiles(
    dir,
    names.filter((name) => name.endsWith(TEMPORARY_SUFFIX)),
  );
  const storedHardState = await readHardStateFile(dir);
  const hardState = storedHardState?.hardState ?? INITIAL_HARD_STATE;
  const hardStateSequence = storedHardState?.sequence ?? 0;
  const { snapshot, snapshotFileName } = await recoverSnapshot(dir, names);
  const scans = await recoverSegments(dir, names, snapshot?.metadata.index ?? 0);
  const kept = await reconcileWithSnapshot(dir, scans, snapshot);
  const snapshotIndex = snapshot?.metadata.index ?? 0;
  const entries = kept.flatMap((scan) => scan.entries.filter((entry) => entry.index > snapshotIndex));
  const segments = kept.map(
    (scan) =>
      new Segment({
        dir,
        baseIndex: scan.baseIndex,
        terms: scan.entries.map((e) => e.term),
        endsBytes: scan.endsBytes,
      }),
  );
  return { hardState, hardStateSequence, snapshot, snapshotFileName, entries, segments };
}

/** The newest snapshot; older snapshot files (left by a crash before their removal) are removed. */
async function recoverSnapshot(dir: string, names: readonly string[]) {
  const found = names.flatMap((name) => {
    const parsed = parseSnapshotFileName(name);
    return parsed === null ? [] : [{ name, ...parsed }];
  });
  found.sort((left, right) => right.index - left.index || right.term - left.term);
  const newest = found[0];
  if (newest === undefined) return { snapshot: null, snapshotFileName: null };
  const snapshot = await readSnapshotFile(dir, newest.name);
  await removeFiles(
    dir,
    found.slice(1).map((file) => file.name),
  );
  return { snapshot, snapshotFileName: newest.name };
}

/** Reads the segments not wholly below the snapshot (those are removed unread). */
async function recoverSegments(dir: string, names: readonly string[], snapshotIndex: number) {
  const bases = names.flatMap((name) => parseSegmentFileName(name) ?? []).sort((left, right) => left - right);
  let belowCount = 0;
  while (belowCount + 1 < bases.length && bases[belowCount + 1]! <= snapshotIndex + 1) belowCount++;
  await removeFiles(
    dir,
    bases.slice(0, belowCount).map((base) => segmentFileName(base)),
  );
  const scans: ScannedSegment[] = [];
  const keptBases = bases.slice(belowCount);
  for (const [position, baseIndex] of keptBases.entries()) {
    const previous = scans.at(-1);
    const scan = await recoverSegment({
      dir,
      baseIndex,
      previous,
      isLast: position === keptBases.length - 1,
    });
    if (scan !== null) scans.push(scan);
  }
  return scans;
}

/** One segment, its torn tail cut if it is the last; null if it was an empty last segment (removed). */
async function recoverSegment(options: {
  dir: string;
  baseIndex: number;
  previous: ScannedSegment | undefined;
  isLast: boolean;
}): Promise<ScannedSegment | null> {
  const { dir, baseIndex, previous, isLast } = options;
  const path = join(dir, segmentFileName(baseIndex));
  const indexExpected = previous === undefined ? baseIndex : previous.baseIndex + previous.entries.length;
  if (baseIndex !== indexExpected) {
    throw new CorruptStorageError({
      path,
      offsetBytes: 0,
      reason: `segment follows entry ${indexExpected - 1}`,
    });
  }
  const buffer = await readFile(path);
  const termMin = previous?.entries.at(-1)?.term ?? 0;
  const scan = scanSegment({ buffer, path, baseIndex, termMin });
  if (scan.damageOffsetBytes !== null) {
    const indexMin = baseIndex + scan.entries.length;
    await cutTornTail({ path, buffer, offsetBytes: scan.damageOffsetBytes, indexMin, isLast });
  }
  if (scan.entries.length === 0) {
    if (!isLast)
      throw new CorruptStorageError({ path, offsetBytes: 0, reason: 'empty segment before the last' });
    await removeFiles(dir, [segmentFileName(baseIndex)]);
    return null;
  }
  return { baseIndex, path, entries: scan.entries, endsBytes: scan.endsBytes };
}

async function cutTornTail(options: {
  path: string;
  buffer: Buffer;
  offsetBytes: number;
  indexMin: number;
  isLast: boolean;
}): Promise<void> {
  const { path, buffer, offsetBytes, indexMin } = options;
  if (!options.isLast) {
    throw new CorruptStorageError({ path, offsetBytes, reason: 'bad frame in a segment before the last' });
  }
  if (hasEntryFrameAfter(buffer, offsetBytes, indexMin)) {
    throw new CorruptStorageError({ path, offsetBytes, reason: 'bad frame followed by valid frames' });
  }
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(offsetBytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Applies the snapshot rule to the recovered log (a crash may have stopped its application): entries
 * <= snapshot index are dropped, and the whole log if it does not hold the snapshot's entry.
 */
async function reconcileWithSnapshot(dir: string, scans: ScannedSegment[], snapshot: Snapshot | null) {
  const first = scans[0];
  const last = scans.at(-1);
  if (first === undefined || last === undefined) return scans;
  const snapshotIndex = snapshot?.metadata.index ?? 0;
  if (first.baseIndex > snapshotIndex + 1) {
    const reason = `log starts at ${first.baseIndex}, after the snapshot at ${snapshotIndex}`;
    throw new CorruptStorageError({ path: first.path, offsetBytes: 0, reason });
  }
  if (snapshot === null || first.baseIndex === snapshotIndex + 1) return scans;
  const lastIndex = last.baseIndex + last.entries.length - 1;
  const termAtSnapshot = lastIndex >= snapshotIndex ? termOf(scans, snapshotIndex) : null;
  if (termAtSnapshot === snapshot.metadata.term && lastIndex > snapshotIndex) return scans;
  await removeFiles(dir, scans.map((scan) => segmentFileName(scan.baseIndex)).reverse());
  return [];
}

function termOf(scans: readonly ScannedSegment[], index: number): number | null {
  const scan = scans.findLast((candidate) => candidate.baseIndex <= index);
  return scan?.entries[index - scan.baseIndex]?.term ?? null;
}

/** Removes files in the given order, then makes the removal durable. */
async function removeFiles(dir: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  for (const name of names) await unlink(join(dir, name));
  await syncDirectory(dir);
}
