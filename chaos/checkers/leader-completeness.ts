import type { NodeId, PersistentState, Term } from '../../raft/types.ts';
import { entryAt } from '../sim/disk.ts';
import { entryValue } from '../sim/state-machine.ts';
import type { StateMachineSafetyChecker } from './state-machine-safety.ts';
import { Violation } from './violation.ts';

/**
 * Raft §5.4.1 Leader Completeness: a leader's log holds every entry committed before it was elected.
 * "Committed" is what any node has applied (the commit chain); the leader's log is its snapshot plus
 * the entries it has written (the driver has handed every entry to storage by the end of an event).
 */
export function checkLeaderCompleteness(
  leader: NodeId,
  term: Term,
  log: PersistentState,
  chain: StateMachineSafetyChecker,
): void {
  const snapshotIndex = log.snapshot?.metadata.index ?? 0;
  if (log.snapshot !== null) {
    const committed = chain.get(snapshotIndex);
    if (committed !== undefined && committed.term !== log.snapshot.metadata.term) {
      throw new Violation(
        'leader-completeness',
        `leader ${leader} of term ${term} has a snapshot at ${snapshotIndex} of term ${log.snapshot.metadata.term}, committed term is ${committed.term}`,
      );
    }
  }
  for (let index = snapshotIndex + 1; index <= chain.highest; index++) {
    const committed = chain.get(index);
    if (committed === undefined) continue;
    const entry = entryAt(log, index);
    if (entry === null) {
      throw new Violation(
        'leader-completeness',
        `leader ${leader} of term ${term} lacks committed index ${index} (term ${committed.term}); its log ends at ${snapshotIndex + log.entries.length}`,
      );
    }
    if (entry.term !== committed.term || entryValue(entry) !== committed.value) {
      throw new Violation(
        'leader-completeness',
        `leader ${leader} of term ${term} holds term ${entry.term} at committed index ${index} (committed: term ${committed.term} "${committed.value ?? '<no-op>'}")`,
      );
    }
  }
}

/** A voter's log as its votes judge it (raft/log.ts isUpToDate compares last term, then last index). */
export interface VoterLog {
  readonly id: NodeId;
  readonly log: PersistentState;
}

/**
 * Leader Completeness, anticipated: no voter that lacks a committed entry may be electable, i.e. at least
 * as up to date (§5.4.1) as a quorum of voters (itself included). This holds at every instant in correct
 * Raft: the entry was committed through an entry of the committing leader's term held by a quorum, and a
 * log lacking the committed entry is less up to date than each of those. It fires the moment a leader
 * commits an earlier term's entry by counting replicas while a Figure 8 rival exists, without waiting for
 * the rival to actually win an election.
 */
export function checkNoElectableVoterLacks(
  index: number,
  chain: StateMachineSafetyChecker,
  voters: readonly VoterLog[],
): void {
  const committed = chain.get(index);
  if (committed === undefined) return;
  const quorum = Math.floor(voters.length / 2) + 1;
  for (const voter of voters) {
    if (holds(voter.log, index, committed.term, committed.value)) continue;
    const [term, last] = lastPosition(voter.log);
    const electors = voters.filter((other) => {
      const [otherTerm, otherLast] = lastPosition(other.log);
      return term > otherTerm || (term === otherTerm && last >= otherLast);
    });
    if (electors.length >= quorum) {
      throw new Violation(
        'leader-completeness',
        `node ${voter.id} lacks committed index ${index} (term ${committed.term}) yet its log (last term ${term} at ${last}) is as up to date as those of [${electors.map((other) => other.id).join(', ')}]: it can be elected`,
      );
    }
  }
}

function holds(log: PersistentState, index: number, term: number, value: string | null): boolean {
  if (index <= (log.snapshot?.metadata.index ?? 0)) return true;
  const entry = entryAt(log, index);
  return entry !== null && entry.term === term && entryValue(entry) === value;
}

function lastPosition(log: PersistentState): [term: number, index: number] {
  const last = log.entries.at(-1);
  if (last !== undefined) return [last.term, last.index];
  return [log.snapshot?.metadata.term ?? 0, log.snapshot?.metadata.index ?? 0];
}
