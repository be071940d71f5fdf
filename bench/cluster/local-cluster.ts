// The cluster the benchmark measures: either the local three-node cluster of `npm run cluster`, started
// here (the same settings: `localClusterProperties`, the local profile's timeouts) in a temporary data
// directory on free ports, so that it never collides with a cluster someone runs on 8081-8083; or a
// running cluster named by --bootstrap, which the benchmark can measure but not kill.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { localClusterProperties } from '../../src/node/config.ts';
import { waitFor } from './wait.ts';

const MAIN = fileURLToPath(new URL('../../src/node/main.ts', import.meta.url));
/** The default local cluster's ports (8081-8083, 9092-9094, 19091-19093): someone may be using them. */
const LOCAL_PROFILE_PORTS = new Set([8081, 8082, 8083, 9092, 9093, 9094, 19091, 19092, 19093]);

export interface BenchNode {
  readonly id: number;
  /** http://host:port of the client API (REST). */
  readonly clientUrl: string;
  /** host:port of the Kafka listener. */
  readonly kafkaAddress: string;
}

export interface PartitionState {
  readonly partitionId: number;
  readonly leaderId: number;
  readonly isr: readonly number[];
}

interface OwnedNode {
  readonly configFile: string;
  readonly logFile: string;
  process: ChildProcess | null;
  exited: Promise<void> | null;
  log: WriteStream | null;
}

async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address === null || typeof address === 'string') throw new Error('no free port');
    if (taken.has(address.port) || LOCAL_PROFILE_PORTS.has(address.port)) continue;
    taken.add(address.port);
    return address.port;
  }
}

export class BenchCluster {
  readonly clusterId: string;
  readonly nodes: readonly BenchNode[];
  /** Keep-alive pool for the harness's own admin requests (the workloads have their own). */
  readonly agent = new Agent({ keepAliveTimeout: 2000, connections: 8 });
  readonly #owned: Map<number, OwnedNode> | null;
  readonly #root: string | null;
  /** Node.js flags of the started nodes (--cpu-prof ...). */
  #nodeFlags: readonly string[] = [];

  private constructor(
    clusterId: string,
    nodes: readonly BenchNode[],
    owned: Map<number, OwnedNode> | null,
    root: string | null,
  ) {
    this.clusterId = clusterId;
    this.nodes = nodes;
    this.#owned = owned;
    this.#root = root;
  }

  /** Whether this process started the nodes (and so may kill and restart them). */
  get owned(): boolean {
    return this.#owned !== null;
  }

  /** Where the nodes' logs and data are (a started cluster only). */
  get root(): string | null {
    return this.#root;
  }

  /** Starts three nodes with the local profile's settings on free ports; resolves once all are ready. */
  static async start(
    overrides: ReadonlyMap<string, string>,
    options: { readonly cpuProfDir?: string | null } = {},
  ): Promise<BenchCluster> {
    const root = await mkdtemp(join(tmpdir(), 'kraftling-bench-'));
    const clusterId = randomBytes(16).toString('base64url');
    const taken = new Set<number>();
    const ports: { client: number; kafka: number; internal: number }[] = [];
    for (let id = 1; id <= 3; id++)
      ports.push({
        client: await freePort(taken),
        kafka: await freePort(taken),
        internal: await freePort(taken),
      });
    const voters = ports.map((port, index) => `${index + 1}@127.0.0.1:${port.internal}`).join(',');
    const owned = new Map<number, OwnedNode>();
    const nodes: BenchNode[] = [];
    for (const [index, port] of ports.entries()) {
      const id = index + 1;
      const properties = localClusterProperties(id, join(root, 'data'), 3);
      properties.set('controller.quorum.voters', voters);
      properties.set(
        'listeners',
        `CLIENT://127.0.0.1:${port.client},PLAINTEXT://127.0.0.1:${port.kafka},INTERNAL://127.0.0.1:${port.internal}`,
      );
      properties.set('cluster.id', clusterId);
      for (const [key, value] of overrides) properties.set(key, value);
      const configFile = join(root, `node-${id}.properties`);
      await writeFile(configFile, [...properties].map(([key, value]) => `${key}=${value}\n`).join(''));
      owned.set(id, {
        configFile,
        logFile: join(root, `node-${id}.log`),
        process: null,
        exited: null,
        log: null,
      });
      nodes.push({
        id,
        clientUrl: `http://127.0.0.1:${port.client}`,
        kafkaAddress: `127.0.0.1:${port.kafka}`,
      });
    }
    const cluster = new BenchCluster(clusterId, nodes, owned, root);
    if (options.cpuProfDir != null)
      cluster.#nodeFlags = ['--cpu-prof', '--cpu-prof-dir', resolve(options.cpuProfDir)];
    for (const node of nodes) cluster.startNode(node.id);
    await cluster.waitReady(60_000);
    return cluster;
  }

