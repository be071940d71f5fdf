import type { Cancel, Timers } from '../../src/replication/timers.ts';
import type { Microseconds, Scheduler } from '../sim/scheduler.ts';

interface PendingTimer {
  readonly deadlineLocalUs: number;
  /** Bumped by every scheduling: only the latest scheduled event fires it. */
  generation: number;
  readonly fire: () => void;
}

/** Simulated wall clocks start here (2026-01-01), so that times look like Date.now() values. */
const EPOCH_MS = 1_767_225_600_000;

/**
 * One server process as the world sees it: an incarnation (bumped by every crash and start, so work of
 * a dead incarnation never runs), a pause (SIGSTOP: nothing runs, work waits in order), and a local clock
 * that runs at `rate` times simulated time. Everything that happens to a process — a timer, a message,
 * an fsync completing — goes through `run`, so crash and pause apply to all of it alike.
 */
export class SimProcess {
  readonly name: string;
  private readonly scheduler: Scheduler;
  private incarnationValue = 0;
  private aliveValue = false;
  /** The machine answers (a connection to a dead process is refused) unless it lost power. */
  private hostUpValue = false;
  private pausedValue = false;
  private deferred: (() => void)[] = [];
  /** Timers of the live incarnation not yet fired (a crash or a start forgets them). */
  private readonly pendingTimers = new Set<PendingTimer>();
  /** Local time at the last rate change, and the simulated time of that change. */
  private anchorLocalUs: Microseconds;
  private anchorSimUs: Microseconds;
  private rateValue = 1;
  /** The process's Timers port: its local clock, timers that die with the incarnation. */
  readonly timers: Timers;

  constructor(name: string, scheduler: Scheduler, clockOffsetMs: number) {
    this.name = name;
    this.scheduler = scheduler;
    this.anchorSimUs = scheduler.now();
    this.anchorLocalUs = (EPOCH_MS + clockOffsetMs) * 1000;
    this.timers = {
      nowMs: () => Math.floor(this.localUs() / 1000),
      setTimeout: (fn, ms) => this.setTimer(fn, ms),
    };
  }

  get alive(): boolean {
    return this.aliveValue;
  }

  get hostUp(): boolean {
    return this.hostUpValue;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  get incarnation(): number {
    return this.incarnationValue;
  }

  get rate(): number {
    return this.rateValue;
  }

  start(): void {
    this.pendingTimers.clear();
    this.incarnationValue++;
    this.aliveValue = true;
    this.hostUpValue = true;
    this.pausedValue = false;
    this.deferred = [];
  }

  /**
   * kill -9 (the host stays up and refuses connections) or power loss (the host is silent until it
   * starts again): every timer, message and callback of this incarnation is dropped.
   */
  crash(options: { hostDown: boolean }): void {
    this.pendingTimers.clear();
    this.incarnationValue++;
    this.aliveValue = false;
    this.hostUpValue = !options.hostDown;
    this.pausedValue = false;
    this.deferred = [];
  }

  pause(): void {
    if (this.aliveValue) this.pausedValue = true;
  }

  resume(): void {
    if (!this.pausedValue) return;
    this.pausedValue = false;
    const work = this.deferred;
    this.deferred = [];
    for (const fn of work) fn();
  }

  setRate(rate: number): void {
    if (!(rate > 0)) throw new RangeError(`clock rate must be positive, got ${rate}`);
    this.anchorLocalUs = this.localUs();
    this.anchorSimUs = this.scheduler.now();
    this.rateValue = rate;
    for (const timer of this.pendingTimers) this.arm(timer);
  }

  /** Wraps `fn` so that it runs only in this incarnation, and only once the process is not paused. */
  bind<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    const incarnation = this.incarnationValue;
    return (...args) => this.run(incarnation, () => fn(...args));
  }

  /** Runs `fn` now if `incarnation` is still the live one, later if paused, never if it died. */
  run(incarnation: number, fn: () => void): void {
    if (!this.aliveValue || incarnation !== this.incarnationValue) return;
    if (this.pausedValue) this.deferred.push(fn);
    else fn();
  }

  private localUs(): Microseconds {
    return this.anchorLocalUs + (this.scheduler.now() - this.anchorSimUs) * this.rateValue;
  }

  /**
   * A timer fires when this process's local clock reaches its deadline. The simulated time of that
   * depends on the rate, so a rate change (setRate) schedules every pending timer again: a timer armed
   * while the clock was slow fires on time once it runs normally again.
   */
  private setTimer(fn: () => void, ms: number): Cancel {
    const timer: PendingTimer = {
      deadlineLocalUs: this.localUs() + Math.max(0, ms) * 1000,
      generation: 0,
      fire: this.bind(() => {
        this.pendingTimers.delete(timer);
        fn();
      }),
    };
    this.pendingTimers.add(timer);
    this.arm(timer);
    return () => {
      this.pendingTimers.delete(timer);
    };
  }

  private arm(timer: PendingTimer): void {
    const generation = ++timer.generation;
    const delayUs = Math.max(0, Math.ceil((timer.deadlineLocalUs - this.localUs()) / this.rateValue));
    this.scheduler.after(delayUs, () => {
      if (timer.generation === generation && this.pendingTimers.has(timer)) timer.fire();
    });
  }
}
