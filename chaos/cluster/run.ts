import { scheduleBitRot } from './bit-rot.ts';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { SimulationFailure, Violation } from '../checkers/violation.ts';
import { Prng } from '../sim/prng.ts';
import { MS } from '../sim/scheduler.ts';
import { type AdminStats, scheduleAdminWorkload } from './admin-workload.ts';
import { SimCluster } from './cluster.ts';
import { clusterConfig, TOPOLOGIES, type Topology } from './cluster-config.ts';
import { DATA_PARTITIONS, DATA_TOPIC, DataWorkload } from './data-workload.ts';
import {
  type ExplicitFault,
  healEverything,
  scheduleDataFaults,
  scheduleDiskFaults,
  scheduleExplicitFaults,
  scheduleFaults,
  scheduleGroupFaults,
} from './faults.ts';
import { GroupWorkload } from './group-workload.ts';
import { KafkaGroupWorkload } from './kafka-group-workload.ts';
import { livenessGap } from './liveness.ts';
import { CLUSTER_BUGS, type ClusterBug, type ClusterVariant, CORRECT_CLUSTER } from './planted-bugs.ts';
import { checkReplicaLogs } from './replica-logs.ts';

export interface ClusterRunStats {
  readonly topology: Topology;
  /** How long after healing the cluster was whole again (the liveness bound is config.livenessBoundMs). */
  readonly wholeAfterHealingMs: number;
  readonly events: number;
  readonly simulatedMs: number;
  readonly metadataLeaderTerms: number;
  readonly committedIndex: number;
  readonly admin: AdminStats;
  /** Values sent, acknowledged, and records read by the data clients. */
  readonly data: { readonly sent: number; readonly acknowledged: number; readonly read: number };
  /** Group commits acknowledged and with unknown outcome, and fetches of committed offsets answered. */
  readonly groups: {
    readonly commitsAcknowledged: number;
    readonly commitsUnknown: number;
    readonly fetches: number;
  };
  /** The Kafka-protocol group consumers' (with `kafkaGroups` only). */
  readonly kafkaGroups?: ClusterRunStats['groups'];
  readonly messages: number;
  /** The trace digest: two runs of one seed must print the same. */
  readonly digest: string;
}

