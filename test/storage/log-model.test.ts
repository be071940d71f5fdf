// Model test: random sequences of log operations against a naive in-memory log (an array of batches).
// Offsets, the log start offset, leader epochs and everything read back must agree after every step.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';
import { fcParameters, record, temporaryDirectory } from './helpers.ts';

interface ModelBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  readonly tag: string;
}

interface Model {
  batches: ModelBatch[];
  startOffset: number;
  epoch: number;
  nextTag: number;
}

type Command =
  | { kind: 'leader'; count: number; bump: boolean }
  | { kind: 'follower'; count: number; bump: boolean }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'roll' }
  | { kind: 'flush' }
  | { kind: 'reopen' }
  | { kind: 'deleteRecords'; fraction: number }
  | { kind: 'retention' };

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('leader' as const),
      count: fc.integer({ min: 1, max: 5 }),
      bump: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('follower' as const),
      count: fc.integer({ min: 1, max: 5 }),
      bump: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deleteRecords' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
);

const config = { segmentBytesMax: 700, indexIntervalBytes: 120, retentionBytes: 1500, retentionMs: -1 };

function modelEnd(model: Model): number {
  return model.batches.at(-1)?.lastOffset !== undefined
    ? model.batches.at(-1)!.lastOffset + 1
    : model.startOffset;
}

function batchFor(
  model: Model,
  count: number,
  baseOffset: number,
  epoch: number,
): { bytes: Buffer; batch: ModelBatch } {
  const tag = `t${model.nextTag++}`;
  const records = Array.from({ length: count }, (_, index) =>
    record(`${tag}-${index}`, 1000 + model.nextTag),
  );
  const bytes = buildRecordBatch({ records, baseOffset, partitionLeaderEpoch: epoch });
  return { bytes, batch: { baseOffset, lastOffset: baseOffset + count - 1, epoch, tag } };
}

async function apply(
  log: PartitionLog,
  model: Model,
  command: Command,
  reopen: () => Promise<PartitionLog>,
): Promise<PartitionLog> {
  const end = modelEnd(model);
  switch (command.kind) {
    case 'leader':
    case 'follower': {
      model.epoch += command.bump ? 1 : 0;
      const { bytes, batch } = batchFor(model, command.count, end, model.epoch);
      if (command.kind === 'leader') await log.appendAsLeader(bytes, leaderEpoch(model.epoch));
      else await log.appendAsFollower(bytes);
      model.batches.push(batch);
      return log;
    }
    case 'truncate': {
      const target = model.startOffset + Math.floor(command.fraction * (end - model.startOffset));
      const holding = model.batches.find((batch) => batch.lastOffset >= target);
      if (holding !== undefined && holding.baseOffset < model.startOffset) {
        // The cut would fall below the log start offset (target inside its batch): refused.
        await expect(log.truncateTo(offset(target))).rejects.toThrow(/below the log start/);
        return log;
      }
      await log.truncateTo(offset(target));
      model.batches = model.batches.filter((batch) => batch.lastOffset < target);
      return log;
    }
    case 'roll':
      await log.roll();
      return log;
    case 'flush':
      await log.flush();
      expect(log.flushedOffset).toBe(end);
      return log;
    case 'reopen':
      await log.close();
      return reopen();
    case 'deleteRecords': {
      const target = model.startOffset + Math.floor(command.fraction * (end - model.startOffset));
      await log.deleteRecordsBefore(offset(target));
      model.startOffset = Math.max(model.startOffset, target);
      return log;
    }
    case 'retention': {
      await log.applyRetention(offset(end));
      const startOffset = log.logStartOffset;
      expect(startOffset).toBeGreaterThanOrEqual(model.startOffset);
      const unchanged = startOffset === model.startOffset;
      expect(
        unchanged || startOffset === end || model.batches.some((batch) => batch.baseOffset === startOffset),
      ).toBe(true);
      model.startOffset = startOffset;
      return log;
    }
  }
}

function expectedEpochs(model: Model): { epoch: number; startOffset: number }[] {
  const entries: { epoch: number; startOffset: number }[] = [];
  for (const batch of model.batches) {
    if (entries.length === 0 || batch.epoch > entries.at(-1)!.epoch)
      entries.push({ epoch: batch.epoch, startOffset: batch.baseOffset });
  }
  const inForce = entries.filter((entry) => entry.startOffset <= model.startOffset).at(-1);
  const later = entries.filter((entry) => entry.startOffset > model.startOffset);
  const kept =
    inForce === undefined ? later : [{ epoch: inForce.epoch, startOffset: model.startOffset }, ...later];
  return kept.filter((entry) => entry.startOffset < modelEnd(model));
}

async function checkAgainstModel(log: PartitionLog, model: Model): Promise<void> {
  const end = modelEnd(model);
  expect(log.logEndOffset).toBe(end);
  expect(log.logStartOffset).toBe(model.startOffset);
  expect(log.leaderEpochEntries).toEqual(expectedEpochs(model));
  const served: ModelBatch[] = [];
  let next = model.startOffset;
  while (next < end) {
    const read = await log.read({ startOffset: offset(next), maxBytes: 400, maxOffset: offset(end) });
    for (const { header } of batchesIn(read.bytes)) {
      const tag = decodeRecords(header)[0]!.value!.toString().split('-')[0]!;
      served.push({
        baseOffset: header.baseOffset,
        lastOffset: header.lastOffset,
        epoch: header.partitionLeaderEpoch,
        tag,
      });
    }
    next = read.nextOffset;
  }
  const visible = model.batches.filter((batch) => batch.lastOffset >= model.startOffset);
  expect(served).toEqual(visible);
}

describe('PartitionLog against a model', () => {
  it('agrees with an array of batches under random operations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { minLength: 1, maxLength: 30 }), async (commands) => {
        const { dir, remove } = await temporaryDirectory();
        const reopen = () => PartitionLog.open({ dir, config });
        let log = await reopen();
        const model: Model = { batches: [], startOffset: 0, epoch: 0, nextTag: 0 };
        try {
          for (const command of commands) {
            log = await apply(log, model, command, reopen);
            await checkAgainstModel(log, model);
          }
          await log.close();
        } finally {
          await remove();
        }
      }),
      fcParameters('log model', Number(process.env.STORAGE_RUNS ?? 40)),
    );
  });
});
