// Idempotent producers through the real partition log (over the simulated disk), fast-check properties
// (seed printed; STORAGE_SEED=<n> replays, STORAGE_RUNS scales):
// (a) any interleaving of sends, retries and early sends of producers' batches, some in flight at once,
//     leaves each batch in the log exactly once and in order; a retry answers the original offsets;
// (b) the state loaded at open (from the snapshot a clean close wrote, or by walking the log after a
//     crash) equals the state the log kept incrementally and the one a walk of the whole log finds,
//     through truncations, DeleteRecords, rolls, clean restarts and crashes;
// (c) after a truncation the state is the one the log had when it last ended there.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { type CrashPolicy, SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { type AppendResult, PartitionLog } from '../../src/storage/partition-log.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { leaderEpoch, offset } from '../../src/storage/types.ts';
import { fcParameters, record } from './helpers.ts';

const DIR = '/data/orders-0';
const RUNS = Number(process.env.STORAGE_RUNS ?? 60);

async function newDisk(seed: number): Promise<SimFileSystem> {
  const fs = new SimFileSystem({ random: new Prng(seed) });
  await fs.mkdir('/data');
  await fs.syncDir('/');
  return fs;
}

const open = (fs: SimFileSystem) =>
  PartitionLog.open({
    dir: DIR,
    fs: fs.mount(),
    config: { segmentBytesMax: 300, indexIntervalBytes: 100 },
    now: () => 0,
  });

function producerBatch(fields: {
  producerId: number;
  epoch: number;
  sequence: number;
  count: number;
}): Buffer {
  const records = Array.from({ length: fields.count }, (_, index) =>
    record(`p${fields.producerId}-e${fields.epoch}-s${fields.sequence + index}`),
  );
  return buildRecordBatch({
    records,
    producerId: fields.producerId,
    producerEpoch: fields.epoch,
    baseSequence: fields.sequence,
  });
}

async function allHeaders(
  log: PartitionLog,
): Promise<{ producerId: number; sequence: number; baseOffset: number }[]> {
  const found: { producerId: number; sequence: number; baseOffset: number }[] = [];
  let next: number = log.logStartOffset;
  while (next < log.logEndOffset) {
    const read = await log.read({
      startOffset: offset(next),
      maxBytes: 1 << 20,
      maxOffset: log.logEndOffset,
    });
    for (const { header } of batchesIn(read.bytes)) {
      found.push({
        producerId: header.producerId,
        sequence: header.baseSequence,
        baseOffset: header.baseOffset,
      });
    }
    next = read.nextOffset;
  }
  return found;
}

type Send =
  | { readonly kind: 'next'; readonly producer: number }
  | { readonly kind: 'retry'; readonly producer: number; readonly back: number }
  | { readonly kind: 'early'; readonly producer: number; readonly ahead: number }
  | { readonly kind: 'plain' };

const sendArbitrary: fc.Arbitrary<Send> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('next' as const), producer: fc.nat(2) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('retry' as const), producer: fc.nat(2), back: fc.nat(4) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('early' as const),
      producer: fc.nat(2),
      ahead: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'plain' as const }) },
);

/** What the log must answer to a send, decided in call order (the log's queue order). */
type Expected =
  | { readonly kind: 'appended'; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: 'duplicate'; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };

/** The producers' side: batch sizes per producer, and what the log holds of each. */
class ProducerModel {
  private readonly counts: number[][];
  readonly appended: { firstOffset: number; lastOffset: number }[][] = [[], [], []];
  logEnd = 0;

  constructor(counts: number[][]) {
    this.counts = counts;
  }

  private sequenceOf(producer: number, index: number): number {
    return this.counts[producer]!.slice(0, index).reduce((sum, count) => sum + count, 0);
  }

