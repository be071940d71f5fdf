// One partition replica on this broker: its log, its role, and the requests waiting on it (produces
// waiting for the high watermark, fetches long-polling for new data).
import { KafkaError } from '../common/kafka-errors.ts';
import type { BrokerId, LeaderEpoch, PartitionId, TopicId } from '../metadata/ids.ts';
import type { PartitionLog } from '../storage/partition-log.ts';
import type { LeaderPartition } from './leader-partition.ts';
import type { Timers } from './timers.ts';

export type ReplicaRole =
  | { readonly kind: 'leader'; readonly state: LeaderPartition }
  | { readonly kind: 'follower'; readonly leader: BrokerId; readonly leaderEpoch: LeaderEpoch }
  /** Leaderless, or between roles: serves nothing, fetches nothing. */
  | { readonly kind: 'none' };

interface HighWatermarkWaiter {
  readonly offset: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class HostedPartition {
  readonly topicId: TopicId;
  readonly topicName: string;
  readonly partitionId: PartitionId;
  readonly log: PartitionLog;
  private readonly timers: Timers;
  role: ReplicaRole;
  /** A follower's high watermark, from its leader's last fetch answer (kept when it becomes leader). */
  followerHighWatermark = 0;
  private hwWaiters: HighWatermarkWaiter[] = [];
  private appendListeners = new Set<() => void>();
  private readonly writes = new Set<Promise<unknown>>();

  constructor(options: {
    topicId: TopicId;
    topicName: string;
    partitionId: PartitionId;
    log: PartitionLog;
    role: ReplicaRole;
    timers: Timers;
  }) {
    this.timers = options.timers;
    this.topicId = options.topicId;
    this.topicName = options.topicName;
    this.partitionId = options.partitionId;
    this.log = options.log;
    this.role = options.role;
  }

  get name(): string {
    return `${this.topicName}-${this.partitionId}`;
  }

  leader(): LeaderPartition | null {
    return this.role.kind === 'leader' ? this.role.state : null;
  }

  /** The offset below which records are committed, as far as this replica knows. */
  highWatermark(): number {
    return this.role.kind === 'leader' ? this.role.state.highWatermark : this.followerHighWatermark;
  }

  /**
   * Resolves once the leader's high watermark passes `offset` (the record at `offset` is committed).
   * Only a leader's high watermark counts: a follower's says nothing about records this broker appended
   * as leader, which the new leader may have replaced.
   */
  waitForHighWatermark(offset: number, timeoutMs: number): Promise<void> {
    if (this.role.kind !== 'leader') {
      return Promise.reject(
        new KafkaError('NOT_LEADER_OR_FOLLOWER', `This broker no longer leads ${this.name}.`),
      );
    }
    if (this.highWatermark() > offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cancel = this.timers.setTimeout(() => {
        this.hwWaiters = this.hwWaiters.filter((waiter) => waiter !== entry);
        reject(
          new KafkaError(
            'REQUEST_TIMED_OUT',
            `The record at offset ${offset} of ${this.name} was not replicated to the ISR within ${timeoutMs} ms.`,
          ),
        );
      }, timeoutMs);
      const entry: HighWatermarkWaiter = {
        offset,
        resolve: () => {
          cancel();
          resolve();
        },
        reject: (error) => {
          cancel();
          reject(error);
        },
      };
      this.hwWaiters.push(entry);
    });
  }

  /** Called after the high watermark moved. */
  highWatermarkMoved(): void {
    if (this.role.kind !== 'leader') return;
    const hw = this.highWatermark();
    const done = this.hwWaiters.filter((waiter) => waiter.offset < hw);
    if (done.length === 0) return;
    this.hwWaiters = this.hwWaiters.filter((waiter) => waiter.offset >= hw);
    for (const waiter of done) waiter.resolve();
  }

  /** Leadership is gone (or the partition is): what waited for it fails with `error`. */
  failWaiters(error: KafkaError): void {
    const waiters = this.hwWaiters;
    this.hwWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
    this.appended();
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
