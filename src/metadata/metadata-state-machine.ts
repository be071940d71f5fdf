// The replicated state machine of the metadata log: each committed Raft entry is one RecordBatch,
// applied to the MetadataImage at offset = the entry's index. Every node (controller or broker) runs
// one; it also decides when to snapshot the image so that the Raft log can be compacted.
import type { StateMachine } from '../../raft/driver.ts';
import type { Entry, LogIndex, Snapshot } from '../../raft/types.ts';
import { metadataOffset } from './ids.ts';
import { emptyImage, type MetadataImage } from './image.ts';
import { decodeRecordBatch } from './records.ts';
import { applyBatch } from './reducer.ts';
import { decodeSnapshot, encodeSnapshot } from './snapshot.ts';

export interface MetadataStateMachineOptions {
  /** A snapshot is taken once this many records were applied since the last one... */
  readonly snapshotRecordsMax: number;
  /** ...or this many bytes of record batches (Kafka's metadata.log.max.record.bytes.between.snapshots). */
  readonly snapshotBytesMax?: number;
  /** Called with the image after each applied batch of entries. */
  readonly onApplied?: (image: MetadataImage) => void;
  /** Asked to take a snapshot: `data` is the image at `index`. */
  readonly onSnapshotDue?: (index: LogIndex, data: Uint8Array) => void;
}

export class MetadataStateMachine implements StateMachine {
  private current: MetadataImage = emptyImage();
  private recordsSinceSnapshot = 0;
  private bytesSinceSnapshot = 0;
  private readonly options: MetadataStateMachineOptions;

  constructor(options: MetadataStateMachineOptions) {
    this.options = options;
  }

  image(): MetadataImage {
    return this.current;
  }

  apply(entries: readonly Entry[]): void {
    let image = this.current;
    for (const entry of entries) {
      // An empty entry is a Raft leader's no-op: it only moves the offset.
      const records = entry.data.length === 0 ? [] : decodeRecordBatch(entry.data);
      image = applyBatch(image, records, metadataOffset(entry.index));
      this.recordsSinceSnapshot += Math.max(1, records.length);
      this.bytesSinceSnapshot += entry.data.length;
    }
    this.current = image;
    this.options.onApplied?.(image);
    const bytesMax = this.options.snapshotBytesMax ?? Number.POSITIVE_INFINITY;
    if (this.recordsSinceSnapshot >= this.options.snapshotRecordsMax || this.bytesSinceSnapshot >= bytesMax) {
      this.snapshot();
    }
  }

  /** Takes a snapshot now if anything was applied since the last one (a time-based policy calls this). */
  snapshotIfChanged(): void {
    if (this.recordsSinceSnapshot > 0) this.snapshot();
  }

  private snapshot(): void {
    this.recordsSinceSnapshot = 0;
    this.bytesSinceSnapshot = 0;
    const image = this.current;
    this.options.onSnapshotDue?.(image.offset as number as LogIndex, encodeSnapshot(image));
  }

  restore(snapshot: Snapshot): void {
    this.current = decodeSnapshot(snapshot.data);
    this.recordsSinceSnapshot = 0;
    this.bytesSinceSnapshot = 0;
    this.options.onApplied?.(this.current);
  }
}
