import { RaftNode } from '../../raft/node.ts';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type { EpochEndOffset, FetchPartition } from '../../src/replication/fetch-messages.ts';
import { LeaderPartition } from '../../src/replication/leader-partition.ts';
import { PartitionCore } from '../../src/replication/partition-core.ts';
import { HostedPartition } from '../../src/replication/hosted-partition.ts';
import { ReplicaFetcher } from '../../src/replication/replica-fetcher.ts';
import { ReplicaManager } from '../../src/replication/replica-manager.ts';
import { offset } from '../../src/storage/types.ts';
import { NO_LEADER } from '../../src/metadata/ids.ts';
import type { PartitionRegistration } from '../../src/metadata/image.ts';
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
   * The MetadataPublisher opens at once with whatever image the node replayed from its disk (as before
   * it waited for the quorum's high watermark and the broker's own registration).
   */
  readonly publishBeforeCatchUp: boolean;
  /**
   * A new group coordinator serves the __consumer_offsets partition it replayed at once, without waiting
   * for the high watermark to reach the end of what it replayed (sim-groups.ts: the storage it is given).
   */
  readonly coordinatorLoadsPastHighWatermark: boolean;
  /**
   * The Kafka listener's OffsetFetch skips its read barrier (sim-groups.ts: the admin its broker is
   * given answers `catchUp` at once), so a node cut off from the controller answers from a deposed
   * coordinator's cache. Caught only with `--kafka-groups`.
   */
  readonly kafkaOffsetFetchSkipsBarrier: boolean;
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
  publishBeforeCatchUp: false,
  coordinatorLoadsPastHighWatermark: false,
  kafkaOffsetFetchSkipsBarrier: false,
  patch: null,
};

/** Replaces `name` on `target` for the run; returns what puts the original back. */
function replaceMethod<T extends object, K extends keyof T>(
  target: T,
  name: K,
  replacement: (original: T[K]) => T[K],
): () => void {
  const original = target[name];
  target[name] = replacement(original);
  return () => {
    target[name] = original;
  };
}

/** The private fields and methods of PartitionCore the patches below reach. */
interface CoreInternals {
  readonly followerHighWatermark: number;
  readonly log: {
    readonly logEndOffset: number;
    readonly flushedOffset: number;
    readonly latestEpoch?: number;
  };
  readonly currentRole: { readonly kind: string; readonly leaderEpoch?: number };
  serveFetch(replica: number, request: FetchPartition): unknown;
  fetchPosition(): unknown;
  truncationOffset(diverging: EpochEndOffset): number;
  alterPartitionAnswered(proposal: unknown, error: unknown): unknown;
  requireEpochStartCommitted(): void;
  requireLeader(): { readonly leaderEpoch: number };
}

const coreProto = PartitionCore.prototype as unknown as CoreInternals;

/**
 * Pre-KIP-101 Kafka: a replica that becomes a follower truncates its log to its high watermark before
 * it fetches, and a follower told that it diverged truncates there too (instead of cutting where its
 * epoch history stops agreeing with the leader's). A follower's high watermark lags its leader's (it
 * learns it in the next fetch answer), so an ISR member can cut records the leader counted as
 * replicated on it, and lead without them. Neither the replica manager nor the core has a truncation
 * policy seam: the manager's registration step marks a replica that is to follow another leader, the
 * hosted partition's drain of the old fetcher's writes (which the 'follow' step does after the core took
 * the role away, before it flushes and follows) truncates it, and the core's truncation offset is
 * replaced, for the run.
 */
function followerTruncatesToHighWatermark(): () => void {
  const managerProto = ReplicaManager.prototype as unknown as {
    applyRegistration(
      hosted: HostedPartition,
      registration: PartitionRegistration,
      ...rest: unknown[]
    ): Promise<void>;
  };
  const hostedProto = HostedPartition.prototype as unknown as {
    drainFollowerWrites(this: HostedPartition): Promise<void>;
  };
  const becomingFollower = new WeakSet<HostedPartition>();
  const toHighWatermark = (hosted: HostedPartition) =>
    Math.min(hosted.highWatermark(), hosted.log.logEndOffset);
  const undo = [
    replaceMethod(
      managerProto,
      'applyRegistration',
      (original) =>
        async function (this: unknown, hosted, registration, ...rest) {
          const role = hosted.role;
          const follows =
            registration.leader !== NO_LEADER &&
            registration.leader !== (hosted.core as unknown as { self: number }).self &&
            role.kind !== 'leader' &&
            !(
              role.kind === 'follower' &&
              role.leader === registration.leader &&
              role.leaderEpoch === registration.leaderEpoch
            );
          if (follows) becomingFollower.add(hosted);
          try {
            await original.call(this, hosted, registration, ...rest);
          } finally {
            becomingFollower.delete(hosted);
          }
        },
    ),
    // Where the 'follow' step has taken the role away (the old fetcher's answers are ignored from then
    // on) and drained the old fetcher's writes: the truncation comes before the follower role.
    replaceMethod(
      hostedProto,
      'drainFollowerWrites',
      (original) =>
        async function (this: HostedPartition) {
          await original.call(this);
          if (!becomingFollower.delete(this) || this.role.kind !== 'none') return;
          const target = toHighWatermark(this);
          if (target >= this.log.logEndOffset) return;
          await this.log.truncateTo(offset(target));
          this.core.followerTruncated();
        },
    ),
    replaceMethod(
      coreProto,
      'truncationOffset',
      () =>
        function (this: CoreInternals) {
          return Math.min(this.followerHighWatermark, this.log.logEndOffset);
        },
    ),
  ];
  return () => {
    for (const restore of undo) restore();
  };
}

