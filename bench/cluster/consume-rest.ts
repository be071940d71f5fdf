// Reading a full log back over REST v2's group-less read (GET /topics/{t}/partitions/{p}/records, as
// Redpanda's proxy): one reader per partition, all at once, each asking for up to 4 MiB from the next
// offset until it has the partition's end offset, from the nodes in turn.
import { Agent, request } from 'undici';
import type { BenchCluster } from './local-cluster.ts';
import type { ConsumeOutcome } from './kafka-clients.ts';
import type { Counters } from './workload.ts';

const MAX_BYTES = 4 * 1024 * 1024;

export async function endOffsets(
  cluster: BenchCluster,
  topic: string,
  partitions: number,
): Promise<number[]> {
  return Promise.all(
    Array.from({ length: partitions }, async (_, partition) => {
      const answer = await cluster.http(
        'GET',
        cluster.nodes[0]!.id,
        `/topics/${topic}/partitions/${partition}/offsets`,
      );
      if (answer.status !== 200) throw new Error(`offsets of ${topic}-${partition}: ${answer.status}`);
      return (answer.body as { end_offset: number }).end_offset;
    }),
  );
}

export async function consumeRestV2(options: {
  readonly cluster: BenchCluster;
  readonly topic: string;
  readonly partitions: number;
  readonly counters: Counters;
}): Promise<ConsumeOutcome> {
  const { cluster, topic, counters } = options;
  const ends = await endOffsets(cluster, topic, options.partitions);
  const agent = new Agent({ connections: options.partitions, keepAliveTimeout: 30_000 });
  const started = performance.now();
  let first: number | null = null;
  let valueBytes = 0;
  try {
    await Promise.all(
      ends.map(async (end, partition) => {
        const node = cluster.nodes[partition % cluster.nodes.length]!;
        for (let offset = 0; offset < end; ) {
          const response = await request(
            `${node.clientUrl}/topics/${topic}/partitions/${partition}/records?offset=${offset}&timeout=0&max_bytes=${MAX_BYTES}`,
            {
              dispatcher: agent,
              headers: { accept: 'application/vnd.kafka.binary.v2+json' },
              bodyTimeout: 60_000,
            },
          );
          if (response.statusCode !== 200) {
            throw new Error(
              `read ${topic}-${partition}@${offset}: ${response.statusCode} ${await response.body.text()}`,
            );
          }
          const records = (await response.body.json()) as { offset: number; value: string | null }[];
          if (records.length === 0)
            throw new Error(`read ${topic}-${partition}@${offset}: no records before ${end}`);
          first ??= performance.now();
          counters.acked += records.length;
          // base64: 4 characters for 3 bytes, less the padding.
          for (const record of records)
            valueBytes +=
              record.value === null
                ? 0
                : (record.value.length * 3) / 4 - (record.value.match(/=+$/)?.[0].length ?? 0);
          offset = records.at(-1)!.offset + 1;
        }
      }),
    );
    return {
      records: counters.acked,
      valueBytes,
      seconds: (performance.now() - started) / 1000,
      firstRecordAfterSeconds: first === null ? null : (first - started) / 1000,
    };
  } finally {
    await agent.close();
  }
}
