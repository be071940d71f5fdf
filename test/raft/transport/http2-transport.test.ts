import { connect, createServer } from 'node:net';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../chaos/free-port.ts';
import { encodeBatch } from '../../../raft/transport/codec.ts';
import type { Http2TransportOptions } from '../../../raft/transport/http2-transport.ts';
import { Http2Transport } from '../../../raft/transport/http2-transport.ts';
import type { HeartbeatRequest, Message, NodeId } from '../../../raft/types.ts';
import { logIndex, nodeId, term } from '../../../raft/types.ts';

const HOST = '127.0.0.1';
const open: Http2Transport[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
  await Promise.all(clients.splice(0).map((client) => client.destroy()));
});

interface Node {
  readonly transport: Http2Transport;
  readonly inbox: Message[];
}

async function startNode(
  id: number,
  peers: ReadonlyMap<NodeId, string>,
  options: Partial<Http2TransportOptions> & { port?: number } = {},
): Promise<Node> {
  const transport = await Http2Transport.start({
    id: nodeId(id),
    listen: { host: HOST, port: options.port ?? 0 },
    peers,
    backoffMinMs: 10,
    backoffMaxMs: 100,
    ...options,
  });
  open.push(transport);
  const inbox: Message[] = [];
  transport.onMessage((message) => inbox.push(message));
  return { transport, inbox };
}

