import type { Logger } from 'pino';
import type { NodeId } from '../../raft/types.ts';
import { ControllerClient } from '../../src/node/controller-client.ts';
import type { Timers } from '../../src/replication/timers.ts';
import type { ClusterProtocol } from './protocol.ts';
import type { RpcNetwork } from './rpc-network.ts';

/** The product's ControllerClient (redirects, retries, deadline) over the simulated network. */
export function simControllerClient(options: {
  self: NodeId;
  voters: readonly NodeId[];
  network: RpcNetwork<ClusterProtocol>;
  timers: Timers;
  leaderHint: () => NodeId;
  requestTimeoutMs: number;
  logger: Logger;
}): ControllerClient {
  const { self, network } = options;
  return new ControllerClient({
    voters: options.voters,
    transport: {
      post: (target, operation, body, timeoutMs) =>
        network.call(self, target, 'controller', { operation, body }, timeoutMs),
      close: async () => {},
    },
    timers: options.timers,
    leaderHint: options.leaderHint,
    requestTimeoutMs: options.requestTimeoutMs,
    logger: options.logger,
  });
}
