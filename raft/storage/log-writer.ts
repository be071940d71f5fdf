// Runs a sealed LogBatch against the files. The order keeps every crash state recoverable:
//   1. delete segment files (highest first, so a crash leaves a contiguous prefix), fsync the directory,
//      before anything is written that the deleted files would contradict;
//   2. per segment in ascending order: cut (fdatasync before writing over the cut, so stale frames can
//      never reappear after new ones), write the bytes with one write, one fdatasync; a created segment
//      then gets a directory fsync, so a later segment never exists without the earlier one.

import { open, unlink } from 'node:fs/promises';
import { assert } from '../assert.ts';
import { syncDirectory, writeAll } from './file-io.ts';
import type { LogBatch, SegmentWrite } from './segmented-log.ts';
import type { Segment } from './segment.ts';

export async function writeLogBatch(dir: string, batch: LogBatch): Promise<void> {
  await deleteSegmentFiles(dir, batch.deletions);
  for (const write of batch.writes) {
    await writeSegment(write);
    if (write.create) await syncDirectory(dir);
  }
}

async function deleteSegmentFiles(dir: string, segments: readonly Segment[]): Promise<void> {
  if (segments.length === 0) return;
  const descending = [...segments].sort((left, right) => right.baseIndex - left.baseIndex);
  for (const segment of descending) {
    await closeSegmentHandle(segment);
    await unlink(segment.path);
  }
  await syncDirectory(dir);
}

async function writeSegment(write: SegmentWrite): Promise<void> {
  const { segment } = write;
  assert(!write.create || segment.handle === null, 'a segment to create already has a handle');
  segment.handle ??= await open(segment.path, write.create ? 'wx' : 'r+');
  if (write.cutToBytes !== null) {
    await segment.handle.truncate(write.cutToBytes);
    if (write.data.length > 0) await segment.handle.datasync();
  }
  await writeAll(segment.handle, write.data, write.positionBytes);
  await segment.handle.datasync();
}

export async function closeSegmentHandle(segment: Segment): Promise<void> {
  const { handle } = segment;
  if (handle === null) return;
  segment.handle = null;
  await handle.close();
}
