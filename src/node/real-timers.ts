// The real clock and timers for the data plane (src/replication/timers.ts).
import type { Timers } from '../replication/timers.ts';

export const realTimers: Timers = {
  nowMs: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
