// The damage marker (proto/storage.proto, DamageMarker): a replica that finds bit rot in its own log
// records where and stops; it drops the damaged segments only at its next open, once the controller has
// taken it out of the ISR (its new registration did, unless it was the last in-sync copy). Dropping
// them at once could make it the last in-sync member with data missing, and then a leader that
// truncates everyone else's committed records (issue 6, the whole-cluster simulation's --bit-rot mode).

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { isNotFound } from './errors.ts';
import { type FileSystem, writeFileAtomically } from './file-system.ts';

const MARKER_FILE = 'damage.marker';
const MARKER_VERSION = 1;

const markerType = protobuf
  .loadSync(fileURLToPath(new URL('../../proto/storage.proto', import.meta.url)))
  .lookupType('storage.DamageMarker');

/** Records, durably, that the segment starting at `segmentBaseOffset` is damaged (the lowest one wins). */
export async function writeDamageMarker(
  fs: FileSystem,
  dir: string,
  segmentBaseOffset: number,
): Promise<void> {
  const existing = await readDamageMarker(fs, dir);
  if (existing !== null && existing <= segmentBaseOffset) return;
  const bytes = markerType
    .encode(markerType.fromObject({ version: MARKER_VERSION, segmentBaseOffset }))
    .finish();
  await writeFileAtomically(fs, { dir, name: MARKER_FILE }, bytes);
}

/** The damaged segment's base offset, or null when the log has no marker. */
export async function readDamageMarker(fs: FileSystem, dir: string): Promise<number | null> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(join(dir, MARKER_FILE));
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  const object = markerType.toObject(markerType.decode(bytes), { longs: Number, defaults: true });
  const base = object.segmentBaseOffset as unknown;
  if (object.version !== MARKER_VERSION || !Number.isSafeInteger(base) || (base as number) < 0)
    throw new Error(`${join(dir, MARKER_FILE)}: not a damage marker of version ${MARKER_VERSION}`);
  return base as number;
}

export async function removeDamageMarker(fs: FileSystem, dir: string): Promise<void> {
  try {
    await fs.unlink(join(dir, MARKER_FILE));
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await fs.syncDir(dir);
}
