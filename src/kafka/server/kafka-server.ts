// The Kafka listener (listeners=PLAINTEXT://host:port): a raw TCP server whose connections speak Kafka's
// protocol (connection.ts) to the handlers of src/kafka/handlers. A connection that speaks HTTP instead
// is handed to the node's client API (handOffHttp), as the CLI tools take `--bootstrap-server` to be.
// With TLS (SSL / SASL_SSL) a tls.Server accepts and every connection speaks Kafka (no HTTP hand-off).
import { createServer, type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { admitSocket } from '../../common/admit-socket.ts';
import type { ConnectionLimiter } from '../../common/connection-limits.ts';
import { type PrincipalMappingRule, tlsClientPrincipal } from '../../common/principal-mapping.ts';
import { anonymousSession, type Session } from '../../common/security.ts';
import type { ServedApi } from './api-handler.ts';
import { type ConnectionSasl, KafkaConnection } from './connection.ts';
import { type KafkaListenerObserver, RequestDispatcher } from './request-dispatch.ts';

/** Requests one connection may have in hand at once (librdkafka pipelines up to 1,000,000 by default). */
const IN_FLIGHT_PER_CONNECTION_MAX = 128;
/** First bytes of HTTP: a method's capital letter ("GET", "POST", ..., HTTP/2's "PRI"). */
const HTTP_FIRST_BYTE_MIN = 0x41;
const HTTP_FIRST_BYTE_MAX = 0x5a;
/** How long a connection of a SASL listener has to authenticate (Kafka bounds it by its idle timeout). */
export const SASL_AUTHENTICATION_TIMEOUT_MS = 10_000;

/** The session of a connection without SASL: its verified client certificate's principal, else anonymous. */
function connectionSession(socket: Socket, rules: readonly PrincipalMappingRule[] | undefined): Session {
  const host = socket.remoteAddress ?? '';
  if (rules === undefined || !(socket instanceof tls.TLSSocket)) return anonymousSession(host);
  const principal = tlsClientPrincipal(socket, rules);
  return principal === null ? anonymousSession(host) : { principal, clientHost: host, method: 'ssl' };
}

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Map<Socket, KafkaConnection>();
  /** Accepted, their first bytes not read yet: Kafka or HTTP is not known. */
  private readonly undecided = new Set<Socket>();

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(options: {
    readonly host: string;
    readonly port: number;
    readonly apis: readonly ServedApi[];
    /** socket.request.max.bytes: a larger frame closes its connection. */
    readonly frameBytesMax: number;
    readonly observer?: KafkaListenerObserver;
    /** max.connections and max.connections.per.ip of this listener: one more is closed at once. */
    readonly connectionLimiter?: ConnectionLimiter;
    /** connections.max.idle.ms: a connection with no traffic for this long is closed. */
    readonly idleTimeoutMs?: number;
    /**
     * Where a connection that speaks HTTP goes (the node's client API): its first byte is an ASCII
     * capital (a method, or HTTP/2's "PRI"), which as a Kafka frame size would be over 1 GiB, more than
     * socket.request.max.bytes allows, so no Kafka client is ever taken for one.
     */
    readonly handOffHttp?: (socket: Socket) => void;
    /** The listener's name, for the logs (default PLAINTEXT). */
    readonly listenerName?: string;
    /** SSL / SASL_SSL: key, cert, ca and whether client certificates are requested or required. */
    readonly tls?: tls.TlsOptions;
    readonly logger: Logger;
    /** SASL_PLAINTEXT / SASL_SSL: every connection authenticates before it is served. */
    readonly sasl?: Omit<ConnectionSasl, 'authenticationTimeoutMs'> & {
      readonly authenticationTimeoutMs?: number;
    };
    /**
     * ssl.principal.mapping.rules: on a TLS connection without SASL, a verified client certificate's DN
     * mapped by them is the connection's principal.
     */
    readonly principalMappingRules?: readonly PrincipalMappingRule[];
  }): Promise<KafkaServer> {
    const dispatcher = new RequestDispatcher(options.apis, options.observer ?? null);
    const logger = options.logger.child({ listener: options.listenerName ?? 'PLAINTEXT' });
    const sasl: ConnectionSasl | undefined =
      options.sasl === undefined
        ? undefined
        : {
            ...options.sasl,
            authenticationTimeoutMs: options.sasl.authenticationTimeoutMs ?? SASL_AUTHENTICATION_TIMEOUT_MS,
          };
    const secure = options.tls;
    const server =
      secure === undefined ? createServer() : tls.createServer({ ...secure, handshakeTimeout: 10_000 });
    const kafka = new KafkaServer(server);
    const serveKafka = (socket: Socket) => {
      const connection = new KafkaConnection(socket, {
        dispatcher,
        frameBytesMax: options.frameBytesMax,
        inFlightMax: IN_FLIGHT_PER_CONNECTION_MAX,
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
        logger,
        ...(sasl === undefined
          ? { session: connectionSession(socket, options.principalMappingRules) }
          : { sasl }),
      });
      kafka.connections.set(socket, connection);
      options.observer?.connectionOpened();
      socket.once('close', () => {
        kafka.connections.delete(socket);
        options.observer?.connectionClosed();
      });
    };
    // Over TLS too: the first decrypted bytes tell HTTP from Kafka as they do in plain text, so
    // `--bootstrap-server host:9092` reaches the client API (HTTPS, authenticated as CLIENT is) there too.
    const handOffHttp =
      options.frameBytesMax < HTTP_FIRST_BYTE_MIN * 2 ** 24 ? options.handOffHttp : undefined;
    const limiter = options.connectionLimiter ?? null;
    if (secure !== undefined) {
      // Counted before the handshake (a flood of handshakes is bounded too); handshaking connections
      // count as undecided: closed with the listener.
      server.on('connection', (socket: Socket) => {
        if (!admitSocket(limiter, socket, logger)) return;
        kafka.undecided.add(socket);
        socket.once('close', () => kafka.undecided.delete(socket));
      });
      server.on('tlsClientError', (error, socket) => {
        logger.debug({ err: error, remote: socket.remoteAddress }, 'TLS handshake failed');
        socket.destroy();
      });
    }
    server.on(secure === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
      if (secure === undefined && !admitSocket(limiter, socket, logger)) return;
      if (handOffHttp === undefined) {
        serveKafka(socket);
        return;
      }
      // Undecided until its first bytes: closed with the listener meanwhile.
      kafka.undecided.add(socket);
      const onError = (error: Error) =>
        logger.debug({ err: error }, 'connection error before its first bytes');
      socket.on('error', onError);
      socket.once('close', () => kafka.undecided.delete(socket));
      // A connection that never says a word is idle too: closed as Kafka's would be.
      const onIdle = () => socket.destroy();
      if (options.idleTimeoutMs !== undefined) socket.setTimeout(options.idleTimeoutMs, onIdle);
      socket.once('data', (chunk: Buffer) => {
        kafka.undecided.delete(socket);
        socket.off('error', onError);
        socket.off('timeout', onIdle);
        socket.setTimeout(0);
        socket.pause();
        socket.unshift(chunk);
        const first = chunk[0]!;
        if (first >= HTTP_FIRST_BYTE_MIN && first <= HTTP_FIRST_BYTE_MAX) {
          handOffHttp(socket);
          return;
        }
        serveKafka(socket);
        socket.resume();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host === '' ? '0.0.0.0' : options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => logger.error({ err: error }, 'kafka listener error'));
    return kafka;
  }

  /** "host:port" as bound (the ephemeral port when 0 was asked). */
  get address(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') return String(address);
    return address.family === 'IPv6'
      ? `[${address.address}]:${address.port}`
      : `${address.address}:${address.port}`;
  }

  get port(): number {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  }

  /** Stops accepting, then closes every connection (requests in hand are not answered). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) =>
      this.server.listening ? this.server.close(() => resolve()) : resolve(),
    );
    for (const connection of this.connections.values()) connection.close('the listener is closing');
    for (const socket of this.undecided) socket.destroy();
    await closed;
  }
}
