// Sends requests to the active controller, wherever it is: the Raft leader this node knows of first,
// then every voter in turn; NOT_CONTROLLER answers redirect to their hint. Bounded by a deadline, so a
// cluster without a quorum answers REQUEST_TIMED_OUT instead of hanging.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Client } from 'undici';
import type { NodeId } from '../../raft/types.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import {
  CONTROLLER_RPC_PATH,
  type ControllerMessages,
  type ControllerOperation,
  decodeError,
  decodeResponse,
  encodeRequest,
  errorFromMessage,
} from '../metadata/controller/rpc-codec.ts';

export interface ControllerClientOptions {
  /** The controllers' internal addresses ("host:port"), from controller.quorum.voters. */
  readonly voters: ReadonlyMap<NodeId, string>;
  /** The Raft leader this node currently knows of (0 if none). */
  readonly leaderHint: () => NodeId;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
}

export class ControllerClient {
  private readonly options: ControllerClientOptions;
  private readonly clients = new Map<NodeId, Client>();
  private closed = false;

  constructor(options: ControllerClientOptions) {
    this.options = options;
  }

  async call<O extends ControllerOperation>(
    operation: O,
    request: ControllerMessages[O]['request'],
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<ControllerMessages[O]['response']> {
    const body = encodeRequest(operation, request);
    const deadline = Date.now() + timeoutMs;
    const voters = [...this.options.voters.keys()];
    let next: NodeId = this.options.leaderHint();
    let lastError: unknown = null;
    for (let attempt = 0; !this.closed && Date.now() < deadline; attempt++) {
      const target = voters.includes(next) ? next : voters[attempt % voters.length]!;
      next = voters[(voters.indexOf(target) + 1) % voters.length]!;
      try {
        return await this.post(target, operation, body, deadline);
      } catch (error) {
        lastError = error;
        if (error instanceof KafkaError && !error.retriable) throw error;
        if (error instanceof RedirectError) {
          if (error.leaderId !== 0 && error.leaderId !== target) {
            next = error.leaderId;
            continue;
          }
        }
        // No one knows the controller yet (an election is running), or the target is down.
        // Short and capped: during an election the answer is worth having as soon as a leader exists.
        await sleep(Math.min(25 * 2 ** Math.min(attempt, 3), Math.max(0, deadline - Date.now())));
      }
    }
    throw new KafkaError(
      'REQUEST_TIMED_OUT',
      `No active controller answered ${operation} within ${timeoutMs} ms${lastError instanceof Error ? `: ${lastError.message}` : ''}.`,
      { cause: lastError },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => undefined)));
    this.clients.clear();
  }

  private async post<O extends ControllerOperation>(
    target: NodeId,
    operation: O,
    body: Uint8Array,
    deadline: number,
  ): Promise<ControllerMessages[O]['response']> {
    const timeoutMs = Math.max(1, deadline - Date.now());
    const response = await this.client(target).request({
      method: 'POST',
      path: `${CONTROLLER_RPC_PATH}${operation}`,
      headers: { 'content-type': 'application/x-protobuf' },
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const bytes = new Uint8Array(await response.body.arrayBuffer());
    if (response.statusCode === 200) return decodeResponse(operation, bytes);
    const error = decodeError(bytes);
    if (error.errorName === 'NOT_CONTROLLER') throw new RedirectError(error.leaderId, error.message);
    throw errorFromMessage(error);
  }

  private client(target: NodeId): Client {
    let client = this.clients.get(target);
    if (client === undefined || client.destroyed || client.closed) {
      client = new Client(`http://${this.options.voters.get(target)}`, {
        allowH2: true,
        h2Options: { useH2c: true },
        connectTimeout: this.options.requestTimeoutMs,
      });
      this.clients.set(target, client);
    }
    return client;
  }
}

class RedirectError extends Error {
  readonly leaderId: NodeId;
  constructor(leaderId: number, message: string) {
    super(message);
    this.leaderId = leaderId as NodeId;
  }
}
