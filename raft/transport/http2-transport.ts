// RaftTransport over HTTP/2 cleartext (h2c): a fastify server receives MessageBatches on
// POST /raft/v1/messages, and one PeerSender per peer posts them (see peer-sender.ts). Peers that are
// not configured (observers) are learned from the `from`/`from_address` of the batches they send.

import type { Http2Session } from 'node:http2';
import type { AddressInfo, Server, Socket } from 'node:net';
import Fastify from 'fastify';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Message, NodeId, RaftTransport } from '../types.ts';
import { decodeBatch, RaftCodecError } from './codec.ts';
import type { MessageBatch } from './codec.ts';
import type { LocalNode, PeerStats } from './peer-sender.ts';
import { MESSAGES_PATH, PeerSender, PROTOBUF_CONTENT_TYPE } from './peer-sender.ts';
import type { PeerDialer } from './peer-dialer.ts';
import type { PeerGate } from './peer-gate.ts';

export const HEALTH_PATH = '/raft/v1/health';
/** Per HTTP/2 session; Node's 64 KiB default caps a connection near 0.5 GB/s (design §9). */
const SESSION_WINDOW_BYTES = 32 * 1024 * 1024;
const BODY_BYTES_MAX = 64 * 1024 * 1024;

export interface Http2TransportOptions {
  readonly id: NodeId;
  /** Port 0 binds an ephemeral port; read it back from `address`. */
  readonly listen: { readonly host: string; readonly port: number };
  /** "host:port" peers should use to reach this node; defaults to the bound address. */
  readonly advertisedAddress?: string;
  /** Configured peers, id -> "host:port". Their addresses are never replaced by learned ones. */
  readonly peers: ReadonlyMap<NodeId, string>;
  /** Per peer; the oldest message is dropped beyond it. */
  readonly queueMessagesMax?: number;
  /** Bound on learned (unconfigured) peers, so that a flood of ids cannot grow memory without limit. */
  readonly learnedPeersMax?: number;
  readonly requestTimeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly bodyBytesMax?: number;
  /**
   * Every connection that brought batches from `peer` has closed (its process may be gone: kill -9 closes
   * its sockets at once), until a batch from it arrives on a new one.
   */
  readonly onPeerDisconnected?: (peer: NodeId) => void;
  /**
   * What the listener demands of a connection before HTTP/2 (TLS with client certificates, the peer
   * preface); absent = h2c open to anyone, as without security.
   */
  readonly gate?: PeerGate;
  /** How peers are dialed; default h2c without a preface. */
  readonly dialer?: PeerDialer;
  /**
   * Asked for each connection accepted on this listener (not those other listeners hand to the same
   * server): false closes it at once (max.connections, max.connections.per.ip). The caller releases
   * what it counted when the socket closes.
   */
  readonly admitConnection?: (socket: Socket) => boolean;
  /**
   * An HTTP/2 session idle for this long is closed (connections.max.idle.ms; fastify's 72 s if larger,
   * as before: peers' clients reconnect).
   */
  readonly idleTimeoutMs?: number;
  /** Registers more routes on the same internal listener (before it listens). */
  readonly routes?: (server: InternalServer) => void;
  readonly logger?: Logger;
}

export interface TransportStats {
  readonly peers: ReadonlyMap<NodeId, PeerStats>;
  /** Messages received for this node and passed to the handler (or dropped if none is set). */
  readonly received: number;
  /** Request bodies rejected with 400. */
  readonly badRequests: number;
  /** Outgoing messages to a node with no known address. */
  readonly droppedUnknownPeer: number;
  /** Incoming messages addressed to another node. */
  readonly misaddressed: number;
}

interface ErrorBody {
  readonly error_code: number;
  readonly message: string;
}