  /** The bytes of the send and what the log must answer. */
  decide(send: Send): { bytes: Buffer; expected: Expected } {
    if (send.kind === 'plain') {
      const bytes = buildRecordBatch({ records: [record('plain')] });
      return { bytes, expected: this.append(null, 1) };
    }
    const producer = send.producer;
    const done = this.appended[producer]!.length;
    let index = done;
    if (send.kind === 'retry' && done > 0) index = Math.max(0, done - 1 - send.back);
    if (send.kind === 'early' && done > 0) index = done + send.ahead;
    while (this.counts[producer]!.length <= index) this.counts[producer]!.push(1 + (index % 3));
    const count = this.counts[producer]![index]!;
    const bytes = producerBatch({
      producerId: producer,
      epoch: 0,
      sequence: this.sequenceOf(producer, index),
      count,
    });
    if (index < done) return { bytes, expected: { kind: 'duplicate', ...this.appended[producer]![index]! } };
    if (index > done) return { bytes, expected: { kind: 'OUT_OF_ORDER_SEQUENCE_NUMBER' } };
    return { bytes, expected: this.append(producer, count) };
  }

  private append(producer: number | null, count: number): Expected {
    const placed = { firstOffset: this.logEnd, lastOffset: this.logEnd + count - 1 };
    this.logEnd += count;
    if (producer !== null) this.appended[producer]!.push(placed);
    return { kind: 'appended', ...placed };
  }

  sequencesOf(producer: number): number[] {
    return this.appended[producer]!.map((_, index) => this.sequenceOf(producer, index));
  }
}

function outcome(settled: PromiseSettledResult<AppendResult>): Expected | string {
  if (settled.status === 'rejected') {
    const error: unknown = settled.reason;
    return isKafkaError(error) ? { kind: error.errorName as 'OUT_OF_ORDER_SEQUENCE_NUMBER' } : String(error);
  }
  const { firstOffset, lastOffset, duplicate } = settled.value;
  return { kind: duplicate ? 'duplicate' : 'appended', firstOffset, lastOffset };
}

