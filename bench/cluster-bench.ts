// `npm run bench`: the cluster benchmark. Produce throughput and latency for a matrix of record size x
// acks x partitions x client path (REST v2, REST v3 streaming, kafkajs, confluent-kafka for Python),
// consume throughput from a full log, end-to-end latency, failover time over N leader kills, and with
// `--vs nats` the same produce workload against NATS JetStream R3. Not a test: it prints figures and
// asserts nothing about them. Usage: bench/README.md, or `npm run bench -- --help`.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { consumeRestV2 } from './cluster/consume-rest.ts';
import { endToEnd } from './cluster/end-to-end.ts';
import { measureFailover } from './cluster/failover.ts';
import { BenchCluster } from './cluster/local-cluster.ts';
import { ensureNatsServer, NatsCluster, produceNats } from './cluster/nats.ts';
import {
  type ConsumeOutcome,
  confluentKafkaVersion,
  consumeConfluentKafka,
  consumeKafkajs,
  produceConfluentKafka,
  produceKafkajs,
} from './cluster/produce-kafka.ts';
import { produceRestV2, produceRestV3, type RestRoute } from './cluster/produce-rest.ts';
import { formatTable, type TableRow } from './cluster/report.ts';
import { latencySvg, type Series } from './cluster/svg.ts';
import {
  type Acks,
  type Counters,
  type LoadShape,
  PRODUCE_PATHS,
  type ProduceCell,
  type ProduceOutcome,
  type ProducePath,
  Progress,
} from './cluster/workload.ts';

const USAGE = `Usage: npm run bench -- [options]

  --quick                   a small subset (100 B, acks=all, 6 partitions, each path, 5 s each; 3 kills): under 2 minutes
  --bootstrap URL           measure a running cluster (its REST URL, e.g. http://127.0.0.1:8081) instead of starting one
  --kafka-bootstrap LIST    its Kafka listeners, host:port,... (default with --bootstrap: 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094)
  --vs nats                 the same produce workload against a three-node NATS JetStream R3 file stream, and the ratio
  --seconds S               seconds per produce measurement (default 10; --quick 5)
  --warmup S                seconds of the same load before each produce measurement, not counted (default 2; --quick 1)
  --sizes LIST              record sizes in bytes (default 100,1024)
  --acks LIST               1,all (default both)
  --partitions LIST         partition counts (default 1,6,60)
  --paths LIST              ${PRODUCE_PATHS.join(',')} (default all)
  --records-per-request N   records per REST request / kafkajs send (default 500)
  --in-flight N             requests in flight (default 16)
  --rest-route R            round-robin (default: every node in turn, as behind a load balancer) or leader
  --consume-records N       records in the log read back (default 1000000; --quick 200000)
  --e2e-seconds S           end-to-end latency measurement (default 20; --quick 5), 100 records/s
  --kills N                 leader kills for the failover distribution (default 20; --quick 3)
  --skip LIST               leave out produce,consume,e2e,failover
  --out DIR                 where the JSON and SVG go (default bench-results)
  --keep-data               keep the started cluster's data directory and logs
`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    bootstrap: { type: 'string' },
    'kafka-bootstrap': { type: 'string' },
    vs: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    sizes: { type: 'string' },
    acks: { type: 'string' },
    partitions: { type: 'string' },
    paths: { type: 'string' },
    'records-per-request': { type: 'string', default: '500' },
    'in-flight': { type: 'string', default: '16' },
    'rest-route': { type: 'string', default: 'round-robin' },
    'consume-records': { type: 'string' },
    'e2e-seconds': { type: 'string' },
    kills: { type: 'string' },
    skip: { type: 'string', default: '' },
    out: { type: 'string', default: 'bench-results' },
    'keep-data': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const quick = values.quick;
const list = (raw: string | undefined, fallback: string) =>
  (raw ?? fallback)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
