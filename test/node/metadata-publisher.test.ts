// The MetadataLoader rule (issue 6, finding 1): the data plane gets no image until the node has applied up
// to a high watermark learned from the quorum after it started, then every image.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { brokerEpoch, brokerId, metadataOffset } from '../../src/metadata/ids.ts';
import { emptyImage, type MetadataImage } from '../../src/metadata/image.ts';
import { MetadataPublisher } from '../../src/node/metadata-publisher.ts';
import { catchUpWithQuorum } from '../../src/node/quorum-catch-up.ts';

const silent = pino({ level: 'silent' });

function imageAt(offset: number): MetadataImage {
  return { ...emptyImage(), offset: metadataOffset(offset) };
}

/** A publisher and the offsets each of its two components was given. */
function gate() {
  const publisher = new MetadataPublisher();
  const replicas: number[] = [];
  const coordinator: number[] = [];
  publisher.subscribe((image) => replicas.push(image.offset));
  publisher.subscribe((image) => coordinator.push(image.offset));
  return { publisher, replicas, coordinator };
}

describe('MetadataPublisher', () => {
  it('publishes nothing of a stale image recovered at start until the quorum high watermark is reached', () => {
    const { publisher, replicas, coordinator } = gate();
    publisher.applied(imageAt(5)); // what the restarted node's own log committed
    expect(replicas).toEqual([]);
    publisher.learnedHighWatermark(9);
    publisher.applied(imageAt(7));
    expect(publisher.isOpen()).toBe(false);
    expect(publisher.image()).toBeNull();
    expect(replicas).toEqual([]);
    publisher.applied(imageAt(9));
    expect(replicas).toEqual([9]);
    expect(coordinator).toEqual([9]);
    // From then on every applied image goes out.
    publisher.applied(imageAt(10));
    publisher.applied(imageAt(14));
    expect(replicas).toEqual([9, 10, 14]);
    expect(publisher.image()?.offset).toBe(14);
  });

  it('stays shut without a high watermark, however far the local log goes', () => {
    const { publisher, replicas } = gate();
    for (let offset = 1; offset <= 50; offset++) publisher.applied(imageAt(offset));
    expect(publisher.isOpen()).toBe(false);
    expect(replicas).toEqual([]);
  });

  it('opens at once when the image already covers the high watermark learned', () => {
    const { publisher, replicas } = gate();
    publisher.applied(imageAt(12));
    publisher.learnedHighWatermark(12);
    expect(replicas).toEqual([12]);
  });

  it('keeps the first high watermark learned; a late subscriber gets the current image', () => {
    const { publisher, replicas } = gate();
    publisher.learnedHighWatermark(3);
    publisher.learnedHighWatermark(100);
    publisher.applied(imageAt(3));
    expect(replicas).toEqual([3]);
    const late: number[] = [];
    publisher.subscribe((image) => late.push(image.offset));
    expect(late).toEqual([3]);
  });

  it("on a broker, waits for the image that holds this process's own registration", () => {
    // Kafka's isCaughtUp: before its own RegisterBroker record, the image may show the previous
    // incarnation leading partitions that the controller fences when this one registers.
    const registered = (offset: number, incarnationId: string): MetadataImage => {
      const image = imageAt(offset);
      const broker = {
        id: brokerId(1),
        incarnationId,
        epoch: brokerEpoch(offset),
        endpoints: [],
        rack: null,
        fenced: true,
        inControlledShutdown: false,
        processRoles: ['broker'],
      };
      return { ...image, brokers: new Map([[brokerId(1), broker]]) };
    };
    const publisher = new MetadataPublisher({
      registeredHere: (image) => image.brokers.get(brokerId(1))?.incarnationId === 'this-process',
    });
    const published: number[] = [];
    publisher.subscribe((image) => published.push(image.offset));
    publisher.learnedHighWatermark(4);
    publisher.applied(registered(5, 'previous-process'));
    publisher.applied(registered(6, 'previous-process'));
    expect(publisher.isOpen()).toBe(false);
    publisher.applied(registered(7, 'this-process'));
    expect(published).toEqual([7]);
  });

  it('refuses an image older than the last one applied', () => {
    const { publisher } = gate();
    publisher.applied(imageAt(4));
    expect(() => publisher.applied(imageAt(3))).toThrow(/only move forward/);
  });
});

describe('catchUpWithQuorum', () => {
  it('asks for the read index until one is answered, then hands it to the publisher', async () => {
    const { publisher, replicas } = gate();
    publisher.applied(imageAt(20));
    let asked = 0;
    await catchUpWithQuorum({
      readIndex: async () => {
        asked++;
        if (asked < 3) throw new Error('No active controller answered read-index within 10 ms.');
        return 20;
      },
      publisher,
      timeoutMs: 10,
      retryBackoffMs: 1,
      signal: new AbortController().signal,
      logger: silent,
    });
    expect(asked).toBe(3);
    expect(replicas).toEqual([20]);
  });

  it('gives up when the node stops', async () => {
    const { publisher } = gate();
    const stop = new AbortController();
    const done = catchUpWithQuorum({
      readIndex: async () => {
        stop.abort();
        throw new Error('no quorum');
      },
      publisher,
      timeoutMs: 10,
      retryBackoffMs: 60_000,
      signal: stop.signal,
      logger: silent,
    });
    await done;
    expect(publisher.hasHighWatermark()).toBe(false);
  });
});
