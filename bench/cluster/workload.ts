// What every produce measurement shares: the cell of the matrix, its outcome, the closed loop that keeps
// a fixed number of requests in flight for a fixed time, and the progress line printed while it runs.
import { LatencyRecorder } from './latency.ts';

export const PRODUCE_PATHS = [
  'native-sdk',
  'rest-v2',
  'rest-v3',
  'kafkajs',
  'confluent-kafka-python',
] as const;
export type ProducePath = (typeof PRODUCE_PATHS)[number];
export type Acks = '1' | 'all';

export interface ProduceCell {
  readonly path: ProducePath;
  readonly recordBytes: number;
  readonly acks: Acks;
  readonly partitions: number;
}

/** What one latency sample times: a request (REST, kafkajs send) or one record (librdkafka's delivery report). */
export type LatencyUnit = 'request' | 'record';

export interface ProduceOutcome {
  readonly acked: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latency: LatencyRecorder;
  readonly latencyUnit: LatencyUnit;
  /** Records per request (REST, kafkajs), or the most records in flight (librdkafka's queue bound). */
  readonly recordsPerRequest: number;
}

/** How the client paths are shaped (the same for every path, so the figures compare). */
export interface LoadShape {
  /** Not measured: the first seconds of a measurement run the same load to warm everything up. */
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly recordsPerRequest: number;
  readonly inFlight: number;
}

export interface Counters {
  acked: number;
  failed: number;
}

/** What a closed loop measured after its warm-up. */
export interface Measured {
  readonly acked: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latency: LatencyRecorder;
}

/**
 * Runs `inFlight` loops, each sending one request after another for `warmupSeconds` then `seconds`; each
 * request reports how many records were acknowledged and how many failed. Closed loop: a slow cluster
 * sends less. Only requests sent after the warm-up (connections open, code paths compiled on the nodes
 * and here) are measured; `counters` (the progress line) count every request.
 */
export async function closedLoop(options: {
  readonly inFlight: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly counters: Counters;
  readonly send: (slot: number, round: number) => Promise<Counters>;
  /** Stops early once this is true (a fill up to a number of records). */
  readonly enough?: () => boolean;
}): Promise<Measured> {
  const measuredFrom = performance.now() + options.warmupSeconds * 1000;
  const deadline = measuredFrom + options.seconds * 1000;
  const latency = new LatencyRecorder(measuredFrom);
  let acked = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: options.inFlight }, async (_, slot) => {
      for (let round = 0; performance.now() < deadline && options.enough?.() !== true; round++) {
        const sent = performance.now();
        const answer = await options.send(slot, round);
        const ended = performance.now();
        options.counters.acked += answer.acked;
        options.counters.failed += answer.failed;
        if (sent < measuredFrom) continue;
        latency.record(ended - sent, ended);
        acked += answer.acked;
        failed += answer.failed;
      }
    }),
  );
  return { acked, failed, seconds: (performance.now() - measuredFrom) / 1000, latency };
}

/** A progress line, rewritten in place on a terminal, printed once a second while a measurement runs. */
export class Progress {
  readonly #tty = process.stderr.isTTY === true;
  #timer: NodeJS.Timeout | null = null;
  #label = '';

  start(label: string, counters: Counters | null): void {
    this.stop();
    this.#label = label;
    const started = performance.now();
    this.#write(`${label} ...`);
    this.#timer = setInterval(() => {
      const seconds = (performance.now() - started) / 1000;
      const rate =
        counters === null
          ? ''
          : `: ${counters.acked.toLocaleString('en-US')} acked (${Math.round(counters.acked / seconds).toLocaleString('en-US')}/s)` +
            (counters.failed > 0 ? `, ${counters.failed} failed` : '');
      this.#write(`${label} ${seconds.toFixed(0)} s${rate}`);
    }, 1000);
  }

  /** Ends the line with the measurement's one-line result. */
  done(result: string): void {
    this.stop();
    this.#write(`${this.#label} ${result}`, true);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  note(text: string): void {
    this.#write(text, true);
  }

  #write(text: string, final = false): void {
    if (this.#tty) process.stderr.write(`\r\x1b[2K${text}${final ? '\n' : ''}`);
    else process.stderr.write(`${text}\n`);
  }
}

/** Incompressible record values (random bytes), the same for every record of a measurement. */
export function recordValue(bytes: number): Buffer {
  const value = Buffer.alloc(bytes);
  for (let index = 0; index < bytes; index++) value[index] = Math.floor(Math.random() * 256);
  return value;
}
