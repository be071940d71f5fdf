import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import {
  decodeError,
  decodeRequest,
  decodeResponse,
  encodeRequest,
} from '../../src/metadata/controller/rpc-codec.ts';
import {
  answerControllerRequest,
  type ControllerRpcHandler,
} from '../../src/http/internal-controller-routes.ts';

// The controller's request handling without HTTP (the route and the whole-cluster simulation share it).

const logger = { error: () => {} };

function handler(active: boolean): ControllerRpcHandler {
  return {
    handle: async () => {
      if (!active) throw new KafkaError('NOT_CONTROLLER', 'not me');
      return { offset: 7 } as never;
    },
    leaderHint: () => 3,
    connectionClosed: () => {},
  };
}

describe('answerControllerRequest', () => {
  it('answers 200 with the encoded response', async () => {
    const reply = await answerControllerRequest(
      handler(true),
      'read-index',
      encodeRequest('read-index', {}),
      logger,
    );
    expect(reply.statusCode).toBe(200);
    expect(decodeResponse('read-index', reply.body)).toEqual({ offset: 7 });
  });

  it('carries an AllocateProducerIds block (int64 start) both ways', async () => {
    const block = { producerIdStart: 2 ** 40, producerIdLen: 1000 };
    const blockHandler: ControllerRpcHandler = {
      handle: async () => block as never,
      leaderHint: () => 1,
      connectionClosed: () => {},
    };
    const request = { brokerId: 2, brokerEpoch: 17 };
    const body = encodeRequest('allocate-producer-ids', request);
    expect(decodeRequest('allocate-producer-ids', body)).toEqual(request);
    const reply = await answerControllerRequest(blockHandler, 'allocate-producer-ids', body, logger);
    expect(reply.statusCode).toBe(200);
    expect(decodeResponse('allocate-producer-ids', reply.body)).toEqual(block);
  });

  it('answers a retriable KafkaError with 503 and the leader hint', async () => {
    const reply = await answerControllerRequest(
      handler(false),
      'read-index',
      encodeRequest('read-index', {}),
      logger,
    );
    expect(reply.statusCode).toBe(503);
    expect(decodeError(reply.body)).toEqual({ errorName: 'NOT_CONTROLLER', message: 'not me', leaderId: 3 });
  });

  it('refuses an unknown operation and a body that is not protobuf', async () => {
    expect((await answerControllerRequest(handler(true), 'nope', new Uint8Array(), logger)).statusCode).toBe(
      404,
    );
    expect((await answerControllerRequest(handler(true), 'read-index', 'text', logger)).statusCode).toBe(415);
  });
});
