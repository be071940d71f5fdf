// Client quotas on the Kafka listener, in process: a real KafkaServer over the fake broker, with a
// quota manager over constructed client quotas (what the image's ClientQuotaRecords hold). Over its
// producer_byte_rate a client gets throttle_time_ms and its connection is not read for that long
// (KIP-219); over its consumer_byte_rate a fetch is answered without records.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientQuotaManager, meterOnClock } from '../../src/common/client-quotas.ts';
import type { QuotaKey } from '../../src/common/security.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import { apiVersionsApi, fetchApi, produceApi } from '../../src/kafka/protocol/generated/apis.ts';
import { defaultApiVersionsRequest } from '../../src/kafka/protocol/generated/api-versions-request.ts';
import {
  defaultFetchPartition,
  defaultFetchRequest,
} from '../../src/kafka/protocol/generated/fetch-request.ts';
import { defaultProduceRequest } from '../../src/kafka/protocol/generated/produce-request.ts';
import { FrameReader } from '../../src/kafka/server/frame-reader.ts';
import { KafkaServer } from '../../src/kafka/server/kafka-server.ts';
import { decodeResponseFrame, requestFrame, silent } from './exchange.ts';
import { batchOf, fakeBroker } from './fake-broker.ts';

/** Two samples of 100 ms: a throttle is at most 200 ms, so the test runs on the wall clock quickly. */
const WINDOW = { samples: 2, windowMs: 100 };

let server: KafkaServer | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  await server?.close();
  server = null;
});

async function start(defaultQuotas: Partial<Record<QuotaKey, number>>) {
  const broker = fakeBroker();
  await broker.node.createTopic({
    name: 'orders',
    partitionsCount: 1,
    replicationFactor: 1,
    configs: new Map(),
    validateOnly: false,
  });
  const quotas = new Map([['', new Map(Object.entries(defaultQuotas) as [QuotaKey, number][])]]);
  const throttles: number[] = [];
  const meter = meterOnClock(new ClientQuotaManager(WINDOW, () => quotas), Date.now, (_p, _k, ms) =>
    throttles.push(ms),
  );
  server = await KafkaServer.start({
    host: '127.0.0.1',
    port: 0,
    apis: kafkaApis({ ...broker, quotas: meter }),
    frameBytesMax: 1 << 20,
    logger: silent,
  });
  return { broker, throttles };
}

function framed(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** A connection whose response frames arrive in `frames`, each with the time it came. */
async function client() {
  const socket = connect(server!.port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const frames: { frame: Buffer; atMs: number }[] = [];
  const reader = new FrameReader(1 << 24);
  socket.on('data', (chunk: Buffer) => {
    for (const body of reader.push(chunk)) frames.push({ frame: framed(body), atMs: Date.now() });
  });
  return { socket, frames };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const produce = (records: Buffer) => ({
  ...defaultProduceRequest(),
  acks: 1,
  timeoutMs: 1000,
  topicData: [{ name: 'orders', partitionData: [{ index: 0, records }] }],
});

describe('client quotas on the Kafka listener', () => {
  it('over producer_byte_rate: throttle_time_ms at once, then the connection is not read for that long', async () => {
    const { broker, throttles } = await start({ producer_byte_rate: 1000 });
    const { socket, frames } = await client();
    // ~2 KB in one window of 100 ms: 20 KB/s against 1 KB/s, throttled for the longest time (200 ms).
    socket.write(framed(requestFrame(produceApi, 9, produce(batchOf('x'.repeat(2000))), 1)));
    await until(() => frames.length === 1, 'the produce answer');
    const answered = decodeResponseFrame(produceApi, 9, frames[0]!.frame).response;
    expect(answered.throttleTimeMs).toBe(200);
    expect(answered.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    // Appended all the same: a quota throttles, it does not refuse.
    expect((await broker.partitions.read('orders', 0, { offset: 0, maxBytes: 1 << 20 })).highWatermark).toBe(
      1,
    );
    // Sent right after the answer, read only once the throttle time is over.
    socket.write(framed(requestFrame(apiVersionsApi, 3, defaultApiVersionsRequest(), 2)));
    await until(() => frames.length === 2, 'the next answer');
    expect(frames[1]!.atMs - frames[0]!.atMs).toBeGreaterThanOrEqual(180);
    expect(throttles).toEqual([200]);
    // Other connections are not held: throttling is of the connection that went over.
    const other = await client();
    const before = Date.now();
    other.socket.write(framed(requestFrame(apiVersionsApi, 3, defaultApiVersionsRequest(), 3)));
    await until(() => other.frames.length === 1, 'an answer on another connection');
    expect(other.frames[0]!.atMs - before).toBeLessThan(150);
  });

  it('within producer_byte_rate: throttle_time_ms 0 and nothing held', async () => {
    await start({ producer_byte_rate: 10_000_000 });
    const { socket, frames } = await client();
    socket.write(framed(requestFrame(produceApi, 9, produce(batchOf('small')), 1)));
    await until(() => frames.length === 1, 'the produce answer');
    expect(decodeResponseFrame(produceApi, 9, frames[0]!.frame).response.throttleTimeMs).toBe(0);
  });

  it('over consumer_byte_rate: no records and throttle_time_ms; a fetch is bounded by what the quota allows', async () => {
    const { broker } = await start({ consumer_byte_rate: 1000 });
    await broker.partitions.append('orders', 0, batchOf('y'.repeat(2000)), { acks: -1, timeoutMs: 1000 });
    const fetch = {
      ...defaultFetchRequest(),
      topics: [
        {
          topic: 'orders',
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [{ ...defaultFetchPartition(), partitionMaxBytes: 1 << 20 }],
        },
      ],
    };
    const { socket, frames } = await client();
    // The first batch goes out whatever max_bytes says (KIP-74), and alone is over the quota: the
    // answer is empty (Kafka's throttled fetch response) and carries the throttle time.
    socket.write(framed(requestFrame(fetchApi, 11, fetch, 1)));
    await until(() => frames.length === 1, 'the fetch answer');
    const throttled = decodeResponseFrame(fetchApi, 11, frames[0]!.frame).response;
    expect(throttled.throttleTimeMs).toBeGreaterThan(0);
    expect(throttled.errorCode).toBe(0);
    expect(throttled.responses).toEqual([]);
  });
});
