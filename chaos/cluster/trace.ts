import type { Scheduler } from '../sim/scheduler.ts';

/**
 * A running FNV-1a hash over everything that happens in a run (deliveries, drops, faults, with their
 * simulated time): two runs of one seed must end with the same hash, or something outside the
 * simulation (a real timer, Math.random, I/O) leaked into it.
 */
export class Trace {
  private readonly scheduler: Scheduler;
  private hash = 0x811c9dc5;
  events = 0;

  constructor(scheduler: Scheduler) {
    this.scheduler = scheduler;
  }

  record(...parts: readonly (string | number)[]): void {
    this.events++;
    this.mix(String(this.scheduler.now()));
    for (const part of parts) this.mix(`|${part}`);
    this.mix('\n');
  }

  digest(): string {
    return (this.hash >>> 0).toString(16).padStart(8, '0');
  }

  private mix(text: string): void {
    let hash = this.hash;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    this.hash = hash;
  }
}
