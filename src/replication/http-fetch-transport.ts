// FetchTransport over HTTP/2 (h2c) to the leader's internal listener. The address comes from the
// leader's broker registration (its INTERNAL endpoint).
import type { BrokerId } from '../metadata/ids.ts';
import {
  FETCH_PATH,
  type FetchRequest,
  type FetchResponse,
  decodeFetchResponse,
  encodeFetchRequest,
} from './fetch-messages.ts';
import { H2cClients } from './h2c-clients.ts';
import type { PeerDialer } from '../../raft/transport/peer-dialer.ts';
import type { FetchTransport } from './replica-fetcher.ts';

export class HttpFetchTransport implements FetchTransport {
  private readonly addressOf: (broker: BrokerId) => string | null;
  private readonly clients: H2cClients;

  constructor(options: {
    addressOf: (broker: BrokerId) => string | null;
    /** TLS and the peer preface when security is configured; default h2c. */
    dialer?: PeerDialer;
  }) {
    this.addressOf = options.addressOf;
    this.clients = new H2cClients(options.dialer);
  }

  async fetch(
    leader: BrokerId,
    request: FetchRequest,
    options: { timeoutMs: number; signal: AbortSignal },
  ): Promise<FetchResponse> {
    const address = this.addressOf(leader);
    if (address === null) throw new Error(`broker ${leader} has no INTERNAL endpoint in the metadata`);
    const { status, bytes } = await this.clients.post(
      address,
      FETCH_PATH,
      encodeFetchRequest(request),
      options,
    );
    if (status !== 200) {
      throw new Error(
        `fetch from broker ${leader} answered ${status}: ${Buffer.from(bytes).toString('utf8').slice(0, 200)}`,
      );
    }
    return decodeFetchResponse(bytes);
  }

  close(): Promise<void> {
    return this.clients.close();
  }
}
