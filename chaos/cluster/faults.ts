import type { NodeId } from '../../raft/types.ts';
import type { Prng } from '../sim/prng.ts';
import { MS } from '../sim/scheduler.ts';
import type { SimCluster } from './cluster.ts';
import { bridge, dropKinds, isolate, type LinkRule, oneWay, split } from './link-rules.ts';

/** The kinds of fault the safety phase draws from, with their weights. */
export const FAULT_WEIGHTS = {
  crash: 3,
  kill: 2,
  terminate: 2,
  'crash-all': 1,
  'failover-then-crash-rest': 1,
  pause: 3,
  isolate: 3,
  split: 3,
  bridge: 1,
  'one-way': 2,
  'drop-kind': 2,
  lossy: 2,
  'clock-skew': 2,
  'slow-disk': 1,
} as const;

export type FaultKind = keyof typeof FAULT_WEIGHTS;

/** How long a controlled shutdown may take (KraftNode.stop's default is 10 s). */
const TERMINATE_TIMEOUT_MS = 5_000;

const WEIGHTED_KINDS: readonly FaultKind[] = Object.entries(FAULT_WEIGHTS).flatMap(([kind, weight]) =>
  Array.from({ length: weight }, () => kind as FaultKind),
);

/**
 * Disk faults, on a stream of their own (adding them did not change the other faults of a seed): now
 * and then a one-shot EIO or ENOSPC on one broker's partition-log disk, on a later write, fsync or
 * directory fsync. The log directory goes offline and the broker exits, then starts again (cluster.ts);
 * a failed fsync may also have dropped the pages it did not write (sim-fs's fsyncgate model).
 */
export function scheduleDiskFaults(cluster: SimCluster, random: Prng, endUs: number): void {
  const { scheduler } = cluster.world;
  const next = () => {
    const gapUs = random.between(1_000, 6_000) * MS;
    if (scheduler.now() + gapUs >= endUs) return;
    scheduler.after(gapUs, () => {
      const id = random.pick(cluster.config.brokers);
      const operation = random.pick(['write', 'sync', 'syncDir'] as const);
      const code = random.pick(['EIO', 'ENOSPC'] as const);
      cluster.server(id).fs.injectFault({ operation, code, skip: random.between(0, 20) });
      cluster.world.note(`fault: node ${id}'s disk fails a later ${operation} with ${code}`);
      next();
    });
  };
  next();
}

/**
 * The seeded fault schedule of the safety phase: faults start at random moments and each undoes itself
 * after a random duration; several may overlap. Any combination is allowed (safety must hold under
 * all of them); the liveness phase heals everything first.
 */
export function scheduleFaults(cluster: SimCluster, random: Prng, endUs: number): void {
  const { scheduler } = cluster.world;
  const next = () => {
    const gapUs = random.between(500, 2_500) * MS;
    if (scheduler.now() + gapUs >= endUs) return;
    scheduler.after(gapUs, () => {
      startFault(cluster, random, random.pick(WEIGHTED_KINDS));
      next();
    });
  };
  next();
}

