// The producer's requests per broker (produce-dispatch.ts): batches made ready in one turn of the event
// loop go to their broker in one native ProduceRequest, within max.request.size and one batch per
// partition per request; each batch settles with its own partition's answer or the request's failure.

import { describe, expect, it } from 'vitest';
import { ProduceDispatcher } from '../../src/client/produce-dispatch.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import {
  decodeProduceRequest,
  encodeProduceResponse,
  type NativeProduceRequest,
} from '../../src/http/native/codec.ts';

interface Sent {
  readonly origin: string;
  readonly request: NativeProduceRequest;
}

/** A broker stand-in: records each request; answers every partition with `answer` (or fails). */
function brokers(
  answer: (topic: string, partition: number) => { errorCode: number; baseOffset: number } | 'fail',
) {
  const sent: Sent[] = [];
  const connections = {
    post: async (origin: string, path: string, body: Buffer): Promise<Buffer> => {
      expect(path).toBe('/v1/produce');
      const request = decodeProduceRequest(body);
      sent.push({ origin, request });
      const topics = request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map(({ partition }) => {
          const result = answer(topic.name, partition);
          if (result === 'fail') throw new Error(`connection to ${origin} reset`);
          return {
            partition,
            errorCode: result.errorCode,
            errorMessage: 'refused',
            baseOffset: result.baseOffset,
          };
        }),
      }));
      return encodeProduceResponse({ topics });
    },
  };
  return { sent, connections };
}

const options = { acks: -1 as const, requestTimeoutMs: 1_000, repeatable: true, maxRequestBytes: 100 };

describe('ProduceDispatcher', () => {
  it('sends the batches of one turn in one request per broker, each answered by its partition', async () => {
    const { sent, connections } = brokers((_topic, partition) => ({
      errorCode: 0,
      baseOffset: partition * 10,
    }));
    const dispatcher = new ProduceDispatcher(connections, options);
    const offsets = await Promise.all([
      dispatcher.produce('http://a', 't', 0, Buffer.alloc(10)),
      dispatcher.produce('http://b', 't', 1, Buffer.alloc(10)),
      dispatcher.produce('http://a', 't', 2, Buffer.alloc(10)),
      dispatcher.produce('http://a', 'u', 3, Buffer.alloc(10)),
    ]);
    expect(offsets).toEqual([0, 10, 20, 30]);
    expect(sent.map((s) => s.origin).sort()).toEqual(['http://a', 'http://b']);
    const toA = sent.find((s) => s.origin === 'http://a')!.request;
    expect(toA.acks).toBe(-1);
    expect(toA.topics.map((t) => [t.name, t.partitions.map((p) => p.partition)])).toEqual([
      ['t', [0, 2]],
      ['u', [3]],
    ]);
  });

  it('starts another request for a second batch of a partition and past max.request.size', async () => {
    const { sent, connections } = brokers(() => ({ errorCode: 0, baseOffset: 0 }));
    const dispatcher = new ProduceDispatcher(connections, options);
    await Promise.all([
      dispatcher.produce('http://a', 't', 0, Buffer.alloc(40)),
      dispatcher.produce('http://a', 't', 0, Buffer.alloc(40)),
      dispatcher.produce('http://a', 't', 1, Buffer.alloc(40)),
      dispatcher.produce('http://a', 't', 2, Buffer.alloc(40)),
      // Alone larger than max.request.size: it goes, in a request of its own.
      dispatcher.produce('http://a', 't', 3, Buffer.alloc(300)),
    ]);
    expect(sent.map((s) => s.request.topics[0]!.partitions.map((p) => p.partition))).toEqual([
      [0],
      [0, 1],
      [2],
      [3],
    ]);
  });

  it('fails each batch with its own error, and every batch of a request that got no answer', async () => {
    const { connections } = brokers((_topic, partition) =>
      partition === 1 ? { errorCode: 6, baseOffset: -1 } : { errorCode: 0, baseOffset: 5 },
    );
    const dispatcher = new ProduceDispatcher(connections, options);
    const [ok, refused] = await Promise.allSettled([
      dispatcher.produce('http://a', 't', 0, Buffer.alloc(10)),
      dispatcher.produce('http://a', 't', 1, Buffer.alloc(10)),
    ]);
    expect(ok).toEqual({ status: 'fulfilled', value: 5 });
    expect(refused.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).errorName).toBe('NOT_LEADER_OR_FOLLOWER');

    const down = new ProduceDispatcher(brokers(() => 'fail').connections, options);
    const failed = await Promise.allSettled([
      down.produce('http://a', 't', 0, Buffer.alloc(10)),
      down.produce('http://a', 't', 1, Buffer.alloc(10)),
    ]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
  });

  it('lets the producer add what else is ready for a broker before its request goes', async () => {
    const { sent, connections } = brokers(() => ({ errorCode: 0, baseOffset: 0 }));
    const late: Promise<number>[] = [];
    const dispatcher: ProduceDispatcher = new ProduceDispatcher(connections, {
      ...options,
      beforeSend: (origin) => {
        if (origin === 'http://a' && late.length === 0)
          late.push(dispatcher.produce(origin, 't', 7, Buffer.alloc(10)));
      },
    });
    await dispatcher.produce('http://a', 't', 0, Buffer.alloc(10));
    await Promise.all(late);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request.topics[0]!.partitions.map((p) => p.partition)).toEqual([0, 7]);
  });
});
