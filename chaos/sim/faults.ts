import type { NodeId } from '../../raft/types.ts';
import type { Cluster } from './cluster.ts';
import type { Prng } from './prng.ts';
import { MS } from './scheduler.ts';
import type { Fault, NodeRef } from './schedule.ts';
import type { SimNode } from './sim-node.ts';

/**
 * Turns the schedule's faults into timed events. Each fault undoes itself after its duration; the end of
 * the safety phase heals whatever is left (healEverything). Undo events are idempotent, so overlapping
 * faults and the final heal compose: a restart of a running node or a heal of a healed partition is a
 * no-op.
 */
export function scheduleFaults(cluster: Cluster, faults: readonly Fault[]): void {
  const random = cluster.root.fork('faults');
  for (const fault of faults) {
    cluster.scheduler.at(fault.atMs * MS, () => {
      cluster.note(`fault ${JSON.stringify(fault)}`);
      inject(cluster, random, fault);
    });
  }
}

/** The start of the liveness phase: every node up and resumed, every link whole, clocks and disks fair. */
export function healEverything(cluster: Cluster): void {
  cluster.note('heal: every node up, every link whole');
  cluster.network.healAll();
  for (const node of cluster.nodes.values()) {
    node.clock.setRate(1);
    node.syncSlowdown = 1;
    node.resume();
    node.start();
  }
}

function inject(cluster: Cluster, random: Prng, fault: Fault): void {
  const later = (ms: number, run: () => void) => cluster.scheduler.after(ms * MS, run);
  switch (fault.kind) {
    case 'crash': {
      const node = resolve(cluster, random, fault.node);
      if (!node.alive) return;
      node.crash();
      later(fault.downMs, () => restart(cluster, node));
      return;
    }
    case 'crashMidSync': {
      const node = resolve(cluster, random, fault.node);
      node.armSyncTrap((latencyUs) => {
        // Strictly before the sync completes: what it was writing is lost.
        cluster.scheduler.after(random.nextInt(latencyUs), () => {
          if (!node.alive) return;
          cluster.note(`node ${node.id} crashes mid-sync`);
          node.crash();
          later(fault.downMs, () => restart(cluster, node));
        });
      });
      return;
    }
    case 'crashAll':
      for (const node of cluster.nodes.values()) {
        if (!node.alive) continue;
        node.crash();
        later(fault.downMs + random.nextInt(20), () => restart(cluster, node));
      }
      return;
    case 'pause': {
      const node = resolve(cluster, random, fault.node);
      if (!node.alive || node.paused) return;
      node.pause();
      later(fault.durationMs, () => node.resume());
      return;
    }
    case 'isolate': {
      const node = resolve(cluster, random, fault.node);
      const others = ids(cluster).filter((id) => id !== node.id);
      const handle = cluster.network.partition([node.id], others);
      later(fault.durationMs, () => cluster.network.heal(handle));
      return;
    }
    case 'split': {
      const all = rotate(ids(cluster), fault.shift);
      const size = Math.min(fault.minority, Math.floor(all.length / 2));
      const handle = cluster.network.partition(all.slice(0, size), all.slice(size));
      later(fault.durationMs, () => cluster.network.heal(handle));
      return;
    }
    case 'bridge': {
      const bridge = resolve(cluster, random, fault.node);
      const others = rotate(
        ids(cluster).filter((id) => id !== bridge.id),
        bridge.id,
      );
      const half = Math.ceil(others.length / 2);
      const handle = cluster.network.partition(others.slice(0, half), others.slice(half));
      later(fault.durationMs, () => cluster.network.heal(handle));
      return;
    }
    case 'lossy': {
      const handle = cluster.network.addFaults({
        drop: fault.drop,
        duplicate: fault.duplicate,
        extraDelayUs: fault.extraDelayMs * MS,
      });
      later(fault.durationMs, () => cluster.network.removeFaults(handle));
      return;
    }
    case 'skew': {
      const node = resolve(cluster, random, fault.node);
      node.clock.setRate(fault.rate);
      later(fault.durationMs, () => node.clock.setRate(1));
      return;
    }
    case 'slowDisk': {
      const node = resolve(cluster, random, fault.node);
      node.syncSlowdown = fault.factor;
      later(fault.durationMs, () => {
        node.syncSlowdown = 1;
      });
      return;
    }
    case 'transfer': {
      const leader = cluster.leader();
      const to = cluster.voters[typeof fault.to === 'number' ? fault.to % cluster.voters.length : 0]!;
      leader?.submit({ kind: 'transfer', to });
      return;
    }
    case 'leaderTrap':
      armTrap(cluster, random, fault, fault.count);
      return;
    default:
      fault satisfies never;
  }
}

function armTrap(
  cluster: Cluster,
  random: Prng,
  fault: Extract<Fault, { kind: 'leaderTrap' }>,
  remaining: number,
): void {
  cluster.armLeaderTrap((leader) => {
    if (remaining > 1) armTrap(cluster, random, fault, remaining - 1);
    cluster.scheduler.after(random.nextInt(fault.delayMaxUs + 1), () => {
      if (fault.action === 'crash') {
        if (!leader.alive) return;
        leader.crash();
        cluster.scheduler.after(fault.durationMs * MS, () => restart(cluster, leader));
      } else {
        cluster.note(`trap: node ${leader.id} isolated`);
        const others = ids(cluster).filter((id) => id !== leader.id);
        const handle = cluster.network.partition([leader.id], others);
        cluster.scheduler.after(fault.durationMs * MS, () => cluster.network.heal(handle));
      }
    });
  });
}

function restart(cluster: Cluster, node: SimNode): void {
  if (node.alive) return;
  cluster.note(`node ${node.id} restarts`);
  node.start();
}

function resolve(cluster: Cluster, random: Prng, ref: NodeRef): SimNode {
  const all = [...cluster.nodes.values()];
  if (ref === 'leader') return cluster.leader() ?? random.pick(all);
  return all[ref % all.length]!;
}

function ids(cluster: Cluster): NodeId[] {
  return [...cluster.nodes.keys()];
}

function rotate<T>(items: readonly T[], shift: number): T[] {
  const k = items.length === 0 ? 0 : shift % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
