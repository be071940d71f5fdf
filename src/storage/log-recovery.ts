// Opens a partition directory after a clean shutdown or a crash. The checkpoint's recovery point splits
// the log in two:
// - segments wholly before it were fsynced: their indexes are loaded (rebuilt by a scan if missing or
//   inconsistent) and any damage found is corruption: CorruptLogError, never a silent loss;
// - the segment holding it and every later one are scanned batch by batch (CRC, contiguous offsets,
//   non-decreasing epochs). The first bad batch after the recovery point is a torn tail: the file is cut
//   there and later segments are deleted. A bad batch before the recovery point is corruption.
// The leader-epoch cache is the checkpoint's for the durable part and is rebuilt from the scanned
// batches for the rest, so it always matches the recovered log.
// A log cleaning that a crash interrupted is finished first (log-cleaning.ts): a `.cleaned` file is
// removed (the cleaning had not committed), a `.swap` file replaces the segments it covers.

import { basename, dirname, join } from 'node:path';
import { type PartitionCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint-file.ts';
import { CorruptLogError, isNotFound } from './errors.ts';
import { type FileSystem, makeDirectoryDurable, TEMPORARY_SUFFIX } from './file-system.ts';
import { decodeIndexFile, type IndexKind } from './index-files.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import type { LogConfig } from './log-config.ts';
import { LogSegment } from './log-segment.ts';
import { batchAt } from './record-batch/batch-iterator.ts';
import { LOG_OVERHEAD_BYTES } from './record-batch/format.ts';
import type { RecordBatchHeader } from './record-batch/header.ts';
import { batchDefect } from './record-batch/validate.ts';
import { CLEANED_SUFFIX, parseLogFileName, parseSwapFileName, segmentPaths } from './segment-files.ts';
import { scanSegment } from './segment-scan.ts';
import { leaderEpoch, type Offset, offset } from './types.ts';

export interface RecoveredLog {
  readonly segments: LogSegment[];
  readonly leaderEpochs: LeaderEpochCache;
  readonly logStartOffset: Offset;
  /** The checkpoint's recovery point: everything before it was durable, and still is. */
  readonly recoveryPoint: Offset;
  /** The checkpoint's first dirty offset (the log cleaner's). */
  readonly firstDirtyOffset: Offset;
}

const EMPTY_CHECKPOINT: PartitionCheckpoint = {
  recoveryPoint: offset(0),
  logStartOffset: offset(0),
  leaderEpochs: [],
  firstDirtyOffset: offset(0),
};

/** Where a log lives: its directory on a file system. */
export interface LogDirectory {
  readonly fs: FileSystem;
  readonly dir: string;
}

export async function recoverLog(
  where: LogDirectory,
  config: LogConfig,
  options: { readonly tolerateDamage?: boolean } = {},
): Promise<RecoveredLog> {
  const { fs, dir } = where;
  await makeDirectoryDurable(fs, dir);
  await removeTemporaryFiles(where);
  await finishInterruptedCleaning(where);
  const checkpoint = (await readCheckpoint(fs, dir)) ?? EMPTY_CHECKPOINT;
  const bases = await dropSegmentsBelow(where, await listSegmentBases(where), checkpoint.logStartOffset);
  if (bases.length === 0) return startEmpty(where, checkpoint);
  const recoveryPoint = checkpoint.recoveryPoint;
  const scanFrom = Math.max(
    0,
    bases.findLastIndex((base) => base <= recoveryPoint),
  );
  const segments: LogSegment[] = [];
  for (let at = 0; at < scanFrom; at++)
    segments.push(
      await loadDurableSegment(where, bases[at]!, bases[at + 1]!, config, options.tolerateDamage ?? false),
    );
  const scanStart = bases[scanFrom]!;
  const leaderEpochs = new LeaderEpochCache(
    checkpoint.leaderEpochs.filter((entry) => entry.startOffset < scanStart),
  );
  await scanTail(where, bases.slice(scanFrom), { segments, leaderEpochs, recoveryPoint, config });
  const logEndOffset = segments.at(-1)!.nextOffset;
  if (logEndOffset < recoveryPoint) {
    const last = segments.at(-1)!;
    const reason = `log ends at offset ${logEndOffset}, before the recovery point ${recoveryPoint}`;
    throw new CorruptLogError({ path: last.paths.log, positionBytes: last.sizeBytes, reason });
  }
  if (logEndOffset < checkpoint.logStartOffset) {
    // DeleteRecords moved the start past batches that were never fsynced, and a power loss took them.
    // As Kafka's LogLoader: every segment goes, and the log starts again, empty, at its start offset.
    for (const segment of segments.reverse()) await segment.delete();
    await fs.syncDir(dir);
    return startEmpty(where, checkpoint);
  }
  const logStartOffset = offset(Math.max(checkpoint.logStartOffset, segments[0]!.baseOffset));
  leaderEpochs.truncateFromEnd(logEndOffset);
  leaderEpochs.truncateFromStart(logStartOffset);
  return {
    segments,
    leaderEpochs,
    logStartOffset,
    recoveryPoint,
    firstDirtyOffset: checkpoint.firstDirtyOffset,
  };
}

/**
 * Bit rot found while opening (a CorruptLogError in durable data, naming its segment file): drops that
 * segment and every later one (dropSegmentsFrom), so that the next open succeeds with the data before
 * the damage. Only for a replica out of the ISR: it fetches the dropped part again (ReplicaManager
 * decides).
 */
export async function dropDamagedSegments(where: LogDirectory, damage: CorruptLogError): Promise<void> {
  const damagedBase = parseLogFileName(basename(damage.path));
  if (dirname(damage.path) !== join(where.dir) || damagedBase === null) throw damage;
  await dropSegmentsFrom(where, damagedBase);
}

/**
 * Drops the segment starting at `segmentBase` and every later one, the checkpoint lowered first
 * (recovery point and leader epochs end where the log now ends), files removed from the last.
 */
export async function dropSegmentsFrom(where: LogDirectory, segmentBase: number): Promise<void> {
  const { fs, dir } = where;
  const checkpoint = (await readCheckpoint(fs, dir)) ?? EMPTY_CHECKPOINT;
  const newEnd = offset(Math.max(segmentBase, checkpoint.logStartOffset));
  await writeCheckpoint(fs, dir, {
    recoveryPoint: offset(Math.min(checkpoint.recoveryPoint, newEnd)),
    logStartOffset: checkpoint.logStartOffset,
    leaderEpochs: checkpoint.leaderEpochs.filter((entry) => entry.startOffset < newEnd),
    firstDirtyOffset: offset(Math.min(checkpoint.firstDirtyOffset, newEnd)),
  });
  const doomed = (await listSegmentBases(where)).filter((base) => base >= segmentBase);
  for (const base of doomed.reverse()) await deleteSegmentFiles(where, base);
  await fs.syncDir(dir);
}

/** A log without segments: one empty segment at the checkpoint's log start offset. */
async function startEmpty({ fs, dir }: LogDirectory, checkpoint: PartitionCheckpoint): Promise<RecoveredLog> {
  const segment = await LogSegment.create(fs, dir, checkpoint.logStartOffset);
  await fs.syncDir(dir);
  const leaderEpochs = new LeaderEpochCache(checkpoint.leaderEpochs);
  leaderEpochs.truncateFromEnd(checkpoint.logStartOffset);
  return {
    segments: [segment],
    leaderEpochs,
    logStartOffset: checkpoint.logStartOffset,
    recoveryPoint: segment.nextOffset,
    firstDirtyOffset: checkpoint.logStartOffset,
  };
}

async function removeTemporaryFiles({ fs, dir }: LogDirectory): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith(TEMPORARY_SUFFIX)) await fs.unlink(join(dir, name));
  }
}

