// The clock and timers of the data plane, injected (src/node/real-timers.ts gives the real ones), so
// the same code can run on a simulated clock.

/** Cancels a timer; calling it after the timer fired, or twice, does nothing. */
export type Cancel = () => void;

export interface Timers {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /** Runs `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number): Cancel;
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const cancel = timers.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs `fn` every `ms` until the returned function is called. */
export function every(timers: Timers, ms: number, fn: () => void): Cancel {
  let cancel: Cancel = () => undefined;
  let stopped = false;
  const arm = () => {
    cancel = timers.setTimeout(() => {
      if (stopped) return;
      arm();
      fn();
    }, ms);
  };
  arm();
  return () => {
    stopped = true;
    cancel();
  };
}
