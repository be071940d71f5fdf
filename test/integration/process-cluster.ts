// Real node processes for the acceptance tests: each node is `node src/node/main.ts --config FILE` with
// its own data directory and ephemeral ports, killed with SIGKILL or stopped with SIGTERM like a user
// would. Logs go to files, printed when a test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { freePort } from '../../chaos/free-port.ts';

const MAIN = fileURLToPath(new URL('../../src/node/main.ts', import.meta.url));

export interface ProcessNode {
  readonly id: number;
  readonly roles: string;
  readonly clientPort: number;
  /** The Kafka protocol's listener (PLAINTEXT). */
  readonly kafkaPort: number;
  readonly internalPort: number;
  readonly dataDir: string;
  readonly configFile: string;
  readonly logFile: string;
  /** Command-line arguments after `--config FILE` (ProcessClusterOptions.args). */
  readonly args: readonly string[];
  process: ChildProcess | null;
  exited: Promise<number | null> | null;
  log: WriteStream | null;
}

export interface ProcessClusterOptions {
  /** Voters: combined broker+controller unless `controllerOnly`. */
  readonly controllers: number;
  readonly controllerOnly?: boolean;
  /** Extra command-line arguments of every node (e.g. --add-scram). */
  readonly args?: readonly string[];
  /** Broker-only nodes (observers of the metadata log). */
  readonly brokers?: number;
  /** Extra config for every node. */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Extra config for one node (after `overrides`): its own certificate, say. */
  readonly nodeOverrides?: (id: number) => Readonly<Record<string, string>>;
  /** The CLIENT listeners are HTTPS: the helpers dial them with this trust (and client certificate). */
  readonly https?: { readonly ca: string; readonly cert?: string; readonly key?: string };
}

export { freePort };

