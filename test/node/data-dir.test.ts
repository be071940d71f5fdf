import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localClusterConfig } from '../../src/node/config.ts';
import { parseProperties } from '../../src/node/properties.ts';
import {
  DataDirError,
  ensureLocalClusterId,
  formatOrCheck,
  prepareStorage,
  randomKafkaUuid,
  readMetaProperties,
  storageDirs,
} from '../../src/node/data-dir.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kraftling-data-dir-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function refusal(run: () => Promise<unknown>): Promise<DataDirError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof DataDirError) return error;
    throw error;
  }
  throw new Error('expected a DataDirError');
}

const CLUSTER = 'q1Sh-9_nRNKnlE8X2VVZXw';
const OTHER_CLUSTER = 'AAAAAAAAAAAAAAAAAAAAAQ';

describe('formatOrCheck', () => {
  it("formats a missing directory with Kafka's meta.properties (version 1, KIP-858 directory.id)", async () => {
    const dir = join(root, 'a', 'node-1');
    expect(await formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 1 })).toBe(CLUSTER);
    const properties = parseProperties(await readFile(join(dir, 'meta.properties'), 'utf8'));
    expect([...properties.keys()]).toEqual(['version', 'cluster.id', 'node.id', 'directory.id']);
    expect(properties.get('version')).toBe('1');
    expect(properties.get('cluster.id')).toBe(CLUSTER);
    expect(properties.get('node.id')).toBe('1');
    expect(properties.get('directory.id')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // Nothing but meta.properties: the temporary file is gone.
    expect(await readdir(dir)).toEqual(['meta.properties']);
  });

  it('checks a formatted directory on later starts and leaves it alone', async () => {
    const dir = join(root, 'node-2');
    await formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 2 });
    const before = await readFile(join(dir, 'meta.properties'), 'utf8');
    expect(await formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 2 })).toBe(CLUSTER);
    // Without an expected cluster id, the one on disk is adopted.
    expect(await formatOrCheck({ logDirs: [dir], clusterId: null, nodeId: 2 })).toBe(CLUSTER);
    expect(await readFile(join(dir, 'meta.properties'), 'utf8')).toBe(before);
  });

  it('refuses another cluster, with the message Kafka gives', async () => {
    const dir = join(root, 'node-1');
    await formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 1 });
    const error = await refusal(() => formatOrCheck({ logDirs: [dir], clusterId: OTHER_CLUSTER, nodeId: 1 }));
    expect(error.message).toBe(
      `Invalid cluster.id in: ${join(dir, 'meta.properties')}. Expected ${OTHER_CLUSTER}, but read ${CLUSTER}`,
    );
  });

  it('refuses another node id', async () => {
    const dir = join(root, 'node-1');
    await formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 1 });
    const error = await refusal(() => formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 2 }));
    expect(error.message).toContain(
      `Stored node id 1 doesn't match previous node id 2 in ${join(dir, 'meta.properties')}`,
    );
  });

  it('formats an empty directory, or one holding only lost+found', async () => {
    const empty = join(root, 'empty');
    const mounted = join(root, 'mounted');
    await mkdir(empty);
    await mkdir(join(mounted, 'lost+found'), { recursive: true });
    await formatOrCheck({ logDirs: [empty, mounted], clusterId: CLUSTER, nodeId: 3 });
    expect((await readMetaProperties(empty))?.nodeId).toBe(3);
    expect((await readMetaProperties(mounted))?.nodeId).toBe(3);
  });

  it('refuses a non-empty directory without meta.properties, and a file', async () => {
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'important.txt'), 'not ours');
    const error = await refusal(() => formatOrCheck({ logDirs: [foreign], clusterId: CLUSTER, nodeId: 1 }));
    expect(error.message).toContain('is not empty but has no meta.properties');
    expect(error.message).toContain('important.txt');
    expect(await readdir(foreign)).toEqual(['important.txt']);
    const file = join(root, 'file');
    await writeFile(file, '');
    expect(
      (await refusal(() => formatOrCheck({ logDirs: [file], clusterId: CLUSTER, nodeId: 1 }))).message,
    ).toContain('is a file');
  });

  it('needs a cluster id to format a fresh directory', async () => {
    const error = await refusal(() =>
      formatOrCheck({ logDirs: [join(root, 'x')], clusterId: null, nodeId: 1 }),
    );
    expect(error.message).toContain('not formatted and no cluster id is known');
    expect(error.message).toContain('--cluster-id');
  });

  it('refuses unreadable meta.properties: ZooKeeper-era version 0, missing fields', async () => {
    const dir = join(root, 'old');
    await mkdir(dir);
    await writeFile(join(dir, 'meta.properties'), 'version=0\nbroker.id=1\ncluster.id=abc\n');
    expect(
      (await refusal(() => formatOrCheck({ logDirs: [dir], clusterId: null, nodeId: 1 }))).message,
    ).toContain('Unsupported meta.properties version 0');
    await writeFile(join(dir, 'meta.properties'), 'version=1\ncluster.id=abc\n');
    expect((await refusal(() => readMetaProperties(dir))).message).toContain('node.id was not found');
  });

  it('formats new directories next to formatted ones, with the same cluster id and distinct directory ids', async () => {
    const first = join(root, 'first');
    const second = join(root, 'second');
    await formatOrCheck({ logDirs: [first], clusterId: CLUSTER, nodeId: 1 });
    expect(await formatOrCheck({ logDirs: [first, second], clusterId: null, nodeId: 1 })).toBe(CLUSTER);
    const a = await readMetaProperties(first);
    const b = await readMetaProperties(second);
    expect(b?.clusterId).toBe(CLUSTER);
    expect(a?.directoryId).not.toBe(b?.directoryId);
    // A copied directory carries the same directory id: refused.
    await writeFile(join(second, 'meta.properties'), await readFile(join(first, 'meta.properties')));
    expect(
      (await refusal(() => formatOrCheck({ logDirs: [first, second], clusterId: null, nodeId: 1 }))).message,
    ).toContain('have the same directory.id');
  });

  it('lets exactly one of two nodes racing for the same fresh directory have it', async () => {
    for (let round = 0; round < 20; round++) {
      const dir = join(root, `race-${round}`);
      const results = await Promise.allSettled([
        formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 1 }),
        formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 2 }),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((result) => result.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(DataDirError);
      const winner = results.findIndex((result) => result.status === 'fulfilled') + 1;
      expect((await readMetaProperties(dir))?.nodeId).toBe(winner);
      expect(await readdir(dir)).toEqual(['meta.properties']);
    }
  });

  it('lets two starts of the same node race harmlessly', async () => {
    const dir = join(root, 'same');
    const results = await Promise.all([
      formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 1 }),
      formatOrCheck({ logDirs: [dir], clusterId: CLUSTER, nodeId: 1 }),
    ]);
    expect(results).toEqual([CLUSTER, CLUSTER]);
  });
});

