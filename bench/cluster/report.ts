// The results of a run: the rows of the printed table, the series of the SVG charts, and the JSON file
// with every figure; and the run's context every measurement phase gets.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LatencySummary } from './latency.ts';
import type { BenchCluster } from './local-cluster.ts';
import type { BenchOptions } from './options.ts';
import type { ConsumeOutcome } from './kafka-clients.ts';
import { latencySvg, type Series } from './svg.ts';
import type { ProduceOutcome, Progress } from './workload.ts';

export interface TableRow {
  readonly what: string;
  readonly recordsPerSecond: number | null;
  readonly megabytesPerSecond: number | null;
  readonly latency: LatencySummary | null;
  /** What a latency sample times (a request of N records, a record, a kill...). */
  readonly latencyOf: string;
  readonly note: string;
}

/** What every measurement phase works with. */
export interface BenchRun {
  readonly cluster: BenchCluster;
  readonly options: BenchOptions;
  readonly progress: Progress;
  readonly report: RunReport;
}

export const perSecond = (count: number, seconds: number): number => (seconds > 0 ? count / seconds : 0);

export class RunReport {
  readonly rows: TableRow[] = [];
  readonly series: Series[] = [];
  /** The JSON file's content: each phase adds its key. */
  readonly results: Record<string, unknown>;
  readonly #startedAt: Date;

  constructor(startedAt: Date, header: Record<string, unknown>) {
    this.#startedAt = startedAt;
    this.results = { startedAt: startedAt.toISOString(), ...header };
  }

  /** A produce measurement's row (and its JSON); `note` adds to the failures it counts. */
  produceRow(what: string, outcome: ProduceOutcome, recordBytes: number, note: string): TableRow {
    const rate = perSecond(outcome.acked, outcome.seconds);
    const row: TableRow = {
      what,
      recordsPerSecond: rate,
      megabytesPerSecond: (rate * recordBytes) / 1e6,
      latency: outcome.latency.summary(),
      latencyOf: outcome.latencyUnit === 'record' ? 'record' : `request of ${outcome.recordsPerRequest}`,
      note: [outcome.failed > 0 ? `${outcome.failed} failed` : '', note]
        .filter((text) => text !== '')
        .join('; '),
    };
    this.rows.push(row);
    return row;
  }

  /**
   * A read of a whole log: records / the whole read, connecting (and kafkajs's group join) included; a
   * REST read's first answer already holds up to 4 MiB of every partition, so timing from the first
   * record on would flatter it.
   */
  consumeRow(what: string, outcome: ConsumeOutcome): TableRow {
    const row: TableRow = {
      what,
      recordsPerSecond: perSecond(outcome.records, outcome.seconds),
      megabytesPerSecond: perSecond(outcome.valueBytes, outcome.seconds) / 1e6,
      latency: null,
      latencyOf: '',
      note: `${outcome.records.toLocaleString('en-US')} records in ${outcome.seconds.toFixed(2)} s (${(outcome.firstRecordAfterSeconds ?? 0).toFixed(2)} s to the first)`,
    };
    this.rows.push(row);
    return row;
  }

  /** A row of latencies only (end-to-end, failover) or of a note only (a ratio). */
  otherRow(what: string, latency: LatencySummary | null, latencyOf: string, note: string): void {
    this.rows.push({ what, recordsPerSecond: null, megabytesPerSecond: null, latency, latencyOf, note });
  }

  /** Writes the JSON and the SVG, prints the table; returns the files' paths. */
  async write(outDir: string): Promise<{ json: string; svg: string }> {
    const stamp = this.#startedAt.toISOString().replace(/[:.]/g, '-');
    await mkdir(outDir, { recursive: true });
    const json = join(outDir, `${stamp}.json`);
    const svg = join(outDir, `${stamp}.svg`);
    this.results.table = this.rows;
    this.results.finishedAt = new Date().toISOString();
    await writeFile(json, `${JSON.stringify(this.results, null, 2)}\n`);
    await writeFile(
      svg,
      latencySvg(`kraftling cluster benchmark ${this.#startedAt.toISOString()}`, this.series),
    );
    return { json, svg };
  }
}

/** The JSON of a produce measurement: counts, percentiles, the per-second timeline and the CDF. */
export function produceJson(outcome: ProduceOutcome): Record<string, unknown> {
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

const number = (value: number | null, digits = 0) =>
  value === null
    ? '-'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const ms = (value: number | undefined) =>
  value === undefined
    ? '-'
    : value >= 100
      ? value.toFixed(0)
      : value >= 10
        ? value.toFixed(1)
        : value.toFixed(2);

export function formatTable(rows: readonly TableRow[]): string {
  const header = [
    'measurement',
    'records/s',
    'MB/s',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'max ms',
    'latency of',
    'note',
  ];
  const cells = rows.map((row) => [
    row.what,
    number(row.recordsPerSecond),
    number(row.megabytesPerSecond, 1),
    ms(row.latency?.p50Ms),
    ms(row.latency?.p90Ms),
    ms(row.latency?.p99Ms),
    ms(row.latency?.maxMs),
    row.latencyOf,
    row.note,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((cell) => cell[column]!.length)),
  );
  const numeric = new Set([1, 2, 3, 4, 5, 6]);
  const render = (cell: readonly string[]) =>
    `| ${cell.map((text, column) => (numeric.has(column) ? text.padStart(widths[column]!) : text.padEnd(widths[column]!))).join(' | ')} |`;
  return [
    render(header),
    `|${widths.map((width, column) => (numeric.has(column) ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`,
    ...cells.map(render),
  ].join('\n');
}
