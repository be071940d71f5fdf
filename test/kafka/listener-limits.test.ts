// The Kafka listener's bounds: a connection over max.connections.per.ip is closed at accept, its slot
// comes back when an admitted one closes, and a connection idle for connections.max.idle.ms (one that
// never sent a byte, or one between requests) is closed.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLimiter, NO_CONNECTION_LIMITS } from '../../src/common/connection-limits.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import { apiVersionsApi, fetchApi } from '../../src/kafka/protocol/generated/apis.ts';
import {
  defaultFetchPartition,
  defaultFetchRequest,
} from '../../src/kafka/protocol/generated/fetch-request.ts';
import { defaultApiVersionsRequest } from '../../src/kafka/protocol/generated/api-versions-request.ts';
import { KafkaServer } from '../../src/kafka/server/kafka-server.ts';
import { requestFrame, silent } from './exchange.ts';
import { fakeBroker } from './fake-broker.ts';

let server: KafkaServer | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  await server?.close();
  server = null;
});

async function start(options: { connectionLimiter?: ConnectionLimiter; idleTimeoutMs?: number }) {
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
    frameBytesMax: 1 << 20,
    // With a hand-off, a connection waits undecided for its first bytes: the idle deadline holds there too.
    handOffHttp: (socket) => socket.end('HTTP/1.1 204 No Content\r\n\r\n'),
    ...options,
    logger: silent,
  });
}

function client() {
  const socket = connect(server!.port, '127.0.0.1');
  sockets.push(socket);
  const state = { bytes: 0, closed: false };
  socket.on('data', (chunk: Buffer) => {
    state.bytes += chunk.length;
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    state.closed = true;
  });
  return { socket, state };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function apiVersions(correlationId: number): Buffer {
  const body = requestFrame(apiVersionsApi, 3, defaultApiVersionsRequest(), correlationId);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('Kafka listener limits', () => {
  it('closes the connection over max.connections.per.ip at accept; a freed slot is taken again', async () => {
    const refusals: string[] = [];
    const limiter = new ConnectionLimiter(
      'PLAINTEXT',
      { ...NO_CONNECTION_LIMITS, maxConnectionsPerIp: 2 },
      (listener, reason) => refusals.push(`${listener} ${reason}`),
    );
    await start({ connectionLimiter: limiter });
    const first = client();
    const second = client();
    await until(() => limiter.open === 2, 'two connections admitted');
    const third = client();
    await until(() => third.state.closed, 'the third connection closed');
    expect(refusals).toEqual(['PLAINTEXT max_connections_per_ip']);
    first.socket.write(apiVersions(1));
    await until(() => first.state.bytes > 0, 'an answer on an admitted connection');
    second.socket.destroy();
    await until(() => limiter.open === 1, 'the slot released');
    const fourth = client();
    fourth.socket.write(apiVersions(2));
    await until(() => fourth.state.bytes > 0, 'an answer on a new connection');
    expect(refusals).toHaveLength(1);
  });

  it('closes connections idle for connections.max.idle.ms, silent from the start or between requests', async () => {
    await start({ idleTimeoutMs: 200 });
    const silentOne = client();
    const talker = client();
    talker.socket.write(apiVersions(1));
    await until(() => talker.state.bytes > 0, 'an answer');
    expect(talker.state.closed).toBe(false);
    await until(() => silentOne.state.closed && talker.state.closed, 'both idle connections closed');
  });

  it('does not take a long-polling fetch for idleness', async () => {
    await start({ idleTimeoutMs: 150 });
    const poller = client();
    const fetch = {
      ...defaultFetchRequest(),
      maxWaitMs: 600,
      minBytes: 1,
      topics: [
        {
          topic: 'orders',
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [{ ...defaultFetchPartition(), partitionMaxBytes: 1 << 20 }],
        },
      ],
    };
    const body = requestFrame(fetchApi, 11, fetch, 1);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    poller.socket.write(Buffer.concat([size, body]));
    await until(() => poller.state.bytes > 0, 'the long poll answered at max_wait');
    expect(poller.state.closed).toBe(false);
    await until(() => poller.state.closed, 'the connection closed once idle after its answer');
  });
});
