// The broker's lease: registered at once, but it asks to stay fenced until it is ready to unfence
// (caught up with the metadata quorum), as Kafka's BrokerLifecycleManager does.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ControllerMessages } from '../../src/metadata/controller/rpc-codec.ts';
import { BrokerLifecycle } from '../../src/node/broker-lifecycle.ts';
import type { ControllerClient } from '../../src/node/controller-client.ts';
import { realTimers } from '../../src/node/real-timers.ts';
import { waitFor } from '../integration/process-cluster.ts';

type Heartbeat = ControllerMessages['broker-heartbeat']['request'];

/** A controller that registers at epoch 7 and unfences a broker whose heartbeat does not want fencing. */
function fakeController() {
  const heartbeats: Heartbeat[] = [];
  const client = {
    call: async (operation: string, request: unknown) => {
      if (operation === 'register-broker') return { brokerEpoch: 7 };
      const heartbeat = request as Heartbeat;
      heartbeats.push(heartbeat);
      return { isCaughtUp: true, isFenced: heartbeat.wantFence, shouldShutDown: false };
    },
  };
  return { heartbeats, client: client as unknown as ControllerClient };
}

describe('BrokerLifecycle', () => {
  it('registers, then heartbeats wanting to stay fenced until ready to unfence', async () => {
    const { heartbeats, client } = fakeController();
    let ready = false;
    const lifecycle = new BrokerLifecycle({
      clusterId: 'c',
      brokerId: 1,
      endpoints: [],
      rack: null,
      processRoles: ['broker'],
      client,
      metadataOffset: () => 12,
      readyToUnfence: () => ready,
      heartbeatIntervalMs: 5,
      incarnationId: 'incarnation-1',
      timers: realTimers,
      logger: pino({ level: 'silent' }),
    });
    lifecycle.start();
    await waitFor('three heartbeats', () => heartbeats.length >= 3, 5_000);
    expect(lifecycle.epoch).toBe(7);
    expect(heartbeats.every((heartbeat) => heartbeat.wantFence)).toBe(true);
    expect(lifecycle.state).toBe('fenced');
    ready = true;
    await waitFor('unfenced', () => lifecycle.state === 'running', 5_000);
    expect(heartbeats.at(-1)?.wantFence).toBe(false);
    await lifecycle.stop();
  });
});
