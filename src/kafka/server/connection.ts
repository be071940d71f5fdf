// One client connection: frames in, responses out in the order the requests came (Kafka's rule, which
// clients rely on to match responses to requests), though requests are handled concurrently: a slow
// acks=all produce does not hold back the fetch behind it from being handled, only from being answered.
// An unknown API, a version not served, a malformed or oversized frame, or a handler's bug closes the
// connection (what Kafka does); none of them stops the node. A client over its quota is answered at once
// with throttle_time_ms, then not read for that long (KIP-219: Kafka mutes the channel); a connection
// with no traffic for connections.max.idle.ms is closed. On a SASL listener the
// connection owns its SaslAuthenticator: frames are bounded by sasl.server.max.receive.size and the
// exchange by a deadline until it authenticates.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { anonymousSession, type Session } from '../../common/security.ts';
import { FrameReader, FrameSizeError } from './frame-reader.ts';
import type { DispatchOutcome, RequestDispatcher } from './request-dispatch.ts';
import { SaslAuthenticator, type SaslListenerSettings } from './sasl/sasl-authenticator.ts';

/** What a SASL_PLAINTEXT / SASL_SSL listener asks of its connections. */
export interface ConnectionSasl {
  readonly settings: SaslListenerSettings;
  /** sasl.server.max.receive.size: the largest frame read before authentication. */
  readonly receiveBytesMax: number;
  /** A connection not authenticated within this many ms of opening is closed. */
  readonly authenticationTimeoutMs: number;
}

export interface ConnectionOptions {
  readonly dispatcher: RequestDispatcher;
  /** socket.request.max.bytes */
  readonly frameBytesMax: number;
  /** Requests handled at once on one connection; reading pauses beyond (back-pressure on the client). */
  readonly inFlightMax: number;
  /** connections.max.idle.ms; absent: never closed for idleness. */
  readonly idleTimeoutMs?: number;
  readonly logger: Logger;
  /** SASL required before any API but ApiVersions and the SASL ones; absent: no SASL on this listener. */
  readonly sasl?: ConnectionSasl;
  /** Who the connection is without SASL (a TLS client certificate's principal); default ANONYMOUS. */
  readonly session?: Session;
}

export class KafkaConnection {
  private readonly socket: Socket;
  private readonly options: ConnectionOptions;
  private readonly frames: FrameReader;
  private readonly address: string;
  private readonly logger: Logger;
  /** Who this connection speaks for without SASL. */
  private readonly session: Session;
  /** The SASL exchange and its outcome, on a SASL listener. */
  private readonly sasl: SaslAuthenticator | null;
  private authenticationTimer: NodeJS.Timeout | null = null;
  /** Outcomes of the requests not answered yet, in the order they came. */
  private readonly pending: Promise<DispatchOutcome>[] = [];
  private draining = false;
  private closed = false;
  /** Set while the client is throttled: reading resumes when it fires. */
  private muted: NodeJS.Timeout | null = null;
  private mutedUntil = 0;