const positive = (flag: string, raw: string) => {
  const parsed = Number(raw);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`${flag}: expected a positive number, got ${raw}`);
  return parsed;
};
const nonNegative = (flag: string, raw: string) => (Number(raw) === 0 ? 0 : positive(flag, raw));
const sizes = list(values.sizes, quick ? '100' : '100,1024').map((size) => positive('--sizes', size));
const acksList = list(values.acks, quick ? 'all' : '1,all').map((acks): Acks => {
  if (acks !== '1' && acks !== 'all') throw new Error(`--acks: 1 or all, got ${acks}`);
  return acks;
});
const partitionCounts = list(values.partitions, quick ? '6' : '1,6,60').map((count) =>
  positive('--partitions', count),
);
const paths = list(values.paths, PRODUCE_PATHS.join(',')).map((path): ProducePath => {
  const known = PRODUCE_PATHS.find((candidate) => candidate === path);
  if (known === undefined) throw new Error(`--paths: one of ${PRODUCE_PATHS.join(', ')}, got ${path}`);
  return known;
});
const shape: LoadShape = {
  warmupSeconds: nonNegative('--warmup', values.warmup ?? (quick ? '1' : '2')),
  seconds: positive('--seconds', values.seconds ?? (quick ? '5' : '10')),
  recordsPerRequest: positive('--records-per-request', values['records-per-request']),
  inFlight: positive('--in-flight', values['in-flight']),
};
if (values['rest-route'] !== 'round-robin' && values['rest-route'] !== 'leader')
  throw new Error(`--rest-route: round-robin or leader, got ${values['rest-route']}`);
const restRoute: RestRoute = values['rest-route'];
const consumeRecords = positive(
  '--consume-records',
  values['consume-records'] ?? (quick ? '200000' : '1000000'),
);
const e2eSeconds = positive('--e2e-seconds', values['e2e-seconds'] ?? (quick ? '5' : '20'));
const kills = positive('--kills', values.kills ?? (quick ? '3' : '20'));
const skip = new Set(list(values.skip, ''));
if (values.vs !== undefined && values.vs !== 'nats') throw new Error(`--vs: only nats, got ${values.vs}`);

const progress = new Progress();
/** The Python path needs Debian's python3-confluent-kafka; without it that path is skipped, loudly. */
const confluentKafka = paths.includes('confluent-kafka-python') ? confluentKafkaVersion() : null;
const CONFLUENT_KAFKA_MISSING =
  'skipped: /usr/bin/python3 has no confluent_kafka (Debian: apt-get install -y python3-confluent-kafka)';
const rows: TableRow[] = [];
const series: Series[] = [];
const startedAt = new Date();
const results: Record<string, unknown> = {
  startedAt: startedAt.toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
  confluentKafka,
  options: {
    quick,
    shape,
    sizes,
    acks: acksList,
    partitions: partitionCounts,
    paths,
    restRoute,
    consumeRecords,
    e2eSeconds,
    kills,
  },
};

const cellLabel = (cell: ProduceCell) =>
  `${cell.path} ${cell.recordBytes} B acks=${cell.acks} ${cell.partitions}p`;
const perSecond = (count: number, seconds: number) => (seconds > 0 ? count / seconds : 0);

function produceRow(what: string, outcome: ProduceOutcome, recordBytes: number, note: string): TableRow {
  const rate = perSecond(outcome.acked, outcome.seconds);
  return {
    what,
    recordsPerSecond: rate,
    megabytesPerSecond: (rate * recordBytes) / 1e6,
    latency: outcome.latency.summary(),
    latencyOf: outcome.latencyUnit === 'record' ? 'record' : `request of ${outcome.recordsPerRequest}`,
    note: [outcome.failed > 0 ? `${outcome.failed} failed` : '', note]
      .filter((text) => text !== '')
      .join('; '),
  };
}

function produceJson(outcome: ProduceOutcome) {
  return {
    acked: outcome.acked,
    failed: outcome.failed,
    seconds: outcome.seconds,
    recordsPerSecond: perSecond(outcome.acked, outcome.seconds),
    latencyUnit: outcome.latencyUnit,
    recordsPerRequest: outcome.recordsPerRequest,
    latency: outcome.latency.summary(),
    timeline: outcome.latency.timeline(),
    cdf: outcome.latency.cdf(),
  };
}

