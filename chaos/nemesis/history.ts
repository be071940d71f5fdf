// The history of a run: every operation's invocation and completion, the nemesis's faults and the final
// reads, in the order they happened, kept in memory for the checker and written as JSON lines.
import { createWriteStream, type WriteStream } from 'node:fs';

/** [offset, value] as read; a null value is the string "<null>". */
export type ReadRecord = readonly [number, string];

interface Base {
  /** Position in the history. */
  readonly index: number;
  /** Milliseconds since the run began. */
  readonly time: number;
  /** "p0".., "c0".., "g0".., "nemesis", "final". */
  readonly process: string;
}

export interface SendInvoke extends Base {
  readonly type: 'invoke';
  readonly f: 'send';
  readonly node: number;
  /** The topic: `chaos` (acks=all) or `chaos-acks1` (acks=1, sent to the leader's internal listener). */
  readonly topic: string;
  readonly partition: number;
  readonly value: string;
}

export interface SendComplete extends Base {
  /** ok: acknowledged; fail: a definite error answer; info: indeterminate (timeout, connection lost). */
  readonly type: 'ok' | 'fail' | 'info';
  readonly f: 'send';
  readonly node: number;
  readonly topic: string;
  /** The partition asked for. */
  readonly partition: number;
  readonly value: string;
  /** ok: the partition and offset of the acknowledgement. */
  readonly ackPartition?: number;
  readonly offset?: number;
  readonly error?: string;
  readonly latencyMs: number;
}

export interface PollInvoke extends Base {
  readonly type: 'invoke';
  readonly f: 'poll';
  readonly node: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface PollComplete extends Base {
  readonly type: 'ok' | 'fail' | 'info';
  readonly f: 'poll';
  readonly node: number;
  readonly topic: string;
  readonly partition: number;
  /** The offset asked for. */
  readonly offset: number;
  readonly records?: readonly ReadRecord[];
  readonly error?: string;
}

export interface NemesisEvent extends Base {
  readonly type: 'info';
  readonly f: 'nemesis';
  readonly event: string;
  readonly node?: number;
  readonly detail?: string;
}

export interface FinalRead extends Base {
  readonly type: 'ok' | 'fail';
  readonly f: 'final-read';
  /** rest: the v2 read through the node; disk: the node's replica log files after the cluster stopped. */
  readonly source: 'rest' | 'disk';
  readonly node: number;
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ReadRecord[];
  readonly error?: string;
}

/**
 * GET /topics/{t}/partitions/{p}/offsets (REST v2) through one node: the log start offset
 * (`beginning_offset`) and the high watermark (`end_offset`) the node answered.
 */
export interface OffsetsObservation extends Base {
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: 'offsets';
  readonly node: number;
  readonly topic: string;
  readonly partition: number;
  readonly logStart?: number;
  readonly end?: number;
  readonly error?: string;
}

/** [partition, offset, value] as a group consumer read it; a null value is the string "<null>". */
export type GroupRecord = readonly [number, number, string];

/** [partition, offset]: a committed offset (the next offset to read). */
export type PartitionOffset = readonly [number, number];

interface GroupBase extends Base {
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  /** The node the consumer instance lives on (every request of an instance goes to its node). */
  readonly node: number;
  /** The REST v2 instance id (also the member's client id). */
  readonly instance: string;
  readonly error?: string;
}

/**
 * A group consumer's instance management: `group-create` (POST /consumers/{g}), `group-subscribe`
 * (POST .../subscription), `group-delete` (DELETE of an instance given up on a node still running).
 */
export interface GroupInstanceOp extends GroupBase {
  readonly f: 'group-create' | 'group-subscribe' | 'group-delete';
  /** Why the instance is (re)created or given up. */
  readonly reason?: string;
}

/** GET .../records of a group consumer: ok with every record returned. */
export interface GroupPoll extends GroupBase {
  readonly f: 'group-poll';
  readonly records?: readonly GroupRecord[];
}

/**
 * An empty-body POST .../offsets: the instance commits the positions after everything it returned.
 * `offsets` are the positions the client meant (per partition the largest offset returned + 1, merged
 * with the earlier ones of the same instance); which of them the instance really committed is known
 * only with the assignment observed right after (`group-assignment`, see checker.ts).
 */
export interface GroupCommit extends GroupBase {
  readonly f: 'group-commit';
  readonly offsets: readonly PartitionOffset[];
}

/**
 * GET .../assignments right after each poll (and its commit): the instance's partitions of the topic.
 * `certain`: no other assignment change can have slipped in unseen since the previous observation (see
 * group-consumer.ts); only then does the checker count the preceding commit's positions.
 */
export interface GroupAssignment extends GroupBase {
  readonly f: 'group-assignment';
  readonly partitions?: readonly number[];
  readonly certain?: boolean;
}

/** After healing: the group's committed offsets through one node (v3 lags: current_offset). */
export interface GroupOffsetsRead extends Base {
  readonly type: 'ok' | 'fail';
  readonly f: 'group-offsets';
  readonly node: number;
  readonly offsets: readonly PartitionOffset[];
  readonly error?: string;
}

/**
 * During the run: the group's committed offsets and the partitions' log end offsets (high watermarks)
 * through one node (v3 lags: current_offset, log_end_offset), for the checks of offsets going backwards.
 */
export interface GroupLagsObservation extends Base {
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: 'group-lags';
  readonly node: number;
  readonly topic: string;
  readonly offsets?: readonly PartitionOffset[];
  readonly logEnds?: readonly PartitionOffset[];
  readonly error?: string;
}

/**
 * The early-groups scenario (run.ts): a REST v2 group request made while one node is down, and its answer
 * (`status` and `errorCode` when one came).
 */
export interface EarlyGroupOp extends Base {
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: 'early-group';
  readonly node: number;
  /** create, subscribe, commit. */
  readonly request: string;
  readonly status?: number;
  readonly errorCode?: number;
  readonly error?: string;
}

/** After healing: __consumer_offsets as one node describes it (v3 topic and partitions). */
export interface OffsetsTopicRead extends Base {
  readonly type: 'ok' | 'fail';
  readonly f: 'offsets-topic';
  readonly node: number;
  /** false: the topic does not exist (404). */
  readonly exists: boolean;
  readonly replicationFactor?: number;
  /** Per partition: its replica ids. */
  readonly replicas?: readonly (readonly [number, readonly number[]])[];
  readonly error?: string;
}

export type GroupOp = GroupInstanceOp | GroupPoll | GroupCommit | GroupAssignment;

export type Op =
  | SendInvoke
  | SendComplete
  | PollInvoke
  | PollComplete
  | NemesisEvent
  | FinalRead
  | GroupOp
  | GroupOffsetsRead
  | OffsetsObservation
  | GroupLagsObservation
  | EarlyGroupOp
  | OffsetsTopicRead;

/** An op as given to `append`: the history stamps index and time. */
export type NewOp<T extends Op = Op> = T extends Op ? Omit<T, 'index' | 'time'> : never;

export class History {
  readonly ops: Op[] = [];
  readonly path: string;
  private readonly startedAt = performance.now();
  private readonly out: WriteStream;

  constructor(path: string) {
    this.path = path;
    this.out = createWriteStream(path, { flags: 'w' });
  }

  now(): number {
    return Math.round((performance.now() - this.startedAt) * 10) / 10;
  }

  append<T extends Op>(op: NewOp<T>): T {
    const full = { index: this.ops.length, time: this.now(), ...op } as unknown as T;
    this.ops.push(full);
    this.out.write(`${JSON.stringify(full)}\n`);
    return full;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
