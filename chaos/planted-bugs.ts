import { RaftNode } from '../raft/node.ts';
import { committedIndex } from '../raft/quorum.ts';
import type { LogIndex, NodeId, Term } from '../raft/types.ts';
import { CORRECT_WORLD, type WorldVariant } from './sim/cluster.ts';

// Bugs planted on purpose to show that the simulation catches them: each is a realistic mistake
// (in the driver, the core or the storage) that needs crashes, partitions and leader changes to matter.

/** The core's private state that the commit and read rules read; reached by a cast, as only a test would. */
interface CoreInternals {
  readonly readRound: number;
  readonly voters: readonly NodeId[];
  readonly progress: ReadonlyMap<NodeId, { readonly match: LogIndex }>;
  readonly log: {
    readonly stableIndex: LogIndex;
    readonly committed: LogIndex;
    commitTo(index: LogIndex): boolean;
  };
}

/** Raft §5.4.2 ignored: the leader commits whatever a quorum holds, even an entry of an earlier term. */
class CommitOldTermNode extends RaftNode {
  protected override maybeCommit(): boolean {
    const core = this as unknown as CoreInternals;
    const matches = new Map<NodeId, LogIndex>();
    for (const voter of core.voters) {
      matches.set(
        voter,
        voter === this.id ? core.log.stableIndex : (core.progress.get(voter)?.match ?? (0 as LogIndex)),
      );
    }
    const candidate = committedIndex(matches);
    if (candidate <= core.log.committed) return false;
    return core.log.commitTo(candidate);
  }
}

/** Raft §5.3 ignored: a follower accepts an append whatever its log holds at the previous index. */
class AcceptMismatchNode extends RaftNode {
  protected override logMatchesAt(_index: LogIndex, _term: Term): boolean {
    return true;
  }
}

/**
 * Raft thesis §6.4 skipped: the leader answers a read index as soon as it has one, without the heartbeat
 * round that would show it still leads (what the controller's read-index RPC did before: a deposed leader
 * that has not noticed answers a stale commit index).
 */
class ReadIndexWithoutQuorumNode extends RaftNode {
  protected override readRoundConfirmed(): number {
    return (this as unknown as CoreInternals).readRound;
  }
}

export const PLANTED_BUGS = {
  /** The driver sends a Ready's messages (votes, append acks) before its sync completes. */
  'vote-without-persist': { ...CORRECT_WORLD, sendBeforeSync: true },
  'commit-old-term': { ...CORRECT_WORLD, createRaft: (options) => new CommitOldTermNode(options) },
  'accept-mismatch': { ...CORRECT_WORLD, createRaft: (options) => new AcceptMismatchNode(options) },
  /** The disk forgets its last completed sync when the process crashes. */
  'lose-synced': { ...CORRECT_WORLD, loseLastSyncOnCrash: true },
  'read-index-without-quorum': {
    ...CORRECT_WORLD,
    createRaft: (options) => new ReadIndexWithoutQuorumNode(options),
  },
} as const satisfies Record<string, WorldVariant>;

export type PlantedBug = keyof typeof PLANTED_BUGS;

export function isPlantedBug(name: string): name is PlantedBug {
  return Object.hasOwn(PLANTED_BUGS, name);
}
