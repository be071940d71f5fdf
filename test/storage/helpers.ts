// Shared by the storage tests: the fast-check seed (printed, replayable with STORAGE_SEED=<n>), temp
// directories, and small batch builders.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Parameters } from 'fast-check';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import type { ProducerRecord } from '../../src/storage/record-batch/record.ts';

const envSeed = process.env.STORAGE_SEED;

/** fast-check parameters with a known seed: STORAGE_SEED replays a run; otherwise a fresh seed, printed. */
export function fcParameters<T>(testName: string, numRuns: number): Parameters<T> {
  const seed = envSeed === undefined ? (Math.random() * 0x7fff_ffff) | 0 : Number(envSeed);
  console.log(`[storage] ${testName}: seed ${seed} (replay: STORAGE_SEED=${seed})`);
  return { seed, numRuns };
}

export async function temporaryDirectory(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kraftling-storage-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function record(value: string, timestamp = 1_000, key: string | null = null): ProducerRecord {
  return {
    timestamp,
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(value),
    headers: [],
  };
}

/** A batch of `count` small records with timestamps from `timestamp`. */
export function batchOf(count: number, options: { timestamp?: number; tag?: string } = {}): Buffer {
  const timestamp = options.timestamp ?? 1_000;
  const records = Array.from({ length: count }, (_, index) =>
    record(`${options.tag ?? 'v'}-${index}`, timestamp + index),
  );
  return buildRecordBatch({ records });
}
