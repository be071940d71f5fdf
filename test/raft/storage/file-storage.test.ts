import { appendFile, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEntryFrame } from '../../../raft/storage/entry-frame.ts';
import { CorruptStorageError } from '../../../raft/storage/errors.ts';
import { FileStorage } from '../../../raft/storage/file-storage.ts';
import { HARD_STATE_FILE_NAME } from '../../../raft/storage/hard-state-file.ts';
import { writeSnapshotFile } from '../../../raft/storage/snapshot-file.ts';
import {
  makeEntries,
  makeEntry,
  makeHardState,
  makeSnapshot,
  makeTemporaryDir,
  removeDir,
  reopen,
} from './helpers.ts';

/** Frames of entries from makeEntries are 8 + 17 + ~9 bytes: about three fit in a 100-byte segment. */
const SMALL_SEGMENT_BYTES = 100;

let dir: string;
const opened: FileStorage[] = [];

async function openStorage(segmentBytesMax?: number): Promise<FileStorage> {
  const storage = await FileStorage.open({ dir, segmentBytesMax });
  opened.push(storage);
  return storage;
}

async function reopenStorage(storage: FileStorage, segmentBytesMax?: number): Promise<FileStorage> {
  const next = await reopen(storage, dir, segmentBytesMax);
  opened.push(next);
  return next;
}

async function segmentNames(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
}

beforeEach(async () => {
  dir = await makeTemporaryDir();
});

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  await removeDir(dir);
});

describe('FileStorage basics', () => {
  it('starts empty', async () => {
    const storage = await openStorage();
    expect(await storage.load()).toEqual({ hardState: makeHardState(0, 0, 0), snapshot: null, entries: [] });
  });

  it('returns after reopen what was appended and synced', async () => {
    const storage = await openStorage();
    storage.append(makeEntries(1, 5, 1));
    storage.append(makeEntries(6, 7, 2));
    storage.setHardState(makeHardState(2, 3, 6));
    await storage.sync();
    const reopened = await reopenStorage(storage);
    expect(await reopened.load()).toEqual({
      hardState: makeHardState(2, 3, 6),
      snapshot: null,
      entries: [...makeEntries(1, 5, 1), ...makeEntries(6, 7, 2)],
    });
    expect(await segmentNames()).toEqual(['00000000000000000001.log']);
  });

  it('drops at close what was not synced, as a crash would', async () => {
    const storage = await openStorage();
    storage.append(makeEntries(1, 3, 1));
    await storage.sync();
    storage.append(makeEntries(4, 6, 1));
    storage.setHardState(makeHardState(1, 1, 3));
    const reopened = await reopenStorage(storage);
    expect(await reopened.load()).toEqual({
      hardState: makeHardState(0, 0, 0),
      snapshot: null,
      entries: makeEntries(1, 3, 1),
    });
  });

  it('rolls segments at segmentBytesMax, names them by first index, and continues after reopen', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    storage.append(makeEntries(1, 10, 1));
    await storage.sync();
    expect(await segmentNames()).toEqual([
      '00000000000000000001.log',
      '00000000000000000004.log',
      '00000000000000000007.log',
      '00000000000000000010.log',
    ]);
    for (const name of await segmentNames())
      expect((await stat(join(dir, name))).size).toBeLessThanOrEqual(100);
    const reopened = await reopenStorage(storage, SMALL_SEGMENT_BYTES);
    reopened.append(makeEntries(11, 12, 1));
    await reopened.sync();
    const again = await reopenStorage(reopened, SMALL_SEGMENT_BYTES);
    expect((await again.load()).entries).toEqual(makeEntries(1, 12, 1));
  });

  it('keeps the last hard state set before a sync', async () => {
    const storage = await openStorage();
    storage.setHardState(makeHardState(1, 2, 0));
    storage.setHardState(makeHardState(2, 0, 0));
    await storage.sync();
    storage.setHardState(makeHardState(3, 1, 0));
    await storage.sync();
    const reopened = await reopenStorage(storage);
    expect((await reopened.load()).hardState).toEqual(makeHardState(3, 1, 0));
    expect((await readdir(dir)).sort()).toEqual([HARD_STATE_FILE_NAME]);
  });
});

