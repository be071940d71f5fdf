// What Kafka's DescribeQuorum reports about each replica, tracked on the Raft leader from successive
// statuses: a replica's last progress (our "last fetch") and when it last matched the leader's log end.
import type { RaftStatus } from '../../raft/node.ts';
import type { NodeId } from '../../raft/types.ts';
import type { ReplicaState } from '../metadata/controller/rpc-codec.ts';

interface Seen {
  match: number;
  lastFetchMs: number | null;
  lastCaughtUpMs: number | null;
}

export class QuorumTracker {
  private readonly seen = new Map<NodeId, Seen>();
  private term = -1;

  observe(status: RaftStatus, nowMs: number): void {
    if (status.role !== 'leader') {
      this.seen.clear();
      this.term = -1;
      return;
    }
    if (status.term !== this.term) {
      this.seen.clear();
      this.term = status.term;
    }
    for (const peer of status.peers) {
      // Match 0 is where every peer starts in a term: not a fetch.
      const seen = this.seen.get(peer.id) ?? { match: 0, lastFetchMs: null, lastCaughtUpMs: null };
      // Raft marks every peer recently active when it becomes leader: only a peer that has acknowledged
      // something in this term has fetched.
      if (peer.match > seen.match || (peer.recentActive && peer.match > 0)) seen.lastFetchMs = nowMs;
      seen.match = peer.match;
      if (peer.match >= status.lastIndex) seen.lastCaughtUpMs = nowMs;
      this.seen.set(peer.id, seen);
    }
  }

  describe(
    status: RaftStatus,
    nowMs: number,
  ): {
    leaderId: number;
    leaderEpoch: number;
    highWatermark: number;
    voters: ReplicaState[];
    observers: ReplicaState[];
  } {
    const leader: ReplicaState = {
      replicaId: status.id,
      logEndOffset: status.lastIndex,
      lastFetchTimestamp: nowMs,
      lastCaughtUpTimestamp: nowMs,
    };
    const replicas = status.peers.map((peer) => {
      const seen = this.seen.get(peer.id);
      return {
        isObserver: peer.isObserver,
        state: {
          replicaId: peer.id,
          // Raft's match index starts at 0 in each term: nothing heard yet, not an empty log.
          ...(peer.match > 0 ? { logEndOffset: peer.match } : {}),
          ...(seen?.lastFetchMs != null ? { lastFetchTimestamp: seen.lastFetchMs } : {}),
          ...(seen?.lastCaughtUpMs != null ? { lastCaughtUpTimestamp: seen.lastCaughtUpMs } : {}),
        },
      };
    });
    const byId = (a: ReplicaState, b: ReplicaState) => a.replicaId - b.replicaId;
    return {
      leaderId: status.id,
      leaderEpoch: status.term,
      highWatermark: status.commit,
      voters: [leader, ...replicas.filter((r) => !r.isObserver).map((r) => r.state)].sort(byId),
      observers: replicas
        .filter((r) => r.isObserver)
        .map((r) => r.state)
        .sort(byId),
    };
  }
}
