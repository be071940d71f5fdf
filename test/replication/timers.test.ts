import { describe, expect, it } from 'vitest';
import { type Cancel, every, sleep, type Timers } from '../../src/replication/timers.ts';

/** A manual clock: timers fire only when the test advances it. */
class ManualTimers implements Timers {
  private now = 0;
  private readonly due: Array<{ atMs: number; fn: () => void; cancelled: boolean }> = [];
  nowMs(): number {
    return this.now;
  }
  setTimeout(fn: () => void, ms: number): Cancel {
    const entry = { atMs: this.now + ms, fn, cancelled: false };
    this.due.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const next = this.due
        .filter((entry) => !entry.cancelled && entry.atMs <= until)
        .sort((a, b) => a.atMs - b.atMs)[0];
      if (next === undefined) break;
      this.now = next.atMs;
      next.cancelled = true;
      next.fn();
    }
    this.now = until;
  }
}

describe('timers', () => {
  it('every runs on the injected clock until cancelled', () => {
    const timers = new ManualTimers();
    const runs: number[] = [];
    const stop = every(timers, 10, () => runs.push(timers.nowMs()));
    timers.advance(35);
    expect(runs).toEqual([10, 20, 30]);
    stop();
    timers.advance(100);
    expect(runs).toEqual([10, 20, 30]);
  });

  it('sleep resolves when the clock passes it, or at once on abort', async () => {
    const timers = new ManualTimers();
    let slept = false;
    const sleeping = sleep(timers, 50, new AbortController().signal).then(() => {
      slept = true;
    });
    timers.advance(49);
    await Promise.resolve();
    expect(slept).toBe(false);
    timers.advance(1);
    await sleeping;
    expect(slept).toBe(true);
    const abort = new AbortController();
    const aborted = sleep(timers, 1_000_000, abort.signal);
    abort.abort();
    await aborted;
  });
});
