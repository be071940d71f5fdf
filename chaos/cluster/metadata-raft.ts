import { ProposalError, ReadIndexError } from '../../raft/driver.ts';
import type { RaftNode, RaftStatus } from '../../raft/node.ts';
import type { Entry, LogIndex, Message, NodeId, Ready, Term } from '../../raft/types.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { MetadataStateMachine } from '../../src/metadata/metadata-state-machine.ts';
import { Violation } from '../checkers/violation.ts';
import { type SimDisk, termAt } from '../sim/disk.ts';
import type { Prng } from '../sim/prng.ts';
import type { RaftFactory } from '../sim/sim-node.ts';
import type { Microseconds, Scheduler } from '../sim/scheduler.ts';
import type { SimProcess } from './sim-process.ts';

/** What the cluster (checkers) hears from a node's metadata Raft as it runs. */
export interface MetadataRaftHooks {
  /** After each input fed to the core, and after each Ready (the role may have changed). */
  statusChanged(id: NodeId, status: RaftStatus): void;
  entriesWritten(id: NodeId, entries: readonly Entry[], prevTerm: Term | null): void;
  applied(id: NodeId, entries: readonly Entry[]): void;
  imageApplied(id: NodeId, image: MetadataImage): void;
}

export interface MetadataRaftConfig {
  readonly voters: readonly NodeId[];
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly syncMinUs: Microseconds;
  readonly syncMaxUs: Microseconds;
  /** Small, so that snapshots are taken, and sent to nodes that fell behind. */
  readonly snapshotRecordsMax: number;
}

/** How a planted bug changes a node's metadata Raft (planted-bugs.ts); the correct one by default. */
export interface RaftVariant {
  readonly createRaft: RaftFactory;
  /** Planted bug: a Ready's messages (votes, append acks) go out before its sync completes. */
  readonly sendBeforeSync: boolean;
}

type Input =
  | { readonly kind: 'message'; readonly message: Message }
  | { readonly kind: 'tick' }
  | { readonly kind: 'readIndex'; readonly requestId: number }
  | { readonly kind: 'propose'; readonly data: Uint8Array; readonly waiter: Waiter }
  | { readonly kind: 'transfer'; readonly to: NodeId }
  | { readonly kind: 'compact'; readonly index: LogIndex; readonly data: Uint8Array };

interface Waiter {
  readonly resolve: (position: { index: LogIndex; term: Term }) => void;
  readonly reject: (error: Error) => void;
}

/**
 * One incarnation of a node's metadata Raft, as raft/driver.ts runs it but on the simulated disk and
 * clock: a RaftNode (voter or observer) driven by the Ready contract, the real MetadataStateMachine, and
 * proposals that resolve once applied in their own term. The sync policy is the driver's: entries,
 * snapshots and term or vote changes are synced before the Ready's messages go out; a hard state that
 * only moves the commit index is written but waits for the next sync (a crash can lose it). An fsync
 * takes simulated time; inputs that arrive meanwhile are fed together afterwards (group commit).
 */
export class MetadataRaft {
  readonly id: NodeId;
  readonly stateMachine: MetadataStateMachine;
  private readonly raft: RaftNode;
  private readonly process: SimProcess;
  private readonly scheduler: Scheduler;
  private readonly disk: SimDisk;
  private readonly diskRandom: Prng;
  private readonly config: MetadataRaftConfig;
  private readonly hooks: MetadataRaftHooks;
  private readonly send: (message: Message) => void;
  private readonly waiters = new Map<LogIndex, Waiter & { readonly term: Term }>();
  private readonly readWaiters = new Map<
    number,
    { readonly resolve: (index: LogIndex) => void; readonly reject: (error: Error) => void }
  >();
  private nextReadRequestId = 1;
  private inbox: Input[] = [];
  private syncing = false;
  /** Set while the loop runs: an input submitted from inside it (a snapshot due) waits for the next pass. */
  private pumping = false;
  private readonly variant: RaftVariant;
  private readonly syncSlowdown: () => number;
  private syncedTerm: Term | null = null;
  private syncedVote: NodeId | null = null;

