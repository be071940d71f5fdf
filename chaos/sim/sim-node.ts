import type { ProposeResult, RaftNode, RaftOptions, RaftStatus } from '../../raft/node.ts';
import type { Entry, Message, NodeId, ReadState, Ready, Snapshot, Term } from '../../raft/types.ts';
import { Violation } from '../checkers/violation.ts';
import { NodeClock } from './clock.ts';
import type { SimConfig } from './config.ts';
import { type SimDisk, type SyncBatch, termAt } from './disk.ts';
import type { Endpoint, SimNetwork } from './network.ts';
import type { Prng } from './prng.ts';
import type { Scheduler } from './scheduler.ts';
import { decodeSnapshot, encodeText, type SnapshotContent, StateMachine } from './state-machine.ts';

/** What the cluster (checkers, client) hears from a node as it runs. */
export interface SimNodeHooks {
  /** After each input fed to the core (the role may have changed). */
  afterInput(node: SimNode): void;
  entriesWritten(node: SimNode, entries: readonly Entry[], prevTerm: Term | null): void;
  /** A sync made durable a state that lost entries from `index` on (truncation, snapshot). */
  durableLoss(node: SimNode, index: number): void;
  applied(node: SimNode, entry: Entry): void;
  restored(node: SimNode, snapshot: Snapshot, content: SnapshotContent): void;
  crashed(node: SimNode): void;
}

export type RaftFactory = (options: RaftOptions) => RaftNode;

export type Input =
  | { readonly kind: 'message'; readonly message: Message }
  | { readonly kind: 'tick' }
  | { readonly kind: 'propose'; readonly value: string; readonly respond: (result: ProposeResult) => void }
  /** A read-index request; `lost` is called instead of `respond` if the process dies first. */
  | {
      readonly kind: 'readIndex';
      readonly requestId: number;
      readonly respond: (state: ReadState) => void;
      readonly lost: () => void;
    }
  | { readonly kind: 'transfer'; readonly to: NodeId };

export interface SimNodeOptions {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly config: SimConfig;
  readonly scheduler: Scheduler;
  readonly network: SimNetwork;
  readonly disk: SimDisk;
  /** This node's own stream; forked again per incarnation for the core. */
  readonly random: Prng;
  readonly hooks: SimNodeHooks;
  readonly createRaft: RaftFactory;
  /** Planted bug `vote-without-persist`: send a Ready's messages before its sync completes. */
  readonly sendBeforeSync: boolean;
}

interface InFlightSync {
  readonly ready: Ready;
  readonly batch: SyncBatch;
  readonly messagesSent: boolean;
}

/**
 * A server process: a RaftNode driven by the Ready contract, a disk, a clock and a state machine.
 * While a sync is in flight the node only queues its inputs; they are all fed to the core once the
 * Ready is advanced, and the next Ready covers all of them with one sync (group commit).
 */
export class SimNode implements Endpoint {
  readonly id: NodeId;
  readonly isVoter: boolean;
  readonly disk: SimDisk;
  readonly clock: NodeClock;
  private readonly options: SimNodeOptions;
  private raft: RaftNode | null = null;
  private machine = new StateMachine();
  private inbox: Input[] = [];
  /** Read-index requests accepted by this incarnation and not answered yet, by request id. */
  private reads = new Map<number, Extract<Input, { kind: 'readIndex' }>>();
  private inFlight: InFlightSync | null = null;
  private syncDoneWhilePaused = false;
  private pausedValue = false;
  /** Bumped by every crash and start: events of an earlier incarnation are ignored. */
  private incarnation = 0;
  private readonly diskRandom: Prng;
  /** Called once when the next sync starts, with its latency (the `crashMidSync` fault). */
  private syncTrap: ((latencyUs: number) => void) | null = null;
  /** Multiplies sync latency (a slow-disk fault). */
  syncSlowdown = 1;
  restarts = 0;

