import { NONE, type NodeId, type ReadState } from '../../raft/types.ts';
import type { LinearizableReadsChecker } from '../checkers/linearizable-reads.ts';
import type { Prng } from './prng.ts';
import type { Scheduler } from './scheduler.ts';
import type { SimNode } from './sim-node.ts';

/**
 * The read workload: read-index requests to the node the reader believes leads, or to any node (a client
 * with a stale view reaches deposed leaders too). Each read's floor is taken when it is issued, and every
 * answer goes through the linearizability checker.
 */
export class Reader {
  private readonly nodes: ReadonlyMap<NodeId, SimNode>;
  private readonly scheduler: Scheduler;
  private readonly random: Prng;
  private readonly delayMaxUs: number;
  private readonly checker: LinearizableReadsChecker;
  /** The highest index committed anywhere so far (some node applied it). */
  private readonly committedFloor: () => number;
  private believedLeader: NodeId = NONE;
  private nextRequestId = 1;
  /** The index of every read answered, by request id (the liveness phase waits for one). */
  readonly answers = new Map<number, number>();

  constructor(options: {
    nodes: ReadonlyMap<NodeId, SimNode>;
    scheduler: Scheduler;
    random: Prng;
    delayMaxUs: number;
    checker: LinearizableReadsChecker;
    committedFloor: () => number;
  }) {
    this.nodes = options.nodes;
    this.scheduler = options.scheduler;
    this.random = options.random;
    this.delayMaxUs = options.delayMaxUs;
    this.checker = options.checker;
    this.committedFloor = options.committedFloor;
  }

  /** Issues one read; returns its request id. `to` defaults to the believed leader or a random node. */
  read(to?: NodeId): number {
    const target =
      to ??
      (this.believedLeader !== NONE && this.random.chance(0.5)
        ? this.believedLeader
        : this.random.pick([...this.nodes.keys()]));
    const requestId = this.nextRequestId++;
    const node = this.nodes.get(target)!;
    this.checker.issue(requestId, {
      node: target,
      floor: this.committedFloor(),
      issuedUs: this.scheduler.now(),
    });
    this.scheduler.after(this.random.nextInt(this.delayMaxUs + 1), () => {
      const accepted = node.submit({
        kind: 'readIndex',
        requestId,
        respond: (state) => this.answered(target, state),
        lost: () => this.checker.refuse(requestId),
      });
      if (!accepted) this.checker.refuse(requestId);
    });
    return requestId;
  }

  private answered(node: NodeId, state: ReadState): void {
    if (state.ok) {
      this.believedLeader = node;
      this.answers.set(state.requestId, state.index);
      this.checker.answer(state.requestId, state.index);
      return;
    }
    this.believedLeader = state.leader;
    this.checker.refuse(state.requestId);
  }
}
