// Group consumers: REST v2 consumer instances (binary, auto.offset.reset earliest, auto.commit.enable
// false) in one group, subscribed to the topic, each on a random node. Loop: GET records, an empty-body
// POST offsets (the instance commits the positions after everything it returned), GET assignments. An
// instance that is gone (404: its node restarted; connection refused: its node is down) or answers a
// 5xx is replaced by a new one on another random node (one still running is DELETEd first, so that it
// does not stay a member that heartbeats in the background and holds partitions).
//
// What a commit committed. The instance commits, per partition currently assigned to it, the position
// after the last record it returned for that partition since the partition was last assigned to it (an
// assignment it adopts drops the others: `#keepOnly` in src/http/consumers/instance.ts). The client
// mirrors this: `positions` (largest offset returned + 1 per partition, merged with the earlier ones of
// the same instance), pruned to the assignment observed by GET assignments after each poll. The mirror
// can be wrong (too high) only if the instance adopted two assignments between two observations (a
// partition dropped, then given back: its position would be taken again from the committed offset).
// The instance adopts an assignment in each records call and in background heartbeats, which the node
// sends only when none was sent for 3 s (CONSUMER_HEARTBEAT_INTERVAL_MS). So when the observation comes
// less than CERTAIN_WINDOW_MS after the previous poll's invocation (or this one's, at the start of a
// chain), the only adoption since the previous observation is this poll's own, and the observation is
// marked `certain`; otherwise the mirror is cleared (a new chain starts). A request the client gave up on
// (timeout) may still run on the node later, out of order: no observation is certain for QUARANTINE_MS
// after one. Polls the client gave up on but the node completed make the instance commit more than the
// client meant (never less). The checker counts a commit's positions only for the partitions of a certain
// observation right after it.
// The member's generation is not exposed by the REST API: the history has the instance id and the
// assignments instead.
import type { Prng } from '../sim/prng.ts';
import { isRecord, type NemesisCluster, sleep } from './cluster.ts';
import type {
  GroupAssignment,
  GroupCommit,
  GroupInstanceOp,
  GroupOffsetsRead,
  GroupPoll,
  GroupRecord,
  History,
  PartitionOffset,
} from './history.ts';
import { BINARY_V2, type ClientDeps, decodeValue, describeError, errorOf } from './workload.ts';

export const GROUP_ID = 'nemesis-group';
/** Below the node's background heartbeat interval (3 s), with a margin for the two clocks. */
const CERTAIN_WINDOW_MS = 2500;
/** Pause between loops: keeps the request rate modest (each loop is 2–3 requests). */
const LOOP_PAUSE_MS = 200;
const POLL_WAIT_MS = 500;
/**
 * After a request on the instance ended without an answer (timeout, connection cut), it may still be
 * queued on the node and run later, out of order with the next ones (it adopts an assignment, returns
 * records to nobody): no observation counts as certain for this long.
 */
const QUARANTINE_MS = 10_000;

interface Instance {
  readonly node: number;
  readonly id: string;
  readonly path: string;
  subscribed: boolean;
}

/** How a request ended, for the instance's fate. */
interface Failure {
  /** fail: a definite error answer or a refused connection; info: no (complete) answer. */
  readonly type: 'fail' | 'info';
  readonly error: string;
  /** 404 (instance unknown: its node restarted) or refused connection (its node is down). */
  readonly gone: boolean;
  readonly status: number | null;
}

export class GroupConsumer {
  private readonly who: string;
  private readonly cluster: NemesisCluster;
  private readonly history: History;
  private readonly random: Prng;
  private readonly topic: string;
  private instance: Instance | null = null;
  private created = 0;
  /** Why the next instance is created. */
  private reason = 'start';
  /** The node of the instance given up on last (the next one goes elsewhere). */
  private avoid: number | null = null;
  /** partition -> the position after the last record returned (the mirror of the instance's). */
  private readonly positions = new Map<number, number>();
  /** Invocation time of the previous poll of a certain chain; null: a new chain starts. */
  private chainStart: number | null = null;
  /** A commit is due: records came since the last acknowledged commit. */
  private commitDue = false;
  /** No observation is certain before this time (history ms): see QUARANTINE_MS. */
  private quarantineUntil = 0;

