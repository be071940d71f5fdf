// `npm run bench:log-size`: fetch latency at the head of a small log versus a large one (issue 8: 10 MB
// against 10 GB). Starts the local three-node cluster (or targets a running one with --bootstrap), fills
// two single-partition topics (RF 3 by default) with 1 MiB batches of 64 KiB values (native produce),
// appends the same 1,000 small records to both (SDK producer, acks=all), then times native fetches of the newest record from the
// partition leader, alternating small and large so that noise falls on both alike, and reads at random
// offsets of each log as a second figure. Prints a table and writes a JSON result; asserts nothing.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { Producer } from '../src/client/index.ts';
import { clientCodec } from '../src/http/native/codec.ts';
import { buildRecordBatch } from '../src/storage/record-batch/builder.ts';
import { LatencyRecorder, type LatencySummary } from './cluster/latency.ts';
import { BenchCluster } from './cluster/local-cluster.ts';

const USAGE = `npm run bench:log-size -- [options]
  --small-mb N          the small log's size (default 10)
  --large-gb N          the large log's size (default 10)
  --samples N           fetches timed per log and kind (default 2000)
  --replication-factor N  (default 3)
  --bootstrap URL       a running cluster's client API (http://127.0.0.1:8081); default: start one
  --keep-data           keep the started cluster's data directory`;

const VALUE_BYTES = 64 * 1024;
const SMALL_RECORDS = 1_000;

interface Options {
  readonly smallBytes: number;
  readonly largeBytes: number;
  readonly samples: number;
  readonly replicationFactor: number;
  readonly bootstrap: string | null;
  readonly keepData: boolean;
}

