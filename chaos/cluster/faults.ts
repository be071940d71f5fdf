import type { NodeId } from '../../raft/types.ts';
import { NO_LEADER } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { Prng } from '../sim/prng.ts';
import { MS } from '../sim/scheduler.ts';
import type { AlterPartitionRequest } from '../../src/replication/replica-manager.ts';
import type { SimCluster } from './cluster.ts';
import { partitionForGroup } from '../../src/groups/group-partition.ts';
import { OFFSETS_TOPIC } from '../../src/node/group-service.ts';
import { DATA_PARTITIONS, DATA_TOPIC } from './data-workload.ts';
import { GROUP_ID } from './group-workload.ts';
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
      startDiskFault(cluster, random);
      next();
    });
  };
  next();
}

function startDiskFault(cluster: SimCluster, random: Prng): void {
  const id = random.pick(cluster.config.brokers);
  const operation = random.pick(['write', 'sync', 'syncDir'] as const);
  const code = random.pick(['EIO', 'ENOSPC'] as const);
  cluster.server(id).fs.injectFault({ operation, code, skip: random.between(0, 20) });
  cluster.world.note(`fault: node ${id}'s disk fails a later ${operation} with ${code}`);
}

/**
 * One fault of an explicit schedule (fast-check mode, `schedule-arbitrary.ts`): how long after the
 * previous one it starts, which kind on which stream, and the seed of its own draws (target, duration),
 * so that removing a fault while shrinking leaves the others as they were.
 */
export type ExplicitFault =
  | { readonly gapMs: number; readonly stream: 'main'; readonly kind: FaultKind; readonly seed: number }
  | { readonly gapMs: number; readonly stream: 'data'; readonly kind: DataFaultKind; readonly seed: number }
  | { readonly gapMs: number; readonly stream: 'disk'; readonly seed: number }
  | {
      readonly gapMs: number;
      readonly stream: 'group';
      readonly kind: GroupFaultKind;
      readonly seed: number;
    };

/** Starts `faults` one after the other (instead of the three seeded streams); none after `endUs`. */
export function scheduleExplicitFaults(
  cluster: SimCluster,
  faults: readonly ExplicitFault[],
  endUs: number,
): void {
  const { scheduler } = cluster.world;
  let atUs = scheduler.now();
  for (const fault of faults) {
    atUs += fault.gapMs * MS;
    if (atUs >= endUs) return;
    scheduler.after(atUs - scheduler.now(), () => {
      const random = new Prng(fault.seed);
      if (fault.stream === 'main') startFault(cluster, random, fault.kind);
      else if (fault.stream === 'data') startDataFault(cluster, random, fault.kind);
      else if (fault.stream === 'group') startGroupFault(cluster, random, fault.kind);
      else startDiskFault(cluster, random);
    });
  }
}

