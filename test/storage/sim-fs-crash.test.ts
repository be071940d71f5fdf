// The real PartitionLog over the simulated disk (chaos/sim/sim-fs.ts): random appends, flushes,
// truncations, rolls, retention and DeleteRecords, power losses at any file operation (also inside an
// operation and inside recovery), torn writes, EIO/ENOSPC on writes and fsyncs. After every power loss
// the log is reopened and must hold:
// - the log start the last completed operation left (or the new one of an operation cut short);
// - every batch a resolved flush covered, at its offset (unless a completed truncation or the log start
//   removed it);
// - after that, nothing but whole batches that were written, in order, each once: a prefix of the
//   batches the model holds (plus the one an interrupted append was writing).
// A failure is fail-stop: the operation rejects, and no later operation succeeds or claims durability
// beyond what a resolved flush already claimed.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { type CrashPolicy, type FaultCode, SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type { LogConfig } from '../../src/storage/log-config.ts';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { isLogDirFailure } from '../../src/storage/errors.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { stampBaseOffset, stampPartitionLeaderEpoch } from '../../src/storage/record-batch/header.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';
import { batchOf, fcParameters } from './helpers.ts';

const DIR = '/data/orders-0';

interface ModelBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly bytes: Buffer;
}

/** What the completed operations left. */
interface Model {
  batches: ModelBatch[];
  start: number;
  /** Every batch below this was covered by a resolved flush (lowered by truncation). */
  durableEnd: number;
  epoch: number;
  tags: number;
}

/** What an operation cut short (by a fault or a power loss) may have left: the checker accepts both. */
interface InFlight {
  /** A batch an append was writing. */
  readonly batch?: ModelBatch;
  /** The end a truncation was cutting to (durable batches above it may be gone). */
  readonly truncatedTo?: number;
  /** The highest log start a retention or DeleteRecords may have reached. */
  readonly startMax?: number;
}

type Step =
  | { kind: 'append'; count: number; bump: boolean; follower: boolean }
  | { kind: 'flush' }
  | { kind: 'appendDuringFlush'; count: number }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'roll' }
  | { kind: 'retention' }
  | { kind: 'deleteRecords'; fraction: number };

type Command =
  | Step
  | { kind: 'fault'; operation: 'write' | 'sync' | 'syncDir'; code: FaultCode; skip: number }
  | {
      kind: 'crash';
      /** What ends the process: a power loss (keeping what `CrashPolicy` says) or a kill -9. */
      policy: Stop;
      /** A step cut by the power loss at its n-th file operation (after it when it has fewer). */
      during: { step: Step; afterOperations: number } | null;
      /** A power loss inside recovery too, at its n-th file operation. */
      duringOpenAfter: number | null;
    };

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      count: fc.integer({ min: 1, max: 5 }),
      bump: fc.boolean(),
      follower: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'flush' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('appendDuringFlush' as const),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), fraction }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), fraction }) },
);
/** A power loss, or `kill`: the process dies and the page cache survives (a kill -9). */
type Stop = CrashPolicy | 'kill';
const policyArbitrary = fc.constantFrom<Stop>('random', 'random', 'drop', 'keep', 'tear-last', 'kill');
const crashArbitrary: fc.Arbitrary<Command> = fc.record({
  kind: fc.constant('crash' as const),
  policy: policyArbitrary,
  during: fc.option(fc.record({ step: stepArbitrary, afterOperations: fc.integer({ min: 1, max: 30 }) }), {
    nil: null,
  }),
  duringOpenAfter: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
});
const faultArbitrary: fc.Arbitrary<Command> = fc.record({
  kind: fc.constant('fault' as const),
  operation: fc.constantFrom('write' as const, 'sync' as const, 'syncDir' as const),
  code: fc.constantFrom<FaultCode>('EIO', 'ENOSPC'),
  skip: fc.integer({ min: 0, max: 4 }),
});

