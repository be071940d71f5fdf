// The nemesis: a seeded schedule of faults on real processes, one node faulty at a time, except
// `kill-all` (every node killed together, then restarted: with the default flush policy every
// acknowledged record was fsynced on every ISR member, so nothing acknowledged may be lost). Each fault draws
// the same numbers from its own PRNG stream whatever happens, so a seed replays the same kinds, targets
// and timings (the leader a `kill-leader` hits is looked up when it happens, so it depends on timing).
import type { Prng } from '../sim/prng.ts';
import { type NemesisCluster, sleep, waitUntil } from './cluster.ts';
import type { History, NemesisEvent } from './history.ts';

export const FAULT_KINDS = ['kill', 'kill-leader', 'pause', 'terminate', 'kill-all'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  readonly n: number;
  readonly kind: FaultKind;
  /** Quiet time before the fault. */
  readonly gapMs: number;
  /** The node hit (kill-leader: the fallback when no leader is known). */
  readonly node: number;
  /** kill-leader: the partition whose leader is hit. */
  readonly partition: number;
  /** How long the node stays down (killed, paused, stopped) before it is restarted or continued. */
  readonly downMs: number;
}

export interface NemesisOptions {
  readonly topic: string;
  readonly partitions: number;
  readonly minGapMs: number;
  readonly maxGapMs: number;
  /** Bound on the wait for a node to be back (ready, every ISR full) before the next fault. */
  readonly recoveryTimeoutMs: number;
}

/** The fault schedule of a seed: an endless sequence, drawn lazily (each fault takes five numbers). */
export function* faultSchedule(
  random: Prng,
  nodes: readonly number[],
  options: NemesisOptions,
): Generator<Fault> {
  for (let n = 1; ; n++) {
    const gapMs = random.between(options.minGapMs, options.maxGapMs);
    const kind = random.pick(FAULT_KINDS);
    const node = random.pick(nodes);
    const partition = random.nextInt(options.partitions);
    const downRange: Record<FaultKind, [number, number]> = {
      kill: [500, 5000],
      'kill-leader': [500, 5000],
      // Some pauses outlast broker.session.timeout.ms (2 s): the broker is fenced while frozen.
      pause: [500, 5000],
      terminate: [500, 4000],
      'kill-all': [200, 2000],
    };
    const [low, high] = downRange[kind];
    yield { n, kind, gapMs, node, partition, downMs: random.between(low, high) };
  }
}

export interface FaultRecord {
  readonly fault: Fault;
  readonly target: number;
  readonly at: number;
  readonly outcome: string;
  readonly recoveredMs: number | null;
}

export class Nemesis {
  readonly done: FaultRecord[] = [];
  private readonly cluster: NemesisCluster;
  private readonly history: History;
  private readonly random: Prng;
  private readonly options: NemesisOptions;

  constructor(cluster: NemesisCluster, history: History, random: Prng, options: NemesisOptions) {
    this.cluster = cluster;
    this.history = history;
    this.random = random;
    this.options = options;
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

  /** Runs faults until `stop` aborts; the fault in progress is then ended at once (node restarted). */
  async run(stop: AbortSignal): Promise<void> {
    for (const fault of faultSchedule(this.random, this.cluster.ids(), this.options)) {
      await sleep(fault.gapMs, stop);
      if (stop.aborted) return;
      let target = fault.node;
      let detail = '';
      if (fault.kind === 'kill-leader') {
        const leader = await this.leaderOf(fault.partition);
        if (leader !== null) target = leader;
        detail =
          leader !== null ? `leader of partition ${fault.partition}` : `no leader known: node ${target}`;
      }
      const at = this.history.now();
      const who = fault.kind === 'kill-all' ? 'every node' : `node ${target}`;
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
        `fault #${fault.n} ended: node ${target} ${fault.kind === 'pause' ? 'continued' : 'restarted'}`,
      );
      let recoveredMs: number | null = null;
      if (!stop.aborted) {
        const started = performance.now();
        const healthy = await waitUntil(
          () => this.cluster.healthy(this.options.topic, this.options.partitions),
          this.options.recoveryTimeoutMs,
          stop,
        );
        if (stop.aborted && !healthy) {
          this.done.push({ fault, target, at, outcome, recoveredMs });
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
      this.done.push({ fault, target, at, outcome, recoveredMs });
    }
  }
}