/**
 * A log cleaning cut short (log-cleaning.ts): a `<base>.log.cleaned` file was not committed, and goes; a
 * `<base>.log.swap` file was (fsynced before its rename), and replaces every segment whose base offset
 * falls in the offsets it covers, which the cleaned segment covers exactly (its batches are contiguous
 * up to the next segment's base offset). The old segments go durably before the swap file is renamed,
 * so no crash leaves both.
 */
async function finishInterruptedCleaning(where: LogDirectory): Promise<void> {
  const { fs, dir } = where;
  const names = await fs.readdir(dir);
  for (const name of names.filter((candidate) => candidate.endsWith(CLEANED_SUFFIX))) {
    await fs.unlink(join(dir, name));
  }
  for (const name of names) {
    const base = parseSwapFileName(name);
    if (base === null) continue;
    const path = join(dir, name);
    const end = await swapEndOffset(fs, path, base);
    const replaced = (await listSegmentBases(where)).filter((segment) => segment >= base && segment < end);
    for (const segment of replaced.reverse()) await deleteSegmentFiles(where, segment);
    await fs.syncDir(dir);
    await fs.rename(path, segmentPaths(dir, base).log);
    await fs.syncDir(dir);
  }
}

/** The offset after the last batch of a swap file, every batch checked (it was fsynced whole). */
async function swapEndOffset(fs: FileSystem, path: string, baseOffset: number): Promise<number> {
  const file = await fs.open(path, 'update');
  try {
    const sizeBytes = await file.size();
    let positionBytes = 0;
    let next = baseOffset;
    while (positionBytes < sizeBytes) {
      const chunk = await file.read(
        positionBytes,
        Math.min(SWAP_SCAN_CHUNK_BYTES, sizeBytes - positionBytes),
      );
      let at = 0;
      for (;;) {
        const found = batchAt(chunk, at);
        if (found.status !== 'ok') break;
        const defect =
          batchDefect(found.header)?.message ?? (found.header.baseOffset !== next ? 'offset gap' : null);
        if (defect !== null)
          throw new CorruptLogError({ path, positionBytes: positionBytes + at, reason: defect });
        next = found.header.lastOffset + 1;
        at = found.endBytes;
      }
      if (at === 0) {
        // A batch larger than the chunk, or the end of the file inside a batch.
        const needed = chunk.length >= LOG_OVERHEAD_BYTES ? LOG_OVERHEAD_BYTES + chunk.readInt32BE(8) : 0;
        if (needed <= chunk.length || positionBytes + needed > sizeBytes) {
          throw new CorruptLogError({ path, positionBytes, reason: 'a swap file ends inside a batch' });
        }
        const whole = await file.read(positionBytes, needed);
        const header = batchAt(whole, 0);
        if (
          header.status !== 'ok' ||
          batchDefect(header.header) !== null ||
          header.header.baseOffset !== next
        ) {
          throw new CorruptLogError({ path, positionBytes, reason: 'a damaged batch in a swap file' });
        }
        next = header.header.lastOffset + 1;
        at = needed;
      }
      positionBytes += at;
    }
    return next;
  } finally {
    await file.close();
  }
}

