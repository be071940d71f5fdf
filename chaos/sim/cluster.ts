import { RaftNode } from '../../raft/node.ts';
import { type Entry, type NodeId, nodeId, type Snapshot, type Term } from '../../raft/types.ts';
import { DurabilityChecker } from '../checkers/durability.ts';
import { ElectionSafetyChecker } from '../checkers/election-safety.ts';
import {
  checkLeaderCompleteness,
  checkNoElectableVoterLacks,
  type VoterLog,
} from '../checkers/leader-completeness.ts';
import type { LivenessNodeView } from '../checkers/liveness.ts';
import { LinearizableReadsChecker } from '../checkers/linearizable-reads.ts';
import { LogMatchingChecker } from '../checkers/log-matching.ts';
import { StateMachineSafetyChecker } from '../checkers/state-machine-safety.ts';
import { Client } from './client.ts';
import type { SimConfig } from './config.ts';
import { SimDisk } from './disk.ts';
import { SimNetwork } from './network.ts';
import { Prng } from './prng.ts';
import { Reader } from './reader.ts';
import type { Schedule } from './schedule.ts';
import type { SnapshotContent } from './state-machine.ts';
import { Scheduler } from './scheduler.ts';
import { type RaftFactory, SimNode, type SimNodeHooks } from './sim-node.ts';

const JOURNAL_LINES = 60;

/** How a planted bug changes the world (planted-bugs.ts); all false/default in a correct run. */
export interface WorldVariant {
  readonly createRaft: RaftFactory;
  readonly sendBeforeSync: boolean;
  readonly loseLastSyncOnCrash: boolean;
}

export const CORRECT_WORLD: WorldVariant = {
  createRaft: (options) => new RaftNode(options),
  sendBeforeSync: false,
  loseLastSyncOnCrash: false,
};

/**
 * The whole simulated cluster: nodes 1..voters are voters, the next ones observers. Owns the checkers
 * and wires every node's hooks to them, so safety is checked as the run unfolds, event by event.
 */
export class Cluster implements SimNodeHooks {
  readonly schedule: Schedule;
  readonly config: SimConfig;
  readonly scheduler = new Scheduler();
  readonly root: Prng;
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly voters: readonly NodeId[];
  readonly client: Client;
  readonly reads = new LinearizableReadsChecker();
  readonly reader: Reader;
  readonly electionSafety = new ElectionSafetyChecker();
  readonly logMatching = new LogMatchingChecker();
  readonly chain = new StateMachineSafetyChecker();
  readonly durability: DurabilityChecker;
  /** (term, leader) pairs whose completeness was checked, as "term/leader". */
  private readonly completenessChecked = new Set<string>();
  /** One-shot callbacks for the next newly elected leader (the `leaderTrap` fault). */
  private leaderTraps: ((leader: SimNode) => void)[] = [];
  private readonly voterLogs: readonly VoterLog[];
  private readonly touched = new Set<SimNode>();
  private readonly journal: string[] = [];
  private logsChanged = false;

  constructor(schedule: Schedule, config: SimConfig, world: WorldVariant) {
    this.schedule = schedule;
    this.config = config;
    this.root = new Prng(schedule.seed);
    this.network = new SimNetwork(this.scheduler, this.root.fork('network'), config.network);
    const voters: NodeId[] = [];
    for (let i = 1; i <= schedule.voters; i++) voters.push(nodeId(i));
    this.voters = voters;
    for (let i = 1; i <= schedule.voters + schedule.observers; i++) {
      const id = nodeId(i);
      const node = new SimNode({
        id,
        voters,
        config,
        scheduler: this.scheduler,
        network: this.network,
        disk: new SimDisk({ loseLastSyncOnCrash: world.loseLastSyncOnCrash }),
        random: this.root.fork(`node-${i}`),
        hooks: this,
        createRaft: world.createRaft,
        sendBeforeSync: world.sendBeforeSync,
      });
      this.nodes.set(id, node);
      this.network.attach(id, node);
    }
    const voterNodes = voters.map((id) => this.nodes.get(id)!);
    // Getters: each check reads the log as it is at that moment.
    this.voterLogs = voterNodes.map((node) => ({
      id: node.id,
      get log() {
        return node.disk.view();
      },
    }));
    this.durability = new DurabilityChecker(
      voterNodes.map((node) => ({ id: node.id, durable: () => node.disk.load() })),
      this.chain,
    );
    this.client = new Client({
      nodes: this.nodes,
      scheduler: this.scheduler,
      random: this.root.fork('client'),
      delayMaxUs: config.clientDelayMaxUs,
    });
    this.reader = new Reader({
      nodes: this.nodes,
      scheduler: this.scheduler,
      random: this.root.fork('reader'),
      delayMaxUs: config.clientDelayMaxUs,
      checker: this.reads,
      committedFloor: () => this.chain.highest,
    });
  }

