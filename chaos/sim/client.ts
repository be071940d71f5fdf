import type { ProposeResult } from '../../raft/node.ts';
import { type Entry, NONE, type NodeId } from '../../raft/types.ts';
import type { Acknowledged } from '../checkers/durability.ts';
import type { Prng } from './prng.ts';
import type { Scheduler } from './scheduler.ts';
import type { SimNode } from './sim-node.ts';
import { entryValue } from './state-machine.ts';

interface Pending {
  readonly value: string;
  readonly term: number;
}

/**
 * The workload: proposes unique values (`v-<seq>`) to the node it believes leads, follows leader hints
 * on `notLeader`, and records a value as acknowledged when the node that accepted it applies it at the
 * accepted index with the accepted term (that is when a real server would answer the client).
 * A value is never proposed twice once a node accepted it: its fate is then unknown, and a second copy
 * would be a legitimate duplicate the checkers could not tell from a bug.
 */
export class Client {
  private readonly nodes: ReadonlyMap<NodeId, SimNode>;
  private readonly scheduler: Scheduler;
  private readonly random: Prng;
  private readonly delayMaxUs: number;
  private readonly pending = new Map<NodeId, Map<number, Pending>>();
  private believedLeader: NodeId = NONE;
  private sequence = 0;
  readonly acknowledged: Acknowledged[] = [];
  proposed = 0;

  constructor(options: {
    nodes: ReadonlyMap<NodeId, SimNode>;
    scheduler: Scheduler;
    random: Prng;
    delayMaxUs: number;
  }) {
    this.nodes = options.nodes;
    this.scheduler = options.scheduler;
    this.random = options.random;
    this.delayMaxUs = options.delayMaxUs;
  }

  /** Proposes a fresh value; returns it (the liveness phase waits for one to be acknowledged). */
  proposeNew(prefix = 'v'): string {
    const value = `${prefix}-${this.sequence++}`;
    this.proposed++;
    this.attempt(value, this.target(), 3);
    return value;
  }

  isAcknowledged(value: string): boolean {
    return this.acknowledged.some((ack) => ack.value === value);
  }

  /** Called for every entry a node applies. */
  applied(node: NodeId, entry: Entry): void {
    const byIndex = this.pending.get(node);
    const pending = byIndex?.get(entry.index);
    if (pending === undefined) return;
    byIndex!.delete(entry.index);
    if (pending.term === entry.term && entryValue(entry) === pending.value) {
      this.acknowledged.push({ value: pending.value, index: entry.index, term: entry.term });
    }
  }

  /** The connection to a crashed node breaks: what it had accepted has an unknown outcome. */
  crashed(node: NodeId): void {
    this.pending.delete(node);
  }

  private target(): NodeId {
    if (this.believedLeader !== NONE) return this.believedLeader;
    return this.random.pick([...this.nodes.keys()]);
  }

  private attempt(value: string, to: NodeId, retries: number): void {
    const node = this.nodes.get(to)!;
    this.scheduler.after(this.random.nextInt(this.delayMaxUs + 1), () => {
      node.submit({ kind: 'propose', value, respond: (result) => this.answered(value, to, result, retries) });
    });
  }

  private answered(value: string, node: NodeId, result: ProposeResult, retries: number): void {
    if (result.ok) {
      this.believedLeader = node;
      let byIndex = this.pending.get(node);
      if (byIndex === undefined) {
        byIndex = new Map();
        this.pending.set(node, byIndex);
      }
      byIndex.set(result.index, { value, term: result.term });
      return;
    }
    this.believedLeader = result.leader !== node ? result.leader : NONE;
    if (retries > 0) this.attempt(value, this.target(), retries - 1);
  }
}