describe('FileStorage conflicting appends', () => {
  it('truncates across segment boundaries, then appends', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    storage.append(makeEntries(1, 20, 1));
    await storage.sync();
    storage.append(makeEntries(5, 8, 2));
    await storage.sync();
    const expected = [...makeEntries(1, 4, 1), ...makeEntries(5, 8, 2)];
    const reopened = await reopenStorage(storage, SMALL_SEGMENT_BYTES);
    expect((await reopened.load()).entries).toEqual(expected);
    expect((await segmentNames()).at(-1)).toBe('00000000000000000007.log');
  });

  it('truncates at a segment boundary (the segment starting at the conflict goes)', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    storage.append(makeEntries(1, 9, 1));
    await storage.sync();
    storage.append(makeEntries(4, 4, 3, 40));
    storage.append(makeEntries(5, 5, 3));
    await storage.sync();
    const reopened = await reopenStorage(storage, SMALL_SEGMENT_BYTES);
    expect((await reopened.load()).entries).toEqual([
      ...makeEntries(1, 3, 1),
      ...makeEntries(4, 4, 3, 40),
      ...makeEntries(5, 5, 3),
    ]);
  });

  it('truncates entries still buffered, and ones written by an earlier sync, within one batch', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    storage.append(makeEntries(1, 6, 1));
    await storage.sync();
    storage.append(makeEntries(7, 12, 1));
    storage.append(makeEntries(9, 10, 2));
    storage.append(makeEntries(2, 3, 3));
    storage.append(makeEntries(4, 4, 4));
    await storage.sync();
    const reopened = await reopenStorage(storage, SMALL_SEGMENT_BYTES);
    const expected = [makeEntry(1, 1), ...makeEntries(2, 3, 3), makeEntry(4, 4)];
    expect((await reopened.load()).entries).toEqual(expected);
  });

  it('rejects an append that leaves a gap or is not contiguous', async () => {
    const storage = await openStorage();
    storage.append(makeEntries(1, 3, 1));
    expect(() => storage.append(makeEntries(5, 6, 1))).toThrow(/gap/);
    expect(() => storage.append([makeEntry(4, 1), makeEntry(6, 1)])).toThrow(/follows/);
    expect(() => storage.append(makeEntries(2, 2, 0))).toThrow(/term/);
  });
});

