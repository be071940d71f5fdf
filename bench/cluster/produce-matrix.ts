// The produce phase: every cell of the matrix on a topic of its own (created, measured, deleted), then
// with --vs nats the same workload against NATS JetStream and the ratios.

import { confluentKafkaVersion, produceConfluentKafka, produceKafkajs } from './kafka-clients.ts';
import { ensureNatsServer, NatsCluster, produceNats } from './nats.ts';
import { produceRestV2, produceRestV3 } from './produce-rest.ts';
import { produceSdk } from './produce-sdk.ts';
import { type BenchRun, produceJson } from './report.ts';
import {
  type Counters,
  PRODUCE_PATHS,
  type ProduceCell,
  type ProduceOutcome,
  type ProducePath,
} from './workload.ts';

/** Records/s of each client path's headline cell (100 B, acks=all, 6 partitions; else its first cell). */
export type HeadlineRates = ReadonlyMap<ProducePath, number>;

export const CONFLUENT_KAFKA_MISSING =
  'skipped: /usr/bin/python3 has no confluent_kafka (Debian: apt-get install -y python3-confluent-kafka)';

const cellLabel = (cell: ProduceCell) =>
  `${cell.path} ${cell.recordBytes} B acks=${cell.acks} ${cell.partitions}p`;

const isHeadline = (cell: ProduceCell) =>
  cell.recordBytes === 100 && cell.acks === 'all' && cell.partitions === 6;

