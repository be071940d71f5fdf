// The Kafka listener: frames, header dispatch and Kafka's answers to what it does not serve (KIP-511's
// ApiVersions, a closed connection for the rest), and the TCP server: responses in request order,
// bad frames closing only their connection.
import { anonymousSession } from '../../src/common/security.ts';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import { ADVERTISED_VERSIONS } from '../../src/kafka/protocol/api-keys.ts';
import { defaultApiVersionsRequest } from '../../src/kafka/protocol/generated/api-versions-request.ts';
import { decodeApiVersionsResponse } from '../../src/kafka/protocol/generated/api-versions-response.ts';
import {
  apiVersionsApi,
  fetchApi,
  metadataApi,
  produceApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import {
  defaultFetchPartition,
  defaultFetchRequest,
} from '../../src/kafka/protocol/generated/fetch-request.ts';
import { defaultMetadataRequest } from '../../src/kafka/protocol/generated/metadata-request.ts';
import { decodeResponseHeader } from '../../src/kafka/protocol/generated/response-header.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { FrameReader, FrameSizeError } from '../../src/kafka/server/frame-reader.ts';
import { KafkaServer } from '../../src/kafka/server/kafka-server.ts';
import { RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { answer, decodeResponseFrame, exchange, requestFrame, silent } from './exchange.ts';
import { batchOf, fakeBroker } from './fake-broker.ts';

function framed(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('FrameReader', () => {
  it('gives the same frames however the stream is cut into chunks (seeded)', () => {
    const seed = Number(process.env.KAFKA_SEED ?? Date.now() % 1_000_000);
    console.log(`FrameReader chunking seed ${seed} (replay: KAFKA_SEED=${seed})`);
    let state = seed;
    const random = (below: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state % below;
    };
    const bodies = Array.from({ length: 50 }, (_, i) => Buffer.alloc(random(300), i));
    const stream = Buffer.concat(bodies.map(framed));
    for (let round = 0; round < 20; round++) {
      const reader = new FrameReader(1 << 20);
      const frames: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const next = Math.min(stream.length, at + 1 + random(400));
        frames.push(...reader.push(stream.subarray(at, next)));
        at = next;
      }
      expect(frames).toEqual(bodies);
      expect(reader.bufferedBytes).toBe(0);
    }
  });

  it('refuses a size above the cap or negative as soon as the size is read, before the body', () => {
    const reader = new FrameReader(100);
    const head = Buffer.alloc(4);
    head.writeInt32BE(101);
    expect(() => reader.push(head)).toThrow(FrameSizeError);
    const negative = Buffer.alloc(4);
    negative.writeInt32BE(-1);
    expect(() => new FrameReader(100).push(negative)).toThrow('negative size');
    expect(new FrameReader(100).push(framed(Buffer.alloc(100)))).toHaveLength(1);
  });
});

describe('RequestDispatcher', () => {
  const dispatcher = new RequestDispatcher(kafkaApis(fakeBroker()));

  it('ApiVersions lists every advertised API and nothing else (SASL included, as Kafka lists it on every listener)', async () => {
    const response = await answer(dispatcher, apiVersionsApi, 3, defaultApiVersionsRequest());
    expect(new Map(response.apiKeys.map((key) => [key.apiKey, [key.minVersion, key.maxVersion]]))).toEqual(
      new Map([
        [18, [0, 4]],
        [3, [0, 12]],
        [0, [0, 11]],
        [1, [4, 17]],
        [2, [1, 7]],
        [23, [0, 4]],
        [19, [0, 7]],
        [20, [0, 6]],
        [37, [0, 3]],
        [60, [0, 1]],
        [22, [0, 5]],
        [10, [0, 4]],
        [11, [0, 9]],
        [14, [0, 5]],
        [12, [0, 4]],
        [13, [0, 5]],
        [8, [0, 8]],
        [9, [0, 8]],
        [16, [0, 5]],
        [15, [0, 5]],
        [42, [0, 2]],
        [32, [0, 4]],
        [33, [0, 2]],
        [44, [0, 1]],
        [21, [0, 2]],
        [29, [0, 3]],
        [30, [0, 3]],
        [31, [0, 3]],
        [50, [0, 0]],
        [51, [0, 0]],
        [48, [0, 1]],
        [49, [0, 1]],
        [17, [0, 1]],
        [36, [0, 2]],
      ]),
    );
    expect(response.apiKeys).toHaveLength(ADVERTISED_VERSIONS.size);
  });

  it('KIP-511: ApiVersions at an unknown version gets UNSUPPORTED_VERSION in v0 format, still listing the APIs', async () => {
    // A newer client's ApiVersions v9: header v2, a body this broker cannot know.
    const frame = Buffer.from(requestFrame(apiVersionsApi, 3, defaultApiVersionsRequest(), 77));
    frame.writeInt16BE(9, 2);
    const outcome = await dispatcher.dispatch(frame, {
      address: 'test:1',
      session: anonymousSession('127.0.0.1'),
      logger: silent,
    });
    expect(outcome.kind).toBe('response');
    if (outcome.kind !== 'response') return;
    const reader = new Reader(outcome.frame, 4);
    expect(decodeResponseHeader(reader, 0).correlationId).toBe(77);
    const response = decodeApiVersionsResponse(reader, 0);
    expect(response.errorCode).toBe(35);
    expect(response.apiKeys.find((key) => key.apiKey === 18)).toMatchObject({ minVersion: 0, maxVersion: 4 });
    expect(reader.remaining).toBe(0);
  });

  it('closes the connection for an API not served, a version not advertised, a short or malformed frame', async () => {
    const close = { kind: 'close' };
    const unknown = requestFrame(apiVersionsApi, 0, defaultApiVersionsRequest(), 1);
    unknown.writeInt16BE(17, 0);
    unknown.writeInt16BE(2, 2); // SaslHandshake v2: not a version
    expect(
      await dispatcher.dispatch(unknown, {
        address: 't',
        session: anonymousSession('127.0.0.1'),
        logger: silent,
      }),
    ).toMatchObject(close);
    unknown.writeInt16BE(999, 0);
    unknown.writeInt16BE(0, 2);
    expect(
      await dispatcher.dispatch(unknown, {
        address: 't',
        session: anonymousSession('127.0.0.1'),
        logger: silent,
      }),
    ).toMatchObject(close);
    expect(await exchange(dispatcher, fetchApi, 3, defaultFetchRequest())).toMatchObject(close);
    expect(
      await dispatcher.dispatch(Buffer.alloc(5), {
        address: 't',
        session: anonymousSession('127.0.0.1'),
        logger: silent,
      }),
    ).toMatchObject(close);
    const metadata = requestFrame(metadataApi, 1, { ...defaultMetadataRequest(), topics: [] }, 1);
    const truncated = Buffer.concat([metadata, Buffer.from([0x00, 0x00, 0x00, 0x05])]);
    truncated.writeInt32BE(0x7fff_ffff, metadata.length - 4);
    expect(
      await dispatcher.dispatch(truncated, {
        address: 't',
        session: anonymousSession('127.0.0.1'),
        logger: silent,
      }),
    ).toMatchObject(close);
  });

  it('refuses to start with handlers that differ from what is advertised', () => {
    const apis = kafkaApis(fakeBroker());
    expect(() => new RequestDispatcher(apis.slice(1))).toThrow(
      'ApiVersions is advertised but has no handler',
    );
    expect(() => new RequestDispatcher([...apis, apis[0]!])).toThrow('two handlers');
  });
});

describe('KafkaServer (TCP)', () => {
  let server: KafkaServer | null = null;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.length = 0;
    await server?.close();
    server = null;
  });

  /** What the current test's listener reported: "api outcome" per request, and connection counts. */
  let observed = { requests: [] as string[], opened: 0, closed: 0 };

  async function start(frameBytesMax = 1 << 20, handOffHttp?: (socket: Socket) => void) {
    // A fresh record per listener: the previous test's connections may report their close late.
    const record = { requests: [] as string[], opened: 0, closed: 0 };
    observed = record;
    const broker = fakeBroker();
    await broker.node.createTopic({
      name: 'orders',
      partitionsCount: 1,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
    server = await KafkaServer.start({
      host: '127.0.0.1',
      port: 0,
      apis: kafkaApis(broker),
      frameBytesMax,
      observer: {
        requestDone: (api, outcome) => record.requests.push(`${api} ${outcome}`),
        connectionOpened: () => record.opened++,
        connectionClosed: () => record.closed++,
      },
      ...(handOffHttp === undefined ? {} : { handOffHttp }),
      logger: silent,
    });
    return broker;
  }

  /** A connection that collects response frames (size prefix included) and notes when it closes. */
  async function client(): Promise<{ socket: Socket; frames: Buffer[]; closed: Promise<void> }> {
    const socket = connect(server!.port, '127.0.0.1');
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const frames: Buffer[] = [];
    const reader = new FrameReader(1 << 24);
    socket.on('data', (chunk: Buffer) => {
      for (const body of reader.push(chunk)) frames.push(framed(body));
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    return { socket, frames, closed };
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('answers a connection in request order though a later request is done first', async () => {
    const broker = await start();
    const { socket, frames } = await client();
    // A long-polling fetch, then a metadata request: the metadata answer is ready first but goes second.
    const fetch = {
      ...defaultFetchRequest(),
      maxWaitMs: 5000,
      minBytes: 1,
      topics: [
        {
          topic: 'orders',
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [{ ...defaultFetchPartition(), partitionMaxBytes: 1 << 20 }],
        },
      ],
    };
    socket.write(framed(requestFrame(fetchApi, 11, fetch, 1)));
    socket.write(framed(requestFrame(metadataApi, 1, { ...defaultMetadataRequest(), topics: null }, 2)));
    await until(() => broker.partitions.waits.length === 1, 'the fetch to wait');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(frames).toHaveLength(0);
    await broker.partitions.append('orders', 0, batchOf('wake'), { acks: -1, timeoutMs: 1000 });
    await until(() => frames.length === 2, 'both answers');
    expect(decodeResponseFrame(fetchApi, 11, frames[0]!).correlationId).toBe(1);
    expect(decodeResponseFrame(metadataApi, 1, frames[1]!).correlationId).toBe(2);
  });

  it('a client pipelining more requests than are taken at once, reading late, gets every answer in order', async () => {
    // 300 fetches of a 200 KB batch: 60 MB of answers, more than the socket buffers hold while the
    // client does not read, so the listener waits for the socket to drain and stops reading meanwhile.
    const broker = await start();
    await broker.partitions.append('orders', 0, batchOf('x'.repeat(200_000)), { acks: -1, timeoutMs: 1000 });
    const { socket, frames } = await client();
    socket.pause();
    const count = 300;
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
    for (let id = 1; id <= count; id++) socket.write(framed(requestFrame(fetchApi, 11, fetch, id)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.resume();
    await until(() => frames.length === count, `${count} answers`);
    expect(frames.map((frame) => decodeResponseFrame(fetchApi, 11, frame).correlationId)).toEqual(
      Array.from({ length: count }, (_, i) => i + 1),
    );
  });

  it('a connection that speaks HTTP is handed over with its first bytes; Kafka clients are not, even one byte at a time', async () => {
    const handed: string[] = [];
    await start(1 << 20, (socket) => {
      // As the client API does with a socket it adopts: reads it from its first byte.
      socket.once('data', (chunk: Buffer) => {
        handed.push(chunk.toString('latin1').split('\r\n')[0]!);
        socket.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n');
      });
      socket.resume();
    });
    const http = connect(server!.port, '127.0.0.1');
    sockets.push(http);
    const answered = new Promise<string>((resolve) => {
      let text = '';
      http.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
      });
      http.once('close', () => resolve(text));
    });
    http.write('GET /v3/clusters HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(await answered).toMatch(/^HTTP\/1\.1 204/);
    expect(handed).toEqual(['GET /v3/clusters HTTP/1.1']);
    // A Kafka request whose bytes arrive one at a time: the first byte (0, the size's top byte) decides.
    const { socket, frames } = await client();
    const frame = framed(requestFrame(apiVersionsApi, 3, defaultApiVersionsRequest(), 5));
    for (const byte of frame) {
      socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => frames.length === 1, 'the ApiVersions answer');
    expect(handed).toHaveLength(1);
    expect(observed.opened).toBe(1);
  });

  it('acks=0 produces get no response, and the next request is answered', async () => {
    await start();
    const { socket, frames } = await client();
    const produce = {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: 'orders', partitionData: [{ index: 0, records: batchOf('fire-and-forget') }] }],
    };
    socket.write(framed(requestFrame(produceApi, 7, produce, 1)));
    socket.write(framed(requestFrame(apiVersionsApi, 0, defaultApiVersionsRequest(), 2)));
    await until(() => frames.length === 1, 'the ApiVersions answer');
    expect(decodeResponseFrame(apiVersionsApi, 0, frames[0]!).correlationId).toBe(2);
    expect(observed.requests.sort()).toEqual(['ApiVersions response', 'Produce none']);
    expect(observed.opened).toBe(1);
  });

  it('an oversized or garbage frame closes its connection only; the listener serves the next', async () => {
    await start(1000);
    const big = await client();
    const size = Buffer.alloc(4);
    size.writeInt32BE(1001);
    big.socket.write(size);
    await big.closed;
    const garbage = await client();
    garbage.socket.write(framed(Buffer.from('this is not a kafka request at all')));
    await garbage.closed;
    const good = await client();
    good.socket.write(framed(requestFrame(apiVersionsApi, 3, defaultApiVersionsRequest(), 5)));
    await until(() => good.frames.length === 1, 'the answer on a new connection');
    expect(decodeResponseFrame(apiVersionsApi, 3, good.frames[0]!).response.errorCode).toBe(0);
    expect(observed.requests).toEqual(['unknown close', 'ApiVersions response']);
    await until(() => observed.closed === 2, 'the listener to see both closes');
    expect(observed.opened).toBe(3);
  });
});
