// Kafka's MetadataLoader rule: the components that act on the metadata image for data (the replica
// manager, the group coordinator, the data and group services' routing) get no image until this node has
// caught up with the metadata quorum, then every image applied from then on.
//
// Why: a restarting node recovers its image from its own log, and that log's commit index may stop
// before the last committed record (a hard state that only moves the commit index is not fsynced, see
// raft/driver.ts). Acted on, such an image makes a former partition leader lead an epoch the controller
// has long replaced, and make followers truncate acknowledged records.
//
// "Caught up" means: the applied offset has reached a high watermark learned from the quorum after this
// process started, a linearizable read index of the active controller (Raft thesis §6.4, RaftNode
// .readIndex): it is at least every offset committed before it was asked for, hence every offset committed
// before this process started. Commit indexes carried by Raft messages would not do: a deposed leader
// that has not noticed yet can still send its stale one in its old term. A node that leads the quorum
// itself answers its own read index (once it has committed an entry of its term, its commit index covers
// every earlier one); a single-node cluster too. Without a quorum the gate stays shut: that is the point.
//
// On a broker, the image must also hold this process's own registration (see MetadataPublisherOptions).
import { assert } from '../../raft/assert.ts';
import type { MetadataImage } from '../metadata/image.ts';

/** A component that acts on each published image (Kafka's MetadataPublisher). */
export type ImageConsumer = (image: MetadataImage) => void;

export interface MetadataPublisherOptions {
  /**
   * On a broker: whether an image holds this process's own registration (its incarnation id). Kafka's
   * broker is caught up only once its metadata offset reaches its own registration record: before it,
   * the image may still show the previous incarnation leading partitions (the controller fences a
   * previous incarnation when the new one registers), and a broker restarted after a power loss, with a
   * log that lost its unsynced tail, would lead an epoch it led before under a follower that kept it.
   */
  readonly registeredHere?: (image: MetadataImage) => boolean;
}

export class MetadataPublisher {
  private readonly options: MetadataPublisherOptions;
  private readonly consumers: ImageConsumer[] = [];
  /** The newest image the state machine applied (published or not). */
  private latest: MetadataImage | null = null;
  private published: MetadataImage | null = null;
  /** The quorum's high watermark as first learned after start; null until then. */
  private highWatermark: number | null = null;

  constructor(options: MetadataPublisherOptions = {}) {
    this.options = options;
  }

  /** Adds a component; it gets the current image at once when the gate is already open. */
  subscribe(consumer: ImageConsumer): void {
    this.consumers.push(consumer);
    if (this.published !== null) consumer(this.published);
  }

  /** The state machine applied a batch or restored a snapshot: `image` is this node's newest image. */
  applied(image: MetadataImage): void {
    assert(this.latest === null || image.offset >= this.latest.offset, 'applied images only move forward', {
      previous: this.latest?.offset,
      offset: image.offset,
    });
    this.latest = image;
    if (this.published !== null) this.publish(image);
    else this.maybeOpen();
  }

  /**
   * A high watermark of the quorum learned after this process started (the active controller's read
   * index). The first one is the target; later ones add nothing (any one of them covers the start).
   */
  learnedHighWatermark(offset: number): void {
    assert(Number.isSafeInteger(offset) && offset >= 0, 'a high watermark is an offset', { offset });
    if (this.highWatermark !== null) return;
    this.highWatermark = offset;
    this.maybeOpen();
  }

  /** Whether a high watermark has been learned (the catch-up loop stops asking then). */
  hasHighWatermark(): boolean {
    return this.highWatermark !== null;
  }

  /** True once the components have been given an image. It never closes again. */
  isOpen(): boolean {
    return this.published !== null;
  }

  /** The image the components act on; null until caught up. */
  image(): MetadataImage | null {
    return this.published;
  }

  /** Where the gate stands, for logs and status. */
  describe(): { open: boolean; appliedOffset: number | null; highWatermark: number | null } {
    return {
      open: this.isOpen(),
      appliedOffset: this.latest?.offset ?? null,
      highWatermark: this.highWatermark,
    };
  }

  private maybeOpen(): void {
    const image = this.latest;
    if (this.highWatermark === null || image === null || image.offset < this.highWatermark) return;
    if (this.options.registeredHere !== undefined && !this.options.registeredHere(image)) return;
    this.publish(image);
  }

  private publish(image: MetadataImage): void {
    this.published = image;
    for (const consumer of this.consumers) consumer(image);
  }
}
