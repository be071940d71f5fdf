// The scaling benchmark's tables (markdown), one per section, from the results the sections return.
import type { MemoryResult, NodeMemory } from './memory.ts';
import type { PartitionsResult } from './partitions.ts';
import type { TopicsResult } from './topics.ts';

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => value.toFixed(1);
const seconds = (valueMs: number) => (valueMs / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, index) => (index === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function partitionsTable(results: readonly PartitionsResult[]): string {
  const rows = results.map((r) => [
    count(r.partitions),
    ms(r.createAnsweredMs),
    ms(r.ready.leadersMs),
    ms(r.ready.fullIsrMs),
    ms(r.ready.writableMs),
    count(r.produce.recordsPerSecond),
    r.produce.megabytesPerSecond.toFixed(1),
    ms(r.produce.latency.p50Ms),
    ms(r.produce.latency.p99Ms),
    `${count(r.spread.written)} (${count(r.spread.minPerPartition)}-${count(r.spread.maxPerPartition)})`,
    count(r.consume.recordsPerSecond),
  ]);
  const notes = results
    .filter((r) => r.produce.failed > 0 || r.consume.records < r.spread.records)
    .map(
      (r) =>
        `- ${r.partitions} partitions: ${r.produce.failed} records failed; read ${count(r.consume.records)} of ${count(r.spread.records)}`,
    );
  return [
    '### Partitions (100 B, acks=all, SDK Producer, sticky partitioner, 16 groups of 500 in flight)',
    '',
    table(
      [
        'partitions',
        'create answered ms',
        'led on all nodes ms',
        'full ISR ms',
        'written to all ms',
        'records/s',
        'MB/s',
        'p50 ms / group',
        'p99 ms / group',
        'partitions written (min-max records)',
        'consume records/s',
      ],
      rows,
    ),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

export function topicsTable(results: readonly TopicsResult[]): string {
  const rows = results.map((r) => [
    r.mode,
    count(r.topics),
    seconds(r.answeredMs),
    seconds(r.ready.leadersMs),
    seconds(r.ready.fullIsrMs),
    seconds(r.ready.writableMs),
    r.topicsPerSecond.toFixed(0),
    r.perCall === null ? '-' : `${ms(r.perCall.p50Ms)} / ${ms(r.perCall.p99Ms)}`,
    seconds(r.deleteAnsweredMs),
    seconds(r.deleteGoneMs),
  ]);
  return [
    '### Creating topics (1 partition, RF 3, SDK Admin)',
    '',
    table(
      [
        'createTopics',
        'topics',
        'answered s',
        'led on all nodes s',
        'full ISR s',
        'written to all s',
        'topics/s (to written)',
        'per call p50 / p99 ms',
        'delete answered s',
        'gone from all nodes s',
      ],
      rows,
    ),
  ].join('\n');
}

const figures = (m: NodeMemory) =>
  `${mib(m.rssBytes)} / ${m.heapUsedBytes === null ? '-' : mib(m.heapUsedBytes)} / ${m.openFds} / ${m.cpuPercent.toFixed(1)}`;

export function memoryTable(result: MemoryResult): string {
  const rows = result.nodes.map((n) => [
    String(n.nodeId),
    count(n.replicas),
    figures(n.before),
    figures(n.after),
    figures(n.afterDelete),
    kib(n.rssBytesPerReplica),
    n.heapBytesPerReplica === null ? '-' : kib(n.heapBytesPerReplica),
    n.fdsPerReplica.toFixed(2),
  ]);
  return [
    `### Memory per partition (${count(result.partitions)} idle partitions in ${count(result.topics)} topics, RF ${result.replicationFactor})`,
    '',
    'before / after / after delete: RSS MiB / heap used MiB / open fds / CPU % of a core (idle), medians',
    '',
    table(
      [
        'node',
        'replicas',
        'before',
        'after',
        'after delete',
        'RSS KiB / replica',
        'heap KiB / replica',
        'fds / replica',
      ],
      rows,
    ),
  ].join('\n');
}
