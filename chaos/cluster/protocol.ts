import type { Message } from '../../raft/types.ts';
import type { ControllerReply } from '../../src/http/internal-controller-routes.ts';

/** What travels between simulated processes: Raft messages (one way) and controller RPCs. */
export type ClusterProtocol = {
  raft: { request: Message; response: never };
  controller: { request: { operation: string; body: Uint8Array }; response: ControllerReply };
};
