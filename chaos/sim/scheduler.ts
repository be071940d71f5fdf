// Simulated time and the event queue. Time is an integer count of microseconds; events run in order of
// time, then of scheduling (a sequence number), so a run is a pure function of its seed.

export type Microseconds = number;

export const MS: Microseconds = 1000;

interface ScheduledEvent {
  readonly time: Microseconds;
  readonly sequence: number;
  readonly run: () => void;
}

export class Scheduler {
  private nowUs: Microseconds = 0;
  private sequence = 0;
  private readonly heap: ScheduledEvent[] = [];
  /** Events run so far: a bound on runaway runs and a throughput statistic. */
  eventsRun = 0;

  now(): Microseconds {
    return this.nowUs;
  }

  pending(): number {
    return this.heap.length;
  }

  at(time: Microseconds, run: () => void): void {
    if (!Number.isInteger(time) || time < this.nowUs) {
      throw new Error(`scheduler: event at ${time} us is not an integer time >= now (${this.nowUs} us)`);
    }
    this.push({ time, sequence: this.sequence++, run });
  }

  after(delay: Microseconds, run: () => void): void {
    this.at(this.nowUs + Math.max(0, Math.round(delay)), run);
  }

  /** Runs the next event if it is due at or before `until`; returns false when none is. */
  runNext(until: Microseconds): boolean {
    const next = this.heap[0];
    if (next === undefined || next.time > until) return false;
    this.pop();
    this.nowUs = next.time;
    this.eventsRun++;
    next.run();
    return true;
  }

  /** Moves the clock to `time` when no event is due before it (used at phase boundaries). */
  advanceTo(time: Microseconds): void {
    const next = this.heap[0];
    if (next !== undefined && next.time < time) throw new Error('scheduler: advancing past pending events');
    if (time > this.nowUs) this.nowUs = time;
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.sequence < b.sequence);
}
