// One partition replica's replication state and decisions (Kafka's Partition, in the shape of
// raft/node.ts): its role and leader epoch, the high watermark, the leader's view of its followers with
// the maximal ISR and the pending AlterPartition (leader-partition.ts), the requests waiting for the high
// watermark, what a follower's fetch gets, and where a diverging follower truncates. Synchronous and
// I/O-free: it reads the log through `PartitionLogView`, time through the injected clock, and returns
// what to do (partition-core-types.ts: `PartitionEffect`s to wake or fail waiters, send an
// AlterPartition, tell the group coordinator; registration and follower steps to flush, lead, follow,
// truncate or append) for its shell (hosted-partition.ts, replica-fetcher.ts, replica-manager.ts).
//
// Invariants (asserted):
// - A leader's high watermark never decreases within its leadership, never passes its own flushed
//   offset nor the durable offset any member of the maximal ISR reported (leader-partition.ts).
// - A waiter completes only while the leadership it was registered under lasts, and only once the high
//   watermark passed its offset; every waiter fails when that leadership ends.
// - A follower's fetch offset is durable here: never above the log's flushed offset.
// - A leader answers only a fetch of its own leader epoch, whose last fetched epoch it reached.
// - A follower truncates by epoch (KIP-101/279), never to a high watermark.
import { assert } from '../../raft/assert.ts';
import { KafkaError, type KafkaErrorName } from '../common/kafka-errors.ts';
import type { BrokerId, LeaderEpoch } from '../metadata/ids.ts';
import { NO_LEADER } from '../metadata/ids.ts';
import type { PartitionRegistration } from '../metadata/image.ts';
import { type AlterPartitionOutcome, alterPartitionOutcome } from './alter-partition-outcome.ts';
import type { EpochEndOffset, FetchPartition } from './fetch-messages.ts';
import { deleteRecordsTarget } from './delete-records.ts';
import { LeaderPartition, type SilentFollowers } from './leader-partition.ts';
import type {
  Clock,
  FetchAnswer,
  FetchDecision,
  FollowerFetchPosition,
  FollowerStep,
  IsrProposal,
  LeaderView,
  PartitionEffect,
  PartitionLogView,
  RegistrationStep,
  ReplicaRole,
  WaiterId,
  WaitStart,
} from './partition-core-types.ts';

interface Waiter {
  readonly id: WaiterId;
  readonly offset: number;
  readonly leadership: LeaderPartition;
}

type Role =
  | { readonly kind: 'leader'; readonly state: LeaderPartition }
  | { readonly kind: 'follower'; readonly leader: BrokerId; readonly leaderEpoch: LeaderEpoch }
  | { readonly kind: 'none' };

const NONE: Role = { kind: 'none' };

export class PartitionCore {
  readonly name: string;
  private readonly self: BrokerId;
  private readonly log: PartitionLogView;
  private readonly clock: Clock;
  private readonly lagTimeMaxMs: number;
  private readonly alterPartitionRetryBackoffMs: number;
  private currentRole: Role = NONE;
  /** A follower's high watermark, from its leader's last fetch answer (a new leader starts from it). */
  private followerHighWatermark = 0;
  private readonly waiters = new Map<WaiterId, Waiter>();
  private nextWaiterId: WaiterId = 1;
  /** Dropped, closed, or the log directory failed: never leads or follows again. */
  private stoppedWith: KafkaError | null = null;

  constructor(options: {
    self: BrokerId;
    name: string;
    log: PartitionLogView;
    clock: Clock;
    /** replica.lag.time.max.ms */
    lagTimeMaxMs: number;
    /** How long an AlterPartition whose outcome is unknown waits before it is sent again. */
    alterPartitionRetryBackoffMs: number;
  }) {
    this.self = options.self;
    this.name = options.name;
    this.log = options.log;
    this.clock = options.clock;
    this.lagTimeMaxMs = options.lagTimeMaxMs;
    this.alterPartitionRetryBackoffMs = options.alterPartitionRetryBackoffMs;
  }

  get role(): ReplicaRole {
    return this.currentRole;
  }

  leader(): LeaderView | null {
    return this.currentRole.kind === 'leader' ? this.currentRole.state : null;
  }

  /** The offset below which records are committed, as far as this replica knows. */
  highWatermark(): number {
    return this.currentRole.kind === 'leader'
      ? this.currentRole.state.highWatermark
      : this.followerHighWatermark;
  }

  // --- roles -------------------------------------------------------------------------------------