  constructor(options: {
    id: NodeId;
    process: SimProcess;
    scheduler: Scheduler;
    disk: SimDisk;
    random: Prng;
    config: MetadataRaftConfig;
    hooks: MetadataRaftHooks;
    send: (message: Message) => void;
    onImage: (image: MetadataImage) => void;
    variant: RaftVariant;
    /** Multiplies fsync latency (the slow-disk fault). */
    syncSlowdown: () => number;
  }) {
    this.syncSlowdown = options.syncSlowdown;
    this.variant = options.variant;
    this.id = options.id;
    this.process = options.process;
    this.scheduler = options.scheduler;
    this.disk = options.disk;
    this.config = options.config;
    this.hooks = options.hooks;
    this.send = options.send;
    this.diskRandom = options.random.fork('disk');
    const state = this.disk.load();
    this.syncedTerm = state.hardState.term;
    this.syncedVote = state.hardState.vote;
    this.stateMachine = new MetadataStateMachine({
      snapshotRecordsMax: options.config.snapshotRecordsMax,
      onApplied: (image) => {
        options.hooks.imageApplied(this.id, image);
        options.onImage(image);
      },
      onSnapshotDue: (index, data) => this.submit({ kind: 'compact', index, data }),
    });
    this.raft = options.variant.createRaft({
      id: options.id,
      voters: options.config.voters,
      state,
      random: options.random.fork('raft'),
      electionTicks: options.config.electionTicks,
      heartbeatTicks: 1,
      maxInflightAppends: 64,
    });
    if (state.snapshot !== null) this.stateMachine.restore(state.snapshot);
    const tick = this.process.bind(() => {
      this.submit({ kind: 'tick' });
      this.process.timers.setTimeout(tick, this.config.tickMs);
    });
    this.process.timers.setTimeout(tick, this.config.tickMs);
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  image(): MetadataImage {
    return this.stateMachine.image();
  }

  receive(message: Message): void {
    this.submit({ kind: 'message', message });
  }

  propose(data: Uint8Array): Promise<{ index: LogIndex; term: Term }> {
    return new Promise((resolve, reject) =>
      this.submit({ kind: 'propose', data, waiter: { resolve, reject } }),
    );
  }

  /** Raft's ReadIndex (thesis §6.4), as RaftDriver.readIndex: rejects with a ReadIndexError. */
  readIndex(): Promise<LogIndex> {
    const requestId = this.nextReadRequestId++;
    return new Promise((resolve, reject) => {
      this.readWaiters.set(requestId, { resolve, reject });
      this.submit({ kind: 'readIndex', requestId });
    });
  }

  transferLeadership(to: NodeId): void {
    this.submit({ kind: 'transfer', to });
  }

  private submit(input: Input): void {
    this.inbox.push(input);
    if (!this.pumping) this.pump();
  }

  private pump(): void {
    this.pumping = true;
    try {
      this.pumpInputs();
    } finally {
      this.pumping = false;
    }
  }

  private pumpInputs(): void {
    for (let round = 0; !this.syncing; round++) {
      if (round > 1000) throw new Violation('liveness', `node ${this.id}: the Ready loop does not settle`);
      const inputs = this.inbox;
      this.inbox = [];
      for (const input of inputs) this.feed(input);
      if (inputs.length > 0) this.hooks.statusChanged(this.id, this.raft.status());
      if (!this.raft.hasReady()) return;
      const ready = this.raft.ready();
      if (this.persist(ready)) {
        this.syncing = true;
        const batch = this.disk.beginSync();
        const sentEarly = this.variant.sendBeforeSync;
        if (sentEarly) for (const message of ready.messages) this.send(message);
        const latency =
          this.diskRandom.between(this.config.syncMinUs, this.config.syncMaxUs) * this.syncSlowdown();
        this.scheduler.after(
          latency,
          this.process.bind(() => {
            this.disk.completeSync(batch);
            this.syncing = false;
            this.pumping = true;
            try {
              this.finish(ready, sentEarly);
            } finally {
              this.pumping = false;
            }
            this.pump();
          }),
        );
        return;
      }
      this.finish(ready);
    }
  }

  private feed(input: Input): void {
    switch (input.kind) {
      case 'message':
        this.raft.step(input.message);
        return;
      case 'tick':
        this.raft.tick();
        return;
      case 'readIndex':
        this.raft.readIndex(input.requestId);
        return;
      case 'propose': {
        const result = this.raft.propose(input.data);
        if (!result.ok) {
          input.waiter.reject(new ProposalError(result.reason, result.leader));
          return;
        }
        this.waiters.get(result.index)?.reject(new ProposalError('replaced', this.raft.status().leader));
        this.waiters.set(result.index, { ...input.waiter, term: result.term });
        return;
      }
      case 'transfer':
        this.raft.transferLeadership(input.to);
        return;
      case 'compact':
        this.raft.compact(input.index, input.data);
        return;
      default:
        input satisfies never;
    }
  }

  /** Writes the Ready to the disk's buffer; returns whether it must be synced before anything is sent. */
  private persist(ready: Ready): boolean {
    if (ready.snapshot !== null) this.disk.saveSnapshot(ready.snapshot);
    const first = ready.entries[0];
    if (first !== undefined) {
      this.disk.append(ready.entries);
      this.hooks.entriesWritten(this.id, ready.entries, termAt(this.disk.view(), first.index - 1));
    }
    const hardState = ready.hardState;
    let termOrVoteChanged = false;
    if (hardState !== null) {
      this.disk.setHardState(hardState);
      termOrVoteChanged = hardState.term !== this.syncedTerm || hardState.vote !== this.syncedVote;
      this.syncedTerm = hardState.term;
      this.syncedVote = hardState.vote;
    }
    return ready.snapshot !== null || first !== undefined || termOrVoteChanged;
  }

  private finish(ready: Ready, messagesSent = false): void {
    if (!messagesSent) for (const message of ready.messages) this.send(message);
    if (ready.restoreSnapshot && ready.snapshot !== null) {
      this.stateMachine.restore(ready.snapshot);
      for (const [index, waiter] of this.waiters) {
        if (index > ready.snapshot.metadata.index) continue;
        this.waiters.delete(index);
        waiter.reject(new ProposalError('replaced', this.raft.status().leader));
      }
    }
    if (ready.committedEntries.length > 0) {
      this.hooks.applied(this.id, ready.committedEntries);
      this.stateMachine.apply(ready.committedEntries);
      for (const entry of ready.committedEntries) {
        const waiter = this.waiters.get(entry.index);
        if (waiter === undefined) continue;
        this.waiters.delete(entry.index);
        if (waiter.term === entry.term) waiter.resolve({ index: entry.index, term: entry.term });
        else waiter.reject(new ProposalError('replaced', this.raft.status().leader));
      }
    }
    for (const state of ready.readStates) {
      const waiter = this.readWaiters.get(state.requestId);
      if (waiter === undefined) continue;
      this.readWaiters.delete(state.requestId);
      if (state.ok) waiter.resolve(state.index);
      else waiter.reject(new ReadIndexError(state.reason, state.leader));
    }
    this.raft.advance(ready);
    if (ready.softState !== null && ready.softState.role !== 'leader') {
      const leader = this.raft.status().leader;
      for (const waiter of this.waiters.values()) waiter.reject(new ProposalError('leadershipLost', leader));
      this.waiters.clear();
    }
    this.hooks.statusChanged(this.id, this.raft.status());
  }
}
