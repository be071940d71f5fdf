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
  /** "p0".., "c0".., "nemesis", "final". */
  readonly process: string;
}

export interface SendInvoke extends Base {
  readonly type: 'invoke';
  readonly f: 'send';
  readonly node: number;
  readonly partition: number;
  readonly value: string;
}

export interface SendComplete extends Base {
  /** ok: acknowledged; fail: a definite error answer; info: indeterminate (timeout, connection lost). */
  readonly type: 'ok' | 'fail' | 'info';
  readonly f: 'send';
  readonly node: number;
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
  readonly partition: number;
  readonly offset: number;
}

export interface PollComplete extends Base {
  readonly type: 'ok' | 'fail' | 'info';
  readonly f: 'poll';
  readonly node: number;
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
  readonly partition: number;
  readonly records: readonly ReadRecord[];
  readonly error?: string;
}

export type Op = SendInvoke | SendComplete | PollInvoke | PollComplete | NemesisEvent | FinalRead;

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
