// `npm run chaos`: real nodes (three combined, or three controllers and two brokers), producers (acks=all
// over REST, acks=1 to the leaders' internal listener) and consumers, a seeded nemesis (kill -9, kill -9
// of a partition leader, SIGSTOP/SIGCONT, SIGTERM + restart, kill-all, network partitions through
// per-pair proxies, and compound schedules: a failover then the rest killed, every node killed and
// restarted in a seeded order), optionally group requests while a broker is down at start, then heal,
// final reads and the checks. Prints a report, keeps the history (JSON lines) and the node logs under .chaos/.
import { randomInt } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Prng } from '../sim/prng.ts';
import { check } from './checker.ts';
import { AcksOneProducer } from './acks1-producer.ts';
import { NemesisCluster, sleep, TOPOLOGIES, type TopicSpec, type Topology, waitUntil } from './cluster.ts';
import { History, type NemesisEvent } from './history.ts';
import { FAULT_KINDS, type FaultKind, Nemesis } from './nemesis.ts';
import { finalGroupOffsets, GROUP_ID, GroupConsumer } from './group-consumer.ts';
import { earlyGroupRequests, GroupLagsObserver, readOffsetsTopic } from './observers.ts';
import { formatReport } from './report.ts';
import { Consumer, diskRead, finalRestRead, Producer, type WorkloadOptions } from './workload.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

const HELP = `npm run chaos -- [options]

Three real combined nodes (RF 3, min.insync.replicas 2), or 3 controllers + 2 brokers (RF 2,
min.insync.replicas 1); producers (acks=all) and consumers over the REST API through random brokers,
acks=1 producers (topic chaos-acks1) to the partition leaders' internal listener, a group, observers of
end offsets and committed offsets, and a seeded nemesis: kill -9 of a node, kill -9 of a partition's
leader, SIGSTOP/SIGCONT, SIGTERM (controlled shutdown), each followed by a restart; kill-all (every node
kill -9'd together, then restarted); network partitions of the internal traffic (isolate, halves,
one-way, bridge), then healed; failover-then-rest (kill -9 of a leader, a new leader acknowledges an
acks=all send, the others kill -9'd, restarts in a seeded order, sometimes the old leader first);
crash-restart-order (every node kill -9'd, restarts in a seeded order with seeded gaps). One fault at a
time. Early groups: the cluster starts with one broker down and group requests are made at once.
After the time limit: heal, final reads through every node and of every node's log files, then the checks.
Exit 0 when every check passes, 1 when one fails, 2 on a usage or setup error.

  --seed N              the nemesis schedule's seed (default: random; printed, replays kinds, targets, timings)
  --time-limit-s S      how long faults and workload run (default 60)
  --producers N         producer loops (default 4)
  --consumers N         consumer loops (default 2)
  --group-consumers N   REST v2 consumer instances in group nemesis-group (default 2; 0: no group)
  --acks1-producers N   acks=1 producer loops on topic chaos-acks1 (default 2; 0: no acks=1 topic)
  --acks1-consumers N   consumer loops on chaos-acks1 (default 1)
  --partitions N        partitions of each topic (default 3)
  --topology T          3 (three combined nodes, the default) or 3+2 (3 controllers + 2 brokers)
  --early-groups        start with one broker down and make group requests at once (default: a third
  --no-early-groups     of the seeds, drawn from the seed)
  --min-gap-ms MS       quiet time before a fault, at least (default 2000)
  --max-gap-ms MS       ... at most (default 5000)
  --faults K,K,...       the fault kinds drawn from, in this order (default: all of ${FAULT_KINDS.join(', ')})
  --heal-timeout-s S    bound on the wait for every node ready and every ISR full (default 60)
  --out DIR             where runs are kept (default .chaos in the repository)
  --keep-data           keep the nodes' data directories (kept anyway when a check fails)
  --summary-file FILE   write {passed, failed} check counts as JSON (CI adds them to its closing line)
  --help                this text
`;

