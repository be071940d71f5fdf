// Produce and read throughput of a real three-node cluster (separate processes, loopback, real fsync)
// through the REST API, as a client would use it: acks=all (the REST default), replication factor 3,
// min.insync.replicas 2. Not a test: it prints numbers.
//
//   npm run bench:produce -- [--seconds 10] [--clients 16] [--records-per-request 100] [--value-bytes 100]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { NemesisCluster, waitUntil } from '../chaos/nemesis/cluster.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '16' },
    'records-per-request': { type: 'string', default: '100' },
    'value-bytes': { type: 'string', default: '100' },
    partitions: { type: 'string', default: '6' },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const PER_REQUEST = Number(values['records-per-request']);
const VALUE_BYTES = Number(values['value-bytes']);
const PARTITIONS = Number(values.partitions);
const TOPIC = 'bench';

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kraftling-bench-'));
  const cluster = await NemesisCluster.create(root, '3', { 'log.level': 'warn' });
  const agent = new Agent({ connections: CLIENTS, keepAliveTimeout: 10_000 });
  try {
    for (const id of cluster.ids()) cluster.start(id);
    if (!(await waitUntil(() => cluster.healthy([]), 30_000))) throw new Error('the cluster did not start');
    const created = await cluster.http(1, 'POST', cluster.topicsPath(), {
      body: { topic_name: TOPIC, partitions_count: PARTITIONS, replication_factor: 3 },
      timeoutMs: 10_000,
    });
    if (created.status !== 201)
      throw new Error(`create topic: ${created.status} ${JSON.stringify(created.body)}`);
    if (!(await waitUntil(() => cluster.healthy([{ name: TOPIC, partitions: PARTITIONS }]), 30_000)))
      throw new Error('the topic is not ready');
    const recordsPath = `${cluster.topicsPath()}/${TOPIC}/records`;
    const post = async (node: number, body: string) => {
      const response = await request(cluster.url(node, recordsPath), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        dispatcher: agent,
      });
      return { status: response.statusCode, text: await response.body.text() };
    };
    const value = Buffer.alloc(VALUE_BYTES, 'x').toString('base64');
    const record = (partition: number) =>
      JSON.stringify({ partition_id: partition, value: { type: 'BINARY', data: value } });

    // 1. One record at a time, acks=all: the latency of a commit on three replicas.
    const single: number[] = [];
    for (let i = 0; i < 300; i++) {
      const started = performance.now();
      const answer = await post((i % 3) + 1, record(i % PARTITIONS));
      if (answer.status !== 200) throw new Error(`produce: ${answer.status} ${answer.text}`);
      single.push(performance.now() - started);
    }
    single.sort((a, b) => a - b);

    // 2. Many clients, many records per request (streaming mode: one report per record).
    const deadline = performance.now() + SECONDS * 1000;
    const latencies: number[] = [];
    let acked = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let round = 0; performance.now() < deadline; round++) {
          const partition = (client + round) % PARTITIONS;
          const body = Array.from({ length: PER_REQUEST }, () => record(partition)).join('\n');
          const started = performance.now();
          const answer = await post((client % 3) + 1, body);
          latencies.push(performance.now() - started);
          for (const line of answer.text.split('\n')) {
            if (line.trim() === '') continue;
            if ((JSON.parse(line) as { error_code: number }).error_code === 200) acked++;
            else failed++;
          }
        }
      }),
    );
    latencies.sort((a, b) => a - b);

    // 3. Read everything back through the v2 group-less read, partition by partition.
    const readStarted = performance.now();
    let read = 0;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      for (let offset = 0; ; ) {
        const response = await request(
          cluster.url(
            (partition % 3) + 1,
            `/topics/${TOPIC}/partitions/${partition}/records?offset=${offset}&timeout=0&max_bytes=4194304`,
          ),
          { headers: { accept: 'application/vnd.kafka.binary.v2+json' }, dispatcher: agent },
        );
        const records = (await response.body.json()) as Array<{ offset: number }>;
        if (records.length === 0) break;
        read += records.length;
        offset = records.at(-1)!.offset + 1;
      }
    }
    const readSeconds = (performance.now() - readStarted) / 1000;

    const payloadMb = (acked * VALUE_BYTES) / 1e6;
    console.log(
      `kraftling produce bench: 3 nodes (processes), RF 3, min.insync.replicas 2, acks=all, ${PARTITIONS} partitions`,
    );
    console.log(
      `single record, sequential: p50 ${percentile(single, 50).toFixed(1)} ms, p99 ${percentile(single, 99).toFixed(1)} ms`,
    );
    console.log(
      `${CLIENTS} clients x ${PER_REQUEST} records of ${VALUE_BYTES} B per request, ${SECONDS} s: ` +
        `${Math.round(acked / SECONDS)} records/s acked (${(payloadMb / SECONDS).toFixed(1)} MB/s of values), ${failed} failed; ` +
        `request p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
    console.log(
      `read back ${read} records in ${readSeconds.toFixed(1)} s: ${Math.round(read / readSeconds)} records/s (v2 read, binary, 4 MiB polls)`,
    );
    if (read !== acked + failed && read < acked)
      throw new Error(`read ${read} records, fewer than the ${acked} acknowledged`);
  } finally {
    await agent.close();
    await cluster.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
