import type { NodeId, Term } from '../../raft/types.ts';
import { Violation } from './violation.ts';

/** Raft §5.2 Election Safety: at most one leader per term, over the whole run. */
export class ElectionSafetyChecker {
  private readonly leaderByTerm = new Map<number, NodeId>();

  /** Records that `leader` acts as leader in `term`; returns true the first time this pair is seen. */
  observeLeader(term: Term, leader: NodeId): boolean {
    const known = this.leaderByTerm.get(term);
    if (known === undefined) {
      this.leaderByTerm.set(term, leader);
      return true;
    }
    if (known !== leader) {
      throw new Violation(
        'election-safety',
        `term ${term} has two leaders: node ${known} and node ${leader}`,
      );
    }
    return false;
  }

  get termsWithLeader(): number {
    return this.leaderByTerm.size;
  }
}