function runCell(
  run: BenchRun,
  cell: ProduceCell,
  topic: string,
  counters: Counters,
): Promise<ProduceOutcome> {
  const { cluster, options } = run;
  const brokers = cluster.nodes.map((node) => node.kafkaAddress);
  const common = { topic, recordBytes: cell.recordBytes, shape: options.shape, counters };
  switch (cell.path) {
    case 'native-sdk':
      return produceSdk({ ...common, cluster, acks: cell.acks });
    case 'rest-v2':
      return produceRestV2({
        ...common,
        cluster,
        acks: cell.acks,
        partitions: cell.partitions,
        route: options.restRoute,
      });
    case 'rest-v3':
      return produceRestV3({
        ...common,
        cluster,
        acks: cell.acks,
        partitions: cell.partitions,
        route: options.restRoute,
      });
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

/** Why a cell cannot be measured, or null. */
function skipReason(cell: ProduceCell, confluentKafka: string | null): string | null {
  if (cell.path === 'confluent-kafka-python' && confluentKafka === null) return CONFLUENT_KAFKA_MISSING;
  return null;
}

export async function produceMatrix(run: BenchRun): Promise<HeadlineRates> {
  const { cluster, options, progress, report } = run;
  const cells: ProduceCell[] = options.sizes.flatMap((recordBytes) =>
    options.acks.flatMap((acks) =>
      options.partitions.flatMap((partitions) =>
        options.paths.map((path) => ({ path, recordBytes, acks, partitions })),
      ),
    ),
  );
  const confluentKafka = options.paths.includes('confluent-kafka-python') ? confluentKafkaVersion() : null;
  if (confluentKafka !== null) progress.note(`Python Kafka client: ${confluentKafka}`);
  const headline = new Map<ProducePath, number>();
  const json: unknown[] = [];
  report.results.produce = json;
  report.results.confluentKafka = confluentKafka;
  await warmUpCluster(run);
  for (const [index, cell] of cells.entries()) {
    const label = `[${index + 1}/${cells.length}] produce ${cellLabel(cell)}`;
    const skipped = skipReason(cell, confluentKafka);
    if (skipped !== null) {
      progress.note(`${label}: ${skipped}`);
      continue;
    }
    const topic = `bench-${cell.path}-${cell.recordBytes}b-acks${cell.acks}-${cell.partitions}p-${Date.now()}`;
    progress.start(`${label}: creating the topic`, null);
    await cluster.createTopic(topic, cell.partitions);
    const counters: Counters = { acked: 0, failed: 0 };
    progress.start(label, counters);
    const outcome = await runCell(run, cell, topic, counters);
    const row = report.produceRow(`produce ${cellLabel(cell)}`, outcome, cell.recordBytes, '');
    progress.done(
      `${Math.round(row.recordsPerSecond ?? 0).toLocaleString('en-US')} records/s, p99 ${row.latency?.p99Ms.toFixed(1)} ms`,
    );
    json.push({ ...cell, topic, ...produceJson(outcome) });
    if (isHeadline(cell) || !headline.has(cell.path)) headline.set(cell.path, row.recordsPerSecond ?? 0);
    if (isHeadline(cell) || cells.length <= 8)
      report.series.push({
        label: row.what,
        timeline: outcome.latency.timeline(),
        cdf: outcome.latency.cdf(),
      });
    await cluster.deleteTopic(topic);
  }
  return headline;
}

/**
 * Before the first cell: the SDK's and REST v2's produce load on a scratch topic, not counted. Nodes
 * just started run their code cold (V8 compiles the hot paths over the first seconds): without it the
 * first cell measured the warm-up (a 5 s native SDK cell: 219k-236k records/s cold, 303k after 3 s).
 */
async function warmUpCluster(run: BenchRun): Promise<void> {
  const { cluster, options, progress, report } = run;
  const seconds = options.clusterWarmupSeconds;
  report.results.clusterWarmupSeconds = seconds;
  if (seconds === 0) return;
  const topic = `bench-warmup-${Date.now()}`;
  progress.start(`warming up the cluster (${seconds} s SDK, ${seconds} s REST v2; not counted)`, null);
  await cluster.createTopic(topic, 6);
  const shape = { ...options.shape, warmupSeconds: 0, seconds };
  const common = { cluster, topic, recordBytes: 100, acks: 'all' as const, shape };
  await produceSdk({ ...common, counters: { acked: 0, failed: 0 } });
  await produceRestV2({
    ...common,
    partitions: 6,
    route: options.restRoute,
    counters: { acked: 0, failed: 0 },
  });
  await cluster.deleteTopic(topic);
  progress.done('warmed up');
}

export async function versusNats(run: BenchRun, headline: HeadlineRates): Promise<void> {
  const { options, progress, report } = run;
  const version = ensureNatsServer((text) => progress.note(text));
  if (version === null) {
    progress.note(
      '--vs nats: SKIPPED, nats-server is not installed and could not be installed (Debian: apt-get install -y nats-server)',
    );
    report.results.nats = { skipped: 'nats-server is not installed and could not be installed' };
    return;
  }
  progress.start(`vs nats: starting three ${version} servers (JetStream, R3 file stream)`, null);
  const nats = await NatsCluster.start();
  const killOnExit = () => nats.killAllNow();
  process.on('exit', killOnExit);
  try {
    const connection = await nats.connectWithStream();
    const counters: Counters = { acked: 0, failed: 0 };
    progress.start('vs nats: publish 100 B with ack, R3 file stream', counters);
    const outcome = await produceNats({ connection, recordBytes: 100, shape: options.shape, counters });
    await connection.close();
    const row = report.produceRow('NATS JetStream R3 publish+ack 100 B', outcome, 100, version);
    progress.done(
      `${Math.round(row.recordsPerSecond ?? 0).toLocaleString('en-US')} msg/s, p99 ${row.latency?.p99Ms.toFixed(1)} ms`,
    );
    report.series.push({
      label: 'NATS JetStream R3 100 B',
      timeline: outcome.latency.timeline(),
      cdf: outcome.latency.cdf(),
    });
    // In the matrix's path order, whichever cell came first.
    const ratios = Object.fromEntries(
      PRODUCE_PATHS.flatMap((path) => {
        const rate = headline.get(path);
        return rate === undefined ? [] : [[path, rate / (row.recordsPerSecond || 1)]];
      }),
    );
    report.results.nats = { version, ...produceJson(outcome), ratios };
    for (const [path, ratio] of Object.entries(ratios))
      report.otherRow(`ratio ${path} / NATS`, null, '', `${ratio.toFixed(2)}x`);
  } finally {
    await nats.close();
    process.off('exit', killOnExit);
  }
}
