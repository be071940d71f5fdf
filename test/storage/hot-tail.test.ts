// The hot tail (log-segment.ts): reads at the head of the active segment are served from the appends
// kept in memory, byte for byte what the file holds, without reading the file; reads further back, of
// sealed segments, and after a truncation read the file and never serve bytes that were cut.

import { describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import type { FileSystem, StorageFile } from '../../src/storage/file-system.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { leaderEpoch, type Offset, offset } from '../../src/storage/types.ts';
import { batchOf } from './helpers.ts';

const DIR = '/data/orders-0';

/** The mounted file system, counting the reads of `.log` files. */
function countingReads(inner: FileSystem): { fs: FileSystem; logReads: () => number } {
  let reads = 0;
  const fs: FileSystem = {
    ...inner,
    readFile: (path) => inner.readFile(path),
    readdir: (dir) => inner.readdir(dir),
    mkdir: (dir) => inner.mkdir(dir),
    rename: (from, to) => inner.rename(from, to),
    unlink: (path) => inner.unlink(path),
    rm: (path) => inner.rm(path),
    syncDir: (dir) => inner.syncDir(dir),
    open: async (path, mode): Promise<StorageFile> => {
      const file = await inner.open(path, mode);
      if (!path.endsWith('.log')) return file;
      return {
        read: (positionBytes, lengthBytes) => {
          reads++;
          return file.read(positionBytes, lengthBytes);
        },
        write: (positionBytes, bytes) => file.write(positionBytes, bytes),
        sync: () => file.sync(),
        truncate: (sizeBytes) => file.truncate(sizeBytes),
        size: () => file.size(),
        close: () => file.close(),
      };
    },
  };
  return { fs, logReads: () => reads };
}

async function openLog(config: { segmentBytesMax: number }) {
  const disk = new SimFileSystem({ random: new Prng(7) });
  await disk.mkdir('/data');
  await disk.syncDir('/');
  const counted = countingReads(disk.mount());
  const log = await PartitionLog.open({
    dir: DIR,
    fs: counted.fs,
    config: { ...config, indexIntervalBytes: 4096 },
    now: () => 0,
  });
  return { log, logReads: counted.logReads };
}

/** A batch of one record of `valueBytes` bytes, tagged so that its bytes differ from any other's. */
function batchOfSize(valueBytes: number, tag: number): Buffer {
  const value = Buffer.alloc(valueBytes, tag & 0xff);
  return buildRecordBatch({ records: [{ timestamp: 1_000, key: null, value, headers: [] }] });
}

/** Each batch read from `start` to the log end, as [baseOffset, bytes]. */
async function readAll(log: PartitionLog, start: Offset): Promise<[number, Buffer][]> {
  const read = await log.read({ startOffset: start, maxBytes: 64 << 20, maxOffset: log.logEndOffset });
  return [...batchesIn(read.bytes)].map(({ header }) => [header.baseOffset, Buffer.from(header.buffer)]);
}

describe('hot tail', () => {
  it('serves the head of the active segment from memory, byte for byte what was appended', async () => {
    const { log, logReads } = await openLog({ segmentBytesMax: 64 << 20 });
    const appended = new Map<number, Buffer>();
    for (let i = 0; i < 8; i++) {
      const { firstOffset } = await log.appendAsLeader(batchOf(5, { tag: `b${i}` }), leaderEpoch(3));
      appended.set(firstOffset, Buffer.from((await readAll(log, firstOffset))[0]![1]));
    }
    const before = logReads();
    const read = await readAll(log, offset(10));
    expect(logReads()).toBe(before);
    expect(read.map(([base]) => base)).toEqual([10, 15, 20, 25, 30, 35]);
    for (const [base, bytes] of read) expect(bytes.equals(appended.get(base)!)).toBe(true);
  });

  it('reads what fell out of the tail from the file, the same bytes', async () => {
    const { log, logReads } = await openLog({ segmentBytesMax: 64 << 20 });
    // 12 batches of ~60 KiB: the tail keeps the newest ~256 KiB of them.
    for (let i = 0; i < 12; i++) await log.appendAsLeader(batchOfSize(60 * 1024, i), leaderEpoch(0));
    const before = logReads();
    const head = await readAll(log, offset(9));
    expect(logReads()).toBe(before);
    const whole = await readAll(log, offset(0));
    expect(logReads()).toBeGreaterThan(before);
    expect(whole.map(([base]) => base)).toEqual([...Array(12).keys()]);
    for (const [base, bytes] of head) expect(bytes.equals(whole[base]![1])).toBe(true);
    // A batch larger than the whole tail bound is still kept, alone.
    await log.appendAsLeader(batchOfSize(600 * 1024, 99), leaderEpoch(0));
    const afterBig = logReads();
    const [[, big]] = (await readAll(log, offset(12))) as [[number, Buffer]];
    expect(logReads()).toBe(afterBig);
    expect(big.length).toBeGreaterThan(600 * 1024);
  });

  it('never serves bytes a truncation cut, and reads sealed segments from the file', async () => {
    const { log, logReads } = await openLog({ segmentBytesMax: 64 << 20 });
    for (let i = 0; i < 6; i++) await log.appendAsLeader(batchOfSize(100, i), leaderEpoch(1));
    await log.flush();
    await log.truncateTo(offset(3));
    expect(log.logEndOffset).toBe(3);
    // The follower's new suffix at the same offsets, with other bytes.
    for (let i = 0; i < 3; i++) await log.appendAsLeader(batchOfSize(100, 50 + i), leaderEpoch(2));
    const read = await readAll(log, offset(0));
    expect(read.map(([base]) => base)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [base, bytes] of read) {
      const tag = base < 3 ? base : 50 + base - 3;
      expect(bytes.includes(Buffer.alloc(100, tag)), `batch ${base} holds the value tagged ${tag}`).toBe(
        true,
      );
    }
    await log.roll();
    const before = logReads();
    expect((await readAll(log, offset(4))).map(([base]) => base)).toEqual([4, 5]);
    expect(logReads()).toBeGreaterThan(before);
  });
});
