// Controller RPCs over HTTP/2 cleartext to the controllers' internal listeners (the real network; the
// whole-cluster simulation plugs in its own ControllerTransport).
import type { Client } from 'undici';
import { PLAIN_PEER_DIALER, type PeerDialer } from '../../raft/transport/peer-dialer.ts';
import type { NodeId } from '../../raft/types.ts';
import { CONTROLLER_RPC_PATH, type ControllerOperation } from '../metadata/controller/rpc-codec.ts';
import type { ControllerAnswer, ControllerTransport } from './controller-client.ts';

export class HttpControllerTransport implements ControllerTransport {
  /** The controllers' internal addresses ("host:port"), from controller.quorum.voters. */
  private readonly addresses: ReadonlyMap<NodeId, string>;
  private readonly connectTimeoutMs: number;
  private readonly clients = new Map<NodeId, Client>();
  private readonly dialer: PeerDialer;

  constructor(options: {
    addresses: ReadonlyMap<NodeId, string>;
    connectTimeoutMs: number;
    /** TLS and the peer preface when security is configured; default h2c. */
    dialer?: PeerDialer;
  }) {
    this.addresses = options.addresses;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.dialer = options.dialer ?? PLAIN_PEER_DIALER;
  }

  async post(
    target: NodeId,
    operation: ControllerOperation,
    body: Uint8Array,
    timeoutMs: number,
  ): Promise<ControllerAnswer> {
    const response = await this.client(target).request({
      method: 'POST',
      path: `${CONTROLLER_RPC_PATH}${operation}`,
      headers: { 'content-type': 'application/x-protobuf' },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    return { statusCode: response.statusCode, body: new Uint8Array(await response.body.arrayBuffer()) };
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => undefined)));
    this.clients.clear();
  }

  private client(target: NodeId): Client {
    let client = this.clients.get(target);
    if (client === undefined || client.destroyed || client.closed) {
      client = this.dialer.client(`${this.addresses.get(target)}`, {
        connectTimeoutMs: this.connectTimeoutMs,
      });
      this.clients.set(target, client);
    }
    return client;
  }
}
