import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { SimulationFailure, Violation } from '../checkers/violation.ts';
import { MS } from '../sim/scheduler.ts';
import { type AdminStats, scheduleAdminWorkload } from './admin-workload.ts';
import { SimCluster } from './cluster.ts';
import { clusterConfig, TOPOLOGIES, type Topology } from './cluster-config.ts';
import { healEverything, scheduleFaults } from './faults.ts';
import { livenessGap } from './liveness.ts';
import { CLUSTER_BUGS, type ClusterBug, CORRECT_CLUSTER } from './planted-bugs.ts';
import { Prng } from '../sim/prng.ts';

export interface ClusterRunStats {
  readonly topology: Topology;
  /** How long after healing the cluster was whole again (the liveness bound is config.livenessBoundMs). */
  readonly wholeAfterHealingMs: number;
  readonly events: number;
  readonly simulatedMs: number;
  readonly metadataLeaderTerms: number;
  readonly committedIndex: number;
  readonly admin: AdminStats;
  readonly messages: number;
  /** The trace digest: two runs of one seed must print the same. */
  readonly digest: string;
}

export interface ClusterRunOptions {
  /** Forces a topology; by default the seed picks one. */
  readonly topology?: Topology;
  /** A planted bug, to show that the checkers catch it. */
  readonly bug?: ClusterBug;
}

export function topologyForSeed(seed: number): Topology {
  return new Prng(seed).fork('topology').pick(TOPOLOGIES);
}

/**
 * One whole-cluster run: a safety phase with the seed's faults and admin workload (every checker runs
 * as nodes apply), then everything heals and the cluster must be whole again within a bound, and a
 * fresh topic must be created. Throws a SimulationFailure with the seed and the recent journal.
 */
export async function runClusterSeed(
  seed: number,
  options: ClusterRunOptions = {},
): Promise<ClusterRunStats> {
  const topology = options.topology ?? topologyForSeed(seed);
  const config = clusterConfig(topology);
  const cluster = new SimCluster(
    seed,
    config,
    options.bug === undefined ? CORRECT_CLUSTER : CLUSTER_BUGS[options.bug],
  );
  const { world } = cluster;
  try {
    world.note(`seed ${seed}, topology ${topology}`);
    cluster.start();
    const faultEndUs = config.faultPhaseMs * MS;
    scheduleFaults(cluster, world.root.fork('faults'), faultEndUs);
    const admin = scheduleAdminWorkload(cluster, world.root.fork('admin'), faultEndUs);
    await world.runUntil(faultEndUs, () => {});
    healEverything(cluster);
    const healedMs = world.nowMs();
    // Only a controlled shutdown under way when everything healed may still stop a node, once.
    const restartsAllowed = [...cluster.servers.values()].map(
      (server) => server.restarts + (cluster.terminating.has(server.id) ? 1 : 0),
    );
    const wholeMs = await checkLiveness(cluster);
    const restarted = [...cluster.servers.values()].filter(
      (server, i) => server.restarts > restartsAllowed[i]!,
    );
    if (restarted.length > 0) {
      throw new Violation('harness', `nodes ${restarted.map((server) => server.id)} went down after healing`);
    }
    return {
      topology,
      wholeAfterHealingMs: Math.round(wholeMs - healedMs),
      events: world.scheduler.eventsRun,
      simulatedMs: Math.round(world.nowMs()),
      metadataLeaderTerms: cluster.electionSafety.termsWithLeader,
      committedIndex: cluster.metadata.highest,
      admin,
      messages: world.network.stats.sent,
      digest: world.trace.digest(),
    };
  } catch (error) {
    throw new SimulationFailure(seed, world.nowMs(), error, world.recentJournal());
  }
}

/** Returns when (simulated ms) the cluster was whole again. */
async function checkLiveness(cluster: SimCluster): Promise<number> {
  const { world, config } = cluster;
  const deadlineUs = world.scheduler.now() + config.livenessBoundMs * MS;
  let gap: string | null = 'not checked';
  const whole = () => {
    gap = livenessGap(cluster);
    return gap === null;
  };
  if (!(await world.runUntil(deadlineUs, () => {}, whole))) {
    throw new Violation('liveness', `not whole ${config.livenessBoundMs} ms after healing: ${gap}`);
  }
  world.note('whole again');
  const wholeMs = world.nowMs();
  // A fresh write must commit, be answered, and reach every node. A broker whose session expired while
  // its heartbeats were lost is fenced once more just after healing, and unfenced at its next heartbeat:
  // so a refusal is retried, as a user would, until the bound; an unknown outcome may have created it.
  const name = 'after-healing';
  let created = false;
  let lastError = '';
  const attempt = () => {
    cluster.admin.call('create-topic', { name, partitionsCount: 2, configs: [], validateOnly: false }).then(
      () => {
        created = true;
      },
      (error: unknown) => {
        if (isKafkaError(error, 'TOPIC_ALREADY_EXISTS')) created = true;
        else {
          lastError = (error as Error).message;
          cluster.adminProcess.timers.setTimeout(attempt, 200);
        }
      },
    );
  };
  attempt();
  const visible = () =>
    created &&
    [...cluster.servers.values()].every((server) => server.image()?.topicIdsByName.has(name) === true);
  if (!(await world.runUntil(world.scheduler.now() + config.livenessBoundMs * MS, () => {}, visible))) {
    throw new Violation(
      'liveness',
      `a topic created after healing did not reach every node within ${config.livenessBoundMs} ms (${created ? 'created' : `last error: ${lastError}`})`,
    );
  }
  return wholeMs;
}
