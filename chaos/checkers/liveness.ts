import type { NodeId, Role } from '../../raft/types.ts';
import { Violation } from './violation.ts';

/** What the liveness checker needs to know of a node after healing. */
export interface LivenessNodeView {
  readonly id: NodeId;
  readonly role: Role | null;
  readonly term: number;
  readonly applied: number;
}

/**
 * Liveness after the faults heal (TigerBeetle's second phase): with every node up and every link working,
 * a leader must be elected, a fresh proposal must commit, and every node (observers too) must apply up to
 * the same index, each within a bound of simulated time.
 */
export class LivenessChecker {
  private readonly startedUs: number;

  constructor(startedUs: number) {
    this.startedUs = startedUs;
  }

  /** The leader of the highest term, or null when there is none yet. */
  static leaderOf(nodes: readonly LivenessNodeView[]): NodeId | null {
    let best: LivenessNodeView | null = null;
    for (const node of nodes) {
      if (node.role === 'leader' && (best === null || node.term > best.term)) best = node;
    }
    return best?.id ?? null;
  }

  /** True when every node has applied the same index, at least `index`. */
  static converged(nodes: readonly LivenessNodeView[], index: number): boolean {
    const first = nodes[0];
    if (first === undefined || first.applied < index) return false;
    return nodes.every((node) => node.applied === first.applied);
  }

  /** Throws when `deadlineUs` has passed without `goal`. */
  expire(goal: string, nowUs: number, deadlineUs: number, nodes: readonly LivenessNodeView[]): void {
    if (nowUs < deadlineUs) return;
    const described = nodes.map(
      (node) => `${node.id}:${node.role ?? 'down'}@${node.term}/applied ${node.applied}`,
    );
    throw new Violation(
      'liveness',
      `no ${goal} within ${((deadlineUs - this.startedUs) / 1000).toFixed(0)} ms after healing [${described.join(', ')}]`,
    );
  }
}