  constructor(index: number, deps: ClientDeps) {
    this.who = `g${index}`;
    this.cluster = deps.cluster;
    this.history = deps.history;
    this.random = deps.random;
    this.topic = deps.options.topic;
  }

  async run(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      if (this.instance === null && !(await this.create())) {
        await sleep(250, stop);
        continue;
      }
      const instance = this.instance!;
      if (!instance.subscribed && !(await this.subscribe(instance))) {
        await sleep(250, stop);
        continue;
      }
      await this.loop(instance);
      await sleep(LOOP_PAUSE_MS, stop);
    }
  }

  private failure(answer: { status: number; body: unknown } | null, error: unknown): Failure {
    if (answer !== null) {
      const text = `${answer.status} ${errorOf(answer.body) ?? JSON.stringify(answer.body).slice(0, 200)}`;
      return {
        type: errorOf(answer.body) !== null ? 'fail' : 'info',
        error: text,
        gone: answer.status === 404,
        status: answer.status,
      };
    }
    const { definite, text } = describeError(error);
    if (!definite) this.quarantineUntil = this.history.now() + QUARANTINE_MS;
    return { type: definite ? 'fail' : 'info', error: text, gone: definite, status: null };
  }

  private newChain(): void {
    this.positions.clear();
    this.chainStart = null;
    this.commitDue = false;
  }

  /** Forget the instance; one on a running node is deleted first (else it stays a member). */
  private async giveUp(instance: Instance, failure: Failure, what: string): Promise<void> {
    this.instance = null;
    this.avoid = instance.node;
    this.reason = `${what}: ${failure.error}`.slice(0, 200);
    this.newChain();
    if (failure.gone) return;
    const base = {
      f: 'group-delete',
      process: this.who,
      node: instance.node,
      instance: instance.id,
    } as const;
    this.history.append<GroupInstanceOp>({ type: 'invoke', ...base, reason: this.reason });
    try {
      const answer = await this.cluster.http(instance.node, 'DELETE', instance.path, { timeoutMs: 3000 });
      if (answer.status === 204) this.history.append<GroupInstanceOp>({ type: 'ok', ...base });
      else this.history.append<GroupInstanceOp>({ ...base, ...this.failure(answer, null) });
    } catch (error) {
      const { type, error: text } = this.failure(null, error);
      this.history.append<GroupInstanceOp>({ type, ...base, error: text });
    }
  }

  private async create(): Promise<boolean> {
    const ids = this.cluster.ids();
    const choices = ids.length > 1 && this.avoid !== null ? ids.filter((id) => id !== this.avoid) : ids;
    const node = this.random.pick(choices);
    const id = `${this.who}-${++this.created}`;
    const base = { f: 'group-create', process: this.who, node, instance: id } as const;
    this.history.append<GroupInstanceOp>({ type: 'invoke', ...base, reason: this.reason });
    let answer: { status: number; body: unknown } | null = null;
    try {
      answer = await this.cluster.http(node, 'POST', `/consumers/${GROUP_ID}`, {
        body: {
          name: id,
          format: 'binary',
          'auto.offset.reset': 'earliest',
          'auto.commit.enable': 'false',
        },
        timeoutMs: 5000,
      });
      if (answer.status === 200 && isRecord(answer.body) && answer.body.instance_id === id) {
        this.history.append<GroupInstanceOp>({ type: 'ok', ...base });
        this.instance = { node, id, path: `/consumers/${GROUP_ID}/instances/${id}`, subscribed: false };
        this.newChain();
        return true;
      }
    } catch (error) {
      const { type, error: text } = this.failure(null, error);
      this.history.append<GroupInstanceOp>({ type, ...base, error: text });
      this.avoid = node;
      return false;
    }
    const { type, error } = this.failure(answer, null);
    this.history.append<GroupInstanceOp>({ type, ...base, error });
    this.avoid = node;
    return false;
  }

  private async subscribe(instance: Instance): Promise<boolean> {
    // A join adopts an assignment between two observations: the mirror starts again.
    this.newChain();
    const base = {
      f: 'group-subscribe',
      process: this.who,
      node: instance.node,
      instance: instance.id,
    } as const;
    this.history.append<GroupInstanceOp>({ type: 'invoke', ...base });
    let failure: Failure;
    try {
      const answer = await this.cluster.http(instance.node, 'POST', `${instance.path}/subscription`, {
        body: { topics: [this.topic] },
        timeoutMs: 10_000,
      });
      if (answer.status === 204) {
        this.history.append<GroupInstanceOp>({ type: 'ok', ...base });
        instance.subscribed = true;
        return true;
      }
      failure = this.failure(answer, null);
    } catch (error) {
      failure = this.failure(null, error);
    }
    this.history.append<GroupInstanceOp>({ type: failure.type, ...base, error: failure.error });
    if (failure.gone || (failure.status !== null && failure.status >= 500)) {
      await this.giveUp(instance, failure, 'subscribe');
    }
    return false;
  }

  /** One poll, its commit (when records came since the last acknowledged one), one observation. */
  private async loop(instance: Instance): Promise<void> {
    const base = { process: this.who, node: instance.node, instance: instance.id } as const;
    const invoked = this.history.append<GroupPoll>({ type: 'invoke', f: 'group-poll', ...base });
    let failure: Failure | null = null;
    try {
      const answer = await this.cluster.http(
        instance.node,
        'GET',
        `${instance.path}/records?timeout=${POLL_WAIT_MS}&max_bytes=65536`,
        { accept: BINARY_V2, timeoutMs: 5000 },
      );
      if (answer.status === 200 && Array.isArray(answer.body)) {
        const records: GroupRecord[] = answer.body
          .filter(isRecord)
          .map((r) => [Number(r.partition), Number(r.offset), decodeValue(r.value)] as const);
        this.history.append<GroupPoll>({ type: 'ok', f: 'group-poll', ...base, records });
        for (const [partition, offset] of records) {
          this.positions.set(partition, Math.max(this.positions.get(partition) ?? 0, offset + 1));
        }
        if (records.length > 0) this.commitDue = true;
      } else {
        failure = this.failure(answer, null);
      }
    } catch (error) {
      failure = this.failure(null, error);
    }
    if (failure !== null) {
      this.history.append<GroupPoll>({ type: failure.type, f: 'group-poll', ...base, error: failure.error });
      if (failure.gone || (failure.status !== null && failure.status >= 500)) {
        await this.giveUp(instance, failure, 'records');
        return;
      }
      // 409: not subscribed (any more), or a group-state conflict of the join: subscribe again.
      if (failure.status === 409) instance.subscribed = false;
    } else if (this.commitDue && this.positions.size > 0) {
      if (!(await this.commit(instance))) return;
    }
    await this.observe(instance, this.chainStart ?? invoked.time, invoked.time);
  }

  /** Empty-body POST offsets; false when the instance was given up. */
  private async commit(instance: Instance): Promise<boolean> {
    const offsets: PartitionOffset[] = [...this.positions].sort((a, b) => a[0] - b[0]);
    const base = {
      f: 'group-commit',
      process: this.who,
      node: instance.node,
      instance: instance.id,
    } as const;
    this.history.append<GroupCommit>({ type: 'invoke', ...base, offsets });
    let failure: Failure;
    try {
      const answer = await this.cluster.http(instance.node, 'POST', `${instance.path}/offsets`, {
        timeoutMs: 10_000,
      });
      if (answer.status === 200) {
        this.history.append<GroupCommit>({ type: 'ok', ...base, offsets });
        this.commitDue = false;
        return true;
      }
      failure = this.failure(answer, null);
      // A 5xx is the coordinator's failure (not the instance's): the append to __consumer_offsets may
      // still have reached the log (src/groups/README.md), so the commit is indeterminate.
      if (answer.status >= 500) failure = { ...failure, type: 'info' };
    } catch (error) {
      failure = this.failure(null, error);
    }
    this.history.append<GroupCommit>({ type: failure.type, ...base, offsets, error: failure.error });
    if (failure.gone) {
      await this.giveUp(instance, failure, 'commit');
      return false;
    }
    return true;
  }

  /** GET assignments: prunes the mirror (certain) or starts a new chain. */
  private async observe(instance: Instance, since: number, polled: number): Promise<void> {
    const base = {
      f: 'group-assignment',
      process: this.who,
      node: instance.node,
      instance: instance.id,
    } as const;
    this.history.append<GroupAssignment>({ type: 'invoke', ...base });
    let failure: Failure;
    try {
      const answer = await this.cluster.http(instance.node, 'GET', `${instance.path}/assignments`, {
        timeoutMs: 3000,
      });
      if (answer.status === 200 && isRecord(answer.body) && Array.isArray(answer.body.partitions)) {
        const partitions = answer.body.partitions
          .filter(isRecord)
          .filter((tp) => tp.topic === this.topic)
          .map((tp) => Number(tp.partition))
          .sort((a, b) => a - b);
        const now = this.history.now();
        const certain = now - since < CERTAIN_WINDOW_MS && now >= this.quarantineUntil;
        this.history.append<GroupAssignment>({ type: 'ok', ...base, partitions, certain });
        if (certain) {
          for (const partition of [...this.positions.keys()]) {
            if (!partitions.includes(partition)) this.positions.delete(partition);
          }
          // The next observation must come soon after this poll (its adoption reset the 3 s).
          this.chainStart = polled;
        } else {
          this.newChain();
        }
        return;
      }
      failure = this.failure(answer, null);
    } catch (error) {
      failure = this.failure(null, error);
    }
    this.history.append<GroupAssignment>({ type: failure.type, ...base, error: failure.error });
    this.newChain();
    if (failure.gone || (failure.status !== null && failure.status >= 500)) {
      await this.giveUp(instance, failure, 'assignments');
    }
  }
}

