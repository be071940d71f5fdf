// Latencies of one measurement: an HDR histogram of the whole run (hdr-histogram-js, microseconds, 3
// significant digits) and one per second of the run, for the latency-over-time chart.
import * as hdr from 'hdr-histogram-js';

type Histogram = ReturnType<typeof hdr.build>;

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** One second of the run: when (seconds since the start) and its percentiles. */
export interface LatencySecond {
  readonly second: number;
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The CDF as points (latency, fraction at most that), from the histogram's own percentile iteration. */
export type CdfPoint = readonly [latencyMs: number, fraction: number];

const newHistogram = (): Histogram =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

/**
 * A percentile as HdrHistogram gives it (the top of its bucket, within 0.1%), but never above the largest
 * value recorded: a p99 printed above the max (983 ms against 982) reads as a bug.
 */
function valueAt(histogram: Histogram, percentile: number): number {
  return Math.min(histogram.getValueAtPercentile(percentile), histogram.maxValue);
}

const CDF_PERCENTILES = [
  0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 97, 98, 99, 99.5, 99.9, 99.99, 100,
];

export class LatencyRecorder {
  readonly #total = newHistogram();
  readonly #seconds = new Map<number, Histogram>();
  readonly #startedMs: number;

  constructor(startedMs: number = performance.now()) {
    this.#startedMs = startedMs;
  }

  /** A latency that ended at `endedMs` (performance.now() time). */
  record(latencyMs: number, endedMs: number = performance.now()): void {
    this.recordAt(latencyMs, (endedMs - this.#startedMs) / 1000);
  }

  /** A latency that ended `atSeconds` after the start (for samples timed by another process). */
  recordAt(latencyMs: number, atSeconds: number): void {
    const micros = Math.max(1, Math.round(latencyMs * 1000));
    this.#total.recordValue(micros);
    const second = Math.max(0, Math.floor(atSeconds));
    let histogram = this.#seconds.get(second);
    if (histogram === undefined) {
      histogram = newHistogram();
      this.#seconds.set(second, histogram);
    }
    histogram.recordValue(micros);
  }

  get count(): number {
    return this.#total.totalCount;
  }

  summary(): LatencySummary {
    const at = (percentile: number) => valueAt(this.#total, percentile) / 1000;
    return {
      count: this.#total.totalCount,
      p50Ms: at(50),
      p90Ms: at(90),
      p99Ms: at(99),
      maxMs: this.#total.maxValue / 1000,
      meanMs: this.#total.mean / 1000,
    };
  }

  timeline(): LatencySecond[] {
    return [...this.#seconds.entries()]
      .sort(([a], [b]) => a - b)
      .map(([second, histogram]) => ({
        second,
        count: histogram.totalCount,
        p50Ms: valueAt(histogram, 50) / 1000,
        p99Ms: valueAt(histogram, 99) / 1000,
        maxMs: histogram.maxValue / 1000,
      }));
  }

  cdf(): CdfPoint[] {
    if (this.#total.totalCount === 0) return [];
    return CDF_PERCENTILES.map(
      (percentile): CdfPoint => [
        (percentile === 0 ? this.#total.minNonZeroValue : valueAt(this.#total, percentile)) / 1000,
        percentile / 100,
      ],
    );
  }
}
