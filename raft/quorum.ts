import type { LogIndex, NodeId } from './types.ts';

/** The smallest number of voters that forms a majority. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index that a majority of voters has durably matched (Raft §5.3, §5.4.2): sort the match
 * indexes in descending order and take the one at position quorum - 1.
 */
export function committedIndex(matchByVoter: ReadonlyMap<NodeId, LogIndex>): LogIndex {
  return quorumReached(matchByVoter) as LogIndex;
}

/**
 * The highest value that a majority of voters has reached, each voter's value being a monotonic
 * counter (a match index, an acknowledged read-index round); 0 without voters.
 */
export function quorumReached(valueByVoter: ReadonlyMap<NodeId, number>): number {
  const values = [...valueByVoter.values()].sort((a, b) => b - a);
  if (values.length === 0) return 0;
  return values[quorumSize(values.length) - 1]!;
}

export type VoteOutcome = 'won' | 'lost' | 'pending';

/** Tallies granted and rejected votes of voters; non-voters' answers are ignored. */
export function voteOutcome(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteOutcome {
  let granted = 0;
  let rejected = 0;
  for (const voter of voters) {
    const vote = votes.get(voter);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const needed = quorumSize(voters.length);
  if (granted >= needed) return 'won';
  if (rejected > voters.length - needed) return 'lost';
  return 'pending';
}