function commandsArbitrary(withFaults: boolean): fc.Arbitrary<Command[]> {
  const command = fc.oneof(
    { weight: 16, arbitrary: stepArbitrary as fc.Arbitrary<Command> },
    { weight: 1, arbitrary: crashArbitrary },
    { weight: withFaults ? 1 : 0, arbitrary: faultArbitrary },
  );
  return fc.array(command, { minLength: 1, maxLength: 80, size: 'medium' });
}

const configArbitrary: fc.Arbitrary<Partial<LogConfig>> = fc.record({
  segmentBytesMax: fc.constantFrom(400, 700, 100_000),
  indexIntervalBytes: fc.constantFrom(100, 4096),
  retentionBytes: fc.constantFrom(-1, 900),
  retentionMs: fc.constant(-1),
  checkpointIntervalMs: fc.constantFrom(0, 60_000),
});

const endOf = (model: Model): number =>
  model.batches.length === 0 ? model.start : model.batches.at(-1)!.lastOffset + 1;

/** The stored form of a batch: its base offset and leader epoch stamped as the log stamps them. */
function stamped(count: number, options: { tag: number; baseOffset: number; epoch: number }): ModelBatch {
  const bytes = batchOf(count, { tag: `t${options.tag}` });
  stampBaseOffset(bytes, offset(options.baseOffset));
  stampPartitionLeaderEpoch(bytes, options.epoch);
  return { baseOffset: options.baseOffset, lastOffset: options.baseOffset + count - 1, bytes };
}

