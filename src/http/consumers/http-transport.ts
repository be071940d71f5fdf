// The real InstanceTransport: HTTP/1.1 over undici to the other nodes' client listeners, connections
// kept alive per address. HTTP/1.1 rather than h2c because the relayed request keeps the client's Host
// (the holder builds links from it), which an HTTP/2 :authority set by undici would not. Over HTTPS
// when the CLIENT listener is SSL / SASL_SSL (verified against the truststore given).

import type { ConnectionOptions } from 'node:tls';
import { Agent } from 'undici';
import type { InstanceTransport, RelayedAnswer, RelayedRequest } from './forwarding.ts';

/** A node that does not accept a connection within this long counts as unreachable. */
const CONNECT_TIMEOUT_MS = 3_000;

export class HttpInstanceTransport implements InstanceTransport {
  readonly #agent: Agent;
  readonly #scheme: 'http' | 'https';

  /** `tls`: the CLIENT listener is HTTPS; its options verify the other nodes (ca) and may present a cert. */
  constructor(options: { tls?: ConnectionOptions } = {}) {
    this.#scheme = options.tls === undefined ? 'http' : 'https';
    this.#agent = new Agent({
      connectTimeout: CONNECT_TIMEOUT_MS,
      keepAliveTimeout: 10_000,
      ...(options.tls !== undefined ? { connect: options.tls } : {}),
    });
  }

  async send(address: string, request: RelayedRequest, timeoutMs: number): Promise<RelayedAnswer> {
    const response = await this.#agent.request({
      origin: `${this.#scheme}://${address}`,
      method: request.method as 'GET',
      path: request.path,
      headers: request.headers,
      body: request.body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const type = response.headers['content-type'];
    return {
      status: response.statusCode,
      contentType: typeof type === 'string' ? type : null,
      body: Buffer.from(await response.body.arrayBuffer()),
    };
  }

  /** App close: forwarded requests still under way (a long poll) are cut, not waited for. */
  close(): Promise<void> {
    return this.#agent.destroy();
  }
}
