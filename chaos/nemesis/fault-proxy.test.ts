import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.ts';

/** An echo server on an ephemeral port. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => {}); // the proxy resets its upstream side when a test ends
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

async function dial(port: number): Promise<{ socket: Socket; received: () => string }> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, received: () => text };
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
async function eventually(condition: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/** Lets the event loop run for a while, so that bytes that could flow would have. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100));
}

describe('FaultProxy', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of cleanup.splice(0)) await close();
  });

  async function setup(): Promise<FaultProxy> {
    const echo = await echoServer();
    const proxy = await FaultProxy.start(1, 2, 0, echo.port);
    cleanup.push(
      () => proxy.close(),
      () => new Promise<void>((resolve) => echo.server.close(() => resolve())),
    );
    return proxy;
  }

  it('forwards both ways while passing', async () => {
    const proxy = await setup();
    const client = await dial(proxy.port);
    client.socket.write('hello');
    expect(await eventually(() => client.received() === 'hello')).toBe(true);
    client.socket.destroy();
  });

  it('stalls a carried connection while blocked and delivers its bytes once it passes again', async () => {
    const proxy = await setup();
    const client = await dial(proxy.port);
    client.socket.write('a');
    expect(await eventually(() => client.received() === 'a')).toBe(true);
    proxy.block();
    client.socket.write('b');
    await settle();
    expect(client.received()).toBe('a');
    expect(client.socket.destroyed).toBe(false);
    proxy.pass();
    expect(await eventually(() => client.received() === 'ab')).toBe(true);
    client.socket.destroy();
  });

  it('holds a connection opened while blocked silent, then connects it', async () => {
    const proxy = await setup();
    proxy.block();
    const client = await dial(proxy.port);
    client.socket.write('early');
    await settle();
    expect(client.received()).toBe('');
    proxy.pass();
    expect(await eventually(() => client.received() === 'early')).toBe(true);
    client.socket.destroy();
  });

  it('cut resets the carried connections', async () => {
    const proxy = await setup();
    const client = await dial(proxy.port);
    const closed = new Promise<void>((resolve) => client.socket.once('close', () => resolve()));
    expect(await eventually(() => proxy.connections === 1)).toBe(true);
    proxy.cut();
    await closed;
    expect(proxy.connections).toBe(0);
  });
});
