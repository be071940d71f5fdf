import { describe, expect, it } from 'vitest';
import { type NodeId, nodeId } from '../../raft/types.ts';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import {
  type ControllerOperation,
  decodeRequest,
  encodeError,
  encodeResponse,
} from '../../src/metadata/controller/rpc-codec.ts';
import type { Timers } from '../../src/replication/timers.ts';
import { ControllerClient, type ControllerTransport } from '../../src/node/controller-client.ts';

// The controller client over its ports: a fake transport that answers as controllers do, and timers
// whose time jumps forward by each timeout (no real waiting).

function jumpingTimers(): Timers & { now: number } {
  const timers = {
    now: 1_000,
    nowMs: () => timers.now,
    setTimeout: (fn: () => void, ms: number) => {
      let cancelled = false;
      queueMicrotask(() => {
        if (cancelled) return;
        timers.now += ms;
        fn();
      });
      return () => {
        cancelled = true;
      };
    },
  };
  return timers;
}

const silentLogger = { warn: () => {}, info: () => {} } as never;

function client(options: { active: NodeId | null; hint: NodeId; timers: Timers; calls: NodeId[] }) {
  const transport: ControllerTransport = {
    post: async (target, operation: ControllerOperation, body) => {
      options.calls.push(target);
      decodeRequest(operation, body);
      if (target === options.active) {
        return { statusCode: 200, body: encodeResponse('read-index', { offset: 42 }) };
      }
      return {
        statusCode: 503,
        body: encodeError({
          errorName: 'NOT_CONTROLLER',
          message: 'not me',
          leaderId: options.active ?? 0,
        }),
      };
    },
    close: async () => {},
  };
  return new ControllerClient({
    voters: [1, 2, 3].map(nodeId),
    transport,
    timers: options.timers,
    leaderHint: () => options.hint,
    requestTimeoutMs: 400,
    logger: silentLogger,
  });
}

describe('ControllerClient', () => {
  it('follows a NOT_CONTROLLER redirect to the active controller', async () => {
    const calls: NodeId[] = [];
    const answer = await client({ active: nodeId(3), hint: nodeId(1), timers: jumpingTimers(), calls }).call(
      'read-index',
      {},
    );
    expect(answer.offset).toBe(42);
    expect(calls).toEqual([1, 3]);
  });

  it('answers REQUEST_TIMED_OUT at its deadline, on its own clock, when no controller is active', async () => {
    const calls: NodeId[] = [];
    const timers = jumpingTimers();
    const error = await client({ active: null, hint: nodeId(2), timers, calls })
      .call('read-index', {})
      .then(
        () => null,
        (failure: unknown) => failure,
      );
    expect(isKafkaError(error, 'REQUEST_TIMED_OUT')).toBe(true);
    expect(timers.now).toBeGreaterThanOrEqual(1_400);
    expect(calls[0]).toBe(2);
    expect(new Set(calls)).toEqual(new Set([1, 2, 3]));
  });

  it("throws the active controller's UNKNOWN_TOPIC_OR_PARTITION at once: asking again would only get it again", async () => {
    const calls: NodeId[] = [];
    const timers = jumpingTimers();
    const transport: ControllerTransport = {
      post: async (target) => {
        calls.push(target);
        return {
          statusCode: 400,
          body: encodeError({
            errorName: 'UNKNOWN_TOPIC_OR_PARTITION',
            message: 'This server does not host this topic-partition: missing.',
            leaderId: 0,
          }),
        };
      },
      close: async () => {},
    };
    const error = await new ControllerClient({
      voters: [1, 2, 3].map(nodeId),
      transport,
      timers,
      leaderHint: () => nodeId(1),
      requestTimeoutMs: 400,
      logger: silentLogger,
    })
      .call('delete-topic', { name: 'missing' })
      .then(
        () => null,
        (failure: unknown) => failure,
      );
    expect(isKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')).toBe(true);
    expect(calls).toEqual([1]);
    expect(timers.now).toBe(1_000);
  });
});
