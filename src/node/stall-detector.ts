// Decides whether the node's main thread is wedged: its event loop has not beaten for `stallMs` while
// the process itself was running. Pure: the watchdog thread feeds it the time and the last beat.
//
// A paused process (SIGSTOP, a VM pause, the whole machine starved) stops the watchdog thread too; when
// it runs again the main thread has had no chance to beat yet. So a gap between two observations longer
// than `suspendedMs` means "the process was suspended", and the main thread is judged from then on.
import { assert } from '../../raft/assert.ts';

export class StallDetector {
  private readonly stallMs: number;
  private readonly suspendedMs: number;
  private lastObservationMs: number | null = null;
  /** Beats before this count as this: the process was suspended until then. */
  private resumedMs = Number.NEGATIVE_INFINITY;

  constructor(options: { stallMs: number; suspendedMs: number }) {
    assert(options.suspendedMs > 0 && options.stallMs > options.suspendedMs, 'stall bounds', options);
    this.stallMs = options.stallMs;
    this.suspendedMs = options.suspendedMs;
  }

  /** The main thread's last beat as of `nowMs`; returns how long it has been stalled, or null if it is not. */
  observe(nowMs: number, lastBeatMs: number): number | null {
    if (this.lastObservationMs !== null && nowMs - this.lastObservationMs > this.suspendedMs) {
      this.resumedMs = nowMs;
    }
    this.lastObservationMs = nowMs;
    const stalledMs = nowMs - Math.max(lastBeatMs, this.resumedMs);
    return stalledMs >= this.stallMs ? stalledMs : null;
  }
}
