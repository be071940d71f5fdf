// Log compaction through the real partition log (over the simulated disk): what a cleaning round keeps,
// what it leaves alone, and what it must not break (offsets, the producer state, followers, concurrent
// appends, reads and truncations, damage).

import { describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { CorruptLogError } from '../../src/storage/errors.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import type { CompressionName } from '../../src/storage/record-batch/format.ts';
import type { RecordBatchHeader } from '../../src/storage/record-batch/header.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';

const DIR = '/data/compacted-0';
const COMPACT: Partial<LogConfig> = {
  segmentBytesMax: 600,
  indexIntervalBytes: 100,
  cleanupCompact: true,
  cleanupDelete: false,
  checkpointIntervalMs: 0,
};
const MAP_BYTES = 1 << 20;

async function newDisk(): Promise<SimFileSystem> {
  const fs = new SimFileSystem({ random: new Prng(7) });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return fs;
}

function open(fs: SimFileSystem, config: Partial<LogConfig> = COMPACT, now: () => number = () => 100_000) {
  return PartitionLog.open({ dir: DIR, fs: fs.mount(), config, now });
}

/** One batch of `[key, value]` records (value null: a tombstone). */
function keyed(
  pairs: readonly (readonly [string | null, string | null])[],
  options: {
    timestamp?: number;
    compression?: CompressionName;
    producer?: { id: number; epoch: number; sequence: number };
  } = {},
): Buffer {
  return buildRecordBatch({
    records: pairs.map(([key, value], index) => ({
      timestamp: (options.timestamp ?? 1_000) + index,
      key: key === null ? null : Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      headers: [],
    })),
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(options.producer === undefined
      ? {}
      : {
          producerId: options.producer.id,
          producerEpoch: options.producer.epoch,
          baseSequence: options.producer.sequence,
        }),
  });
}

interface ReadRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** Every batch and record from the log start, read as a consumer would (checking offsets go up). */
async function readAll(log: PartitionLog): Promise<{ batches: RecordBatchHeader[]; records: ReadRecord[] }> {
  const batches: RecordBatchHeader[] = [];
  const records: ReadRecord[] = [];
  let next: number = log.logStartOffset;
  while (next < log.logEndOffset) {
    const read = await log.read({
      startOffset: offset(next),
      maxBytes: 1 << 20,
      maxOffset: log.logEndOffset,
    });
    for (const { header } of batchesIn(read.bytes)) {
      batches.push(header);
      for (const record of decodeRecords(header)) {
        expect(record.offset, 'offsets go up').toBeGreaterThan(records.at(-1)?.offset ?? -1);
        records.push({
          offset: record.offset,
          key: record.key?.toString() ?? null,
          value: record.value?.toString() ?? null,
        });
      }
    }
    expect(read.nextOffset).toBeGreaterThan(next);
    next = read.nextOffset;
  }
  return { batches, records };
}

/**
 * Writes `rounds` rounds of one value for each of `keys` keys, a batch per round, then rolls (every
 * record is in a closed segment) and flushes; returns the records.
 */
async function writeRounds(
  log: PartitionLog,
  rounds: number,
  keys: number,
  options: { compression?: CompressionName } = {},
): Promise<ReadRecord[]> {
  const written: ReadRecord[] = [];
  for (let round = 0; round < rounds; round++) {
    const pairs = Array.from({ length: keys }, (_, key) => [`k${key}`, `v${round}-${key}`] as const);
    const result = await log.appendAsLeader(
      keyed(pairs, { timestamp: 1_000 + round, ...options }),
      leaderEpoch(0),
    );
    pairs.forEach(([key, value], index) => {
      written.push({ offset: result.firstOffset + index, key, value });
    });
  }
  await log.roll();
  await log.flush();
  return written;
}

/** What compaction must keep: the latest record of each key among `records`, in offset order. */
function latestByKey(records: readonly ReadRecord[]): ReadRecord[] {
  const latest = new Map<string | null, ReadRecord>();
  for (const record of records) latest.set(record.key, record);
  return [...latest.values()].sort((a, b) => a.offset - b.offset);
}

describe('log compaction through the partition log', () => {
  it('keeps the latest value of each key in the closed segments, at its offset, through a reopen', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    const written = await writeRounds(log, 30, 5);
    const segmentsBefore = log.segmentCount;
    const sizeBefore = log.sizeBytes;
    const end = log.logEndOffset;
    const result = await log.clean({ highWatermark: end, offsetMapBytes: MAP_BYTES });
    expect(result).not.toBeNull();
    expect(result!.groupsCleaned).toBeGreaterThan(0);
    expect(log.logEndOffset).toBe(end);
    expect(log.sizeBytes).toBeLessThan(sizeBefore / 2);
    const expected = latestByKey(written);
    expect((await readAll(log)).records).toEqual(expected);
    // Cleaned segments are small: the next round cleans them into one (as Kafka groups them by size).
    await log.clean({ highWatermark: end, offsetMapBytes: MAP_BYTES, force: true });
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    expect((await readAll(log)).records).toEqual(expected);
    // A clean log is not due again, also after a restart (the first dirty offset is checkpointed).
    expect(log.cleaningState(offset(end))).toEqual({ dirtyRatio: 0, due: false });
    await log.close();
    expect(fs.listFiles(DIR).filter((path) => /\.(cleaned|swap)$/.test(path))).toEqual([]);
    const reopened = await open(fs);
    expect((await readAll(reopened)).records).toEqual(expected);
    expect(reopened.cleaningState(offset(end))?.due).toBe(false);
    expect(reopened.leaderEpochEntries).toEqual([{ epoch: 0, startOffset: 0 }]);
    await reopened.close();
  });

  it('cleans nothing at or above the high watermark, in the active segment, or younger than min.compaction.lag.ms', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    const written = await writeRounds(log, 30, 5);
    const before = (await readAll(log)).records;
    // The high watermark inside the first segment: no closed segment wholly below it.
    expect(await log.clean({ highWatermark: offset(3), offsetMapBytes: MAP_BYTES, force: true })).toBeNull();
    log.updateConfig({ minCompactionLagMs: 200_000 });
    expect(
      await log.clean({ highWatermark: log.logEndOffset, offsetMapBytes: MAP_BYTES, force: true }),
    ).toBeNull();
    expect((await readAll(log)).records).toEqual(before);
    // Half the log committed: only the closed segments below it are cleaned.
    log.updateConfig({ minCompactionLagMs: 0 });
    const highWatermark = offset(Math.floor(log.logEndOffset / 2));
    await log.clean({ highWatermark, offsetMapBytes: MAP_BYTES, force: true });
    const after = (await readAll(log)).records;
    const below = (records: readonly ReadRecord[]) =>
      records.filter((record) => record.offset < highWatermark);
    expect(below(after).length).toBeLessThan(below(before).length);
    expect(after.filter((record) => record.offset >= highWatermark)).toEqual(
      written.filter((record) => record.offset >= highWatermark),
    );
    await log.close();
  });

  it('keeps a tombstone for delete.retention.ms after the round that first cleaned it, then drops it', async () => {
    const fs = await newDisk();
    let now = 100_000;
    const log = await open(fs, { ...COMPACT, deleteRetentionMs: 5_000 }, () => now);
    await log.appendAsLeader(
      keyed([
        ['a', 'a1'],
        ['b', 'b1'],
      ]),
      leaderEpoch(0),
    );
    await log.appendAsLeader(
      keyed([
        ['a', null],
        ['b', 'b2'],
      ]),
      leaderEpoch(0),
    );
    await log.roll();
    await log.appendAsLeader(keyed([['c', 'c1']]), leaderEpoch(0));
    await log.flush();
    await log.clean({ highWatermark: log.logEndOffset, offsetMapBytes: MAP_BYTES, force: true });
    const first = await readAll(log);
    expect(first.records.map((record) => [record.key, record.value])).toEqual([
      ['a', null],
      ['b', 'b2'],
      ['c', 'c1'],
    ]);
    expect(first.batches.find((batch) => batch.baseOffset === 2)?.deleteHorizonMs).toBe(105_000);
    // Before the horizon the tombstone stays; the log says when it is due.
    now = 104_999;
    expect(log.cleaningState(log.logEndOffset)?.due).toBe(false);
    await log.clean({ highWatermark: log.logEndOffset, offsetMapBytes: MAP_BYTES, force: true });
    expect((await readAll(log)).records.map((record) => record.value)).toEqual([null, 'b2', 'c1']);
    now = 105_000;
    expect(log.cleaningState(log.logEndOffset)?.due).toBe(true);
    await log.clean({ highWatermark: log.logEndOffset, offsetMapBytes: MAP_BYTES });
    expect((await readAll(log)).records.map((record) => [record.offset, record.value])).toEqual([
      [3, 'b2'],
      [4, 'c1'],
    ]);
    await log.close();
  });

  it("keeps an idempotent producer's retained batches, emptied: its state, and its duplicates, survive", async () => {
    const fs = await newDisk();
    const log = await open(fs);
    for (let sequence = 0; sequence < 12; sequence++) {
      const batch = keyed([['k', `v${sequence}`]], { producer: { id: 7, epoch: 0, sequence } });
      await log.appendAsLeader(batch, leaderEpoch(0));
      await log.appendAsLeader(keyed([['other', `o${sequence}`]]), leaderEpoch(0));
    }
    await log.appendAsLeader(keyed([['k', 'last']]), leaderEpoch(0));
    await log.roll();
    await log.flush();
    const state = log.producerStateSnapshot();
    await log.clean({ highWatermark: log.logEndOffset, offsetMapBytes: MAP_BYTES, force: true });
    const { batches, records } = await readAll(log);
    expect(records.map((record) => record.value)).toEqual(['o11', 'last']);
    const producerBatches = batches.filter((batch) => batch.producerId === 7);
    expect(producerBatches.map((batch) => [batch.baseSequence, batch.recordCount])).toEqual([
      [7, 0],
      [8, 0],
      [9, 0],
      [10, 0],
      [11, 0],
    ]);
    expect(log.producerStateSnapshot()).toEqual(state);
    expect(await log.producerStateFromLog()).toEqual(state);
    const retry = await log.appendAsLeader(
      keyed([['k', 'v11']], { producer: { id: 7, epoch: 0, sequence: 11 } }),
      leaderEpoch(0),
    );
    expect(retry.duplicate).toBe(true);
    expect(retry.firstOffset).toBe(22);
    expect(log.logEndOffset).toBe(25);
    await log.close();
    const reopened = await open(fs);
    expect(reopened.producerStateSnapshot()).toEqual(state);
    await reopened.close();
  });

  it('rewrites a batch with the codec it had', async () => {
    for (const compression of ['gzip', 'zstd'] as const) {
      const fs = await newDisk();
      const log = await open(fs);
      const written = await writeRounds(log, 12, 4, { compression });
      await log.clean({ highWatermark: log.logEndOffset, offsetMapBytes: MAP_BYTES, force: true });
      const { batches, records } = await readAll(log);
      expect(records).toEqual(latestByKey(written));
      for (const batch of batches.filter((candidate) => candidate.recordCount > 0)) {
        expect(batch.compressionCode).toBe(compression === 'gzip' ? 1 : 4);
      }
      await log.close();
    }
  });

  it('a follower appends the cleaned batches as they are, and reads the same', async () => {
    const fs = await newDisk();
    const leader = await open(fs);
    await writeRounds(leader, 20, 3);
    await leader.appendAsLeader(
      keyed([['p', 'x']], { producer: { id: 3, epoch: 1, sequence: 0 } }),
      leaderEpoch(2),
    );
    await leader.appendAsLeader(keyed([['p', 'y']]), leaderEpoch(2));
    await leader.roll();
    await leader.flush();
    await leader.clean({ highWatermark: leader.logEndOffset, offsetMapBytes: MAP_BYTES, force: true });
    const follower = await PartitionLog.open({ dir: '/data/follower-0', fs: fs.mount(), config: COMPACT });
    let next = 0;
    while (next < leader.logEndOffset) {
      const read = await leader.read({
        startOffset: offset(next),
        maxBytes: 300,
        maxOffset: leader.logEndOffset,
      });
      await follower.appendAsFollower(Buffer.from(read.bytes));
      next = read.nextOffset;
    }
    expect((await readAll(follower)).records).toEqual((await readAll(leader)).records);
    expect(follower.leaderEpochEntries).toEqual(leader.leaderEpochEntries);
    expect(follower.producerStateSnapshot()).toEqual(leader.producerStateSnapshot());
    await follower.close();
    await leader.close();
  });

  it("a follower whose log ends inside a leader's filler takes the filler from its own log end", async () => {
    const fs = await newDisk();
    const leader = await open(fs);
    const follower = await PartitionLog.open({ dir: '/data/follower-0', fs: fs.mount(), config: COMPACT });
    for (let at = 0; at < 6; at++) await leader.appendAsLeader(keyed([['k', `v${at}`]]), leaderEpoch(1));
    await leader.roll();
    await leader.appendAsLeader(keyed([['k', 'last']]), leaderEpoch(1));
    await leader.flush();
    // The follower has the first three batches when the leader cleans the first six into one filler.
    for (let next = 0; next < 3; ) {
      const read = await leader.read({ startOffset: offset(next), maxBytes: 1, maxOffset: offset(3) });
      await follower.appendAsFollower(Buffer.from(read.bytes));
      next = read.nextOffset;
    }
    await leader.clean({ highWatermark: leader.logEndOffset, offsetMapBytes: MAP_BYTES, force: true });
    const fetched = await leader.read({
      startOffset: offset(3),
      maxBytes: 1 << 20,
      maxOffset: leader.logEndOffset,
    });
    const [filler] = [...batchesIn(fetched.bytes)];
    expect([filler?.header.baseOffset, filler?.header.lastOffset, filler?.header.recordCount]).toEqual([
      0, 4, 0,
    ]);
    await follower.appendAsFollower(Buffer.from(fetched.bytes));
    const rest = await leader.read({
      startOffset: follower.logEndOffset,
      maxBytes: 1 << 20,
      maxOffset: leader.logEndOffset,
    });
    await follower.appendAsFollower(Buffer.from(rest.bytes));
    expect(follower.logEndOffset).toBe(leader.logEndOffset);
    const records = (await readAll(follower)).records;
    expect(records.map((record) => record.value)).toEqual(['v0', 'v1', 'v2', 'v5', 'last']);
    expect(follower.leaderEpochEntries).toEqual(leader.leaderEpochEntries);
    // Only a filler may start before the log end.
    const again = await leader.read({ startOffset: offset(5), maxBytes: 1, maxOffset: leader.logEndOffset });
    const error = await follower
      .appendAsFollower(Buffer.from(again.bytes))
      .catch((caught: unknown) => caught);
    expect(isKafkaError(error, 'OFFSET_OUT_OF_RANGE')).toBe(true);
    await follower.close();
    await leader.close();
  });

  it('a leader of a compacted topic refuses a record without a key (INVALID_RECORD); others accept it', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    const refused = await log
      .appendAsLeader(
        keyed([
          ['a', '1'],
          [null, '2'],
        ]),
        leaderEpoch(0),
      )
      .catch((error) => error);
    expect(isKafkaError(refused, 'INVALID_RECORD')).toBe(true);
    expect((refused as Error).message).toBe(
      'Compacted topic cannot accept message without key in topic partition compacted-0.',
    );
    expect(log.logEndOffset).toBe(0);
    log.updateConfig({ cleanupCompact: false, cleanupDelete: true });
    expect((await log.appendAsLeader(keyed([[null, '2']]), leaderEpoch(0))).firstOffset).toBe(0);
    await log.close();
  });

  it('appends and reads go on during a round; a truncation during it makes it give up, changing nothing', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    const written = await writeRounds(log, 30, 5);
    const cleaning = log.clean({ highWatermark: log.logEndOffset, offsetMapBytes: MAP_BYTES, force: true });
    const appended = await log.appendAsLeader(keyed([['k0', 'during']]), leaderEpoch(0));
    const read = await log.read({ startOffset: offset(0), maxBytes: 100, maxOffset: log.logEndOffset });
    expect(read.bytes.length).toBeGreaterThan(0);
    const result = await cleaning;
    expect(result?.firstDirtyOffset).not.toBeNull();
    expect((await readAll(log)).records).toEqual([
      ...latestByKey(written),
      { offset: appended.firstOffset, key: 'k0', value: 'during' },
    ]);

    const second = await newDisk();
    const truncated = await open(second);
    await writeRounds(truncated, 30, 5);
    const before = (await readAll(truncated)).records;
    const abandoned = truncated.clean({
      highWatermark: truncated.logEndOffset,
      offsetMapBytes: MAP_BYTES,
      force: true,
    });
    const cut = offset(truncated.logEndOffset - 5);
    await truncated.truncateTo(cut);
    expect((await abandoned)?.firstDirtyOffset).toBeNull();
    expect((await readAll(truncated)).records).toEqual(before.filter((record) => record.offset < cut));
    expect(second.listFiles(DIR).filter((path) => /\.(cleaned|swap)$/.test(path))).toEqual([]);
    await truncated.close();
  });

  it('retention does not delete segments of a compact-only topic', async () => {
    const fs = await newDisk();
    const log = await open(fs, { ...COMPACT, retentionMs: 1, retentionBytes: 1 });
    await writeRounds(log, 10, 5);
    expect(await log.applyRetention(log.logEndOffset)).toBe(0);
    log.updateConfig({ cleanupDelete: true });
    expect(await log.applyRetention(log.logEndOffset)).toBeGreaterThan(0);
    await log.close();
  });

  it('damage in a closed segment: the round rejects with CorruptLogError and changes nothing', async () => {
    const fs = await newDisk();
    const log = await open(fs);
    await writeRounds(log, 30, 5);
    await log.close();
    const first = fs.listFiles(DIR).find((path) => path.endsWith('.log'))!;
    fs.flipByte(first, 100);
    const reopened = await open(fs);
    const before = fs.listFiles(DIR);
    const error = await reopened
      .clean({ highWatermark: reopened.logEndOffset, offsetMapBytes: MAP_BYTES, force: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CorruptLogError);
    expect(fs.listFiles(DIR)).toEqual(before);
    await reopened.close();
  });
});
