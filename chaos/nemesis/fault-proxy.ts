// A TCP proxy for one direction of internal traffic: node `from` dials it instead of node `to` (its
// voters file and the FROM<from> listener `to` advertises point here), so every connection it carries
// was opened by `from` to `to`. Blocking it is what a network partition looks like to HTTP/2: no new
// connection gets through (accepted, then left silent: a black hole, not a refusal), and the connections
// it already carries stall, both ways, with their bytes held until it passes again (TCP retransmits after
// a short partition). `cut` ends every carried connection instead (a middlebox reset).
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Carried {
  readonly client: Socket;
  /** null while the upstream connection is not made (opened while blocked). */
  upstream: Socket | null;
  /** Bytes read from the client before the upstream connection existed. */
  readonly early: Buffer[];
}

export class FaultProxy {
  readonly from: number;
  readonly to: number;
  private readonly server: Server;
  private readonly targetPort: number;
  private readonly carried = new Set<Carried>();
  private blockedValue = false;
  private portValue = 0;

  private constructor(from: number, to: number, targetPort: number) {
    this.from = from;
    this.to = to;
    this.targetPort = targetPort;
    this.server = createServer((client) => this.accept(client));
  }

  /** Listens on `port` (0: any free port) of 127.0.0.1 and forwards to 127.0.0.1:`targetPort`. */
  static async start(from: number, to: number, port: number, targetPort: number): Promise<FaultProxy> {
    const proxy = new FaultProxy(from, to, targetPort);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy.portValue = address.port;
    return proxy;
  }

  get port(): number {
    return this.portValue;
  }

  get blocked(): boolean {
    return this.blockedValue;
  }

  get connections(): number {
    return this.carried.size;
  }

  /** Stops forwarding: carried connections stall both ways, new ones are held silent. */
  block(): void {
    if (this.blockedValue) return;
    this.blockedValue = true;
    for (const connection of this.carried) {
      connection.client.pause();
      connection.upstream?.pause();
    }
  }

  /** Forwards again: stalled bytes flow, held connections are made. */
  pass(): void {
    if (!this.blockedValue) return;
    this.blockedValue = false;
    for (const connection of this.carried) {
      if (connection.upstream === null) this.connectUpstream(connection);
      else {
        connection.client.resume();
        connection.upstream.resume();
      }
    }
  }

  /** Resets every carried connection (the proxy keeps its state: blocked or passing). */
  cut(): void {
    for (const connection of [...this.carried]) this.drop(connection);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    // Without it Nagle's algorithm holds small writes for the peer's delayed ACK (~40 ms per hop):
    // the nodes' own sockets disable it, and the proxy must not add it back.
    client.setNoDelay(true);
    const connection: Carried = { client, upstream: null, early: [] };
    this.carried.add(connection);
    client.on('error', () => this.drop(connection));
    client.on('close', () => this.drop(connection));
    client.on('data', (chunk: Buffer) => {
      if (connection.upstream === null) connection.early.push(chunk);
      else this.forward(chunk, client, connection.upstream);
    });
    if (this.blockedValue) client.pause();
    else this.connectUpstream(connection);
  }

  private connectUpstream(connection: Carried): void {
    const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort, noDelay: true });
    connection.upstream = upstream;
    upstream.on('error', () => this.drop(connection));
    upstream.on('close', () => this.drop(connection));
    upstream.on('data', (chunk: Buffer) => this.forward(chunk, upstream, connection.client));
    for (const chunk of connection.early.splice(0)) upstream.write(chunk);
    connection.client.resume();
  }

  /**
   * Not pipe(): its backpressure handling resumes a source on 'drain', which would let bytes through a
   * blocked proxy. Bytes already read when the proxy blocks are held by the paused sockets' buffers.
   */
  private forward(chunk: Buffer, source: Socket, target: Socket): void {
    if (target.write(chunk)) return;
    source.pause();
    target.once('drain', () => {
      if (!this.blockedValue) source.resume();
    });
  }

  private drop(connection: Carried): void {
    if (!this.carried.delete(connection)) return;
    connection.client.resetAndDestroy();
    connection.upstream?.resetAndDestroy();
  }
}
