// Log compaction over the simulated disk (chaos/sim/sim-fs.ts) with crashes: random keyed appends (some
// of idempotent producers, some tombstones), flushes, rolls, cleaning rounds (alone, or with an append
// in flight), truncations above what was cleaned, and power losses or kill -9 at any file operation of
// any of them, cleaning included (each stage of its swap), and inside recovery. After each restart:
// - no `.cleaned` or `.swap` file is left, and the log ends at or after what a flush made durable;
// - every record read was written at that offset, batches are contiguous, offsets go up;
// - for each key, the latest record written below the log's end is there (a crash never leaves a mix
//   of cleaned and uncleaned segments that lost a latest value), unless it is a tombstone past its
//   delete horizon, and then no record of that key is;
// - the producer state is what a walk of the log finds.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { type CrashPolicy, type FaultCode, SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';
import { fcParameters } from './helpers.ts';

const DIR = '/data/compacted-0';
const KEYS = ['a', 'b', 'c', 'd', 'e'];
const RUNS = Number(process.env.STORAGE_RUNS ?? 120);

interface ModelRecord {
  readonly key: string;
  readonly value: string | null;
}

type Step =
  | {
      kind: 'append';
      records: { key: number; tombstone: boolean }[];
      producer: number | null;
      bump: boolean;
    }
  | { kind: 'flush' }
  | { kind: 'roll' }
  | { kind: 'clean'; force: boolean }
  | { kind: 'cleanDuringAppend'; key: number }
  | { kind: 'truncate'; fraction: number };

type Stop = CrashPolicy | 'kill';

type Command =
  | Step
  | { kind: 'fault'; operation: 'write' | 'sync' | 'syncDir'; code: FaultCode; skip: number }
  | {
      kind: 'crash';
      policy: Stop;
      during: { step: Step; afterOperations: number } | null;
      duringOpenAfter: number | null;
    };

