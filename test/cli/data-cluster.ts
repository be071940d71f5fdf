// The console tools' server in tests: the real client app (src/http) over test/http's FakeNode, whose
// DataApi keeps records in memory, listening on an ephemeral port of 127.0.0.1, which every broker
// advertises as its client endpoint. It records the method and URL of every request so tests can check
// how lines were batched and what was read.

import type { FastifyInstance } from 'fastify';
import { buildClientApp } from '../../src/http/client-app.ts';
import type { ClientApiListener } from '../../src/http/client-server.ts';
import { listenClientApi } from '../../src/http/client-server.ts';
import { FakeNode } from '../http/fake-node.ts';

export class DataCluster {
  readonly node = new FakeNode();
  /** "METHOD url" of every request, in arrival order. */
  readonly requests: string[] = [];
  readonly #app: FastifyInstance;
  #listener: ClientApiListener | null = null;

  constructor() {
    this.#app = buildClientApp({ node: this.node });
    this.#app.addHook('onRequest', async (request) => {
      this.requests.push(`${request.method} ${request.url}`);
    });
  }

  /** Resolves to "127.0.0.1:port". */
  async start(): Promise<string> {
    this.#listener = await listenClientApi(this.#app, { host: '127.0.0.1', port: 0, closeGraceMs: 200 });
    this.#advertise(this.#listener.address);
    return this.#listener.address;
  }

  /**
   * Every broker registers this listener as its CLIENT endpoint, as a real node registers its own, so
   * that a client routing by /v1/metadata (the SDK producer) reaches it.
   */
  #advertise(address: string): void {
    const at = address.lastIndexOf(':');
    const host = address.slice(0, at);
    const port = Number(address.slice(at + 1));
    for (const broker of [...this.node.image().brokers.values()]) {
      this.node.applyRecords([
        {
          type: 'registerBroker',
          brokerId: broker.id,
          incarnationId: broker.incarnationId,
          endpoints: broker.endpoints.map((endpoint) =>
            endpoint.name === 'CLIENT' ? { ...endpoint, host, port } : endpoint,
          ),
          rack: broker.rack,
          fenced: broker.fenced,
          processRoles: broker.processRoles,
        },
      ]);
    }
  }

  async createTopic(name: string, partitionsCount: number): Promise<void> {
    await this.node.createTopic({
      name,
      partitionsCount,
      replicationFactor: 3,
      configs: new Map(),
      validateOnly: false,
    });
  }

  /** The requests whose URL contains `fragment`. */
  requestsTo(fragment: string): string[] {
    return this.requests.filter((request) => request.includes(fragment));
  }

  async close(): Promise<void> {
    await this.#listener?.close();
    await this.#app.close();
  }
}