async function runCell(
  cluster: BenchCluster,
  cell: ProduceCell,
  topic: string,
  counters: Counters,
): Promise<ProduceOutcome> {
  const brokers = cluster.nodes.map((node) => node.kafkaAddress);
  const common = { topic, recordBytes: cell.recordBytes, shape, counters };
  switch (cell.path) {
    case 'rest-v2':
      return produceRestV2({ ...common, cluster, partitions: cell.partitions, route: restRoute });
    case 'rest-v3':
      return produceRestV3({ ...common, cluster, partitions: cell.partitions, route: restRoute });
    case 'kafkajs':
      return produceKafkajs({ ...common, brokers, acks: cell.acks });
    case 'confluent-kafka-python':
      return produceConfluentKafka({ ...common, brokers, acks: cell.acks });
    default: {
      const unknown: never = cell.path;
      throw new Error(`unknown path ${String(unknown)}`);
    }
  }
}

/** The matrix; returns the records/s of each path's cell at 100 B, acks=all, 6 partitions (or the first). */
async function produceMatrix(cluster: BenchCluster): Promise<Map<ProducePath, number>> {
  const cells: ProduceCell[] = sizes.flatMap((recordBytes) =>
    acksList.flatMap((acks) =>
      partitionCounts.flatMap((partitions) => paths.map((path) => ({ path, recordBytes, acks, partitions }))),
    ),
  );
  const headline = new Map<ProducePath, number>();
  const json: unknown[] = [];
  results.produce = json;
  for (const [index, cell] of cells.entries()) {
    const label = `[${index + 1}/${cells.length}] produce ${cellLabel(cell)}`;
    if (cell.acks === '1' && (cell.path === 'rest-v2' || cell.path === 'rest-v3')) {
      progress.note(`${label}: skipped (REST produce is acks=all only: design.md §6's ?acks= is not served)`);
      continue;
    }
    if (cell.path === 'confluent-kafka-python' && confluentKafka === null) {
      progress.note(`${label}: ${CONFLUENT_KAFKA_MISSING}`);
      continue;
    }
    const topic = `bench-${cell.path}-${cell.recordBytes}b-acks${cell.acks}-${cell.partitions}p-${Date.now()}`;
    progress.start(`${label}: creating the topic`, null);
    await cluster.createTopic(topic, cell.partitions);
    const counters: Counters = { acked: 0, failed: 0 };
    progress.start(label, counters);
    const outcome = await runCell(cluster, cell, topic, counters);
    const row = produceRow(`produce ${cellLabel(cell)}`, outcome, cell.recordBytes, '');
    progress.done(
      `${Math.round(row.recordsPerSecond ?? 0).toLocaleString('en-US')} records/s, p99 ${row.latency?.p99Ms.toFixed(1)} ms`,
    );
    rows.push(row);
    json.push({ ...cell, topic, ...produceJson(outcome) });
    const isHeadline = cell.recordBytes === 100 && cell.acks === 'all' && cell.partitions === 6;
    if (isHeadline || !headline.has(cell.path)) headline.set(cell.path, row.recordsPerSecond ?? 0);
    if (isHeadline || cells.length <= 8)
      series.push({
        label: `produce ${cellLabel(cell)}`,
        timeline: outcome.latency.timeline(),
        cdf: outcome.latency.cdf(),
      });
    await cluster.deleteTopic(topic);
  }
  return headline;
}

async function versusNats(headline: ReadonlyMap<ProducePath, number>): Promise<void> {
  const version = ensureNatsServer((text) => progress.note(text));
  if (version === null) {
    progress.note(
      '--vs nats: SKIPPED, nats-server is not installed and could not be installed (Debian: apt-get install -y nats-server)',
    );
    results.nats = { skipped: 'nats-server is not installed and could not be installed' };
    return;
  }
  progress.start(`vs nats: starting three ${version} servers (JetStream, R3 file stream)`, null);
  const nats = await NatsCluster.start();
  process.on('exit', () => nats.killAllNow());
  try {
    const connection = await nats.connectWithStream();
    const counters: Counters = { acked: 0, failed: 0 };
    progress.start('vs nats: publish 100 B with ack, R3 file stream', counters);
    const outcome = await produceNats({ connection, recordBytes: 100, shape, counters });
    await connection.close();
    const row = produceRow('NATS JetStream R3 publish+ack 100 B', outcome, 100, version);
    progress.done(
      `${Math.round(row.recordsPerSecond ?? 0).toLocaleString('en-US')} msg/s, p99 ${row.latency?.p99Ms.toFixed(1)} ms`,
    );
    rows.push(row);
    series.push({
      label: 'NATS JetStream R3 100 B',
      timeline: outcome.latency.timeline(),
      cdf: outcome.latency.cdf(),
    });
    const ratios = Object.fromEntries(
      [...headline].map(([path, rate]) => [path, rate / (row.recordsPerSecond || 1)]),
    );
    results.nats = { version, ...produceJson(outcome), ratios };
    for (const [path, ratio] of Object.entries(ratios))
      rows.push({
        what: `ratio ${path} / NATS`,
        recordsPerSecond: null,
        megabytesPerSecond: null,
        latency: null,
        latencyOf: '',
        note: `${ratio.toFixed(2)}x`,
      });
  } finally {
    await nats.close();
  }
}

