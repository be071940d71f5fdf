// The data-directory format check: Kafka's meta.properties (KRaft, version 1, with KIP-858's directory.id)
// in every log directory, written once when the directory is fresh and checked on every start, so that
// a node never runs on another node's or another cluster's data. And the local cluster's shared id.

import { randomUUID } from 'node:crypto';
import { link, open, readdir, readFile, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { makeDirectoryPathDurable, syncDirectory, writeAll } from '../../raft/storage/file-io.ts';
import { isValidClusterId, type LocalClusterInfo, type NodeConfig } from './config.ts';
import { formatProperties, PropertiesSyntaxError, parseProperties } from './properties.ts';

export const META_PROPERTIES = 'meta.properties';
export const LOCAL_CLUSTER_ID_FILE = 'cluster.id';

/** A data directory this node must not use; the message says why and what to do. */
export class DataDirError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = 'DataDirError';
    this.path = path;
  }
}

export interface MetaProperties {
  readonly version: 1;
  readonly clusterId: string;
  readonly nodeId: number;
  /** KIP-858; null in files written before directory ids existed. */
  readonly directoryId: string | null;
}

/**
 * A random id in Kafka's text form (Uuid.randomUuid().toString()): the 16 bytes of a v4 UUID in
 * base64url without padding, 22 characters, never starting with '-' (so it is never mistaken for a flag).
 */
export function randomKafkaUuid(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** Reads `dir/meta.properties`; null when the file does not exist. */
export async function readMetaProperties(dir: string): Promise<MetaProperties | null> {
  const path = join(dir, META_PROPERTIES);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw new DataDirError(path, `Cannot read ${path}: ${(error as Error).message}`);
  }
  let properties: Map<string, string>;
  try {
    properties = parseProperties(text);
  } catch (error) {
    if (error instanceof PropertiesSyntaxError)
      throw new DataDirError(path, `Cannot parse ${path}: ${error.message}`);
    throw error;
  }
  const version = properties.get('version')?.trim() ?? '0';
  if (version !== '1')
    throw new DataDirError(
      path,
      `Unsupported meta.properties version ${version} in ${path}: only version 1 (KRaft) is supported` +
        (version === '0' ? " (version 0 is a ZooKeeper-mode broker's)" : ''),
    );
  const clusterId = properties.get('cluster.id')?.trim() ?? '';
  if (clusterId === '') throw new DataDirError(path, `cluster.id was not found in ${path}`);
  const nodeIdText = properties.get('node.id')?.trim() ?? '';
  if (!/^[0-9]+$/.test(nodeIdText)) throw new DataDirError(path, `node.id was not found in ${path}`);
  const directoryId = properties.get('directory.id')?.trim() ?? null;
  return {
    version: 1,
    clusterId,
    nodeId: Number(nodeIdText),
    directoryId: directoryId === '' ? null : directoryId,
  };
}

/** Entries a fresh directory may hold: a mount point's lost+found, and our own leftover temporary files. */
const isIgnorable = (name: string): boolean =>
  name === 'lost+found' || /^(meta\.properties|cluster\.id)\..+\.tmp$/.test(name);

type DirState = { readonly kind: 'fresh' } | { readonly kind: 'formatted'; readonly meta: MetaProperties };

async function inspect(dir: string): Promise<DirState> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return { kind: 'fresh' };
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new DataDirError(dir, `${dir} is a file, not a directory`);
    throw new DataDirError(dir, `Cannot read the directory ${dir}: ${(error as Error).message}`);
  }
  if (names.includes(META_PROPERTIES)) {
    const meta = await readMetaProperties(dir);
    if (meta !== null) return { kind: 'formatted', meta };
  }
  const foreign = names.filter((name) => !isIgnorable(name));
  if (foreign.length === 0) return { kind: 'fresh' };
  throw new DataDirError(
    dir,
    `${dir} is not empty but has no ${META_PROPERTIES}, so it is not a data directory of this platform ` +
      `(it holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}). ` +
      'Use an empty or missing directory, or remove its contents.',
  );
}

/**
 * Creates `dir/name` holding `data` unless it exists, atomically: the file appears complete or not at
 * all, and of two concurrent callers exactly one wins (link(2) fails with EEXIST, as open(O_EXCL) does,
 * but only ever publishes a complete, fsynced file). Returns false if the file already existed.
 */
