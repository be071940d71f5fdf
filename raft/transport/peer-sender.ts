// The client side of the HTTP/2 transport for one peer: a bounded queue and a sender loop that posts
// everything queued as one MessageBatch per request, one request in flight at a time (so batches
// arrive in order), backing off after a failure. Raft tolerates loss: on overflow the oldest message is
// dropped, and a batch whose request failed is dropped, not retried.

import type { Logger } from 'pino';
import type { Client } from 'undici';
import type { Message, NodeId } from '../types.ts';
import { encodeBatch } from './codec.ts';
import { PLAIN_PEER_DIALER, type PeerDialer } from './peer-dialer.ts';

export const MESSAGES_PATH = '/raft/v1/messages';
export const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';

/** Who is sending: shared by every sender of a transport (the address is known once it listens). */
export interface LocalNode {
  readonly id: NodeId;
  fromAddress: string;
}

export interface PeerSenderOptions {
  readonly peer: NodeId;
  readonly address: string;
  /** True for a peer learned from an incoming batch rather than configured. */
  readonly learned: boolean;
  readonly local: LocalNode;
  readonly queueMessagesMax: number;
  readonly requestTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly logger: Logger;
  /** How the peer is dialed (TLS, the peer preface); default h2c as is. */
  readonly dialer?: PeerDialer;
}

export interface PeerStats {
  readonly address: string;
  readonly learned: boolean;
  /** Messages waiting in the queue now. */
  readonly queued: number;
  /** Messages in batches the peer acknowledged (2xx). */
  readonly sent: number;
  /** Messages dropped: queue overflow, failed requests, unencodable batches, close. */
  readonly dropped: number;
  /** HTTP requests started. */
  readonly requests: number;
  /** HTTP requests that failed: network error, timeout or non-2xx answer. */
  readonly failedRequests: number;
}

export class PeerSender {
  readonly peer: NodeId;
  readonly learned: boolean;
  readonly #options: PeerSenderOptions;
  readonly #logger: Logger;
  #address: string;
  #queue: Message[] = [];
  #client: Client | null = null;
  #inFlight: Promise<void> | null = null;
  #pumpScheduled = false;
  #retryTimer: NodeJS.Timeout | null = null;
  #backoffMs = 0;
  #closed = false;
  #sent = 0;
  #dropped = 0;
  #requests = 0;
  #failedRequests = 0;

  constructor(options: PeerSenderOptions) {
    this.peer = options.peer;
    this.learned = options.learned;
    this.#options = options;
    this.#address = options.address;
    this.#logger = options.logger.child({ peer: options.peer });
  }

  get address(): string {
    return this.#address;
  }

  stats(): PeerStats {
    return {
      address: this.#address,
      learned: this.learned,
      queued: this.#queue.length,
      sent: this.#sent,
      dropped: this.#dropped,
      requests: this.#requests,
      failedRequests: this.#failedRequests,
    };
  }

  /** Queues messages for the peer; flushed on a microtask so that sends of one tick share a request. */
  enqueue(messages: readonly Message[]): void {
    if (this.#closed) {
      this.#dropped += messages.length;
      return;
    }
    for (const message of messages) this.#queue.push(message);
    const overflow = this.#queue.length - this.#options.queueMessagesMax;
    if (overflow > 0) {
      this.#queue.splice(0, overflow);
      this.#dropped += overflow;
      this.#logger.debug({ dropped: overflow }, 'raft transport queue full, dropped oldest messages');
    }
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      queueMicrotask(() => {
        this.#pumpScheduled = false;
        this.#pump();
      });
    }
  }

  /** A learned peer moved (an observer restarted elsewhere): talk to the new address from now on. */
  setAddress(address: string): void {
    if (address === this.#address) return;
    this.#address = address;
    this.#dropClient();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#dropped += this.#queue.length;
    this.#queue = [];
    const client = this.#client;
    this.#client = null;
    if (client !== null) await client.destroy().catch(() => undefined);
    await this.#inFlight;
  }

  #pump(): void {
    if (this.#closed || this.#inFlight !== null || this.#retryTimer !== null) return;
    if (this.#queue.length === 0) return;
    const messages = this.#queue;
    this.#queue = [];
    this.#inFlight = this.#post(messages)
      .catch((error: unknown) => this.#logger.error({ err: error }, 'raft transport sender failed'))
      .finally(() => {
        this.#inFlight = null;
        this.#pump();
      });
  }

  async #post(messages: readonly Message[]): Promise<void> {
    let body: Uint8Array;
    try {
      body = encodeBatch({
        from: this.#options.local.id,
        fromAddress: this.#options.local.fromAddress,
        messages,
      });
    } catch (error) {
      // Our own messages failed to encode: a bug upstream, but the transport stays best effort.
      this.#dropped += messages.length;
      this.#logger.error({ err: error, messages: messages.length }, 'raft transport could not encode batch');
      return;
    }
    this.#requests += 1;
    try {
      const response = await this.#clientForRequest().request({
        method: 'POST',
        path: MESSAGES_PATH,
        headers: { 'content-type': PROTOBUF_CONTENT_TYPE },
        body,
      });
      const text = await response.body.text();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        this.#succeeded(messages.length);
      } else {
        this.#failed(messages.length, new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`), false);
      }
    } catch (error) {
      this.#failed(messages.length, error, true);
    }
  }

  #clientForRequest(): Client {
    if (this.#client === null || this.#client.destroyed || this.#client.closed) {
      const timeoutMs = this.#options.requestTimeoutMs;
      this.#client = (this.#options.dialer ?? PLAIN_PEER_DIALER).client(this.#address, {
        connectTimeoutMs: timeoutMs,
        headersTimeoutMs: timeoutMs,
        bodyTimeoutMs: timeoutMs,
      });
    }
    return this.#client;
  }

  #succeeded(messageCount: number): void {
    this.#sent += messageCount;
    if (this.#backoffMs > 0) this.#logger.info({ address: this.#address }, 'raft peer reachable again');
    this.#backoffMs = 0;
  }

  #failed(messageCount: number, error: unknown, connectionSuspect: boolean): void {
    this.#dropped += messageCount;
    if (this.#closed) return;
    this.#failedRequests += 1;
    const fields = { address: this.#address, err: error, dropped: messageCount };
    // One warning when a peer becomes unreachable, debug lines while it stays so.
    if (this.#backoffMs === 0) this.#logger.warn(fields, 'raft request to peer failed, backing off');
    else this.#logger.debug(fields, 'raft request to peer failed again');
    // A fresh connection after a network failure: the old session may be half dead (peer restarted).
    if (connectionSuspect) this.#dropClient();
    this.#backoffMs = Math.min(
      this.#options.backoffMaxMs,
      this.#backoffMs === 0 ? this.#options.backoffMinMs : this.#backoffMs * 2,
    );
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#pump();
    }, this.#backoffMs);
    this.#retryTimer.unref();
  }

  #dropClient(): void {
    const client = this.#client;
    this.#client = null;
    if (client !== null) client.destroy().catch(() => undefined);
  }
}
