// The order of a partition's produces through this node when some are sent with acks=0. An acks=0
// request is answered before its records reach the leader; a later request to the same partition,
// whatever its acks, is sent only once those earlier sends have settled, so a client that sends one
// request after another through one node keeps its order, as on one Kafka connection. What acks=0 sends
// hold in memory is bounded: past `pendingBytesMax` an acks=0 request waits for its own sends.

/** Per app: a partition's unsettled acks=0 sends, and their bytes. */
export class PartitionSendOrder {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #pendingBytesMax: number;
  #pendingBytes = 0;

  constructor(pendingBytesMax: number) {
    this.#pendingBytesMax = pendingBytesMax;
  }

  /** Resolves once every acks=0 send to the partition registered so far has settled (never rejects). */
  settled(topic: string, partition: number): Promise<void> {
    return this.#tails.get(keyOf(topic, partition)) ?? Promise.resolve();
  }

  /**
   * Registers `send`, an acks=0 produce of `bytes` to the partition that started after `settled()`.
   * Returns whether the caller may answer without waiting for it (false: too much is pending).
   */
  track(topic: string, partition: number, send: Promise<unknown>, bytes: number): boolean {
    const key = keyOf(topic, partition);
    const tail = send.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    this.#pendingBytes += bytes;
    void tail.then(() => {
      this.#pendingBytes -= bytes;
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return this.#pendingBytes <= this.#pendingBytesMax;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
