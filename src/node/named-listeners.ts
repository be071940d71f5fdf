// The named internal listeners (listeners=...,FROM1://host:port,...): one TCP server each, whose
// connections the internal HTTP/2 server takes over, so every internal route (Raft, controller RPCs,
// replication, forwarded requests, group RPCs) answers on each of them as on INTERNAL.
import { createServer, type Server, type Socket } from 'node:net';
import type { InternalServer } from '../../raft/transport/http2-transport.ts';
import type { PeerGate } from '../../raft/transport/peer-gate.ts';
import type { Endpoint } from './config.ts';

export class NamedListeners {
  private readonly servers: ReadonlyMap<string, Server>;
  private readonly sockets: Set<Socket>;

  private constructor(servers: ReadonlyMap<string, Server>, sockets: Set<Socket>) {
    this.servers = servers;
    this.sockets = sockets;
  }

  static async start(
    listeners: ReadonlyMap<string, Endpoint>,
    internal: InternalServer,
    /** Each listener's demands on its peers (TLS, the peer preface); null = open h2c. */
    gateOf: (name: string) => PeerGate | null = () => null,
  ): Promise<NamedListeners> {
    const sockets = new Set<Socket>();
    const servers = new Map<string, Server>();
    const named = new NamedListeners(servers, sockets);
    try {
      for (const [name, endpoint] of listeners) {
        const track = (socket: Socket): void => {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
        };
        const deliver = (socket: Socket): void => {
          internal.server.emit('connection', socket);
        };
        const gate = gateOf(name);
        const server =
          gate === null
            ? createServer((socket) => {
                track(socket);
                deliver(socket);
              })
            : gate.createServer(deliver, track);
        servers.set(name, server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(endpoint.port, endpoint.host === '' ? '0.0.0.0' : endpoint.host, () => resolve());
        });
      }
    } catch (error) {
      await named.close();
      throw error;
    }
    return named;
  }

  /** The bound port of listener `name` (its configured port, or the ephemeral one it got). */
  port(name: string): number {
    const address = this.servers.get(name)?.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      [...this.servers.values()].map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
  }
}