/** Polls a condition until it holds; fails the test at the deadline. */
async function waitFor(condition: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function heartbeat(from: number, to: number, commit: number): HeartbeatRequest {
  return {
    type: 'heartbeat',
    from: nodeId(from),
    to: nodeId(to),
    term: term(1),
    commit: logIndex(commit),
    readRound: 0,
  };
}

function h2Client(address: string): Client {
  const client = new Client(`http://${address}`, { allowH2: true, h2Options: { useH2c: true } });
  clients.push(client);
  return client;
}

async function twoNodes(): Promise<[Node, Node]> {
  const [port1, port2] = [await freePort(), await freePort()];
  const peers = new Map([
    [nodeId(1), `${HOST}:${port1}`],
    [nodeId(2), `${HOST}:${port2}`],
  ]);
  return [await startNode(1, peers, { port: port1 }), await startNode(2, peers, { port: port2 })];
}

describe('Http2Transport', () => {
  it('exchanges messages in both directions', async () => {
    const [a, b] = await twoNodes();
    const vote: Message = {
      type: 'vote',
      from: nodeId(1),
      to: nodeId(2),
      term: term(3),
      lastLogIndex: logIndex(10),
      lastLogTerm: term(2),
      transfer: false,
    };
    a.transport.send([vote]);
    await waitFor(() => b.inbox.length === 1, 'the vote');
    expect(b.inbox[0]).toEqual(vote);
    const answer: Message = {
      type: 'voteResponse',
      from: nodeId(2),
      to: nodeId(1),
      term: term(3),
      reject: false,
    };
    b.transport.send([answer]);
    await waitFor(() => a.inbox.length === 1, 'the vote response');
    expect(a.inbox[0]).toEqual(answer);
    expect(a.transport.stats().peers.get(nodeId(2))).toMatchObject({
      sent: 1,
      dropped: 0,
      failedRequests: 0,
    });
  });

  it('tells when every connection that brought batches from a peer closed (the peer process stopped)', async () => {
    const [port1, port2] = [await freePort(), await freePort()];
    const peers = new Map([
      [nodeId(1), `${HOST}:${port1}`],
      [nodeId(2), `${HOST}:${port2}`],
    ]);
    const disconnected: NodeId[] = [];
    const a = await startNode(1, peers, { port: port1 });
    const b = await startNode(2, peers, {
      port: port2,
      onPeerDisconnected: (peer) => disconnected.push(peer),
    });
    a.transport.send([heartbeat(1, 2, 1)]);
    await waitFor(() => b.inbox.length === 1, 'the heartbeat');
    expect(disconnected).toEqual([]);
    await a.transport.close();
    await waitFor(() => disconnected.length === 1, 'the disconnection');
    expect(disconnected).toEqual([nodeId(1)]);
  });

  it('routes one send() to three nodes, each getting only its own messages', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const peers = new Map(ports.map((port, i) => [nodeId(i + 1), `${HOST}:${port}`]));
    const nodes = await Promise.all(ports.map((port, i) => startNode(i + 1, peers, { port })));
    const [a, b, c] = nodes as [Node, Node, Node];
    a.transport.send([heartbeat(1, 2, 5), heartbeat(1, 3, 6), heartbeat(1, 2, 7)]);
    await waitFor(() => b.inbox.length === 2 && c.inbox.length === 1, 'all heartbeats');
    expect(b.inbox).toEqual([heartbeat(1, 2, 5), heartbeat(1, 2, 7)]);
    expect(c.inbox).toEqual([heartbeat(1, 3, 6)]);
    c.transport.send([heartbeat(3, 1, 8)]);
    await waitFor(() => a.inbox.length === 1, 'the reverse heartbeat');
  });

  it('batches many send() calls into few requests and keeps their order', async () => {
    const [a, b] = await twoNodes();
    const count = 1000;
    for (let i = 0; i < count; i++) {
      a.transport.send([heartbeat(1, 2, i)]);
      if (i % 100 === 99) await Promise.resolve(); // let flushes start while sends continue
    }
    const stats = () => a.transport.stats().peers.get(nodeId(2));
    // The sender counts a batch as sent when the 204 arrives, which is after the receiver delivered it.
    await waitFor(() => b.inbox.length === count && stats()?.sent === count, 'all messages');
    expect(b.inbox.map((message) => (message.type === 'heartbeat' ? message.commit : -1))).toEqual(
      Array.from({ length: count }, (_, i) => i),
    );
    expect(stats()?.requests).toBeLessThanOrEqual(20);
    expect(b.transport.stats().received).toBe(count);
  });

  it('carries a large snapshot intact', async () => {
    const [a, b] = await twoNodes();
    const data = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const snapshot: Message = {
      type: 'snapshot',
      from: nodeId(1),
      to: nodeId(2),
      term: term(4),
      snapshot: {
        metadata: { index: logIndex(900), term: term(3), membership: { voters: [nodeId(1), nodeId(2)] } },
        data,
      },
    };
    a.transport.send([snapshot]);
    await waitFor(() => b.inbox.length === 1, 'the snapshot');
    const received = b.inbox[0];
    if (received?.type !== 'snapshot') throw new Error('expected a snapshot');
    // Compared as buffers: a deep equality over 4 Mi elements is slow.
    expect(Buffer.compare(received.snapshot.data, data)).toBe(0);
    expect({ ...received, snapshot: { ...received.snapshot, data: null } }).toEqual({
      ...snapshot,
      snapshot: { ...snapshot.snapshot, data: null },
    });
  });

  it('reconnects to a peer that went down and came back on the same port', async () => {
    const [a, b] = await twoNodes();
    a.transport.send([heartbeat(1, 2, 1)]);
    await waitFor(() => b.inbox.length === 1, 'the first heartbeat');
    const port = Number(b.transport.address.split(':')[1]);
    await b.transport.close();

    a.transport.send([heartbeat(1, 2, 2)]);
    const stats = () => a.transport.stats().peers.get(nodeId(2));
    await waitFor(() => (stats()?.failedRequests ?? 0) >= 1, 'a failed request');

    const restarted = await startNode(2, new Map([[nodeId(1), a.transport.address]]), { port });
    await waitFor(() => {
      a.transport.send([heartbeat(1, 2, 3)]);
      return restarted.inbox.length > 0;
    }, 'a heartbeat after the restart');
    expect(restarted.inbox[0]).toEqual(heartbeat(1, 2, 3));
    restarted.transport.send([heartbeat(2, 1, 4)]);
    await waitFor(() => a.inbox.length === 1, 'the restarted node to answer');
  });

  it('learns an unconfigured peer (observer) from its batch and replies to it', async () => {
    const leader = await startNode(1, new Map());
    const observer = await startNode(9, new Map([[nodeId(1), leader.transport.address]]));
    leader.transport.send([heartbeat(1, 9, 0)]);
    expect(leader.transport.stats().droppedUnknownPeer).toBe(1);

    const observe: Message = {
      type: 'observe',
      from: nodeId(9),
      to: nodeId(1),
      term: term(0),
      lastIndex: logIndex(4),
    };
    observer.transport.send([observe]);
    await waitFor(() => leader.inbox.length === 1, 'the observe request');
    expect(leader.inbox[0]).toEqual(observe);
    expect(leader.transport.stats().peers.get(nodeId(9))).toMatchObject({
      address: observer.transport.address,
      learned: true,
    });
    leader.transport.send([heartbeat(1, 9, 4)]);
    await waitFor(() => observer.inbox.length === 1, 'the reply to the observer');
    expect(observer.inbox[0]).toEqual(heartbeat(1, 9, 4));
  });

  it('never overrides the address of a configured peer', async () => {
    const port3 = await freePort();
    const leader = await startNode(1, new Map([[nodeId(3), `${HOST}:${port3}`]]));
    const liar = await startNode(3, new Map([[nodeId(1), leader.transport.address]]), {
      port: port3,
      advertisedAddress: '127.0.0.1:1',
    });
    liar.transport.send([heartbeat(3, 1, 0)]);
    await waitFor(() => leader.inbox.length === 1, 'the heartbeat');
    expect(leader.transport.stats().peers.get(nodeId(3))).toMatchObject({
      address: `${HOST}:${port3}`,
      learned: false,
    });
    leader.transport.send([heartbeat(1, 3, 1)]);
    await waitFor(() => liar.inbox.length === 1, 'the reply at the configured address');
  });

  it('drops the oldest messages beyond the queue bound and failed batches, without throwing', async () => {
    // A peer that resets every connection: held open by the test, so no other process can take its
    // port (an unbound "free" port may be reused meanwhile, and then requests hang instead of failing).
    const dead = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dead.listen(0, HOST, resolve));
    try {
      const deadPort = (dead.address() as { port: number }).port;
      const a = await startNode(1, new Map([[nodeId(2), `${HOST}:${deadPort}`]]), { queueMessagesMax: 10 });
      a.transport.send(Array.from({ length: 100 }, (_, i) => heartbeat(1, 2, i)));
      const stats = () => a.transport.stats().peers.get(nodeId(2));
      await waitFor(() => stats()?.dropped === 100, 'every message to be dropped', 20_000);
      expect(stats()).toMatchObject({ sent: 0, queued: 0, requests: 1, failedRequests: 1 });
      expect(() => a.transport.send([heartbeat(1, 77, 0)])).not.toThrow();
      expect(a.transport.stats().droppedUnknownPeer).toBe(1);
    } finally {
      await new Promise<void>((resolve) => dead.close(() => resolve()));
    }
  });

  it('answers a bad body with 400 and a JSON error, and serves health', async () => {
    const a = await startNode(1, new Map());
    const client = h2Client(a.transport.address);
    const bad = await client.request({
      method: 'POST',
      path: '/raft/v1/messages',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]),
    });
    expect(bad.statusCode).toBe(400);
    const error = (await bad.body.json()) as { error_code: number; message: string };
    expect(error.error_code).toBe(40001);
    expect(typeof error.message).toBe('string');
    expect(a.transport.stats().badRequests).toBe(1);

    const wrongType = await client.request({
      method: 'POST',
      path: '/raft/v1/messages',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([1]),
    });
    expect(wrongType.statusCode).toBe(415);
    expect(await wrongType.body.json()).toMatchObject({ error_code: 41501 });

    const health = await client.request({ method: 'GET', path: '/raft/v1/health' });
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toMatchObject({ status: 'ok', node_id: 1 });
  });

  it('delivers only messages addressed to itself', async () => {
    const a = await startNode(1, new Map());
    const client = h2Client(a.transport.address);
    const body = encodeBatch({
      from: nodeId(5),
      fromAddress: '',
      messages: [heartbeat(5, 1, 1), heartbeat(5, 2, 2)],
    });
    const response = await client.request({
      method: 'POST',
      path: '/raft/v1/messages',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    expect(response.statusCode).toBe(204);
    await response.body.dump();
    expect(a.inbox).toEqual([heartbeat(5, 1, 1)]);
    expect(a.transport.stats()).toMatchObject({ received: 1, misaddressed: 1 });
    expect(a.transport.stats().peers.has(nodeId(5))).toBe(false); // no usable address: not learned
  });

  it('survives an HTTP/1.1 client on the h2c port', async () => {
    const a = await startNode(1, new Map());
    await fetch(`http://${a.transport.address}/raft/v1/health`).then(
      (response) => response.body?.cancel(),
      () => undefined,
    );
    const health = await h2Client(a.transport.address).request({ method: 'GET', path: '/raft/v1/health' });
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });

  it('closes at once a connection its admitConnection refuses (max.connections), and serves the others', async () => {
    let admitted = 0;
    const node = await startNode(1, new Map(), {
      admitConnection: (socket) => {
        if (admitted >= 1) return false;
        admitted += 1;
        socket.once('close', () => {
          admitted -= 1;
        });
        return true;
      },
    });
    const first = h2Client(node.transport.address);
    const health = await first.request({ path: '/raft/v1/health', method: 'GET' });
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(node.transport.address.split(':')[1]), HOST);
      socket.on('error', () => {});
      socket.once('data', () => resolve(false));
      socket.once('close', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(admitted).toBe(1);
  });

  it('closes idempotently while peers still hold connections to it', async () => {
    const [a, b] = await twoNodes();
    a.transport.send([heartbeat(1, 2, 1)]);
    b.transport.send([heartbeat(2, 1, 1)]);
    const sent = (node: Node, peer: number) => node.transport.stats().peers.get(nodeId(peer))?.sent;
    await waitFor(() => sent(a, 2) === 1 && sent(b, 1) === 1, 'both heartbeats');
    await Promise.all([a.transport.close(), a.transport.close()]);
    b.transport.send([heartbeat(2, 1, 2)]);
    await waitFor(() => (b.transport.stats().peers.get(nodeId(1))?.failedRequests ?? 0) >= 1, 'a failure');
    a.transport.send([heartbeat(1, 2, 2)]); // after close: dropped, no throw
    expect(a.transport.stats().peers.get(nodeId(2))?.dropped).toBe(1);
  });
});
