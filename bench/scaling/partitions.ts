// Scaling with the partition count: for each count, a new topic (RF 3), the time until every node sees
// every partition led (and fully in sync), the SDK producer's closed loop (produce-sdk.ts: 100 B records,
// acks=all, idempotent, sticky partitioner) on it, how its records spread over the partitions, and a read
// of the whole topic from the beginning by an SDK consumer that assigns itself every partition (no group).
import type { Admin } from '../../src/client/index.ts';
import { Consumer } from '../../src/client/index.ts';
import type { LatencySummary } from '../cluster/latency.ts';
import type { BenchCluster } from '../cluster/local-cluster.ts';
import { produceSdk } from '../cluster/produce-sdk.ts';
import type { Counters, LoadShape, Progress } from '../cluster/workload.ts';
import { type Readiness, waitUsable } from './readiness.ts';

const RECORD_BYTES = 100;

/** How the produced records fell on the partitions (end offsets: each topic is new). */
export interface Spread {
  readonly records: number;
  /** Partitions that got at least one record. */
  readonly written: number;
  readonly minPerPartition: number;
  readonly maxPerPartition: number;
}

export interface PartitionsResult {
  readonly partitions: number;
  /** From the create call to its answer. */
  readonly createAnsweredMs: number;
  readonly ready: Readiness;
  readonly produce: {
    readonly recordsPerSecond: number;
    readonly megabytesPerSecond: number;
    readonly failed: number;
    /** One sample per group of records (all sends of a group acknowledged). */
    readonly latency: LatencySummary;
  };
  readonly spread: Spread;
  readonly consume: {
    readonly records: number;
    readonly seconds: number;
    readonly recordsPerSecond: number;
    readonly firstRecordAfterSeconds: number | null;
  };
}

async function spreadOf(admin: Admin, topic: string, partitions: number): Promise<Spread> {
  const ends = await admin.listOffsets(
    Array.from({ length: partitions }, (_, partition) => ({ topic, partition, spec: 'latest' as const })),
  );
  const counts = ends.map((end) => end.offset);
  return {
    records: counts.reduce((sum, count) => sum + count, 0),
    // Each partition's first record is waitUsable's: not the producer's.
    written: counts.filter((count) => count > 1).length,
    minPerPartition: Math.min(...counts) - 1,
    maxPerPartition: Math.max(...counts) - 1,
  };
}

/** Reads `records` records of every partition from the beginning; the rate counts from assign() to the last. */
async function consumeAssigned(options: {
  readonly cluster: BenchCluster;
  readonly topic: string;
  readonly partitions: number;
  readonly records: number;
  readonly timeoutSeconds: number;
  readonly counters: Counters;
}): Promise<PartitionsResult['consume']> {
  const consumer = new Consumer({
    bootstrap: options.cluster.nodes.map((node) => node.clientUrl),
    autoOffsetReset: 'earliest',
    // As consume-sdk.ts: a throughput consumer's settings.
    maxPollRecords: 10_000,
    maxPartitionFetchBytes: 4 * 1024 * 1024,
  });
  const started = performance.now();
  const deadline = started + options.timeoutSeconds * 1000;
  let first: number | null = null;
  let records = 0;
  try {
    consumer.assign(
      Array.from({ length: options.partitions }, (_, partition) => ({ topic: options.topic, partition })),
    );
    while (records < options.records && performance.now() < deadline) {
      const polled = await consumer.poll(1_000);
      if (polled.length > 0) first ??= performance.now();
      records += polled.length;
      options.counters.acked += polled.length;
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      records,
      seconds,
      recordsPerSecond: records / seconds,
      firstRecordAfterSeconds: first === null ? null : (first - started) / 1000,
    };
  } finally {
    await consumer.close();
  }
}

export async function measurePartitions(options: {
  readonly cluster: BenchCluster;
  readonly admin: Admin;
  readonly progress: Progress;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly shape: LoadShape;
  readonly topic: string;
}): Promise<PartitionsResult> {
  const { cluster, admin, progress, partitions, topic } = options;
  const label = `${partitions} partition(s):`;
  progress.start(`${label} create`, null);
  const started = performance.now();
  await admin.createTopics([
    { topic, numPartitions: partitions, replicationFactor: options.replicationFactor },
  ]);
  const createAnsweredMs = performance.now() - started;
  const ready = await waitUsable({
    cluster,
    topics: [topic],
    partitionsPerTopic: partitions,
    replicationFactor: options.replicationFactor,
    startedMs: started,
    timeoutMs: 120_000,
  });
  progress.done(
    `answered in ${createAnsweredMs.toFixed(0)} ms, led on every node after ${ready.leadersMs.toFixed(0)} ms, ` +
      `fully in sync after ${ready.fullIsrMs.toFixed(0)} ms, written to every partition after ${ready.writableMs.toFixed(0)} ms`,
  );

  const produced: Counters = { acked: 0, failed: 0 };
  progress.start(`${label} produce`, produced);
  const outcome = await produceSdk({
    cluster,
    topic,
    recordBytes: RECORD_BYTES,
    acks: 'all',
    shape: options.shape,
    counters: produced,
  });
  const produce = {
    recordsPerSecond: outcome.acked / outcome.seconds,
    megabytesPerSecond: (outcome.acked * RECORD_BYTES) / outcome.seconds / 1e6,
    failed: outcome.failed,
    latency: outcome.latency.summary(),
  };
  progress.done(
    `${Math.round(produce.recordsPerSecond).toLocaleString('en-US')} records/s, ` +
      `p50 ${produce.latency.p50Ms.toFixed(1)} ms, p99 ${produce.latency.p99Ms.toFixed(1)} ms per group`,
  );

  const spread = await spreadOf(admin, topic, partitions);
  const consumed: Counters = { acked: 0, failed: 0 };
  progress.start(`${label} consume ${spread.records.toLocaleString('en-US')} records`, consumed);
  const consume = await consumeAssigned({
    cluster,
    topic,
    partitions,
    records: spread.records,
    timeoutSeconds: 120,
    counters: consumed,
  });
  progress.done(`${Math.round(consume.recordsPerSecond).toLocaleString('en-US')} records/s`);
  if (consume.records < spread.records)
    progress.note(`  read only ${consume.records} of ${spread.records} records within 120 s`);

  await admin.deleteTopics([topic]);
  return { partitions, createAnsweredMs, ready, produce, spread, consume };
}