/**
 * Every failed AlterPartition is taken as a refusal: a timed-out or superseded ISR expansion is
 * forgotten, so the maximal ISR drops a joiner that the controller may have committed (issue 6 finding
 * 2). The product's classification (alter-partition-outcome.ts) is a module function, no seam: the
 * core's answer handler is given a definite refusal instead of the error.
 */
function isrUnknownOutcomeAsFailed(): () => void {
  return replaceMethod(
    coreProto,
    'alterPartitionAnswered',
    (original) =>
      function (this: CoreInternals, proposal: unknown, error: unknown) {
        const refused =
          error === null ? null : new KafkaError('OPERATION_NOT_ATTEMPTED', `planted: ${String(error)}`);
        return original.call(this, proposal, refused);
      },
  );
}

/**
 * The follower reports its log end, not its flushed offset: the fetcher starts the fsync of what it
 * appended and fetches again without waiting for it. The fetcher has no flush policy seam: its answer
 * handling runs with each log's flush replaced by one that is not waited for, and the core's
 * durability assertion is left out of its fetch position.
 */
function followerReportsUnsynced(): () => void {
  const fetcherProto = ReplicaFetcher.prototype as unknown as {
    process(partitions: readonly { readonly log: object }[], ...rest: unknown[]): Promise<boolean>;
  };
  const undo = [
    replaceMethod(
      fetcherProto,
      'process',
      (original) =>
        async function (this: unknown, partitions, ...rest) {
          const logs = partitions.map(({ log }) => log as { flush(): Promise<void> });
          for (const log of logs) {
            const flush = Object.getPrototypeOf(log).flush as () => Promise<void>;
            log.flush = () => {
              flush.call(log).catch(() => undefined);
              return Promise.resolve();
            };
          }
          try {
            return await original.call(this, partitions, ...rest);
          } finally {
            for (const log of logs) delete (log as { flush?: unknown }).flush;
          }
        },
    ),
    replaceMethod(
      coreProto,
      'fetchPosition',
      () =>
        function (this: CoreInternals) {
          const role = this.currentRole as { kind: string; leader?: number; leaderEpoch?: number };
          if (role.kind !== 'follower') return null;
          return {
            leader: role.leader,
            currentLeaderEpoch: role.leaderEpoch,
            fetchOffset: this.log.logEndOffset,
            lastFetchedEpoch: this.log.latestEpoch ?? -1,
          };
        },
    ),
  ];
  return () => {
    for (const restore of undo) restore();
  };
}

/**
 * The leader serves a fetch whatever leader epoch the follower names, and answers a follower whose last
 * fetched epoch is newer than its own with a diverging epoch (its own history) instead of refusing it
 * (issue 6 finding 1's second half). The core's fetch checks have no seam: the request is rewritten to
 * this leader's epochs before the core sees it.
 */
function staleEpochFetchServed(): () => void {
  return replaceMethod(
    coreProto,
    'serveFetch',
    (original) =>
      function (this: CoreInternals, replica: number, request: FetchPartition) {
        if (this.currentRole.kind !== 'leader') return original.call(this, replica, request);
        const { leaderEpoch } = this.requireLeader();
        return original.call(this, replica, {
          ...request,
          currentLeaderEpoch: leaderEpoch,
          lastFetchedEpoch: Math.min(request.lastFetchedEpoch, leaderEpoch),
        });
      },
  );
}

/**
 * A new leader answers reads (and so end offsets) before its high watermark reached the start of its
 * epoch (issue 6 finding 6): the check Kafka's KIP-207 adds is dropped.
 */
function endOffsetBeforeEpochStart(): () => void {
  return replaceMethod(
    coreProto,
    'requireEpochStartCommitted',
    () =>
      function (this: CoreInternals) {
        this.requireLeader();
      },
  );
}

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
  /** A follower truncates to its high watermark (on becoming follower, and when it diverged). */
  'follower-truncates-to-hw': { ...CORRECT_CLUSTER, patch: followerTruncatesToHighWatermark },
  /** An AlterPartition whose outcome is unknown (timeout, INVALID_UPDATE_VERSION) is taken as refused. */
  'isr-unknown-outcome-as-failed': { ...CORRECT_CLUSTER, patch: isrUnknownOutcomeAsFailed },
  /** Components get the node's on-disk image at start, before it caught up with the quorum. */
  'stale-image-before-catch-up': { ...CORRECT_CLUSTER, publishBeforeCatchUp: true },
  /** A follower's fetch offset is its log end, not its flushed offset. */
  'follower-reports-unsynced': { ...CORRECT_CLUSTER, patch: followerReportsUnsynced },
  /** A leader serves fetches of another leader epoch, and of a last fetched epoch newer than its own. */
  'stale-epoch-fetch-served': { ...CORRECT_CLUSTER, patch: staleEpochFetchServed },
  /** Reads and end offsets answered before the new leader's high watermark reached its epoch start. */
  'end-offset-before-epoch-start': { ...CORRECT_CLUSTER, patch: endOffsetBeforeEpochStart },
  /** A new group coordinator loads its __consumer_offsets partition past the high watermark and serves it. */
  'coordinator-loads-past-hw': { ...CORRECT_CLUSTER, coordinatorLoadsPastHighWatermark: true },
  /** OffsetFetch on the Kafka listener answers without a read barrier (a deposed coordinator's cache). */
  'kafka-fetch-skips-barrier': { ...CORRECT_CLUSTER, kafkaOffsetFetchSkipsBarrier: true },
} as const satisfies Record<string, ClusterVariant>;

export type ClusterBug = keyof typeof CLUSTER_BUGS;

export function isClusterBug(name: string): name is ClusterBug {
  return Object.hasOwn(CLUSTER_BUGS, name);
}
