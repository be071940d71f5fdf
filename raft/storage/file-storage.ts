// RaftStorage on local files: segmented log, two-slot hard state and atomic snapshot files (README.md).
//
// Calls (append, saveSnapshot, setHardState) change the in-memory log at once and buffer their file
// work; sync() seals everything buffered into one batch and runs it: snapshot file, then log files,
// then hard state file, each fsynced once. Batches run one at a time; a sync() called while one runs
// shares the next batch with every other such call (group commit).

import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry, HardState, PersistentState, RaftStorage, Snapshot } from '../types.ts';
import { assert } from '../assert.ts';
import { HardStateWriter } from './hard-state-file.ts';
import { closeSegmentHandle, writeLogBatch } from './log-writer.ts';
import { recover } from './recovery.ts';
import { type LogBatch, SegmentedLog } from './segmented-log.ts';
import { writeSnapshotFile } from './snapshot-file.ts';

export const SEGMENT_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

export interface FileStorageOptions {
  /** Created if missing. One storage per directory. */
  readonly dir: string;
  /** A segment is rolled before a frame would take it past this size. Default 64 MiB. */
  readonly segmentBytesMax?: number;
}

interface SyncBatch {
  readonly snapshot: Snapshot | null;
  readonly log: LogBatch;
  readonly hardState: HardState | null;
}

export class FileStorage implements RaftStorage {
  private readonly dir: string;
  private readonly log: SegmentedLog;
  private readonly hardStateWriter: HardStateWriter;
  /** What load() returns; dropped at the first change (it would be stale, and it holds every entry). */
  private recovered: PersistentState | null;
  private snapshotFileName: string | null;
  private snapshotPending: Snapshot | null = null;
  private hardStatePending: HardState | null = null;
  private syncRunning: Promise<void> | null = null;
  private syncQueued: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;
  private syncBatchCountValue = 0;

  private constructor(options: {
    dir: string;
    log: SegmentedLog;
    recovered: PersistentState;
    snapshotFileName: string | null;
    hardStateSequence: number;
  }) {
    this.dir = options.dir;
    this.hardStateWriter = new HardStateWriter(options.dir, options.hardStateSequence);
    this.log = options.log;
    this.recovered = options.recovered;
    this.snapshotFileName = options.snapshotFileName;
  }

  /** Opens `dir` and recovers it (torn tail cut, leftovers removed); throws CorruptStorageError. */
  static async open(options: FileStorageOptions): Promise<FileStorage> {
    const segmentBytesMax = options.segmentBytesMax ?? SEGMENT_BYTES_MAX_DEFAULT;
    assert(Number.isSafeInteger(segmentBytesMax) && segmentBytesMax > 0, 'segmentBytesMax');
    const recovery = await recover(options.dir);
    const metadata = recovery.snapshot?.metadata;
    const log = new SegmentedLog({
      dir: options.dir,
      segmentBytesMax,
      segments: recovery.segments,
      snapshotIndex: metadata?.index ?? 0,
      snapshotTerm: metadata?.term ?? 0,
    });
    const { hardState, snapshot, entries } = recovery;
    const recovered = { hardState, snapshot, entries };
    return new FileStorage({
      dir: options.dir,
      log,
      recovered,
      snapshotFileName: recovery.snapshotFileName,
      hardStateSequence: recovery.hardStateSequence,
    });
  }

  /** How many batches sync() has run (each costs its fsyncs): a measure of group commit. */
  get syncBatchCount(): number {
    return this.syncBatchCountValue;
  }

  /** The recovered state. Call it before the first change: afterwards it would be stale. */
  async load(): Promise<PersistentState> {
    this.assertUsable();
    assert(this.recovered !== null, 'load() after the storage was changed');
    return this.recovered;
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.beginChange();
    this.log.applySnapshot(snapshot.metadata.index, snapshot.metadata.term);
    this.snapshotPending = snapshot;
  }

  append(entries: readonly Entry[]): void {
    this.beginChange();
    this.log.append(entries);
  }

  setHardState(hardState: HardState): void {
    this.beginChange();
    for (const field of [hardState.term, hardState.vote, hardState.commit]) {
      assert(Number.isSafeInteger(field) && field >= 0, () => `hard state field ${field}`);
    }
    this.hardStatePending = hardState;
  }

  /** Resolves once everything buffered before the call is durable. Runs synchronously up to its await. */
  async sync(): Promise<void> {
    this.assertUsable();
    if (this.syncQueued !== null) return this.syncQueued;
    if (this.syncRunning === null) return this.hasPendingWork() ? this.runBatch() : Promise.resolve();
    if (!this.hasPendingWork()) return this.syncRunning;
    // Wait for the running batch (never two fsyncs on one file at once), then seal everything
    // buffered by then, including what later callers add meanwhile.
    const queued = this.syncRunning.then(() => {
      this.syncQueued = null;
      return this.runBatch();
    });
    this.syncQueued = queued;
    return queued;
  }

  /** Waits for running syncs, then closes files. Changes not yet synced are dropped, as in a crash. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await (this.syncQueued ?? this.syncRunning ?? Promise.resolve()).catch(() => undefined);
    for (const segment of this.log.segmentsWithFiles()) await closeSegmentHandle(segment);
    await this.hardStateWriter.close();
  }

  private runBatch(): Promise<void> {
    assert(this.syncRunning === null, 'two sync batches at once');
    const batch: SyncBatch = {
      snapshot: this.snapshotPending,
      log: this.log.seal(),
      hardState: this.hardStatePending,
    };
    this.snapshotPending = null;
    this.hardStatePending = null;
    const running = this.writeBatch(batch).then(
      () => {
        this.syncRunning = null;
      },
      (error: unknown) => {
        this.syncRunning = null;
        // The files may now hold anything between the old state and the new one: stop (fail-stop, as
        // after a failed fsync nothing tells what reached the disk).
        this.failure = error instanceof Error ? error : new Error(String(error));
        throw this.failure;
      },
    );
    this.syncRunning = running;
    return running;
  }

  private async writeBatch(batch: SyncBatch): Promise<void> {
    this.syncBatchCountValue++;
    if (batch.snapshot !== null) await this.writeSnapshot(batch.snapshot);
    // The log and the hard state are independent files: their fdatasyncs run together. A crash between
    // them can leave a commit index beyond the durable log, which recovery clamps (commit is advisory).
    const hardState = batch.hardState;
    await Promise.all([
      writeLogBatch(this.dir, batch.log),
      hardState === null ? Promise.resolve() : this.hardStateWriter.write(hardState),
    ]);
    for (const segment of this.log.inactiveSegments()) await closeSegmentHandle(segment);
  }

  /** The new snapshot is durable before older ones go and before any log file is touched. */
  private async writeSnapshot(snapshot: Snapshot): Promise<void> {
    const name = await writeSnapshotFile(this.dir, snapshot);
    const previous = this.snapshotFileName;
    this.snapshotFileName = name;
    if (previous !== null && previous !== name) await unlink(join(this.dir, previous));
  }

  private hasPendingWork(): boolean {
    return this.snapshotPending !== null || this.hardStatePending !== null || this.log.hasPendingWork();
  }

  private beginChange(): void {
    this.assertUsable();
    this.recovered = null;
  }

  private assertUsable(): void {
    if (this.failure !== null) throw new Error('raft storage failed earlier', { cause: this.failure });
    assert(!this.closed, 'raft storage is closed');
  }
}
