// Damage the simulated disk can do that a crash explains or does not:
// (b) a torn last write (power loss in the middle of an append) is cut by recovery, durably;
// (d) a flipped bit in a closed segment below the recovery point is never served: as in Kafka, open does
//     not scan those segments (it checks their indexes and the batch the last index entry names), so the
//     log opens, and every read that would return the damaged batch fails with CorruptLogError
//     (CORRUPT_MESSAGE, naming file and byte). When the flip is in what open checks, open refuses with
//     the same error. Reads that do succeed return exactly the bytes written.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import { CorruptLogError } from '../../src/storage/errors.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';
import { batchOf, fcParameters } from './helpers.ts';

const DIR = '/data/orders-0';

interface Written {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly bytes: Buffer;
}

async function newDisk(seed: number): Promise<SimFileSystem> {
  const fs = new SimFileSystem({ random: new Prng(seed) });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return fs;
}

const open = (fs: SimFileSystem, segmentBytesMax: number) =>
  PartitionLog.open({
    dir: DIR,
    fs: fs.mount(),
    config: { segmentBytesMax, indexIntervalBytes: 100 },
    now: () => 0,
  });

/** Appends batches of the given sizes, epochs rising every third; returns them as stored. */
async function appendAll(log: PartitionLog, counts: readonly number[], first = 0): Promise<Written[]> {
  const written: Written[] = [];
  for (const [at, count] of counts.entries()) {
    const index = first + at;
    const bytes = batchOf(count, { tag: `b${index}` });
    const result = await log.appendAsLeader(bytes, leaderEpoch(Math.floor(index / 3)));
    written.push({
      baseOffset: result.firstOffset,
      lastOffset: result.lastOffset,
      bytes: Buffer.from(bytes),
    });
  }
  return written;
}

describe('PartitionLog over the simulated disk: damage', () => {
  it('(b) cuts a torn last write on recovery, and the cut survives another power loss', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0x7fff_ffff }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        async (seed, flushedCounts, unflushedCounts) => {
          const fs = await newDisk(seed);
          const log = await open(fs, 100_000);
          const flushed = await appendAll(log, flushedCounts);
          await log.flush();
          const unflushed = await appendAll(log, unflushedCounts, flushedCounts.length);
          const torn = unflushed.at(-1)!;
          fs.crash('tear-last');
          const recovered = await open(fs, 100_000);
          // Every unsynced write survived but the last, which was torn: the log ends where it began.
          expect(recovered.logEndOffset).toBe(torn.baseOffset);
          const kept = [...flushed, ...unflushed.slice(0, -1)];
          const bytes = Buffer.concat(kept.map((batch) => batch.bytes));
          const read = await recovered.read({
            startOffset: offset(0),
            maxBytes: 1 << 20,
            maxOffset: offset(torn.baseOffset),
          });
          expect(read.bytes.equals(bytes)).toBe(true);
          expect((await fs.readFile(`${DIR}/00000000000000000000.log`)).length).toBe(bytes.length);
          fs.crash('drop');
          const again = await open(fs, 100_000);
          expect(again.logEndOffset).toBe(torn.baseOffset);
          await again.appendAsLeader(batchOf(1), leaderEpoch(99));
          expect(again.logEndOffset).toBe(torn.baseOffset + 1);
        },
      ),
      fcParameters('sim-fs torn write', Number(process.env.STORAGE_RUNS ?? 100)),
    );
  });

  it('(d) never serves a batch of a closed segment with a flipped bit: reads (or open) fail with CorruptLogError', async () => {
    const outcomes = { refusedToOpen: 0, readFailed: 0, skipped: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 0x7fff_ffff }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 30 }),
        async (seed, counts) => {
          outcomes[await flipAndCheck(seed, counts, null)]++;
        },
      ),
      fcParameters('sim-fs bit flip', Number(process.env.STORAGE_RUNS ?? 150)),
    );
    console.log(`[storage] sim-fs bit flip outcomes: ${JSON.stringify(outcomes)}`);
    expect(outcomes.readFailed).toBeGreaterThan(0);
  });

  it('(d) covers every byte of a batch, header fields outside the CRC included', async () => {
    const counts = [2, 2, 1, 5, 4, 1];
    // The batch at offsets 5..9 starts at byte 238 of the first segment and is 116 bytes long.
    for (let position = 238; position < 238 + 116; position++) {
      expect(await flipAndCheck(7, counts, { segment: 0, position })).not.toBe('skipped');
    }
  });

  it('(d) regression: counterexample [277171564, [2,2,1,5,4,1]]: a flipped last offset delta made reads of the batch empty', async () => {
    expect(await flipAndCheck(277171564, [2, 2, 1, 5, 4, 1], null)).toBe('readFailed');
  });
});

/**
 * Writes batches of `counts` records, closes the log, flips one bit in a closed segment (the PRNG picks
 * the segment and byte unless given), reopens, and reads every batch from its first and last offset.
 */
async function flipAndCheck(
  seed: number,
  counts: readonly number[],
  target: { segment: number; position: number } | null,
): Promise<'refusedToOpen' | 'readFailed' | 'skipped'> {
  const fs = await newDisk(seed);
  const log = await open(fs, 500);
  const written = await appendAll(log, counts);
  await log.close();
  const segments = fs.listFiles(DIR).filter((path) => path.endsWith('.log'));
  if (segments.length < 2) return 'skipped';
  const random = new Prng(seed).fork('flip');
  const path = target === null ? random.pick(segments.slice(0, -1)) : segments[target.segment]!;
  const position = fs.flipByte(path, target?.position);
  const segmentBase = Number(path.slice(DIR.length + 1, -'.log'.length));
  let endBytes = 0;
  const damaged = written
    .filter((batch) => batch.baseOffset >= segmentBase)
    .find((batch) => {
      endBytes += batch.bytes.length;
      return position < endBytes;
    })!;

  const reopened = await open(fs, 500).catch((error: unknown) => error);
  if (!(reopened instanceof PartitionLog)) {
    expect(reopened).toBeInstanceOf(CorruptLogError);
    expect((reopened as CorruptLogError).errorName).toBe('CORRUPT_MESSAGE');
    return 'refusedToOpen';
  }
  let damagedReadFailed = false;
  for (const batch of written) {
    for (const start of [batch.baseOffset, batch.lastOffset]) {
      const read = await reopened
        .read({ startOffset: offset(start), maxBytes: 1, maxOffset: reopened.logEndOffset })
        .catch((error: unknown) => error);
      if (read instanceof Error) {
        expect(read).toBeInstanceOf(CorruptLogError);
        if (batch === damaged) damagedReadFailed = true;
        continue;
      }
      const served = [...batchesIn((read as { bytes: Buffer }).bytes)];
      expect(served, `a read at ${start} returned one batch`).toHaveLength(1);
      expect(served[0]!.header.buffer.equals(batch.bytes), `batch ${batch.baseOffset} served changed`).toBe(
        true,
      );
    }
  }
  expect(damagedReadFailed, `the damaged batch ${damaged.baseOffset} (byte ${position}) was served`).toBe(
    true,
  );
  return 'readFailed';
}