class Harness {
  readonly fs: SimFileSystem;
  readonly config: Partial<LogConfig>;
  log: PartitionLog | null = null;
  model: Model = { batches: [], start: 0, durableEnd: 0, epoch: 0, tags: 0 };
  /** The first failure since the last open: the log must stay failed. */
  failure: { inFlight: InFlight; error: unknown } | null = null;
  private crashCountdown: { operations: number; policy: Stop } | null = null;
  readonly trace: string[] = [];

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
    this.trace.push(JSON.stringify(command));
    if (command.kind === 'fault') {
      this.fs.injectFault({ operation: command.operation, code: command.code, skip: command.skip });
      return;
    }
    if (command.kind === 'crash') {
      if (command.during !== null) {
        this.crashCountdown = { operations: command.during.afterOperations, policy: command.policy };
        await this.step(command.during.step);
      }
      if (this.crashCountdown !== null || command.during === null) {
        this.crashCountdown = null;
        this.stop(command.policy);
      }
      await this.reopen(command.duringOpenAfter, command.policy);
      return;
    }
    await this.step(command);
  }

  /** Opens the log after a power loss (one more may come inside recovery) and checks what it holds. */
  private stop(policy: Stop): void {
    if (policy === 'kill') this.fs.kill();
    else this.fs.crash(policy);
  }

  async reopen(duringOpenAfter: number | null, policy: Stop = 'random'): Promise<void> {
    const inFlight = this.failure?.inFlight ?? {};
    this.failure = null;
    this.log = null;
    const open = () =>
      PartitionLog.open({ dir: DIR, config: this.config, fs: this.fs.mount(), now: () => 0 });
    if (duringOpenAfter !== null) {
      this.crashCountdown = { operations: duringOpenAfter, policy };
      try {
        const opened = await open();
        // When the power went after recovery's last operation, the log belongs to a dead process.
        if (this.crashCountdown !== null) this.log = opened;
      } catch (error) {
        if (this.crashCountdown !== null) throw error;
      }
      this.crashCountdown = null;
    }
    this.log ??= await open();
    await this.check(inFlight);
  }

  private async check(inFlight: InFlight): Promise<void> {
    const log = this.log!;
    const model = this.model;
    const candidates = inFlight.batch === undefined ? model.batches : [...model.batches, inFlight.batch];
    const startMax = Math.max(model.start, inFlight.startMax ?? model.start);
    const durableEnd = Math.min(model.durableEnd, inFlight.truncatedTo ?? model.durableEnd);
    const start = log.logStartOffset;
    const end = log.logEndOffset;
    const state = `log [${start}, ${end}), model start ${model.start} (max ${startMax}), durable end ${durableEnd}`;
    expect(start >= model.start && start <= startMax, `log start: ${state}`).toBe(true);
    expect(end, `log end below the durable end: ${state}`).toBeGreaterThanOrEqual(
      Math.max(durableEnd, start),
    );
    expect(log.flushedOffset, 'recovery makes the whole log durable').toBe(end);
    const recovered: ModelBatch[] = [];
    let next = start;
    while (next < end) {
      const read = await log.read({ startOffset: offset(next), maxBytes: 1 << 20, maxOffset: end });
      for (const { header } of batchesIn(read.bytes)) {
        recovered.push({
          baseOffset: header.baseOffset,
          lastOffset: header.lastOffset,
          bytes: Buffer.from(header.buffer),
        });
      }
      next = read.nextOffset;
    }
    let at = candidates.findIndex((batch) => batch.lastOffset >= start);
    for (const batch of recovered) {
      const expected = at >= 0 ? candidates[at] : undefined;
      expect(expected, `batch ${batch.baseOffset} was never written there: ${state}`).toBeDefined();
      expect(batch.baseOffset, `batch order: ${state}`).toBe(expected!.baseOffset);
      expect(batch.bytes.equals(expected!.bytes), `batch ${batch.baseOffset} bytes: ${state}`).toBe(true);
      at++;
    }
    this.model = {
      batches: recovered,
      start,
      durableEnd: end,
      epoch: Math.max(model.epoch, log.latestEpoch ?? 0),
      tags: model.tags,
    };
    expect(endOf(this.model), `model end: ${state}`).toBe(end);
  }

  private async step(step: Step): Promise<void> {
    const log = this.log;
    if (log === null) return;
    const model = this.model;
    const end = endOf(model);
    switch (step.kind) {
      case 'append': {
        if (step.bump) model.epoch++;
        const batch = stamped(step.count, { tag: model.tags++, baseOffset: end, epoch: model.epoch });
        const input = Buffer.from(batch.bytes);
        const appending = step.follower
          ? log.appendAsFollower(input)
          : log.appendAsLeader(input, leaderEpoch(model.epoch));
        if (await this.attempt(appending, { batch })) model.batches.push(batch);
        return;
      }
      case 'flush': {
        const flushed = await log.flush().catch((error: unknown) => {
          this.noteFailure(error, {});
          return null;
        });
        if (flushed === null) return;
        expect(flushed, 'a flush covers everything appended').toBe(end);
        if (this.failure !== null) {
          expect(flushed, 'a failed log claims no new durability').toBeLessThanOrEqual(model.durableEnd);
        }
        model.durableEnd = Math.max(model.durableEnd, flushed);
        return;
      }
      case 'appendDuringFlush': {
        const flushing = log.flush();
        const batch = stamped(step.count, { tag: model.tags++, baseOffset: end, epoch: model.epoch });
        const appended = await this.attempt(
          log.appendAsLeader(Buffer.from(batch.bytes), leaderEpoch(model.epoch)),
          {
            batch,
          },
        );
        if (appended) model.batches.push(batch);
        const flushed = await flushing.catch((error: unknown) => {
          this.noteFailure(error, appended ? {} : { batch });
          return null;
        });
        // Started before the append (and before any failure of it): its claim stands.
        if (flushed !== null) {
          expect(flushed, 'a flush covers what was appended before it').toBe(end);
          model.durableEnd = Math.max(model.durableEnd, flushed);
        }
        return;
      }
      case 'truncate': {
        const target = model.start + Math.floor(step.fraction * (end - model.start));
        const holding = model.batches.find((batch) => batch.lastOffset >= target);
        const newEnd = holding === undefined ? end : holding.baseOffset;
        if (newEnd < model.start) {
          // Refused below the log start (an operating error), unless the log has failed already.
          const error = await log.truncateTo(offset(target)).then(
            () => null,
            (reason: unknown) => reason,
          );
          expect(error, 'a truncation below the log start is refused').not.toBeNull();
          if (!(error instanceof KafkaError)) this.noteFailure(error, {});
          return;
        }
        if (await this.attempt(log.truncateTo(offset(target)), { truncatedTo: newEnd })) {
          model.batches = model.batches.filter((batch) => batch.baseOffset < newEnd);
          model.durableEnd = Math.min(model.durableEnd, newEnd);
        }
        return;
      }
      case 'roll':
        await this.attempt(log.roll(), {});
        return;
      case 'retention': {
        if (await this.attempt(log.applyRetention(offset(end)), { startMax: end }))
          this.moveStart(log.logStartOffset);
        return;
      }
      case 'deleteRecords': {
        const target = model.start + Math.floor(step.fraction * (end - model.start));
        const deleting = log.deleteRecordsBefore(offset(target));
        if (await this.attempt(deleting, { startMax: Math.max(target, model.start) })) {
          expect(log.logStartOffset).toBe(Math.max(target, model.start));
          this.moveStart(log.logStartOffset);
        }
        return;
      }
      default: {
        const unexpected: never = step;
        throw new Error(`unknown step ${JSON.stringify(unexpected)}`);
      }
    }
  }

  private moveStart(start: number): void {
    expect(start).toBeGreaterThanOrEqual(this.model.start);
    this.model.start = start;
    this.model.batches = this.model.batches.filter((batch) => batch.lastOffset >= start);
  }

  /** True when the operation succeeded; a failure is noted (and must be the log's last word). */
  private async attempt(operation: Promise<unknown>, inFlight: InFlight): Promise<boolean> {
    try {
      await operation;
    } catch (error) {
      this.noteFailure(error, inFlight);
      return false;
    }
    expect(this.failure, 'an operation succeeded after the log failed').toBeNull();
    return true;
  }

  private noteFailure(error: unknown, inFlight: InFlight): void {
    // The log answers KAFKA_STORAGE_ERROR (the log dir is offline) with the I/O error as its cause.
    expect(isLogDirFailure(error), `a failure takes the log dir offline: ${String(error)}`).toBe(true);
    const code = ((error as Error).cause as { code?: unknown } | undefined)?.code;
    expect(
      typeof code === 'string' && /^E[A-Z]+$/.test(code),
      `a failure is caused by an I/O error: ${String(error)}`,
    ).toBe(true);
    this.failure ??= { inFlight, error };
  }
}

