import type { MetadataPublisher } from '../../src/node/metadata-publisher.ts';
import { sleep, type Timers } from '../../src/replication/timers.ts';

/**
 * src/node/quorum-catch-up.ts on the simulated clock: learns the quorum's high watermark (the active
 * controller's read index) and hands it to the MetadataPublisher, asking again after a backoff until it
 * gets one. The product's loop sleeps on node:timers/promises, which the simulation cannot drive; this
 * is the same loop over the Timers port (the product module should take that port: see the report).
 */
export async function catchUpWithQuorum(options: {
  readIndex: (timeoutMs: number) => Promise<number>;
  publisher: MetadataPublisher;
  timeoutMs: number;
  retryBackoffMs: number;
  timers: Timers;
}): Promise<void> {
  const { publisher } = options;
  const never = new AbortController().signal;
  while (!publisher.hasHighWatermark()) {
    try {
      publisher.learnedHighWatermark(await options.readIndex(options.timeoutMs));
    } catch {
      await sleep(options.timers, options.retryBackoffMs, never);
    }
  }
}
