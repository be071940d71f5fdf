import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { CorruptLogError } from '../../src/storage/errors.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { LogSegment } from '../../src/storage/log-segment.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';
import { batchOf, record, temporaryDirectory } from './helpers.ts';

let dir: string;
let remove: () => Promise<void>;
let clockMs = 1_000_000;
const open = (config: Partial<LogConfig> = {}) => PartitionLog.open({ dir, config, now: () => clockMs });

beforeEach(async () => {
  ({ dir, remove } = await temporaryDirectory());
  clockMs = 1_000_000;
});
afterEach(async () => remove());

function offsetsOf(bytes: Buffer): [number, number][] {
  return [...batchesIn(bytes)].map(({ header }) => [header.baseOffset, header.lastOffset]);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('PartitionLog appends and reads', () => {
  it('assigns offsets and stamps the epoch as leader; reads whole batches back', async () => {
    const log = await open();
    const first = await log.appendAsLeader(Buffer.concat([batchOf(3), batchOf(2)]), leaderEpoch(4));
    expect(first).toEqual({ firstOffset: 0, lastOffset: 4, maxTimestamp: 1002, duplicate: false });
    await log.appendAsLeader(batchOf(1, { timestamp: 5000 }), leaderEpoch(4));
    expect(log.logEndOffset).toBe(6);
    const read = await log.read({ startOffset: offset(0), maxBytes: 1 << 20, maxOffset: offset(6) });
    expect(offsetsOf(read.bytes)).toEqual([
      [0, 2],
      [3, 4],
      [5, 5],
    ]);
    expect(read.nextOffset).toBe(6);
    expect([...batchesIn(read.bytes)].every(({ header }) => header.partitionLeaderEpoch === 4)).toBe(true);
    expect(log.leaderEpochEntries).toEqual([{ epoch: 4, startOffset: 0 }]);
    await log.close();
  });

  it('starts a read inside a batch at that batch, honours maxBytes (at least one batch) and maxOffset', async () => {
    const log = await open();
    for (let index = 0; index < 4; index++) await log.appendAsLeader(batchOf(3), leaderEpoch(0));
    const fromMiddle = await log.read({ startOffset: offset(4), maxBytes: 1, maxOffset: offset(12) });
    expect(offsetsOf(fromMiddle.bytes)).toEqual([[3, 5]]);
    const belowHighWatermark = await log.read({
      startOffset: offset(0),
      maxBytes: 1 << 20,
      maxOffset: offset(7),
    });
    expect(offsetsOf(belowHighWatermark.bytes)).toEqual([
      [0, 2],
      [3, 5],
    ]);
    const atEnd = await log.read({ startOffset: offset(12), maxBytes: 100, maxOffset: offset(12) });
    expect(atEnd.bytes.length).toBe(0);
    const error = await rejection(
      log.read({ startOffset: offset(13), maxBytes: 100, maxOffset: offset(13) }),
    );
    expect(isKafkaError(error, 'OFFSET_OUT_OF_RANGE')).toBe(true);
    await log.close();
  });

  it('rejects a corrupt batch, a partial batch and a stale leader epoch', async () => {
    const log = await open();
    const damaged = batchOf(2);
    damaged[damaged.length - 1]! ^= 1;
    expect(
      isKafkaError(await rejection(log.appendAsLeader(damaged, leaderEpoch(1))), 'CORRUPT_MESSAGE'),
    ).toBe(true);
    const partial = batchOf(2).subarray(0, 30);
    expect(
      isKafkaError(await rejection(log.appendAsLeader(partial, leaderEpoch(1))), 'CORRUPT_MESSAGE'),
    ).toBe(true);
    await log.appendAsLeader(batchOf(1), leaderEpoch(5));
    const stale = await rejection(log.appendAsLeader(batchOf(1), leaderEpoch(4)));
    expect(isKafkaError(stale, 'FENCED_LEADER_EPOCH')).toBe(true);
    expect(log.logEndOffset).toBe(1);
    await log.close();
  });

  it('appends as follower only at the log end offset, keeping the leader epochs', async () => {
    const leader = buildRecordBatch({
      records: [record('a'), record('b')],
      baseOffset: 0,
      partitionLeaderEpoch: 2,
    });
    const next = buildRecordBatch({ records: [record('c')], baseOffset: 2, partitionLeaderEpoch: 3 });
    const log = await open();
    const gap = await rejection(log.appendAsFollower(next));
    expect(isKafkaError(gap, 'OFFSET_OUT_OF_RANGE')).toBe(true);
    await log.appendAsFollower(Buffer.concat([leader, next]));
    expect(log.logEndOffset).toBe(3);
    expect(log.leaderEpochEntries).toEqual([
      { epoch: 2, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 2 });
    await log.close();
  });
});

describe('PartitionLog segments, flush and truncation', () => {
  it('rolls by segment.bytes and segment.ms, naming segments by base offset', async () => {
    const log = await open({ segmentBytesMax: 400, segmentAgeMsMax: 10_000 });
    for (let index = 0; index < 6; index++) await log.appendAsLeader(batchOf(2), leaderEpoch(0));
    await log.appendAsLeader(batchOf(1, { timestamp: 100_000 }), leaderEpoch(0));
    const names = (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
    expect(names[0]).toBe('00000000000000000000.log');
    expect(names.length).toBeGreaterThan(2);
    expect(names.at(-1)).toBe(`${String(12).padStart(20, '0')}.log`);
    const all = await log.read({ startOffset: offset(2), maxBytes: 1 << 20, maxOffset: log.logEndOffset });
    expect(offsetsOf(all.bytes)[0]).toEqual([2, 3]);
    await log.close();
  });

  it('a flush covers every append called before it, also those still queued', async () => {
    // A leader demoted to follower flushes before it fetches: an acks=1 append called just before the
    // resignation must be in that flush, or the follower's first fetch offset is not durable.
    const log = await open();
    await log.appendAsLeader(batchOf(1), leaderEpoch(0));
    const queued = [log.appendAsLeader(batchOf(2), leaderEpoch(0)), log.appendAsLeader(batchOf(3), leaderEpoch(0))];
    const flushed = await log.flush();
    await Promise.all(queued);
    expect(flushed).toBe(6);
    expect(log.logEndOffset).toBe(6);
    expect(log.flushedOffset).toBe(6);
    await log.close();
  });

  it('shares fsyncs between concurrent flushers and reports durable offsets', async () => {
    const log = await open();
    const appends = Array.from({ length: 20 }, () =>
      log.appendAsLeader(batchOf(1), leaderEpoch(0)).then(async (result) => {
        await log.waitDurable(offset(result.lastOffset + 1));
        return log.flushedOffset;
      }),
    );
    const durable = await Promise.all(appends);
    for (const [index, value] of durable.entries()) expect(value).toBeGreaterThanOrEqual(index + 1);
    expect(await log.flush()).toBe(20);
    expect(log.flushedOffset).toBe(20);
    await log.close();
  });

  it('truncates a divergent suffix across segments, with its epochs and index entries', async () => {
    const log = await open({ segmentBytesMax: 300, indexIntervalBytes: 1 });
    for (let epoch = 1; epoch <= 6; epoch++) await log.appendAsLeader(batchOf(2), leaderEpoch(epoch));
    await log.flush();
    await log.truncateTo(offset(5));
    expect(log.logEndOffset).toBe(4);
    expect(log.flushedOffset).toBe(4);
    expect(log.leaderEpochEntries.map((entry) => entry.epoch)).toEqual([1, 2]);
    await log.appendAsLeader(batchOf(3), leaderEpoch(9));
    await log.close();
    const reopened = await open({ segmentBytesMax: 300, indexIntervalBytes: 1 });
    expect(reopened.logEndOffset).toBe(7);
    expect(reopened.leaderEpochEntries).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 2 },
      { epoch: 9, startOffset: 4 },
    ]);
    const read = await reopened.read({ startOffset: offset(4), maxBytes: 1, maxOffset: offset(7) });
    expect(offsetsOf(read.bytes)).toEqual([[4, 6]]);
    await reopened.close();
  });
});

