// Lets callers wait until this node's metadata image reaches an offset (read-your-writes: an admin
// write answered by the controller is visible through the node that forwarded it before it answers).
import { KafkaError } from '../common/kafka-errors.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { Cancel, Timers } from '../replication/timers.ts';
import { realTimers } from './real-timers.ts';

interface Waiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly cancel: Cancel;
}

export class ImageWatch {
  private current: () => MetadataImage;
  private waiters: Waiter[] = [];
  private readonly timers: Timers;

  /** `timers`: the waits' deadlines (default: the real clock; the whole-cluster simulation's otherwise). */
  constructor(current: () => MetadataImage, timers: Timers = realTimers) {
    this.current = current;
    this.timers = timers;
  }

  /** Called after every applied batch. */
  applied(image: MetadataImage): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((waiter) => waiter.offset <= image.offset);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.offset > image.offset);
    for (const waiter of ready) {
      waiter.cancel();
      waiter.resolve();
    }
  }

  waitFor(offset: number, timeoutMs: number): Promise<void> {
    if (this.current().offset >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        offset,
        resolve,
        cancel: this.timers.setTimeout(() => {
          this.waiters = this.waiters.filter((other) => other !== waiter);
          reject(
            new KafkaError(
              'REQUEST_TIMED_OUT',
              `The change committed at metadata offset ${offset}, but this node has not applied it within ${timeoutMs} ms.`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  close(): void {
    for (const waiter of this.waiters) waiter.cancel();
    this.waiters = [];
  }
}