describe('FileStorage snapshots', () => {
  it('drops entries up to the snapshot and returns the snapshot with later entries', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    storage.append(makeEntries(1, 12, 2));
    await storage.sync();
    storage.saveSnapshot(makeSnapshot(8, 2));
    await storage.sync();
    expect(await segmentNames()).toEqual(['00000000000000000007.log', '00000000000000000010.log']);
    const reopened = await reopenStorage(storage, SMALL_SEGMENT_BYTES);
    expect(await reopened.load()).toEqual({
      hardState: makeHardState(0, 0, 0),
      snapshot: makeSnapshot(8, 2),
      entries: makeEntries(9, 12, 2),
    });
    reopened.saveSnapshot(makeSnapshot(12, 2, [1, 2]));
    await reopened.sync();
    expect((await readdir(dir)).sort()).toEqual(['snapshot-00000000000000000012-2.snap']);
    const again = await reopenStorage(reopened, SMALL_SEGMENT_BYTES);
    expect(await again.load()).toEqual({
      hardState: makeHardState(0, 0, 0),
      snapshot: makeSnapshot(12, 2, [1, 2]),
      entries: [],
    });
  });

  it('discards the whole log for a snapshot beyond it; the next append starts after the snapshot', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    storage.append(makeEntries(1, 5, 1));
    await storage.sync();
    storage.saveSnapshot(makeSnapshot(9, 3));
    expect(() => storage.append(makeEntries(11, 11, 3))).toThrow(/gap/);
    storage.append(makeEntries(10, 11, 3));
    await storage.sync();
    expect(await segmentNames()).toEqual(['00000000000000000010.log']);
    const reopened = await reopenStorage(storage, SMALL_SEGMENT_BYTES);
    expect(await reopened.load()).toEqual({
      hardState: makeHardState(0, 0, 0),
      snapshot: makeSnapshot(9, 3),
      entries: makeEntries(10, 11, 3),
    });
  });

  it('discards the whole log when its entry at the snapshot index has another term', async () => {
    const storage = await openStorage();
    storage.append(makeEntries(1, 5, 1));
    storage.saveSnapshot(makeSnapshot(3, 2));
    await storage.sync();
    const reopened = await reopenStorage(storage);
    expect(await reopened.load()).toEqual({
      hardState: makeHardState(0, 0, 0),
      snapshot: makeSnapshot(3, 2),
      entries: [],
    });
  });

  it('finishes applying a snapshot whose log changes a crash interrupted', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    storage.append(makeEntries(1, 9, 1));
    await storage.sync();
    await storage.close();
    await writeSnapshotFile(dir, makeSnapshot(2, 1));
    await writeSnapshotFile(dir, makeSnapshot(5, 1));
    const matching = await openStorage(SMALL_SEGMENT_BYTES);
    expect(await matching.load()).toEqual({
      hardState: makeHardState(0, 0, 0),
      snapshot: makeSnapshot(5, 1),
      entries: makeEntries(6, 9, 1),
    });
    expect((await readdir(dir)).filter((name) => name.endsWith('.snap'))).toEqual([
      'snapshot-00000000000000000005-1.snap',
    ]);
    await matching.close();
    await writeSnapshotFile(dir, makeSnapshot(7, 4));
    const conflicting = await openStorage(SMALL_SEGMENT_BYTES);
    expect(await conflicting.load()).toEqual({
      hardState: makeHardState(0, 0, 0),
      snapshot: makeSnapshot(7, 4),
      entries: [],
    });
    expect(await segmentNames()).toEqual([]);
  });
});