describe('PartitionLog retention and timestamps', () => {
  it('deletes old segments by retention.ms and retention.bytes, never the active one', async () => {
    const log = await open({ segmentBytesMax: 200, retentionMs: 60_000 });
    for (let index = 0; index < 5; index++) {
      await log.appendAsLeader(batchOf(1, { timestamp: clockMs + index * 1000 }), leaderEpoch(0));
      await log.roll();
    }
    expect(await log.applyRetention(log.logEndOffset)).toBe(0);
    clockMs += 62_500;
    expect(await log.applyRetention(offset(2))).toBe(2);
    expect(log.logStartOffset).toBe(2);
    clockMs += 100_000;
    expect(await log.applyRetention(log.logEndOffset)).toBe(3);
    expect(log.logStartOffset).toBe(5);
    expect(log.segmentCount).toBe(1);
    await log.close();
    const bySize = await PartitionLog.open({
      dir: `${dir}/by-size`,
      config: { retentionBytes: 300, retentionMs: -1 },
    });
    for (let index = 0; index < 4; index++) {
      await bySize.appendAsLeader(batchOf(1), leaderEpoch(0));
      await bySize.roll();
    }
    await bySize.applyRetention(bySize.logEndOffset);
    expect(bySize.sizeBytes).toBeLessThanOrEqual(300);
    await bySize.close();
  });

  it('DeleteRecords moves the log start offset durably and reads below it are out of range', async () => {
    const log = await open();
    for (let index = 0; index < 3; index++) {
      await log.appendAsLeader(batchOf(2), leaderEpoch(0));
      await log.roll();
    }
    expect(await log.deleteRecordsBefore(offset(3))).toBe(3);
    expect(log.segmentCount).toBe(3);
    const error = await rejection(log.read({ startOffset: offset(2), maxBytes: 100, maxOffset: offset(6) }));
    expect(isKafkaError(error, 'OFFSET_OUT_OF_RANGE')).toBe(true);
    await log.close();
    const reopened = await open();
    expect(reopened.logStartOffset).toBe(3);
    await reopened.close();
  });

  it('finds the first offset whose timestamp is at or after a given time', async () => {
    const log = await open({ indexIntervalBytes: 1, segmentBytesMax: 500 });
    const times = [100, 300, 200, 500, 400, 900];
    for (const time of times) {
      const records = [record('x', time), record('y', time + 10)];
      await log.appendAsLeader(buildRecordBatch({ records }), leaderEpoch(0));
    }
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 100 });
    expect(await log.offsetForTimestamp(105)).toEqual({ offset: 1, timestamp: 110 });
    expect(await log.offsetForTimestamp(250)).toEqual({ offset: 2, timestamp: 300 });
    expect(await log.offsetForTimestamp(450)).toEqual({ offset: 6, timestamp: 500 });
    expect(await log.offsetForTimestamp(905)).toEqual({ offset: 11, timestamp: 910 });
    expect(await log.offsetForTimestamp(911)).toBeNull();
    await log.close();
  });

  it('finds the first record with the largest timestamp (ListOffsets MAX_TIMESTAMP), from the log start, after a reopen too', async () => {
    const log = await open({ indexIntervalBytes: 1, segmentBytesMax: 200 });
    expect(await log.maxTimestampRecord()).toBeNull();
    const batches: Array<[number, number, number]> = [
      [3, 100, 950],
      [3, 960, 10],
      [4, 960, 960],
      [4, 50, 60],
    ];
    for (const [epoch, first, second] of batches) {
      const records = [record('x', first), record('y', second)];
      await log.appendAsLeader(buildRecordBatch({ records }), leaderEpoch(epoch));
    }
    expect(log.segmentCount).toBeGreaterThan(1);
    // 960 first at offset 2 (epoch 3); offsets 4 and 5 tie later.
    expect(await log.maxTimestampRecord()).toEqual({ offset: 2, timestamp: 960, leaderEpoch: 3 });
    // The log start cuts through the batch of offset 2: the next 960 is at offset 4.
    await log.deleteRecordsBefore(offset(3));
    expect(await log.maxTimestampRecord()).toEqual({ offset: 4, timestamp: 960, leaderEpoch: 4 });
    await log.close();
    const reopened = await open({ indexIntervalBytes: 1, segmentBytesMax: 200 });
    expect(await reopened.maxTimestampRecord()).toEqual({ offset: 4, timestamp: 960, leaderEpoch: 4 });
    await reopened.deleteRecordsBefore(offset(6));
    expect(await reopened.maxTimestampRecord()).toEqual({ offset: 7, timestamp: 60, leaderEpoch: 4 });
    await reopened.deleteRecordsBefore(offset(8));
    expect(await reopened.maxTimestampRecord()).toBeNull();
    await reopened.close();
  });

  it('decodes what it stores', async () => {
    const log = await open();
    await log.appendAsLeader(
      buildRecordBatch({ records: [record('hello', 7, 'k')], compression: 'gzip' }),
      leaderEpoch(1),
    );
    const read = await log.read({ startOffset: offset(0), maxBytes: 1000, maxOffset: offset(1) });
    const [batch] = [...batchesIn(read.bytes)];
    expect(decodeRecords(batch!.header).map((r) => r.value?.toString())).toEqual(['hello']);
    await log.close();
  });
});