  start(): void {
    for (const node of this.nodes.values()) node.start();
  }

  /** The node that leads in the highest term among running nodes, if any. */
  leader(): SimNode | null {
    let best: SimNode | null = null;
    let bestTerm = -1;
    for (const node of this.nodes.values()) {
      const status = node.status();
      if (status !== null && !node.paused && status.role === 'leader' && status.term > bestTerm) {
        best = node;
        bestTerm = status.term;
      }
    }
    return best;
  }

  /** Calls `trap` (once) when a leader is next elected; it must only schedule events, not act inline. */
  armLeaderTrap(trap: (leader: SimNode) => void): void {
    this.leaderTraps.push(trap);
  }

  /** The recent history of the run (faults, crashes, elections), printed when a replayed seed fails. */
  note(text: string): void {
    this.journal.push(`${(this.scheduler.now() / 1000).toFixed(3).padStart(9)} ms  ${text}`);
    if (this.journal.length > 2 * JOURNAL_LINES) this.journal.splice(0, this.journal.length - JOURNAL_LINES);
  }

  recentJournal(): string[] {
    return this.journal.slice(-JOURNAL_LINES);
  }

  private observeLeader(node: SimNode, term: Term): void {
    if (!this.electionSafety.observeLeader(term, node.id)) return;
    this.note(`node ${node.id} leads term ${term}`);
    if (this.leaderTraps.length === 0) return;
    const traps = this.leaderTraps;
    this.leaderTraps = [];
    for (const trap of traps) trap(node);
  }

  /**
   * Run after every simulation event: election safety and leader completeness for new leaders, and
   * that the highest committed entry could not be lost to an election.
   */
  afterEvent(): void {
    // Only what this event changed needs checking: logs (any write, crash or new commit), and the
    // roles of the nodes that processed an input.
    if (this.logsChanged && this.chain.highest > 0)
      checkNoElectableVoterLacks(this.chain.highest, this.chain, this.voterLogs);
    this.logsChanged = false;
    if (this.touched.size === 0) return;
    const touched = [...this.touched];
    this.touched.clear();
    for (const node of touched) {
      const status = node.status();
      if (status === null || status.role !== 'leader') continue;
      this.observeLeader(node, status.term);
      const key = `${status.term}/${node.id}`;
      if (this.completenessChecked.has(key)) continue;
      this.completenessChecked.add(key);
      checkLeaderCompleteness(node.id, status.term, node.disk.view(), this.chain);
    }
  }

  livenessView(): LivenessNodeView[] {
    return [...this.nodes.values()].map((node) => {
      const status = node.status();
      return {
        id: node.id,
        role: status?.role ?? null,
        term: status?.term ?? -1,
        applied: node.alive ? node.stateMachine.appliedIndex : -1,
      };
    });
  }

  // --- SimNodeHooks -------------------------------------------------------------------------------

  afterInput(node: SimNode): void {
    this.touched.add(node);
    const status = node.status();
    if (status !== null && status.role === 'leader') this.observeLeader(node, status.term);
  }

  entriesWritten(node: SimNode, entries: readonly Entry[], prevTerm: Term | null): void {
    this.logsChanged = true;
    this.logMatching.observeEntries(node.id, entries, prevTerm);
  }

  durableLoss(node: SimNode, index: number): void {
    if (node.isVoter) this.durability.checkFrom(index);
  }

  applied(node: SimNode, entry: Entry): void {
    if (this.chain.observeApply(node.id, entry)) {
      this.logsChanged = true;
      this.durability.checkIndex(entry.index);
    }
    this.client.applied(node.id, entry);
  }

  restored(node: SimNode, snapshot: Snapshot, content: SnapshotContent): void {
    this.logsChanged = true;
    this.chain.observeRestore(node.id, snapshot, content);
  }

  crashed(node: SimNode): void {
    this.note(`node ${node.id} crashed`);
    this.logsChanged = true;
    this.client.crashed(node.id);
  }
}