interface Options {
  readonly seed: number;
  readonly timeLimitS: number;
  readonly producers: number;
  readonly consumers: number;
  readonly groupConsumers: number;
  readonly partitions: number;
  readonly acksOneProducers: number;
  readonly acksOneConsumers: number;
  readonly topology: Topology;
  /** null: drawn from the seed. */
  readonly earlyGroups: boolean | null;
  readonly minGapMs: number;
  readonly maxGapMs: number;
  readonly healTimeoutS: number;
  readonly faults: readonly FaultKind[];
  readonly out: string;
  readonly keepData: boolean;
  /** Where to write {passed, failed} counts of the checks (CI's closing line adds them up). */
  readonly summaryFile: string | null;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      'time-limit-s': { type: 'string' },
      producers: { type: 'string' },
      consumers: { type: 'string' },
      'group-consumers': { type: 'string' },
      partitions: { type: 'string' },
      'acks1-producers': { type: 'string' },
      'acks1-consumers': { type: 'string' },
      topology: { type: 'string' },
      'early-groups': { type: 'boolean' },
      'no-early-groups': { type: 'boolean' },
      'min-gap-ms': { type: 'string' },
      'max-gap-ms': { type: 'string' },
      'heal-timeout-s': { type: 'string' },
      faults: { type: 'string' },
      out: { type: 'string' },
      'keep-data': { type: 'boolean' },
      'summary-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return null;
  const int = (
    name: string,
    text: string | undefined,
    fallback: number,
    min: number,
    max: number,
  ): number => {
    if (text === undefined) return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${text}`);
    }
    return value;
  };
  const minGapMs = int('min-gap-ms', values['min-gap-ms'], 2000, 0, 600_000);
  const maxGapMs = int('max-gap-ms', values['max-gap-ms'], 5000, 0, 600_000);
  if (maxGapMs < minGapMs) throw new UsageError('--max-gap-ms must be at least --min-gap-ms');
  const topology = values.topology ?? '3';
  if (!TOPOLOGIES.includes(topology as Topology))
    throw new UsageError(`--topology must be one of ${TOPOLOGIES.join(', ')}, got ${topology}`);
  if (values['early-groups'] === true && values['no-early-groups'] === true)
    throw new UsageError('--early-groups and --no-early-groups exclude each other');
  return {
    seed: int('seed', values.seed, randomInt(0, 2 ** 32 - 1), 0, 2 ** 32 - 1),
    timeLimitS: int('time-limit-s', values['time-limit-s'], 60, 1, 86_400),
    producers: int('producers', values.producers, 4, 1, 64),
    consumers: int('consumers', values.consumers, 2, 0, 64),
    groupConsumers: int('group-consumers', values['group-consumers'], 2, 0, 64),
    partitions: int('partitions', values.partitions, 3, 1, 64),
    acksOneProducers: int('acks1-producers', values['acks1-producers'], 2, 0, 64),
    acksOneConsumers: int('acks1-consumers', values['acks1-consumers'], 1, 0, 64),
    topology: topology as Topology,
    earlyGroups: values['early-groups'] === true ? true : values['no-early-groups'] === true ? false : null,
    minGapMs,
    maxGapMs,
    healTimeoutS: int('heal-timeout-s', values['heal-timeout-s'], 60, 1, 3600),
    faults: parseFaults(values.faults),
    out: resolve(REPO, values.out ?? '.chaos'),
    keepData: values['keep-data'] === true,
    summaryFile: values['summary-file'] === undefined ? null : resolve(values['summary-file']),
  };
}

function parseFaults(text: string | undefined): readonly FaultKind[] {
  if (text === undefined) return FAULT_KINDS;
  const kinds = text.split(',').map((kind) => kind.trim());
  const known = new Set<string>(FAULT_KINDS);
  const unknown = kinds.filter((kind) => !known.has(kind));
  if (unknown.length > 0 || kinds.length === 0)
    throw new UsageError(
      `--faults: unknown kind ${unknown.join(', ')}; the kinds are ${FAULT_KINDS.join(', ')}`,
    );
  return kinds as FaultKind[];
}

async function writeSummary(path: string | null, counts: { passed: number; failed: number }): Promise<void> {
  if (path === null) return;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(counts)}\n`);
}

