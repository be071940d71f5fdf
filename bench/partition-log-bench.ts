// Partition log throughput on this machine's disk: appends of ~16 KiB batches (100 records of ~150 B)
// with a flush (fsync, group commit) every N appends, then concurrent appenders that each wait for
// durability of their own batch (acks=all style, sharing fsyncs), then sequential reads.
//
//   node_modules/.bin/node bench/partition-log-bench.ts [--batches 4000] [--flush-every 1,10,100]
//     [--appenders 64] [--dir <path under a real disk>]
//
// Not a test: it prints figures and asserts nothing about them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PartitionLog } from '../src/storage/partition-log.ts';
import { buildRecordBatch } from '../src/storage/record-batch/builder.ts';
import { leaderEpoch, offset } from '../src/storage/types.ts';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '4000' },
    'flush-every': { type: 'string', default: '1,10,100' },
    appenders: { type: 'string', default: '64' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const batchCount = Number(values.batches);
const epoch = leaderEpoch(1);

function batch(sequence: number): Buffer {
  const value = Buffer.alloc(150, sequence & 0xff);
  const records = Array.from({ length: 100 }, (_, index) => ({
    timestamp: 1_700_000_000_000 + sequence,
    key: Buffer.from(`key-${index}`),
    value,
    headers: [],
  }));
  return buildRecordBatch({ records });
}

const template = batch(0);
const freshBatch = () => Buffer.from(template); // appendAsLeader stamps in place: one copy per append

function report(label: string, startedMs: number, batches: number, bytes: number): void {
  const seconds = (performance.now() - startedMs) / 1000;
  const megabytes = bytes / 1e6;
  console.log(
    `${label.padEnd(44)} ${(batches / seconds).toFixed(0).padStart(8)} batches/s ${(megabytes / seconds).toFixed(1).padStart(8)} MB/s`,
  );
}

async function withLog<T>(body: (log: PartitionLog) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(values.dir, 'partition-log-bench-'));
  const log = await PartitionLog.open({ dir, config: { segmentBytesMax: 256 * 1024 * 1024 } });
  try {
    return await body(log);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function sequential(flushEvery: number): Promise<void> {
  await withLog(async (log) => {
    const startedMs = performance.now();
    for (let index = 1; index <= batchCount; index++) {
      await log.appendAsLeader(freshBatch(), epoch);
      if (index % flushEvery === 0) await log.flush();
    }
    await log.flush();
    report(`append, flush every ${flushEvery}`, startedMs, batchCount, batchCount * template.length);
  });
}

async function concurrent(appenders: number): Promise<void> {
  await withLog(async (log) => {
    let remaining = batchCount;
    const startedMs = performance.now();
    const appender = async () => {
      while (remaining-- > 0) {
        const result = await log.appendAsLeader(freshBatch(), epoch);
        await log.waitDurable(offset(result.lastOffset + 1));
      }
    };
    await Promise.all(Array.from({ length: appenders }, appender));
    report(
      `${appenders} appenders, each awaits its fsync`,
      startedMs,
      batchCount,
      batchCount * template.length,
    );
    await reads(log);
  });
}

async function reads(log: PartitionLog): Promise<void> {
  const startedMs = performance.now();
  let next = log.logStartOffset;
  let bytes = 0;
  let batches = 0;
  while (next < log.logEndOffset) {
    const read = await log.read({ startOffset: next, maxBytes: 1024 * 1024, maxOffset: log.logEndOffset });
    bytes += read.bytes.length;
    batches += Math.round(read.bytes.length / template.length);
    next = read.nextOffset;
  }
  report('sequential reads of 1 MiB (CRC-checked)', startedMs, batches, bytes);
}

console.log(
  `batch: ${template.length} bytes (100 records of 150 B), ${batchCount} batches, dir ${values.dir}`,
);
for (const every of values['flush-every'].split(',').map(Number)) await sequential(every);
await concurrent(Number(values.appenders));
