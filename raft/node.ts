import { assert, unreachable } from './assert.ts';
import { RaftLog } from './log.ts';
import { Progress } from './progress.ts';
import { committedIndex, quorumReached, voteOutcome } from './quorum.ts';
import {
  type AppendRequest,
  type AppendResponse,
  type Entry,
  EntryType,
  type HardState,
  type HeartbeatRequest,
  type LogIndex,
  type Membership,
  type Message,
  NONE,
  type NodeId,
  type PersistentState,
  type Random,
  type ReadState,
  type Ready,
  type Role,
  type SnapshotRequest,
  type SoftState,
  type Term,
  type VoteRequest,
} from './types.ts';

/** Structured logger (pino's shape); the core logs role and term changes only. */
export interface RaftLogger {
  info(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface RaftOptions {
  readonly id: NodeId;
  /** The voters at bootstrap; the membership in a snapshot takes precedence. */
  readonly voters: readonly NodeId[];
  readonly state: PersistentState;
  readonly random: Random;
  /** Election timeout in ticks; each term a node waits a random time in [electionTicks, 2 * electionTicks). */
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Unacknowledged appends per follower in replicate state (flow control). */
  readonly maxInflightAppends?: number;
  /** Soft bound on the entries of one append message. */
  readonly maxAppendBytes?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** A silent observer is forgotten by the leader after this many ticks. */
  readonly observerTimeoutTicks?: number;
  readonly logger?: RaftLogger;
}

export type ProposeResult =
  | { readonly ok: true; readonly index: LogIndex; readonly term: Term }
  | { readonly ok: false; readonly reason: 'notLeader' | 'transferring'; readonly leader: NodeId };

export interface PeerStatus {
  readonly id: NodeId;
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: Progress['state'];
  readonly isObserver: boolean;
  readonly recentActive: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: Term;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly firstIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly stableIndex: LogIndex;
  readonly voters: readonly NodeId[];
  /** Replication progress of every peer; only on the leader. */
  readonly peers: readonly PeerStatus[];
  readonly leadTransferee: NodeId;
}

type CampaignKind = 'preElection' | 'election' | 'transfer';

/**
 * A read-index request on the leader. `index` is null (and `round` 0) until the leader has committed an
 * entry of its term (before that its commit index may lag what earlier leaders committed).
 */
interface PendingRead {
  readonly requestId: number;
  index: LogIndex | null;
  /** The read-index round assigned on arrival: heartbeats of this round or later were sent after it. */
  round: number;
}

/**
 * One Raft node, pure and synchronous (etcd-raft's raft + RawNode): no clock, no randomness of its own,
 * no I/O. The driver feeds it ticks, messages and proposals, and carries out each Ready (see types.ts).
 *
 * Implements Raft with PreVote and CheckQuorum, fast log backtracking, commit only of the leader's own
 * term (§5.4.2), pipelined replication with flow control, snapshots, non-voting observers,
 * leadership transfer and linearizable read indexes (thesis §6.4).
 */
export class RaftNode {
  readonly id: NodeId;
  private voters: NodeId[];
  private readonly random: Random;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly maxInflightAppends: number;
  private readonly maxAppendBytes: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly observerTimeoutTicks: number;
  private readonly logger: RaftLogger | null;

  private term: Term;
  private vote: NodeId;
  private leader: NodeId = NONE;
  private role: Role = 'follower';
  private readonly log: RaftLog;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Ticks since this node started; orders observer liveness. */
  private ticks = 0;
  private votes = new Map<NodeId, boolean>();
  private readonly progress = new Map<NodeId, Progress>();
  private leadTransferee: NodeId = NONE;
  /** The leader has entries or a new commit index to send at the next Ready. */
  private appendsDue = false;
  private observeVoterCursor = 0;
  /**
   * Read indexes (thesis §6.4, etcd-raft's ReadOnlySafe). Each request arriving at the leader takes a new
   * round, numbered from 1 in each term; heartbeats carry the latest round and followers echo it. A read
   * of round r is answered once a quorum of voters (the leader included) has echoed a round >= r: every
   * such heartbeat left after the request arrived, so the leader was still leader then.
   * Invariant: pendingReads with a round are first, in ascending round order; every round <= readRound.
   */
  private pendingReads: PendingRead[] = [];
  private readRound = 0;
  /** A round was opened since the last heartbeat: send one at the next Ready rather than next tick. */
  private readHeartbeatDue = false;
  private readStates: ReadState[] = [];

  private messages: Message[] = [];
  private pendingSnapshotRestore = false;
  private pendingSnapshotSave = false;
  private previousHardState: HardState;
  private previousSoftState: SoftState;
  private readyOutstanding = false;

  constructor(options: RaftOptions) {
    this.id = options.id;
    assert(options.id !== NONE, 'a node id is not 0', { id: options.id });
    const { hardState, snapshot, entries } = options.state;
    this.voters = [...(snapshot?.metadata.membership.voters ?? options.voters)];
    assert(this.voters.length > 0, 'at least one voter', { voters: this.voters });
    this.random = options.random;
    this.electionTicks = options.electionTicks ?? 10;
    this.heartbeatTicks = options.heartbeatTicks ?? 1;
    assert(this.heartbeatTicks < this.electionTicks, 'heartbeats are more frequent than elections', {
      heartbeatTicks: this.heartbeatTicks,
      electionTicks: this.electionTicks,
    });
    this.maxInflightAppends = options.maxInflightAppends ?? 16;
    this.maxAppendBytes = options.maxAppendBytes ?? 1024 * 1024;
    this.preVote = options.preVote ?? true;
    this.checkQuorum = options.checkQuorum ?? true;
    this.observerTimeoutTicks = options.observerTimeoutTicks ?? this.electionTicks * 10;
    this.logger = options.logger ?? null;
    this.log = new RaftLog(snapshot, entries, hardState.commit);
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.previousHardState = hardState;
    this.role = this.isVoter() ? 'follower' : 'observer';
    this.resetElectionTimer();
    this.previousSoftState = this.softState();
  }

  // -------------------------------------------------------------------------------------------------
  // The API driven by the application.

  tick(): void {
    this.assertNoReadyOutstanding();
    this.ticks++;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  step(message: Message): void {
    this.assertNoReadyOutstanding();
    if (message.to !== this.id) return;
    if (message.type === 'observe') {
      // Observers may not know the current term yet: the request is answered by whoever leads.
      if (this.role === 'leader') this.handleObserve(message.from);
      return;
    }
    if (!this.settleTerm(message)) return;
    switch (message.type) {
      case 'vote':
      case 'preVote':
        this.handleVoteRequest(message);
        return;
      default:
        break;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(message);
        return;
      case 'preCandidate':
      case 'candidate':
        this.stepCandidate(message);
        return;
      case 'follower':
      case 'observer':
        this.stepFollower(message);
        return;
      default:
        unreachable(this.role);
    }
  }

  propose(data: Uint8Array): ProposeResult {
    this.assertNoReadyOutstanding();
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader', leader: this.leader };
    if (this.leadTransferee !== NONE) return { ok: false, reason: 'transferring', leader: this.leader };
    const entry: Entry = {
      term: this.term,
      index: (this.log.lastIndex() + 1) as LogIndex,
      type: EntryType.Normal,
      data,
    };
    this.log.append([entry]);
    this.appendsDue = true;
    return { ok: true, index: entry.index, term: entry.term };
  }

  /**
   * Asks for a read index (thesis §6.4). The outcome comes out in a later Ready's `readStates` under
   * `requestId`: the leader's commit index once a quorum has confirmed its leadership after the request
   * arrived, or a refusal (not the leader; leadership lost before the confirmation).
   */
  readIndex(requestId: number): void {
    this.assertNoReadyOutstanding();
    if (this.role !== 'leader') {
      this.readStates.push({ requestId, ok: false, reason: 'notLeader', leader: this.leader });
      return;
    }
    this.pendingReads.push({ requestId, index: null, round: 0 });
    this.startPendingReads();
  }

  /** Raft thesis §3.10: bring `to` up to date, then tell it to campaign at once. */
  transferLeadership(to: NodeId): void {
    this.assertNoReadyOutstanding();
    if (this.role !== 'leader' || to === this.id || !this.voters.includes(to)) return;
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    // The transfer is abandoned if it has not happened within an election timeout.
    this.electionElapsed = 0;
    this.logger?.info({ term: this.term, to }, 'raft leadership transfer started');
    const progress = this.progress.get(to)!;
    if (progress.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', to });
    else this.appendsDue = true;
  }

  /**
   * The application's state at `index` (applied) becomes a snapshot; earlier entries are dropped. A
   * request at or below the first index is stale and ignored: the application asks through the driver's
   * queue, and a snapshot from the leader may have been installed past `index` in the meantime.
   */
  compact(index: LogIndex, data: Uint8Array): void {
    this.assertNoReadyOutstanding();
    if (index < this.log.firstIndex()) {
      this.logger?.debug({ index, firstIndex: this.log.firstIndex() }, 'raft compaction below the log start ignored');
      return;
    }
    this.log.compact(index, data, this.membership());
    this.pendingSnapshotSave = true;
  }

  hasReady(): boolean {
    this.flushAppends();
    this.flushReadHeartbeats();
    return (
      this.messages.length > 0 ||
      this.readStates.length > 0 ||
      this.pendingSnapshotSave ||
      this.log.unstableFrom <= this.log.lastIndex() ||
      this.log.committed > this.log.applied ||
      !sameHardState(this.hardState(), this.previousHardState) ||
      !sameSoftState(this.softState(), this.previousSoftState)
    );
  }

  ready(): Ready {
    this.assertNoReadyOutstanding();
    this.flushAppends();
    this.flushReadHeartbeats();
    const hardState = this.hardState();
    const softState = this.softState();
    const ready: Ready = {
      softState: sameSoftState(softState, this.previousSoftState) ? null : softState,
      hardState: sameHardState(hardState, this.previousHardState) ? null : hardState,
      snapshot: this.pendingSnapshotSave ? this.log.snapshot : null,
      restoreSnapshot: this.pendingSnapshotRestore,
      entries: this.log.unstableEntries(),
      messages: this.messages,
      committedEntries: this.log.nextCommittedEntries(),
      readStates: this.readStates,
    };
    this.messages = [];
    this.readStates = [];
    this.readyOutstanding = true;
    return ready;
  }

  advance(ready: Ready): void {
    assert(this.readyOutstanding, 'advance follows ready', { node: this.id });
    this.readyOutstanding = false;
    if (ready.hardState !== null) this.previousHardState = ready.hardState;
    if (ready.softState !== null) this.previousSoftState = ready.softState;
    this.pendingSnapshotSave = false;
    this.pendingSnapshotRestore = false;
    const lastEntry = ready.entries.at(-1);
    if (lastEntry !== undefined) this.log.stableTo(lastEntry.index);
    const lastApplied = ready.committedEntries.at(-1);
    if (lastApplied !== undefined) this.log.appliedTo(lastApplied.index);
    // The leader's own entries count towards a quorum only once they are durable.
    if (this.role === 'leader' && this.maybeCommit()) this.appendsDue = true;
    if (this.role === 'leader') this.startPendingReads();
  }

  status(): RaftStatus {
    const peers: PeerStatus[] = [];
    for (const [id, progress] of this.progress) {
      peers.push({
        id,
        match: progress.match,
        next: progress.next,
        state: progress.state,
        isObserver: progress.isObserver,
        recentActive: this.isRecentlyActive(progress),
      });
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      stableIndex: this.log.stableIndex,
      voters: [...this.voters],
      peers,
      leadTransferee: this.leadTransferee,
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Overridable rules. They are protected so that the simulation can plant bugs in them and show that
  // its checkers catch them; nothing in the product overrides them.

  /** Raft §5.3: the follower's log contains an entry at `index` whose term is `term`. */
  protected logMatchesAt(index: LogIndex, term: Term): boolean {
    return this.log.matchTerm(index, term);
  }

  /**
   * Raft §5.3/§5.4.2: the leader commits the highest index durable on a quorum of voters, but only if
   * that entry is of its own term (earlier terms' entries commit with it, never by being counted).
   */
  protected maybeCommit(): boolean {
    const matches = new Map<NodeId, LogIndex>();
    for (const voter of this.voters) {
      matches.set(voter, voter === this.id ? this.log.stableIndex : (this.progress.get(voter)?.match ?? 0) as LogIndex);
    }
    const candidate = committedIndex(matches);
    if (candidate <= this.log.committed || this.log.term(candidate) !== this.term) return false;
    return this.log.commitTo(candidate);
  }

  /**
   * Thesis §6.4: the latest read-index round that a quorum of voters has answered in this term. The
   * leader counts itself at its latest round: it knows it led when it opened it.
   */
  protected readRoundConfirmed(): number {
    const rounds = new Map<NodeId, number>();
    for (const voter of this.voters) {
      rounds.set(voter, voter === this.id ? this.readRound : (this.progress.get(voter)?.readRoundAcknowledged ?? 0));
    }
    return quorumReached(rounds);
  }

  // -------------------------------------------------------------------------------------------------
  // Terms, roles and elections.

  /**
   * Settles the message's term against ours before any role sees it (etcd-raft's Step). Returns false
   * when the message is dropped.
   */
  private settleTerm(message: Message): boolean {
    if (message.term > this.term) {
      if (message.type === 'vote' || message.type === 'preVote') {
        // CheckQuorum lease: while a leader is known to be alive, a disruptive candidate (one that was
        // partitioned away and kept raising its term) is ignored, unless the leader asked for this.
        const inLease = this.checkQuorum && this.leader !== NONE && this.electionElapsed < this.electionTicks;
        if (inLease && !message.transfer) return false;
      }
      if (message.type === 'preVote') return true;
      if (message.type === 'preVoteResponse' && !message.reject) return true;
      const fromLeader = message.type === 'append' || message.type === 'heartbeat' || message.type === 'snapshot';
      this.becomeFollower(message.term, fromLeader ? message.from : NONE);
      return true;
    }
    if (message.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (message.type === 'append' || message.type === 'heartbeat')) {
        // A stale leader cut off by a partition learns our term and steps down; without this answer it
        // could keep followers that only use PreVote from ever electing anyone.
        this.send({ type: 'appendResponse', to: message.from, reject: true, index: 0 as LogIndex, rejectHint: 0 as LogIndex, rejectHintTerm: 0 as Term });
      } else if (message.type === 'preVote') {
        this.send({ type: 'preVoteResponse', to: message.from, reject: true });
      }
      return false;
    }
    return true;
  }

  private handleVoteRequest(message: VoteRequest): void {
    if (!this.isVoter()) return;
    const responseType = message.type === 'vote' ? 'voteResponse' : 'preVoteResponse';
    const canVote =
      this.vote === message.from ||
      (this.vote === NONE && this.leader === NONE) ||
      (message.type === 'preVote' && message.term > this.term);
    if (canVote && this.log.isUpToDate(message.lastLogIndex, message.lastLogTerm)) {
      // A granted PreVote answers with the term sought, so the pre-candidate can count it.
      this.send({ type: responseType, to: message.from, term: message.term, reject: false });
      if (message.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = message.from;
      }
    } else {
      this.send({ type: responseType, to: message.from, reject: true });
    }
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.role === 'observer') {
      if (this.electionElapsed >= this.randomizedElectionTimeout) {
        this.electionElapsed = 0;
        this.resetElectionTimer();
        this.requestObservation();
      }
      return;
    }
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.preVote ? 'preElection' : 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    // Checked every tick (thesis §6.2): a leader cut off from a quorum steps down within one election
    // timeout of the last time it heard from one, before followers' leases let them elect another.
    if (this.checkQuorum && !this.quorumActive()) {
      this.logger?.info({ term: this.term }, 'raft leader lost contact with a quorum, stepping down');
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.leadTransferee !== NONE) {
        this.logger?.info({ term: this.term, to: this.leadTransferee }, 'raft leadership transfer timed out');
        this.leadTransferee = NONE;
      }
    }
    this.forgetSilentObservers();
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  private campaign(kind: CampaignKind): void {
    if (!this.isVoter()) return;
    let voteType: 'vote' | 'preVote';
    let voteTerm: Term;
    if (kind === 'preElection') {
      this.becomePreCandidate();
      voteType = 'preVote';
      voteTerm = (this.term + 1) as Term;
    } else {
      this.becomeCandidate();
      voteType = 'vote';
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (voteOutcome(this.voters, this.votes) === 'won') {
      this.winCampaign();
      return;
    }
    for (const voter of this.voters) {
      if (voter === this.id) continue;
      this.send({
        type: voteType,
        to: voter,
        term: voteTerm,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        transfer: kind === 'transfer',
      });
    }
  }

  private winCampaign(): void {
    if (this.role === 'preCandidate') this.campaign('election');
    else this.becomeLeader();
  }

  private becomeFollower(term: Term, leader: NodeId): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    const previousLeader = this.leader;
    this.reset();
    this.leader = leader;
    this.role = this.isVoter() ? 'follower' : 'observer';
    if (leader !== previousLeader) {
      this.logger?.info({ term: this.term, leader, role: this.role }, 'raft following');
    }
    // Only a leader holds reads, and a leader only ever becomes a follower: none may outlive its term.
    for (const read of this.pendingReads) {
      this.readStates.push({ requestId: read.requestId, ok: false, reason: 'leadershipLost', leader: this.leader });
    }
    this.pendingReads = [];
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not campaign', { node: this.id });
    // A pre-candidate keeps its term and vote: PreVote must not disrupt anyone.
    this.votes = new Map();
    this.leader = NONE;
    this.role = 'preCandidate';
    this.logger?.debug({ term: this.term }, 'raft pre-vote started');
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not campaign', { node: this.id });
    this.term = (this.term + 1) as Term;
    this.reset();
    this.vote = this.id;
    this.role = 'candidate';
    this.logger?.info({ term: this.term }, 'raft election started');
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader', { node: this.id, role: this.role });
    assert(this.pendingReads.length === 0, 'a new leader holds no reads', { node: this.id });
    this.reset();
    this.readRound = 0;
    this.role = 'leader';
    this.leader = this.id;
    for (const voter of this.voters) {
      if (voter === this.id) continue;
      const progress = new Progress((this.log.lastIndex() + 1) as LogIndex, false);
      // Its voters just answered the election: a full election timeout before CheckQuorum may count them out.
      progress.lastHeardTick = this.ticks;
      this.progress.set(voter, progress);
    }
    // Raft §8: a no-op of the new term, so that earlier entries commit with it (§5.4.2).
    this.log.append([{ term: this.term, index: (this.log.lastIndex() + 1) as LogIndex, type: EntryType.Normal, data: new Uint8Array(0) }]);
    this.appendsDue = true;
    this.logger?.info({ term: this.term, lastIndex: this.log.lastIndex() }, 'raft became leader');
  }

  private reset(): void {
    this.leader = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetElectionTimer();
    this.votes = new Map();
    this.progress.clear();
    this.leadTransferee = NONE;
    this.appendsDue = false;
    this.readHeartbeatDue = false;
  }

  private resetElectionTimer(): void {
    this.randomizedElectionTimeout = this.electionTicks + this.random.nextInt(this.electionTicks);
  }

  /** A quorum of voters (this leader included) was heard from within the last election timeout. */
  private quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const voter of this.voters) {
      const progress = this.progress.get(voter);
      active.set(voter, voter === this.id || (progress !== undefined && this.isRecentlyActive(progress)));
    }
    return voteOutcome(this.voters, active) === 'won';
  }

  private isRecentlyActive(progress: Progress): boolean {
    return this.ticks - progress.lastHeardTick < this.electionTicks;
  }

  // -------------------------------------------------------------------------------------------------
  // Roles' handling of messages (the term has been settled).

  private stepLeader(message: Message): void {
    switch (message.type) {
      case 'appendResponse':
        this.handleAppendResponse(message);
        return;
      case 'heartbeatResponse': {
        const progress = this.peerProgress(message.from);
        progress.lastHeardTick = this.ticks;
        progress.probeSent = false;
        if (!progress.isObserver && message.readRound > progress.readRoundAcknowledged) {
          assert(message.readRound <= this.readRound, 'a follower echoes a read round this leader opened', {
            node: this.id,
            from: message.from,
            round: message.readRound,
            latest: this.readRound,
          });
          progress.readRoundAcknowledged = message.readRound;
          this.answerConfirmedReads();
        }
        // A lost append would otherwise stall an idle follower: its answer to the next append tells us.
        if (progress.state === 'replicate' && progress.inflights.length >= this.maxInflightAppends) {
          progress.inflights.shift();
        }
        if (progress.state === 'snapshot' && this.ticks - progress.snapshotSentTick >= this.electionTicks) {
          progress.becomeProbe();
        }
        if (progress.match < this.log.lastIndex()) this.sendAppend(message.from, true);
        return;
      }
      case 'preVoteResponse':
      case 'voteResponse':
      case 'append':
      case 'heartbeat':
      case 'snapshot':
      case 'timeoutNow':
      case 'vote':
      case 'preVote':
      case 'observe':
        // Same-term appends from another leader would break election safety.
        assert(message.type !== 'append' && message.type !== 'heartbeat' && message.type !== 'snapshot', 'two leaders in one term', {
          node: this.id,
          term: this.term,
          other: message.from,
        });
        return;
      default:
        unreachable(message);
    }
  }

  private handleAppendResponse(message: AppendResponse): void {
    const progress = this.peerProgress(message.from);
    progress.lastHeardTick = this.ticks;
    if (message.reject) {
      let matchHint = message.rejectHint;
      if (message.rejectHintTerm > 0) matchHint = this.log.findConflictByTerm(message.rejectHint, message.rejectHintTerm).index;
      if (progress.maybeDecreaseTo(message.index, matchHint)) {
        if (progress.state === 'replicate') progress.becomeProbe();
        this.sendAppend(message.from, false);
      }
      return;
    }
    const moved = progress.maybeUpdate(message.index);
    if (progress.state === 'probe') progress.becomeReplicate();
    else if (progress.state === 'snapshot' && progress.match + 1 >= this.log.firstIndex()) {
      progress.becomeProbe();
      progress.becomeReplicate();
    } else if (progress.state === 'replicate') progress.acknowledgedTo(message.index);
    if (moved && !progress.isObserver && this.maybeCommit()) {
      this.appendsDue = true;
      this.startPendingReads();
    }
    if (message.from === this.leadTransferee && progress.match === this.log.lastIndex()) {
      this.send({ type: 'timeoutNow', to: message.from });
    }
    this.appendsDue = true;
  }

  private stepCandidate(message: Message): void {
    switch (message.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // A leader of our term exists (§5.2): give up and follow it.
        this.becomeFollower(this.term, message.from);
        this.stepFollower(message);
        return;
      case 'voteResponse':
      case 'preVoteResponse': {
        const expected = this.role === 'candidate' ? 'voteResponse' : 'preVoteResponse';
        if (message.type !== expected) return;
        this.votes.set(message.from, !message.reject);
        const outcome = voteOutcome(this.voters, this.votes);
        if (outcome === 'won') this.winCampaign();
        else if (outcome === 'lost') this.becomeFollower(this.term, NONE);
        return;
      }
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'timeoutNow':
      case 'vote':
      case 'preVote':
      case 'observe':
        return;
      default:
        unreachable(message);
    }
  }

  private stepFollower(message: Message): void {
    switch (message.type) {
      case 'append':
        this.heardFromLeader(message.from);
        this.handleAppend(message);
        return;
      case 'heartbeat':
        this.heardFromLeader(message.from);
        this.handleHeartbeat(message);
        return;
      case 'snapshot':
        this.heardFromLeader(message.from);
        this.handleSnapshot(message);
        return;
      case 'timeoutNow':
        if (this.isVoter()) {
          this.logger?.info({ term: this.term, from: message.from }, 'raft campaigning on leadership transfer');
          this.campaign('transfer');
        }
        return;
      case 'appendResponse':
      case 'heartbeatResponse':
      case 'voteResponse':
      case 'preVoteResponse':
      case 'vote':
      case 'preVote':
      case 'observe':
        return;
      default:
        unreachable(message);
    }
  }

  private heardFromLeader(leader: NodeId): void {
    this.electionElapsed = 0;
    if (this.leader !== leader) {
      this.leader = leader;
      this.logger?.info({ term: this.term, leader }, 'raft following');
    }
  }

  private handleAppend(message: AppendRequest): void {
    if (message.prevIndex < this.log.committed) {
      // A stale or duplicated append: everything up to our commit is known to match.
      this.sendAppendResponse(message.from, this.log.committed);
      return;
    }
    if (!this.logMatchesAt(message.prevIndex, message.prevTerm)) {
      const hint = this.log.findConflictByTerm(
        Math.min(message.prevIndex, this.log.lastIndex()) as LogIndex,
        message.prevTerm,
      );
      this.send({
        type: 'appendResponse',
        to: message.from,
        reject: true,
        index: message.prevIndex,
        rejectHint: hint.index,
        rejectHintTerm: hint.term,
      });
      return;
    }
    this.log.appendFromLeader(message.entries);
    const lastNewIndex = (message.prevIndex + message.entries.length) as LogIndex;
    // Only the prefix verified by this append may be committed (the rest of our log may still diverge).
    this.log.commitTo(Math.min(message.commit, lastNewIndex) as LogIndex);
    this.sendAppendResponse(message.from, lastNewIndex);
  }

  private handleHeartbeat(message: HeartbeatRequest): void {
    // The leader sends min(our match, its commit), so this never commits an unverified entry.
    this.log.commitTo(Math.min(message.commit, this.log.lastIndex()) as LogIndex);
    this.send({ type: 'heartbeatResponse', to: message.from, lastIndex: this.log.lastIndex(), readRound: message.readRound });
  }

  private handleSnapshot(message: SnapshotRequest): void {
    const { index, term } = message.snapshot.metadata;
    if (index <= this.log.committed) {
      this.sendAppendResponse(message.from, this.log.committed);
      return;
    }
    if (this.log.matchTerm(index, term)) {
      // We already hold that entry: only the commit index moves.
      this.log.commitTo(index);
      this.sendAppendResponse(message.from, this.log.committed);
      return;
    }
    this.logger?.info({ term: this.term, index, snapshotTerm: term }, 'raft restoring snapshot from leader');
    this.log.restore(message.snapshot);
    this.voters = [...message.snapshot.metadata.membership.voters];
    this.pendingSnapshotSave = true;
    this.pendingSnapshotRestore = true;
    this.sendAppendResponse(message.from, this.log.lastIndex());
  }

  private sendAppendResponse(to: NodeId, index: LogIndex): void {
    this.send({ type: 'appendResponse', to, reject: false, index, rejectHint: 0 as LogIndex, rejectHintTerm: 0 as Term });
  }

  // -------------------------------------------------------------------------------------------------
  // Replication from the leader.

  private handleObserve(from: NodeId): void {
    if (this.voters.includes(from)) return;
    const progress = this.peerProgress(from);
    progress.lastHeardTick = this.ticks;
    if (progress.state === 'probe') progress.probeSent = false;
    this.sendAppend(from, true);
  }

  /** The progress of a peer; a non-voter heard from for the first time is attached as an observer. */
  private peerProgress(id: NodeId): Progress {
    let progress = this.progress.get(id);
    if (progress === undefined) {
      assert(!this.voters.includes(id), 'every voter has a progress on the leader', { node: this.id, peer: id });
      progress = new Progress((this.log.lastIndex() + 1) as LogIndex, true);
      progress.lastHeardTick = this.ticks;
      this.progress.set(id, progress);
      this.logger?.info({ term: this.term, observer: id }, 'raft observer attached');
    }
    return progress;
  }

  private forgetSilentObservers(): void {
    for (const [id, progress] of this.progress) {
      if (progress.isObserver && this.ticks - progress.lastHeardTick > this.observerTimeoutTicks) {
        this.progress.delete(id);
        this.logger?.info({ term: this.term, observer: id }, 'raft observer detached');
      }
    }
  }

  /** An observer with no leader asks every voter; only the leader answers (by replicating to it). */
  private requestObservation(): void {
    const voter = this.voters[this.observeVoterCursor % this.voters.length]!;
    this.observeVoterCursor++;
    for (const target of this.leader !== NONE ? [this.leader, voter] : this.voters) {
      this.send({ type: 'observe', to: target, lastIndex: this.log.lastIndex() });
    }
  }

  /**
   * Sends what each peer is missing. Deferred to ready() so that every proposal and acknowledgement
   * since the last Ready travels in one message per peer (batching).
   */
  private flushAppends(): void {
    if (!this.appendsDue || this.role !== 'leader') return;
    this.appendsDue = false;
    for (const [id, progress] of this.progress) {
      while (!progress.isPaused(this.maxInflightAppends) && progress.next <= this.log.lastIndex()) {
        if (!this.sendAppend(id, false)) break;
      }
      // The commit index must reach followers that are fully caught up too, at once rather than with
      // the next heartbeat (a tick later): a broker applies the metadata it serves only once committed.
      // (While appends are in flight, their acknowledgements bring the follower back here.)
      const caughtUp = progress.next > this.log.lastIndex() && progress.inflights.length === 0;
      const applicable = Math.min(progress.match, this.log.committed);
      if (progress.state === 'replicate' && caughtUp && progress.commitSent < applicable) {
        this.sendAppend(id, true);
      }
    }
  }

  /** Sends one append (or the snapshot) to `to`. Returns false when nothing could be sent. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const progress = this.progress.get(to);
    if (progress === undefined || (progress.isPaused(this.maxInflightAppends) && !sendIfEmpty)) return false;
    if (progress.state === 'snapshot') return false;
    const prevIndex = (progress.next - 1) as LogIndex;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === null) return this.sendSnapshot(to, progress);
    const entries = progress.next <= this.log.lastIndex() ? this.log.slice(progress.next, this.maxAppendBytes) : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'append', to, prevIndex, prevTerm, entries, commit: this.log.committed });
    // The follower commits up to the last index this append verifies (handleAppend).
    const verified = entries.at(-1)?.index ?? prevIndex;
    progress.commitSent = Math.max(progress.commitSent, Math.min(verified, this.log.committed)) as LogIndex;
    const last = entries.at(-1);
    if (last !== undefined) progress.sentEntries(last.index);
    else if (progress.state === 'probe') progress.probeSent = true;
    return true;
  }

  private sendSnapshot(to: NodeId, progress: Progress): boolean {
    const snapshot = this.log.snapshot;
    assert(snapshot !== null, 'entries are compacted only into a snapshot', { node: this.id, to, next: progress.next });
    if (!this.isRecentlyActive(progress) && !progress.isObserver) return false;
    this.send({ type: 'snapshot', to, snapshot });
    progress.becomeSnapshot(snapshot.metadata.index, this.ticks);
    this.logger?.info({ term: this.term, to, index: snapshot.metadata.index }, 'raft sending snapshot');
    return true;
  }

  private broadcastHeartbeat(): void {
    this.readHeartbeatDue = false;
    for (const [id, progress] of this.progress) {
      const commit = Math.min(progress.match, this.log.committed) as LogIndex;
      this.send({ type: 'heartbeat', to: id, commit, readRound: this.readRound });
      progress.commitSent = Math.max(progress.commitSent, commit) as LogIndex;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Read indexes (thesis §6.4).

  /**
   * Gives each waiting read its index and round, once this leader has committed an entry of its own term
   * (§6.4 step 1: only then does its commit index cover everything earlier leaders committed).
   */
  private startPendingReads(): void {
    if (this.log.term(this.log.committed) !== this.term) return;
    let opened = false;
    for (const read of this.pendingReads) {
      if (read.index !== null) continue;
      if (!opened) {
        this.readRound++;
        opened = true;
      }
      read.index = this.log.committed;
      read.round = this.readRound;
    }
    if (!opened) return;
    this.readHeartbeatDue = true;
    // A single voter confirms its own leadership.
    this.answerConfirmedReads();
  }

  /** Answers, in arrival order, every read whose round a quorum has confirmed. */
  private answerConfirmedReads(): void {
    const confirmed = this.readRoundConfirmed();
    while (this.pendingReads.length > 0) {
      const read = this.pendingReads[0]!;
      if (read.index === null || read.round > confirmed) return;
      assert(read.index <= this.log.committed, 'a read index is committed', { node: this.id, index: read.index });
      this.pendingReads.shift();
      this.readStates.push({ requestId: read.requestId, ok: true, index: read.index });
    }
  }

  /** Heartbeats of a newly opened round go out with the next Ready, not at the next tick. */
  private flushReadHeartbeats(): void {
    if (this.readHeartbeatDue && this.role === 'leader') this.broadcastHeartbeat();
  }

  // -------------------------------------------------------------------------------------------------
  // Helpers.

  /** Queues a message; `from` is always this node and `term` ours unless the message says otherwise. */
  private send(message: DistributiveOmit<Message, 'from' | 'term'> & { term?: Term }): void {
    this.messages.push({ ...message, from: this.id, term: message.term ?? this.term } as Message);
  }

  private isVoter(): boolean {
    return this.voters.includes(this.id);
  }

  private membership(): Membership {
    return { voters: [...this.voters] };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private softState(): SoftState {
    return { role: this.role, leader: this.leader, term: this.term };
  }

  private assertNoReadyOutstanding(): void {
    assert(!this.readyOutstanding, 'no input between ready() and advance()', { node: this.id });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader && a.term === b.term;
}