const SWAP_SCAN_CHUNK_BYTES = 1024 * 1024;

async function listSegmentBases({ fs, dir }: LogDirectory): Promise<number[]> {
  const bases = (await fs.readdir(dir)).map(parseLogFileName).filter((base) => base !== null);
  return bases.sort((left, right) => left - right);
}

/** Finishes a retention or DeleteRecords that a crash interrupted: segments wholly below the start go. */
async function dropSegmentsBelow(
  where: LogDirectory,
  bases: number[],
  logStartOffset: number,
): Promise<number[]> {
  let first = 0;
  while (first + 1 < bases.length && bases[first + 1]! <= logStartOffset) first++;
  for (const base of bases.slice(0, first)) await deleteSegmentFiles(where, base);
  if (first > 0) await where.fs.syncDir(where.dir);
  return bases.slice(first);
}

async function deleteSegmentFiles({ fs, dir }: LogDirectory, baseOffset: number): Promise<void> {
  const paths = segmentPaths(dir, baseOffset);
  for (const path of [paths.log, paths.offsetIndex, paths.timeIndex]) {
    await fs.unlink(path).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }
}

/** A segment before the recovery point: trusted indexes when they pass the checks, a strict scan if not. */
async function loadDurableSegment(
  { fs, dir }: LogDirectory,
  base: number,
  nextBase: number,
  config: LogConfig,
  tolerateDamage: boolean,
): Promise<LogSegment> {
  const segment = await LogSegment.open(fs, dir, offset(base));
  if (await loadIndexes(fs, segment, offset(nextBase))) return segment;
  const defect = await scanSegment(segment, {
    indexIntervalBytes: config.indexIntervalBytes,
    check: () => null,
  });
  if (defect !== null && tolerateDamage && segment.nextOffset <= nextBase) {
    // The last in-sync copy opens with bit rot in a closed segment rather than not at all: the segment
    // ends where the next one begins, its indexes cover what came before the damage, and reads find the
    // damage (CORRUPT_MESSAGE) or walk past it (LogSegment.locate), so that followers can catch up.
    segment.nextOffset = offset(nextBase);
    await segment.seal();
    return segment;
  }
  const gap = segment.nextOffset !== nextBase;
  if (defect !== null || gap) {
    const reason =
      defect?.reason ?? `segment ends at offset ${segment.nextOffset}, next starts at ${nextBase}`;
    throw new CorruptLogError({
      path: segment.paths.log,
      positionBytes: defect?.positionBytes ?? segment.sizeBytes,
      reason,
    });
  }
  await segment.seal();
  return segment;
}