export interface ClusterRunOptions {
  /** Forces a topology; by default the seed picks one. */
  readonly topology?: Topology;
  /** A planted bug, to show that the checkers catch it. */
  readonly bug?: ClusterBug;
  /** Replaces the world variant (a candidate fix); `bug` wins when both are given. */
  readonly variant?: ClusterVariant;
  /** An explicit fault schedule (fast-check mode) instead of the seed's four fault streams. */
  readonly faults?: readonly ExplicitFault[];
  /** Adds the bit-rot stream (bit-rot.ts): off by default, so that seeds keep their schedules. */
  readonly bitRot?: boolean;
  /**
   * Adds Kafka-protocol group consumers (kafka-group-workload.ts: the nodes' Kafka listeners, the
   * classic group protocol): off by default, so that seeds keep their schedules.
   */
  readonly kafkaGroups?: boolean;
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
  const variant =
    options.bug !== undefined ? CLUSTER_BUGS[options.bug] : (options.variant ?? CORRECT_CLUSTER);
  const cluster = new SimCluster(seed, config, variant);
  const unpatch = variant.patch?.() ?? null;
  const { world } = cluster;
  try {
    world.note(`seed ${seed}, topology ${topology}`);
    cluster.start();
    const faultEndUs = config.faultPhaseMs * MS;
    if (options.faults !== undefined) scheduleExplicitFaults(cluster, options.faults, faultEndUs);
    else {
      scheduleFaults(cluster, world.root.fork('faults'), faultEndUs);
      scheduleDiskFaults(cluster, world.root.fork('disk-faults'), faultEndUs);
      scheduleDataFaults(cluster, world.root.fork('data-faults'), faultEndUs);
      scheduleGroupFaults(cluster, world.root.fork('group-faults'), faultEndUs);
    }
    if (options.bitRot === true) scheduleBitRot(cluster, world.root.fork('bit-rot'), faultEndUs);
    const admin = scheduleAdminWorkload(cluster, world.root.fork('admin'), faultEndUs);
    const data = new DataWorkload(cluster, world.root.fork('data'));
    data.schedule(faultEndUs);
    const groups = new GroupWorkload(cluster, world.root.fork('groups'), data);
    groups.schedule(faultEndUs);
    const kafkaGroups =
      options.kafkaGroups === true ? new KafkaGroupWorkload(cluster, world.root.fork('kafka-groups'), data) : null;
    kafkaGroups?.schedule(faultEndUs);
    await world.runUntil(faultEndUs, () => {});
    healEverything(cluster);
    const healedMs = world.nowMs();
    // Only a controlled shutdown under way when everything healed may still stop a node, once.
    const restartsAllowed = [...cluster.servers.values()].map(
      (server) => server.restarts + (cluster.terminating.has(server.id) ? 1 : 0),
    );
    const wholeMs = await checkLiveness(cluster);
    const highWatermarks = await checkData(cluster, data);
    await checkGroups(cluster, groups, highWatermarks);
    if (kafkaGroups !== null) await checkKafkaGroups(cluster, kafkaGroups, highWatermarks);
    const restarted = [...cluster.servers.values()].filter(
      (server, i) => server.restarts > restartsAllowed[i]! + (cluster.damageStops.get(server.id) ?? 0),
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
      data: {
        sent: data.history.sent,
        acknowledged: data.history.acknowledged.length,
        read: data.history.reads.length,
      },
      groups: {
        commitsAcknowledged: groups.history.commitsAcknowledged,
        commitsUnknown: groups.history.commitsUnknown,
        fetches: groups.history.fetches,
      },
      ...(kafkaGroups === null
        ? {}
        : {
            kafkaGroups: {
              commitsAcknowledged: kafkaGroups.history.commitsAcknowledged,
              commitsUnknown: kafkaGroups.history.commitsUnknown,
              fetches: kafkaGroups.history.fetches,
            },
          }),
      messages: world.network.stats.sent,
      digest: world.trace.digest(),
    };
  } catch (error) {
    throw new SimulationFailure(seed, world.nowMs(), error, world.recentJournal());
  } finally {
    unpatch?.();
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

/** Runs the world until `task` settles or `boundMs` pass; returns its outcome, or null at the bound. */
async function within<T>(
  cluster: SimCluster,
  boundMs: number,
  task: Promise<T>,
): Promise<{ value: T } | null> {
  let outcome: { value: T } | { error: unknown } | null = null;
  task.then(
    (value) => {
      outcome = { value };
    },
    (error: unknown) => {
      outcome = { error };
    },
  );
  const { world } = cluster;
  await world.runUntil(
    world.scheduler.now() + boundMs * MS,
    () => {},
    () => outcome !== null,
  );
  const settled = outcome as { value: T } | { error: unknown } | null;
  if (settled !== null && 'error' in settled) throw settled.error;
  return settled;
}

/**
 * The data plane after healing: an acks=all produce to every partition succeeds within the bound (the
 * producer asks again, as a user would, after each failure), then each partition is read from offset
 * 0 to its high watermark through its leader, and the history is checked against it. Returns each
 * partition's final high watermark.
 */
async function checkData(cluster: SimCluster, data: DataWorkload): Promise<Map<number, number>> {
  const { config, world } = cluster;
  const retry = async <T>(attempt: () => Promise<T | null | false>): Promise<T> => {
    for (;;) {
      const result = await attempt();
      if (result !== null && result !== false) return result;
      await sleep(world.scheduler, 100);
    }
  };
  for (let partition = 0; partition < DATA_PARTITIONS; partition++) {
    const produced = await within(
      cluster,
      config.livenessBoundMs,
      retry(() => data.produce(-1, partition)),
    );
    if (produced === null) {
      throw new Violation(
        'liveness',
        `no acks=all produce to ${DATA_TOPIC}-${partition} succeeded within ${config.livenessBoundMs} ms of healing`,
      );
    }
  }
  const final = new Map<number, Map<number, string>>();
  const highWatermarks = new Map<number, number>();
  for (let partition = 0; partition < DATA_PARTITIONS; partition++) {
    const acknowledgedEnd = Math.max(
      0,
      ...data.history.acknowledged
        .filter((ack) => ack.partition === partition && ack.acks === -1)
        .map((ack) => ack.offset + 1),
    );
    const records = new Map<number, string>();
    const readAll = async (): Promise<true> => {
      let next = 0;
      for (;;) {
        const response = await retry(() => data.readOnce(partition, next));
        for (const { header } of batchesIn(Buffer.from(response.bytes))) {
          for (const record of decodeRecords(header))
            records.set(record.offset, record.value?.toString('utf8') ?? '<null>');
        }
        next = response.nextOffset;
        highWatermarks.set(partition, response.highWatermark);
        if (next >= response.highWatermark && response.highWatermark >= acknowledgedEnd) return true;
        if (next >= response.highWatermark) await sleep(world.scheduler, 100);
      }
    };
    if ((await within(cluster, config.livenessBoundMs, readAll())) === null) {
      throw new Violation(
        'liveness',
        `${DATA_TOPIC}-${partition} could not be read to its acknowledged end ${acknowledgedEnd} within ${config.livenessBoundMs} ms`,
      );
    }
    final.set(partition, records);
  }
  data.history.checkFinal(final);
  await checkReplicaLogs(
    cluster,
    final,
    (boundMs, task) => within(cluster, boundMs, task),
    config.livenessBoundMs,
  );
  return highWatermarks;
}

/**
 * The groups after healing: the committed offsets fetched through every node (each asked again until it
 * answers, within the bound) are checked like those fetched during the run, and every committed offset
 * seen must lie within the final log.
 */
async function checkGroups(
  cluster: SimCluster,
  groups: GroupWorkload,
  highWatermarks: ReadonlyMap<number, number>,
): Promise<void> {
  const { config, world } = cluster;
  for (const id of config.servers) {
    const fetched = async (): Promise<true> => {
      while (!(await groups.observe(id))) await sleep(world.scheduler, 100);
      return true;
    };
    if ((await within(cluster, config.livenessBoundMs, fetched())) === null) {
      throw new Violation(
        'liveness',
        `no fetch of the group's committed offsets through node ${id} succeeded within ${config.livenessBoundMs} ms of healing`,
      );
    }
  }
  groups.history.checkFinal(highWatermarks);
}

/**
 * The Kafka group after healing: its committed offsets, fetched from its coordinator (found again until
 * it answers, within the bound), are checked like those fetched during the run, and must lie within the
 * final log.
 */
async function checkKafkaGroups(
  cluster: SimCluster,
  groups: KafkaGroupWorkload,
  highWatermarks: ReadonlyMap<number, number>,
): Promise<void> {
  const { config, world } = cluster;
  const fetched = async (): Promise<true> => {
    while (!(await groups.observe())) await sleep(world.scheduler, 100);
    return true;
  };
  if ((await within(cluster, config.livenessBoundMs, fetched())) === null) {
    throw new Violation(
      'liveness',
      `no fetch of the Kafka group's committed offsets from its coordinator succeeded within ${config.livenessBoundMs} ms of healing`,
    );
  }
  groups.history.checkFinal(highWatermarks);
}

function sleep(scheduler: SimCluster['world']['scheduler'], ms: number): Promise<void> {
  return new Promise((resolve) => scheduler.after(ms * MS, resolve));
}
