// Reading a full log back with the SDK consumer (kraftling/client): a group member assigned every
// partition, from the beginning, until it has `records` records; max.poll.records large, as a throughput
// consumer sets it.
import { Consumer } from '../../src/client/index.ts';
import type { ConsumeOutcome } from './kafka-clients.ts';
import type { BenchCluster } from './local-cluster.ts';
import type { Counters } from './workload.ts';

export async function consumeSdk(options: {
  readonly cluster: BenchCluster;
  readonly topic: string;
  readonly records: number;
  readonly timeoutSeconds: number;
  readonly counters: Counters;
}): Promise<ConsumeOutcome> {
  const { cluster, topic, counters } = options;
  const consumer = new Consumer({
    bootstrap: cluster.nodes.map((node) => node.clientUrl),
    groupId: `bench-sdk-${Date.now()}`,
    autoOffsetReset: 'earliest',
    enableAutoCommit: false,
    maxPollRecords: 10_000,
    maxPartitionFetchBytes: 4 * 1024 * 1024,
  });
  const started = performance.now();
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let first: number | null = null;
  let valueBytes = 0;
  try {
    await consumer.subscribe([topic]);
    while (counters.acked < options.records && Date.now() < deadline) {
      const records = await consumer.poll(1_000);
      if (records.length > 0) first ??= performance.now();
      counters.acked += records.length;
      for (const record of records) valueBytes += record.value?.length ?? 0;
    }
    return {
      records: counters.acked,
      valueBytes,
      seconds: (performance.now() - started) / 1000,
      firstRecordAfterSeconds: first === null ? null : (first - started) / 1000,
    };
  } finally {
    await consumer.close();
  }
}

/**
 * The first group of a cluster creates __consumer_offsets (and its coordinators load): done once before
 * the group readers, so that no reader's time includes it.
 */
export async function warmGroupCoordinator(cluster: BenchCluster, topic: string): Promise<void> {
  const consumer = new Consumer({
    bootstrap: cluster.nodes.map((node) => node.clientUrl),
    groupId: 'bench-warm-up',
    enableAutoCommit: false,
  });
  try {
    consumer.assign([{ topic, partition: 0 }]);
    await consumer.commit([{ topic, partition: 0, offset: 0 }]);
  } finally {
    await consumer.close();
  }
}
