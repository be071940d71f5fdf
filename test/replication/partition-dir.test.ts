import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import { partitionId, topicId } from '../../src/metadata/ids.ts';
import { claimPartitionDir, partitionDir, removePartitionDir } from '../../src/replication/partition-dir.ts';

const A = topicId('6d1f5a38-2f0b-4f51-9d0c-00000000000a');
const B = topicId('6d1f5a38-2f0b-4f51-9d0c-00000000000b');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kraftling-partition-dir-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('partition directories', () => {
  it('are named <topic>-<partition> in the log dir', () => {
    expect(partitionDir('/data', 'orders', partitionId(3))).toBe(join('/data', 'orders-3'));
  });

  it('a claim survives a power loss: the directory is in its synced parent, the old topic never comes back', async () => {
    const fs = new SimFileSystem({ random: new Prng(1) });
    await fs.mkdir('/logs');
    await fs.syncDir('/');
    expect(await claimPartitionDir('/logs/orders-0', A, fs)).toBe(false);
    fs.crash('drop');
    expect(await claimPartitionDir('/logs/orders-0', A, fs)).toBe(true);
    expect(await claimPartitionDir('/logs/orders-0', B, fs)).toBe(false);
    fs.crash('drop');
    expect(await claimPartitionDir('/logs/orders-0', B, fs)).toBe(true);
  });

  it('a new directory is created and stamped; the same topic keeps its data', async () => {
    const dir = partitionDir(root, 'orders', partitionId(0));
    expect(await claimPartitionDir(dir, A)).toBe(false);
    await writeFile(join(dir, 'data.log'), 'records');
    expect(await claimPartitionDir(dir, A)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['data.log', 'partition.metadata']);
  });

  it('a directory of another topic of the same name is emptied', async () => {
    const dir = partitionDir(root, 'orders', partitionId(0));
    await claimPartitionDir(dir, A);
    await writeFile(join(dir, 'data.log'), 'records of the deleted topic');
    expect(await claimPartitionDir(dir, B)).toBe(false);
    expect(await readdir(dir)).toEqual(['partition.metadata']);
    expect(await claimPartitionDir(dir, B)).toBe(true);
  });

  it('an unstamped directory is taken over (no log was ever opened in it)', async () => {
    const dir = partitionDir(root, 'orders', partitionId(0));
    await mkdir(dir);
    await writeFile(join(dir, 'stray'), 'x');
    expect(await claimPartitionDir(dir, A)).toBe(false);
    expect(await readdir(dir)).toEqual(['partition.metadata']);
  });

  it('a metadata file that does not decode is never wiped on a guess', async () => {
    const dir = partitionDir(root, 'orders', partitionId(0));
    await mkdir(dir);
    await writeFile(join(dir, 'partition.metadata'), Buffer.from([0x0a, 0x05, 0x01]));
    await writeFile(join(dir, 'data.log'), 'records');
    await expect(claimPartitionDir(dir, A)).rejects.toThrow();
    expect(existsSync(join(dir, 'data.log'))).toBe(true);
  });

  it('removal deletes the directory and tolerates a missing one', async () => {
    const dir = partitionDir(root, 'orders', partitionId(0));
    await claimPartitionDir(dir, A);
    await removePartitionDir(dir);
    expect(existsSync(dir)).toBe(false);
    await removePartitionDir(dir);
  });
});
