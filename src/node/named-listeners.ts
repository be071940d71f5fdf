// The named internal listeners (listeners=...,FROM1://host:port,...): one TCP server each, whose
// connections the internal HTTP/2 server takes over, so every internal route (Raft, controller RPCs,
// replication, forwarded requests, group RPCs) answers on each of them as on INTERNAL. Each counts its
// own connections against max.connections and max.connections.per.ip.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { InternalServer } from '../../raft/transport/http2-transport.ts';
import type { PeerGate } from '../../raft/transport/peer-gate.ts';
import { admitSocket } from '../common/admit-socket.ts';
import {
  type ConnectionLimits,
  ConnectionLimiter,
  type ConnectionRefusalObserver,
} from '../common/connection-limits.ts';
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
    limits: {
      readonly connectionLimits: ConnectionLimits;
      readonly onRefused: ConnectionRefusalObserver;
      readonly logger: Logger;
    },
    /** Each listener's demands on its peers (TLS, the peer preface); null = open h2c. */
    gateOf: (name: string) => PeerGate | null = () => null,
  ): Promise<NamedListeners> {
    const sockets = new Set<Socket>();
    const servers = new Map<string, Server>();
    const named = new NamedListeners(servers, sockets);
    try {
      for (const [name, endpoint] of listeners) {
        const limiter = new ConnectionLimiter(name, limits.connectionLimits, limits.onRefused);
        const track = (socket: Socket): void => {
          if (!admitSocket(limiter, socket, limits.logger)) return;
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
                if (!socket.destroyed) deliver(socket); // track refuses over the connection limits
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
