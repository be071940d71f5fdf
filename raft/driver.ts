import { assert } from './assert.ts';
import { RaftNode, type RaftLogger, type RaftOptions, type RaftStatus } from './node.ts';
import type {
  Entry,
  LogIndex,
  Message,
  NodeId,
  RaftStorage,
  RaftTransport,
  Random,
  Ready,
  Snapshot,
  Term,
} from './types.ts';

/** The replicated state machine the driver applies committed entries to. */
export interface StateMachine {
  /** Committed entries, in log order, exactly once each (after a restart: from the snapshot on). */
  apply(entries: readonly Entry[]): void;
  /** Replaces the whole state by a snapshot (at start-up, or when the leader sent one). */
  restore(snapshot: Snapshot): void;
}

export interface RaftDriverOptions {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly storage: RaftStorage;
  readonly transport: RaftTransport;
  readonly stateMachine: StateMachine;
  readonly random: Random;
  /** Wall-clock length of one Raft tick. */
  readonly tickMs?: number;
  readonly raft?: Partial<Omit<RaftOptions, 'id' | 'voters' | 'state' | 'random' | 'logger'>>;
  readonly logger?: RaftLogger & { error(fields: Record<string, unknown>, message: string): void };
}

/**
 * A read index refused: this node does not lead (notLeader), lost leadership before a quorum confirmed it
 * (leadershipLost), or stopped. Retriable elsewhere: the leader's id is the hint.
 */
export class ReadIndexError extends Error {
  override readonly name = 'ReadIndexError';
  readonly reason: 'notLeader' | 'leadershipLost' | 'stopped';
  readonly leader: NodeId;
  constructor(reason: ReadIndexError['reason'], leader: NodeId) {
    super(`read index refused: ${reason}${leader !== 0 ? ` (leader ${leader})` : ''}`);
    this.reason = reason;
    this.leader = leader;
  }
}

/** A proposal that did not commit: the node is not (or no longer) the leader, or the entry was replaced. */
export class ProposalError extends Error {
  override readonly name = 'ProposalError';
  readonly reason: 'notLeader' | 'transferring' | 'replaced' | 'leadershipLost' | 'stopped';
  readonly leader: NodeId;
  constructor(reason: ProposalError['reason'], leader: NodeId) {
    super(`proposal failed: ${reason}${leader !== 0 ? ` (leader ${leader})` : ''}`);
    this.reason = reason;
    this.leader = leader;
  }
}

interface Waiter {
  readonly term: Term;
  readonly resolve: (position: { index: LogIndex; term: Term }) => void;
  readonly reject: (error: Error) => void;
}

interface ReadWaiter {
  readonly resolve: (index: LogIndex) => void;
  readonly reject: (error: Error) => void;
}

type Input =
  | { readonly kind: 'message'; readonly message: Message }
  | { readonly kind: 'readIndex'; readonly requestId: number }
  | { readonly kind: 'tick' }
  | { readonly kind: 'propose'; readonly data: Uint8Array; readonly waiter: Omit<Waiter, 'term'> }
  | { readonly kind: 'transfer'; readonly to: NodeId }
  | { readonly kind: 'compact'; readonly index: LogIndex; readonly data: Uint8Array };

/**
 * Runs a RaftNode against real storage, transport and time. One loop owns the node: inputs queue while
 * a Ready is being made durable, and the next pass takes them all at once, so one fsync covers every
 * proposal and message that arrived meanwhile (group commit) and each peer gets one batch.
 */
export class RaftDriver {
  readonly id: NodeId;
  private readonly node: RaftNode;
  private readonly options: RaftDriverOptions;
  private inbox: Input[] = [];
  private readonly waiters = new Map<LogIndex, Waiter>();
  private readonly readWaiters = new Map<number, ReadWaiter>();
  private nextReadRequestId = 1;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private lastStatus: RaftStatus;
  private readonly statusListeners = new Set<(status: RaftStatus) => void>();
  private readonly fatalListeners = new Set<(error: Error) => void>();
  private failure: Error | null = null;
  /** The term and vote of the last hard state made durable, and whether a newer commit index is not. */
  private syncedTerm = 0 as Term;
  private syncedVote = 0 as NodeId;
  private unsyncedCommit = false;

  private constructor(options: RaftDriverOptions, node: RaftNode) {
    this.options = options;
    this.id = options.id;
    this.node = node;
    this.lastStatus = node.status();
  }