  /** A committed registration of this partition (this broker is among its replicas). */
  applyRegistration(registration: PartitionRegistration): RegistrationStep {
    if (this.stoppedWith !== null) return { kind: 'done', effects: [] };
    const current = this.currentRole.kind === 'leader' ? this.currentRole.state : null;
    const logEpoch = this.log.latestEpoch;
    if (registration.leader !== NO_LEADER && logEpoch !== undefined && registration.leaderEpoch < logEpoch) {
      // Leading or following at that epoch could truncate batches a later leader acknowledged.
      const effects = current !== null ? this.resign() : [];
      this.currentRole = NONE;
      return { kind: 'stale', logEpoch, flush: current !== null, effects };
    }
    if (registration.leader === this.self) {
      if (current !== null && current.leaderEpoch === registration.leaderEpoch) {
        current.updateRegistration(registration, this.clock.nowMs());
        return { kind: 'done', effects: this.advanceHighWatermark() };
      }
      // Leading again in a newer epoch (e.g. after the ISR changed leaders and back): what waited on
      // the old epoch's high watermark is answered by the old epoch, with an error.
      const effects = current !== null ? this.resign(`The leader epoch of ${this.name} changed.`) : [];
      this.currentRole = NONE;
      return { kind: 'lead', effects };
    }
    if (current !== null) {
      const effects = this.resign();
      if (registration.leader === NO_LEADER) return { kind: 'done', effects };
      return { kind: 'follow', effects };
    }
    if (registration.leader === NO_LEADER) {
      this.currentRole = NONE;
      return { kind: 'done', effects: [] };
    }
    const role = this.currentRole;
    if (
      role.kind === 'follower' &&
      role.leader === registration.leader &&
      role.leaderEpoch === registration.leaderEpoch
    )
      return { kind: 'done', effects: [] };
    // Another leader or epoch. The previous fetcher flushes after its whole answer, so its last append
    // may not be durable yet: no role until the shell drained and flushed it, and no answer of the old
    // leadership lands meanwhile (seed 117 of the whole-cluster simulation: the new leader's first
    // fetch offset was past the flushed offset).
    this.currentRole = NONE;
    return { kind: 'follow', effects: [] };
  }

  /** After a `lead` step, once the fetcher's writes landed and the log is flushed. */
  becomeLeader(registration: PartitionRegistration): PartitionEffect[] {
    if (this.stoppedWith !== null) return [];
    assert(registration.leader === this.self, 'this broker leads the registration', {
      partition: this.name,
      leader: registration.leader,
    });
    assert(this.currentRole.kind === 'none', 'a leader takes over from no role', {
      partition: this.name,
      role: this.currentRole.kind,
    });
    const logEndOffset = this.log.logEndOffset;
    const state = new LeaderPartition({
      self: this.self,
      registration,
      logEndOffset,
      highWatermark: Math.min(this.followerHighWatermark, logEndOffset),
      nowMs: this.clock.nowMs(),
    });
    this.currentRole = { kind: 'leader', state };
    return [{ kind: 'leadership', leading: true }, ...this.advanceHighWatermark()];
  }

  /** Follows the registration's leader (directly, or after a `follow` step once the log is flushed). */
  becomeFollower(registration: PartitionRegistration): PartitionEffect[] {
    if (this.stoppedWith !== null) return [];
    assert(this.currentRole.kind !== 'leader', 'a leader resigns before it follows', {
      partition: this.name,
    });
    assert(
      registration.leader !== this.self && registration.leader !== NO_LEADER,
      'a follower has a leader',
      {
        partition: this.name,
        leader: registration.leader,
      },
    );
    const role = this.currentRole;
    if (
      role.kind === 'follower' &&
      role.leader === registration.leader &&
      role.leaderEpoch === registration.leaderEpoch
    )
      return [];
    this.currentRole = {
      kind: 'follower',
      leader: registration.leader,
      leaderEpoch: registration.leaderEpoch,
    };
    return [{ kind: 'wake-fetches' }];
  }

  /** The replica is gone (dropped, broker closing, log directory offline): it never serves again. */
  stop(error: KafkaError): PartitionEffect[] {
    if (this.stoppedWith !== null) return [];
    this.stoppedWith = error;
    const effects: PartitionEffect[] =
      this.currentRole.kind === 'leader' ? [{ kind: 'leadership', leading: false }] : [];
    this.currentRole = NONE;
    return [...effects, ...this.failAllWaiters(error), { kind: 'wake-fetches' }];
  }

