// The results of a run: rows of the printed table, and the JSON file with every figure.
import type { LatencySummary } from './latency.ts';

export interface TableRow {
  readonly what: string;
  readonly recordsPerSecond: number | null;
  readonly megabytesPerSecond: number | null;
  readonly latency: LatencySummary | null;
  /** What a latency sample times (a request of N records, a record, a kill...). */
  readonly latencyOf: string;
  readonly note: string;
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