describe('ensureLocalClusterId', () => {
  it('creates <dataRoot>/cluster.id once and returns it afterwards', async () => {
    const dataRoot = join(root, 'data');
    const id = await ensureLocalClusterId(dataRoot);
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect((await readFile(join(dataRoot, 'cluster.id'), 'utf8')).trim()).toBe(id);
    expect(await ensureLocalClusterId(dataRoot)).toBe(id);
    expect(await readdir(dataRoot)).toEqual(['cluster.id']);
  });

  it('gives every one of many concurrent callers the same id', async () => {
    for (let round = 0; round < 10; round++) {
      const dataRoot = join(root, `data-${round}`);
      const ids = await Promise.all(Array.from({ length: 8 }, () => ensureLocalClusterId(dataRoot)));
      expect(new Set(ids).size).toBe(1);
      expect((await readFile(join(dataRoot, 'cluster.id'), 'utf8')).trim()).toBe(ids[0]);
    }
  });

  it('refuses a corrupt file', async () => {
    await writeFile(join(root, 'cluster.id'), 'not a cluster id!\n');
    expect((await refusal(() => ensureLocalClusterId(root))).message).toContain(
      'does not hold a valid cluster id',
    );
  });
});

describe('prepareStorage', () => {
  it('gives the local nodes the shared cluster id, and explains a mismatch', async () => {
    const dataRoot = join(root, 'data');
    const local = { dataRoot, nodes: 3 };
    const ids = await Promise.all(
      [1, 2, 3].map((id) => prepareStorage(localClusterConfig(id, dataRoot), local)),
    );
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(await ensureLocalClusterId(dataRoot));
    expect((await readMetaProperties(join(dataRoot, 'node-2')))?.clusterId).toBe(ids[0]);
    await writeFile(join(dataRoot, 'cluster.id'), `${OTHER_CLUSTER}\n`);
    const error = await refusal(() => prepareStorage(localClusterConfig(1, dataRoot), local));
    expect(error.message).toContain('Invalid cluster.id in:');
    expect(error.message).toContain(`to start the local cluster afresh, delete ${dataRoot}`);
  });

  it('uses the configured cluster id, and formats metadata.log.dir too', async () => {
    const config = { ...localClusterConfig(1, root), clusterId: CLUSTER, metadataLogDir: join(root, 'meta') };
    expect(storageDirs(config)).toEqual([join(root, 'meta'), `${root}/node-1`]);
    expect(await prepareStorage(config, null)).toBe(CLUSTER);
    expect((await readMetaProperties(join(root, 'meta')))?.clusterId).toBe(CLUSTER);
  });
});

it('randomKafkaUuid is a 16-byte id in base64url that never starts with a dash', () => {
  for (let index = 0; index < 1000; index++) {
    const id = randomKafkaUuid();
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  }
});
