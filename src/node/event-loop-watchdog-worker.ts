// The watchdog thread of event-loop-watchdog.ts: observes the main thread's beats and, on a stall,
// writes one line to stderr (synchronously: the main thread's logger cannot run) and kills the process.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { LAST_BEAT, STALLED_AT } from './event-loop-watchdog.ts';
import { StallDetector } from './stall-detector.ts';

interface WatchdogData {
  readonly shared: Float64Array;
  readonly stallMs: number;
  readonly intervalMs: number;
  readonly kill: boolean;
}

const data = workerData as WatchdogData;
// A pause is a gap of several missed looks (at least a second), and always shorter than a stall.
const suspendedMs = Math.min(data.stallMs / 2, Math.max(4 * data.intervalMs, 1000));
const detector = new StallDetector({ stallMs: data.stallMs, suspendedMs });
setInterval(() => {
  const stalledMs = detector.observe(Date.now(), data.shared[LAST_BEAT]!);
  if (stalledMs === null || data.shared[STALLED_AT] !== 0) return;
  data.shared[STALLED_AT] = Date.now();
  if (!data.kill) {
    parentPort?.postMessage(stalledMs);
    return;
  }
  writeSync(
    2,
    `${JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, stalledMs, msg: 'event loop stalled: killing the process (watchdog)' })}\n`,
  );
  process.kill(process.pid, 'SIGKILL');
}, data.intervalMs);
