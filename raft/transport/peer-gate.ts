// The front of an internal listener when security is configured: a TCP or TLS server (TLS: the
// client certificate is required and verified against the cluster CA) whose connections must first
// send a valid peer preface (peer-preface.ts) within a bounded time and size; only then is the socket,
// with the bytes read past the preface put back, handed to the internal HTTP/2 server. Refusals are
// counted and logged at most once per interval.

import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { type PrefaceVerifier, splitPreface } from './peer-preface.ts';

/** What an internal listener demands of its peers. */
export interface PeerSecurity {
  /** TLS server options (key, cert, ca, ...); null = plain TCP. Client certificates are always required. */
  readonly tls: tls.SecureContextOptions | null;
  /** Checks the preface; null = no preface (plain and no secret: today's open listener). */
  readonly verifier: PrefaceVerifier | null;
  /** A connection that has not completed TLS and its preface within this long is closed. Default 5 s. */
  readonly handshakeTimeoutMs?: number;
}

const REFUSAL_LOG_INTERVAL_MS = 10_000;

export class PeerGate {
  readonly #security: PeerSecurity;
  readonly #logger: Logger;
  #refused = 0;
  #lastLogMs = 0;
  #unlogged = 0;

  constructor(security: PeerSecurity, logger: Logger) {
    this.#security = security;
    this.#logger = logger;
  }

  /** Connections refused so far (bad preface, failed TLS handshake, timeouts). */
  get refused(): number {
    return this.#refused;
  }

  get security(): PeerSecurity {
    return this.#security;
  }

  /** A server whose admitted connections go to `deliver`; listen() is the caller's. */
  createServer(deliver: (socket: net.Socket) => void, track: (socket: net.Socket) => void): net.Server {
    const timeoutMs = this.#security.handshakeTimeoutMs ?? 5000;
    const options = this.#security.tls;
    if (options === null) {
      return net.createServer({ noDelay: true }, (socket) => {
        track(socket);
        if (!socket.destroyed) this.admit(socket, deliver); // track may refuse it (connection limits)
      });
    }
    const server = tls.createServer({
      ...options,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
      handshakeTimeout: timeoutMs,
    });
    server.on('connection', (socket: net.Socket) => track(socket));
    server.on('secureConnection', (socket: tls.TLSSocket) => this.admit(socket, deliver));
    server.on('tlsClientError', (error, socket) => {
      this.refuse(socket.remoteAddress, `TLS handshake failed: ${error.message}`);
      socket.destroy();
    });
    return server;
  }

  /** Reads and checks the preface (if one is required), then hands the socket over. */
  admit(socket: net.Socket, deliver: (socket: net.Socket) => void): void {
    const verifier = this.#security.verifier;
    if (verifier === null) {
      deliver(socket);
      return;
    }
    let head: Buffer = Buffer.alloc(0);
    const remote = socket.remoteAddress;
    const stop = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      clearTimeout(timer);
    };
    const refuse = (reason: string): void => {
      stop();
      this.refuse(remote, reason);
      socket.destroy();
    };
    const onError = (): void => stop();
    // Gone before its preface (a port scan, a peer that gave up): nothing to refuse any more.
    const onClose = (): void => stop();
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const split = splitPreface(head);
      if (split.kind === 'incomplete') return;
      if (split.kind === 'too-long') {
        refuse('no peer preface in the first bytes');
        return;
      }
      const verdict = verifier.verify(split.line, Date.now());
      if (!verdict.ok) {
        refuse(verdict.reason);
        return;
      }
      stop();
      socket.pause();
      if (split.rest.length > 0) socket.unshift(split.rest);
      deliver(socket);
    };
    const timer = setTimeout(
      () => refuse('no peer preface in time'),
      this.#security.handshakeTimeoutMs ?? 5000,
    );
    timer.unref();
    socket.on('error', onError);
    socket.once('close', onClose);
    socket.on('data', onData);
  }

  refuse(remote: string | undefined, reason: string): void {
    this.#refused += 1;
    const now = Date.now();
    if (now - this.#lastLogMs < REFUSAL_LOG_INTERVAL_MS) {
      this.#unlogged += 1;
      return;
    }
    this.#logger.warn(
      { remote, reason, refused: this.#refused, unloggedSinceLast: this.#unlogged },
      'internal listener refused a connection',
    );
    this.#lastLogMs = now;
    this.#unlogged = 0;
  }
}
