// The Kafka listener (listeners=PLAINTEXT://host:port): a raw TCP server whose connections speak Kafka's
// protocol (connection.ts) to the handlers of src/kafka/handlers.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ServedApi } from './api-handler.ts';
import { KafkaConnection } from './connection.ts';
import { type KafkaListenerObserver, RequestDispatcher } from './request-dispatch.ts';

/** Requests one connection may have in hand at once (librdkafka pipelines up to 1,000,000 by default). */
const IN_FLIGHT_PER_CONNECTION_MAX = 128;

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Map<Socket, KafkaConnection>();

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
    readonly logger: Logger;
  }): Promise<KafkaServer> {
    const dispatcher = new RequestDispatcher(options.apis, options.observer ?? null);
    const logger = options.logger.child({ listener: 'PLAINTEXT' });
    const server = createServer();
    const kafka = new KafkaServer(server);
    server.on('connection', (socket) => {
      const connection = new KafkaConnection(socket, {
        dispatcher,
        frameBytesMax: options.frameBytesMax,
        inFlightMax: IN_FLIGHT_PER_CONNECTION_MAX,
        logger,
      });
      kafka.connections.set(socket, connection);
      options.observer?.connectionOpened();
      socket.once('close', () => {
        kafka.connections.delete(socket);
        options.observer?.connectionClosed();
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
    await closed;
  }
}
