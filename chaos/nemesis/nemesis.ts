// The nemesis: a seeded schedule of faults on real processes and their network, one at a time, except
// `kill-all` (every node killed together, then restarted: with the default flush policy every
// acknowledged record was fsynced on every ISR member, so nothing acknowledged may be lost). Each fault draws
// the same numbers from its own PRNG stream whatever happens, so a seed replays the same kinds, targets
// and timings (the leader a `kill-leader` hits is looked up when it happens, so it depends on timing).
import type { Prng } from '../sim/prng.ts';
import { type NemesisCluster, sleep, type TopicSpec, waitUntil } from './cluster.ts';
import type { History, NemesisEvent } from './history.ts';
import { sendOnce, type WorkloadOptions } from './workload.ts';

export const FAULT_KINDS = [
  'kill',
  'kill-leader',
  'pause',
  'terminate',
  'kill-all',
  'partition-isolate',
  'partition-halves',
  'partition-one-way',
  'partition-bridge',
  'failover-then-rest',
  'crash-restart-order',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** The kinds before network partitions: seeds recorded then replay with `--faults` set to these. */
export const PROCESS_FAULT_KINDS: readonly FaultKind[] = [
  'kill',
  'kill-leader',
  'pause',
  'terminate',
  'kill-all',
];

/** The kinds between network partitions and compound schedules. */
export const PARTITION_FAULT_KINDS: readonly FaultKind[] = FAULT_KINDS.filter(
  (kind) => kind !== 'failover-then-rest' && kind !== 'crash-restart-order',
);
/** Faults that kill every node and restart them one after the other (Fault.restart says how). */
export const COMPOUND_FAULT_KINDS: readonly FaultKind[] = ['failover-then-rest', 'crash-restart-order'];

/**
 * Which directed pairs ("from>to") a partition blocks. `isolate`: the node and the rest, both ways.
 * `halves`: a random minority (at least one node) and the rest. `one-way`: what `peer` sends to the
 * node is lost, what the node sends to `peer` arrives. `bridge`: the node reaches everyone, the others
 * do not reach each other (Jepsen's bridge; with 3 nodes, the two non-bridge nodes are cut apart).
 */
export interface PartitionShape {
  readonly blocked: ReadonlySet<string>;
  /** Carried connections are reset as well as stalled. */
  readonly cut: boolean;
  readonly description: string;
}

export interface Fault {
  readonly n: number;
  readonly kind: FaultKind;
  /** Quiet time before the fault. */
  readonly gapMs: number;
  /** The node hit (kill-leader: the fallback when no leader is known). */
  readonly node: number;
  /** kill-leader: the partition whose leader is hit. */
  readonly partition: number;
  /** How long the node stays down (killed, paused, stopped, cut off) before it is back. */
  readonly downMs: number;
  /** Partition kinds: the pairs blocked (drawn from the `network` stream, so other faults keep theirs). */
  readonly shape: PartitionShape | null;
  /**
   * Compound kinds: how the nodes come back (drawn for every fault from the `restarts` stream, so the
   * other streams keep their numbers).
   */
  readonly restart: RestartPlan;
}

/**
 * The restarts after every node was killed: `order` (a permutation of the nodes), `gapsMs[i]` the wait
 * before the restart of `order[i + 1]`. failover-then-rest with `oldLeaderFirst` restarts the old leader
 * first and the others in `order` (finding 1 of issue 6: L killed, a new leader acknowledges, the rest
 * killed, L back first).
 */
export interface RestartPlan {
  readonly order: readonly number[];
  readonly gapsMs: readonly number[];
  readonly oldLeaderFirst: boolean;
}

export interface NemesisOptions {
  /** The acks=all topic: kill-leader and failover-then-rest pick one of its partitions. */
  readonly topic: string;
  readonly partitions: number;
  /** Every topic that must be healthy again (leaders, full ISRs) before the next fault. */
  readonly healthTopics: readonly TopicSpec[];
  /** failover-then-rest's own acks=all sends (process `nemesis`, values `n<fault>-<i>`). */
  readonly probe: WorkloadOptions;
  readonly minGapMs: number;
  readonly maxGapMs: number;
  /** Bound on the wait for a node to be back (ready, every ISR full) before the next fault. */
  readonly recoveryTimeoutMs: number;
  /** The kinds drawn from (in this order: a seed replays only with the same list). */
  readonly kinds: readonly FaultKind[];
}

function cutApart(a: readonly number[], b: readonly number[]): Set<string> {
  const blocked = new Set<string>();
  for (const x of a) for (const y of b) blocked.add(`${x}>${y}`).add(`${y}>${x}`);
  return blocked;
}

/** The pairs a partition kind blocks around `node`, drawn from `random`. */
export function partitionShape(
  kind: FaultKind,
  node: number,
  nodes: readonly number[],
  random: Prng,
): PartitionShape | null {
  const others = nodes.filter((id) => id !== node);
  const cut = random.nextInt(4) === 0;
  const how = cut ? ', connections reset' : ', connections stalled';
  switch (kind) {
    case 'partition-isolate':
      return { blocked: cutApart([node], others), cut, description: `node ${node} isolated${how}` };
    case 'partition-halves': {
      // A minority of at least one node (with 3 nodes: one), `node` among it, the rest elsewhere.
      const pool = [...others];
      for (let i = pool.length - 1; i > 0; i--) {
        const j = random.nextInt(i + 1);
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      const minority = [node, ...pool.slice(0, random.nextInt(Math.floor((nodes.length - 1) / 2)))];
      const majority = nodes.filter((id) => !minority.includes(id));
      return {
        blocked: cutApart(minority, majority),
        cut,
        description: `minority [${minority.join(',')}] | majority [${majority.join(',')}]${how}`,
      };
    }
    case 'partition-one-way': {
      const peer = random.pick(others);
      return {
        blocked: new Set([`${peer}>${node}`]),
        cut,
        description: `node ${node} reaches ${peer}, ${peer} does not reach ${node}${how}`,
      };
    }
    case 'partition-bridge': {
      const blocked = new Set<string>();
      for (const a of others) for (const b of others) if (a !== b) blocked.add(`${a}>${b}`);
      return {
        blocked,
        cut,
        description: `node ${node} bridges [${others.join(',')}], which are cut apart${how}`,
      };
    }
    default:
      return null;
  }
}

/** A seeded permutation of the nodes, the gaps between their restarts, and whether the old leader goes first. */
export function restartPlan(nodes: readonly number[], random: Prng): RestartPlan {
  const order = [...nodes];
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const gapsMs = order.slice(1).map(() => random.between(0, 2500));
  return { order, gapsMs, oldLeaderFirst: random.nextInt(2) === 0 };
}

/**
 * The order in which a compound fault restarts the nodes: the plan's, or with the old leader (when it
 * is known) moved to the front.
 */
export function restartOrder(plan: RestartPlan, oldLeader: number | null): number[] {
  if (!plan.oldLeaderFirst || oldLeader === null || !plan.order.includes(oldLeader)) return [...plan.order];
  return [oldLeader, ...plan.order.filter((id) => id !== oldLeader)];
}

/** The fault schedule of a seed: an endless sequence, drawn lazily (each fault takes five numbers). */
export function* faultSchedule(
  random: Prng,
  nodes: readonly number[],
  options: Pick<NemesisOptions, 'minGapMs' | 'maxGapMs' | 'kinds' | 'partitions'>,
): Generator<Fault> {
  const network = random.fork('network');
  const restarts = random.fork('restarts');
  for (let n = 1; ; n++) {
    const gapMs = random.between(options.minGapMs, options.maxGapMs);
    const kind = random.pick(options.kinds);
    const node = random.pick(nodes);
    const partition = random.nextInt(options.partitions);
    const downRange: Record<FaultKind, [number, number]> = {
      kill: [500, 5000],
      'kill-leader': [500, 5000],
      // Some pauses outlast broker.session.timeout.ms (2 s): the broker is fenced while frozen.
      pause: [500, 5000],
      terminate: [500, 4000],
      'kill-all': [200, 2000],
      // Longer than the election timeout (500 ms) and often than the broker session (2 s).
      'partition-isolate': [500, 6000],
      'partition-halves': [500, 6000],
      'partition-one-way': [500, 6000],
      'partition-bridge': [500, 6000],
      // Compound: how long every node stays down before the first restart.
      'failover-then-rest': [200, 3000],
      'crash-restart-order': [200, 3000],
    };
    const [low, high] = downRange[kind];
    const downMs = random.between(low, high);
    const shape = partitionShape(kind, node, nodes, network);
    const restart = restartPlan(nodes, restarts);
    yield { n, kind, gapMs, node, partition, downMs, shape, restart };
  }
}

export interface FaultRecord {
  readonly fault: Fault;
  readonly target: number;
  /** Who was hit and how ("node 2", a partition's shape, a restart order). */
  readonly who: string;
  readonly at: number;
  /**
   * When the fault ended (history time): the last node restarted or reconnected. Later than
   * `at + downMs` when nodes restart one after another (crash-restart-order, failover-then-rest).
   */
  readonly endedAt: number;
  readonly outcome: string;
  readonly recoveredMs: number | null;
}

export class Nemesis {
  readonly done: FaultRecord[] = [];
  private readonly cluster: NemesisCluster;
  private readonly history: History;
  private readonly random: Prng;
  private readonly options: NemesisOptions;
  /** Picks the nodes failover-then-rest asks and sends through (timing decides how many it draws). */
  private readonly probeRandom: Prng;

  constructor(cluster: NemesisCluster, history: History, random: Prng, options: NemesisOptions) {
    this.cluster = cluster;
    this.history = history;
    this.random = random;
    this.options = options;
    this.probeRandom = random.fork('probe');
  }

  private event(event: string, node: number | undefined, detail: string): void {
    this.history.append<NemesisEvent>({
      type: 'info',
      f: 'nemesis',
      process: 'nemesis',
      event,
      ...(node !== undefined ? { node } : {}),
      detail,
    });
  }

  /** The current leader of a partition, asked of a running node; null when none is known. */
  private async leaderOf(partition: number): Promise<number | null> {
    for (const id of this.cluster.ids()) {
      if (this.cluster.state(id) !== 'running') continue;
      try {
        const info = (await this.cluster.partitions(id, this.options.topic, 2000)).find(
          (p) => p.partitionId === partition,
        );
        if (info !== undefined && info.leaderId > 0) return info.leaderId;
      } catch {
        // ask the next one
      }
    }
    return null;
  }

  /**
   * failover-then-rest, after the old leader was killed: waits (bounded) until a running node shows
   * another leader of the partition and an acks=all send to it is acknowledged (so through that leader).
   * Returns what happened, for the record.
   */
  private async failover(fault: Fault, oldLeader: number, stop: AbortSignal): Promise<string> {
    const started = performance.now();
    let attempt = 0;
    let newLeader: number | null = null;
    const acknowledged = await waitUntil(
      async () => {
        const running = this.cluster.clientNodes().filter((id) => this.cluster.state(id) === 'running');
        if (running.length === 0) return false;
        const asked = this.probeRandom.pick(running);
        const info = (await this.cluster.partitions(asked, this.options.topic, 2000)).find(
          (p) => p.partitionId === fault.partition,
        );
        if (info === undefined || info.leaderId < 1 || info.leaderId === oldLeader) return false;
        newLeader = info.leaderId;
        const sent = await sendOnce(this.cluster, this.history, this.options.probe, {
          who: 'nemesis',
          node: this.probeRandom.pick(running),
          partition: fault.partition,
          value: `n${fault.n}-${attempt++}`,
        });
        return sent.type === 'ok';
      },
      20_000,
      stop,
    );
    const ms = Math.round(performance.now() - started);
    return acknowledged
      ? `node ${newLeader} leads partition ${fault.partition} and acknowledged an acks=all send ${ms} ms after the kill`
      : `no acks=all send acknowledged by a new leader within ${ms} ms (last leader seen: ${newLeader ?? 'none'})`;
  }

  /** Kills every running node together, waits `downMs`, restarts them in `order` with the plan's gaps. */
  private async crashAndRestart(fault: Fault, order: readonly number[], what: string, stop: AbortSignal) {
    for (const id of this.cluster.ids()) this.cluster.mark(id, what);
    await Promise.all(this.cluster.ids().map((id) => this.cluster.kill(id)));
    await sleep(fault.downMs, stop);
    for (const [i, id] of order.entries()) {
      if (i > 0) await sleep(fault.restart.gapsMs[i - 1]!, stop);
      this.cluster.start(id);
      this.event('restart', id, `fault #${fault.n}: node ${id} restarted (${i + 1} of ${order.length})`);
    }
  }

  /** Runs faults until `stop` aborts; the fault in progress is then ended at once (node restarted). */
  async run(stop: AbortSignal): Promise<void> {
    for (const fault of faultSchedule(this.random, this.cluster.ids(), this.options)) {
      await sleep(fault.gapMs, stop);
      if (stop.aborted) return;
      let target = fault.node;
      let detail = '';
      if (fault.kind === 'kill-leader' || fault.kind === 'failover-then-rest') {
        const leader = await this.leaderOf(fault.partition);
        if (leader !== null) target = leader;
        detail =
          leader !== null ? `leader of partition ${fault.partition}` : `no leader known: node ${target}`;
      }
      const at = this.history.now();
      const order =
        fault.kind === 'failover-then-rest' || fault.kind === 'crash-restart-order'
          ? restartOrder(fault.restart, fault.kind === 'failover-then-rest' ? target : null)
          : null;
      const who =
        fault.kind === 'kill-all'
          ? 'every node'
          : fault.kind === 'crash-restart-order'
            ? `every node, restarted in the order ${order!.join(',')}`
            : fault.kind === 'failover-then-rest'
              ? `node ${target}, then the others; restarted in the order ${order!.join(',')}${fault.restart.oldLeaderFirst ? ' (old leader first)' : ''}`
              : fault.shape !== null
                ? fault.shape.description
                : `node ${target}`;
      const what = `fault #${fault.n} ${fault.kind} ${who}${detail ? ` (${detail})` : ''}, down ${fault.downMs} ms`;
      this.event(`${fault.kind}-start`, target, what);
      this.cluster.mark(target, what);
      let outcome = 'ok';
      switch (fault.kind) {
        case 'kill':
        case 'kill-leader':
          await this.cluster.kill(target);
          await sleep(fault.downMs, stop);
          this.cluster.start(target);
          break;
        case 'pause':
          this.cluster.pause(target);
          await sleep(fault.downMs, stop);
          this.cluster.resume(target);
          break;
        case 'kill-all':
          for (const id of this.cluster.ids()) this.cluster.mark(id, what);
          await Promise.all(this.cluster.ids().map((id) => this.cluster.kill(id)));
          await sleep(fault.downMs, stop);
          for (const id of this.cluster.ids()) this.cluster.start(id);
          break;
        case 'partition-isolate':
        case 'partition-halves':
        case 'partition-one-way':
        case 'partition-bridge':
          for (const id of this.cluster.ids()) if (id !== target) this.cluster.mark(id, what);
          this.cluster.partition(fault.shape!.blocked, fault.shape!.cut);
          await sleep(fault.downMs, stop);
          this.cluster.heal();
          for (const id of this.cluster.ids()) this.cluster.mark(id, `fault #${fault.n} healed`);
          break;
        case 'failover-then-rest': {
          await this.cluster.kill(target);
          if (stop.aborted) {
            this.cluster.start(target);
            break;
          }
          outcome = await this.failover(fault, target, stop);
          this.event('failover', target, `fault #${fault.n}: ${outcome}`);
          await this.crashAndRestart(fault, order!, `${what}: the others killed now`, stop);
          break;
        }
        case 'crash-restart-order':
          await this.crashAndRestart(fault, order!, what, stop);
          break;
        case 'terminate': {
          const started = performance.now();
          const how = await this.cluster.terminate(target, 30_000);
          outcome = `${how} after ${Math.round(performance.now() - started)} ms`;
          await sleep(fault.downMs, stop);
          this.cluster.start(target);
          break;
        }
      }
      this.event(`${fault.kind}-end`, target, `fault #${fault.n}: node ${target} back (${outcome})`);
      this.cluster.mark(
        target,
        `fault #${fault.n} ended: node ${target} ${fault.kind === 'pause' ? 'continued' : fault.shape !== null ? 'reconnected' : 'restarted'}`,
      );
      const endedAt = this.history.now();
      let recoveredMs: number | null = null;
      if (!stop.aborted) {
        const started = performance.now();
        const healthy = await waitUntil(
          () => this.cluster.healthy(this.options.healthTopics),
          this.options.recoveryTimeoutMs,
          stop,
        );
        if (stop.aborted && !healthy) {
          this.done.push({ fault, target, who, at, endedAt, outcome, recoveredMs });
          return;
        }
        recoveredMs = healthy ? Math.round(performance.now() - started) : null;
        this.event(
          healthy ? 'recovered' : 'not-recovered',
          target,
          healthy
            ? `every node ready and every ISR full ${recoveredMs} ms after fault #${fault.n} ended`
            : `not every node ready with every ISR full ${this.options.recoveryTimeoutMs} ms after fault #${fault.n} ended`,
        );
      }
      this.done.push({ fault, target, who, at, endedAt, outcome, recoveredMs });
    }
  }
}