function parse(): Options | null {
  const { values } = parseArgs({
    options: {
      'small-mb': { type: 'string', default: '10' },
      'large-gb': { type: 'string', default: '10' },
      samples: { type: 'string', default: '2000' },
      'replication-factor': { type: 'string', default: '3' },
      bootstrap: { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const positive = (name: string, text: string) => {
    const value = Number(text);
    if (!(value > 0)) throw new Error(`--${name} must be a positive number, not ${text}`);
    return value;
  };
  return {
    smallBytes: Math.round(positive('small-mb', values['small-mb']) * 1024 * 1024),
    largeBytes: Math.round(positive('large-gb', values['large-gb']) * 1024 * 1024 * 1024),
    samples: Math.round(positive('samples', values.samples)),
    replicationFactor: Math.round(positive('replication-factor', values['replication-factor'])),
    bootstrap: values.bootstrap ?? null,
    keepData: values['keep-data'],
  };
}

async function createTopic(cluster: BenchCluster, name: string, replicationFactor: number): Promise<void> {
  const created = await cluster.http('POST', cluster.nodes[0]!.id, cluster.topicsPath(), {
    topic_name: name,
    partitions_count: 1,
    replication_factor: Math.min(replicationFactor, cluster.nodes.length),
  });
  if (created.status !== 201)
    throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  await cluster.waitFullIsr(name, 1, 60_000);
}

/**
 * Writes `bytes` as 1 MiB batches of 64 KiB values through the native API (acks=1, 8 requests in flight:
 * the order of the filler's batches does not matter), then the same SMALL_RECORDS small records with the
 * SDK producer (acks=all), which also waits until the followers have everything before it.
 */
async function fill(cluster: BenchCluster, producer: Producer, topic: string, bytes: number): Promise<void> {
  const value = randomBytes(VALUE_BYTES);
  const perBatch = Math.floor((1024 * 1024 - 4096) / (VALUE_BYTES + 64));
  const batch = buildRecordBatch({
    records: Array.from({ length: perBatch }, () => ({
      key: null,
      value,
      headers: [],
      timestamp: Date.now(),
    })),
  });
  const total = Math.ceil(bytes / batch.length);
  const leader = (await routeOf(cluster, topic)).origin;
  const started = performance.now();
  let sent = 0;
  let lastPrint = started;
  const worker = async () => {
    while (sent < total) {
      sent += 1;
      const answer = clientCodec.produceResponse(
        await post(
          leader,
          '/v1/produce',
          clientCodec.produceRequest({
            acks: 1,
            timeoutMs: 30_000,
            topics: [{ name: topic, partitions: [{ partition: 0, records: batch }] }],
          }),
        ),
      );
      const result = answer.topics[0]!.partitions[0]!;
      if (result.errorCode !== 0) throw new Error(`fill ${topic}: ${result.errorMessage}`);
      if (performance.now() - lastPrint > 5_000) {
        lastPrint = performance.now();
        const mib = (sent * batch.length) / 1024 / 1024;
        const rate = mib / ((lastPrint - started) / 1000);
        console.log(
          `  ${topic}: ${mib.toFixed(0)} MiB of ${(bytes / 1024 / 1024).toFixed(0)} (${rate.toFixed(0)} MiB/s)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const small = Buffer.alloc(100, 'x');
  await Promise.all(
    Array.from({ length: SMALL_RECORDS }, () => producer.send({ topic, partition: 0, value: small })),
  );
  console.log(`  ${topic}: filled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

interface Route {
  readonly origin: string;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

async function post(origin: string, path: string, body: Buffer): Promise<Buffer> {
  const response = await request(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body,
  });
  const bytes = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode !== 200) throw new Error(`${path}: ${response.statusCode} ${bytes.toString()}`);
  return bytes;
}

async function routeOf(cluster: BenchCluster, topic: string): Promise<Route> {
  const origin = cluster.nodes[0]!.clientUrl;
  const metadata = clientCodec.metadataResponse(
    await post(origin, '/v1/metadata', clientCodec.metadataRequest({ topics: [topic] })),
  );
  const leader = metadata.topics[0]!.partitions[0]!.leader;
  const broker = metadata.brokers.find((b) => b.id === leader)!;
  const leaderOrigin = `http://${broker.host}:${broker.port}`;
  const answer = await fetchAt(leaderOrigin, topic, 0, 1);
  return { origin: leaderOrigin, logStartOffset: answer.logStartOffset, highWatermark: answer.highWatermark };
}

async function fetchAt(origin: string, topic: string, offset: number, maxBytes: number) {
  const answer = clientCodec.fetchResponse(
    await post(
      origin,
      '/v1/fetch',
      clientCodec.fetchRequest({
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes,
        topics: [
          { name: topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: maxBytes }] },
        ],
      }),
    ),
  );
  const partition = answer.topics[0]!.partitions[0]!;
  if (partition.errorCode !== 0) throw new Error(`fetch ${topic}@${offset}: ${partition.errorMessage}`);
  return partition;
}

function row(what: string, summary: LatencySummary): string {
  const ms = (value: number) => value.toFixed(2).padStart(8);
  return `| ${what.padEnd(34)} | ${ms(summary.p50Ms)} | ${ms(summary.p90Ms)} | ${ms(summary.p99Ms)} | ${ms(summary.maxMs)} | ${ms(summary.meanMs)} |`;
}

async function main(): Promise<void> {
  const options = parse();
  if (options === null) {
    console.log(USAGE);
    return;
  }
  console.log('starting a local 3-node cluster (or attaching to --bootstrap) ...');
  // No node outlives the benchmark, however it ends.
  const cluster = await BenchCluster.startOrAttach(options.bootstrap);
  const stamp = Date.now();
  const topics = { small: `log-size-small-${stamp}`, large: `log-size-large-${stamp}` };
  try {
    const producer = new Producer({
      bootstrap: cluster.nodes.map((node) => node.clientUrl),
      deliveryTimeoutMs: 300_000,
    });
    for (const [kind, topic] of Object.entries(topics)) {
      await createTopic(cluster, topic, options.replicationFactor);
      console.log(`filling ${topic} ...`);
      await fill(cluster, producer, topic, kind === 'small' ? options.smallBytes : options.largeBytes);
    }
    await producer.close();
    const routes = {
      small: await routeOf(cluster, topics.small),
      large: await routeOf(cluster, topics.large),
    };
    const head = { small: new LatencyRecorder(), large: new LatencyRecorder() };
    const random = { small: new LatencyRecorder(), large: new LatencyRecorder() };
    console.log(`timing ${options.samples} head fetches and ${options.samples} random reads of each log ...`);
    for (let i = 0; i < options.samples; i++) {
      for (const kind of ['small', 'large'] as const) {
        const route = routes[kind];
        let started = performance.now();
        await fetchAt(route.origin, topics[kind], route.highWatermark - 1, 1024 * 1024);
        head[kind].record(performance.now() - started);
        const span = route.highWatermark - SMALL_RECORDS - route.logStartOffset;
        const offset = route.logStartOffset + Math.floor(Math.random() * span);
        started = performance.now();
        await fetchAt(route.origin, topics[kind], offset, VALUE_BYTES + 1024);
        random[kind].record(performance.now() - started);
      }
    }
    const summaries = {
      headSmall: head.small.summary(),
      headLarge: head.large.summary(),
      randomSmall: random.small.summary(),
      randomLarge: random.large.summary(),
    };
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
    console.log(
      `\n| fetch (ms)                         |      p50 |      p90 |      p99 |      max |     mean |`,
    );
    console.log(
      `|------------------------------------|---------:|---------:|---------:|---------:|---------:|`,
    );
    console.log(row(`head of the ${mb(options.smallBytes)} log`, summaries.headSmall));
    console.log(row(`head of the ${mb(options.largeBytes)} log`, summaries.headLarge));
    console.log(row(`random offset, ${mb(options.smallBytes)} log`, summaries.randomSmall));
    console.log(row(`random offset, ${mb(options.largeBytes)} log`, summaries.randomLarge));
    const ratio = summaries.headLarge.p50Ms / summaries.headSmall.p50Ms;
    console.log(`\nhead fetch p50, large / small: ${ratio.toFixed(2)}x`);
    await mkdir('bench-results', { recursive: true });
    const file = `bench-results/log-size-${new Date(stamp).toISOString().replaceAll(':', '-')}.json`;
    await writeFile(
      file,
      `${JSON.stringify({ options, routes, summaries, headP50Ratio: ratio }, null, 2)}\n`,
    );
    console.log(`results: ${file}`);
    for (const topic of Object.values(topics)) await cluster.deleteTopic(topic).catch(() => undefined);
  } finally {
    await cluster.close(options.keepData);
  }
}

await main();