describe('idempotent producers through the partition log', () => {
  it('(a) each batch once and in order, whatever the retries; retries answer the original offsets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(sendArbitrary, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
        fc.nat(),
        async (rounds, seed) => {
          const fs = await newDisk(seed);
          const log = await open(fs);
          const model = new ProducerModel([[], [], []]);
          for (const round of rounds) {
            // Every send of a round is in flight at once: the log checks them in call order.
            const decided = round.map((send) => model.decide(send));
            const settled = await Promise.allSettled(
              decided.map(({ bytes }) => log.appendAsLeader(bytes, leaderEpoch(1))),
            );
            expect(settled.map(outcome)).toEqual(decided.map(({ expected }) => expected));
          }
          const headers = await allHeaders(log);
          for (const producer of [0, 1, 2]) {
            const sequences = headers.filter((h) => h.producerId === producer).map((h) => h.sequence);
            expect(sequences).toEqual(model.sequencesOf(producer));
          }
          expect(log.logEndOffset).toBe(model.logEnd);
          await log.close();
        },
      ),
      fcParameters('producer-state (a) retries', RUNS),
    );
  });

  it('a snapshot from before a truncation is never used after a power loss, even at the same end offset', async () => {
    const fs = await newDisk(7);
    let log = await open(fs);
    await log.appendAsLeader(
      producerBatch({ producerId: 1, epoch: 0, sequence: 0, count: 2 }),
      leaderEpoch(0),
    );
    await log.close();
    log = await open(fs);
    expect(log.producerStateSnapshot().map(([id]) => id)).toEqual([1]);
    // A follower's truncation and other batches up to the same end offset, fsynced; then power is lost.
    await log.truncateTo(offset(0));
    await log.appendAsLeader(
      producerBatch({ producerId: 2, epoch: 0, sequence: 0, count: 2 }),
      leaderEpoch(1),
    );
    await log.flush();
    fs.crash('drop');
    log = await open(fs);
    expect(log.logEndOffset).toBe(2);
    expect(log.producerStateSnapshot().map(([id]) => id)).toEqual([2]);
    expect(await log.producerStateFromLog()).toEqual(log.producerStateSnapshot());
    await log.close();
  });

  it('DeleteRecords past the whole active segment, then a roll: the segment goes, with its batches in the state (STORAGE_SEED=390001664)', async () => {
    const fs = await newDisk(0);
    let log = await open(fs);
    const send = (epoch: number, sequence: number) =>
      log.appendAsLeader(producerBatch({ producerId: 0, epoch, sequence, count: 1 }), leaderEpoch(0));
    for (const epoch of [1, 2, 3]) await send(epoch, 0);
    expect(log.segmentCount).toBe(1);
    await log.deleteRecordsBefore(offset(3));
    await send(3, 1); // rolls (segment.bytes 300): the segment of offsets 0..2 is wholly below the log start
    expect(log.segmentCount).toBe(1);
    const kept = log.producerStateSnapshot();
    expect(kept).toEqual([
      [
        0,
        { producerEpoch: 3, batches: [{ firstSequence: 1, lastSequence: 1, firstOffset: 3, lastOffset: 3 }] },
      ],
    ]);
    expect(await log.producerStateFromLog()).toEqual(kept);
    await log.close();
    log = await open(fs);
    expect(log.producerStateSnapshot()).toEqual(kept);
    await log.close();
  });

  it('a damaged batch header does not keep the log from opening: the walk skips the rest of its segment', async () => {
    const fs = await newDisk(11);
    let log = await open(fs);
    const first = producerBatch({ producerId: 1, epoch: 0, sequence: 0, count: 1 });
    const firstBytes = first.length;
    await log.appendAsLeader(first, leaderEpoch(0));
    await log.appendAsLeader(
      producerBatch({ producerId: 2, epoch: 0, sequence: 0, count: 1 }),
      leaderEpoch(0),
    );
    await log.roll();
    await log.appendAsLeader(
      producerBatch({ producerId: 3, epoch: 0, sequence: 0, count: 1 }),
      leaderEpoch(0),
    );
    await log.close();
    // No snapshot (as after a crash), and bit rot in the second batch's base offset (outside the CRC).
    await fs.unlink(`${DIR}/producer-state.snapshot`);
    fs.flipByte(`${DIR}/00000000000000000000.log`, firstBytes + 7);
    log = await open(fs);
    expect(log.producerStateSnapshot().map(([id]) => id)).toEqual([1, 3]);
    await log.close();
  });

  type Operation =
    | { readonly kind: 'send'; readonly producer: number; readonly count: number; readonly bump: boolean }
    | { readonly kind: 'retry'; readonly producer: number }
    | { readonly kind: 'plain' }
    | { readonly kind: 'truncate'; readonly fraction: number }
    | { readonly kind: 'delete-records'; readonly fraction: number }
    | { readonly kind: 'roll' }
    | { readonly kind: 'reopen' }
    | { readonly kind: 'crash'; readonly policy: CrashPolicy };

  const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('send' as const),
        producer: fc.nat(3),
        count: fc.integer({ min: 1, max: 4 }),
        bump: fc.nat(4).map((draw) => draw === 0),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('retry' as const), producer: fc.nat(3) }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'plain' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('truncate' as const),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('delete-records' as const),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'reopen' as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('crash' as const),
        policy: fc.constantFrom<CrashPolicy>('random', 'drop', 'keep', 'tear-last'),
      }),
    },
  );

  it('(b) rebuilt at open = kept incrementally; (c) truncated = the state when the log ended there', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(operationArbitrary, { minLength: 1, maxLength: 40 }),
        fc.nat(),
        async (operations, seed) => {
          const fs = await newDisk(seed);
          let log = await open(fs);
          // The producers' view: epoch and next sequence, from what the log answered.
          const producers = new Map<number, { epoch: number; sequence: number; last: Buffer | null }>();
          // The state each log end offset had, while the log's history up to it is unchanged.
          const stateAtEnd = new Map<number, string>();
          const remember = () =>
            stateAtEnd.set(log.logEndOffset, JSON.stringify(log.producerStateSnapshot()));
          remember();
          for (const operation of operations) {
            switch (operation.kind) {
              case 'send': {
                const known = producers.get(operation.producer) ?? { epoch: 0, sequence: 0, last: null };
                const epoch = operation.bump ? known.epoch + 1 : known.epoch;
                const sequence = operation.bump ? 0 : known.sequence;
                const bytes = producerBatch({
                  producerId: operation.producer,
                  epoch,
                  sequence,
                  count: operation.count,
                });
                const sent = Buffer.from(bytes);
                try {
                  const result = await log.appendAsLeader(bytes, leaderEpoch(0));
                  expect(result.duplicate).toBe(false);
                  producers.set(operation.producer, {
                    epoch,
                    sequence: sequence + operation.count,
                    last: sent,
                  });
                } catch (error) {
                  // A truncation took batches the producer thought written: it starts a new epoch.
                  if (!isKafkaError(error) || error.errorName !== 'OUT_OF_ORDER_SEQUENCE_NUMBER') throw error;
                  producers.set(operation.producer, { epoch: epoch + 1, sequence: 0, last: null });
                }
                break;
              }
              case 'retry': {
                const last = producers.get(operation.producer)?.last;
                if (last === undefined || last === null) break;
                const before = log.logEndOffset;
                const result = await log
                  .appendAsLeader(Buffer.from(last), leaderEpoch(0))
                  .catch((error: unknown) => error);
                if (!isKafkaError(result)) {
                  const appendResult = result as AppendResult;
                  // Still in the log: a duplicate. Truncated away: appended again (the producer's state
                  // went with it).
                  if (appendResult.duplicate) expect(log.logEndOffset).toBe(before);
                }
                break;
              }
              case 'plain':
                await log.appendAsLeader(buildRecordBatch({ records: [record('plain')] }), leaderEpoch(0));
                break;
              case 'truncate': {
                const target = offset(
                  log.logStartOffset +
                    Math.floor(operation.fraction * (log.logEndOffset - log.logStartOffset)),
                );
                // Refused when the batch holding the target starts below the log start.
                await log.truncateTo(target).catch((error: unknown) => {
                  if (!isKafkaError(error) || error.errorName !== 'OFFSET_OUT_OF_RANGE') throw error;
                });
                // (c): the state of the prefix, as it was when the log ended there.
                const expected = stateAtEnd.get(log.logEndOffset);
                if (expected !== undefined)
                  expect(JSON.stringify(log.producerStateSnapshot())).toBe(expected);
                for (const end of stateAtEnd.keys()) if (end > log.logEndOffset) stateAtEnd.delete(end);
                break;
              }
              case 'delete-records': {
                const segments = log.segmentCount;
                const target = offset(Math.floor(operation.fraction * log.logEndOffset));
                await log.deleteRecordsBefore(target);
                // Segments went: the states recorded before no longer describe this log's batches.
                if (log.segmentCount !== segments) stateAtEnd.clear();
                break;
              }
              case 'roll':
                await log.roll();
                break;
              case 'reopen': {
                // A clean close: the next open loads the snapshot it wrote, then walks what follows.
                const kept = log.producerStateSnapshot();
                await log.close();
                log = await open(fs);
                // (b)
                expect(log.producerStateSnapshot()).toEqual(kept);
                expect(await log.producerStateFromLog()).toEqual(kept);
                break;
              }
              case 'crash': {
                // Power loss or kill -9: no snapshot of this run (the last open removed the one it read),
                // whatever truncations and appends followed it; the log may end earlier.
                fs.crash(operation.policy);
                log = await open(fs);
                expect(log.producerStateSnapshot()).toEqual(await log.producerStateFromLog());
                for (const end of stateAtEnd.keys()) if (end > log.logEndOffset) stateAtEnd.delete(end);
                const expected = stateAtEnd.get(log.logEndOffset);
                if (expected !== undefined)
                  expect(JSON.stringify(log.producerStateSnapshot())).toBe(expected);
                break;
              }
            }
            remember();
          }
          const kept = log.producerStateSnapshot();
          expect(await log.producerStateFromLog()).toEqual(kept);
          await log.close();
          const reopened = await open(fs);
          expect(reopened.producerStateSnapshot()).toEqual(kept);
          await reopened.close();
        },
      ),
      fcParameters('producer-state (b, c) rebuild', RUNS),
    );
  });
});
