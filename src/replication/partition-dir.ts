// Where a partition replica's log lives: `<log dir>/<topic>-<partition>`, as Kafka names it, with a
// `partition.metadata` file (proto/storage.proto) naming the topic id. A directory left by a deleted topic
// of the same name has another id: it is removed before the new topic's log is created there.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { PartitionId, TopicId } from '../metadata/ids.ts';
import { isNotFound } from '../storage/errors.ts';
import { type FileSystem, makeDirectoryDurable, writeFileAtomically } from '../storage/file-system.ts';
import { nodeFileSystem } from '../storage/node-file-system.ts';

const METADATA_FILE = 'partition.metadata';
const METADATA_VERSION = 1;

const metadataType = protobuf
  .loadSync(fileURLToPath(new URL('../../proto/storage.proto', import.meta.url)))
  .lookupType('storage.PartitionMetadata');

export function partitionDir(logDir: string, topicName: string, partition: PartitionId): string {
  return join(logDir, `${topicName}-${partition}`);
}

/** The topic id a partition directory belongs to, or null when it has none (new or foreign). */
async function readTopicId(fs: FileSystem, dir: string): Promise<string | null> {
  try {
    const object = metadataType.toObject(metadataType.decode(await fs.readFile(join(dir, METADATA_FILE))));
    return object.version === METADATA_VERSION && typeof object.topicId === 'string' ? object.topicId : null;
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * Makes `dir` the directory of `topicId`'s partition: kept if it already is, emptied if it belonged to
 * another topic (or to none), then stamped. Returns true when existing data was kept.
 */
export async function claimPartitionDir(
  dir: string,
  topicId: TopicId,
  fs: FileSystem = nodeFileSystem,
): Promise<boolean> {
  // A metadata file that does not decode throws: the directory may hold data, so it is never wiped on a
  // guess. No file at all means the directory was never stamped, so no log was ever opened in it.
  const owner = await readTopicId(fs, dir);
  if (owner === topicId) return true;
  await fs.rm(dir);
  // Durable before the new topic's data goes in: a power loss must not bring the old directory back.
  await makeDirectoryDurable(fs, dir);
  const bytes = metadataType.encode(metadataType.fromObject({ version: METADATA_VERSION, topicId })).finish();
  await writeFileAtomically(fs, { dir, name: METADATA_FILE }, bytes);
  return false;
}

export async function removePartitionDir(dir: string, fs: FileSystem = nodeFileSystem): Promise<void> {
  await fs.rm(dir);
}
