// One partition replica on this broker: its log, its core (partition-core.ts: role, high watermark,
// waiters, fetch and truncation decisions), and what the core cannot hold because it is I/O or
// promises: the promises of requests waiting for the high watermark and their timers, the fetches
// long-polling for new data, and the follower's writes in progress.
import type { KafkaError } from '../common/kafka-errors.ts';
import type { BrokerId, PartitionId, TopicId } from '../metadata/ids.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import { PartitionCore } from './partition-core.ts';
import type { LeaderView, PartitionEffect, ReplicaRole, WaiterId } from './partition-core-types.ts';
import type { Cancel, Timers } from './timers.ts';

export type { ReplicaRole } from './partition-core-types.ts';

/** The effects the partition cannot carry out itself: the replica manager's. */
export type ManagerEffect = Extract<PartitionEffect, { kind: 'leadership' | 'alter-partition' }>;

interface PendingWaiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly cancelTimer: Cancel;
}

export class HostedPartition {
  readonly topicId: TopicId;
  readonly topicName: string;
  readonly partitionId: PartitionId;
  readonly log: PartitionLog;
  readonly core: PartitionCore;
  private readonly timers: Timers;
  private readonly waiters = new Map<WaiterId, PendingWaiter>();
  private appendListeners = new Set<() => void>();
  private readonly writes = new Set<Promise<unknown>>();

  constructor(options: {
    self: BrokerId;
    topicId: TopicId;
    topicName: string;
    partitionId: PartitionId;
    log: PartitionLog;
    timers: Timers;
    lagTimeMaxMs: number;
    alterPartitionRetryBackoffMs: number;
  }) {
    this.timers = options.timers;
    this.topicId = options.topicId;
    this.topicName = options.topicName;
    this.partitionId = options.partitionId;
    this.log = options.log;
    this.core = new PartitionCore({
      self: options.self,
      name: `${options.topicName}-${options.partitionId}`,
      log: options.log,
      clock: options.timers,
      lagTimeMaxMs: options.lagTimeMaxMs,
      alterPartitionRetryBackoffMs: options.alterPartitionRetryBackoffMs,
    });
  }

  get name(): string {
    return `${this.topicName}-${this.partitionId}`;
  }

  get role(): ReplicaRole {
    return this.core.role;
  }

  leader(): LeaderView | null {
    return this.core.leader();
  }

  /** The offset below which records are committed, as far as this replica knows. */
  highWatermark(): number {
    return this.core.highWatermark();
  }

  /**
   * Resolves once this leadership's high watermark passes `offset` (the record at `offset` is
   * committed); rejects with REQUEST_TIMED_OUT after `timeoutMs`, and with NOT_LEADER_OR_FOLLOWER when
   * this broker does not lead or stops leading meanwhile.
   */
  waitForHighWatermark(offset: number, timeoutMs: number): Promise<void> {
    const start = this.core.waitForHighWatermark(offset);
    if (start.kind === 'passed') return Promise.resolve();
    if (start.kind === 'refused') return Promise.reject(start.error);
    const id = start.waiter;
    return new Promise((resolve, reject) => {
      const cancelTimer = this.timers.setTimeout(
        () => this.settle(this.core.waiterTimedOut(id, timeoutMs)),
        timeoutMs,
      );
      this.waiters.set(id, { resolve, reject, cancelTimer });
    });
  }

  /** Carries out the core's effects on this partition's waiters and fetches; returns the manager's. */
  settle(effects: readonly PartitionEffect[]): ManagerEffect[] {
    const rest: ManagerEffect[] = [];
    for (const effect of effects) {
      switch (effect.kind) {
        case 'complete-waiters':
          for (const id of effect.waiters) this.takeWaiter(id)?.resolve();
          break;
        case 'fail-waiters':
          for (const id of effect.waiters) this.takeWaiter(id)?.reject(effect.error);
          break;
        case 'wake-fetches':
          this.appended();
          break;
        case 'leadership':
        case 'alter-partition':
          rest.push(effect);
          break;
        default: {
          const unknown: never = effect;
          throw new Error(`unknown partition effect ${JSON.stringify(unknown)}`);
        }
      }
    }
    return rest;
  }

  /** The replica is gone: waiters fail with `error`; returns the manager's effects. */
  stop(error: KafkaError): ManagerEffect[] {
    return this.settle(this.core.stop(error));
  }

  private takeWaiter(id: WaiterId): PendingWaiter | undefined {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return undefined;
    this.waiters.delete(id);
    waiter.cancelTimer();
    return waiter;
  }

  /** Runs a follower's write (append, truncation) so that a change of role can wait for it. */
  async followerWrite<T>(write: () => Promise<T>): Promise<T> {
    const running = write();
    this.writes.add(running);
    try {
      return await running;
    } finally {
      this.writes.delete(running);
    }
  }

  /** Resolves once the follower writes started before it have ended. */
  async drainFollowerWrites(): Promise<void> {
    await Promise.allSettled([...this.writes]);
  }

  /** Registers a one-shot listener for the next append (or role change); returns its removal. */
  onNextAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  appended(): void {
    const listeners = [...this.appendListeners];
    this.appendListeners.clear();
    for (const listener of listeners) listener();
  }
}