/** "host:port" as a URL authority, IPv6 hosts in brackets. */
function authority(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for a bare "host:port" (what from_address must be before a client is built from it). */
function isPeerAddress(address: string): boolean {
  if (address.length === 0 || address.length > 300) return false;
  try {
    const url = new URL(`http://${address}`);
    return url.port !== '' && url.host === address && url.pathname === '/' && url.username === '';
  } catch {
    return false;
  }
}

/** The status fastify attached to an error (413 body too large, 415 media type, ...), else 500. */
function httpStatusOf(error: unknown): number {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return 500;
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

/** Fastify's default idle time of an HTTP/2 session. */
const SESSION_IDLE_MS_MAX = 72_000;
/** A stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE). */
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;

function buildServer(bodyLimit: number, idleTimeoutMs: number) {
  return Fastify({
    http2: true,
    logger: false,
    bodyLimit,
    forceCloseConnections: true,
    http2SessionTimeout: Math.min(idleTimeoutMs, SESSION_IDLE_MS_MAX),
  });
}
type RaftServer = ReturnType<typeof buildServer>;
/** The node's internal HTTP/2 server; other internal services (controller RPCs) add routes to it. */
export type InternalServer = RaftServer;

export class Http2Transport implements RaftTransport {
  readonly #id: NodeId;
  readonly #options: Http2TransportOptions;
  readonly #logger: Logger;
  readonly #server: RaftServer;
  readonly #local: LocalNode;
  readonly #peers = new Map<NodeId, PeerSender>();
  #address = '';
  #handler: ((message: Message) => void) | null = null;
  /** The peer whose batches each incoming connection brings, and how many such are open per peer. */
  readonly #sessionPeers = new WeakMap<Http2Session, NodeId>();
  readonly #openSessions = new Map<NodeId, number>();
  #closing: Promise<void> | null = null;
  /** With a gate: the TCP/TLS server in front of the HTTP/2 server, and its connections. */
  #front: Server | null = null;
  readonly #frontSockets = new Set<Socket>();
  #received = 0;
  #badRequests = 0;
  #droppedUnknownPeer = 0;
  #misaddressed = 0;

  static async start(options: Http2TransportOptions): Promise<Http2Transport> {
    const transport = new Http2Transport(options);
    await transport.#listen();
    return transport;
  }

  private constructor(options: Http2TransportOptions) {
    this.#id = options.id;
    this.#options = options;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#local = { id: options.id, fromAddress: options.advertisedAddress ?? '' };
    this.#server = buildServer(
      options.bodyBytesMax ?? BODY_BYTES_MAX,
      options.idleTimeoutMs ?? SESSION_IDLE_MS_MAX,
    );
    this.#configureServer();
    for (const [peer, address] of options.peers) {
      if (peer !== options.id) this.#peers.set(peer, this.#newSender(peer, address, false));
    }
  }

  /** The bound "host:port" (with the real port when started on port 0). */
  get address(): string {
    return this.#address;
  }

  send(messages: readonly Message[]): void {
    try {
      const byPeer = new Map<PeerSender, Message[]>();
      for (const message of messages) {
        const sender = this.#peers.get(message.to);
        if (sender === undefined) {
          this.#droppedUnknownPeer += 1;
          this.#logger.debug({ to: message.to, type: message.type }, 'raft message to unknown peer dropped');
          continue;
        }
        const group = byPeer.get(sender);
        if (group === undefined) byPeer.set(sender, [message]);
        else group.push(message);
      }
      for (const [sender, group] of byPeer) sender.enqueue(group);
    } catch (error) {
      // Best effort by contract: a transport bug must not take the Raft driver down with it.
      this.#logger.error({ err: error }, 'raft transport send failed');
    }
  }

  onMessage(handler: (message: Message) => void): void {
    this.#handler = handler;
  }

  stats(): TransportStats {
    const peers = new Map<NodeId, PeerStats>();
    for (const [peer, sender] of this.#peers) peers.set(peer, sender.stats());
    return {
      peers,
      received: this.#received,
      badRequests: this.#badRequests,
      droppedUnknownPeer: this.#droppedUnknownPeer,
      misaddressed: this.#misaddressed,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeOnce();
    return this.#closing;
  }

  async #closeOnce(): Promise<void> {
    await Promise.all([...this.#peers.values()].map((sender) => sender.close()));
    const front = this.#front;
    if (front !== null) {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const socket of this.#frontSockets) socket.destroy();
      await closed;
    }
    await this.#server.close();
    this.#logger.info({ address: this.#address }, 'raft transport closed');
  }

  async #listen(): Promise<void> {
    const { host, port } = this.#options.listen;
    let bound: AddressInfo;
    const gate = this.#options.gate;
    if (gate === undefined) {
      await this.#server.listen({ host, port });
      bound = this.#server.server.address() as AddressInfo;
    } else {
      // The HTTP/2 server never listens itself: the gate hands it the connections it admitted.
      await this.#server.ready();
      const http2Server = this.#server.server;
      const front = gate.createServer(
        (socket) => http2Server.emit('connection', socket),
        (socket) => {
          // max.connections / max.connections.per.ip: counted here, before any TLS handshake or preface.
          const admit = this.#options.admitConnection;
          if (admit !== undefined && !admit(socket)) {
            socket.destroy();
            return;
          }
          this.#frontSockets.add(socket);
          socket.once('close', () => this.#frontSockets.delete(socket));
        },
      );
      this.#front = front;
      await new Promise<void>((resolve, reject) => {
        front.once('error', reject);
        front.listen(port, host, () => {
          front.off('error', reject);
          resolve();
        });
      });
      front.on('error', (error) => this.#logger.error({ err: error }, 'internal listener error'));
      bound = front.address() as AddressInfo;
    }
    this.#address = authority(host, bound.port);
    if (this.#local.fromAddress === '') this.#local.fromAddress = this.#address;
    if (/^(0\.0\.0\.0|\[::\]|::):/.test(this.#local.fromAddress)) {
      this.#logger.warn(
        { address: this.#address },
        'raft transport on a wildcard host without advertisedAddress',
      );
    }
    this.#logger.info(
      { address: this.#address, advertised: this.#local.fromAddress, peers: this.#peers.size },
      'raft transport listening',
    );
  }

  #newSender(peer: NodeId, address: string, learned: boolean): PeerSender {
    return new PeerSender({
      peer,
      address,
      learned,
      local: this.#local,
      queueMessagesMax: this.#options.queueMessagesMax ?? 4096,
      requestTimeoutMs: this.#options.requestTimeoutMs ?? 5000,
      backoffMinMs: this.#options.backoffMinMs ?? 50,
      backoffMaxMs: this.#options.backoffMaxMs ?? 1000,
      logger: this.#logger,
      ...(this.#options.dialer !== undefined ? { dialer: this.#options.dialer } : {}),
    });
  }

  #watchSession(session: Http2Session | undefined, peer: NodeId): void {
    const onDisconnected = this.#options.onPeerDisconnected;
    if (session === undefined || onDisconnected === undefined || this.#sessionPeers.has(session)) return;
    this.#sessionPeers.set(session, peer);
    this.#openSessions.set(peer, (this.#openSessions.get(peer) ?? 0) + 1);
    session.once('close', () => {
      const open = (this.#openSessions.get(peer) ?? 1) - 1;
      if (open > 0) {
        this.#openSessions.set(peer, open);
        return;
      }
      this.#openSessions.delete(peer);
      if (this.#closing === null) onDisconnected(peer);
    });
  }

  #configureServer(): void {
    const server = this.#server;
    const admit = this.#options.admitConnection;
    // With a gate the front server admits (#listen); the HTTP/2 server itself never listens then.
    if (admit !== undefined && this.#options.gate === undefined) {
      // Before the HTTP/2 server's own listener: a refused socket is destroyed before a session reads it.
      // Named listeners hand their sockets to this server too; their own listener counted them.
      server.server.prependListener('connection', (socket: Socket) => {
        const bound = server.server.address();
        const ours = bound !== null && typeof bound === 'object' && socket.localPort === bound.port;
        if (ours && !admit(socket)) socket.destroy();
      });
    }
    server.server.on('session', (session) => {
      // Without an 'error' listener a misbehaving client (or ENHANCE_YOUR_CALM) crashes the process.
      session.on('error', (error) => this.#logger.debug({ err: error }, 'raft transport session error'));
      try {
        session.setLocalWindowSize(SESSION_WINDOW_BYTES);
        // A stream's window of 4 MiB (64 KiB by default) lets a forwarded produce or a Raft batch of up
        // to that size arrive without waiting for WINDOW_UPDATEs; the session window above still bounds
        // what one session may have buffered.
        session.settings({ initialWindowSize: STREAM_WINDOW_BYTES });
      } catch (error) {
        this.#logger.debug({ err: error }, 'raft transport could not raise session window');
      }
    });
    server.addContentTypeParser(PROTOBUF_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body);
    });
    server.setErrorHandler((error, _request, reply) => {
      const status = httpStatusOf(error);
      if (status >= 500) this.#logger.error({ err: error }, 'raft transport request failed');
      const message = error instanceof Error ? error.message : 'internal error';
      const body: ErrorBody = { error_code: status === 500 ? 50002 : status * 100 + 1, message };
      return reply.code(status).send(body);
    });
    server.setNotFoundHandler((_request, reply) => {
      const body: ErrorBody = { error_code: 404, message: 'not found' };
      return reply.code(404).send(body);
    });
    server.get(HEALTH_PATH, async () => ({ status: 'ok', node_id: this.#id }));
    server.post(MESSAGES_PATH, async (request, reply) => {
      const raw = request.body;
      let batch: MessageBatch;
      try {
        if (!(raw instanceof Uint8Array)) throw new RaftCodecError(`body must be ${PROTOBUF_CONTENT_TYPE}`);
        batch = decodeBatch(raw);
      } catch (error) {
        if (!(error instanceof RaftCodecError)) throw error;
        this.#badRequests += 1;
        this.#logger.warn({ err: error }, 'raft transport rejected a batch');
        const body: ErrorBody = { error_code: error.errorCode, message: error.message };
        return reply.code(400).send(body);
      }
      this.#watchSession(request.raw.stream.session, batch.from);
      this.#receive(batch);
      return reply.code(204).send();
    });
    this.#options.routes?.(server);
  }

  #receive(batch: MessageBatch): void {
    this.#learn(batch.from, batch.fromAddress);
    for (const message of batch.messages) {
      if (message.to !== this.#id) {
        this.#misaddressed += 1;
        this.#logger.debug({ to: message.to, from: message.from }, 'raft message for another node dropped');
        continue;
      }
      this.#received += 1;
      const handler = this.#handler;
      if (handler === null) continue;
      try {
        handler(message);
      } catch (error) {
        this.#logger.error(
          { err: error, type: message.type, from: message.from },
          'raft message handler threw',
        );
      }
    }
  }

  /** Remembers the address of a node that is not configured, so that it can be answered. */
  #learn(from: NodeId, address: string): void {
    if (from === this.#id || this.#closing !== null) return;
    const known = this.#peers.get(from);
    if (known !== undefined && (!known.learned || known.address === address)) return;
    if (!isPeerAddress(address)) {
      this.#logger.debug({ from, address }, 'raft batch from unknown node without a usable address');
      return;
    }
    if (known !== undefined) {
      known.setAddress(address);
      this.#logger.info({ peer: from, address }, 'raft peer address changed');
      return;
    }
    let learnedCount = 0;
    for (const sender of this.#peers.values()) if (sender.learned) learnedCount += 1;
    if (learnedCount >= (this.#options.learnedPeersMax ?? 1024)) {
      this.#logger.warn({ peer: from, address }, 'raft transport learned-peer limit reached, not learning');
      return;
    }
    this.#peers.set(from, this.#newSender(from, address, true));
    this.#logger.info({ peer: from, address }, 'raft peer learned');
  }
}
