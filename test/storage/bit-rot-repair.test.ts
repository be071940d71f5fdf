// What a replica does with bit rot once it found it (ReplicaManager decides when): reads find the
// batches after a damaged header again; markDamaged records the damaged segment and fails the log, and
// dropSegmentsFrom drops from it at the next open; cutAtDamage cuts at the damaged batch;
// dropDamagedSegments repairs a log that refused to open; and a sealed segment is checkpointed as soon
// as it is durable, so that recovery never takes damage in it for a torn tail.

import { describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import { readCheckpoint } from '../../src/storage/checkpoint-file.ts';
import { readDamageMarker } from '../../src/storage/damage-marker.ts';
import { CorruptLogError } from '../../src/storage/errors.ts';
import { dropDamagedSegments, dropSegmentsFrom } from '../../src/storage/log-recovery.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';
import { batchOf } from './helpers.ts';

const DIR = '/data/orders-0';

async function newDisk(): Promise<SimFileSystem> {
  const fs = new SimFileSystem({ random: new Prng(11) });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return fs;
}

const open = (fs: SimFileSystem) =>
  PartitionLog.open({
    dir: DIR,
    fs: fs.mount(),
    // Segments of ~4 batches of 3 records, an index entry every ~2 batches.
    config: { segmentBytesMax: 500, indexIntervalBytes: 200 },
    now: () => 0,
  });

/** 12 batches of 3 records (offsets 0..35), flushed; returns each batch's bytes by base offset. */
async function fill(log: PartitionLog): Promise<Map<number, Buffer>> {
  const batches = new Map<number, Buffer>();
  for (let i = 0; i < 12; i++) {
    const bytes = batchOf(3, { tag: `b${i}` });
    const { firstOffset } = await log.appendAsLeader(bytes, leaderEpoch(0));
    batches.set(firstOffset, Buffer.from(bytes));
  }
  await log.flush();
  return batches;
}

const segmentPath = (base: number) => `${DIR}/${String(base).padStart(20, '0')}.log`;

async function readAt(log: PartitionLog, start: number): Promise<Buffer | CorruptLogError> {
  try {
    const read = await log.read({ startOffset: offset(start), maxBytes: 1, maxOffset: log.logEndOffset });
    return [...batchesIn(read.bytes)][0]!.header.buffer;
  } catch (error) {
    if (error instanceof CorruptLogError) return error;
    throw error;
  }
}

/** The segments' base offsets, from the file names. */
const segmentBases = (fs: SimFileSystem) =>
  fs
    .listFiles(DIR)
    .filter((path) => path.endsWith('.log'))
    .map((path) => Number(path.slice(DIR.length + 1, -4)));

describe('bit rot, once found', () => {
  it('reads past a damaged batch header find the later batches again by their CRC', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    const batches = await fill(log);
    await log.close();
    // The second batch (offsets 3..5) of the first segment: flip a bit of its base offset.
    fs.flipByte(segmentPath(0), batches.get(0)!.length + 7);
    const reopened = await open(fs);
    const damaged = await readAt(reopened, 3);
    expect(damaged).toBeInstanceOf(CorruptLogError);
    // It names the earliest batch that may be damaged: the one before, whose length led the walk there,
    // or this one.
    expect([0, 3]).toContain((damaged as CorruptLogError).firstOffset);

    const firstSegmentEnd = segmentBases(fs)[1]!;
    for (let base = 6; base < firstSegmentEnd; base += 3) {
      const read = await readAt(reopened, base);
      expect(read, `batch ${base}`).toBeInstanceOf(Buffer);
      expect((read as Buffer).equals(batches.get(base)!)).toBe(true);
    }
    expect(((await readAt(reopened, 0)) as Buffer).equals(batches.get(0)!)).toBe(true);
  });

  it('markDamaged records the damaged segment durably and fails the log; dropSegmentsFrom drops from it', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    await fill(log);
    const bases = segmentBases(fs);
    expect(bases.length).toBeGreaterThanOrEqual(3);
    const damage = new CorruptLogError({ path: segmentPath(bases[1]!), positionBytes: 70, reason: 'test' });
    await expect(log.markDamaged(damage)).rejects.toMatchObject({ errorName: 'KAFKA_STORAGE_ERROR' });
    await expect(
      log.read({ startOffset: offset(0), maxBytes: 1, maxOffset: offset(1) }),
    ).rejects.toMatchObject({
      errorName: 'KAFKA_STORAGE_ERROR',
    });
    fs.crash('drop');
    // Nothing dropped yet: only the marker.
    expect(await readDamageMarker(fs.mount(), DIR)).toBe(bases[1]);
    expect((await open(fs)).logEndOffset).toBe(36);
    await dropSegmentsFrom({ fs: fs.mount(), dir: DIR }, bases[1]!);
    fs.crash('drop');
    const reopened = await open(fs);
    expect(reopened.logEndOffset).toBe(bases[1]);
    expect(segmentBases(fs)).toEqual([0]);
    expect((await readCheckpoint(fs.mount(), DIR))?.recoveryPoint).toBeLessThanOrEqual(bases[1]!);
  });

  it('cutAtDamage cuts exactly at the damaged batch, durably', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    const batches = await fill(log);
    const bases = segmentBases(fs);
    const cutAt = bases[1]! + 3;
    let position = 0;
    for (let base = bases[1]!; base < cutAt; base += 3) position += batches.get(base)!.length;
    const damage = new CorruptLogError({
      path: segmentPath(bases[1]!),
      positionBytes: position,
      reason: 'test',
      firstOffset: cutAt,
    });
    await expect(log.cutAtDamage(damage)).rejects.toMatchObject({
      errorName: 'KAFKA_STORAGE_ERROR',
    });
    fs.crash('drop');
    const reopened = await open(fs);
    expect(reopened.logEndOffset).toBe(cutAt);
    expect(((await readAt(reopened, cutAt - 3)) as Buffer).equals(batches.get(cutAt - 3)!)).toBe(true);
  });

  it('dropDamagedSegments lets a log that refused to open open with what came before the damage', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    await fill(log);
    await log.close();
    const bases = segmentBases(fs);
    // A flip in the active segment's first header: open scans the segment after the recovery point.
    fs.flipByte(segmentPath(bases.at(-1)!), 2);
    const refused = await open(fs).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CorruptLogError);
    if (!(refused instanceof CorruptLogError)) return;
    await dropDamagedSegments({ fs: fs.mount(), dir: DIR }, refused);
    const reopened = await open(fs);
    expect(reopened.logEndOffset).toBe(bases.at(-1));
  });

  it('checkpoints a sealed segment once it is durable, so recovery trusts it', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    await fill(log);
    const bases = segmentBases(fs);
    const checkpoint = await readCheckpoint(fs.mount(), DIR);
    expect(checkpoint?.recoveryPoint).toBeGreaterThanOrEqual(bases.at(-1)!);
  });

  it('tolerateDamage opens a log whose closed segment a strict scan finds damaged (the last in-sync copy)', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    const batches = await fill(log);
    await log.close();
    const bases = segmentBases(fs);
    // Indexes gone, so open scans the first segment strictly; a flipped bit in its first batch's body.
    await fs.mount().unlink(`${DIR}/00000000000000000000.index`);
    fs.flipByte(segmentPath(0), 70);
    await expect(open(fs)).rejects.toBeInstanceOf(CorruptLogError);
    const tolerant = await PartitionLog.open({
      dir: DIR,
      fs: fs.mount(),
      config: { segmentBytesMax: 500, indexIntervalBytes: 200 },
      now: () => 0,
      tolerateDamage: true,
    });
    expect(tolerant.logEndOffset).toBe(36);
    expect(await readAt(tolerant, 0)).toBeInstanceOf(CorruptLogError);
    for (let base = 3; base < 36; base += 3) {
      const read = await readAt(tolerant, base);
      expect(read, `batch ${base}`).toBeInstanceOf(Buffer);
      expect((read as Buffer).equals(batches.get(base)!)).toBe(true);
    }
    expect(bases[1]).toBeGreaterThan(3);
  });
});