function say(text: string): void {
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 23)}] ${text}\n`);
}

async function main(): Promise<number> {
  let options: Options | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const o = options;
  const startedAt = performance.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const runDir = join(o.out, `${stamp}-seed-${o.seed}`);
  const topic = 'chaos';
  const acksOneTopic = o.acksOneProducers > 0 ? 'chaos-acks1' : null;
  const replay =
    `npm run chaos -- --seed ${o.seed} --time-limit-s ${o.timeLimitS}` +
    `${o.producers !== 4 ? ` --producers ${o.producers}` : ''}${o.consumers !== 2 ? ` --consumers ${o.consumers}` : ''}` +
    `${o.groupConsumers !== 2 ? ` --group-consumers ${o.groupConsumers}` : ''}` +
    `${o.acksOneProducers !== 2 ? ` --acks1-producers ${o.acksOneProducers}` : ''}` +
    `${o.acksOneConsumers !== 1 ? ` --acks1-consumers ${o.acksOneConsumers}` : ''}` +
    `${o.partitions !== 3 ? ` --partitions ${o.partitions}` : ''}` +
    `${o.topology !== '3' ? ` --topology ${o.topology}` : ''}` +
    `${o.earlyGroups === true ? ' --early-groups' : o.earlyGroups === false ? ' --no-early-groups' : ''}` +
    `${o.minGapMs !== 2000 ? ` --min-gap-ms ${o.minGapMs}` : ''}${o.maxGapMs !== 5000 ? ` --max-gap-ms ${o.maxGapMs}` : ''}` +
    `${o.faults.join(',') !== FAULT_KINDS.join(',') ? ` --faults ${o.faults.join(',')}` : ''}`;
  say(`seed ${o.seed}; run directory ${relative(process.cwd(), runDir) || runDir}`);

  // With two brokers (3+2), min.insync.replicas 2 would stop every acks=all produce while one broker is
  // faulty, and failover-then-rest could never see a new leader acknowledge: 1 keeps the partitions
  // writable with one replica in the ISR (acknowledged records are still on every ISR member, and
  // unclean election is off), which is also the case where the leader alone moves the high watermark.
  const minInsyncReplicas = o.topology === '3' ? 2 : 1;
  const cluster = await NemesisCluster.create(runDir, o.topology, {
    'min.insync.replicas': String(minInsyncReplicas),
  });
  const replicationFactor = cluster.replicationFactor();
  const topology = o.topology === '3' ? '3 combined nodes' : '3 controllers (1-3) + 2 brokers (4-5)';
  cluster.onCrash = (id, how) => {
    say(`node ${id} exited by itself (${how}); restarted`);
    event('crash', `node ${id} exited by itself (${how}); restarted`);
  };
  // The history's times count from here (before the cluster starts: the early-groups scenario is in it).
  const historyPath = join(runDir, 'history.jsonl');
  const h = new History(historyPath);
  const history: History | null = h;
  const nemesisStop = new AbortController();
  const workStop = new AbortController();

  // Whatever happens, no node outlives the runner.
  let interrupted = false;
  const onSignal = (signal: string): void => {
    if (interrupted) return;
    interrupted = true;
    say(`${signal}: killing the nodes; history so far in ${historyPath}, node logs in ${runDir}`);
    cluster.killAllNow();
    void (history?.close() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGHUP', () => onSignal('SIGHUP'));
  process.on('exit', () => cluster.killAllNow());

  const event = (event: string, detail: string): void => {
    history?.append<NemesisEvent>({ type: 'info', f: 'nemesis', process: 'nemesis', event, detail });
  };

  try {
    const root = new Prng(o.seed);
    // Early groups: one broker down at start (a third of the seeds unless the option says), started after
    // a short or a long delay (longer than the 15 s a node retries a group request: then the requests
    // answer while it is still down).
    const early = root.fork('early-groups');
    const earlyOn = early.nextInt(3) === 0;
    const earlyDown = early.pick(cluster.brokerIds());
    const earlyDelayMs = early.chance(0.5) ? early.between(0, 3000) : early.between(16_000, 17_000);
    const earlyGroups = (o.earlyGroups ?? earlyOn) ? { down: earlyDown, delayMs: earlyDelayMs } : null;
    let earlyBrokerStartedAt: number | null = null;

    // Setup
    const first = cluster.ids().filter((id) => id !== earlyGroups?.down);
    for (const id of first) cluster.start(id);
    if (!(await waitUntil(() => cluster.healthy([], first), 60_000))) {
      throw new Error('the cluster did not become ready within 60 s');
    }
    if (earlyGroups !== null) {
      const nodes = cluster.clientNodes().filter((id) => id !== earlyGroups.down);
      say(
        `early groups: broker ${earlyGroups.down} down; group requests through ${nodes.join(', ')}, ` +
          `broker ${earlyGroups.down} started after ${earlyGroups.delayMs} ms`,
      );
      event(
        'early-groups',
        `broker ${earlyGroups.down} down; group requests through nodes ${nodes.join(', ')}`,
      );
      const requests = Promise.all(nodes.map((node) => earlyGroupRequests(cluster, h, node, topic)));
      await sleep(earlyGroups.delayMs);
      cluster.start(earlyGroups.down);
      earlyBrokerStartedAt = h.now();
      event('early-broker-started', `broker ${earlyGroups.down} started`);
      await requests;
      if (!(await waitUntil(() => cluster.healthy([]), 60_000))) {
        throw new Error('the cluster did not become ready within 60 s');
      }
    }
    const topics: TopicSpec[] = [{ name: topic, partitions: o.partitions }];
    if (acksOneTopic !== null) topics.push({ name: acksOneTopic, partitions: o.partitions });
    for (const spec of topics) {
      const created = await cluster.http(cluster.clientNodes()[0]!, 'POST', cluster.topicsPath(), {
        body: {
          topic_name: spec.name,
          partitions_count: spec.partitions,
          replication_factor: replicationFactor,
          configs: [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
        },
        timeoutMs: 15_000,
      });
      if (created.status !== 201)
        throw new Error(`create topic ${spec.name}: ${created.status} ${JSON.stringify(created.body)}`);
    }
    if (!(await waitUntil(() => cluster.healthy(topics), 30_000))) {
      throw new Error(`topics not on every node with full ISRs within 30 s`);
    }
    say(
      `cluster ${cluster.clusterId} (${topology}) up, topics ${topics.map((t) => t.name).join(', ')} created; ` +
        `faults and workload for ${o.timeLimitS} s`,
    );

    // Workload and faults
    const workload: WorkloadOptions = {
      topic,
      partitions: o.partitions,
      produceTimeoutMs: 10_000,
      pollTimeoutMs: 5000,
    };
    const acksOne: WorkloadOptions = { ...workload, topic: acksOneTopic ?? topic };
    const deps = (label: string, options = workload) => ({
      cluster,
      history: h,
      random: root.fork(label),
      options,
    });
    const producers = Array.from({ length: o.producers }, (_, i) => new Producer(i, deps(`producer-${i}`)));
    const consumers = Array.from({ length: o.consumers }, (_, i) => new Consumer(i, deps(`consumer-${i}`)));
    const acksOneClients =
      acksOneTopic === null
        ? []
        : [
            ...Array.from(
              { length: o.acksOneProducers },
              (_, i) => new AcksOneProducer(i, deps(`acks1-producer-${i}`, acksOne)),
            ),
            ...Array.from(
              { length: o.acksOneConsumers },
              (_, i) => new Consumer(i, deps(`acks1-consumer-${i}`, acksOne), 'ac'),
            ),
          ];
    const groupConsumers = Array.from(
      { length: o.groupConsumers },
      (_, i) => new GroupConsumer(i, deps(`group-consumer-${i}`)),
    );
    const observers =
      o.groupConsumers > 0
        ? [
            new GroupLagsObserver({
              cluster,
              history: h,
              random: root.fork('observer'),
              group: GROUP_ID,
              topic,
            }),
          ]
        : [];
    const nemesis = new Nemesis(cluster, h, root.fork('nemesis'), {
      topic,
      partitions: o.partitions,
      healthTopics: topics,
      probe: workload,
      minGapMs: o.minGapMs,
      maxGapMs: o.maxGapMs,
      recoveryTimeoutMs: 30_000,
      kinds: o.faults,
    });
    event(
      'start',
      `seed ${o.seed}, ${topology}, ${o.producers} producers, ${o.consumers} consumers, ${o.groupConsumers} group consumers, ` +
        `${acksOneTopic === null ? 0 : o.acksOneProducers} acks=1 producers`,
    );
    const phaseStarted = performance.now();
    const clients = [...producers, ...consumers, ...acksOneClients, ...groupConsumers, ...observers].map(
      (client) => client.run(workStop.signal),
    );
    const faults = nemesis.run(nemesisStop.signal);
    let lastCount = 0;
    while (performance.now() - phaseStarted < o.timeLimitS * 1000) {
      await sleep(Math.min(1000, o.timeLimitS * 1000 - (performance.now() - phaseStarted)));
      if (nemesis.done.length !== lastCount) {
        lastCount = nemesis.done.length;
        const last = nemesis.done[lastCount - 1]!;
        say(`fault #${last.fault.n}: ${last.fault.kind} ${last.who} (${lastCount} so far)`);
      }
    }
    const faultPhaseMs = performance.now() - phaseStarted;

    // Heal: end the fault in progress, continue or restart every node, wait for full ISRs.
    nemesisStop.abort();
    await faults;
    event('heal', 'faults stopped; network healed, continuing and restarting every node');
    cluster.heal();
    for (const id of cluster.ids()) {
      if (cluster.state(id) === 'paused') cluster.resume(id);
      if (cluster.state(id) === 'stopped') cluster.start(id);
    }
    const healStarted = performance.now();
    const healedOk = await waitUntil(() => cluster.healthy(topics), o.healTimeoutS * 1000);
    const healed = {
      ok: healedOk,
      ms: Math.round(performance.now() - healStarted),
      boundMs: o.healTimeoutS * 1000,
    };
    event(healedOk ? 'healed' : 'not-healed', `after ${healed.ms} ms`);
    say(healedOk ? `healed after ${healed.ms} ms` : `NOT healed within ${o.healTimeoutS} s`);
    // The workload runs a little longer on the healed cluster, then drains.
    await sleep(2000);
    workStop.abort();
    await Promise.all(clients);
    event('workload-stopped', 'producers and consumers done');

    // Final reads: through every broker, then every broker's log files once the cluster has stopped.
    say('final reads');
    const readers = cluster.clientNodes();
    for (const spec of topics) {
      const options = { ...workload, topic: spec.name };
      for (const node of readers) {
        for (let partition = 0; partition < spec.partitions; partition++) {
          await finalRestRead(cluster, h, options, node, partition);
        }
      }
    }
    // The group's committed offsets through every broker (the v3 lags of nemesis-group).
    if (o.groupConsumers > 0) {
      for (const node of readers) await finalGroupOffsets(cluster, h, topic, node);
    }
    for (const node of readers) await readOffsetsTopic(cluster, h, node);
    event('stop', 'SIGTERM to every node');
    await Promise.all(cluster.ids().map((id) => cluster.terminate(id, 20_000)));
    for (const spec of topics) {
      const options = { ...workload, topic: spec.name };
      for (const node of cluster.brokerIds()) {
        for (let partition = 0; partition < spec.partitions; partition++) {
          await diskRead(cluster, h, options, node, partition);
        }
      }
    }

    const { results, info } = check({
      ops: h.ops,
      topics: topics.map((spec) => ({ ...spec, acks: spec.name === topic ? 'all' : '1' })),
      groupTopic: topic,
      nodes: readers,
      offsetsTopicReplicationFactor: replicationFactor,
      earlyNodeStartedAt: earlyBrokerStartedAt,
      healed,
      groupConsumers: o.groupConsumers,
    });
    const passed = results.every((r) => r.passed);
    const keep = o.keepData || !passed;
    await cluster.close();
    await h.close();
    if (!keep) await rm(join(runDir, 'data'), { recursive: true, force: true });
    const rel = (path: string): string => relative(process.cwd(), path) || path;
    const report = formatReport({
      seed: o.seed,
      replay,
      runDir,
      historyPath: rel(h.path),
      logFiles: cluster.ids().map((id) => rel(cluster.node(id).logFile)),
      dataKept: keep ? rel(join(runDir, 'data')) : null,
      topic,
      acksOneTopic,
      partitions: o.partitions,
      topology,
      replicationFactor,
      minInsyncReplicas,
      earlyGroups:
        earlyGroups === null
          ? null
          : `broker ${earlyGroups.down} down at start, started ${earlyGroups.delayMs} ms after the group requests`,
      timeLimitS: o.timeLimitS,
      faultPhaseMs,
      totalMs: performance.now() - startedAt,
      healed,
      faults: nemesis.done,
      ops: h.ops,
      results,
      info,
    });
    await writeFile(join(runDir, 'report.txt'), report);
    process.stdout.write(report);
    await writeSummary(o.summaryFile, {
      passed: results.filter((r) => r.passed).length,
      failed: results.filter((r) => !r.passed).length,
    });
    return passed ? 0 : 1;
  } catch (error) {
    say(`run aborted: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    say(`history and logs kept in ${runDir}`);
    nemesisStop.abort();
    workStop.abort();
    await cluster.close();
    await history?.close();
    await writeSummary(o.summaryFile, { passed: 0, failed: 1 });
    return 2;
  }
}

process.exitCode = await main();
// Nothing of the run may keep the process alive (the nodes are gone, the pool is closed).
process.exit();