/** Polls `condition` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface HttpAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field in tests.
  readonly body: any;
}

export class ProcessCluster {
  readonly root: string;
  readonly clusterId: string;
  readonly nodes = new Map<number, ProcessNode>();
  /** Set when the CLIENT listeners are HTTPS. */
  private readonly httpsAgent: Agent | null;

  private constructor(root: string, clusterId: string, https: ProcessClusterOptions['https']) {
    this.root = root;
    this.clusterId = clusterId;
    this.httpsAgent = https === undefined ? null : new Agent({ connect: { ...https } });
  }

  static async create(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const root = await mkdtemp(join(tmpdir(), 'kraftling-it-'));
    // Kafka's cluster id form: 16 random bytes, base64url, 22 characters.
    const cluster = new ProcessCluster(root, randomBytes(16).toString('base64url'), options.https);
    const count = options.controllers + (options.brokers ?? 0);
    const ports: { client: number; kafka: number; internal: number }[] = [];
    for (let i = 0; i < count; i++)
      ports.push({ client: await freePort(), kafka: await freePort(), internal: await freePort() });
    const voters = Array.from(
      { length: options.controllers },
      (_, i) => `${i + 1}@127.0.0.1:${ports[i]!.internal}`,
    ).join(',');
    for (let i = 0; i < count; i++) {
      const id = i + 1;
      const isController = id <= options.controllers;
      const roles = isController ? (options.controllerOnly ? 'controller' : 'broker,controller') : 'broker';
      const dataDir = join(root, `node-${id}`);
      const properties: Record<string, string> = {
        'node.id': String(id),
        'process.roles': roles,
        'controller.quorum.voters': voters,
        listeners:
          `CLIENT://127.0.0.1:${ports[i]!.client},PLAINTEXT://127.0.0.1:${ports[i]!.kafka},` +
          `INTERNAL://127.0.0.1:${ports[i]!.internal}`,
        'log.dirs': dataDir,
        'cluster.id': cluster.clusterId,
        'controller.quorum.election.timeout.ms': '500',
        'broker.heartbeat.interval.ms': '200',
        'broker.session.timeout.ms': '2000',
        'num.partitions': '1',
        'default.replication.factor': String(
          Math.min(3, isController && options.controllerOnly ? (options.brokers ?? 1) : count),
        ),
        'min.insync.replicas': '2',
        ...options.overrides,
        ...options.nodeOverrides?.(id),
      };
      const configFile = join(root, `node-${id}.properties`);
      await writeFile(
        configFile,
        Object.entries(properties)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n'),
      );
      cluster.nodes.set(id, {
        id,
        roles,
        clientPort: ports[i]!.client,
        kafkaPort: ports[i]!.kafka,
        internalPort: ports[i]!.internal,
        dataDir,
        configFile,
        logFile: join(root, `node-${id}.log`),
        process: null,
        exited: null,
        log: null,
        args: options.args ?? [],
      });
    }
    return cluster;
  }

  node(id: number): ProcessNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  start(id: number): void {
    const node = this.node(id);
    if (node.process !== null) throw new Error(`node ${id} is running`);
    node.log = createWriteStream(node.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [MAIN, '--config', node.configFile, ...node.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(node.log, { end: false });
    child.stderr.pipe(node.log, { end: false });
    node.process = child;
    node.exited = new Promise((resolve) => {
      child.on('exit', (code) => {
        node.process = null;
        resolve(code);
      });
    });
  }

  async startAll(): Promise<void> {
    for (const id of this.nodes.keys()) this.start(id);
    await this.waitReady();
  }

  /**
   * Every running node answers GET /ready with 200 (brokers: registered and unfenced), and every node's
   * image shows every running broker unfenced, so that placement may use all of them.
   */
  async waitReady(timeoutMs = 20_000): Promise<void> {
    const running = [...this.nodes.values()].filter((node) => node.process !== null);
    for (const node of running) {
      await waitFor(
        `node ${node.id} ready`,
        async () => (await this.get(node.id, '/ready')).status === 200,
        timeoutMs,
      );
    }
    const brokers = running.filter((node) => node.roles.includes('broker')).map((node) => node.id);
    for (const node of running) {
      await waitFor(
        `brokers ${brokers.join(',')} unfenced in node ${node.id}'s image`,
        async () => {
          const answer = await this.get(node.id, `/v3/clusters/${this.clusterId}/brokers`);
          const unfenced = new Set(
            (answer.body?.data ?? [])
              .filter((b: { fenced: boolean }) => !b.fenced)
              .map((b: { broker_id: number }) => b.broker_id),
          );
          return brokers.every((id) => unfenced.has(id));
        },
        timeoutMs,
      );
    }
  }

  /** kill -9, or SIGTERM (controlled shutdown); resolves with the exit code once the process is gone. */
  async stop(id: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<number | null> {
    const node = this.node(id);
    if (node.process === null) return null;
    node.process.kill(signal);
    return await node.exited;
  }

  async get(id: number, path: string): Promise<HttpAnswer> {
    return this.http(id, 'GET', path);
  }

  async http(
    id: number,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<HttpAnswer> {
    const node = this.node(id);
    const scheme = this.httpsAgent === null ? 'http' : 'https';
    const response = await request(`${scheme}://127.0.0.1:${node.clientPort}${path}`, {
      method,
      ...(this.httpsAgent !== null ? { dispatcher: this.httpsAgent } : {}),
      ...(body !== undefined
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text === '' ? null : JSON.parse(text) };
  }

  /** GET on the internal listener (the node's image digest). */
  async internal(id: number, path: string): Promise<HttpAnswer> {
    const node = this.node(id);
    const { Client } = await import('undici');
    const client = new Client(`http://127.0.0.1:${node.internalPort}`, {
      allowH2: true,
      h2Options: { useH2c: true },
    });
    try {
      const response = await client.request({ method: 'GET', path, headersTimeout: 5000, bodyTimeout: 5000 });
      return { status: response.statusCode, body: JSON.parse(await response.body.text()) };
    } finally {
      await client.close();
    }
  }

  topicsPath(): string {
    return `/v3/clusters/${this.clusterId}/topics`;
  }

  async quorum(id: number): Promise<HttpAnswer> {
    return this.get(id, `/v3/clusters/${this.clusterId}/metadata-quorum`);
  }

  async partitions(
    id: number,
    topic: string,
  ): Promise<Array<{ partition_id: number; leader_id: number; replica_ids: number[]; isr: number[] }>> {
    const answer = await this.get(id, `${this.topicsPath()}/${topic}/partitions`);
    if (answer.status !== 200)
      throw new Error(`partitions of ${topic}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.data;
  }

  /** Waits until every running node holds the same metadata image; returns its digest. */
  async waitImagesEqual(timeoutMs = 15_000): Promise<string> {
    return waitFor(
      'equal metadata images on every running node',
      async () => {
        const digests = new Set<string>();
        for (const node of this.nodes.values()) {
          if (node.process === null) continue;
          digests.add((await this.internal(node.id, '/internal/v1/metadata/image')).body.digest);
        }
        return digests.size === 1 ? [...digests][0] : undefined;
      },
      timeoutMs,
    );
  }

  async logs(id: number): Promise<string> {
    return readFile(this.node(id).logFile, 'utf8').catch(() => '');
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.stop(id, 'SIGKILL')));
    for (const node of this.nodes.values()) node.log?.end();
    await this.httpsAgent?.destroy();
    await rm(this.root, { recursive: true, force: true });
  }
}
