// The vocabulary of the Raft core: ids, terms, indexes, entries, messages, snapshots and the Ready
// contract. Everything here is plain data so that it can be encoded (proto/raft.proto), simulated and
// compared in tests.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A server's id; 0 is never a valid id (it means "none", as in etcd-raft). */
export type NodeId = Brand<number, 'NodeId'>;
/** A Raft term (KRaft calls it the epoch). Safe integer, starts at 0. */
export type Term = Brand<number, 'Term'>;
/** A position in the replicated log. Safe integer; the first entry has index 1. */
export type LogIndex = Brand<number, 'LogIndex'>;

export const NONE = 0 as NodeId;
export const nodeId = (n: number): NodeId => n as NodeId;
export const term = (n: number): Term => n as Term;
export const logIndex = (n: number): LogIndex => n as LogIndex;

/** Entry kinds. Config entries carry a membership (reserved for single-server changes; see README). */
export const EntryType = { Normal: 0, Config: 1 } as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  /** Opaque to Raft. An empty Normal entry is the no-op a new leader appends. */
  readonly data: Uint8Array;
}

/** What must be durable before the node answers or sends anything that depends on it. */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
}

/** The voting membership. Observers are not listed: they attach to the leader dynamically. */
export interface Membership {
  readonly voters: readonly NodeId[];
}

export interface SnapshotMetadata {
  /** The last log index the snapshot covers, and its term. */
  readonly index: LogIndex;
  readonly term: Term;
  readonly membership: Membership;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The application's state at metadata.index, opaque to Raft. */
  readonly data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------------
// Messages. Every message carries from, to and the sender's term.

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/** RequestVote (Raft §5.2) or its PreVote probe (Raft thesis §9.6), sent with term = the term sought. */
export interface VoteRequest extends MessageBase {
  readonly type: 'vote' | 'preVote';
  readonly lastLogIndex: LogIndex;
  readonly lastLogTerm: Term;
  /** Set when campaigning on a TimeoutNow: voters grant despite a live leader lease. */
  readonly transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  readonly type: 'voteResponse' | 'preVoteResponse';
  readonly reject: boolean;
}

/** AppendEntries (Raft §5.3); with no entries it is also the leader's probe. */
export interface AppendRequest extends MessageBase {
  readonly type: 'append';
  readonly prevIndex: LogIndex;
  readonly prevTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

export interface AppendResponse extends MessageBase {
  readonly type: 'appendResponse';
  readonly reject: boolean;
  /** On success: the last index now known to match the leader. On reject: the rejected prevIndex. */
  readonly index: LogIndex;
  /** On reject: the follower's guess of the last matching index and that entry's term (fast backtracking). */
  readonly rejectHint: LogIndex;
  readonly rejectHintTerm: Term;
}

export interface HeartbeatRequest extends MessageBase {
  readonly type: 'heartbeat';
  readonly commit: LogIndex;
  /**
   * The leader's latest read-index round (0: none yet in this term). The answer echoes it: a quorum
   * answering round r shows that the sender still led after every read of round <= r arrived.
   */
  readonly readRound: number;
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: 'heartbeatResponse';
  /** The responder's last log index, so an observer that fell silent can be resumed. */
  readonly lastIndex: LogIndex;
  /** The read-index round of the heartbeat answered. */
  readonly readRound: number;
}

/** InstallSnapshot (Raft §7), sent whole: snapshots of the metadata image are small. */
export interface SnapshotRequest extends MessageBase {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

/** Leadership transfer (Raft thesis §3.10): the receiver campaigns at once. */
export interface TimeoutNowRequest extends MessageBase {
  readonly type: 'timeoutNow';
}

/** An observer (a node that is not a voter) asks a voter to be replicated to. */
export interface ObserveRequest extends MessageBase {
  readonly type: 'observe';
  readonly lastIndex: LogIndex;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | TimeoutNowRequest
  | ObserveRequest;

export type MessageType = Message['type'];

// ---------------------------------------------------------------------------------------------------
// The Ready contract (as etcd-raft's): the driver takes a Ready, then in this order
//   1. persists: `snapshot` (if any), then `entries`, then `hardState`, and makes them durable (fsync);
//   2. sends `messages` (they may depend on 1: a vote, an append acknowledgement);
//   3. restores its state machine from `snapshot` if `restoreSnapshot`, then applies `committedEntries`;
//   4. answers the read-index requests in `readStates` (they depend on nothing durable);
//   5. calls advance(ready).
// No step/tick/propose may happen between ready() and advance(): the driver queues them (that queue is
// what makes one fsync cover many proposals and messages: group commit).

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader' | 'observer';

export interface SoftState {
  readonly role: Role;
  readonly leader: NodeId;
  readonly term: Term;
}

/**
 * The outcome of a read-index request (Raft thesis §6.4, etcd-raft's ReadState with ReadOnlySafe):
 * `index` was the leader's commit index when the request arrived, and a quorum confirmed afterwards that
 * it still led. A read of the state machine once it has applied `index` is linearizable. The request is
 * named by the id the application gave it (etcd's request context).
 */
export type ReadState =
  | { readonly requestId: number; readonly ok: true; readonly index: LogIndex }
  | {
      readonly requestId: number;
      readonly ok: false;
      /** notLeader: refused on arrival; leadershipLost: the leader stepped down before confirming it. */
      readonly reason: 'notLeader' | 'leadershipLost';
      readonly leader: NodeId;
    };

export interface Ready {
  /** Set when role, leader or term changed since the last Ready. */
  readonly softState: SoftState | null;
  /** Set when it changed since the last Ready. */
  readonly hardState: HardState | null;
  /**
   * A snapshot to persist. Storage then drops every entry with index <= snapshot.metadata.index, and
   * its whole log if its entry at that index has another term.
   */
  readonly snapshot: Snapshot | null;
  /** True when the snapshot came from the leader: the state machine must be replaced by it. */
  readonly restoreSnapshot: boolean;
  /** Entries to append. Storage first drops any entry with index >= entries[0].index (a conflict). */
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  /** Read-index requests settled since the last Ready, in the order they were made. */
  readonly readStates: readonly ReadState[];
}

// ---------------------------------------------------------------------------------------------------
// Injected environment of the core.

/** Seeded randomness. The core never calls Math.random. */
export interface Random {
  /** A uniformly distributed integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
}

/** What a node recovers from its storage at start. */
export interface PersistentState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  /** Every entry after the snapshot (or from index 1), contiguous. */
  readonly entries: readonly Entry[];
}

/** Durable storage of one Raft node. Adapters: FileStorage (disk), SimStorage (chaos/). */
export interface RaftStorage {
  load(): Promise<PersistentState>;
  /** Buffers a snapshot write with the semantics documented on Ready.snapshot. */
  saveSnapshot(snapshot: Snapshot): void;
  /** Buffers an append with the semantics documented on Ready.entries. */
  append(entries: readonly Entry[]): void;
  setHardState(hardState: HardState): void;
  /** Makes everything buffered so far durable: one fsync for all of it (group commit). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Delivers messages between nodes; best effort (Raft tolerates loss, duplication and reordering). */
export interface RaftTransport {
  send(messages: readonly Message[]): void;
  /** Called for every message that arrives for this node. */
  onMessage(handler: (message: Message) => void): void;
  close(): Promise<void>;
}