async function createExclusively(dir: string, name: string, data: string): Promise<boolean> {
  const temporary = join(dir, `${name}.${process.pid}.${randomUUID()}.tmp`);
  const handle = await open(temporary, 'wx');
  try {
    await writeAll(handle, Buffer.from(data, 'utf8'), 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, join(dir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary);
    await syncDirectory(dir);
  }
}

function checkAgainst(dir: string, meta: MetaProperties, clusterId: string, nodeId: number): void {
  const path = join(dir, META_PROPERTIES);
  if (meta.clusterId !== clusterId)
    throw new DataDirError(
      path,
      `Invalid cluster.id in: ${path}. Expected ${clusterId}, but read ${meta.clusterId}`,
    );
  if (meta.nodeId !== nodeId)
    throw new DataDirError(
      path,
      `Stored node id ${meta.nodeId} doesn't match previous node id ${nodeId} in ${path}. If you moved your data, ` +
        'make sure your configured node id matches. If you intend to create a new node, you should remove all ' +
        'data in your data directories.',
    );
}

async function format(dir: string, clusterId: string, nodeId: number): Promise<MetaProperties> {
  await makeDirectoryPathDurable(dir);
  const meta: MetaProperties = { version: 1, clusterId, nodeId, directoryId: randomKafkaUuid() };
  const text = formatProperties(
    [
      ['version', '1'],
      ['cluster.id', clusterId],
      ['node.id', String(nodeId)],
      ['directory.id', meta.directoryId!],
    ],
    ['Written by kraftling when it formatted this directory. Do not edit.'],
  );
  if (await createExclusively(dir, META_PROPERTIES, text)) return meta;
  // Someone formatted it at the same moment: theirs stands, and must agree with ours.
  const theirs = await readMetaProperties(dir);
  if (theirs === null) throw new DataDirError(dir, `${join(dir, META_PROPERTIES)} vanished while formatting`);
  checkAgainst(dir, theirs, clusterId, nodeId);
  return theirs;
}

export interface FormatOptions {
  /** Every directory the node writes (log.dirs and metadata.log.dir). */
  readonly logDirs: readonly string[];
  /** The expected cluster id; null = adopt the one the formatted directories agree on. */
  readonly clusterId: string | null;
  readonly nodeId: number;
}

/**
 * Formats fresh (missing or empty) directories with meta.properties and checks formatted ones: same
 * cluster id (the given one, or else the one already on disk), same node id, distinct directory ids.
 * A non-empty directory without meta.properties is refused. Returns the cluster id in use.
 * Throws DataDirError.
 */
export async function formatOrCheck(options: FormatOptions): Promise<string> {
  const dirs = [...new Map(options.logDirs.map((dir) => [resolve(dir), dir])).values()];
  if (dirs.length === 0) throw new DataDirError('', 'No data directory configured (log.dirs)');
  const states = await Promise.all(dirs.map(async (dir) => ({ dir, state: await inspect(dir) })));
  let clusterId = options.clusterId;
  if (clusterId !== null && !isValidClusterId(clusterId))
    throw new DataDirError(
      dirs[0]!,
      `Invalid cluster id '${clusterId}': use 1 to 64 characters among A-Z a-z 0-9 . _ -`,
    );
  const directoryIds = new Map<string, string>();
  for (const { dir, state } of states) {
    if (state.kind !== 'formatted') continue;
    clusterId ??= state.meta.clusterId;
    checkAgainst(dir, state.meta, clusterId, options.nodeId);
    const id = state.meta.directoryId;
    if (id !== null) {
      const other = directoryIds.get(id);
      if (other !== undefined)
        throw new DataDirError(
          dir,
          `${dir} and ${other} have the same directory.id ${id}: was one copied from the other?`,
        );
      directoryIds.set(id, dir);
    }
  }
  const fresh = states.filter(({ state }) => state.kind === 'fresh').map(({ dir }) => dir);
  if (fresh.length === 0) return clusterId!;
  if (clusterId === null)
    throw new DataDirError(
      fresh[0]!,
      `${fresh.join(', ')} ${fresh.length === 1 ? 'is' : 'are'} not formatted and no cluster id is known: ` +
        `start with --cluster-id <id> (every node of a cluster needs the same one; for example ${randomKafkaUuid()})`,
    );
  for (const dir of fresh) await format(dir, clusterId, options.nodeId);
  return clusterId;
}

/** Every directory of a node: the metadata log directory and the partition log directories. */
export function storageDirs(config: NodeConfig): string[] {
  return [...new Set([config.metadataLogDir, ...config.logDirs])];
}

/**
 * The local cluster's id, shared by its nodes through `<dataRoot>/cluster.id`: created once with a
 * random id (exclusive create, so nodes starting together agree), read on every later call.
 */
export async function ensureLocalClusterId(dataRoot: string): Promise<string> {
  await makeDirectoryPathDurable(dataRoot);
  const path = join(dataRoot, LOCAL_CLUSTER_ID_FILE);
  const existing = await readLocalClusterId(path);
  if (existing !== null) return existing;
  await createExclusively(dataRoot, LOCAL_CLUSTER_ID_FILE, `${randomKafkaUuid()}\n`);
  const id = await readLocalClusterId(path);
  if (id === null) throw new DataDirError(path, `${path} vanished right after it was created`);
  return id;
}

async function readLocalClusterId(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw new DataDirError(path, `Cannot read ${path}: ${(error as Error).message}`);
  }
  const id = text.trim();
  if (!isValidClusterId(id))
    throw new DataDirError(
      path,
      `${path} does not hold a valid cluster id ('${id}'): delete the file, or all of ${dirname(path)}`,
    );
  return id;
}

/**
 * Everything a node does with its directories before it starts: for the local cluster without an
 * explicit cluster id, fetch or create the shared one; then format or check every directory.
 * Returns the cluster id in use.
 */
export async function prepareStorage(
  config: NodeConfig,
  localCluster: LocalClusterInfo | null,
): Promise<string> {
  const clusterId =
    config.clusterId ?? (localCluster === null ? null : await ensureLocalClusterId(localCluster.dataRoot));
  try {
    return await formatOrCheck({ logDirs: storageDirs(config), clusterId, nodeId: config.nodeId });
  } catch (error) {
    if (error instanceof DataDirError && localCluster !== null)
      throw new DataDirError(
        error.path,
        `${error.message}\n(The local cluster's id is in ${join(localCluster.dataRoot, LOCAL_CLUSTER_ID_FILE)}; ` +
          `to start the local cluster afresh, delete ${localCluster.dataRoot}.)`,
      );
    throw error;
  }
}
