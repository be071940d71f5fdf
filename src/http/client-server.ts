// Serves the client app on ONE TCP port for both HTTP/1.1 and HTTP/2 with prior knowledge (h2c), so that
// `curl`, `curl --http2-prior-knowledge`, browsers and undici all work (design §1). A net.Server accepts
// each connection, reads its first bytes (protocol-sniff.ts) and hands the socket, with those bytes put
// back, to an http.Server or an http2 server; both route into the same fastify app (`app.routing`, which
// handles HTTP/1 and HTTP/2 compat requests alike). Node's plain-text http2 server cannot fall back to
// HTTP/1 itself (`allowHTTP1` exists only with TLS), hence the sniffing. With TLS (CLIENT:SSL or SASL_SSL)
// a tls.Server accepts instead and ALPN picks h2 or http/1.1 (a client that offers no ALPN is sniffed as
// above); the same two servers serve the decrypted sockets.

import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { SniffedProtocol } from './protocol-sniff.ts';
import { sniffProtocol } from './protocol-sniff.ts';

/** HTTP/2 connection window (design §9: the 64 KiB default caps a connection at ~0.5 GB/s). */
export const SESSION_WINDOW_BYTES = 32 * 1024 * 1024;
/** Idle keep-alive connections and HTTP/2 sessions are closed after this long (fastify's default). */
const IDLE_TIMEOUT_MS = 72_000;

export interface ClientApiListenOptions {
  readonly host: string;
  /** 0 = an ephemeral port (see `address`). */
  readonly port: number;
  /** A connection that sends nothing for this long before its first request is dropped. Default 10 s. */
  readonly firstBytesTimeoutMs?: number;
  /** close() lets requests in flight finish for up to this long, then cuts the connections. Default 5 s. */
  readonly closeGraceMs?: number;
  /** HTTPS: key, cert, ca and whether a client certificate is requested or required; absent = plain. */
  readonly tls?: tls.TlsOptions;
}

export interface ClientApiListener {
  /** The bound "host:port" (the real port when listening on port 0). */
  readonly address: string;
  /**
   * Serves a connection another listener accepted (the Kafka listener hands over one that speaks HTTP,
   * so that `--bootstrap-server localhost:9092` works for the CLI tools as it does for Kafka's); the
   * socket may be paused with its first bytes put back.
   */
  adopt(socket: net.Socket): void;
  /** Stops accepting, lets requests in flight finish (up to closeGraceMs), closes every connection. */
  close(): Promise<void>;
}

type Route = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export async function listenClientApi(
  app: FastifyInstance,
  options: ClientApiListenOptions,
): Promise<ClientApiListener> {
  await app.ready();
  const server = new OnePortServer(app, options);
  await server.listen();
  return server;
}

class OnePortServer implements ClientApiListener {
  readonly #options: ClientApiListenOptions;
  readonly #log: FastifyBaseLogger;
  readonly #route: Route;
  readonly #tcpServer: net.Server;
  readonly #http1Server: http.Server;
  readonly #http2Server: http2.Http2Server;
  /** Every accepted connection until it closes. */
  readonly #sockets = new Set<net.Socket>();
  /** HTTP/1 connections and how many requests each has in flight. */
  readonly #http1InFlight = new Map<net.Socket, number>();
  readonly #http2Sockets = new Set<net.Socket>();
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  /** TLS connections whose handshake is not done (HTTPS only). */
  readonly #handshaking = new Set<net.Socket>();
  #address = '';
  #closing = false;
  #closed: Promise<void> | null = null;

  constructor(app: FastifyInstance, options: ClientApiListenOptions) {
    this.#options = options;
    this.#log = app.log;
    this.#route = (request, response) => app.routing(request, response);
    if (options.tls === undefined) {
      this.#tcpServer = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
    } else {
      const server = tls.createServer({
        ...options.tls,
        ALPNProtocols: ['h2', 'http/1.1'],
        handshakeTimeout: options.firstBytesTimeoutMs ?? 10_000,
        noDelay: true,
      });
      server.on('connection', (socket: net.Socket) => {
        if (this.#closing) {
          socket.destroy();
          return;
        }
        this.#handshaking.add(socket);
        socket.once('close', () => this.#handshaking.delete(socket));
      });
      server.on('secureConnection', (socket: tls.TLSSocket) => this.#acceptSecure(socket));
      server.on('tlsClientError', (error, socket) => {
        this.#log.debug({ err: error, remote: socket.remoteAddress }, 'client TLS handshake failed');
        socket.destroy();
      });
      this.#tcpServer = server;
    }
    this.#http1Server = http.createServer({ keepAliveTimeout: IDLE_TIMEOUT_MS }, (request, response) =>
      this.#onHttp1Request(request, response),
    );
    // Fastify checks `httpVersionMajor` per request and never writes HTTP/1-only headers on HTTP/2, so its
    // router takes the HTTP/2 compat objects as they are; only the static types differ.
    this.#http2Server = http2.createServer({}, (request, response) =>
      this.#route(request as unknown as http.IncomingMessage, response as unknown as http.ServerResponse),
    );
    this.#http2Server.on('session', (session) => this.#onSession(session));
  }

