// FetchTransport over HTTP/2 (h2c) to the leader's internal listener, one undici client per leader
// address. The address comes from the leader's broker registration (its INTERNAL endpoint).
import { Client } from 'undici';
import type { BrokerId } from '../metadata/ids.ts';
import {
  FETCH_PATH,
  type FetchRequest,
  type FetchResponse,
  decodeFetchResponse,
  encodeFetchRequest,
} from './fetch-messages.ts';
import type { FetchTransport } from './replica-fetcher.ts';

export class HttpFetchTransport implements FetchTransport {
  private readonly addressOf: (broker: BrokerId) => string | null;
  private readonly clients = new Map<string, Client>();
  private closed = false;

  constructor(options: { addressOf: (broker: BrokerId) => string | null }) {
    this.addressOf = options.addressOf;
  }

  async fetch(
    leader: BrokerId,
    request: FetchRequest,
    options: { timeoutMs: number; signal: AbortSignal },
  ): Promise<FetchResponse> {
    const address = this.addressOf(leader);
    if (address === null) throw new Error(`broker ${leader} has no INTERNAL endpoint in the metadata`);
    const response = await this.client(address).request({
      method: 'POST',
      path: FETCH_PATH,
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeFetchRequest(request),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: options.signal,
    });
    const bytes = new Uint8Array(await response.body.arrayBuffer());
    if (response.statusCode !== 200) {
      throw new Error(
        `fetch from broker ${leader} answered ${response.statusCode}: ${Buffer.from(bytes).toString('utf8').slice(0, 200)}`,
      );
    }
    return decodeFetchResponse(bytes);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => undefined)));
    this.clients.clear();
  }

  private client(address: string): Client {
    if (this.closed) throw new Error('the fetch transport is closed');
    let client = this.clients.get(address);
    if (client === undefined || client.destroyed || client.closed) {
      client = new Client(`http://${address}`, {
        allowH2: true,
        h2Options: { useH2c: true },
        connectTimeout: 5_000,
      });
      this.clients.set(address, client);
    }
    return client;
  }
}
