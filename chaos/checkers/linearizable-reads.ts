import type { NodeId } from '../../raft/types.ts';
import { Violation } from './violation.ts';

/** A read-index request as the checker knows it: who was asked, and the floor when it was issued. */
interface IssuedRead {
  readonly node: NodeId;
  /** The highest index committed anywhere (applied by some node) when the client issued the read. */
  readonly floor: number;
  readonly issuedUs: number;
}

/**
 * Linearizable reads (Raft thesis §6.4): a read index answered to a client must be at least the index of
 * every entry committed before the client issued the read, since a read linearized at any point after
 * its invocation must see them. The floor is the highest index any node had applied at invocation: an
 * applied entry is committed, and every acknowledged proposal is applied first, so this is at least as
 * strict as "every entry whose commit was acknowledged to a client before the read was issued".
 */
export class LinearizableReadsChecker {
  private readonly issued = new Map<number, IssuedRead>();
  answered = 0;
  refused = 0;

  issue(requestId: number, read: IssuedRead): void {
    this.issued.set(requestId, read);
  }

  /** A node answered `requestId` with `index`. Throws when the answer is older than the read. */
  answer(requestId: number, index: number): void {
    const read = this.issued.get(requestId);
    if (read === undefined) throw new Violation('linearizable-reads', `answer to unknown read ${requestId}`);
    this.issued.delete(requestId);
    this.answered++;
    if (index < read.floor) {
      throw new Violation(
        'linearizable-reads',
        `node ${read.node} answered read ${requestId} (issued at ${(read.issuedUs / 1000).toFixed(3)} ms) with index ${index}, but index ${read.floor} was committed before it was issued`,
      );
    }
  }

  /** A node refused the read (not the leader, or leadership lost); or its process died with it. */
  refuse(requestId: number): void {
    if (this.issued.delete(requestId)) this.refused++;
  }
}
