// The console tools' server in tests: the real client app (src/http) over test/http's FakeNode, whose
// DataApi keeps records in memory, listening on an ephemeral port of 127.0.0.1. Every broker of the fake
// advertises that port as its client listener, so that SDK clients, which route by /v1/metadata, stay on
// it. It records the method and URL of every request so tests can check how lines were batched and what
// was read.

import type { FastifyInstance } from 'fastify';
import { buildClientApp } from '../../src/http/client-app.ts';
import type { ClientApiListener } from '../../src/http/client-server.ts';
import { listenClientApi } from '../../src/http/client-server.ts';
import { CLIENT_LISTENER } from '../../src/http/render/broker.ts';
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

  /** Registers every broker again with `address` as its CLIENT endpoint (the fake's own are made up). */
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
          endpoints: broker.endpoints.map((e) => (e.name === CLIENT_LISTENER ? { ...e, host, port } : e)),
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
