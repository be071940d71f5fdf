import type { Entry, NodeId, Snapshot } from '../../raft/types.ts';
import { entryValue, type SnapshotContent } from '../sim/state-machine.ts';
import { Violation } from './violation.ts';

/** One committed position of the one true commit chain. */
export interface ChainEntry {
  readonly term: number;
  /** null for a no-op (or any entry without a value). */
  readonly value: string | null;
  /** The first node seen applying it, for the error message. */
  readonly node: NodeId;
}

/**
 * Raft §5.4.3 State Machine Safety, as TigerBeetle's "one true commit chain": every entry any node applies
 * is compared with what was applied at that index before, by anyone, at any time. Each node applies a
 * contiguous sequence (checked by the driver), so all applied sequences are prefixes of the chain, hence
 * of one another. Values are unique per proposal, so a value applied at two indexes is a duplicate.
 */
export class StateMachineSafetyChecker {
  private readonly chain = new Map<number, ChainEntry>();
  private readonly indexByValue = new Map<string, number>();
  private highestIndex = 0;

  get highest(): number {
    return this.highestIndex;
  }

  get(index: number): ChainEntry | undefined {
    return this.chain.get(index);
  }

  /** Returns true when `entry` is the first one applied at its index (a newly committed position). */
  observeApply(node: NodeId, entry: Entry): boolean {
    return this.record(node, entry.index, entry.term, entryValue(entry), 'applied');
  }

  /**
   * A node replaced its state machine by a snapshot (from the leader, or its own on restart): every item
   * must match the chain, and every committed value up to the snapshot must be in it.
   */
  observeRestore(node: NodeId, snapshot: Snapshot, content: SnapshotContent): void {
    const { index, term } = snapshot.metadata;
    if (content.appliedIndex !== index) {
      throw new Violation(
        'state-machine-safety',
        `node ${node} restored a snapshot at ${index} holding state at ${content.appliedIndex}`,
      );
    }
    const known = this.chain.get(index);
    if (known !== undefined && known.term !== term) {
      throw new Violation(
        'state-machine-safety',
        `node ${node} restored a snapshot at ${index} of term ${term}, committed term is ${known.term}`,
      );
    }
    const present = new Set<number>();
    let previous = 0;
    for (const [itemIndex, itemTerm, value] of content.items) {
      if (itemIndex <= previous || itemIndex > index) {
        throw new Violation(
          'state-machine-safety',
          `node ${node} restored a snapshot with item ${itemIndex} out of order`,
        );
      }
      previous = itemIndex;
      present.add(itemIndex);
      this.record(node, itemIndex, itemTerm, value, 'restored');
    }
    for (const [chainIndex, entry] of this.chain) {
      if (chainIndex <= index && entry.value !== null && !present.has(chainIndex)) {
        throw new Violation(
          'state-machine-safety',
          `node ${node} restored a snapshot at ${index} that lacks "${entry.value}" committed at ${chainIndex}`,
        );
      }
    }
  }

  private record(node: NodeId, index: number, term: number, value: string | null, verb: string): boolean {
    const known = this.chain.get(index);
    if (known !== undefined) {
      if (known.term !== term || known.value !== value) {
        throw new Violation(
          'state-machine-safety',
          `node ${node} ${verb} index ${index} term ${term} "${value ?? '<no-op>'}", but node ${known.node} applied term ${known.term} "${known.value ?? '<no-op>'}" there`,
        );
      }
      return false;
    }
    if (value !== null) {
      const other = this.indexByValue.get(value);
      if (other !== undefined && other !== index) {
        throw new Violation(
          'state-machine-safety',
          `node ${node} ${verb} "${value}" at index ${index}, already committed at ${other}`,
        );
      }
      this.indexByValue.set(value, index);
    }
    this.chain.set(index, { term, value, node });
    if (index > this.highestIndex) this.highestIndex = index;
    return true;
  }
}
