// The metadata quorum as the leader describes it: a voter it has heard nothing from in its term (dead,
// or not fetched yet) has an unknown log end offset (-1 on REST and in metadata-quorum), not 0.
import { describe, expect, it } from 'vitest';
import type { PeerStatus, RaftStatus } from '../../raft/node.ts';
import { logIndex, nodeId, term } from '../../raft/types.ts';
import { quorumInfoFrom } from '../../src/client/admin.ts';
import { formatQuorumReplication } from '../../src/cli/metadata-quorum.ts';
import { renderQuorum } from '../../src/http/render/quorum.ts';
import { QuorumTracker } from '../../src/node/quorum-tracker.ts';

function peer(id: number, match: number): PeerStatus {
  return {
    id: nodeId(id),
    match: logIndex(match),
    next: logIndex(match + 1),
    state: 'replicate',
    isObserver: false,
    // A new leader marks every peer recently active.
    recentActive: true,
  };
}

function leaderStatus(peers: readonly PeerStatus[]): RaftStatus {
  return {
    id: nodeId(1),
    role: 'leader',
    term: term(7),
    vote: nodeId(1),
    leader: nodeId(1),
    commit: logIndex(40),
    applied: logIndex(40),
    firstIndex: logIndex(1),
    lastIndex: logIndex(42),
    stableIndex: logIndex(42),
    voters: [nodeId(1), nodeId(2), nodeId(3)],
    peers,
    leadTransferee: nodeId(0),
  };
}

describe('QuorumTracker', () => {
  it('leaves out the log end offset of a voter not heard from in this term', () => {
    const tracker = new QuorumTracker();
    const status = leaderStatus([peer(2, 40), peer(3, 0)]);
    tracker.observe(status, 1000);
    const described = tracker.describe(status, 1000);
    expect(described.voters.map((voter) => voter.logEndOffset)).toEqual([42, 40, undefined]);

    const quorum = renderQuorum('self', 'cluster', {
      ...described,
      voters: described.voters.map((voter) => ({
        replicaId: voter.replicaId,
        logEndOffset: voter.logEndOffset ?? null,
        lastFetchTimestamp: voter.lastFetchTimestamp ?? null,
        lastCaughtUpTimestamp: voter.lastCaughtUpTimestamp ?? null,
      })),
      observers: [],
    });
    expect(quorum.voters.map((voter) => [voter.log_end_offset, voter.lag])).toEqual([
      [42, 0],
      [40, 2],
      [-1, -1],
    ]);
    expect(quorum.max_follower_lag).toBe(2);

    const table = formatQuorumReplication(quorumInfoFrom(quorum), null);
    expect(
      table
        .find((line) => line.startsWith('3 '))
        ?.split('\t')
        .map((cell) => cell.trim()),
    ).toEqual(['3', '-1', '-1', '-1', '-1', 'Follower', '']);
  });
});
