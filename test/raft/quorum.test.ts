// raft/quorum.ts against deliberately naive models (etcd-raft's quorum/quick_test.go): the real code
// sorts, the models count by brute force over every candidate answer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { committedIndex, quorumSize, voteOutcome } from '../../raft/quorum.ts';
import { type LogIndex, type NodeId, nodeId } from '../../raft/types.ts';

const RUNS = 20_000;

/** The largest i such that strictly more than half of the voters have match >= i (0 if none). */
function naiveCommittedIndex(matches: readonly number[]): number {
  let best = 0;
  const highest = Math.max(0, ...matches);
  for (let i = 0; i <= highest; i++) {
    const atLeast = matches.filter((match) => match >= i).length;
    if (2 * atLeast > matches.length) best = i;
  }
  return best;
}

/** Won when granted votes alone are a strict majority; lost when even every silent voter could not make one. */
function naiveVoteOutcome(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): 'won' | 'lost' | 'pending' {
  const granted = voters.filter((voter) => votes.get(voter) === true).length;
  const silent = voters.filter((voter) => !votes.has(voter)).length;
  if (2 * granted > voters.length) return 'won';
  if (2 * (granted + silent) <= voters.length) return 'lost';
  return 'pending';
}

/** Distinct voter ids with a match index each; small ranges so that ties are frequent. */
const matchesArbitrary = fc
  .uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 9 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(fc.integer({ min: 0, max: 12 }), { minLength: ids.length, maxLength: ids.length }),
    ),
  );

describe('quorum', () => {
  it('quorumSize is the smallest strict majority', () => {
    for (let voters = 1; voters <= 15; voters++) {
      const size = quorumSize(voters);
      expect(2 * size).toBeGreaterThan(voters);
      expect(2 * (size - 1)).toBeLessThanOrEqual(voters);
    }
  });

  it('committedIndex equals the naive model (largest index matched by a majority)', () => {
    fc.assert(
      fc.property(matchesArbitrary, ([ids, matches]) => {
        const byVoter = new Map<NodeId, LogIndex>(ids.map((id, i) => [nodeId(id), matches[i]! as LogIndex]));
        expect(committedIndex(byVoter)).toBe(naiveCommittedIndex(matches));
      }),
      { numRuns: RUNS },
    );
  });

  it('committedIndex does not depend on the order of voters and is monotonic in every match', () => {
    fc.assert(
      fc.property(
        matchesArbitrary,
        fc.nat(),
        fc.integer({ min: 0, max: 5 }),
        ([ids, matches], pick, raise) => {
          const entries = ids.map((id, i): [NodeId, LogIndex] => [nodeId(id), matches[i]! as LogIndex]);
          const before = committedIndex(new Map(entries));
          expect(committedIndex(new Map([...entries].reverse()))).toBe(before);
          const raised = entries.map(([id, match], i): [NodeId, LogIndex] =>
            i === pick % entries.length ? [id, (match + raise) as LogIndex] : [id, match],
          );
          expect(committedIndex(new Map(raised))).toBeGreaterThanOrEqual(before);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('committedIndex of no voters is 0', () => {
    expect(committedIndex(new Map())).toBe(0);
  });

  it('voteOutcome equals the naive model, and ignores the answers of non-voters', () => {
    const answer = fc.constantFrom<boolean | undefined>(true, false, undefined);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 9 }),
        fc.array(answer, { minLength: 12, maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 4 }),
        (voterIds, answers, nonVoterAnswers) => {
          const voters = voterIds.map(nodeId);
          const votes = new Map<NodeId, boolean>();
          for (let id = 1; id <= 12; id++) {
            const vote = answers[id - 1];
            if (voterIds.includes(id) && vote !== undefined) votes.set(nodeId(id), vote);
          }
          const expected = naiveVoteOutcome(voters, votes);
          expect(voteOutcome(voters, votes)).toBe(expected);
          // Answers from ids that are not voters change nothing.
          nonVoterAnswers.forEach((vote, i) => {
            votes.set(nodeId(100 + i), vote);
          });
          expect(voteOutcome(voters, votes)).toBe(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
