// POSTs of protobuf bodies (and a few GETs) to other nodes' internal listeners over HTTP/2 (h2c, or TLS
// and the peer preface when security is configured: the injected PeerDialer), one undici client per
// address, so requests to one node share a connection.
import type { Client } from 'undici';
import { PLAIN_PEER_DIALER, type PeerDialer } from '../../raft/transport/peer-dialer.ts';

export class H2cClients {
  private readonly clients = new Map<string, Client>();
  private closed = false;
  private readonly dialer: PeerDialer;

  constructor(dialer: PeerDialer = PLAIN_PEER_DIALER) {
    this.dialer = dialer;
  }

  async post(
    address: string,
    path: string,
    body: Uint8Array,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<{ status: number; bytes: Uint8Array }> {
    const response = await this.client(address).request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/x-protobuf' },
      body,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    return { status: response.statusCode, bytes: new Uint8Array(await response.body.arrayBuffer()) };
  }

  async get(
    address: string,
    path: string,
    options: { timeoutMs: number },
  ): Promise<{ status: number; text: string }> {
    const response = await this.client(address).request({
      method: 'GET',
      path,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    return { status: response.statusCode, text: await response.body.text() };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => undefined)));
    this.clients.clear();
  }

  private client(address: string): Client {
    if (this.closed) throw new Error('the internal clients are closed');
    let client = this.clients.get(address);
    if (client === undefined || client.destroyed || client.closed) {
      client = this.dialer.client(address, { connectTimeoutMs: 5_000 });
      this.clients.set(address, client);
    }
    return client;
  }
}
