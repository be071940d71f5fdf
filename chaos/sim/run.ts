import { DurabilityChecker } from '../checkers/durability.ts';
import { LivenessChecker } from '../checkers/liveness.ts';
import { SimulationFailure, Violation } from '../checkers/violation.ts';
import { CORRECT_WORLD, Cluster, type WorldVariant } from './cluster.ts';
import { DEFAULT_CONFIG, electionTimeoutMaxUs, type SimConfig } from './config.ts';
import { healEverything, scheduleFaults } from './faults.ts';
import { Prng } from './prng.ts';
import { randomSchedule, type Schedule } from './schedule.ts';
import { MS } from './scheduler.ts';

export interface RunStats {
  readonly events: number;
  readonly simulatedMs: number;
  readonly proposed: number;
  readonly acknowledged: number;
  readonly committedIndex: number;
  readonly leaderTerms: number;
  readonly messages: number;
  readonly readsAnswered: number;
}

export interface RunOptions {
  readonly config?: SimConfig;
  readonly world?: WorldVariant;
}

/** The plain mode: the schedule too comes from the seed. */
export function scheduleForSeed(seed: number): Schedule {
  return randomSchedule(seed, new Prng(seed).fork('schedule'));
}

/**
 * One run: a safety phase with the schedule's faults and a client workload, with every checker running
 * after every event; then everything heals and liveness must follow within bounds; finally no
 * acknowledged value may be missing anywhere. Throws a Violation (or the core's own assertion error).
 */
export function runSchedule(schedule: Schedule, options: RunOptions = {}): RunStats {
  const config = options.config ?? DEFAULT_CONFIG;
  const cluster = new Cluster(schedule, config, options.world ?? CORRECT_WORLD);
  try {
    return runCluster(cluster, schedule);
  } catch (error) {
    throw new SimulationFailure(schedule.seed, cluster.scheduler.now() / MS, error, cluster.recentJournal());
  }
}

function runCluster(cluster: Cluster, schedule: Schedule): RunStats {
  cluster.start();
  scheduleFaults(cluster, schedule.faults);
  scheduleWorkload(cluster, schedule);
  runUntil(cluster, schedule.faultMs * MS, () => false);
  healEverything(cluster);
  checkLiveness(cluster);
  const nodes = [...cluster.nodes.values()].map((node) => {
    const byIndex = new Map<number, string>();
    for (const [index, , value] of node.stateMachine.applied) byIndex.set(index, value);
    return { id: node.id, valueAt: (index: number) => byIndex.get(index) ?? null };
  });
  DurabilityChecker.checkAcknowledged(cluster.client.acknowledged, nodes);
  return {
    events: cluster.scheduler.eventsRun,
    simulatedMs: Math.round(cluster.scheduler.now() / MS),
    proposed: cluster.client.proposed,
    acknowledged: cluster.client.acknowledged.length,
    committedIndex: cluster.chain.highest,
    leaderTerms: cluster.electionSafety.termsWithLeader,
    messages: cluster.network.stats.sent,
    readsAnswered: cluster.reads.answered,
  };
}

function scheduleWorkload(cluster: Cluster, schedule: Schedule): void {
  const random = cluster.root.fork('workload');
  const endUs = schedule.faultMs * MS;
  const next = (): void => {
    const gapUs = random.between(1, 2 * schedule.proposalIntervalMs * MS);
    if (cluster.scheduler.now() + gapUs >= endUs) return;
    cluster.scheduler.after(gapUs, () => {
      cluster.client.proposeNew();
      next();
    });
  };
  next();
  // Reads at the same mean rate as proposals, from their own stream (the schedule stays as it was).
  const readRandom = cluster.root.fork('read-workload');
  const nextRead = (): void => {
    const gapUs = readRandom.between(1, 2 * schedule.proposalIntervalMs * MS);
    if (cluster.scheduler.now() + gapUs >= endUs) return;
    cluster.scheduler.after(gapUs, () => {
      cluster.reader.read();
      nextRead();
    });
  };
  nextRead();
}

/** Runs events up to `untilUs` (checking after each) or until `done()`; returns whether `done()` held. */
function runUntil(cluster: Cluster, untilUs: number, done: () => boolean): boolean {
  const { scheduler } = cluster;
  let checkedAtUs = -1;
  while (scheduler.runNext(untilUs)) {
    cluster.afterEvent();
    if (scheduler.eventsRun > cluster.config.eventsMax) {
      throw new Violation('liveness', `the run exceeded ${cluster.config.eventsMax} events`);
    }
    // Goals are polled once per simulated millisecond: they read every node's status, which is costly.
    if (scheduler.now() - checkedAtUs < MS) continue;
    checkedAtUs = scheduler.now();
    if (done()) return true;
  }
  scheduler.advanceTo(untilUs);
  return done();
}

/** The liveness phase: a leader, a fresh proposal committed, a read index answered, every node at one index. */
function checkLiveness(cluster: Cluster): void {
  const { scheduler, client, config } = cluster;
  const checker = new LivenessChecker(scheduler.now());
  const electionUs = electionTimeoutMaxUs(config);
  const leaderDeadline = scheduler.now() + config.leaderBoundElections * electionUs;
  if (!runUntil(cluster, leaderDeadline, () => cluster.leader() !== null)) {
    checker.expire('leader', scheduler.now(), leaderDeadline, cluster.livenessView());
  }
  const commitDeadline = scheduler.now() + config.convergeBoundElections * electionUs;
  // A proposal whose fate is unknown (its leader was deposed) is never retried as is: a new value is.
  const finals: string[] = [];
  const acknowledgedFinal = () => finals.some((value) => client.isAcknowledged(value));
  while (!acknowledgedFinal()) {
    finals.push(client.proposeNew('final'));
    runUntil(cluster, Math.min(commitDeadline, scheduler.now() + electionUs), acknowledgedFinal);
    if (!acknowledgedFinal())
      checker.expire('commit of a fresh proposal', scheduler.now(), commitDeadline, cluster.livenessView());
  }
  // A read index at the leader is answered (a lost read is asked again); the checker holds it to at least
  // the final commit.
  const readIds: number[] = [];
  const readAnswered = () => readIds.some((id) => cluster.reader.answers.has(id));
  while (!readAnswered()) {
    const leader = cluster.leader();
    if (leader !== null) readIds.push(cluster.reader.read(leader.id));
    runUntil(cluster, Math.min(commitDeadline, scheduler.now() + electionUs), readAnswered);
    if (!readAnswered())
      checker.expire('answer to a read index', scheduler.now(), commitDeadline, cluster.livenessView());
  }
  const target = Math.max(
    ...client.acknowledged.filter((ack) => finals.includes(ack.value)).map((ack) => ack.index),
  );
  const converged = () => LivenessChecker.converged(cluster.livenessView(), target);
  if (!runUntil(cluster, commitDeadline, converged)) {
    checker.expire(
      `convergence at index >= ${target}`,
      scheduler.now(),
      commitDeadline,
      cluster.livenessView(),
    );
  }
}
