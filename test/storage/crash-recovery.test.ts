// Crash recovery: append batches, flush a prefix, append more, then damage a copy of the directory the
// way a crash can (cut, garbled or zero-filled bytes after the flushed position, lost index files) and
// open the copy. Every flushed batch must survive, the log must end at a batch boundary, and what it
// serves must be a prefix of what was written.

import { copyFile, mkdir, readdir, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { leaderEpoch, type Offset, offset } from '../../src/storage/types.ts';
import { batchOf, fcParameters, temporaryDirectory } from './helpers.ts';

const config = { segmentBytesMax: 900, indexIntervalBytes: 150, checkpointIntervalMs: 0 };

interface Damage {
  readonly kind: 'cut' | 'garble' | 'zeros';
  /** Where, as a fraction of the bytes after the flushed position. */
  readonly at: number;
  readonly lengthBytes: number;
  readonly dropIndexes: boolean;
}

const damageArbitrary: fc.Arbitrary<Damage> = fc.record({
  kind: fc.constantFrom('cut', 'garble', 'zeros') as fc.Arbitrary<Damage['kind']>,
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  lengthBytes: fc.integer({ min: 1, max: 200 }),
  dropIndexes: fc.boolean(),
});

async function readAll(log: PartitionLog, end: Offset): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let next = log.logStartOffset;
  while (next < end) {
    const read = await log.read({ startOffset: next, maxBytes: 1 << 20, maxOffset: end });
    chunks.push(read.bytes);
    next = read.nextOffset;
  }
  return Buffer.concat(chunks);
}

/** Segment files in order, with the global byte position (all segments laid end to end) of each. */
async function segmentFiles(dir: string): Promise<{ path: string; startBytes: number; sizeBytes: number }[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
  let startBytes = 0;
  const files = [];
  for (const name of names) {
    const sizeBytes = (await readFile(join(dir, name))).length;
    files.push({ path: join(dir, name), startBytes, sizeBytes });
    startBytes += sizeBytes;
  }
  return files;
}

async function damageCopy(copy: string, flushedBytes: number, damage: Damage): Promise<void> {
  const files = await segmentFiles(copy);
  const totalBytes = files.reduce((sum, file) => sum + file.sizeBytes, 0);
  const position = flushedBytes + Math.floor(damage.at * (totalBytes - flushedBytes));
  const file = files.find((f) => position < f.startBytes + f.sizeBytes) ?? files.at(-1)!;
  const local = position - file.startBytes;
  if (damage.kind === 'cut') {
    await truncate(file.path, local);
    for (const later of files.filter((f) => f.startBytes > file.startBytes)) await unlink(later.path);
  } else {
    const bytes = await readFile(file.path);
    const end = Math.min(bytes.length, local + damage.lengthBytes);
    for (let at = local; at < end; at++)
      bytes[at] = damage.kind === 'zeros' ? 0 : (bytes[at]! * 31 + at) & 0xff;
    await writeFile(
      file.path,
      damage.kind === 'zeros' ? Buffer.concat([bytes, Buffer.alloc(damage.lengthBytes)]) : bytes,
    );
  }
  if (damage.dropIndexes) {
    for (const name of await readdir(copy)) if (name.endsWith('index')) await unlink(join(copy, name));
  }
}

describe('crash recovery', () => {
  it('keeps every flushed batch and serves only a valid prefix of what was written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 25 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        damageArbitrary,
        async (counts, flushFraction, damage) => {
          const { dir, remove } = await temporaryDirectory();
          const copy = join(dir, 'copy');
          const original = join(dir, 'log');
          try {
            const log = await PartitionLog.open({ dir: original, config });
            const flushAfter = Math.floor(flushFraction * counts.length);
            for (const [index, count] of counts.entries()) {
              await log.appendAsLeader(batchOf(count, { tag: `b${index}` }), leaderEpoch(index >> 2));
              if (index + 1 === flushAfter) await log.flush();
            }
            const flushed = log.flushedOffset;
            const written = await readAll(log, log.logEndOffset);
            const flushedBytes = (await readAll(log, flushed)).length;
            await mkdir(copy);
            for (const name of await readdir(original))
              await copyFile(join(original, name), join(copy, name));
            await log.close();
            await damageCopy(copy, flushedBytes, damage);

            const recovered = await PartitionLog.open({ dir: copy, config });
            expect(recovered.logEndOffset).toBeGreaterThanOrEqual(flushed);
            const served = await readAll(recovered, recovered.logEndOffset);
            expect(written.subarray(0, served.length).equals(served)).toBe(true);
            const batches = [...batchesIn(served)];
            expect(batches.at(-1)?.header.lastOffset ?? -1).toBe(recovered.logEndOffset - 1);
            const epochs = recovered.leaderEpochEntries;
            expect(epochs.every((entry) => entry.startOffset < recovered.logEndOffset)).toBe(true);
            await recovered.appendAsLeader(batchOf(1), leaderEpoch(99));
            await recovered.close();
            const reopened = await PartitionLog.open({ dir: copy, config });
            expect(reopened.logEndOffset).toBe(offset(recovered.logEndOffset));
            await reopened.close();
          } finally {
            await remove();
          }
        },
      ),
      fcParameters('crash recovery', Number(process.env.STORAGE_RUNS ?? 40)),
    );
  });
});