  /** Recovers the node from storage, restores the state machine's snapshot and starts the loop. */
  static async start(options: RaftDriverOptions): Promise<RaftDriver> {
    const state = await options.storage.load();
    if (state.snapshot !== null) options.stateMachine.restore(state.snapshot);
    const node = new RaftNode({
      ...options.raft,
      id: options.id,
      voters: options.voters,
      state,
      random: options.random,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const driver = new RaftDriver(options, node);
    driver.syncedTerm = state.hardState.term;
    driver.syncedVote = state.hardState.vote;
    options.transport.onMessage((message) => driver.enqueue({ kind: 'message', message }));
    driver.timer = setInterval(() => driver.enqueue({ kind: 'tick' }), options.tickMs ?? 50);
    driver.loop = driver.run();
    return driver;
  }

  /** Proposes `data`; resolves with its log position once it is committed and applied here. */
  propose(data: Uint8Array): Promise<{ index: LogIndex; term: Term }> {
    if (this.stopped) return Promise.reject(new ProposalError('stopped', this.lastStatus.leader));
    return new Promise((resolve, reject) => this.enqueue({ kind: 'propose', data, waiter: { resolve, reject } }));
  }

  /**
   * A linearizable read index (Raft thesis §6.4): resolves with the leader's commit index once a quorum
   * has confirmed, after this call, that this node still leads. Everything committed anywhere before the
   * call is at or below it; a read of a state machine that has applied it is linearizable. Rejects with a
   * ReadIndexError on a node that does not lead, or that stops leading first.
   */
  readIndex(): Promise<LogIndex> {
    if (this.stopped) return Promise.reject(new ReadIndexError('stopped', this.lastStatus.leader));
    const requestId = this.nextReadRequestId++;
    return new Promise((resolve, reject) => {
      this.readWaiters.set(requestId, { resolve, reject });
      this.enqueue({ kind: 'readIndex', requestId });
    });
  }

  transferLeadership(to: NodeId): void {
    this.enqueue({ kind: 'transfer', to });
  }

  /** Takes a snapshot: `data` is the state machine's state after applying `index`. */
  compact(index: LogIndex, data: Uint8Array): void {
    this.enqueue({ kind: 'compact', index, data });
  }

  /** The node's status as of the last pass of the loop. */
  status(): RaftStatus {
    return this.lastStatus;
  }

  onStatus(listener: (status: RaftStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.wake?.();
    await this.loop;
    if (this.unsyncedCommit && this.failure === null) await this.options.storage.sync();
    for (const waiter of this.waiters.values()) waiter.reject(new ProposalError('stopped', this.lastStatus.leader));
    this.waiters.clear();
    this.failReadWaiters(new ReadIndexError('stopped', this.lastStatus.leader));
    await this.options.transport.close();
    await this.options.storage.close();
  }

  private enqueue(input: Input): void {
    if (this.stopped) {
      if (input.kind === 'propose') input.waiter.reject(new ProposalError('stopped', this.lastStatus.leader));
      if (input.kind === 'readIndex')
        this.settleRead(input.requestId, new ReadIndexError('stopped', this.lastStatus.leader));
      return;
    }
    this.inbox.push(input);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        if (this.inbox.length === 0 && !this.node.hasReady()) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          continue;
        }
        const inputs = this.inbox;
        this.inbox = [];
        for (const input of inputs) this.handle(input);
        await this.processReady();
      }
    } catch (error) {
      // The core threw (a broken invariant) or storage failed: this node must not go on.
      this.failure = error as Error;
      this.options.logger?.error({ err: error }, 'raft driver stopped on a fatal error');
      this.stopped = true;
      if (this.timer !== null) clearInterval(this.timer);
      for (const waiter of this.waiters.values()) waiter.reject(error as Error);
      this.waiters.clear();
      this.failReadWaiters(error as Error);
      for (const listener of this.fatalListeners) listener(error as Error);
    }
  }

  /** Called once if the loop stops on a fatal error: the node can no longer make progress (fail-stop). */
  onFatal(listener: (error: Error) => void): void {
    // A loop that already stopped (e.g. replaying the log at start, before the node registered its
    // listener) still tells a late listener, or the node would go on serving without its metadata.
    const failure = this.failure;
    if (failure !== null) queueMicrotask(() => listener(failure));
    else this.fatalListeners.add(listener);
  }

  /** The error that stopped the loop, if one did. */
  fatalError(): Error | null {
    return this.failure;
  }