/** One line per fault of an explicit schedule, for the report of a shrunk failure. */
export function describeExplicitFaults(faults: readonly ExplicitFault[]): string {
  let atMs = 0;
  return faults
    .map((fault) => {
      atMs += fault.gapMs;
      const what = fault.stream === 'disk' ? 'disk-fault' : fault.kind;
      return `  at ${atMs} ms: ${what} (${fault.stream} stream, seed ${fault.seed})`;
    })
    .join('\n');
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
      terminate(cluster, random.pick(ids), durationUs);
      return;
    }
    case 'crash-all': {
      if (beyondTheGuarantee(cluster, kind)) return;
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
      if (beyondTheGuarantee(cluster, kind)) return;
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

/** SIGTERM: a controlled shutdown; the node starts again `downUs` after it stopped. */
function terminate(cluster: SimCluster, id: NodeId, downUs: number): void {
  const { world } = cluster;
  const server = cluster.server(id);
  if (!server.alive || cluster.healed) return;
  world.note(`node ${id} terminated (controlled shutdown)`);
  const incarnation = server.process.incarnation;
  cluster.terminating.add(id);
  void server.terminate(TERMINATE_TIMEOUT_MS).then(() => {
    cluster.terminating.delete(id);
    if (server.process.incarnation === incarnation) return;
    world.note(`node ${id} stopped`);
    // A shutdown still running when everything healed ends the fault: the node comes back at once.
    if (cluster.healed) restart(cluster, id);
    else world.scheduler.after(downUs, () => restart(cluster, id));
  });
}

/** The compound faults aimed at the data plane, on a stream of their own. */
export const DATA_FAULT_KINDS = [
  'leader-moves-twice',
  'slow-disks-then-crash-all',
  'isr-expansion-unanswered',
] as const;
export type DataFaultKind = (typeof DATA_FAULT_KINDS)[number];

/**
 * Compound faults aimed at the partitions' replication, on a stream of their own (so the other
 * streams of a seed are unchanged; a seed of this stream's first half has none of them):
 *
 * - `leader-moves-twice`, KIP-101's losing schedule: replication fetches are lost, the leader of a
 *   `data` partition is shut down (its leadership moves to another ISR member), and as soon as a node's
 *   image shows the new leader, that one is shut down too, so a third replica leads before it fetched
 *   anything from the second. Safe only if no ISR member cuts records it was credited with: a follower
 *   that truncates to its (lagging) high watermark leads without the last acknowledged records.
 * - `slow-disks-then-crash-all`: every disk's fsyncs become 100 or 300 times slower, then every node
 *   loses power (design.md §5: acks=all records survive all N crashing with the default flush policy)
 *   and they come back in a random order. Safe only if a follower's fetch offset is durable there.
 * - `isr-expansion-unanswered` (issue 6 finding 2): a follower F of a `data` partition is killed and
 *   comes back (out of the ISR); once it is unfenced, its leader L hears neither controller answers nor
 *   metadata, so the AlterPartition that adds F back commits without L learning it; then F's fetches
 *   are lost, and a while after L's AlterPartition timed out L loses power. F is in the controller's ISR
 *   and may lead next: safe only if L kept counting F (its maximal ISR) although the outcome was unknown.
 */
export function scheduleDataFaults(cluster: SimCluster, random: Prng, endUs: number): void {
  if (random.chance(0.5)) return;
  const { scheduler } = cluster.world;
  const next = () => {
    const gapUs = random.between(1_500, 6_000) * MS;
    if (scheduler.now() + gapUs >= endUs) return;
    scheduler.after(gapUs, () => {
      startDataFault(cluster, random, random.pick(DATA_FAULT_KINDS));
      next();
    });
  };
  next();
}

function startDataFault(cluster: SimCluster, random: Prng, kind: DataFaultKind): void {
  const { world, config } = cluster;
  const durationUs = random.between(300, 2_500) * MS;
  switch (kind) {
    case 'leader-moves-twice': {
      const partition = random.nextInt(DATA_PARTITIONS);
      const first = dataLeader(cluster, partition);
      if (first === null) return;
      const lost = world.network.addRules(dropKinds(['fetch'], 'both'));
      world.note(`fault: fetches lost; ${DATA_TOPIC}-${partition}'s leader ${first.leader} shut down`);
      world.scheduler.after(durationUs, () => {
        world.network.heal(lost);
        world.note('healed: fetches lost');
      });
      terminate(cluster, first.leader, durationUs);
      const delayUs = random.between(0, 200) * MS;
      const watch = (deadlineUs: number) => {
        const now = dataLeader(cluster, partition);
        if (now !== null && now.leaderEpoch > first.leaderEpoch && now.leader !== first.leader) {
          world.scheduler.after(delayUs, () => terminate(cluster, now.leader, durationUs));
          return;
        }
        if (world.scheduler.now() < deadlineUs) world.scheduler.after(2 * MS, () => watch(deadlineUs));
      };
      watch(world.scheduler.now() + durationUs);
      return;
    }
    case 'isr-expansion-unanswered': {
      const partition = random.nextInt(DATA_PARTITIONS);
      const found = dataLeader(cluster, partition);
      if (found === null) return;
      const { leader } = found;
      const followers = found.replicas.filter((replica) => replica !== leader);
      if (followers.length === 0) return;
      const follower = random.pick(followers);
      const server = cluster.server(follower);
      if (!server.alive) return;
      server.kill();
      world.note(`fault: ${DATA_TOPIC}-${partition}'s follower ${follower} killed (leader ${leader})`);
      world.scheduler.after(random.between(100, 500) * MS, () => restart(cluster, follower));
      const deadlineUs = world.scheduler.now() + 6_000 * MS;
      const heal: (() => void)[] = [];
      const done = () => {
        for (const undo of heal.splice(0)) undo();
        world.note(`healed: ${DATA_TOPIC}-${partition}'s ISR expansion fault`);
      };
      const rules = (label: string, linkRules: readonly LinkRule[]) => {
        const handle = world.network.addRules(linkRules);
        heal.push(() => world.network.heal(handle));
        world.note(`fault: ${label}`);
      };
      let crashing = false;
      const watch = (step: () => boolean) => {
        if (crashing) return;
        if (cluster.healed || world.scheduler.now() >= deadlineUs) return done();
        if (!step()) world.scheduler.after(2 * MS, () => watch(step));
      };
      // The moment the leader asks the controller to add F back, it stops hearing answers and metadata.
      const tap = (from: NodeId, request: AlterPartitionRequest) => {
        if (from !== leader || request.partitionId !== (partition as never)) return;
        if (request.topicId !== found.topicId || !request.newIsr.includes(follower as never)) return;
        const seen = cluster
          .server(leader)
          .publishedImage()
          ?.topics.get(found.topicId as never);
        if (seen?.partitions.get(partition as never)?.isr.includes(follower as never) !== false) return;
        cluster.alterPartitionTaps.delete(tap);
        const to = new Set([leader]);
        rules(`node ${leader} hears no controller answers and no metadata`, [
          { from: null, to, kinds: new Set(['controller']), direction: 'responses' },
          { from: null, to, kinds: new Set(['raft']), direction: 'both' },
        ]);
        watch(rejoined);
      };
      cluster.alterPartitionTaps.add(tap);
      heal.push(() => cluster.alterPartitionTaps.delete(tap));
      const rejoined = () => {
        const now = dataLeader(cluster, partition);
        if (now === null || !now.isr.includes(follower)) return false;
        rules(`node ${follower}'s fetches lost`, [
          { from: new Set([follower]), to: null, kinds: new Set(['fetch']), direction: 'both' },
        ]);
        crashing = true;
        world.scheduler.after(random.between(1_200, 2_000) * MS, () => {
          crash(cluster, leader);
          world.scheduler.after(durationUs, () => {
            done();
            restart(cluster, leader);
          });
        });
        return true;
      };
      world.scheduler.after(deadlineUs - world.scheduler.now(), () => {
        if (!crashing && heal.length > 0) done();
      });
      return;
    }
    case 'slow-disks-then-crash-all': {
      if (beyondTheGuarantee(cluster, kind)) return;
      const slowdown = random.pick([100, 300]);
      for (const server of cluster.servers.values()) server.syncSlowdown = slowdown;
      world.note(`fault: every disk fsyncs ${slowdown}x slower`);
      world.scheduler.after(random.between(100, 1_500) * MS, () => {
        if (cluster.healed) return;
        for (const server of cluster.servers.values()) server.syncSlowdown = 1;
        for (const id of config.servers) crash(cluster, id);
        let delayUs = durationUs;
        for (const id of shuffled(random, config.servers)) {
          world.scheduler.after(delayUs, () => restart(cluster, id));
          delayUs += random.between(0, 1_000) * MS;
        }
      });
      return;
    }
    default:
      kind satisfies never;
  }
}

/** The compound faults aimed at the consumer groups' coordinators, on a stream of their own. */
export const GROUP_FAULT_KINDS = ['coordinator-moves-twice'] as const;
export type GroupFaultKind = (typeof GROUP_FAULT_KINDS)[number];

/**
 * Compound faults aimed at the group coordinators, on a stream of their own (so the other streams of a
 * seed are unchanged), two per seed, at random moments of the safety phase:
 *
 * - `coordinator-moves-twice`: the group's coordinator moves twice while commits are in flight. One
 *   follower F of the group's `__consumer_offsets` partition loses its fetches, so the commits appended
 *   from then on reach the leader L and the other follower but not F, and the high watermark stops below
 *   them (F stays in the ISR for replica.lag.time.max.ms); within that time L is shut down (the other
 *   follower coordinates next, its log ending with those commits), and a while after a node's image
 *   shows the new coordinator, it is shut down too: F, still in the ISR, leads without the commits. Safe
 *   only if the second coordinator served none of them (its load waits for the high watermark).
 */
export function scheduleGroupFaults(cluster: SimCluster, random: Prng, endUs: number): void {
  // Two: one in each half of the safety phase (a fault's preconditions often do not hold at once).
  for (const [fromMs, toMs] of [
    [1_500, 5_500],
    [6_000, 10_000],
  ] as const) {
    const kind = random.pick(GROUP_FAULT_KINDS);
    const atUs = random.between(fromMs, toMs) * MS;
    const seed = random.nextUint32();
    if (atUs < endUs)
      cluster.world.scheduler.after(atUs, () => startGroupFault(cluster, new Prng(seed), kind));
  }
}

function startGroupFault(cluster: SimCluster, random: Prng, kind: GroupFaultKind): void {
  switch (kind) {
    case 'coordinator-moves-twice':
      coordinatorMovesTwice(cluster, random);
      return;
    default:
      kind satisfies never;
  }
}

function coordinatorMovesTwice(cluster: SimCluster, random: Prng): void {
  const { world, config } = cluster;
  const durationUs = random.between(300, 2_500) * MS;
  const partition = partitionForGroup(GROUP_ID, config.groups.offsetsTopicPartitions);
  // Drawn now, so that the draws do not depend on when the partition is ready.
  const lagMs = config.data.lagTimeMaxMs;
  const commitsUs = random.between(100, lagMs - 300) * MS;
  const servesUs = random.between(100, lagMs - 200) * MS;
  // Waits (a while) for a leader with two live followers in its ISR: the follower left behind must be
  // a third replica, in the ISR, that can lead after the second. The controller elects the first live
  // ISR member in replica order: the other follower is the one left behind, so that it leads third.
  const deadlineUs = world.scheduler.now() + 3_000 * MS;
  const ready = () => {
    if (cluster.healed) return;
    const found = dataLeader(cluster, partition, OFFSETS_TOPIC);
    if (found !== null && found.replicas.length < 3) return;
    const followers = found?.replicas.filter((id) => id !== found.leader && found.isr.includes(id)) ?? [];
    const live = (id: NodeId) => cluster.server(id).alive && !cluster.terminating.has(id);
    if (found !== null && followers.length >= 2 && live(found.leader) && followers.every(live)) {
      leaveFollowerBehind(cluster, {
        first: found,
        partition,
        behind: followers[1]!,
        commitsUs,
        servesUs,
        durationUs,
      });
    } else if (world.scheduler.now() < deadlineUs) world.scheduler.after(20 * MS, ready);
  };
  ready();
}

function leaveFollowerBehind(
  cluster: SimCluster,
  options: {
    readonly first: { readonly leader: NodeId; readonly leaderEpoch: number };
    readonly partition: number;
    readonly behind: NodeId;
    readonly commitsUs: number;
    readonly servesUs: number;
    readonly durationUs: number;
  },
): void {
  const { world } = cluster;
  const { first, partition, behind, commitsUs, servesUs, durationUs } = options;
  const where = `${OFFSETS_TOPIC}-${partition}`;
  const lost = world.network.addRules([
    { from: new Set([behind]), to: null, kinds: new Set(['fetch']), direction: 'both' },
  ]);
  world.note(`fault: node ${behind}'s fetches lost (a follower of ${where}, led by ${first.leader})`);
  // Until the second coordinator has gone (or no second one came): the follower left behind must not
  // catch up from it meanwhile.
  let healed = false;
  const heal = () => {
    if (healed) return;
    healed = true;
    world.network.heal(lost);
    world.note(`healed: node ${behind}'s fetches lost`);
  };
  // Both shorter than replica.lag.time.max.ms: the follower left behind is still in the ISR.
  world.scheduler.after(commitsUs, () => {
    world.note(`fault: ${where}'s leader (the group coordinator) ${first.leader} shut down`);
    terminate(cluster, first.leader, durationUs);
    const watch = (deadlineUs: number) => {
      const now = dataLeader(cluster, partition, OFFSETS_TOPIC);
      if (now !== null && now.leaderEpoch > first.leaderEpoch && now.leader !== first.leader) {
        world.scheduler.after(servesUs, () => {
          world.note(`fault: ${where}'s next leader (the group coordinator) ${now.leader} shut down`);
          terminate(cluster, now.leader, durationUs);
          world.scheduler.after(durationUs, heal);
        });
        return;
      }
      if (world.scheduler.now() < deadlineUs) world.scheduler.after(2 * MS, () => watch(deadlineUs));
      else heal();
    };
    watch(world.scheduler.now() + durationUs);
  });
}

/** The leader of `topic`-`partition` in the newest image of a running node (as a client would learn it). */
function dataLeader(
  cluster: SimCluster,
  partition: number,
  topic = DATA_TOPIC,
): {
  topicId: string;
  leader: NodeId;
  leaderEpoch: number;
  replicas: NodeId[];
  isr: NodeId[];
  fencedBrokers: NodeId[];
} | null {
  let newest: MetadataImage | null = null;
  for (const server of cluster.servers.values()) {
    const image = server.image();
    if (image !== null && (newest === null || image.offset > newest.offset)) newest = image;
  }
  const topicId = newest?.topicIdsByName.get(topic);
  const registration =
    topicId === undefined ? undefined : newest?.topics.get(topicId)?.partitions.get(partition as never);
  if (topicId === undefined || registration === undefined || registration.leader === NO_LEADER) return null;
  const ids = (brokers: readonly number[]) => brokers.map((id) => id as NodeId);
  return {
    topicId,
    leader: registration.leader as number as NodeId,
    leaderEpoch: registration.leaderEpoch,
    replicas: ids(registration.replicas),
    isr: ids(registration.isr),
    fencedBrokers: ids(
      [...(newest?.brokers.values() ?? [])].filter((broker) => broker.fenced).map((broker) => broker.id),
    ),
  };
}

/**
 * Every node down while a replica's copy is damaged (bit-rot.ts) is N faults at once: beyond the
 * guarantee (acks=all records survive faults on at most N-1 replicas, or all N crashing with intact
 * disks), so such a run skips its whole-cluster crashes once a copy is damaged.
 */
function beyondTheGuarantee(cluster: SimCluster, kind: string): boolean {
  if (cluster.bitRotDamaged.size === 0) return false;
  cluster.world.note(`skipped: ${kind} (a damaged copy and every node down are N faults)`);
  return true;
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
