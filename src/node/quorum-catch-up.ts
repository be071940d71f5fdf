// At start-up, learns the metadata quorum's high watermark (the active controller's linearizable read
// index) and hands it to the MetadataPublisher, which opens once the image has reached it. Asks again
// until it gets an answer: while there is no quorum there is none to get, and the gate stays shut.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { MetadataPublisher } from './metadata-publisher.ts';

export interface QuorumCatchUpOptions {
  /** The active controller's read index (the `read-index` controller RPC), within `timeoutMs`. */
  readonly readIndex: (timeoutMs: number) => Promise<number>;
  readonly publisher: MetadataPublisher;
  readonly timeoutMs: number;
  readonly retryBackoffMs: number;
  /** Aborted when the node stops. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export async function catchUpWithQuorum(options: QuorumCatchUpOptions): Promise<void> {
  const { publisher, signal, logger } = options;
  for (let attempt = 1; !signal.aborted && !publisher.hasHighWatermark(); attempt++) {
    try {
      const offset = await options.readIndex(options.timeoutMs);
      if (signal.aborted) return;
      publisher.learnedHighWatermark(offset);
      logger.info(publisher.describe(), 'learned the metadata high watermark; publishing once caught up');
    } catch (error) {
      if (signal.aborted) return;
      // The first failure and then every tenth: without a quorum this repeats for as long as it lasts.
      if (attempt % 10 === 1) {
        logger.warn(
          { err: error, attempt },
          'no metadata high watermark from the quorum yet; data plane waits',
        );
      }
      await sleep(options.retryBackoffMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