function startFault(cluster: SimCluster, random: Prng, kind: FaultKind): void {
  const { world, config } = cluster;
  const ids = config.servers;
  const durationUs = random.between(200, 2_500) * MS;
  const later = (fn: () => void, delayUs = durationUs) => world.scheduler.after(delayUs, fn);
  const rules = (label: string, linkRules: readonly LinkRule[]) => {
    const handle = world.network.addRules(linkRules);
    world.note(`fault: ${label}`);
    later(() => {
      world.network.heal(handle);
      world.note(`healed: ${label}`);
    });
  };
  switch (kind) {
    case 'crash': {
      const id = random.pick(ids);
      crash(cluster, id);
      later(() => restart(cluster, id));
      return;
    }
    case 'kill': {
      const id = random.pick(ids);
      const server = cluster.server(id);
      if (!server.alive) return;
      server.kill();
      world.note(`node ${id} killed (kill -9)`);
      later(() => restart(cluster, id));
      return;
    }
    case 'terminate': {
      const id = random.pick(ids);
      const server = cluster.server(id);
      if (!server.alive) return;
      world.note(`node ${id} terminated (controlled shutdown)`);
      const incarnation = server.process.incarnation;
      cluster.terminating.add(id);
      void server.terminate(TERMINATE_TIMEOUT_MS).then(() => {
        cluster.terminating.delete(id);
        if (server.process.incarnation === incarnation) return;
        world.note(`node ${id} stopped`);
        // A shutdown still running when everything healed ends the fault: the node comes back at once.
        if (cluster.healed) restart(cluster, id);
        else later(() => restart(cluster, id));
      });
      return;
    }
    case 'crash-all': {
      // Every node loses power at once; they come back one by one, in a random order.
      for (const id of ids) crash(cluster, id);
      let delayUs = durationUs;
      for (const id of shuffled(random, ids)) {
        later(() => restart(cluster, id), delayUs);
        delayUs += random.between(0, 1_000) * MS;
      }
      return;
    }
    case 'failover-then-crash-rest': {
      // The metadata leader dies; once another node leads, the rest die too, and the first one comes
      // back first (issue 6 finding 1's schedule, on the metadata quorum).
      const first = cluster.raftLeader()?.id ?? random.pick(ids);
      crash(cluster, first);
      const rest = ids.filter((id) => id !== first);
      later(() => {
        for (const id of rest) crash(cluster, id);
        later(() => {
          restart(cluster, first);
          let delayUs = random.between(100, 2_000) * MS;
          for (const id of shuffled(random, rest)) {
            later(() => restart(cluster, id), delayUs);
            delayUs += random.between(0, 1_000) * MS;
          }
        }, random.between(100, 1_000) * MS);
      }, random.between(500, 2_000) * MS);
      return;
    }
    case 'pause': {
      const id = random.pick(ids);
      const server = cluster.server(id);
      if (!server.alive) return;
      server.process.pause();
      world.note(`fault: node ${id} paused`);
      later(() => {
        server.process.resume();
        world.note(`node ${id} resumed`);
      });
      return;
    }
    case 'isolate': {
      const id = random.pick(ids);
      rules(`node ${id} isolated`, isolate(id, ids));
      return;
    }
    case 'split': {
      const order = shuffled(random, ids);
      const cut = random.between(1, Math.floor(ids.length / 2));
      const minority = order.slice(0, cut);
      rules(`split [${minority}] | [${order.slice(cut)}]`, split(minority, order.slice(cut)));
      return;
    }
    case 'bridge': {
      const order = shuffled(random, ids);
      rules(`bridge through node ${order[0]} of [${order}]`, bridge(order[0]!, order));
      return;
    }
    case 'one-way': {
      const order = shuffled(random, ids);
      const cut = random.between(1, ids.length - 1);
      rules(
        `one way: [${order.slice(0, cut)}] -> [${order.slice(cut)}] lost`,
        oneWay(order.slice(0, cut), order.slice(cut)),
      );
      return;
    }
    case 'drop-kind': {
      const kindName = random.pick(['raft', 'controller']);
      const direction = random.pick(['requests', 'responses', 'both'] as const);
      rules(`${kindName} ${direction} lost`, dropKinds([kindName], direction));
      return;
    }
    case 'lossy': {
      const handle = world.network.addFaults({
        drop: random.between(5, 30) / 100,
        duplicate: random.between(0, 20) / 100,
        extraDelayUs: random.between(0, 30) * MS,
      });
      world.note('fault: lossy network');
      later(() => {
        world.network.heal(handle);
        world.note('healed: lossy network');
      });
      return;
    }
    case 'clock-skew': {
      const id = random.pick(ids);
      const rate = random.pick([0.25, 0.5, 0.8, 1.25, 2, 4]);
      cluster.server(id).process.setRate(rate);
      world.note(`fault: node ${id} clock at ${rate}x`);
      later(() => {
        cluster.server(id).process.setRate(1);
        world.note(`node ${id} clock at 1x`);
      });
      return;
    }
    case 'slow-disk': {
      const id = random.pick(ids);
      const server = cluster.server(id);
      server.syncSlowdown = random.pick([10, 100, 300]);
      world.note(`fault: node ${id} fsyncs ${server.syncSlowdown}x slower`);
      later(() => {
        server.syncSlowdown = 1;
        world.note(`node ${id} fsyncs at normal speed`);
      });
      return;
    }
    default:
      kind satisfies never;
  }
}

function crash(cluster: SimCluster, id: NodeId): void {
  const server = cluster.server(id);
  // A compound fault's later steps may come due after the liveness phase began: they are dropped.
  if (!server.alive || cluster.healed) return;
  server.crash();
  cluster.world.note(`node ${id} crashed (power loss)`);
}

function restart(cluster: SimCluster, id: NodeId): void {
  const server = cluster.server(id);
  if (server.alive) return;
  server.start();
  cluster.world.note(`node ${id} restarted`);
}

/** The liveness phase's start: every link works, every process runs at 1x, every node is up. */
export function healEverything(cluster: SimCluster): void {
  cluster.healed = true;
  for (const server of cluster.servers.values()) {
    server.syncSlowdown = 1;
    server.fs.clearFaults();
  }
  cluster.world.network.healAll();
  for (const server of cluster.servers.values()) {
    server.process.setRate(1);
    server.process.resume();
    if (!server.alive) server.start();
  }
  cluster.world.note('healed everything');
}

function shuffled<T>(random: Prng, items: readonly T[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
