import type { Message, NodeId } from '../../raft/types.ts';
import type { Prng } from './prng.ts';
import type { Microseconds, Scheduler } from './scheduler.ts';

/** Where the network hands a message; the node decides what a crash or a pause does with it. */
export interface Endpoint {
  receive(message: Message): void;
}

export interface NetworkConfig {
  readonly minDelayUs: Microseconds;
  readonly maxDelayUs: Microseconds;
}

/** A window of lossy network: applies to every link while it lasts; overlapping windows take the max. */
export interface LinkFaults {
  readonly drop: number;
  readonly duplicate: number;
  /** Extra delay sampled in [0, extraDelayUs]: long enough to reorder messages on a link. */
  readonly extraDelayUs: Microseconds;
}

export interface NetworkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  delivered: number;
}

/**
 * A point-to-point network with sampled delays (so messages on one link reorder), probabilistic drop and
 * duplication, and partitions. A partition is a set of cut links; several may be active at once and a
 * link is cut while any of them cuts it. A message is checked at send and again at delivery, as a
 * partition that starts while it is in flight drops it.
 */
export class SimNetwork {
  private readonly scheduler: Scheduler;
  private readonly random: Prng;
  private readonly config: NetworkConfig;
  private readonly endpoints = new Map<NodeId, Endpoint>();
  private readonly partitions = new Map<number, ReadonlySet<number>>();
  private readonly faultWindows = new Map<number, LinkFaults>();
  private nextHandle = 1;
  readonly stats: NetworkStats = { sent: 0, dropped: 0, duplicated: 0, delivered: 0 };

  constructor(scheduler: Scheduler, random: Prng, config: NetworkConfig) {
    this.scheduler = scheduler;
    this.random = random;
    this.config = config;
  }

  attach(id: NodeId, endpoint: Endpoint): void {
    this.endpoints.set(id, endpoint);
  }

  send(message: Message): void {
    this.stats.sent++;
    const faults = this.currentFaults();
    if (this.isCut(message.from, message.to) || this.random.chance(faults.drop)) {
      this.stats.dropped++;
      return;
    }
    this.schedule(message, faults);
    if (this.random.chance(faults.duplicate)) {
      this.stats.duplicated++;
      this.schedule(message, faults);
    }
  }

  /** Cuts every link between a node of `sideA` and a node of `sideB`; returns a handle for heal(). */
  partition(sideA: readonly NodeId[], sideB: readonly NodeId[]): number {
    const links = new Set<number>();
    for (const a of sideA) for (const b of sideB) if (a !== b) links.add(linkKey(a, b));
    const handle = this.nextHandle++;
    this.partitions.set(handle, links);
    return handle;
  }

  heal(handle: number): void {
    this.partitions.delete(handle);
  }

  addFaults(faults: LinkFaults): number {
    const handle = this.nextHandle++;
    this.faultWindows.set(handle, faults);
    return handle;
  }

  removeFaults(handle: number): void {
    this.faultWindows.delete(handle);
  }

  /** The liveness phase: every link works and nothing is lost any more (in-flight messages still land). */
  healAll(): void {
    this.partitions.clear();
    this.faultWindows.clear();
  }

  isCut(a: NodeId, b: NodeId): boolean {
    if (this.partitions.size === 0) return false;
    const key = linkKey(a, b);
    for (const links of this.partitions.values()) if (links.has(key)) return true;
    return false;
  }

  private currentFaults(): LinkFaults {
    let drop = 0;
    let duplicate = 0;
    let extraDelayUs = 0;
    for (const window of this.faultWindows.values()) {
      drop = Math.max(drop, window.drop);
      duplicate = Math.max(duplicate, window.duplicate);
      extraDelayUs = Math.max(extraDelayUs, window.extraDelayUs);
    }
    return { drop, duplicate, extraDelayUs };
  }

  private schedule(message: Message, faults: LinkFaults): void {
    const { minDelayUs, maxDelayUs } = this.config;
    let delay = this.random.between(minDelayUs, maxDelayUs);
    if (faults.extraDelayUs > 0) delay += this.random.nextInt(faults.extraDelayUs + 1);
    this.scheduler.after(delay, () => this.deliver(message));
  }

  private deliver(message: Message): void {
    const endpoint = this.endpoints.get(message.to);
    if (endpoint === undefined || this.isCut(message.from, message.to)) {
      this.stats.dropped++;
      return;
    }
    this.stats.delivered++;
    endpoint.receive(message);
  }
}

function linkKey(a: NodeId, b: NodeId): number {
  return a < b ? a * 65536 + b : b * 65536 + a;
}