describe('FileStorage recovery', () => {
  async function writeFiveEntries(segmentBytesMax?: number): Promise<string> {
    const storage = await openStorage(segmentBytesMax);
    storage.append(makeEntries(1, 5, 1));
    await storage.sync();
    await storage.close();
    return join(dir, (await segmentNames()).at(-1)!);
  }

  it('cuts a torn tail (half a frame) at the last good frame', async () => {
    const path = await writeFiveEntries();
    const sizeBytes = (await stat(path)).size;
    const frame = encodeEntryFrame(makeEntry(6, 1));
    await appendFile(path, frame.subarray(0, frame.length >> 1));
    const storage = await openStorage();
    expect((await storage.load()).entries).toEqual(makeEntries(1, 5, 1));
    expect((await stat(path)).size).toBe(sizeBytes);
    storage.append(makeEntries(6, 6, 1));
    await storage.sync();
    expect((await (await reopenStorage(storage)).load()).entries).toEqual(makeEntries(1, 6, 1));
  });

  it('cuts a tail of garbage or zeros', async () => {
    const path = await writeFiveEntries();
    await appendFile(path, Buffer.from('garbage that is not a frame at all, not even close'));
    await appendFile(path, Buffer.alloc(4096));
    expect((await (await openStorage()).load()).entries).toEqual(makeEntries(1, 5, 1));
  });

  it('removes a last segment that holds nothing valid', async () => {
    await writeFiveEntries(SMALL_SEGMENT_BYTES);
    await writeFile(join(dir, '00000000000000000006.log'), Buffer.alloc(10, 7));
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    expect((await storage.load()).entries).toEqual(makeEntries(1, 5, 1));
    expect(await segmentNames()).toEqual(['00000000000000000001.log', '00000000000000000004.log']);
  });

  it('throws, naming file and offset, on a corrupt frame followed by valid ones', async () => {
    const path = await writeFiveEntries();
    const bytes = await readFile(path);
    const secondFrameOffset = encodeEntryFrame(makeEntry(1, 1)).length;
    bytes[secondFrameOffset + 12] = bytes[secondFrameOffset + 12]! ^ 0x40;
    await writeFile(path, bytes);
    const error = await FileStorage.open({ dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CorruptStorageError);
    expect(String(error)).toContain(`${path} at byte ${secondFrameOffset}`);
  });

  it('throws on a corrupt frame in a segment before the last', async () => {
    const path = join(dir, '00000000000000000001.log');
    await writeFiveEntries(SMALL_SEGMENT_BYTES);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    await writeFile(path, bytes);
    await expect(FileStorage.open({ dir, segmentBytesMax: SMALL_SEGMENT_BYTES })).rejects.toThrow(
      /00000000000000000001\.log at byte \d+: bad frame in a segment before the last/,
    );
  });

  it('throws on a missing segment in the middle of the log', async () => {
    await writeFiveEntries(SMALL_SEGMENT_BYTES);
    await writeFile(join(dir, '00000000000000000009.log'), encodeEntryFrame(makeEntry(9, 1)));
    await expect(FileStorage.open({ dir })).rejects.toThrow(CorruptStorageError);
  });

  it('throws on a corrupt hard state file', async () => {
    const storage = await openStorage();
    storage.setHardState(makeHardState(5, 1, 0));
    await storage.sync();
    await storage.close();
    const path = join(dir, HARD_STATE_FILE_NAME);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    await writeFile(path, bytes);
    await expect(FileStorage.open({ dir })).rejects.toThrow(/hardstate at byte 0: no valid hard state slot/);
  });

  it('removes leftover temporary files', async () => {
    await writeFile(join(dir, 'hardstate.tmp'), 'half written');
    await writeFile(join(dir, 'snapshot-00000000000000000003-1.snap.tmp'), 'half written');
    const storage = await openStorage();
    expect(await storage.load()).toEqual({ hardState: makeHardState(0, 0, 0), snapshot: null, entries: [] });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('FileStorage sync', () => {
  it('coalesces concurrent syncs into few batches, and all of it is durable', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES * 10);
    const syncs: Promise<void>[] = [];
    for (let index = 1; index <= 200; index++) {
      storage.append([makeEntry(index, 1)]);
      storage.setHardState(makeHardState(1, 1, index - 1));
      syncs.push(storage.sync());
    }
    await Promise.all(syncs);
    expect(storage.syncBatchCount).toBe(2);
    await Promise.all([storage.sync(), storage.sync()]);
    expect(storage.syncBatchCount).toBe(2);
    const reopened = await reopenStorage(storage, SMALL_SEGMENT_BYTES * 10);
    expect(await reopened.load()).toEqual({
      hardState: makeHardState(1, 1, 199),
      snapshot: null,
      entries: makeEntries(1, 200, 1),
    });
  });

  it('takes changes made while a sync runs into the next batch', async () => {
    const storage = await openStorage(SMALL_SEGMENT_BYTES);
    storage.append(makeEntries(1, 10, 1));
    const first = storage.sync();
    storage.append(makeEntries(6, 12, 2));
    storage.saveSnapshot(makeSnapshot(7, 2));
    const second = storage.sync();
    storage.append(makeEntries(13, 13, 2));
    const third = storage.sync();
    expect(third).not.toBe(first);
    await Promise.all([first, second, third]);
    const reopened = await reopenStorage(storage, SMALL_SEGMENT_BYTES);
    expect(await reopened.load()).toEqual({
      hardState: makeHardState(0, 0, 0),
      snapshot: makeSnapshot(7, 2),
      entries: makeEntries(8, 13, 2),
    });
  });

  it('close waits for the running sync; later calls throw', async () => {
    const storage = await openStorage();
    storage.append(makeEntries(1, 3, 1));
    const syncing = storage.sync();
    await storage.close();
    await syncing;
    expect(() => storage.append(makeEntries(4, 4, 1))).toThrow(/closed/);
    await expect(storage.sync()).rejects.toThrow(/closed/);
    expect((await (await openStorage()).load()).entries).toEqual(makeEntries(1, 3, 1));
  });

  it('refuses load() after a change', async () => {
    const storage = await openStorage();
    storage.setHardState(makeHardState(1, 0, 0));
    await expect(storage.load()).rejects.toThrow(/load\(\) after/);
  });
});
