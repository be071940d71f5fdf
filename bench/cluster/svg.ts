// Two hand-drawn SVG charts side by side: latency over time (p50 dashed, p99 solid, per second of each
// measurement) and latency CDFs (x: latency, log scale; y: fraction of samples at most that).
import type { CdfPoint, LatencySecond } from './latency.ts';

export interface Series {
  readonly label: string;
  readonly timeline: readonly LatencySecond[];
  readonly cdf: readonly CdfPoint[];
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
];
const WIDTH = 560;
const HEIGHT = 360;
const MARGIN = { left: 60, right: 20, top: 30, bottom: 45 };

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Powers of ten (and 2x, 5x) between the bounds: the ticks of a log axis in milliseconds. */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(low)); decade <= high; decade *= 10)
    for (const step of [1, 2, 5])
      if (decade * step >= low && decade * step <= high) ticks.push(decade * step);
  return ticks;
}

function panel(options: {
  readonly x0: number;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xTicks: readonly { at: number; text: string }[];
  readonly yTicks: readonly { at: number; text: string }[];
  readonly paths: readonly string[];
}): string {
  const { x0 } = options;
  const plotBottom = HEIGHT - MARGIN.bottom;
  const parts = [
    `<text x="${x0 + WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<rect x="${x0 + MARGIN.left}" y="${MARGIN.top}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${plotBottom - MARGIN.top}" fill="none" stroke="#888"/>`,
    ...options.xTicks.map(
      (tick) =>
        `<line x1="${tick.at}" y1="${MARGIN.top}" x2="${tick.at}" y2="${plotBottom}" stroke="#eee"/><text x="${tick.at}" y="${plotBottom + 14}" text-anchor="middle">${tick.text}</text>`,
    ),
    ...options.yTicks.map(
      (tick) =>
        `<line x1="${x0 + MARGIN.left}" y1="${tick.at}" x2="${x0 + WIDTH - MARGIN.right}" y2="${tick.at}" stroke="#eee"/><text x="${x0 + MARGIN.left - 4}" y="${tick.at + 4}" text-anchor="end">${tick.text}</text>`,
    ),
    `<text x="${x0 + WIDTH / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(${x0 + 14} ${HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    ...options.paths,
  ];
  return parts.join('\n');
}

export function latencySvg(title: string, series: readonly Series[]): string {
  const all = series.flatMap((one) => [
    ...one.timeline.flatMap((second) => [second.p50Ms, second.p99Ms]),
    ...one.cdf.map(([ms]) => ms),
  ]);
  const low = Math.max(0.01, 10 ** Math.floor(Math.log10(Math.min(...all.filter((ms) => ms > 0), 10))));
  const high = Math.max(...all, 10);
  const plotBottom = HEIGHT - MARGIN.bottom;
  const yLog = (ms: number) =>
    plotBottom -
    ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) *
      (plotBottom - MARGIN.top);
  const seconds = Math.max(1, ...series.flatMap((one) => one.timeline.map((second) => second.second + 1)));
  const xTime = (second: number) => MARGIN.left + (second / seconds) * (WIDTH - MARGIN.left - MARGIN.right);
  const x0Cdf = WIDTH;
  const xLog = (ms: number) =>
    x0Cdf +
    MARGIN.left +
    ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) *
      (WIDTH - MARGIN.left - MARGIN.right);
  const yFraction = (fraction: number) => plotBottom - fraction * (plotBottom - MARGIN.top);
  const line = (points: readonly (readonly [number, number])[], color: string, dashed: boolean) =>
    points.length === 0
      ? ''
      : `<polyline fill="none" stroke="${color}" stroke-width="1.5"${dashed ? ' stroke-dasharray="4 3"' : ''} points="${points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`;
  const msTicks = logTicks(low, high);
  const timePaths = series.flatMap((one, index) => {
    const color = COLORS[index % COLORS.length]!;
    const at = (second: LatencySecond) => xTime(second.second + 0.5);
    return [
      line(
        one.timeline.map((second) => [at(second), yLog(second.p50Ms)]),
        color,
        true,
      ),
      line(
        one.timeline.map((second) => [at(second), yLog(second.p99Ms)]),
        color,
        false,
      ),
    ];
  });
  const cdfPaths = series.map((one, index) =>
    line(
      one.cdf.map(([ms, fraction]) => [xLog(ms), yFraction(fraction)]),
      COLORS[index % COLORS.length]!,
      false,
    ),
  );
  const legend = series.map(
    (one, index) =>
      `<rect x="${MARGIN.left + (index % 3) * 360}" y="${HEIGHT + 8 + Math.floor(index / 3) * 18}" width="12" height="12" fill="${COLORS[index % COLORS.length]}"/>` +
      `<text x="${MARGIN.left + (index % 3) * 360 + 16}" y="${HEIGHT + 18 + Math.floor(index / 3) * 18}">${escapeXml(one.label)}</text>`,
  );
  const legendHeight = Math.ceil(series.length / 3) * 18 + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * WIDTH}" height="${HEIGHT + legendHeight}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel({
      x0: 0,
      title: 'Latency over time (p50 dashed, p99 solid, per second)',
      xLabel: 'seconds into the measurement',
      yLabel: 'latency (ms, log)',
      xTicks: Array.from({ length: Math.min(seconds, 10) + 1 }, (_, index) => {
        const second = Math.round((index * seconds) / Math.min(seconds, 10));
        return { at: xTime(second), text: String(second) };
      }),
      yTicks: msTicks.map((ms) => ({ at: yLog(ms), text: String(ms) })),
      paths: timePaths,
    }),
    panel({
      x0: x0Cdf,
      title: 'Latency CDF',
      xLabel: 'latency (ms, log)',
      yLabel: 'fraction of samples at most x',
      xTicks: msTicks.map((ms) => ({ at: xLog(ms), text: String(ms) })),
      yTicks: [0, 0.25, 0.5, 0.75, 0.9, 1].map((fraction) => ({
        at: yFraction(fraction),
        text: String(fraction),
      })),
      paths: cdfPaths,
    }),
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