  /**
   * A running cluster: its id and brokers from `bootstrapUrl`'s REST v3; the Kafka listeners are not
   * in that answer, so they come from `kafkaBootstrap` (one per broker, in broker id order).
   */
  static async attach(bootstrapUrl: string, kafkaBootstrap: readonly string[]): Promise<BenchCluster> {
    const agent = new Agent({ connections: 1 });
    try {
      const clusters = await getJson(agent, `${bootstrapUrl}/v3/clusters`);
      const clusterId = (clusters as { data: { cluster_id: string }[] }).data[0]?.cluster_id;
      if (clusterId === undefined) throw new Error(`${bootstrapUrl}/v3/clusters names no cluster`);
      const brokers = (await getJson(agent, `${bootstrapUrl}/v3/clusters/${clusterId}/brokers`)) as {
        data: { broker_id: number; host: string; port: number }[];
      };
      const sorted = brokers.data.toSorted((a, b) => a.broker_id - b.broker_id);
      const nodes = sorted.map((broker, index) => ({
        id: broker.broker_id,
        clientUrl: `http://${broker.host}:${broker.port}`,
        kafkaAddress: kafkaBootstrap[index] ?? kafkaBootstrap[0]!,
      }));
      return new BenchCluster(clusterId, nodes, null, null);
    } finally {
      await agent.close();
    }
  }

  /** The process id of a node this process started and that is running; null otherwise. */
  pid(id: number): number | null {
    return this.#owned?.get(id)?.process?.pid ?? null;
  }

