// Fail-stop for a wedged event loop. A node whose main thread stops turning (seen: Node's HTTP/2 core
// spinning in Http2Session::SendPendingData until the process runs out of memory, after undici 8.12
// aborted a request stream mid-transfer; undici 8.14.1 fixed it, test/replication/h2c-clients.test.ts
// keeps it so) still holds its sockets open: its peers' requests and Raft messages stall
// instead of failing, the controller counts it alive until its session times out, and nothing restarts
// it. Better dead than wedged: a worker thread watches the main thread's beats and kills the process
// (SIGKILL: the main thread cannot run a handler) once it has not beaten for `stallMs`, so that the
// supervisor restarts it and its peers see refused connections. Kafka relies on the JVM for this. A
// thread wedged in native code (no JavaScript runs: the inspector cannot pause it) that spins on the CPU
// is killed after `nativeStallMs` and a probe, not after the whole `stallMs` meant for long JavaScript.
import { Worker } from 'node:worker_threads';

/** Indexes of the shared Float64Array: the main thread's last beat, and when the worker saw a stall. */
export const LAST_BEAT = 0;
export const STALLED_AT = 1;

export interface WatchdogOptions {
  /** How long the main thread may not beat before the process is killed. */
  readonly stallMs: number;
  /** How often the main thread beats and the watchdog looks (a fraction of stallMs). */
  readonly intervalMs: number;
  /**
   * A main thread stalled this long is probed: if the inspector cannot pause it (it runs no JavaScript)
   * while it spins on the CPU, it is wedged in native code (seen: Node's HTTP/2 send loop) and the
   * process is killed then, not at `stallMs`. Default 2500; at or above `stallMs`: no probe.
   */
  readonly nativeStallMs?: number;
  /** Tests: report the stall here (on the main thread, once it runs again) instead of killing. */
  readonly onStall?: (stalledMs: number) => void;
}

export class EventLoopWatchdog {
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;

  private constructor(worker: Worker, timer: NodeJS.Timeout) {
    this.worker = worker;
    this.timer = timer;
  }

  static start(options: WatchdogOptions): EventLoopWatchdog {
    const shared = new Float64Array(new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT));
    shared[LAST_BEAT] = Date.now();
    const worker = new Worker(new URL('./event-loop-watchdog-worker.ts', import.meta.url), {
      workerData: {
        shared,
        stallMs: options.stallMs,
        intervalMs: options.intervalMs,
        nativeStallMs: options.nativeStallMs ?? 2_500,
        kill: options.onStall === undefined,
      },
    });
    worker.unref();
    worker.on('error', (error) => process.stderr.write(`event loop watchdog failed: ${error.message}\n`));
    if (options.onStall !== undefined) {
      const onStall = options.onStall;
      worker.on('message', (stalledMs: number) => onStall(stalledMs));
    }
    const timer = setInterval(() => {
      shared[LAST_BEAT] = Date.now();
    }, options.intervalMs);
    timer.unref();
    return new EventLoopWatchdog(worker, timer);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.worker.terminate();
  }
}