  constructor(socket: Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.options = options;
    this.frames = new FrameReader(options.frameBytesMax);
    this.address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.logger = options.logger.child({ client: this.address });
    this.session = options.session ?? anonymousSession(socket.remoteAddress ?? '');
    const sasl = options.sasl;
    this.sasl = sasl === undefined ? null : new SaslAuthenticator(sasl.settings, socket.remoteAddress ?? '');
    if (sasl !== undefined) {
      this.frames.limit(
        Math.min(sasl.receiveBytesMax, options.frameBytesMax),
        'sasl.server.max.receive.size',
      );
      this.authenticationTimer = setTimeout(() => {
        if (this.sasl?.authenticated !== true)
          this.close(`SASL authentication not done within ${sasl.authenticationTimeoutMs} ms`);
      }, sasl.authenticationTimeoutMs);
      this.authenticationTimer.unref();
    }
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error) => this.logger.debug({ err: error }, 'kafka connection error'));
    socket.on('close', () => {
      this.closed = true;
      this.clearAuthenticationTimer();
      if (this.muted !== null) clearTimeout(this.muted);
    });
    const idleTimeoutMs = options.idleTimeoutMs;
    if (idleTimeoutMs !== undefined) {
      // A request in hand (a long-polling fetch) is not idleness: the timer is armed again (Node does
      // not re-arm a socket timeout that fired, whatever traffic follows).
      socket.on('timeout', () => {
        if (this.pending.length === 0) this.close('idle for longer than connections.max.idle.ms');
        else socket.setTimeout(idleTimeoutMs);
      });
      socket.setTimeout(idleTimeoutMs);
    }
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clearAuthenticationTimer();
    this.logger.info({ reason }, 'closing a kafka connection');
    this.socket.destroy();
  }

  /** Who the connection is now (what the next request is served as). */
  get currentSession(): Session {
    return this.sasl?.session ?? this.session;
  }

  private clearAuthenticationTimer(): void {
    if (this.authenticationTimer === null) return;
    clearTimeout(this.authenticationTimer);
    this.authenticationTimer = null;
  }

  /** Sends `frame`, then closes (a refused SASL exchange: the client reads why before the close). */
  private closeAfter(frame: Buffer, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clearAuthenticationTimer();
    this.logger.info({ reason }, 'closing a kafka connection');
    this.socket.end(frame);
    // A client that does not read its answer does not keep the socket open.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  /** Once authenticated, frames may be as large as socket.request.max.bytes. */
  private afterSasl(): void {
    if (this.sasl?.authenticated !== true || this.authenticationTimer === null) return;
    this.clearAuthenticationTimer();
    this.frames.limit(this.options.frameBytesMax, 'socket.request.max.bytes');
  }

  private received(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (error) {
      // Thrown inside a socket's data event, anything else would take the node down: close instead.
      if (!(error instanceof FrameSizeError))
        this.logger.error({ err: error }, 'reading a kafka frame failed');
      this.close(error instanceof Error ? error.message : String(error));
      return;
    }
    for (const frame of frames) {
      const outcome = this.options.dispatcher
        .dispatch(frame, {
          address: this.address,
          session: this.currentSession,
          logger: this.logger,
          ...(this.sasl === null ? {} : { sasl: this.sasl }),
        })
        .catch((error: unknown): DispatchOutcome => {
          this.logger.error({ err: error }, 'a kafka request failed unexpectedly');
          return { kind: 'close', reason: 'the request failed unexpectedly' };
        });
      this.pending.push(outcome);
      this.afterSasl();
    }
    if (this.pending.length >= this.options.inFlightMax) this.socket.pause();
    void this.drain();
  }

  /** Reads nothing more for `throttleTimeMs` (a longer throttle extends it; requests already read go on). */
  private mute(throttleTimeMs: number): void {
    if (this.closed) return;
    const until = Math.max(this.mutedUntil, Date.now() + throttleTimeMs);
    if (this.muted !== null) clearTimeout(this.muted);
    this.mutedUntil = until;
    this.socket.pause();
    this.muted = setTimeout(() => {
      this.muted = null;
      if (!this.closed && this.pending.length < this.options.inFlightMax) this.socket.resume();
    }, until - Date.now());
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Answers the oldest requests as soon as they are done, one after the other. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.length > 0 && !this.closed) {
        const outcome = await this.pending[0]!;
        this.pending.shift();
        if (this.closed) return;
        if (outcome.kind === 'close') {
          this.close(outcome.reason);
          return;
        }
        if (outcome.kind === 'response-then-close') {
          this.closeAfter(outcome.frame, outcome.reason);
          return;
        }
        // A client that asks faster than it reads: wait until its socket drains before answering more,
        // so that at most inFlightMax answers wait here and one socket buffer in the kernel's way.
        if (outcome.kind === 'response' && !this.socket.write(outcome.frame)) await this.drained();
        if (outcome.throttleTimeMs > 0) this.mute(outcome.throttleTimeMs);
        if (this.pending.length < this.options.inFlightMax && this.socket.isPaused() && this.muted === null)
          this.socket.resume();
      }
    } finally {
      this.draining = false;
    }
  }
}