function consumeRow(what: string, outcome: ConsumeOutcome): TableRow {
  // The whole read, connecting (and kafkajs's group join) included: a REST read's first answer already
  // holds up to 4 MiB of every partition, so "from the first record on" would flatter it.
  return {
    what,
    recordsPerSecond: perSecond(outcome.records, outcome.seconds),
    megabytesPerSecond: perSecond(outcome.valueBytes, outcome.seconds) / 1e6,
    latency: null,
    latencyOf: '',
    note: `${outcome.records.toLocaleString('en-US')} records in ${outcome.seconds.toFixed(2)} s (${(outcome.firstRecordAfterSeconds ?? 0).toFixed(2)} s to the first)`,
  };
}

async function consume(cluster: BenchCluster): Promise<void> {
  const topic = `bench-consume-${Date.now()}`;
  const partitions = 6;
  progress.start(`consume: creating ${topic} (${partitions} partitions)`, null);
  await cluster.createTopic(topic, partitions);
  const fill: Counters = { acked: 0, failed: 0 };
  progress.start(
    `consume: filling the log with ${consumeRecords.toLocaleString('en-US')} records of 100 B (REST v2)`,
    fill,
  );
  await produceRestV2({
    cluster,
    topic,
    partitions,
    recordBytes: 100,
    route: restRoute,
    counters: fill,
    shape: { ...shape, warmupSeconds: 0, seconds: 3600 },
    enough: () => fill.acked >= consumeRecords,
  });
  progress.done(`${fill.acked.toLocaleString('en-US')} records`);
  const brokers = cluster.nodes.map((node) => node.kafkaAddress);
  const readers: [string, (counters: Counters) => Promise<ConsumeOutcome>][] = [
    [
      'consume REST v2 group-less reads (4 MiB)',
      (counters) => consumeRestV2({ cluster, topic, partitions, counters }),
    ],
    [
      'consume confluent-kafka-python (assigned)',
      (counters) =>
        consumeConfluentKafka({ brokers, topic, records: fill.acked, timeoutSeconds: 300, counters }),
    ],
    [
      'consume kafkajs (group)',
      (counters) => consumeKafkajs({ brokers, topic, records: fill.acked, timeoutSeconds: 300, counters }),
    ],
  ];
  const json: Record<string, unknown> = { topic, partitions, records: fill.acked };
  for (const [what, read] of readers) {
    if (what.includes('confluent-kafka') && confluentKafka === null) {
      progress.note(`${what}: ${CONFLUENT_KAFKA_MISSING}`);
      continue;
    }
    const counters: Counters = { acked: 0, failed: 0 };
    progress.start(what, counters);
    const outcome = await read(counters);
    const row = consumeRow(what, outcome);
    progress.done(`${Math.round(row.recordsPerSecond ?? 0).toLocaleString('en-US')} records/s`);
    rows.push(row);
    json[what] = { ...outcome, recordsPerSecond: row.recordsPerSecond };
  }
  results.consume = json;
  await cluster.deleteTopic(topic);
}

