// The broker's producer ids: handed out from the controller's blocks, one fetch shared by the callers
// that find the block used up, failures answered as COORDINATOR_LOAD_IN_PROGRESS (retriable).

import { describe, expect, it } from 'vitest';
import { isKafkaError, KafkaError } from '../../src/common/kafka-errors.ts';
import type { ProducerIdBlock } from '../../src/metadata/controller/producer-id-decisions.ts';
import { ProducerIdManager } from '../../src/node/producer-id-manager.ts';

/** A controller that answers blocks of `size` from `start`, counting the calls. */
function controller(size: number, start = 0) {
  let next = start;
  const state = { calls: 0, failWith: null as Error | null };
  const allocateBlock = async (): Promise<ProducerIdBlock> => {
    state.calls++;
    await Promise.resolve();
    if (state.failWith !== null) throw state.failWith;
    const block = { producerIdStart: next, producerIdLen: size };
    next += size;
    return block;
  };
  return { state, allocateBlock };
}

describe('ProducerIdManager', () => {
  it('hands out the ids of a block in order with epoch 0, then fetches the next block', async () => {
    const { state, allocateBlock } = controller(3, 1000);
    const manager = new ProducerIdManager({ allocateBlock });
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      const identity = await manager.initProducerId();
      expect(identity.producerEpoch).toBe(0);
      ids.push(identity.producerId);
    }
    expect(ids).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006]);
    expect(state.calls).toBe(3);
  });

  it('shares one fetch among callers that find the block used up; every id is distinct', async () => {
    const { state, allocateBlock } = controller(4);
    const manager = new ProducerIdManager({ allocateBlock });
    const identities = await Promise.all(Array.from({ length: 10 }, () => manager.initProducerId()));
    const ids = identities.map((identity) => identity.producerId);
    expect(new Set(ids).size).toBe(10);
    expect([...ids].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(state.calls).toBe(3);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS when the controller cannot give a block, and tries again later', async () => {
    const { state, allocateBlock } = controller(2);
    const manager = new ProducerIdManager({ allocateBlock });
    state.failWith = new KafkaError('REQUEST_TIMED_OUT', 'no active controller');
    const failures = await Promise.allSettled([manager.initProducerId(), manager.initProducerId()]);
    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      const reason = (failure as PromiseRejectedResult).reason as unknown;
      expect(isKafkaError(reason, 'COORDINATOR_LOAD_IN_PROGRESS'), String(reason)).toBe(true);
    }
    expect(state.calls).toBe(1);
    state.failWith = null;
    expect(await manager.initProducerId()).toEqual({ producerId: 0, producerEpoch: 0 });
  });

  it('asserts that blocks move forward', async () => {
    const blocks = [
      { producerIdStart: 10, producerIdLen: 1 },
      { producerIdStart: 5, producerIdLen: 1 },
    ];
    const manager = new ProducerIdManager({ allocateBlock: async () => blocks.shift()! });
    await manager.initProducerId();
    await expect(manager.initProducerId()).rejects.toThrow(/producer id blocks move forward/);
  });
});