async function replay(seed: number, config: Partial<LogConfig>, commands: readonly Command[]): Promise<void> {
  const harness = new Harness(seed, config);
  await harness.start();
  for (const command of commands) await harness.run(command);
  await harness.run({ kind: 'crash', policy: 'random', during: null, duringOpenAfter: null });
}

function runProperty(name: string, withFaults: boolean, runs: number): Promise<void> {
  return fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 0x7fff_ffff }),
      configArbitrary,
      commandsArbitrary(withFaults),
      replay,
    ),
    fcParameters(name, runs),
  );
}

const smallSegments = {
  segmentBytesMax: 400,
  indexIntervalBytes: 100,
  retentionBytes: -1,
  retentionMs: -1,
  checkpointIntervalMs: 0,
};

/** Counterexamples the properties found (fast-check seed, then the shrunk case), kept as regressions. */
const REGRESSIONS: readonly {
  name: string;
  seed: number;
  config: Partial<LogConfig>;
  commands: Command[];
}[] = [
  {
    name: 'seed 627019299: a truncation killed before its fsync; recovery left the cut unsynced and a power loss brought the truncated batch back',
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'append', count: 1, bump: false, follower: false },
      { kind: 'roll' },
      { kind: 'appendDuringFlush', count: 1 },
      {
        kind: 'crash',
        policy: 'kill',
        during: { step: { kind: 'truncate', fraction: 0 }, afterOperations: 15 },
        duringOpenAfter: null,
      },
      { kind: 'appendDuringFlush', count: 1 },
    ],
  },
  {
    name: 'seed 324798364: an fsync failed (fsyncgate), kill -9, recovery fsynced pages marked clean; a power loss took batches below the recovery point',
    seed: 476305742,
    config: smallSegments,
    commands: [
      { kind: 'fault', operation: 'sync', code: 'EIO', skip: 0 },
      { kind: 'append', count: 1, bump: false, follower: false },
      { kind: 'flush' },
      { kind: 'crash', policy: 'kill', during: null, duringOpenAfter: null },
      { kind: 'append', count: 1, bump: false, follower: false },
    ],
  },
  {
    name: 'seed 309001509: recovery after a kill with an empty active segment (the rewrite of the tail must skip it)',
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'appendDuringFlush', count: 1 },
      { kind: 'roll' },
      { kind: 'crash', policy: 'kill', during: null, duringOpenAfter: null },
      { kind: 'flush' },
    ],
  },
  {
    name: 'seed 1315807107: a new partition directory vanished with its flushed batches (parent not synced)',
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'appendDuringFlush', count: 1 },
      { kind: 'appendDuringFlush', count: 1 },
    ],
  },
  {
    name: 'seed 579361694: DeleteRecords past unflushed batches, then a power loss: log start beyond its end',
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'append', count: 2, bump: false, follower: false },
      { kind: 'deleteRecords', fraction: 0.5 },
    ],
  },
  {
    name: 'seed 616842219: an index write failed in a roll, and the log went on appending',
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'append', count: 1, bump: false, follower: false },
      { kind: 'fault', operation: 'write', code: 'EIO', skip: 0 },
      { kind: 'roll' },
      { kind: 'append', count: 1, bump: false, follower: false },
    ],
  },
  {
    name: 'seed 195198769: a checkpoint write failed in a truncation, and retention went on',
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'fault', operation: 'write', code: 'EIO', skip: 2 },
      { kind: 'append', count: 4, bump: false, follower: false },
      { kind: 'append', count: 1, bump: false, follower: false },
      { kind: 'truncate', fraction: 0.8 },
      { kind: 'retention' },
    ],
  },
  {
    name: "seed 225650518: the checkpoint write of a flush failed (outside the log's queue), and appends went on",
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'append', count: 1, bump: false, follower: false },
      { kind: 'fault', operation: 'sync', code: 'EIO', skip: 1 },
      { kind: 'flush' },
      { kind: 'append', count: 1, bump: false, follower: false },
    ],
  },
  {
    name: 'seed 478797533: a failed log answered a flush from its in-memory durable offset',
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'fault', operation: 'write', code: 'EIO', skip: 1 },
      { kind: 'append', count: 1, bump: false, follower: false },
      { kind: 'flush' },
      { kind: 'flush' },
    ],
  },
  {
    name: 'seed 1400577389 (the simulation): code of a crashed process went on using the disk after the restart (each process now mounts its own view)',
    seed: 0,
    config: smallSegments,
    commands: [
      { kind: 'append', count: 1, bump: false, follower: false },
      { kind: 'roll' },
      { kind: 'append', count: 1, bump: false, follower: false },
      {
        kind: 'crash',
        policy: 'random',
        during: { step: { kind: 'appendDuringFlush', count: 1 }, afterOperations: 3 },
        duringOpenAfter: null,
      },
      { kind: 'append', count: 1, bump: false, follower: false },
    ],
  },
];

describe('PartitionLog over the simulated disk', () => {
  it('(a) recovers every flushed batch and only whole written batches after power loss at any point', async () => {
    await runProperty('sim-fs crash', false, Number(process.env.STORAGE_RUNS ?? 300));
  });

  it('(c) rejects an operation whose write or fsync fails, claims nothing more, and recovers as (a)', async () => {
    await runProperty('sim-fs faults', true, Number(process.env.STORAGE_RUNS ?? 300));
  });

  for (const regression of REGRESSIONS) {
    it(`regression: ${regression.name}`, async () => {
      await replay(regression.seed, regression.config, regression.commands);
    });
  }
});