/**
 * The group's committed offsets through one node after healing: GET .../consumer-groups/{g}/lags
 * (current_offset per partition with a commit). A group unknown to the coordinator (404) has none; it is
 * asked a few times more first (a coordinator that just loaded).
 */
export async function finalGroupOffsets(
  cluster: NemesisCluster,
  history: History,
  topic: string,
  node: number,
): Promise<GroupOffsetsRead> {
  let lastError = '';
  let unknown = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const answer = await cluster.http(
        node,
        'GET',
        `/v3/clusters/${cluster.clusterId}/consumer-groups/${GROUP_ID}/lags`,
        { timeoutMs: 10_000 },
      );
      if (answer.status === 200 && isRecord(answer.body) && Array.isArray(answer.body.data)) {
        const offsets: PartitionOffset[] = answer.body.data
          .filter(isRecord)
          .filter((row) => row.topic_name === topic)
          .map((row) => [Number(row.partition_id), Number(row.current_offset)] as const)
          .sort((a, b) => a[0] - b[0]);
        return history.append<GroupOffsetsRead>({
          type: 'ok',
          f: 'group-offsets',
          process: 'final',
          node,
          offsets,
        });
      }
      lastError = `${answer.status} ${errorOf(answer.body) ?? JSON.stringify(answer.body).slice(0, 200)}`;
      if (answer.status === 404 && ++unknown >= 5) {
        return history.append<GroupOffsetsRead>({
          type: 'ok',
          f: 'group-offsets',
          process: 'final',
          node,
          offsets: [],
          error: `group unknown: ${lastError}`,
        });
      }
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(500);
  }
  return history.append<GroupOffsetsRead>({
    type: 'fail',
    f: 'group-offsets',
    process: 'final',
    node,
    offsets: [],
    error: `gave up: ${lastError}`,
  });
}
