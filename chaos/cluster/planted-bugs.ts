import { RaftNode } from '../../raft/node.ts';
import { LeaderPartition } from '../../src/replication/leader-partition.ts';
import { PLANTED_BUGS } from '../planted-bugs.ts';
import type { RaftVariant } from './metadata-raft.ts';

// Bugs planted on purpose in the whole-cluster simulation, through the seams the code offers (a Raft
// factory, the driver's sync policy, the simulated disk), to show that its checkers catch them. The
// Raft-only simulation (chaos/sim) keeps the Raft bugs that need its targeted faults to show
// (vote-without-persist, commit-old-term: not caught here in 300 seeds).

/** How a planted bug changes the world; every field is the correct behaviour in CORRECT_CLUSTER. */
export interface ClusterVariant extends RaftVariant {
  /** The disk forgets its last completed sync when the process crashes. */
  readonly loseLastSyncOnCrash: boolean;
  /** The partition logs' disk acknowledges fsyncs without making anything durable. */
  readonly fsyncLies: boolean;
  /** The broker's produce handling acknowledges acks=all requests as acks=1 (before the ISR has them). */
  readonly acksAllAsOne: boolean;
  /**
   * Replaces a method of a product class for the run; returns what puts it back. Only where the product
   * offers no seam (see each bug): a run in a worker thread, one at a time, so nothing else sees it.
   */
  readonly patch: (() => () => void) | null;
}

export const CORRECT_CLUSTER: ClusterVariant = {
  createRaft: (options) => new RaftNode(options),
  sendBeforeSync: false,
  loseLastSyncOnCrash: false,
  fsyncLies: false,
  acksAllAsOne: false,
  patch: null,
};

/**
 * High watermark = the leader's own (flushed) log end: followers are not waited for. LeaderPartition
 * has no seam for its high-watermark rule, so its method is replaced for the run.
 */
function highWatermarkIsLeaderLogEnd(): () => void {
  const prototype = LeaderPartition.prototype as unknown as {
    advanceHighWatermark(this: { highWatermarkOffset: number }, leaderFlushed: number): boolean;
  };
  const original = prototype.advanceHighWatermark;
  prototype.advanceHighWatermark = function (leaderFlushed) {
    if (leaderFlushed <= this.highWatermarkOffset) return false;
    this.highWatermarkOffset = leaderFlushed;
    return true;
  };
  return () => {
    prototype.advanceHighWatermark = original;
  };
}

export const CLUSTER_BUGS = {
  /** A metadata Raft follower accepts appends that do not match its log. */
  'metadata-accept-mismatch': { ...CORRECT_CLUSTER, createRaft: PLANTED_BUGS['accept-mismatch'].createRaft },
  /** The metadata log's disk loses its last completed fsync on power loss. */
  'metadata-lose-synced': { ...CORRECT_CLUSTER, loseLastSyncOnCrash: true },
  /** The partition leader's high watermark is its own log end (followers ignored). */
  'hw-is-leader-log-end': { ...CORRECT_CLUSTER, patch: highWatermarkIsLeaderLogEnd },
  /** acks=all is acknowledged as soon as the leader appended (before the ISR has the batch). */
  'ack-before-isr': { ...CORRECT_CLUSTER, acksAllAsOne: true },
  /** The partition logs' fsyncs do nothing: a power loss loses acknowledged records. */
  'partition-fsync-lies': { ...CORRECT_CLUSTER, fsyncLies: true },
} as const satisfies Record<string, ClusterVariant>;

export type ClusterBug = keyof typeof CLUSTER_BUGS;

export function isClusterBug(name: string): name is ClusterBug {
  return Object.hasOwn(CLUSTER_BUGS, name);
}
