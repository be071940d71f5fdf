import type { NodeId, PersistentState } from '../../raft/types.ts';
import { entryAt } from '../sim/disk.ts';
import { entryValue } from '../sim/state-machine.ts';
import type { StateMachineSafetyChecker } from './state-machine-safety.ts';
import { Violation } from './violation.ts';

/** A voter's durable state, as a restart would recover it. */
export interface DurableVoter {
  readonly id: NodeId;
  durable(): PersistentState;
}

/** A proposal the client saw committed: the proposer applied it at `index` with the proposal's term. */
export interface Acknowledged {
  readonly value: string;
  readonly index: number;
  readonly term: number;
}

/**
 * Durability: every committed entry (applied anywhere) is durable on a quorum of voters, in its log or
 * under its snapshot, for as long as the run lasts. Checked when an index is first committed, and again
 * whenever some voter's durable state lost entries (a truncating sync, or a disk that forgets).
 * At the end, every acknowledged value must be in every node's state machine at its index.
 */
export class DurabilityChecker {
  private readonly voters: readonly DurableVoter[];
  private readonly chain: StateMachineSafetyChecker;
  private readonly quorum: number;

  constructor(voters: readonly DurableVoter[], chain: StateMachineSafetyChecker) {
    this.voters = voters;
    this.chain = chain;
    this.quorum = Math.floor(voters.length / 2) + 1;
  }

  checkIndex(index: number): void {
    const committed = this.chain.get(index);
    if (committed === undefined) return;
    const holders: NodeId[] = [];
    for (const voter of this.voters) {
      const state = voter.durable();
      const snapshotIndex = state.snapshot?.metadata.index ?? 0;
      if (index <= snapshotIndex) {
        holders.push(voter.id);
        continue;
      }
      const entry = entryAt(state, index);
      if (entry !== null && entry.term === committed.term && entryValue(entry) === committed.value)
        holders.push(voter.id);
    }
    if (holders.length < this.quorum) {
      throw new Violation(
        'durability',
        `committed index ${index} (term ${committed.term} "${committed.value ?? '<no-op>'}") is durable only on [${holders.join(', ')}], fewer than a quorum of ${this.quorum}`,
      );
    }
  }

  /** Some voter's durable log lost entries from `index` on: recheck every committed index from there. */
  checkFrom(index: number): void {
    for (let i = Math.max(1, index); i <= this.chain.highest; i++) this.checkIndex(i);
  }

  /** After the liveness phase: no acknowledged value is lost or moved, on any node. */
  static checkAcknowledged(
    acknowledged: readonly Acknowledged[],
    nodes: readonly { id: NodeId; valueAt(index: number): string | null }[],
  ): void {
    for (const ack of acknowledged) {
      for (const node of nodes) {
        const found = node.valueAt(ack.index);
        if (found !== ack.value) {
          throw new Violation(
            'durability',
            `acknowledged "${ack.value}" at index ${ack.index} (term ${ack.term}) reads as "${found ?? '<nothing>'}" on node ${node.id} after healing`,
          );
        }
      }
    }
  }
}