  node(id: number): BenchNode {
    const node = this.nodes.find((candidate) => candidate.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  topicsPath(): string {
    return `/v3/clusters/${this.clusterId}/topics`;
  }

  startNode(id: number): void {
    const node = this.#ownedNode(id);
    if (node.process !== null) throw new Error(`node ${id} is running`);
    node.log = createWriteStream(node.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [...this.#nodeFlags, MAIN, '--config', node.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(node.log, { end: false });
    child.stderr.pipe(node.log, { end: false });
    node.process = child;
    node.exited = new Promise((resolve) => {
      child.on('exit', () => {
        node.process = null;
        resolve();
      });
    });
  }

  /** kill -9, and waits until the process is gone. */
  async killNode(id: number): Promise<void> {
    const node = this.#ownedNode(id);
    if (node.process === null) return;
    const exited = node.exited;
    node.process.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (a clean stop), then kill -9 if it has not exited within 30 s. */
  async stopNode(id: number): Promise<void> {
    const node = this.#ownedNode(id);
    if (node.process === null) return;
    const exited = node.exited;
    node.process.kill('SIGTERM');
    const timer = setTimeout(() => node.process?.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  /** Every node answers GET /ready with 200 and the image shows three unfenced brokers. */
  async waitReady(timeoutMs: number): Promise<void> {
    for (const node of this.nodes)
      await waitFor(`node ${node.id} ready`, timeoutMs, async () => {
        const response = await request(`${node.clientUrl}/ready`, { dispatcher: this.agent });
        await response.body.dump();
        return response.statusCode === 200;
      });
  }

  async createTopic(name: string, partitions: number): Promise<void> {
    const created = await this.http('POST', this.nodes[0]!.id, this.topicsPath(), {
      topic_name: name,
      partitions_count: partitions,
      replication_factor: Math.min(3, this.nodes.length),
    });
    // A create whose answer was lost to a controller change is sent again by the node, and then answers
    // that the topic exists (as Kafka's forwarding and AdminClient do): the names here are the benchmark's
    // own (a timestamp in each), so that answer means this create went through.
    const existed = created.status === 400 && (created.body as { error_code?: number })?.error_code === 40002;
    if (created.status !== 201 && !existed)
      throw new Error(`create ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    await this.waitFullIsr(name, partitions, 60_000);
  }

  async deleteTopic(name: string): Promise<void> {
    const deleted = await this.http('DELETE', this.nodes[0]!.id, `${this.topicsPath()}/${name}`);
    if (deleted.status !== 204)
      throw new Error(`delete ${name}: ${deleted.status} ${JSON.stringify(deleted.body)}`);
  }

  async partitions(name: string, via: number): Promise<PartitionState[]> {
    const answer = await this.http('GET', via, `${this.topicsPath()}/${name}/partitions`);
    if (answer.status !== 200) throw new Error(`partitions of ${name}: ${answer.status}`);
    return (answer.body as { data: { partition_id: number; leader_id: number; isr: number[] }[] }).data.map(
      (partition) => ({
        partitionId: partition.partition_id,
        leaderId: partition.leader_id,
        isr: partition.isr,
      }),
    );
  }

  /** The metadata quorum's leader (the active controller), as node `via` sees it; 0 when none. */
  async quorumLeader(via: number): Promise<number> {
    const answer = await this.http('GET', via, `/v3/clusters/${this.clusterId}/metadata-quorum`);
    return answer.status === 200 ? ((answer.body as { leader_id?: number }).leader_id ?? 0) : 0;
  }

  /** Every partition has a leader and every replica in its ISR, as every node sees it. */
  async waitFullIsr(name: string, partitions: number, timeoutMs: number): Promise<void> {
    const replicas = Math.min(3, this.nodes.length);
    for (const node of this.nodes)
      await waitFor(`${name} fully replicated on node ${node.id}`, timeoutMs, async () => {
        const states = await this.partitions(name, node.id);
        return (
          states.length === partitions &&
          states.every((state) => state.leaderId > 0 && state.isr.length === replicas)
        );
      });
  }

  async http(
    method: 'GET' | 'POST' | 'DELETE',
    via: number,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const response = await request(`${this.node(via).clientUrl}${path}`, {
      method,
      dispatcher: this.agent,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      headersTimeout: 30_000,
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text === '' ? null : (JSON.parse(text) as unknown) };
  }

  /** Stops a cluster this process started (kill -9: its data is thrown away) and forgets a running one. */
  async close(keepData: boolean): Promise<void> {
    await this.agent.close();
    if (this.#owned === null) return;
    // A profiled node writes its profile only when it exits by itself: SIGTERM, a clean stop.
    const stop =
      this.#nodeFlags.length > 0 ? (id: number) => this.stopNode(id) : (id: number) => this.killNode(id);
    await Promise.all([...this.#owned.keys()].map(stop));
    for (const node of this.#owned.values()) node.log?.end();
    if (!keepData && this.#root !== null) await rm(this.#root, { recursive: true, force: true });
  }

  /** Synchronous last resort for the process's exit handler: no node outlives the benchmark. */
  killAllNow(): void {
    for (const node of this.#owned?.values() ?? []) node.process?.kill('SIGKILL');
  }

  /**
   * The running cluster at `bootstrap`, or a local one started with `log.level=warn`, whose nodes are
   * killed however the benchmark ends (exit, SIGINT, SIGTERM).
   */
  static async startOrAttach(bootstrap: string | null): Promise<BenchCluster> {
    const cluster =
      bootstrap !== null
        ? await BenchCluster.attach(bootstrap, [])
        : await BenchCluster.start(new Map([['log.level', 'warn']]));
    process.on('exit', () => cluster.killAllNow());
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.on(signal, () => {
        cluster.killAllNow();
        process.exit(130);
      });
    return cluster;
  }

  #ownedNode(id: number): OwnedNode {
    const node = this.#owned?.get(id);
    if (node === undefined) throw new Error(`node ${id} was not started by the benchmark`);
    return node;
  }
}

async function getJson(agent: Agent, url: string): Promise<unknown> {
  const response = await request(url, { dispatcher: agent });
  if (response.statusCode !== 200) throw new Error(`GET ${url}: ${response.statusCode}`);
  return response.body.json();
}
