// The native SDK's producer (kraftling/client) in the same closed loop as the other client paths: each
// of `inFlight` slots sends `recordsPerRequest` records with one `sendMany` and waits for all of them
// (one latency sample per group). The producer batches them per partition (linger.ms 5, batch.size
// 256 KiB, batches that queue behind those in flight sent together up to batch.size, 5 in flight per
// partition); acks=all is idempotent, acks=1 not.
import { Producer } from '../../src/client/index.ts';
import type { BenchCluster } from './local-cluster.ts';
import {
  type Acks,
  type Counters,
  closedLoop,
  type LoadShape,
  type ProduceOutcome,
  recordValue,
} from './workload.ts';

export async function produceSdk(options: {
  readonly cluster: BenchCluster;
  readonly topic: string;
  readonly recordBytes: number;
  readonly acks: Acks;
  readonly shape: LoadShape;
  readonly counters: Counters;
}): Promise<ProduceOutcome> {
  const { shape } = options;
  const producer = new Producer({
    bootstrap: options.cluster.nodes.map((node) => node.clientUrl),
    acks: options.acks === 'all' ? 'all' : 1,
    idempotence: options.acks === 'all',
    lingerMs: 5,
    batchSize: 256 * 1024,
  });
  const value = recordValue(options.recordBytes);
  // Records are never changed by the producer: every group sends the same ones.
  const group = Array.from({ length: shape.recordsPerRequest }, () => ({ topic: options.topic, value }));
  try {
    const measured = await closedLoop({
      inFlight: shape.inFlight,
      warmupSeconds: shape.warmupSeconds,
      seconds: shape.seconds,
      counters: options.counters,
      send: async () => {
        try {
          await producer.sendMany(group);
          return { acked: group.length, failed: 0 };
        } catch {
          // sendMany does not say how many of the group were written: none is counted.
          return { acked: 0, failed: group.length };
        }
      },
    });
    return { ...measured, latencyUnit: 'request', recordsPerRequest: shape.recordsPerRequest };
  } finally {
    await producer.close();
  }
}
