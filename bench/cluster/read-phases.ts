// The phases after the produce matrix: reading a full log back, end-to-end latency, and failover.

import { consumeRestV2 } from './consume-rest.ts';
import { consumeSdk, warmGroupCoordinator } from './consume-sdk.ts';
import { endToEnd } from './end-to-end.ts';
import { measureFailover } from './failover.ts';
import {
  type ConsumeOutcome,
  confluentKafkaVersion,
  consumeConfluentKafka,
  consumeKafkajs,
} from './kafka-clients.ts';
import { CONFLUENT_KAFKA_MISSING } from './produce-matrix.ts';
import { produceRestV2 } from './produce-rest.ts';
import type { BenchRun } from './report.ts';
import type { Counters } from './workload.ts';

const CONSUME_PARTITIONS = 6;
const READ_TIMEOUT_SECONDS = 300;
const E2E_RECORDS_PER_SECOND = 100;

/** Fills a topic with `--consume-records` records of 100 B over REST v2, then reads it back three ways. */
export async function consumePhase(run: BenchRun): Promise<void> {
  const { cluster, options, progress, report } = run;
  const topic = `bench-consume-${Date.now()}`;
  const partitions = CONSUME_PARTITIONS;
  progress.start(`consume: creating ${topic} (${partitions} partitions)`, null);
  await cluster.createTopic(topic, partitions);
  const fill: Counters = { acked: 0, failed: 0 };
  progress.start(
    `consume: filling the log with ${options.consumeRecords.toLocaleString('en-US')} records of 100 B (REST v2)`,
    fill,
  );
  await produceRestV2({
    cluster,
    topic,
    partitions,
    recordBytes: 100,
    route: options.restRoute,
    acks: 'all',
    counters: fill,
    shape: { ...options.shape, warmupSeconds: 0, seconds: 3600 },
    enough: () => fill.acked >= options.consumeRecords,
  });
  progress.done(`${fill.acked.toLocaleString('en-US')} records`);
  const brokers = cluster.nodes.map((node) => node.kafkaAddress);
  const records = fill.acked;
  const timeoutSeconds = READ_TIMEOUT_SECONDS;
  const hasConfluentKafka = confluentKafkaVersion() !== null;
  const readers: [string, ((counters: Counters) => Promise<ConsumeOutcome>) | null][] = [
    [
      'consume native SDK (group)',
      (counters) => consumeSdk({ cluster, topic, records, timeoutSeconds, counters }),
    ],
    [
      'consume REST v2 group-less reads (4 MiB)',
      (counters) => consumeRestV2({ cluster, topic, partitions, counters }),
    ],
    [
      'consume confluent-kafka-python (assigned)',
      hasConfluentKafka
        ? (counters) => consumeConfluentKafka({ brokers, topic, records, timeoutSeconds, counters })
        : null,
    ],
    [
      'consume kafkajs (group)',
      (counters) => consumeKafkajs({ brokers, topic, records, timeoutSeconds, counters }),
    ],
  ];
  progress.start('consume: warming the group coordinator', null);
  await warmGroupCoordinator(cluster, topic);
  progress.done('');
  const json: Record<string, unknown> = { topic, partitions, records };
  for (const [what, read] of readers) {
    if (read === null) {
      progress.note(`${what}: ${CONFLUENT_KAFKA_MISSING}`);
      continue;
    }
    const counters: Counters = { acked: 0, failed: 0 };
    progress.start(what, counters);
    const outcome = await read(counters);
    const row = report.consumeRow(what, outcome);
    progress.done(`${Math.round(row.recordsPerSecond ?? 0).toLocaleString('en-US')} records/s`);
    json[what] = { ...outcome, recordsPerSecond: row.recordsPerSecond };
  }
  report.results.consume = json;
  await cluster.deleteTopic(topic);
}

export async function endToEndPhase(run: BenchRun): Promise<void> {
  const { cluster, options, progress, report } = run;
  const topic = `bench-e2e-${Date.now()}`;
  await cluster.createTopic(topic, 1);
  const counters: Counters = { acked: 0, failed: 0 };
  progress.start(
    `end-to-end: ${E2E_RECORDS_PER_SECOND} records/s for ${options.e2eSeconds} s (REST v3 produce; REST v2 long poll and kafkajs read)`,
    counters,
  );
  const outcome = await endToEnd({
    cluster,
    topic,
    warmupSeconds: options.shape.warmupSeconds,
    seconds: options.e2eSeconds,
    ratePerSecond: E2E_RECORDS_PER_SECOND,
    counters,
  });
  progress.done(`${outcome.produced} records`);
  for (const [what, recorder, note] of [
    ['end-to-end: REST v3 produce, acks=all (to the ack)', outcome.produceAck, 'acknowledged'],
    ['end-to-end REST v3 -> REST v2 long poll', outcome.restV2, `of ${outcome.produced} seen`],
    ['end-to-end REST v3 -> kafkajs consumer', outcome.kafkajs, `of ${outcome.produced} seen`],
  ] as const) {
    report.otherRow(what, recorder.summary(), 'record', `${recorder.count} ${note}`);
    report.series.push({ label: what, timeline: recorder.timeline(), cdf: recorder.cdf() });
  }
  report.results.endToEnd = {
    recordsPerSecond: E2E_RECORDS_PER_SECOND,
    produced: outcome.produced,
    produceAck: {
      latency: outcome.produceAck.summary(),
      timeline: outcome.produceAck.timeline(),
      cdf: outcome.produceAck.cdf(),
    },
    restV2: {
      latency: outcome.restV2.summary(),
      timeline: outcome.restV2.timeline(),
      cdf: outcome.restV2.cdf(),
    },
    kafkajs: {
      latency: outcome.kafkajs.summary(),
      timeline: outcome.kafkajs.timeline(),
      cdf: outcome.kafkajs.cdf(),
    },
  };
  await cluster.deleteTopic(topic);
}

export async function failoverPhase(run: BenchRun): Promise<void> {
  const { cluster, options, progress, report } = run;
  if (!cluster.owned) {
    progress.note('failover: skipped (a cluster the benchmark did not start is not killed)');
    return;
  }
  const topic = `bench-failover-${Date.now()}`;
  await cluster.createTopic(topic, 1);
  progress.note(
    `failover: ${options.kills} kills -9 of the partition leader, each to the first acknowledged produce (REST v3, acks=all)`,
  );
  const outcome = await measureFailover({ cluster, topic, kills: options.kills, progress });
  const summary = outcome.latency.summary();
  report.otherRow(
    `failover: leader kill -9 -> first acked produce (${options.kills} kills)`,
    summary,
    'kill',
    '',
  );
  report.results.failover = { samples: outcome.samples, latency: summary, cdf: outcome.latency.cdf() };
}
