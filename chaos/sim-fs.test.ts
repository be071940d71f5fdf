// The simulated disk's model (sim/sim-fs.ts): what survives a power loss, faults, bit flips, and that a
// seed replays the same choices.

import { describe, expect, it } from 'vitest';
import { Prng } from './sim/prng.ts';
import { SimFileSystem } from './sim/sim-fs.ts';

const simFs = (seed = 1) => new SimFileSystem({ random: new Prng(seed) });
const text = (bytes: Buffer) => bytes.toString('latin1');

async function writeFile(fs: SimFileSystem, path: string, value: string, sync: boolean): Promise<void> {
  const file = await fs.open(path, 'replace');
  await file.write(0, Buffer.from(value));
  if (sync) await file.sync();
  await file.close();
}

describe('SimFileSystem', () => {
  it('keeps synced data and synced names across a power loss, and drops the rest', async () => {
    const fs = simFs();
    await fs.mkdir('/d');
    await fs.syncDir('/');
    await writeFile(fs, '/d/a', 'durable', true);
    await fs.syncDir('/d');
    await writeFile(fs, '/d/b', 'named, not synced', false);
    await fs.syncDir('/d');
    await writeFile(fs, '/d/c', 'synced, not named', true);
    const a = await fs.open('/d/a', 'update');
    await a.write(7, Buffer.from(' and more'));
    fs.crash('drop');
    expect(await fs.readdir('/d')).toEqual(['a', 'b']);
    expect(text(await fs.readFile('/d/a'))).toBe('durable');
    expect(text(await fs.readFile('/d/b'))).toBe('');
    await expect(a.write(0, Buffer.from('x'))).rejects.toMatchObject({ code: 'EIO' });
  });

  it('a new directory vanishes unless its parent is synced', async () => {
    const fs = simFs();
    await fs.mkdir('/x/y');
    await fs.syncDir('/x/y');
    fs.crash('drop');
    expect(fs.exists('/x')).toBe(false);
  });

  it('makes a rename durable with the directory sync, atomically', async () => {
    const fs = simFs();
    await writeFile(fs, '/f', 'old', true);
    await fs.syncDir('/');
    await writeFile(fs, '/f.tmp', 'new', true);
    await fs.rename('/f.tmp', '/f');
    expect(text(await fs.readFile('/f'))).toBe('new');
    fs.crash('drop');
    expect(text(await fs.readFile('/f'))).toBe('old');
    for (let seed = 0; seed < 50; seed++) {
      const other = simFs(seed);
      await writeFile(other, '/f', 'old', true);
      await other.syncDir('/');
      await writeFile(other, '/f.tmp', 'new', true);
      await other.rename('/f.tmp', '/f');
      other.crash('random');
      const names = await other.readdir('/');
      expect(names.includes('f')).toBe(true);
      expect(['old', 'new']).toContain(text(await other.readFile('/f')));
    }
  });

  it('keeps a prefix of unsynced writes, the last one possibly torn, never other bytes', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const fs = simFs(seed);
      const file = await fs.open('/f', 'create');
      await fs.syncDir('/');
      await file.write(0, Buffer.from('aaaa'));
      await file.write(4, Buffer.from('bbbb'));
      fs.crash('random');
      const content = text(await fs.readFile('/f'));
      expect('aaaabbbb'.startsWith(content)).toBe(true);
      outcomes.add(content);
    }
    expect(outcomes).toContain('');
    expect(outcomes).toContain('aaaabbbb');
    expect([...outcomes].some((content) => content.length > 4 && content.length < 8)).toBe(true);
  });

  it('tear-last keeps every unsynced write but cuts the last one short', async () => {
    const fs = simFs(3);
    const file = await fs.open('/f', 'create');
    await fs.syncDir('/');
    await file.write(0, Buffer.from('aaaa'));
    await file.write(4, Buffer.from('bbbb'));
    fs.crash('tear-last');
    const content = text(await fs.readFile('/f'));
    expect(content.length).toBeGreaterThan(4);
    expect(content.length).toBeLessThan(8);
  });

  it('fails writes and fsyncs with Node codes; a failed fsync loses what it did not write', async () => {
    const fs = simFs(7);
    const file = await fs.open('/f', 'create');
    await fs.syncDir('/');
    fs.injectFault({ operation: 'write', code: 'ENOSPC' });
    await expect(file.write(0, Buffer.from('xxxx'))).rejects.toMatchObject({ code: 'ENOSPC' });
    await file.truncate(0);
    await file.sync();
    await file.write(0, Buffer.from('lost'));
    fs.injectFault({ operation: 'sync', code: 'EIO' });
    await expect(file.sync()).rejects.toMatchObject({ code: 'EIO' });
    // fsyncgate: still visible, the next fsync succeeds, and yet a power loss may take it.
    expect(text(await fs.readFile('/f'))).toBe('lost');
    await file.sync();
    const lost: string[] = [];
    for (let seed = 0; seed < 20; seed++) {
      const other = simFs(seed);
      const f = await other.open('/f', 'create');
      await other.syncDir('/');
      await f.write(0, Buffer.from('lost'));
      other.injectFault({ operation: 'sync', code: 'EIO' });
      await expect(f.sync()).rejects.toMatchObject({ code: 'EIO' });
      await f.sync();
      other.crash('keep');
      lost.push(text(await other.readFile('/f')));
    }
    expect(lost).toContain('');
  });

  it('a failed fsync keeps a truncation pending: the next fsync makes it durable', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const fs = simFs(seed);
      const file = await fs.open('/f', 'create');
      await fs.syncDir('/');
      await file.write(0, Buffer.from('data'));
      await file.sync();
      await file.truncate(0);
      fs.injectFault({ operation: 'sync', code: 'EIO' });
      await expect(file.sync()).rejects.toMatchObject({ code: 'EIO' });
      await file.sync();
      fs.crash('drop');
      expect(text(await fs.readFile('/f'))).toBe('');
    }
  });

  it('flips a bit of a closed file only', async () => {
    const fs = simFs(5);
    await writeFile(fs, '/f', 'abcd', true);
    await fs.syncDir('/');
    const position = fs.flipByte('/f');
    const content = await fs.readFile('/f');
    expect(content[position]).not.toBe('abcd'.charCodeAt(position));
    fs.crash('drop');
    expect(await fs.readFile('/f')).toEqual(content);
    await fs.open('/f', 'update');
    expect(() => fs.flipByte('/f')).toThrow(/open/);
  });

  it('a mount belongs to one process: after a crash every operation through it fails', async () => {
    const fs = simFs();
    const before = fs.mount();
    await before.mkdir('/d');
    fs.crash('keep');
    await expect(before.open('/d/f', 'create')).rejects.toMatchObject({ code: 'EIO' });
    await expect(before.syncDir('/d')).rejects.toMatchObject({ code: 'EIO' });
    const after = fs.mount();
    await after.open('/d/f', 'create');
    expect(await after.readdir('/d')).toEqual(['f']);
  });

  it('replays the same choices from the same seed', async () => {
    const run = async (seed: number) => {
      const fs = new SimFileSystem({ random: new Prng(seed), faultProbability: 0.2 });
      const results: string[] = [];
      const file = await fs.open('/f', 'create');
      for (let i = 0; i < 30; i++) {
        await file
          .write(i * 3, Buffer.from(`${i}`.padStart(3, '0')))
          .catch((e: { code: string }) => results.push(e.code));
        if (i % 4 === 0) await file.sync().catch((e: { code: string }) => results.push(e.code));
      }
      fs.crash('random');
      results.push(text(await fs.readFile('/f').catch(() => Buffer.from('gone'))));
      return results;
    };
    expect(await run(42)).toEqual(await run(42));
    expect(await run(42)).not.toEqual(await run(43));
  });

  it('waits for the delay hook, and an operation in flight at a crash never reaches the disk', async () => {
    const releases: (() => void)[] = [];
    const fs = new SimFileSystem({
      random: new Prng(1),
      delay: () => new Promise<void>((resolve) => releases.push(resolve)),
    });
    const opening = fs.open('/f', 'create');
    releases.shift()!();
    const file = await opening;
    const writing = file.write(0, Buffer.from('late'));
    fs.crash('keep');
    releases.shift()!();
    await expect(writing).rejects.toMatchObject({ code: 'EIO' });
    expect(fs.exists('/f')).toBe(true);
    const reading = fs.readFile('/f');
    releases.shift()!();
    expect(text(await reading)).toBe('');
  });
});