describe('PartitionLog recovery', () => {
  it('rebuilds missing index files and reopens with the same content', async () => {
    const log = await open({ segmentBytesMax: 300, indexIntervalBytes: 1 });
    for (let index = 0; index < 8; index++) await log.appendAsLeader(batchOf(2), leaderEpoch(0));
    await log.close();
    for (const name of await readdir(dir)) if (name.endsWith('index')) await unlink(join(dir, name));
    const reopened = await open({ segmentBytesMax: 300, indexIntervalBytes: 1 });
    expect(reopened.logEndOffset).toBe(16);
    const read = await reopened.read({ startOffset: offset(9), maxBytes: 1, maxOffset: offset(16) });
    expect(offsetsOf(read.bytes)).toEqual([[8, 9]]);
    await reopened.close();
    expect((await readdir(dir)).filter((name) => name.endsWith('.index')).length).toBeGreaterThan(1);
  });

  it('refuses to open when data before the recovery point fails its CRC, naming file and byte', async () => {
    const log = await open();
    for (let index = 0; index < 3; index++) await log.appendAsLeader(batchOf(2), leaderEpoch(0));
    await log.close();
    const path = join(dir, '00000000000000000000.log');
    const bytes = await readFile(path);
    bytes[bytes.length - 5]! ^= 0xff;
    await writeFile(path, bytes);
    const error = await rejection(open());
    expect(error).toBeInstanceOf(CorruptLogError);
    expect((error as CorruptLogError).path).toBe(path);
    expect((error as CorruptLogError).message).toMatch(/at byte \d+/);
  });

  it('cuts a torn tail after the recovery point', async () => {
    const log = await open({ checkpointIntervalMs: 10_000_000 });
    for (let index = 0; index < 3; index++) await log.appendAsLeader(batchOf(2), leaderEpoch(0));
    // No close: the checkpoint still says recovery point 0, as after a crash.
    const path = join(dir, '00000000000000000000.log');
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 7));
    const reopened = await open();
    expect(reopened.logEndOffset).toBe(4);
    await reopened.close();
    await log.close().catch(() => undefined);
  });
});

