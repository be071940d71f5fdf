// The per-partition settings of the log, with Kafka's topic config names and defaults.

import { BATCH_BYTES_MAX_DEFAULT } from './record-batch/format.ts';

export interface LogConfig {
  /** segment.bytes: roll before an append would take the active segment past this size. */
  readonly segmentBytesMax: number;
  /** segment.ms: roll when a batch's timestamp is this much after the segment's first batch's. */
  readonly segmentAgeMsMax: number;
  /** index.interval.bytes: bytes of batches between two offset index entries. */
  readonly indexIntervalBytes: number;
  /** retention.ms: delete segments whose newest timestamp is older; -1 keeps them forever. */
  readonly retentionMs: number;
  /** retention.bytes: delete the oldest segments while the log is larger; -1 for no limit. */
  readonly retentionBytes: number;
  /** cleanup.policy has delete: retention.ms and retention.bytes delete old segments. */
  readonly cleanupDelete: boolean;
  /**
   * cleanup.policy has compact: the log cleaner keeps the latest record of each key, and a leader refuses
   * records without a key (Kafka's LogValidator).
   */
  readonly cleanupCompact: boolean;
  /** delete.retention.ms: how long a tombstone stays once the cleaner first cleaned its batch (KIP-534). */
  readonly deleteRetentionMs: number;
  /** min.compaction.lag.ms: segments with a record newer than this are not cleaned yet. */
  readonly minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty segment whose first batch is older is cleaned whatever the ratio. */
  readonly maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: clean when dirty bytes / all bytes of the closed segments exceed it. */
  readonly minCleanableDirtyRatio: number;
  /** max.message.bytes: the largest batch an append accepts. */
  readonly batchBytesMax: number;
  /**
   * How often flush() also rewrites the checkpoint with the new recovery point (Kafka's
   * log.flush.offset.checkpoint.interval.ms). 0 writes it at every flush.
   */
  readonly checkpointIntervalMs: number;
}

export const LOG_CONFIG_DEFAULTS: LogConfig = {
  segmentBytesMax: 1024 * 1024 * 1024,
  segmentAgeMsMax: 7 * 24 * 60 * 60 * 1000,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupDelete: true,
  cleanupCompact: false,
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
  batchBytesMax: BATCH_BYTES_MAX_DEFAULT,
  checkpointIntervalMs: 60_000,
};
