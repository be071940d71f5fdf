// The real node processes of the nemesis (three combined nodes, or three controllers and two brokers:
// `Topology`): each node is `node src/node/main.ts --config FILE` with its own data directory and its
// own ports (chaos/free-port.ts), under the run's directory (kept after the run with the logs).
// Adapted from test/integration/process-cluster.ts: adds SIGSTOP/SIGCONT, timeouts on every request and
// a synchronous kill of everything for the runner's exit handlers.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { freePort } from '../free-port.ts';
import { FaultProxy } from './fault-proxy.ts';

const MAIN = fileURLToPath(new URL('../../src/node/main.ts', import.meta.url));

export type NodeState = 'stopped' | 'running' | 'paused';

/**
 * `3`: three combined nodes (process.roles=broker,controller). `3+2`: nodes 1-3 controllers only (the
 * metadata quorum's voters), nodes 4-5 brokers only (observers of the metadata log, hosting every replica).
 */
export type Topology = '3' | '3+2';
export const TOPOLOGIES: readonly Topology[] = ['3', '3+2'];

/** A topic the cluster must show healthy: every partition with a leader and a full ISR. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

export interface ClusterNode {
  readonly id: number;
  readonly controller: boolean;
  readonly broker: boolean;
  readonly clientPort: number;
  readonly internalPort: number;
  readonly dataDir: string;
  readonly configFile: string;
  readonly logFile: string;
  process: ChildProcess | null;
  exited: Promise<number | string | null> | null;
  paused: boolean;
  log: WriteStream | null;
  /** The runner stopped it (kill, SIGTERM, close): any other exit is a crash, restarted at once. */
  stopRequested: boolean;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface PartitionInfo {
  readonly partitionId: number;
  readonly leaderId: number;
  readonly isr: readonly number[];
  readonly replicaIds: readonly number[];
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Polls `condition` until it returns true, or gives up after `timeoutMs` or on `signal` (false). */
export async function waitUntil(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) return false;
    try {
      if (await condition()) return true;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class NemesisCluster {
  readonly root: string;
  readonly clusterId: string;
  readonly nodes = new Map<number, ClusterNode>();
  /** Exits the runner did not cause (a node that died by itself, e.g. its watchdog), in order. */
  readonly crashes: { id: number; how: number | string | null; atMs: number }[] = [];
  /** Told of each crash (the runner writes it into the history). */
  onCrash: ((id: number, how: number | string | null) => void) | null = null;
  /** "from>to": the proxy every connection node `from` opens to node `to` passes through. */
  readonly proxies = new Map<string, FaultProxy>();
  /** Own connection pool: short keep-alive, so that a restarted node is dialled afresh. */
  readonly agent = new Agent({ keepAliveTimeout: 2000, connections: 16 });

  private constructor(root: string, clusterId: string) {
    this.root = root;
    this.clusterId = clusterId;
  }

  /** Brokers: the nodes hosting replicas, and those clients talk to. */
  brokerIds(): number[] {
    return [...this.nodes.values()].filter((node) => node.broker).map((node) => node.id);
  }

  /** The nodes clients send requests to (Kafka clients bootstrap from brokers): the brokers. */
  clientNodes(): number[] {
    return this.brokerIds();
  }

  /** The replication factor of the workload's topics and of __consumer_offsets: min(3, brokers). */
  replicationFactor(): number {
    return Math.min(3, this.brokerIds().length);
  }

  static async create(
    root: string,
    topology: Topology,
    overrides: Record<string, string>,
  ): Promise<NemesisCluster> {
    const count = topology === '3' ? 3 : 5;
    const isController = (id: number): boolean => topology === '3' || id <= 3;
    const isBroker = (id: number): boolean => topology === '3' || id > 3;
    const replicationFactor = Math.min(
      3,
      Array.from({ length: count }, (_, i) => i + 1).filter(isBroker).length,
    );
    await mkdir(root, { recursive: true });
    // Kafka's cluster id form: 16 random bytes, base64url, 22 characters.
    const cluster = new NemesisCluster(root, randomBytes(16).toString('base64url'));
    const ports: { client: number; internal: number }[] = [];
    while (ports.length < count) ports.push({ client: await freePort(), internal: await freePort() });
    // Internal traffic from node k to node j goes through the proxy k>j: node k's voters point there,
    // and node j advertises a listener FROMk there (bound at its own port `named[k]`), which node k
    // dials for everything else (inter.broker.listener.name=FROMk). Node j's own FROMj is direct.
    const ids = ports.map((_, i) => i + 1);
    const named = new Map<number, Map<number, number>>();
    for (const j of ids) {
      const bound = new Map<number, number>();
      for (const k of ids) bound.set(k, await freePort());
      named.set(j, bound);
    }
    for (const k of ids) {
      for (const j of ids) {
        if (k === j) continue;
        const proxy = await FaultProxy.start(k, j, await freePort(), named.get(j)!.get(k)!);
        cluster.proxies.set(`${k}>${j}`, proxy);
      }
    }
    const via = (from: number, to: number): number => cluster.proxies.get(`${from}>${to}`)!.port;
    for (let i = 0; i < count; i++) {
      const id = i + 1;
      const dataDir = join(root, 'data', `node-${id}`);
      const voters = ids
        .filter(isController)
        .map((j) => `${j}@127.0.0.1:${j === id ? ports[i]!.internal : via(id, j)}`)
        .join(',');
      const roles = [isBroker(id) ? 'broker' : null, isController(id) ? 'controller' : null].filter(
        (role) => role !== null,
      );
      const bound = named.get(id)!;
      const properties: Record<string, string> = {
        'node.id': String(id),
        'process.roles': roles.join(','),
        'controller.quorum.voters': voters,
        listeners: [
          `CLIENT://127.0.0.1:${ports[i]!.client}`,
          `INTERNAL://127.0.0.1:${ports[i]!.internal}`,
          ...ids.map((k) => `FROM${k}://127.0.0.1:${bound.get(k)}`),
        ].join(','),
        'advertised.listeners': ids
          .filter((k) => k !== id)
          .map((k) => `FROM${k}://127.0.0.1:${via(k, id)}`)
          .join(','),
        'inter.broker.listener.name': `FROM${id}`,
        'log.dirs': dataDir,
        'cluster.id': cluster.clusterId,
        'controller.quorum.election.timeout.ms': '500',
        'broker.heartbeat.interval.ms': '200',
        'broker.session.timeout.ms': '2000',
        'replica.silence.time.max.ms': '1000',
        'num.partitions': '1',
        'default.replication.factor': String(replicationFactor),
        'offsets.topic.replication.factor': String(replicationFactor),
        'min.insync.replicas': '2',
        ...overrides,
      };
      const configFile = join(root, `node-${id}.properties`);
      await writeFile(
        configFile,
        `${Object.entries(properties)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n')}\n`,
      );
      cluster.nodes.set(id, {
        id,
        controller: isController(id),
        broker: isBroker(id),
        clientPort: ports[i]!.client,
        internalPort: ports[i]!.internal,
        dataDir,
        configFile,
        logFile: join(root, `node-${id}.log`),
        process: null,
        exited: null,
        paused: false,
        log: null,
        stopRequested: false,
      });
    }
    return cluster;
  }

  /**
   * Blocks the proxies of the directed pairs `blocked` ("from>to") and lets every other one pass:
   * carried connections stall; `cut` resets them as well (a middlebox dropping its state).
   */
  partition(blocked: ReadonlySet<string>, cut: boolean): void {
    for (const [pair, proxy] of this.proxies) {
      if (blocked.has(pair)) {
        proxy.block();
        if (cut) proxy.cut();
      } else proxy.pass();
    }
  }

  /** Every proxy passes again (stalled connections resume). */
  heal(): void {
    for (const proxy of this.proxies.values()) proxy.pass();
  }

  ids(): number[] {
    return [...this.nodes.keys()];
  }

  node(id: number): ClusterNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  state(id: number): NodeState {
    const node = this.node(id);
    if (node.process === null) return 'stopped';
    return node.paused ? 'paused' : 'running';
  }

  start(id: number): void {
    const node = this.node(id);
    if (node.process !== null) throw new Error(`node ${id} is running`);
    node.log ??= createWriteStream(node.logFile, { flags: 'a' });
    const log = node.log;
    log.write(`\n=== [nemesis ${new Date().toISOString()}] starting node ${id}\n`);
    const child = spawn(process.execPath, [MAIN, '--config', node.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    node.process = child;
    node.paused = false;
    node.stopRequested = false;
    node.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        node.process = null;
        node.paused = false;
        log.write(`\n=== [nemesis ${new Date().toISOString()}] node ${id} exited (${code ?? signal})\n`);
        resolve(code ?? signal);
        if (!node.stopRequested) this.crashed(id, code ?? signal);
      });
    });
  }

  /** Like a process supervisor (systemd's Restart=on-failure): a node that exits by itself starts again. */
  private crashed(id: number, how: number | string | null): void {
    this.crashes.push({ id, how, atMs: Date.now() });
    this.mark(id, `node ${id} exited by itself (${how}): restarting it`);
    this.onCrash?.(id, how);
    const node = this.node(id);
    if (node.process === null && node.log !== null) this.start(id);
  }

  /** Writes a marker line into a node's log, so that faults can be found next to what the node said. */
  mark(id: number, text: string): void {
    this.node(id).log?.write(`\n=== [nemesis ${new Date().toISOString()}] ${text}\n`);
  }

  /** kill -9; resolves once the process is gone. */
  async kill(id: number): Promise<void> {
    const node = this.node(id);
    if (node.process === null) return;
    node.stopRequested = true;
    node.process.kill('SIGKILL');
    await node.exited;
  }

  /** SIGTERM (controlled shutdown); kill -9 after `graceMs`. Resolves with how it ended. */
  async terminate(id: number, graceMs: number): Promise<'exited' | 'killed'> {
    const node = this.node(id);
    if (node.process === null) return 'exited';
    node.stopRequested = true;
    if (node.paused) this.resume(id);
    node.process.kill('SIGTERM');
    const exited = node.exited!;
    const finished = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (finished) return 'exited';
    await this.kill(id);
    return 'killed';
  }

  pause(id: number): void {
    const node = this.node(id);
    if (node.process === null || node.paused) return;
    node.process.kill('SIGSTOP');
    node.paused = true;
  }

  resume(id: number): void {
    const node = this.node(id);
    if (node.process === null || !node.paused) return;
    node.process.kill('SIGCONT');
    node.paused = false;
  }

  /** Synchronous: for exit handlers. */
  killAllNow(): void {
    for (const node of this.nodes.values()) {
      node.stopRequested = true;
      try {
        node.process?.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.ids().map((id) => this.kill(id)));
    await Promise.all(
      [...this.nodes.values()].map(
        (node) =>
          new Promise<void>((resolve) => {
            if (node.log === null) return resolve();
            node.log.end(() => resolve());
            node.log = null;
          }),
      ),
    );
    await this.agent.close().catch(() => {});
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
  }

  url(id: number, path: string): string {
    return `http://127.0.0.1:${this.node(id).clientPort}${path}`;
  }

  topicsPath(): string {
    return `/v3/clusters/${this.clusterId}/topics`;
  }

  /** One request with a hard deadline; throws on connection errors and timeouts. */
  async http(
    id: number,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { body?: unknown; accept?: string; timeoutMs: number },
  ): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.accept !== undefined) headers.accept = options.accept;
    const response = await request(this.url(id, path), {
      method,
      headers,
      dispatcher: this.agent,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.body.text();
    let body: unknown = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.statusCode, body };
  }

  async ready(id: number): Promise<boolean> {
    if (this.state(id) !== 'running') return false;
    return (await this.http(id, 'GET', '/ready', { timeoutMs: 2000 })).status === 200;
  }

  async unfencedBrokers(id: number): Promise<Set<number>> {
    const answer = await this.http(id, 'GET', `/v3/clusters/${this.clusterId}/brokers`, { timeoutMs: 3000 });
    const data = isRecord(answer.body) && Array.isArray(answer.body.data) ? answer.body.data : [];
    const unfenced = new Set<number>();
    for (const broker of data) {
      if (isRecord(broker) && broker.fenced === false && typeof broker.broker_id === 'number') {
        unfenced.add(broker.broker_id);
      }
    }
    return unfenced;
  }

  async partitions(id: number, topic: string, timeoutMs = 3000): Promise<PartitionInfo[]> {
    const answer = await this.http(id, 'GET', `${this.topicsPath()}/${topic}/partitions`, { timeoutMs });
    if (answer.status !== 200 || !isRecord(answer.body) || !Array.isArray(answer.body.data)) {
      throw new Error(
        `partitions of ${topic} via node ${id}: ${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
    return answer.body.data.filter(isRecord).map((p) => ({
      partitionId: Number(p.partition_id),
      leaderId: Number(p.leader_id),
      isr: Array.isArray(p.isr) ? p.isr.map(Number) : [],
      replicaIds: Array.isArray(p.replica_ids) ? p.replica_ids.map(Number) : [],
    }));
  }

  /**
   * Every node of `among` (default: every node) runs and answers /ready, sees every broker of `among`
   * unfenced, and shows every partition of each topic with a leader and a full ISR.
   */
  async healthy(topics: readonly TopicSpec[], among: readonly number[] = this.ids()): Promise<boolean> {
    const brokers = among.filter((id) => this.node(id).broker);
    for (const id of among) {
      if (!(await this.ready(id))) return false;
      const unfenced = await this.unfencedBrokers(id);
      if (!brokers.every((b) => unfenced.has(b))) return false;
      for (const topic of topics) {
        const infos = await this.partitions(id, topic.name);
        if (infos.length !== topic.partitions) return false;
        for (const p of infos) if (p.leaderId < 1 || p.isr.length !== p.replicaIds.length) return false;
      }
    }
    return true;
  }
}