describe("PartitionLog.truncateFullyAndStartAt (a follower below its leader's log start)", () => {
  it('drops the whole log and starts empty at the new offset, durably', async () => {
    const log = await open({ segmentBytesMax: 200 });
    for (let index = 0; index < 6; index++) await log.appendAsLeader(batchOf(2), leaderEpoch(1));
    await log.flush();
    expect(log.segmentCount).toBeGreaterThan(1);
    await log.truncateFullyAndStartAt(offset(100));
    expect([log.logStartOffset, log.logEndOffset, log.flushedOffset, log.segmentCount]).toEqual([
      100, 100, 100, 1,
    ]);
    expect(log.leaderEpochEntries).toEqual([]);
    expect(
      await rejection(log.read({ startOffset: offset(0), maxBytes: 1024, maxOffset: offset(100) })),
    ).toSatisfy((error: unknown) => isKafkaError(error, 'OFFSET_OUT_OF_RANGE'));
    // The leader's batches continue at 100.
    const next = batchOf(2);
    next.writeBigInt64BE(100n, 0);
    next.writeInt32BE(3, 12);
    await log.appendAsFollower(next);
    await log.close();

    const reopened = await open({ segmentBytesMax: 200 });
    expect([reopened.logStartOffset, reopened.logEndOffset]).toEqual([100, 102]);
    expect(reopened.leaderEpochEntries).toEqual([{ epoch: 3, startOffset: 100 }]);
    expect((await readdir(dir)).filter((name) => name.endsWith('.log'))).toEqual([
      '00000000000000000100.log',
    ]);
    await reopened.close();
  });

  it('refuses to start below the log end', async () => {
    const log = await open();
    await log.appendAsLeader(batchOf(3), leaderEpoch(0));
    await expect(log.truncateFullyAndStartAt(offset(2))).rejects.toThrow(/starts past the log end/);
    await log.close();
  });
});

