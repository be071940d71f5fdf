import type { Microseconds } from './scheduler.ts';

/**
 * A node's local clock: it runs at `rate` times simulated time (clock-rate skew, as a VM that is
 * starved or a crystal that drifts). The node ticks its RaftNode every `tickUs` of its own time, so a
 * fast clock times out elections early and a slow one sends heartbeats late.
 */
export class NodeClock {
  private readonly tickUs: Microseconds;
  private rateValue = 1;

  constructor(tickUs: Microseconds) {
    this.tickUs = tickUs;
  }

  get rate(): number {
    return this.rateValue;
  }

  setRate(rate: number): void {
    if (!(rate > 0)) throw new RangeError(`clock rate must be positive, got ${rate}`);
    this.rateValue = rate;
  }

  /** Simulated time until this node's next tick. */
  tickIntervalUs(): Microseconds {
    return Math.max(1, Math.round(this.tickUs / this.rateValue));
  }
}