  private resign(message = `This broker no longer leads ${this.name}.`): PartitionEffect[] {
    assert(this.currentRole.kind === 'leader', 'only a leader resigns', { partition: this.name });
    this.followerHighWatermark = this.currentRole.state.highWatermark;
    this.currentRole = NONE;
    return [
      { kind: 'leadership', leading: false },
      ...this.failAllWaiters(new KafkaError('NOT_LEADER_OR_FOLLOWER', message)),
      { kind: 'wake-fetches' },
    ];
  }

  // --- leader: produce, reads and the high watermark ---------------------------------------------

  /** The leader's view, or NOT_LEADER_OR_FOLLOWER. */
  requireLeader(): LeaderView {
    if (this.currentRole.kind !== 'leader')
      throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `This server is not the leader of ${this.name}.`);
    return this.currentRole.state;
  }

  /**
   * A new leader's high watermark starts from its view as a follower (0 after a restart) and may lag
   * the one its predecessor exposed, which never passed this leader's log end at election (it was in
   * the ISR): clients see it only once it reached the epoch start offset (Kafka's KIP-207).
   */
  requireEpochStartCommitted(): void {
    const leader = this.requireLeader();
    if (leader.highWatermark >= leader.epochStartOffset) return;
    throw new KafkaError(
      'OFFSET_NOT_AVAILABLE',
      `The high watermark ${leader.highWatermark} of ${this.name} has not reached the start ${leader.epochStartOffset} of leader epoch ${leader.leaderEpoch} yet.`,
    );
  }

  /**
   * A produce may append (Kafka's Partition.appendRecordsToLeader): this broker leads, and with acks=all
   * the ISR has at least min.insync.replicas members. Returns the leadership the produce belongs to.
   */
  beginAppend(acks: -1 | 0 | 1, minIsr: number): LeaderView {
    const leader = this.requireLeader();
    if (acks === -1 && leader.isr.length < minIsr) {
      throw new KafkaError(
        'NOT_ENOUGH_REPLICAS',
        `The size of the current ISR [${leader.isr.join(',')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this.name}.`,
      );
    }
    return leader;
  }

  /**
   * Leadership may have moved while a produce waited (its fsync, the high watermark): a new leader may
   * replace its records, so only the leadership that appended them may acknowledge them.
   */
  requireLeadership(leadership: LeaderView): void {
    if (this.currentRole.kind === 'leader' && this.currentRole.state === leadership) return;
    throw new KafkaError(
      'NOT_LEADER_OR_FOLLOWER',
      `Leadership of ${this.name} moved while the produce waited.`,
    );
  }

  /** An acks=all produce the high watermark passed: NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank. */
  completeAppend(leadership: LeaderView, minIsr: number): void {
    this.requireLeadership(leadership);
    if (leadership.isr.length >= minIsr) return;
    throw new KafkaError(
      'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
      `The records of ${this.name} were written, but the ISR [${leadership.isr.join(',')}] shrank below min.insync.replicas ${minIsr}.`,
    );
  }

  /**
   * A consumer's read from `startOffset` (Kafka's Partition.fetchRecords for a consumer): on the leader,
   * once its high watermark reached its epoch start, within the log. Returns the high watermark, the
   * end of what it may read.
   */
  beginClientRead(startOffset: number): number {
    this.requireEpochStartCommitted();
    const { logStartOffset, logEndOffset } = this.log;
    if (startOffset < logStartOffset || startOffset > logEndOffset) {
      throw new KafkaError(
        'OFFSET_OUT_OF_RANGE',
        `Offset ${startOffset} is out of range for ${this.name} [${logStartOffset}, ${logEndOffset}].`,
      );
    }
    return this.highWatermark();
  }

  /**
   * DeleteRecords on the leader (delete-records.ts): the log start offset to move to. Only once the
   * high watermark reached the epoch start (KIP-207): until then it may lag the log start.
   */
  deleteRecordsTarget(requested: number, options: { readonly deletePolicy: boolean }): number {
    this.requireEpochStartCommitted();
    return deleteRecordsTarget(
      this.name,
      requested,
      { logStartOffset: this.log.logStartOffset, highWatermark: this.highWatermark() },
      options,
    );
  }

  /**
   * Waits until this leadership's high watermark passes `offset` (the record at `offset` is committed).
   * Only a leader's high watermark counts: a follower's says nothing about records this broker appended
   * as leader, which the new leader may have replaced.
   */
  waitForHighWatermark(offset: number): WaitStart {
    if (this.currentRole.kind !== 'leader') {
      return {
        kind: 'refused',
        error: new KafkaError('NOT_LEADER_OR_FOLLOWER', `This broker no longer leads ${this.name}.`),
      };
    }
    const leadership = this.currentRole.state;
    if (leadership.highWatermark > offset) return { kind: 'passed' };
    const id = this.nextWaiterId++;
    this.waiters.set(id, { id, offset, leadership });
    return { kind: 'waiting', waiter: id };
  }

  /** The waiter's deadline passed (the shell's timer): it fails unless it was answered already. */
  waiterTimedOut(id: WaiterId, timeoutMs: number): PartitionEffect[] {
    const waiter = this.waiters.get(id);
    if (waiter === undefined) return [];
    this.waiters.delete(id);
    const error = new KafkaError(
      'REQUEST_TIMED_OUT',
      `The record at offset ${waiter.offset} of ${this.name} was not replicated to the ISR within ${timeoutMs} ms.`,
    );
    return [{ kind: 'fail-waiters', waiters: [id], error }];
  }

  /** The log's flushed offset moved: a leader's high watermark may pass more. */
  logFlushed(): PartitionEffect[] {
    return this.advanceHighWatermark();
  }

  /**
   * Serves a follower's fetch (Kafka's Partition.fetchRecords for a replica): refuses another leader
   * epoch, a last fetched epoch newer than this leader's (this leader acts on a stale image: a
   * diverging epoch from it would make the follower truncate what a later leader wrote), answers a
   * diverging epoch (KIP-595), or credits the fetch offset and says what to read.
   */
  serveFetch(replica: BrokerId, request: FetchPartition): FetchDecision {
    const refuse = (
      name: KafkaErrorName,
      message: string,
      positions = { highWatermark: 0, logStartOffset: 0 },
    ) => ({ kind: 'refused', error: { name, message }, ...positions }) as const;
    if (this.currentRole.kind !== 'leader')
      return refuse('NOT_LEADER_OR_FOLLOWER', `Broker ${this.self} does not lead ${this.name}.`);
    const leader = this.currentRole.state;
    if (request.currentLeaderEpoch < leader.leaderEpoch)
      return refuse(
        'FENCED_LEADER_EPOCH',
        `Leader epoch ${request.currentLeaderEpoch} is older than ${leader.leaderEpoch}.`,
      );
    if (request.currentLeaderEpoch > leader.leaderEpoch)
      return refuse(
        'UNKNOWN_LEADER_EPOCH',
        `Leader epoch ${request.currentLeaderEpoch} is newer than ${leader.leaderEpoch}.`,
      );
    if (replica === this.self || !leader.replicas.includes(replica))
      return refuse('NOT_LEADER_OR_FOLLOWER', `Broker ${replica} is not a follower of ${this.name}.`);
    if (request.lastFetchedEpoch > leader.leaderEpoch) {
      return refuse(
        'UNKNOWN_LEADER_EPOCH',
        `The follower's last fetched epoch ${request.lastFetchedEpoch} is newer than this leader's epoch ${leader.leaderEpoch}.`,
      );
    }
    const positions = { highWatermark: leader.highWatermark, logStartOffset: this.log.logStartOffset };
    if (request.lastFetchedEpoch >= 0) {
      const end = this.epochEnd(leader, request.lastFetchedEpoch);
      if (end.epoch < request.lastFetchedEpoch || end.endOffset < request.fetchOffset)
        return { kind: 'diverging', divergingEpoch: end, ...positions };
    }
    const logEndOffset = this.log.logEndOffset;
    if (request.fetchOffset > logEndOffset || request.fetchOffset < this.log.logStartOffset) {
      // With the log start: a follower below it resets its log there (retention deleted the rest).
      return refuse(
        'OFFSET_OUT_OF_RANGE',
        `Offset ${request.fetchOffset} is outside [${this.log.logStartOffset}, ${logEndOffset}] of ${this.name}.`,
        positions,
      );
    }
    leader.recordFetch(replica, request.fetchOffset, logEndOffset, this.clock.nowMs());
    return {
      kind: 'read',
      leader,
      fetchOffset: request.fetchOffset,
      logEndOffset,
      effects: this.advanceHighWatermark(),
    };
  }

  /**
   * A client's OffsetsForLeaderEpoch (KIP-320: a consumer checking its position after a leader change):
   * on the leader, where the history of `requested` ends; an epoch above this leader's is one it never
   * had (Kafka's UNDEFINED_EPOCH, -1 and -1).
   */
  clientEpochEnd(requested: number): EpochEndOffset {
    const leader = this.requireLeader();
    assert(this.currentRole.kind === 'leader', 'requireLeader answered for a leader', {
      partition: this.name,
    });
    if (requested < 0 || requested > leader.leaderEpoch) return { epoch: -1, endOffset: -1 };
    return this.epochEnd(this.currentRole.state, requested);
  }

  /**
   * Where the leader's history of `requested` ends (OffsetsForLeaderEpoch): the largest epoch <= it in
   * this log and the offset where that epoch ends. Epochs between the log's last batch and this leader's
   * epoch ended where this leader's epoch started (Kafka records that start when it becomes leader).
   */
  private epochEnd(leader: LeaderPartition, requested: number): EpochEndOffset {
    assert(requested <= leader.leaderEpoch, 'an epoch end is asked for an epoch this leader reached', {
      requested,
      leaderEpoch: leader.leaderEpoch,
      partition: this.name,
    });
    if (requested === leader.leaderEpoch) return { epoch: requested, endOffset: this.log.logEndOffset };
    const latest = this.log.latestEpoch;
    if (latest !== undefined && requested <= latest) return this.log.endOffsetForEpoch(requested);
    return { epoch: latest ?? requested, endOffset: leader.epochStartOffset };
  }

  // --- leader: the ISR -------------------------------------------------------------------------

  /**
   * The ISR change to send now, if any (one in flight at a time; an unknown outcome is sent again once
   * its backoff passed). `eligible`: may this broker join an ISR (registered, unfenced, not shutting down).
   * `silence`: replica.silence.time.max.ms and which follower brokers have gone silent (fetch-silence.ts),
   * or null when silence does not count now (off; only the periodic check, on time, counts it: one that
   * ran late may come before the fetches its own delay held back).
   */
  checkIsr(
    eligible: (broker: BrokerId) => boolean,
    silence: SilentFollowers | null = null,
  ): PartitionEffect[] {
    if (this.currentRole.kind !== 'leader') return [];
    const leader = this.currentRole.state;
    const newIsr = leader.proposeIsr({
      leaderLogEndOffset: this.log.logEndOffset,
      nowMs: this.clock.nowMs(),
      lagTimeMaxMs: this.lagTimeMaxMs,
      silence,
      eligible,
    });
    if (newIsr === null) return [];
    const proposal = { leaderEpoch: leader.leaderEpoch, partitionEpoch: leader.partitionEpoch, newIsr };
    return [{ kind: 'alter-partition', proposal }];
  }

  /**
   * The controller answered `proposal` (`error` null: committed). Only a definite refusal forgets it; an
   * unknown outcome is sent again later (Kafka's Partition.handleAlterPartitionError). A late answer to
   * another leadership's proposal changes nothing. Returns how the answer was read (for the log).
   */
  alterPartitionAnswered(proposal: IsrProposal, error: unknown): AlterPartitionOutcome | 'accepted' {
    const leader = this.currentRole.kind === 'leader' ? this.currentRole.state : null;
    if (error === null) {
      leader?.isrChangeAccepted(proposal.newIsr);
      return 'accepted';
    }
    const outcome = alterPartitionOutcome(error);
    leader?.isrChangeFailed(proposal.newIsr, outcome, this.clock.nowMs() + this.alterPartitionRetryBackoffMs);
    return outcome;
  }

  // --- follower --------------------------------------------------------------------------------

  /** What a follower fetches with, or null when it does not follow. */
  fetchPosition(): FollowerFetchPosition | null {
    const role = this.currentRole;
    if (role.kind !== 'follower') return null;
    // A fetch offset tells the leader "durable here": the log was fsynced after every append (a failed
    // fsync takes the log directory offline before the fetcher gets here).
    assert(this.log.logEndOffset <= this.log.flushedOffset, 'a follower fetches only from durable data', {
      partition: this.name,
      logEndOffset: this.log.logEndOffset,
      flushedOffset: this.log.flushedOffset,
    });
    return {
      leader: role.leader,
      currentLeaderEpoch: role.leaderEpoch,
      fetchOffset: this.log.logEndOffset,
      lastFetchedEpoch: this.log.latestEpoch ?? -1,
    };
  }

  /** Whether a fetch answer from `leader` at `leaderEpoch` still applies. */
  isFollowing(leader: BrokerId, leaderEpoch: number): boolean {
    const role = this.currentRole;
    return role.kind === 'follower' && role.leader === leader && role.leaderEpoch === leaderEpoch;
  }

  /**
   * Decides what the answer of `leader` to a fetch at `asked` means for this follower (Kafka's
   * ReplicaFetcherThread: handleOffsetOutOfRange, truncateOnFetchResponse, processPartitionData).
   */
  onFetchAnswer(
    leader: BrokerId,
    asked: { readonly fetchOffset: number; readonly currentLeaderEpoch: number },
    answer: FetchAnswer,
  ): FollowerStep {
    if (!this.isFollowing(leader, asked.currentLeaderEpoch)) return { kind: 'ignore' };
    if (answer.error?.name === 'OFFSET_OUT_OF_RANGE' && answer.logStartOffset > asked.fetchOffset)
      return { kind: 'restart-at', offset: answer.logStartOffset };
    if (answer.error !== null) return { kind: 'backoff' };
    if (answer.divergingEpoch !== null)
      return { kind: 'truncate', offset: this.truncationOffset(answer.divergingEpoch) };
    return { kind: 'append' };
  }

  /**
   * KIP-595: the offset to cut the log at, where it stops agreeing with the leader's history (the
   * smaller of the leader's end of that epoch and this log's); another round may cut further. Never a
   * high watermark: records above it that agree with the leader stay.
   */
  truncationOffset(diverging: EpochEndOffset): number {
    const mine = this.log.endOffsetForEpoch(diverging.epoch);
    const target =
      mine.epoch === -1
        ? Math.min(diverging.endOffset, this.log.logEndOffset)
        : mine.epoch === diverging.epoch
          ? Math.min(diverging.endOffset, mine.endOffset)
          : Math.min(mine.endOffset, this.log.logEndOffset);
    return Math.max(0, target);
  }

  /**
   * A fetch answer from the leader at `leaderEpoch` was appended: the follower's high watermark is the
   * leader's, within this log. Returns the log start this log moves to when the leader's moved
   * (retention or DeleteRecords there), else null.
   */
  followerFetched(
    leaderEpoch: number,
    leader: { readonly highWatermark: number; readonly logStartOffset: number },
  ): number | null {
    const role = this.currentRole;
    if (role.kind !== 'follower' || role.leaderEpoch !== leaderEpoch) return null;
    this.followerHighWatermark = Math.min(leader.highWatermark, this.log.logEndOffset);
    const moved =
      leader.logStartOffset > this.log.logStartOffset && leader.logStartOffset <= this.log.logEndOffset;
    return moved ? leader.logStartOffset : null;
  }

  /**
   * The log was truncated fully and starts again at the leader's log start (`restart-at`): that is
   * committed (retention deletes only below the leader's high watermark).
   */
  followerRestarted(leaderEpoch: number): void {
    const role = this.currentRole;
    if (role.kind !== 'follower' || role.leaderEpoch !== leaderEpoch) return;
    this.followerHighWatermark = this.log.logEndOffset;
  }

  /** The follower's log was cut: its high watermark cannot stay above its end. */
  followerTruncated(): void {
    if (this.currentRole.kind === 'leader') return;
    this.followerHighWatermark = Math.min(this.followerHighWatermark, this.log.logEndOffset);
  }

  // --- internals -------------------------------------------------------------------------------

  private advanceHighWatermark(): PartitionEffect[] {
    if (this.currentRole.kind !== 'leader') return [];
    const leader = this.currentRole.state;
    const before = leader.highWatermark;
    if (!leader.advanceHighWatermark(this.log.flushedOffset)) return [];
    assert(leader.highWatermark > before, 'the high watermark never decreases', {
      partition: this.name,
      before,
      after: leader.highWatermark,
    });
    assert(leader.highWatermark <= this.log.flushedOffset, 'the high watermark is durable on the leader', {
      partition: this.name,
      highWatermark: leader.highWatermark,
      flushedOffset: this.log.flushedOffset,
    });
    const done: WaiterId[] = [];
    for (const waiter of this.waiters.values()) {
      assert(waiter.leadership === leader, 'waiters belong to the current leadership', {
        partition: this.name,
      });
      if (waiter.offset < leader.highWatermark) done.push(waiter.id);
    }
    for (const id of done) this.waiters.delete(id);
    return done.length === 0 ? [] : [{ kind: 'complete-waiters', waiters: done }];
  }

  private failAllWaiters(error: KafkaError): PartitionEffect[] {
    if (this.waiters.size === 0) return [];
    const ids = [...this.waiters.keys()];
    this.waiters.clear();
    return [{ kind: 'fail-waiters', waiters: ids, error }];
  }
}