  constructor(options: SimNodeOptions) {
    this.options = options;
    this.id = options.id;
    this.isVoter = options.voters.includes(options.id);
    this.disk = options.disk;
    this.clock = new NodeClock(options.config.tickUs);
    this.diskRandom = options.random.fork('disk');
  }

  get alive(): boolean {
    return this.raft !== null;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  get stateMachine(): StateMachine {
    return this.machine;
  }

  status(): RaftStatus | null {
    return this.raft?.status() ?? null;
  }

  /** Boots (or reboots) the process from what its disk durably holds. */
  start(): void {
    if (this.raft !== null) return;
    this.incarnation++;
    const state = this.disk.load();
    const { config } = this.options;
    this.raft = this.options.createRaft({
      id: this.id,
      voters: this.options.voters,
      state,
      random: this.options.random.fork(`raft-${this.restarts}`),
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      maxAppendBytes: config.maxAppendBytes,
      maxInflightAppends: config.maxInflightAppends,
    });
    this.machine = new StateMachine();
    if (state.snapshot !== null) this.restoreMachine(state.snapshot);
    this.scheduleTick(this.incarnation);
    this.pump();
  }

  /** kill -9: the core, the inbox and every unsynced write are gone. */
  crash(): void {
    if (this.raft === null) return;
    this.incarnation++;
    this.raft = null;
    this.inbox = [];
    const reads = [...this.reads.values()];
    this.reads = new Map();
    for (const read of reads) read.lost();
    this.inFlight = null;
    this.syncDoneWhilePaused = false;
    this.pausedValue = false;
    this.restarts++;
    const lost = this.disk.crash();
    this.options.hooks.crashed(this);
    if (lost !== null) this.options.hooks.durableLoss(this, lost);
  }

  /** SIGSTOP: nothing runs; messages queue as in a socket buffer. */
  pause(): void {
    if (this.raft !== null) this.pausedValue = true;
  }

  resume(): void {
    if (!this.pausedValue) return;
    this.pausedValue = false;
    if (this.syncDoneWhilePaused) {
      this.syncDoneWhilePaused = false;
      this.completeSync();
    }
    this.pump();
  }

  armSyncTrap(trap: (latencyUs: number) => void): void {
    this.syncTrap = trap;
  }

  receive(message: Message): void {
    this.submit({ kind: 'message', message });
  }

  /**
   * Inputs to a crashed process are lost; otherwise queued, then fed as soon as the node is idle.
   * Returns whether the input was queued.
   */
  submit(input: Input): boolean {
    if (this.raft === null || this.inbox.length >= this.options.config.inboxMax) return false;
    if (input.kind === 'readIndex') this.reads.set(input.requestId, input);
    this.inbox.push(input);
    this.pump();
    return true;
  }

  private scheduleTick(incarnation: number): void {
    this.options.scheduler.after(this.clock.tickIntervalUs(), () => {
      if (incarnation !== this.incarnation) return;
      // A paused process does not see its timers fire; they resume with it.
      if (!this.pausedValue) this.submit({ kind: 'tick' });
      this.scheduleTick(incarnation);
    });
  }

  private pump(): void {
    for (let round = 0; this.raft !== null && !this.pausedValue && this.inFlight === null; round++) {
      if (round > 1000) throw new Violation('liveness', `node ${this.id}: the Ready loop does not settle`);
      const raft = this.raft;
      if (this.inbox.length > 0) {
        const inputs = this.inbox;
        this.inbox = [];
        for (const input of inputs) {
          this.feed(raft, input);
          this.options.hooks.afterInput(this);
        }
      }
      if (!raft.hasReady()) return;
      const ready = raft.ready();
      if (this.persist(ready)) {
        this.beginSync(ready);
        return;
      }
      this.finish(raft, ready, false);
    }
  }

  private feed(raft: RaftNode, input: Input): void {
    switch (input.kind) {
      case 'message':
        raft.step(input.message);
        return;
      case 'tick':
        raft.tick();
        return;
      case 'propose':
        input.respond(raft.propose(encodeText(input.value)));
        return;
      case 'readIndex':
        raft.readIndex(input.requestId);
        return;
      case 'transfer':
        raft.transferLeadership(input.to);
        return;
      default:
        input satisfies never;
    }
  }

  /** Step 1 of the Ready contract: buffer the writes. Returns whether a sync is needed. */
  private persist(ready: Ready): boolean {
    let wrote = false;
    if (ready.snapshot !== null) {
      this.disk.saveSnapshot(ready.snapshot);
      wrote = true;
    }
    const first = ready.entries[0];
    if (first !== undefined) {
      this.disk.append(ready.entries);
      this.options.hooks.entriesWritten(this, ready.entries, termAt(this.disk.view(), first.index - 1));
      wrote = true;
    }
    if (ready.hardState !== null) {
      this.disk.setHardState(ready.hardState);
      wrote = true;
    }
    return wrote;
  }

  private beginSync(ready: Ready): void {
    const batch = this.disk.beginSync();
    const messagesSent = this.options.sendBeforeSync;
    if (messagesSent) this.send(ready.messages);
    this.inFlight = { ready, batch, messagesSent };
    const { syncMinUs, syncMaxUs } = this.options.config;
    const latency = this.diskRandom.between(syncMinUs, syncMaxUs) * this.syncSlowdown;
    const trap = this.syncTrap;
    this.syncTrap = null;
    trap?.(latency);
    const incarnation = this.incarnation;
    this.options.scheduler.after(latency, () => {
      if (incarnation !== this.incarnation) return;
      if (this.pausedValue) this.syncDoneWhilePaused = true;
      else {
        this.completeSync();
        this.pump();
      }
    });
  }

  private completeSync(): void {
    const inFlight = this.inFlight;
    const raft = this.raft;
    if (inFlight === null || raft === null) return;
    this.disk.completeSync(inFlight.batch);
    this.inFlight = null;
    if (inFlight.batch.lowestRemoved !== null)
      this.options.hooks.durableLoss(this, inFlight.batch.lowestRemoved);
    this.finish(raft, inFlight.ready, inFlight.messagesSent);
  }

  /** Steps 2-4 of the Ready contract: send, restore, apply, advance; then maybe compact. */
  private finish(raft: RaftNode, ready: Ready, messagesSent: boolean): void {
    if (!messagesSent) this.send(ready.messages);
    if (ready.snapshot !== null && ready.restoreSnapshot) this.restoreMachine(ready.snapshot);
    for (const entry of ready.committedEntries) {
      const expected = this.machine.appliedIndex + 1;
      if (entry.index !== expected) {
        throw new Violation(
          'state-machine-safety',
          `node ${this.id} applies index ${entry.index}, expected ${expected}`,
        );
      }
      this.machine.apply(entry);
      this.options.hooks.applied(this, entry);
    }
    for (const state of ready.readStates) {
      const read = this.reads.get(state.requestId);
      if (read === undefined)
        throw new Violation('core-contract', `node ${this.id} answered unknown read ${state.requestId}`);
      this.reads.delete(state.requestId);
      read.respond(state);
    }
    raft.advance(ready);
    const snapshotIndex = this.disk.view().snapshot?.metadata.index ?? 0;
    if (this.machine.appliedIndex - snapshotIndex >= this.options.config.compactEvery) {
      raft.compact(this.machine.appliedIndex, this.machine.snapshotData());
    }
  }

  private restoreMachine(snapshot: Snapshot): void {
    const content = decodeSnapshot(snapshot.data);
    this.machine.restore(snapshot.data);
    this.options.hooks.restored(this, snapshot, content);
  }

  private send(messages: readonly Message[]): void {
    for (const message of messages) {
      if (message.from !== this.id) {
        throw new Violation('core-contract', `node ${this.id} emitted a message from ${message.from}`);
      }
      this.options.network.send(message);
    }
  }
}
