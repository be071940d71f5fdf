// Serves the client app on ONE TCP port for both HTTP/1.1 and HTTP/2 with prior knowledge (h2c), so that
// `curl`, `curl --http2-prior-knowledge`, browsers and undici all work (design §1). A net.Server accepts
// each connection, reads its first bytes (protocol-sniff.ts) and hands the socket, with those bytes put
// back, to an http.Server or an http2 server; both route into the same fastify app (`app.routing`, which
// handles HTTP/1 and HTTP/2 compat requests alike). Node's plain-text http2 server cannot fall back to
// HTTP/1 itself (`allowHTTP1` exists only with TLS), hence the sniffing. With TLS (CLIENT:SSL or SASL_SSL)
// a tls.Server accepts instead and ALPN picks h2 or http/1.1 (a client that offers no ALPN is sniffed as
// above); the same two servers serve the decrypted sockets.
// Bounds on abuse: max.connections / max.connections.per.ip (a connection over them is closed at once),
// a deadline on an HTTP/1.1 request's headers and on the whole request (slowloris), idle connections
// closed, and on HTTP/2 bounded concurrent streams, header lists, invalid frames and refused streams.

import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { admitSocket } from '../common/admit-socket.ts';
import type { ConnectionLimiter } from '../common/connection-limits.ts';
import type { SniffedProtocol } from './protocol-sniff.ts';
import { sniffProtocol } from './protocol-sniff.ts';

/** HTTP/2 connection window (design §9: the 64 KiB default caps a connection at ~0.5 GB/s). */
export const SESSION_WINDOW_BYTES = 32 * 1024 * 1024;
/**
 * Idle keep-alive connections and HTTP/2 sessions are closed after this long (fastify's default), or
 * after connections.max.idle.ms if that is shorter.
 */
const IDLE_TIMEOUT_MS = 72_000;
/** Node's defaults for an HTTP/1.1 request's headers and the whole request. */
const HEADERS_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 300_000;
/**
 * HTTP/2 settings a client must keep to: streams open at once on one session (RFC 9113 §6.5.2 advises
 * at least 100; the SDK pipelines its produces), the size of one request's header list, and a stream's
 * receive window: 4 MiB instead of 64 KiB, so that a native produce of a 256 KiB batch arrives in one
 * flight instead of waiting for WINDOW_UPDATEs from a busy event loop (measured: the SDK's produce went
 * from 78-99k to 111-137k records/s, `npm run bench -- --quick --paths native-sdk`). The session
 * window (SESSION_WINDOW_BYTES) still bounds what one session may have buffered.
 */
const HTTP2_SETTINGS = {
  maxConcurrentStreams: 1000,
  maxHeaderListSize: 64 * 1024,
  initialWindowSize: 4 * 1024 * 1024,
} as const;
/**
 * Per session: frames Node's http2 finds invalid, and streams it refuses (over maxConcurrentStreams),
 * before it closes the session; a flood of either (or of pings or RST_STREAMs, which nghttp2 bounds
 * itself, answering ENHANCE_YOUR_CALM) ends that session, never the node.
 */
const HTTP2_INVALID_FRAMES_MAX = 1000;
const HTTP2_REJECTED_STREAMS_MAX = 100;

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
  /** max.connections and max.connections.per.ip of the CLIENT listener. */
  readonly connectionLimiter?: ConnectionLimiter;
  /** connections.max.idle.ms: idle connections close after the shorter of it and 72 s. */
  readonly idleTimeoutMs?: number;
  /** http.headers.timeout.ms: an HTTP/1.1 request's headers must be in within this long (408, closed). */
  readonly headersTimeoutMs?: number;
  /** http.request.timeout.ms: a whole HTTP/1.1 request must be in within this long (408, closed). */
  readonly requestTimeoutMs?: number;
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
  readonly #idleTimeoutMs: number;
  #address = '';
  #closing = false;
  #closed: Promise<void> | null = null;

  constructor(app: FastifyInstance, options: ClientApiListenOptions) {
    this.#options = options;
    this.#log = app.log;
    this.#route = (request, response) => app.routing(request, response);
    const limiter = options.connectionLimiter ?? null;
    if (options.tls === undefined) {
      this.#tcpServer = net.createServer({ noDelay: true }, (socket) => {
        if (admitSocket(limiter, socket, this.#log)) this.#accept(socket);
      });
    } else {
      const server = tls.createServer({
        ...options.tls,
        ALPNProtocols: ['h2', 'http/1.1'],
        handshakeTimeout: options.firstBytesTimeoutMs ?? 10_000,
        noDelay: true,
      });
      server.on('connection', (socket: net.Socket) => {
        // Counted before the handshake, so that a flood of handshakes is bounded too.
        if (this.#closing || !admitSocket(limiter, socket, this.#log)) {
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
    const idleTimeoutMs = Math.min(IDLE_TIMEOUT_MS, options.idleTimeoutMs ?? IDLE_TIMEOUT_MS);
    this.#idleTimeoutMs = idleTimeoutMs;
    const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    // Node refuses a headers deadline past the request's.
    const headersTimeout = Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout);
    this.#http1Server = http.createServer(
      {
        keepAliveTimeout: idleTimeoutMs,
        headersTimeout,
        requestTimeout,
        // How often Node checks those deadlines (its default, 30 s, would let a 1 s deadline run 30 s).
        connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))),
      },
      (request, response) => this.#onHttp1Request(request, response),
    );
    // Node enforces headersTimeout/requestTimeout only on connections it tracks, and starts tracking
    // when its server listens; this one never listens (its connections come from the sniffing server).
    this.#http1Server.emit('listening');
    // Fastify checks `httpVersionMajor` per request and never writes HTTP/1-only headers on HTTP/2, so its
    // router takes the HTTP/2 compat objects as they are; only the static types differ.
    this.#http2Server = http2.createServer(
      {
        settings: HTTP2_SETTINGS,
        maxSessionInvalidFrames: HTTP2_INVALID_FRAMES_MAX,
        maxSessionRejectedStreams: HTTP2_REJECTED_STREAMS_MAX,
      },
      (request, response) =>
        this.#route(request as unknown as http.IncomingMessage, response as unknown as http.ServerResponse),
    );
    this.#http2Server.on('session', (session) => this.#onSession(session));
    // http.request.timeout.ms for HTTP/2: a stream's request body must be in by then, as an HTTP/1.1
    // request must (the session's idle timeout does not see a body trickling in a byte at a time).
    this.#http2Server.on('stream', (stream) => {
      if (stream.endAfterHeaders) return;
      const deadline = setTimeout(() => {
        this.#log.debug(
          { requestTimeoutMs: requestTimeout },
          'HTTP/2 request body too slow: stream cancelled',
        );
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, requestTimeout);
      deadline.unref();
      const done = (): void => clearTimeout(deadline);
      stream.once('end', done);
      stream.once('close', done);
    });
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
    // Stops the deadline checks started by the 'listening' emitted in the constructor.
    if (this.#closed === null) this.#http1Server.close();
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
    session.setTimeout(this.#idleTimeoutMs, () => session.close());
    try {
      session.setLocalWindowSize(SESSION_WINDOW_BYTES);
    } catch (error) {
      this.#log.debug({ err: error }, 'could not raise the HTTP/2 session window');
    }
    if (this.#closing) session.close();
  }
}