  private handle(input: Input): void {
    switch (input.kind) {
      case 'message':
        this.node.step(input.message);
        return;
      case 'readIndex':
        this.node.readIndex(input.requestId);
        return;
      case 'tick':
        this.node.tick();
        return;
      case 'propose': {
        const result = this.node.propose(input.data);
        if (!result.ok) {
          input.waiter.reject(new ProposalError(result.reason, result.leader));
          return;
        }
        this.waiters.get(result.index)?.reject(new ProposalError('replaced', this.lastStatus.leader));
        this.waiters.set(result.index, { ...input.waiter, term: result.term });
        return;
      }
      case 'transfer':
        this.node.transferLeadership(input.to);
        return;
      case 'compact':
        this.node.compact(input.index, input.data);
        return;
    }
  }

  private async processReady(): Promise<void> {
    while (this.node.hasReady()) {
      const ready = this.node.ready();
      const { storage } = this.options;
      if (ready.snapshot !== null) storage.saveSnapshot(ready.snapshot);
      if (ready.entries.length > 0) storage.append(ready.entries);
      if (ready.hardState !== null) storage.setHardState(ready.hardState);
      if (this.mustSyncBeforeSending(ready)) await storage.sync();
      if (ready.messages.length > 0) this.options.transport.send(ready.messages);
      if (ready.restoreSnapshot) {
        assert(ready.snapshot !== null, 'a restore carries its snapshot', { node: this.id });
        this.options.stateMachine.restore(ready.snapshot);
        this.failWaitersUpTo(ready.snapshot.metadata.index);
      }
      if (ready.committedEntries.length > 0) {
        this.options.stateMachine.apply(ready.committedEntries);
        this.settleWaiters(ready.committedEntries);
      }
      for (const state of ready.readStates) {
        this.settleRead(
          state.requestId,
          state.ok ? state.index : new ReadIndexError(state.reason, state.leader),
        );
      }
      this.node.advance(ready);
      if (ready.softState !== null && ready.softState.role !== 'leader') this.failWaitersOnLostLeadership();
    }
    this.lastStatus = this.node.status();
    for (const listener of this.statusListeners) listener(this.lastStatus);
  }

  /**
   * Everything in a Ready is durable before its messages go out, except a hard state whose only change
   * is the commit index: that index is recoverable from the leader, so it rides along with the next
   * sync instead of costing one of its own (a leader would otherwise fsync once more per commit).
   */
  private mustSyncBeforeSending(ready: Ready): boolean {
    const hardState = ready.hardState;
    const termOrVoteChanged =
      hardState !== null && (hardState.term !== this.syncedTerm || hardState.vote !== this.syncedVote);
    if (hardState !== null) {
      this.syncedTerm = hardState.term;
      this.syncedVote = hardState.vote;
    }
    if (ready.snapshot !== null || ready.entries.length > 0 || termOrVoteChanged) {
      this.unsyncedCommit = false;
      return true;
    }
    if (hardState !== null) this.unsyncedCommit = true;
    return false;
  }

  private settleWaiters(entries: readonly Entry[]): void {
    if (this.waiters.size === 0) return;
    for (const entry of entries) {
      const waiter = this.waiters.get(entry.index);
      if (waiter === undefined) continue;
      this.waiters.delete(entry.index);
      if (waiter.term === entry.term) waiter.resolve({ index: entry.index, term: entry.term });
      else waiter.reject(new ProposalError('replaced', this.lastStatus.leader));
    }
  }

  private settleRead(requestId: number, outcome: LogIndex | Error): void {
    const waiter = this.readWaiters.get(requestId);
    if (waiter === undefined) return;
    this.readWaiters.delete(requestId);
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  private failReadWaiters(error: Error): void {
    for (const waiter of this.readWaiters.values()) waiter.reject(error);
    this.readWaiters.clear();
  }

  private failWaitersUpTo(index: LogIndex): void {
    for (const [waiterIndex, waiter] of this.waiters) {
      if (waiterIndex <= index) {
        this.waiters.delete(waiterIndex);
        waiter.reject(new ProposalError('replaced', this.lastStatus.leader));
      }
    }
  }

  /**
   * A deposed leader's uncommitted proposals may still commit under the next leader, or be replaced;
   * the caller cannot tell yet, so they fail with an unknown outcome (leadershipLost), which callers
   * treat as retriable. Safe because every proposal is applied by the state machine as a command
   * that the application makes idempotent or validates (the controller checks against its image).
   */
  private failWaitersOnLostLeadership(): void {
    const leader = this.node.status().leader;
    for (const waiter of this.waiters.values()) waiter.reject(new ProposalError('leadershipLost', leader));
    this.waiters.clear();
  }
}
