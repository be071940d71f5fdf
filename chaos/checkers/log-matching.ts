import type { Entry, NodeId, Term } from '../../raft/types.ts';
import { entryText } from '../sim/state-machine.ts';
import { Violation } from './violation.ts';

interface KnownEntry {
  readonly digest: string;
  readonly prevTerm: number;
  readonly node: NodeId;
}

/**
 * Raft §5.3 Log Matching: if two logs hold an entry with the same index and term, the logs are identical
 * up to it. Checked incrementally, by induction, on every write any node makes to its log: an
 * (index, term) pair must always name the same entry content AND sit after an entry of the same term.
 * Two logs that agree at (i, t) then agree at i - 1 (same previous term, hence same entry), and so on
 * down to the start. This is O(entries written), not O(nodes^2 * log) per event.
 */
export class LogMatchingChecker {
  private readonly known = new Map<number, Map<number, KnownEntry>>();

  /** `prevTerm` is the term of the entry just before entries[0] in the node's log (0 before index 1). */
  observeEntries(node: NodeId, entries: readonly Entry[], prevTerm: Term | null): void {
    let previous: number | null = prevTerm;
    for (const entry of entries) {
      if (previous === null) {
        throw new Violation('log-matching', `node ${node} wrote index ${entry.index} after an unknown entry`);
      }
      this.observe(node, entry, previous);
      previous = entry.term;
    }
  }

  private observe(node: NodeId, entry: Entry, prevTerm: number): void {
    let byTerm = this.known.get(entry.index);
    if (byTerm === undefined) {
      byTerm = new Map();
      this.known.set(entry.index, byTerm);
    }
    const digest = `${entry.type}:${entryText(entry.data)}`;
    const known = byTerm.get(entry.term);
    if (known === undefined) {
      byTerm.set(entry.term, { digest, prevTerm, node });
      return;
    }
    if (known.digest !== digest) {
      throw new Violation(
        'log-matching',
        `index ${entry.index} term ${entry.term} holds "${digest}" on node ${node} but "${known.digest}" on node ${known.node}`,
      );
    }
    if (known.prevTerm !== prevTerm) {
      throw new Violation(
        'log-matching',
        `index ${entry.index} term ${entry.term} follows an entry of term ${prevTerm} on node ${node} but of term ${known.prevTerm} on node ${known.node}`,
      );
    }
  }
}
