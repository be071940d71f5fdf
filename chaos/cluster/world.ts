import { Violation } from '../checkers/violation.ts';
import { Prng } from '../sim/prng.ts';
import { type Microseconds, MS, Scheduler } from '../sim/scheduler.ts';
import { type NetworkConfig, type Protocol, RpcNetwork } from './rpc-network.ts';
import { Trace } from './trace.ts';

const JOURNAL_LINES = 80;

/** Lets every promise continuation that the last event started run to completion. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The simulated world of one run: the event queue, the root PRNG (forked per purpose), the network and
 * the trace. The code under test is asynchronous, so the run loop executes one scheduled event, then
 * waits until every microtask it caused has settled before the next: as long as nothing in the
 * simulated path uses a real timer, real I/O or unseeded randomness, a run is a pure function of its
 * seed (the determinism test compares trace digests).
 */
export class World<P extends Protocol> {
  readonly seed: number;
  readonly scheduler = new Scheduler();
  readonly root: Prng;
  readonly trace: Trace;
  readonly network: RpcNetwork<P>;
  private readonly journal: string[] = [];
  /** A violation found off the run loop (a client's callback): the loop throws it after the event. */
  private failure: unknown = null;
  private readonly eventsMax: number;

  constructor(options: {
    seed: number;
    network: NetworkConfig;
    eventsMax: number;
    notDuplicated?: readonly string[];
  }) {
    this.seed = options.seed;
    this.root = new Prng(options.seed);
    this.trace = new Trace(this.scheduler);
    this.eventsMax = options.eventsMax;
    this.network = new RpcNetwork<P>({
      scheduler: this.scheduler,
      random: this.root.fork('network'),
      config: options.network,
      trace: this.trace,
      ...(options.notDuplicated !== undefined ? { notDuplicated: options.notDuplicated } : {}),
    });
  }

  nowMs(): number {
    return this.scheduler.now() / MS;
  }

  /** The recent history (faults, crashes, elections), printed when a run fails. */
  note(text: string): void {
    this.trace.record('note', text);
    this.journal.push(`${this.nowMs().toFixed(3).padStart(10)} ms  ${text}`);
    if (this.journal.length > 2 * JOURNAL_LINES) this.journal.splice(0, this.journal.length - JOURNAL_LINES);
  }

  /** Reports a violation found in a callback; the run stops with it after the current event. */
  fail(error: unknown): void {
    this.failure ??= error;
  }

  recentJournal(): string[] {
    return this.journal.slice(-JOURNAL_LINES);
  }

  /**
   * Runs events up to `untilUs`, calling `afterEvent` (the checkers) after each one has settled, or
   * until `done()` holds (polled once per simulated millisecond). Returns whether `done()` held.
   */
  async runUntil(
    untilUs: Microseconds,
    afterEvent: () => void,
    done: () => boolean = () => false,
  ): Promise<boolean> {
    // A promise rejection nobody handles is a bug of the code under test (Node would end the process).
    let unhandled: unknown = null;
    const onUnhandled = (reason: unknown) => {
      unhandled ??= reason;
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      return await this.runEvents(untilUs, afterEvent, done, () => unhandled);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  }

  private async runEvents(
    untilUs: Microseconds,
    afterEvent: () => void,
    done: () => boolean,
    unhandled: () => unknown,
  ): Promise<boolean> {
    const { scheduler } = this;
    let checkedAtUs = -1;
    while (scheduler.runNext(untilUs)) {
      await settle();
      if (this.failure !== null) throw this.failure;
      const reason = unhandled();
      if (reason !== null) {
        const detail = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
        throw new Violation('unhandled-rejection', detail);
      }
      afterEvent();
      if (scheduler.eventsRun > this.eventsMax) {
        throw new Violation('liveness', `the run exceeded ${this.eventsMax} events`);
      }
      if (scheduler.now() - checkedAtUs < MS) continue;
      checkedAtUs = scheduler.now();
      if (done()) return true;
    }
    scheduler.advanceTo(untilUs);
    return done();
  }
}
