// The producer state as a clean shutdown leaves it, so that the next open does not walk the whole log
// (Kafka's producer snapshot files, written here at close only). One frame:
//   length u32 BE | CRC-32C u32 BE | ProducerSnapshot (protobuf, proto/storage.proto)
// `offset` is the log end offset it describes: the state is the fold of the batches below it. Anything
// that does not decode or check is ignored (the log is walked instead): the file is a cache.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { crc32c } from './crc32c.ts';
import { isNotFound } from './errors.ts';
import type { FileSystem } from './file-system.ts';
import { writeFileAtomically } from './file-system.ts';
import { BATCHES_RETAINED_PER_PRODUCER, type ProducerBatch, type ProducerEntry } from './producer-state.ts';
import { type Offset, offset } from './types.ts';

export const PRODUCER_SNAPSHOT_FILE_NAME = 'producer-state.snapshot';

const SNAPSHOT_VERSION = 1;
const snapshotType = protobuf
  .loadSync(fileURLToPath(new URL('../../proto/storage.proto', import.meta.url)))
  .lookupType('storage.ProducerSnapshot');
const FRAME_HEADER_BYTES = 8;
const INT32_MAX = 0x7fff_ffff;
const INT32_MIN = -0x8000_0000;
const INT16_MAX = 0x7fff;
const INT16_MIN = -0x8000;

export interface ProducerSnapshot {
  /** The log end offset when it was taken: it describes the batches below it. */
  readonly offset: Offset;
  readonly producers: readonly (readonly [number, ProducerEntry])[];
}

export function encodeProducerSnapshot(snapshot: ProducerSnapshot): Buffer {
  const message = snapshotType.fromObject({
    version: SNAPSHOT_VERSION,
    offset: snapshot.offset,
    producers: snapshot.producers.map(([producerId, entry]) => ({
      producerId,
      producerEpoch: entry.producerEpoch,
      batches: entry.batches.map((batch) => ({ ...batch })),
    })),
  });
  const payload = snapshotType.encode(message).finish();
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32c(payload), 4);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

const isInteger = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;

/** The snapshot in `bytes`, or null when it is torn, damaged or does not describe a possible state. */
export function decodeProducerSnapshot(bytes: Buffer): ProducerSnapshot | null {
  if (bytes.length < FRAME_HEADER_BYTES) return null;
  const payload = bytes.subarray(FRAME_HEADER_BYTES);
  if (bytes.readUInt32BE(0) !== payload.length || bytes.readUInt32BE(4) !== crc32c(payload)) return null;
  let object: Record<string, unknown>;
  try {
    object = snapshotType.toObject(snapshotType.decode(payload), {
      longs: Number,
      defaults: true,
      arrays: true,
    });
  } catch {
    return null;
  }
  const { version, offset: end, producers } = object;
  if (
    version !== SNAPSHOT_VERSION ||
    !isInteger(end, 0, Number.MAX_SAFE_INTEGER) ||
    !Array.isArray(producers)
  )
    return null;
  const decoded: [number, ProducerEntry][] = [];
  for (const producer of producers as unknown[]) {
    const entry = producerEntryOf(producer, end);
    if (entry === null) return null;
    decoded.push(entry);
  }
  return { offset: offset(end), producers: decoded };
}

function producerEntryOf(value: unknown, end: number): [number, ProducerEntry] | null {
  if (typeof value !== 'object' || value === null) return null;
  const { producerId, producerEpoch, batches } = value as Record<string, unknown>;
  // Epochs and sequences as the batch headers hold them (int16, int32): the fold takes them as they are.
  if (!isInteger(producerId, 0, Number.MAX_SAFE_INTEGER) || !isInteger(producerEpoch, INT16_MIN, INT16_MAX))
    return null;
  if (!Array.isArray(batches) || batches.length === 0 || batches.length > BATCHES_RETAINED_PER_PRODUCER)
    return null;
  const decoded: ProducerBatch[] = [];
  let previousLast = -1;
  for (const batch of batches as unknown[]) {
    if (typeof batch !== 'object' || batch === null) return null;
    const { firstSequence, lastSequence, firstOffset, lastOffset } = batch as Record<string, unknown>;
    if (!isInteger(firstSequence, INT32_MIN, INT32_MAX) || !isInteger(lastSequence, INT32_MIN, INT32_MAX))
      return null;
    if (!isInteger(firstOffset, previousLast + 1, end - 1) || !isInteger(lastOffset, firstOffset, end - 1))
      return null;
    previousLast = lastOffset;
    decoded.push({
      firstSequence,
      lastSequence,
      firstOffset: offset(firstOffset),
      lastOffset: offset(lastOffset),
    });
  }
  return [producerId, { producerEpoch, batches: decoded }];
}

/** The snapshot in `dir`, or null when there is none or it does not decode. */
export async function readProducerSnapshot(fs: FileSystem, dir: string): Promise<ProducerSnapshot | null> {
  try {
    return decodeProducerSnapshot(await fs.readFile(join(dir, PRODUCER_SNAPSHOT_FILE_NAME)));
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Writes the snapshot atomically (temporary file, fsync, rename, directory fsync). */
export async function writeProducerSnapshot(
  fs: FileSystem,
  dir: string,
  snapshot: ProducerSnapshot,
): Promise<void> {
  await writeFileAtomically(fs, { dir, name: PRODUCER_SNAPSHOT_FILE_NAME }, encodeProducerSnapshot(snapshot));
}

/**
 * Removes the snapshot, durably: once the log changes below its offset (a truncation, then other
 * batches), a snapshot that came back after a power loss would describe batches the log no longer has.
 */
export async function removeProducerSnapshot(fs: FileSystem, dir: string): Promise<void> {
  try {
    await fs.unlink(join(dir, PRODUCER_SNAPSHOT_FILE_NAME));
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await fs.syncDir(dir);
}