  get address(): string {
    return this.#address;
  }

  async listen(): Promise<void> {
    const server = this.#tcpServer;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.#options.host, port: this.#options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#log.error({ err: error }, 'client API listener error'));
    const bound = server.address() as net.AddressInfo;
    this.#address =
      bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
    this.#log.info(
      { address: this.#address },
      this.#options.tls === undefined
        ? 'client API listening (HTTP/1.1 and h2c)'
        : 'client API listening (HTTPS: h2 and HTTP/1.1)',
    );
  }

  adopt(socket: net.Socket): void {
    this.#accept(socket);
    socket.resume();
  }

  close(): Promise<void> {
    this.#closing = true;
    this.#closed ??= new Promise<void>((resolve) => {
      const grace = setTimeout(() => {
        for (const session of this.#sessions) session.destroy();
        for (const socket of this.#sockets) socket.destroy();
      }, this.#options.closeGraceMs ?? 5000);
      for (const socket of this.#handshaking) socket.destroy();
      grace.unref();
      // net.Server.close calls back once every connection it accepted has closed.
      this.#tcpServer.close(() => {
        clearTimeout(grace);
        resolve();
      });
      // HTTP/2: GOAWAY, then each session closes when its open streams are done.
      for (const session of this.#sessions) session.close();
      for (const socket of this.#sockets) {
        // HTTP/1 connections with a request in flight close after its response (#onHttp1Request);
        // idle ones and those that have not sent a byte yet close now.
        if (!this.#http2Sockets.has(socket) && (this.#http1InFlight.get(socket) ?? 0) === 0) socket.destroy();
      }
    });
    return this.#closed;
  }

  #track(socket: net.Socket): boolean {
    if (this.#closing) {
      socket.destroy();
      return false;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', (error) => this.#log.debug({ err: error }, 'client connection error'));
    return true;
  }

  /** HTTPS: ALPN said which protocol; without ALPN the first bytes tell, as on a plain port. */
  #acceptSecure(socket: tls.TLSSocket): void {
    if (!this.#track(socket)) return;
    if (socket.alpnProtocol === 'h2') this.#handOver(socket, 'http2');
    else if (socket.alpnProtocol === 'http/1.1') this.#handOver(socket, 'http1');
    else this.#sniff(socket);
  }

  #accept(socket: net.Socket): void {
    if (this.#track(socket)) this.#sniff(socket);
  }

  #sniff(socket: net.Socket): void {
    let head: Buffer = Buffer.alloc(0);
    const onTimeout = (): void => {
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const protocol = sniffProtocol(head);
      if (protocol === null) return;
      socket.off('data', onData);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      this.#handOver(socket, protocol);
    };
    socket.on('data', onData);
    socket.setTimeout(this.#options.firstBytesTimeoutMs ?? 10_000, onTimeout);
  }

  #handOver(socket: net.Socket, protocol: SniffedProtocol): void {
    if (protocol === 'http2') {
      this.#http2Sockets.add(socket);
      socket.once('close', () => this.#http2Sockets.delete(socket));
      // The session reads the bytes put back into the socket itself (node:http2 handles readableLength).
      this.#http2Server.emit('connection', socket);
      return;
    }
    this.#http1InFlight.set(socket, 0);
    socket.once('close', () => this.#http1InFlight.delete(socket));
    this.#http1Server.emit('connection', socket);
    socket.resume();
  }

  #onHttp1Request(request: http.IncomingMessage, response: http.ServerResponse): void {
    const socket = request.socket;
    this.#http1InFlight.set(socket, (this.#http1InFlight.get(socket) ?? 0) + 1);
    if (this.#closing) response.setHeader('connection', 'close');
    response.once('close', () => {
      const inFlight = (this.#http1InFlight.get(socket) ?? 1) - 1;
      this.#http1InFlight.set(socket, inFlight);
      if (this.#closing && inFlight === 0) socket.destroySoon();
    });
    this.#route(request, response);
  }

  #onSession(session: http2.ServerHttp2Session): void {
    this.#sessions.add(session);
    session.once('close', () => this.#sessions.delete(session));
    // Without an 'error' listener a misbehaving client (e.g. ENHANCE_YOUR_CALM) crashes the process.
    session.on('error', (error) => this.#log.debug({ err: error }, 'client HTTP/2 session error'));
    session.setTimeout(IDLE_TIMEOUT_MS, () => session.close());
    try {
      session.setLocalWindowSize(SESSION_WINDOW_BYTES);
    } catch (error) {
      this.#log.debug({ err: error }, 'could not raise the HTTP/2 session window');
    }
    if (this.#closing) session.close();
  }
}
