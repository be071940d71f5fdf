// Sends requests to the active controller, wherever it is: the Raft leader this node knows of first,
// then every voter in turn; NOT_CONTROLLER answers redirect to their hint. Bounded by a deadline, so a
// cluster without a quorum answers REQUEST_TIMED_OUT instead of hanging. Time and the wire are ports, so
// the same client runs in the whole-cluster simulation.
import type { Logger } from 'pino';
import type { NodeId } from '../../raft/types.ts';
import { isFinalAnswer, KafkaError } from '../common/kafka-errors.ts';
import {
  type ControllerMessages,
  type ControllerOperation,
  decodeError,
  decodeResponse,
  encodeRequest,
  errorFromMessage,
} from '../metadata/controller/rpc-codec.ts';
import { sleep, type Timers } from '../replication/timers.ts';

/** A controller's answer as it came back: 200 with a response, or an error status with a ControllerError. */
export interface ControllerAnswer {
  readonly statusCode: number;
  readonly body: Uint8Array;
}

/** Carries one encoded request to a controller (HttpControllerTransport on the real network). */
export interface ControllerTransport {
  post(
    target: NodeId,
    operation: ControllerOperation,
    body: Uint8Array,
    timeoutMs: number,
  ): Promise<ControllerAnswer>;
  close(): Promise<void>;
}

export interface ControllerClientOptions {
  /** The controllers (controller.quorum.voters). */
  readonly voters: readonly NodeId[];
  readonly transport: ControllerTransport;
  readonly timers: Timers;
  /** The Raft leader this node currently knows of (0 if none). */
  readonly leaderHint: () => NodeId;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
}

export class ControllerClient {
  private readonly options: ControllerClientOptions;
  private closed = false;
  /** Aborted by close(): a backoff in progress ends at once. */
  private readonly closing = new AbortController();

  constructor(options: ControllerClientOptions) {
    this.options = options;
  }

  async call<O extends ControllerOperation>(
    operation: O,
    request: ControllerMessages[O]['request'],
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<ControllerMessages[O]['response']> {
    const body = encodeRequest(operation, request);
    const { timers } = this.options;
    const deadline = timers.nowMs() + timeoutMs;
    const voters = this.options.voters;
    let next: NodeId = this.options.leaderHint();
    let lastError: unknown = null;
    for (let attempt = 0; !this.closed && timers.nowMs() < deadline; attempt++) {
      const target = voters.includes(next) ? next : voters[attempt % voters.length]!;
      next = voters[(voters.indexOf(target) + 1) % voters.length]!;
      try {
        return await this.post(target, operation, body, deadline);
      } catch (error) {
        lastError = error;
        // The controller's verdict on its committed image (a delete of a missing topic once answered
        // REQUEST_TIMED_OUT, 50003, after 2 s instead of UNKNOWN_TOPIC_OR_PARTITION, 40401 at once);
        // alter-partition-outcome.ts counts on it: the partition moved on.
        if (error instanceof KafkaError && (!error.retriable || isFinalAnswer(error))) throw error;
        if (error instanceof RedirectError) {
          if (error.leaderId !== 0 && error.leaderId !== target) {
            next = error.leaderId;
            continue;
          }
        }
        // No one knows the controller yet (an election is running), or the target is down.
        // Short and capped: during an election the answer is worth having as soon as a leader exists.
        await sleep(
          timers,
          Math.min(25 * 2 ** Math.min(attempt, 3), Math.max(0, deadline - timers.nowMs())),
          this.closing.signal,
        );
      }
    }
    throw new KafkaError(
      'REQUEST_TIMED_OUT',
      `No active controller answered ${operation} within ${timeoutMs} ms${lastError instanceof Error ? `: ${lastError.message.replace(/\.+$/, '')}` : ''}.`,
      { cause: lastError },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.options.transport.close();
  }

  private async post<O extends ControllerOperation>(
    target: NodeId,
    operation: O,
    body: Uint8Array,
    deadline: number,
  ): Promise<ControllerMessages[O]['response']> {
    const timeoutMs = Math.max(1, deadline - this.options.timers.nowMs());
    const answer = await this.options.transport.post(target, operation, body, timeoutMs);
    if (answer.statusCode === 200) return decodeResponse(operation, answer.body);
    const error = decodeError(answer.body);
    if (error.errorName === 'NOT_CONTROLLER') throw new RedirectError(error.leaderId, error.message);
    throw errorFromMessage(error);
  }
}

class RedirectError extends Error {
  readonly leaderId: NodeId;
  constructor(leaderId: number, message: string) {
    super(message);
    this.leaderId = leaderId as NodeId;
  }
}