async function loadIndexes(fs: FileSystem, segment: LogSegment, nextOffset: Offset): Promise<boolean> {
  const shape = { baseOffset: segment.baseOffset, nextOffset, logBytes: segment.sizeBytes };
  const offsetIndex = await readIndex(fs, 'offset', segment.paths.offsetIndex, shape);
  const timeIndex = await readIndex(fs, 'time', segment.paths.timeIndex, shape);
  if (offsetIndex === null || timeIndex === null) return false;
  if (segment.sizeBytes === 0 || timeIndex.entryCount === 0) return false;
  const lastPosition = offsetIndex.lastValue();
  if (lastPosition !== undefined) {
    const header = await segment.headerAt(lastPosition).catch(() => null);
    if (header === null || header.baseOffset !== offsetIndex.lastKey()) return false;
  }
  segment.offsetIndex = offsetIndex;
  segment.timeIndex = timeIndex;
  segment.nextOffset = nextOffset;
  segment.maxTimestamp = timeIndex.lastKey()!;
  segment.offsetOfMaxTimestamp = offset(timeIndex.lastValue()!);
  segment.indexesLoaded();
  return true;
}

async function readIndex(
  fs: FileSystem,
  kind: IndexKind,
  path: string,
  shape: Parameters<typeof decodeIndexFile>[2],
) {
  try {
    return decodeIndexFile(kind, await fs.readFile(path), shape);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

interface TailState {
  readonly segments: LogSegment[];
  readonly leaderEpochs: LeaderEpochCache;
  readonly recoveryPoint: Offset;
  readonly config: LogConfig;
}

/** Scans the segments from the one holding the recovery point; cuts the log at the first defect. */
async function scanTail(where: LogDirectory, bases: readonly number[], state: TailState): Promise<void> {
  const check = (header: RecordBatchHeader) => assignEpoch(state.leaderEpochs, header);
  for (let at = 0; at < bases.length; at++) {
    const segment = await LogSegment.open(where.fs, where.dir, offset(bases[at]!));
    const previous = state.segments.at(-1);
    if (previous !== undefined && segment.baseOffset !== previous.nextOffset) {
      await segment.close();
      failIfDurable(previous, previous.sizeBytes, `next segment starts at ${segment.baseOffset}`, state);
      await deleteLaterSegments(where, bases.slice(at));
      return;
    }
    state.segments.push(segment);
    const defect = await scanSegment(segment, { indexIntervalBytes: state.config.indexIntervalBytes, check });
    if (defect !== null) {
      failIfDurable(segment, defect.positionBytes, defect.reason, state);
      await segment.truncateFile(defect.positionBytes);
      await deleteLaterSegments(where, bases.slice(at + 1));
      break;
    }
    if (at < bases.length - 1) await segment.seal();
  }
  await state.segments.at(-1)!.writeIndexes();
}

function failIfDurable(segment: LogSegment, positionBytes: number, reason: string, state: TailState): void {
  if (segment.nextOffset >= state.recoveryPoint) return;
  throw new CorruptLogError({
    path: segment.paths.log,
    positionBytes,
    reason: `${reason} (before the recovery point)`,
  });
}

async function deleteLaterSegments(where: LogDirectory, bases: readonly number[]): Promise<void> {
  if (bases.length === 0) return;
  for (const base of [...bases].reverse()) await deleteSegmentFiles(where, base);
  await where.fs.syncDir(where.dir);
}

/** The scan's epoch check: epochs never decrease; a new one starts a cache entry. */
function assignEpoch(cache: LeaderEpochCache, header: RecordBatchHeader): string | null {
  const epoch = header.partitionLeaderEpoch;
  if (epoch < 0) return null;
  const latest = cache.latest();
  if (latest !== undefined && epoch < latest.epoch)
    return `leader epoch ${epoch} after epoch ${latest.epoch}`;
  cache.assign(leaderEpoch(epoch), offset(header.baseOffset));
  return null;
}
