// What the partition core (partition-core.ts) reads and returns: its ports (the log view, the clock),
// the read-only views it lends, and the steps and effects its shell carries out.
import type { KafkaError, KafkaErrorName } from '../common/kafka-errors.ts';
import type { BrokerId, LeaderEpoch, PartitionEpoch } from '../metadata/ids.ts';
import type { EpochEndOffset } from './fetch-messages.ts';

/** What the core reads of its partition log (the shell writes it). */
export interface PartitionLogView {
  readonly logEndOffset: number;
  readonly logStartOffset: number;
  /** Everything below it is fsynced. */
  readonly flushedOffset: number;
  /** The epoch of the last batch; undefined for an empty log. */
  readonly latestEpoch: number | undefined;
  /** The largest epoch <= `epoch` in this log and where it ends; epoch -1 when there is none. */
  endOffsetForEpoch(epoch: number): EpochEndOffset;
}

/** The clock part of the `Timers` port (timers.ts). */
export interface Clock {
  nowMs(): number;
}

/** A leader's state as the rest of the broker may see it (read-only). */
export interface LeaderView {
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
  readonly isr: readonly BrokerId[];
  readonly replicas: readonly BrokerId[];
  readonly highWatermark: number;
  /** The log end offset when this leader took over: its epoch's first offset. */
  readonly epochStartOffset: number;
  /** The ISR change sent to the controller and not yet seen committed, if any. */
  readonly pendingIsr: readonly BrokerId[] | null;
  followerLogEndOffset(follower: BrokerId): number | null;
}

export type ReplicaRole =
  | { readonly kind: 'leader'; readonly state: LeaderView }
  | { readonly kind: 'follower'; readonly leader: BrokerId; readonly leaderEpoch: LeaderEpoch }
  /** Leaderless, between roles, stale, or stopped: serves nothing, fetches nothing. */
  | { readonly kind: 'none' };

export type WaiterId = number;

/** An AlterPartition to send (Kafka's AlterPartitionRequest for one partition). */
export interface IsrProposal {
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
  readonly newIsr: readonly BrokerId[];
}

export type PartitionEffect =
  /** The high watermark passed these waiters' offsets: answer them. */
  | { readonly kind: 'complete-waiters'; readonly waiters: readonly WaiterId[] }
  | { readonly kind: 'fail-waiters'; readonly waiters: readonly WaiterId[]; readonly error: KafkaError }
  /** The role changed: long-polling fetches must look again. */
  | { readonly kind: 'wake-fetches' }
  /** This broker started or stopped leading (the group coordinator loads or unloads). */
  | { readonly kind: 'leadership'; readonly leading: boolean }
  | { readonly kind: 'alter-partition'; readonly proposal: IsrProposal };

/** What a committed registration asks of the shell. */
export type RegistrationStep =
  /** Applied; nothing else to do. */
  | { readonly kind: 'done'; readonly effects: readonly PartitionEffect[] }
  /**
   * The image is older than the latest epoch in the log (a restart's on-disk image behind the quorum):
   * the role is `none` until a newer image comes. `flush`: this broker just resigned leadership.
   */
  | {
      readonly kind: 'stale';
      readonly logEpoch: number;
      readonly flush: boolean;
      readonly effects: readonly PartitionEffect[];
    }
  /**
   * Leading at a new epoch: the role is `none` now; the shell lets the fetcher's queued writes land,
   * flushes, then calls `becomeLeader` (the epoch starts at the log end after them).
   */
  | { readonly kind: 'lead'; readonly effects: readonly PartitionEffect[] }
  /**
   * Following a new leader or epoch: the role is `none` now; the shell lets the fetcher's writes land
   * and flushes what this broker appended (as leader, or as the previous leader's follower: a fetch
   * offset tells the next leader "durable here"), then calls `becomeFollower`.
   */
  | { readonly kind: 'follow'; readonly effects: readonly PartitionEffect[] };

/** What a follower's fetch gets from this replica. */
export type FetchDecision =
  | {
      readonly kind: 'refused';
      readonly error: { readonly name: KafkaErrorName; readonly message: string };
      /** The leader's positions, when the error comes from one (OFFSET_OUT_OF_RANGE). */
      readonly highWatermark: number;
      readonly logStartOffset: number;
    }
  | {
      readonly kind: 'diverging';
      readonly divergingEpoch: EpochEndOffset;
      readonly highWatermark: number;
      readonly logStartOffset: number;
    }
  /** Credited: the shell reads [fetchOffset, logEndOffset) and answers with the leader's positions. */
  | {
      readonly kind: 'read';
      readonly leader: LeaderView;
      readonly fetchOffset: number;
      readonly logEndOffset: number;
      readonly effects: readonly PartitionEffect[];
    };

/** Where a follower fetches from, and what it tells its leader. */
export interface FollowerFetchPosition {
  readonly leader: BrokerId;
  readonly currentLeaderEpoch: LeaderEpoch;
  /** The log end offset: durable here. */
  readonly fetchOffset: number;
  /** The epoch of the last batch, -1 for an empty log (KIP-595). */
  readonly lastFetchedEpoch: number;
}

/** What a follower does with its leader's answer for this partition (the fetcher does the I/O). */
export type FollowerStep =
  /** No longer following that leader at that epoch: the answer is dropped. */
  | { readonly kind: 'ignore' }
  /** Refused (FENCED/UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER...): the metadata is moving; wait. */
  | { readonly kind: 'backoff' }
  /** KIP-595: cut the log at `offset`, then fetch again (another round may cut further). */
  | { readonly kind: 'truncate'; readonly offset: number }
  /** The log ends below the leader's log start (retention ran meanwhile): truncate fully, start there. */
  | { readonly kind: 'restart-at'; readonly offset: number }
  /** Append what came (if the log still ends at the fetch offset), fsync before the next fetch. */
  | { readonly kind: 'append' };

/** A leader's answer for one partition, as the follower's core reads it. */
export interface FetchAnswer {
  readonly error: { readonly name: KafkaErrorName } | null;
  readonly divergingEpoch: EpochEndOffset | null;
  readonly logStartOffset: number;
}

/** What a waiter for the high watermark got. */
export type WaitStart =
  | { readonly kind: 'passed' }
  | { readonly kind: 'refused'; readonly error: KafkaError }
  | { readonly kind: 'waiting'; readonly waiter: WaiterId };