const appendArbitrary: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('append' as const),
  records: fc.array(
    fc.record({
      key: fc.integer({ min: 0, max: KEYS.length - 1 }),
      tombstone: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  producer: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }),
  bump: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: appendArbitrary },
  { weight: 3, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('clean' as const), force: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('cleanDuringAppend' as const),
      key: fc.integer({ min: 0, max: KEYS.length - 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
);
/** A power loss or kill, most often during a cleaning round. */
const crashArbitrary: fc.Arbitrary<Command> = fc.record({
  kind: fc.constant('crash' as const),
  policy: fc.constantFrom<Stop>('random', 'random', 'drop', 'keep', 'tear-last', 'kill'),
  during: fc.option(
    fc.record({
      step: fc.oneof(
        {
          weight: 4,
          arbitrary: fc.record({ kind: fc.constant('clean' as const), force: fc.constant(true) }),
        },
        { weight: 1, arbitrary: stepArbitrary },
      ),
      afterOperations: fc.integer({ min: 1, max: 80 }),
    }),
    { nil: null },
  ),
  duringOpenAfter: fc.option(fc.integer({ min: 1, max: 25 }), { nil: null }),
});
/** An EIO or ENOSPC on a later write, fsync or directory fsync: the log fails (a crash restarts it). */
const faultArbitrary: fc.Arbitrary<Command> = fc.record({
  kind: fc.constant('fault' as const),
  operation: fc.constantFrom('write' as const, 'sync' as const, 'syncDir' as const),
  code: fc.constantFrom<FaultCode>('EIO', 'ENOSPC'),
  skip: fc.integer({ min: 0, max: 12 }),
});
const commandsArbitrary: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof(
    { weight: 12, arbitrary: stepArbitrary as fc.Arbitrary<Command> },
    { weight: 2, arbitrary: crashArbitrary },
    { weight: 1, arbitrary: faultArbitrary },
  ),
  { minLength: 20, maxLength: 100, size: 'max' },
);
const configArbitrary: fc.Arbitrary<Partial<LogConfig>> = fc.record({
  segmentBytesMax: fc.constantFrom(300, 700),
  indexIntervalBytes: fc.constant(100),
  cleanupCompact: fc.constant(true),
  cleanupDelete: fc.constant(false),
  deleteRetentionMs: fc.constantFrom(0, 1_000_000_000),
  minCleanableDirtyRatio: fc.constantFrom(0, 0.5),
  checkpointIntervalMs: fc.constantFrom(0, 60_000),
});

class Harness {
  readonly fs: SimFileSystem;
  readonly config: Partial<LogConfig>;
  log: PartitionLog | null = null;
  /** Every record written and not truncated, by offset (what cleaning removed included). */
  records = new Map<number, ModelRecord>();
  /** Records an append cut short may have left. */
  private pending = new Map<number, ModelRecord>();
  durableEnd = 0;
  /** The largest high watermark a cleaning round was given: no truncation goes below it. */
  cleanedUpTo = 0;
  epoch = 0;
  tags = 0;
  private crashCountdown: { operations: number; policy: Stop } | null = null;

  constructor(seed: number, config: Partial<LogConfig>) {
    this.config = config;
    this.fs = new SimFileSystem({
      random: new Prng(seed),
      delay: () => {
        if (this.crashCountdown !== null && --this.crashCountdown.operations <= 0) {
          const { policy } = this.crashCountdown;
          this.crashCountdown = null;
          this.stop(policy);
        }
        return undefined;
      },
    });
  }

  async start(): Promise<void> {
    await this.fs.mkdir('/data');
    await this.fs.syncDir('/');
    await this.reopen(null);
  }

  async run(command: Command): Promise<void> {
    if (command.kind === 'fault') {
      this.fs.injectFault({ operation: command.operation, code: command.code, skip: command.skip });
      return;
    }
    if (command.kind !== 'crash') {
      await this.step(command);
      return;
    }
    if (command.during !== null) {
      this.crashCountdown = { operations: command.during.afterOperations, policy: command.policy };
      await this.step(command.during.step);
    }
    if (this.crashCountdown !== null || command.during === null) {
      this.crashCountdown = null;
      this.stop(command.policy);
    }
    await this.reopen(command.duringOpenAfter, command.policy);
  }

  private stop(policy: Stop): void {
    this.log = null;
    if (policy === 'kill') this.fs.kill();
    else this.fs.crash(policy);
  }

  async reopen(duringOpenAfter: number | null, policy: Stop = 'random'): Promise<void> {
    const open = () =>
      PartitionLog.open({ dir: DIR, config: this.config, fs: this.fs.mount(), now: () => 0 });
    let log: PartitionLog | null = null;
    if (duringOpenAfter !== null) {
      this.crashCountdown = { operations: duringOpenAfter, policy };
      try {
        const opened = await open();
        if (this.crashCountdown !== null) log = opened;
      } catch (error) {
        if (this.crashCountdown !== null) throw error;
      }
      this.crashCountdown = null;
    }
    log ??= await open();
    this.log = log;
    await this.check(log);
  }

  private async check(log: PartitionLog): Promise<void> {
    expect(
      this.fs.listFiles(DIR).filter((path) => /\.(cleaned|swap)$/.test(path)),
      'cleaning left behind',
    ).toEqual([]);
    const end = log.logEndOffset;
    expect(end, 'the log ends before what a flush made durable').toBeGreaterThanOrEqual(this.durableEnd);
    const present = new Map<number, ModelRecord>();
    let next = 0;
    let batchEnd = 0;
    while (next < end) {
      const read = await log.read({ startOffset: offset(next), maxBytes: 1 << 20, maxOffset: end });
      for (const { header } of batchesIn(read.bytes)) {
        expect(header.baseOffset, 'contiguous batches').toBe(batchEnd);
        batchEnd = header.lastOffset + 1;
        for (const record of decodeRecords(header)) {
          const found = { key: record.key!.toString(), value: record.value?.toString() ?? null };
          // An append cut short may have landed over records a truncation cut short did not remove.
          const candidates = [this.records.get(record.offset), this.pending.get(record.offset)];
          expect(candidates, `record at ${record.offset} was written there`).toContainEqual(found);
          present.set(record.offset, found);
        }
      }
      next = read.nextOffset;
    }
    // What the log holds now: the records below its end (an append cut short may have landed).
    const kept = new Map<number, ModelRecord>();
    for (const [at, record] of this.records) if (at < end) kept.set(at, record);
    for (const [at, record] of this.pending) {
      const landed = present.get(at);
      if (landed !== undefined && landed.key === record.key && landed.value === record.value)
        kept.set(at, record);
    }
    const latest = new Map<string, [number, ModelRecord]>();
    for (const [at, record] of [...kept].sort(([a], [b]) => a - b)) latest.set(record.key, [at, record]);
    for (const [key, [at, record]] of latest) {
      if (present.has(at)) continue;
      expect(record.value, `the latest record of ${key} (offset ${at}) is gone`).toBeNull();
      expect(
        [...present.values()].some((other) => other.key === key),
        `a tombstone of ${key} went, older records stayed`,
      ).toBe(false);
    }
    expect(log.producerStateSnapshot(), 'producer state').toEqual(await log.producerStateFromLog());
    this.records = kept;
    this.pending = new Map();
    this.durableEnd = end;
    this.cleanedUpTo = Math.min(this.cleanedUpTo, end);
    this.epoch = Math.max(this.epoch, log.latestEpoch ?? 0);
  }

  private async step(step: Step): Promise<void> {
    const log = this.log;
    if (log === null) return;
    switch (step.kind) {
      case 'append':
        await this.append(log, step);
        return;
      case 'flush': {
        const flushed = await log.flush().catch(() => null);
        if (flushed !== null) this.durableEnd = Math.max(this.durableEnd, flushed);
        return;
      }
      case 'roll':
        await log.roll().catch(() => undefined);
        return;
      case 'clean':
        await this.clean(log, step.force);
        return;
      case 'cleanDuringAppend': {
        const cleaning = this.clean(log, true);
        await this.append(log, {
          kind: 'append',
          records: [{ key: step.key, tombstone: false }],
          producer: null,
          bump: false,
        });
        await cleaning;
        return;
      }
      case 'truncate': {
        const end = log.logEndOffset;
        const target = this.cleanedUpTo + Math.floor(step.fraction * (end - this.cleanedUpTo));
        if (target >= end) return;
        // The log will end where the batch holding the target starts; a crash may cut it there too.
        const holding = await log.read({ startOffset: offset(target), maxBytes: 1, maxOffset: end }).then(
          (read) => [...batchesIn(read.bytes)][0]?.header.baseOffset ?? target,
          () => null,
        );
        if (holding === null) return;
        this.durableEnd = Math.min(this.durableEnd, holding);
        await log.truncateTo(offset(target)).then(
          () => {
            for (const at of [...this.records.keys()]) if (at >= holding) this.records.delete(at);
          },
          () => undefined,
        );
        return;
      }
    }
  }

  private async clean(log: PartitionLog, force: boolean): Promise<void> {
    const highWatermark = log.flushedOffset;
    this.cleanedUpTo = Math.max(this.cleanedUpTo, highWatermark);
    await log.clean({ highWatermark, offsetMapBytes: 600, force }).catch((error: unknown) => {
      // Only a crash ends a round with an error here: an I/O error of the dead process's disk.
      expect(error instanceof KafkaError && error.errorName === 'CORRUPT_MESSAGE', String(error)).toBe(false);
    });
  }

  private async append(log: PartitionLog, step: Extract<Step, { kind: 'append' }>): Promise<void> {
    if (step.bump) this.epoch++;
    const records = step.records.map((record) => ({
      key: KEYS[record.key]!,
      value: record.tombstone ? null : `v${this.tags++}`,
    }));
    const producer =
      step.producer === null ? null : { id: step.producer, entry: log.producerEntry(step.producer) };
    const batch = buildRecordBatch({
      records: records.map((record) => ({
        timestamp: 0,
        key: Buffer.from(record.key),
        value: record.value === null ? null : Buffer.from(record.value),
        headers: [],
      })),
      ...(producer === null
        ? {}
        : {
            producerId: producer.id,
            producerEpoch: 0,
            baseSequence: (producer.entry?.batches.at(-1)?.lastSequence ?? -1) + 1,
          }),
    });
    const base = log.logEndOffset;
    records.forEach((record, index) => {
      this.pending.set(base + index, record);
    });
    const result = await log.appendAsLeader(batch, leaderEpoch(this.epoch)).catch((error: unknown) => {
      // Refused (not cut short by a crash): nothing of it was written.
      if (error instanceof KafkaError && error.errorName !== 'KAFKA_STORAGE_ERROR') this.pending = new Map();
      return null;
    });
    if (result === null) return;
    expect(result.firstOffset).toBe(base);
    records.forEach((record, index) => {
      this.records.set(base + index, record);
    });
    this.pending = new Map();
  }
}

const SMALL_SEGMENTS: Partial<LogConfig> = {
  segmentBytesMax: 300,
  indexIntervalBytes: 100,
  cleanupCompact: true,
  cleanupDelete: false,
  checkpointIntervalMs: 0,
};

async function replay(seed: number, config: Partial<LogConfig>, commands: readonly Command[]): Promise<void> {
  const harness = new Harness(seed, config);
  await harness.start();
  for (const command of commands) await harness.run(command);
  await harness.run({ kind: 'crash', policy: 'random', during: null, duringOpenAfter: null });
}

describe('log compaction over the simulated disk, with crashes', () => {
  it('a restart finds each key latest record, whatever point of a cleaning round the crash hit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 0x7fff_ffff }), configArbitrary, commandsArbitrary, replay),
      fcParameters('sim-fs compaction', RUNS),
    );
  });

  it('an I/O error at any write, fsync or directory fsync of a cleaning round, then a restart', async () => {
    const appends: Command[] = Array.from({ length: 24 }, (_, at) => ({
      kind: 'append',
      records: [
        { key: at % 5, tombstone: at % 7 === 0 },
        { key: (at + 2) % 5, tombstone: false },
      ],
      producer: at % 4 === 0 ? 1 : null,
      bump: at === 9,
    }));
    for (const operation of ['write', 'sync', 'syncDir'] as const) {
      for (let skip = 0; skip < 30; skip++) {
        for (const policy of ['kill', 'random'] as const) {
          await replay(skip, SMALL_SEGMENTS, [
            ...appends,
            { kind: 'roll' },
            { kind: 'flush' },
            { kind: 'fault', operation, code: 'EIO', skip },
            { kind: 'clean', force: true },
            { kind: 'crash', policy, during: null, duringOpenAfter: null },
          ]);
        }
      }
    }
  });

  it('a crash at every file operation of one cleaning round', async () => {
    const config = SMALL_SEGMENTS;
    const appends: Command[] = Array.from({ length: 30 }, (_, at) => ({
      kind: 'append',
      records: [
        { key: at % 5, tombstone: at % 7 === 0 },
        { key: (at + 1) % 5, tombstone: false },
      ],
      producer: at % 3 === 0 ? 0 : null,
      bump: at === 12,
    }));
    // A round here takes about 150 file operations: the last crashes come after it ended.
    for (let operations = 1; operations <= 200; operations++) {
      for (const policy of ['random', 'kill'] as const) {
        await replay(operations, config, [
          ...appends,
          { kind: 'roll' },
          { kind: 'flush' },
          {
            kind: 'crash',
            policy,
            during: { step: { kind: 'clean', force: true }, afterOperations: operations },
            duringOpenAfter: null,
          },
        ]);
      }
    }
  });
});