async function endToEndLatency(cluster: BenchCluster): Promise<void> {
  const topic = `bench-e2e-${Date.now()}`;
  await cluster.createTopic(topic, 1);
  const counters: Counters = { acked: 0, failed: 0 };
  progress.start(
    `end-to-end: 100 records/s for ${e2eSeconds} s (REST v3 produce; REST v2 long poll and kafkajs read)`,
    counters,
  );
  const outcome = await endToEnd({ cluster, topic, seconds: e2eSeconds, ratePerSecond: 100, counters });
  progress.done(`${outcome.produced} records`);
  for (const [what, recorder] of [
    ['end-to-end: REST v3 produce, acks=all (to the ack)', outcome.produceAck],
    ['end-to-end REST v3 -> REST v2 long poll', outcome.restV2],
    ['end-to-end REST v3 -> kafkajs consumer', outcome.kafkajs],
  ] as const) {
    rows.push({
      what,
      recordsPerSecond: null,
      megabytesPerSecond: null,
      latency: recorder.summary(),
      latencyOf: 'record',
      note:
        recorder === outcome.produceAck
          ? `${outcome.produced} acknowledged`
          : `${recorder.count} of ${outcome.produced} seen`,
    });
    series.push({ label: what, timeline: recorder.timeline(), cdf: recorder.cdf() });
  }
  results.endToEnd = {
    produced: outcome.produced,
    produceAck: { latency: outcome.produceAck.summary(), cdf: outcome.produceAck.cdf() },
    restV2: { latency: outcome.restV2.summary(), cdf: outcome.restV2.cdf() },
    kafkajs: { latency: outcome.kafkajs.summary(), cdf: outcome.kafkajs.cdf() },
  };
  await cluster.deleteTopic(topic);
}

async function failover(cluster: BenchCluster): Promise<void> {
  if (!cluster.owned) {
    progress.note('failover: skipped (a cluster the benchmark did not start is not killed)');
    return;
  }
  const topic = `bench-failover-${Date.now()}`;
  await cluster.createTopic(topic, 1);
  progress.note(
    `failover: ${kills} kills -9 of the partition leader, each to the first acknowledged produce (REST v3, acks=all)`,
  );
  const outcome = await measureFailover({ cluster, topic, kills, progress });
  const summary = outcome.latency.summary();
  rows.push({
    what: `failover: leader kill -9 -> first acked produce (${kills} kills)`,
    recordsPerSecond: null,
    megabytesPerSecond: null,
    latency: summary,
    latencyOf: 'kill',
    note: '',
  });
  results.failover = { samples: outcome.samples, latency: summary, cdf: outcome.latency.cdf() };
}

async function main(): Promise<void> {
  const kafkaBootstrap = list(values['kafka-bootstrap'], '127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094');
  progress.note(
    `kraftling cluster benchmark${quick ? ' (--quick)' : ''}: ${cpus().length} cores, ${process.version}`,
  );
  if (confluentKafka !== null) progress.note(`Python Kafka client: ${confluentKafka}`);
  let cluster: BenchCluster;
  if (values.bootstrap === undefined) {
    progress.start(
      'starting a local 3-node cluster (local profile, free ports, temporary data directory)',
      null,
    );
    cluster = await BenchCluster.start(new Map([['log.level', 'warn']]));
    progress.done(
      `ready: ${cluster.nodes.map((node) => node.clientUrl).join(', ')}; data and logs in ${cluster.root}`,
    );
  } else cluster = await BenchCluster.attach(values.bootstrap, kafkaBootstrap);
  process.on('exit', () => cluster.killAllNow());
  results.cluster = { started: cluster.owned, nodes: cluster.nodes };
  let failed = false;
  try {
    const headline = skip.has('produce') ? new Map<ProducePath, number>() : await produceMatrix(cluster);
    if (values.vs === 'nats') await versusNats(headline);
    if (!skip.has('consume')) await consume(cluster);
    if (!skip.has('e2e')) await endToEndLatency(cluster);
    if (!skip.has('failover')) await failover(cluster);
  } catch (error) {
    failed = true;
    progress.stop();
    process.stderr.write(
      `\nbenchmark stopped: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    if (cluster.root !== null) process.stderr.write(`node logs: ${cluster.root}\n`);
  } finally {
    await cluster.close(values['keep-data'] || failed);
  }
  await writeResults();
  if (failed) process.exitCode = 1;
}

async function writeResults(): Promise<void> {
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  await mkdir(values.out, { recursive: true });
  const jsonFile = `${values.out}/${stamp}.json`;
  const svgFile = `${values.out}/${stamp}.svg`;
  results.table = rows;
  results.finishedAt = new Date().toISOString();
  await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(svgFile, latencySvg(`kraftling cluster benchmark ${startedAt.toISOString()}`, series));
  process.stdout.write(`\n${formatTable(rows)}\n\nresults: ${jsonFile}\nchart:   ${svgFile}\n`);
}

await main();
