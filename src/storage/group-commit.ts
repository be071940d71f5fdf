// Group commit: callers that need durability share fsyncs. A caller waits for the flush in progress
// (which may not cover its writes), then starts the next one unless another waiter already did; one
// fsync round thus covers every append that completed before it started (design §9: an fsync costs
// ~150 us, so durable throughput needs many batches per fsync).

export class GroupCommit {
  private readonly flushOnce: () => Promise<void>;
  private running: Promise<void> | null = null;

  /** `flushOnce` makes everything written so far durable. */
  constructor(flushOnce: () => Promise<void>) {
    this.flushOnce = flushOnce;
  }

  /** Runs flush rounds until `isDurable()` holds (it may throw to give up). */
  async waitUntil(isDurable: () => boolean): Promise<void> {
    while (!isDurable()) {
      this.running ??= this.flushOnce().finally(() => {
        this.running = null;
      });
      await this.running;
    }
  }

  /** Settles when no flush round is running (a failed round counts as settled). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