describe('PartitionLog I/O failures (the log directory goes offline)', () => {
  const eio = () => Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function failingLog() {
    const failures: unknown[] = [];
    const log = await PartitionLog.open({
      dir,
      now: () => clockMs,
      onFailure: (error) => failures.push(error),
    });
    return { log, failures };
  }

  it.each([
    [
      'an fsync',
      'datasync',
      (log: PartitionLog) => log.appendAsLeader(batchOf(2), leaderEpoch(0)).then(() => log.flush()),
    ],
    ['a write', 'append', (log: PartitionLog) => log.appendAsLeader(batchOf(2), leaderEpoch(0))],
    [
      // Indexes are written when a truncation cuts a segment, and when one is sealed (not at flushes).
      'an index write',
      'writeIndexes',
      async (log: PartitionLog) => {
        await log.appendAsLeader(Buffer.concat([batchOf(2), batchOf(2)]), leaderEpoch(0));
        await log.flush();
        await log.truncateTo(offset(2));
      },
    ],
    [
      'a truncation',
      'truncateFile',
      async (log: PartitionLog) => {
        await log.appendAsLeader(Buffer.concat([batchOf(2), batchOf(2)]), leaderEpoch(0));
        await log.flush();
        await log.truncateTo(offset(2));
      },
    ],
  ] as const)(
    '%s that fails makes every later call throw KAFKA_STORAGE_ERROR, and says so once',
    async (_, method, operation) => {
      const { log, failures } = await failingLog();
      vi.spyOn(LogSegment.prototype, method).mockRejectedValue(eio());
      const error = await rejection(operation(log));
      expect(isKafkaError(error, 'KAFKA_STORAGE_ERROR'), String(error)).toBe(true);
      expect((error as Error).cause).toMatchObject({ code: 'EIO' });
      expect(failures).toEqual([error]);
      vi.restoreAllMocks();
      // Fail-stop: nothing works any more, even what does not touch the failed file.
      expect(await rejection(log.appendAsLeader(batchOf(1), leaderEpoch(0)))).toBe(error);
      expect(await rejection(log.read({ startOffset: offset(0), maxBytes: 1, maxOffset: offset(1) }))).toBe(
        error,
      );
      expect(await rejection(log.flush())).toBe(error);
      expect(failures).toHaveLength(1);
    },
  );

  it('bad input is not an I/O failure: the log keeps working', async () => {
    const { log, failures } = await failingLog();
    await log.appendAsLeader(batchOf(1), leaderEpoch(0));
    // A follower batch at offset 0 when the log ends at 1.
    const error = await rejection(log.appendAsFollower(batchOf(1)));
    expect(isKafkaError(error, 'OFFSET_OUT_OF_RANGE'), String(error)).toBe(true);
    await log.appendAsLeader(batchOf(1), leaderEpoch(0));
    expect(failures).toEqual([]);
    await log.close();
    // Closed is not failed either.
    const closed = await rejection(log.appendAsLeader(batchOf(1), leaderEpoch(0)));
    expect(isKafkaError(closed, 'NOT_LEADER_OR_FOLLOWER'), String(closed)).toBe(true);
    expect(failures).toEqual([]);
  });
});
