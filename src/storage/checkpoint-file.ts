// The partition's checkpoint: recovery point, log start offset, leader-epoch cache and the log
// cleaner's first dirty offset, in one file so that they are always consistent with each other
// (proto/storage.proto). One frame:
//   length u32 BE | CRC-32C u32 BE | PartitionCheckpoint (protobuf)

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { crc32c } from './crc32c.ts';
import { CorruptLogError, isNotFound } from './errors.ts';
import { type FileSystem, writeFileAtomically } from './file-system.ts';
import type { EpochEntry } from './leader-epoch-cache.ts';
import { CHECKPOINT_FILE_NAME } from './segment-files.ts';
import { INT32_MAX } from '../metadata/ids.ts';
import { type Offset, leaderEpoch, offset } from './types.ts';

const CHECKPOINT_VERSION = 1;
const FRAME_HEADER_BYTES = 8;

const protoPath = fileURLToPath(new URL('../../proto/storage.proto', import.meta.url));
const checkpointType = protobuf.loadSync(protoPath).lookupType('storage.PartitionCheckpoint');

export interface PartitionCheckpoint {
  readonly recoveryPoint: Offset;
  readonly logStartOffset: Offset;
  readonly leaderEpochs: readonly EpochEntry[];
  /** The log cleaner's next round maps from here (compacted topics; 0 for the others). */
  readonly firstDirtyOffset: Offset;
}

export function encodeCheckpoint(checkpoint: PartitionCheckpoint): Buffer {
  const message = checkpointType.fromObject({
    version: CHECKPOINT_VERSION,
    recoveryPoint: checkpoint.recoveryPoint,
    logStartOffset: checkpoint.logStartOffset,
    leaderEpochs: checkpoint.leaderEpochs.map((entry) => ({
      epoch: entry.epoch,
      startOffset: entry.startOffset,
    })),
    firstDirtyOffset: checkpoint.firstDirtyOffset,
  });
  const payload = checkpointType.encode(message).finish();
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32c(payload), 4);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Decodes a checkpoint file's bytes; throws CorruptLogError naming `path` on any defect. */
export function decodeCheckpoint(bytes: Buffer, path: string): PartitionCheckpoint {
  const corrupt = (reason: string) => new CorruptLogError({ path, positionBytes: 0, reason });
  if (bytes.length < FRAME_HEADER_BYTES) throw corrupt('shorter than a frame header');
  const payload = bytes.subarray(FRAME_HEADER_BYTES);
  if (bytes.readUInt32BE(0) !== payload.length) throw corrupt('frame length does not match the file');
  if (bytes.readUInt32BE(4) !== crc32c(payload)) throw corrupt('checksum mismatch');
  const object = checkpointType.toObject(checkpointType.decode(payload), {
    longs: Number,
    defaults: true,
    arrays: true,
  });
  if (object.version !== CHECKPOINT_VERSION) throw corrupt(`version ${String(object.version)}`);
  const safe = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
  const epochs = object.leaderEpochs as { epoch: number; startOffset: unknown }[];
  if (
    !safe(object.recoveryPoint) ||
    !safe(object.logStartOffset) ||
    !safe(object.firstDirtyOffset) ||
    !epochs.every((entry) => safe(entry.startOffset))
  ) {
    throw corrupt('offset beyond the safe integer range');
  }
  if (!epochs.every((entry) => entry.epoch <= INT32_MAX)) throw corrupt('leader epoch beyond int32');
  return {
    recoveryPoint: offset(object.recoveryPoint),
    logStartOffset: offset(object.logStartOffset),
    leaderEpochs: epochs.map((entry) => ({
      epoch: leaderEpoch(entry.epoch),
      startOffset: offset(entry.startOffset as number),
    })),
    firstDirtyOffset: offset(object.firstDirtyOffset),
  };
}

/** The checkpoint in `dir`, or null when the partition has never written one. */
export async function readCheckpoint(fs: FileSystem, dir: string): Promise<PartitionCheckpoint | null> {
  const path = join(dir, CHECKPOINT_FILE_NAME);
  try {
    return decodeCheckpoint(await fs.readFile(path), path);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export async function writeCheckpoint(
  fs: FileSystem,
  dir: string,
  checkpoint: PartitionCheckpoint,
): Promise<void> {
  await writeFileAtomically(fs, { dir, name: CHECKPOINT_FILE_NAME }, encodeCheckpoint(checkpoint));
}
