// The same produce workload against NATS JetStream: three `nats-server -js` processes clustered on
// loopback (Debian's nats-server), a file-stored stream with 3 replicas, and the npm `nats` client
// publishing with acks (a JetStream publish is answered once the stream's quorum has the message).
// `inFlight` loops each publish `recordsPerRequest` messages at once and wait for every ack: one
// "request" of the same size as REST's.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection, StorageType } from 'nats';
import { waitFor } from './wait.ts';
import { type Counters, closedLoop, type LoadShape, type ProduceOutcome, recordValue } from './workload.ts';

const NATS_SERVER = 'nats-server';
const STREAM = 'BENCH';

/** The nats-server version, or null when it is not installed. */
export function natsServerVersion(): string | null {
  const answer = spawnSync(NATS_SERVER, ['--version'], { encoding: 'utf8' });
  return answer.status === 0 ? answer.stdout.trim() : null;
}

/**
 * The nats-server version, installing Debian's package first when it is missing and this process may
 * (root, apt-get present), as the issue asks; null when it cannot be had.
 */
export function ensureNatsServer(say: (text: string) => void): string | null {
  const installed = natsServerVersion();
  if (installed !== null || process.getuid?.() !== 0) return installed;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  say('--vs nats: nats-server is missing; apt-get install -y nats-server ...');
  const install = spawnSync('apt-get', ['install', '-y', '-qq', 'nats-server'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return install.status === 0 ? natsServerVersion() : null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export class NatsCluster {
  readonly #root: string;
  readonly #servers: ChildProcess[];
  readonly clientUrls: readonly string[];

  private constructor(root: string, servers: ChildProcess[], clientUrls: readonly string[]) {
    this.#root = root;
    this.#servers = servers;
    this.clientUrls = clientUrls;
  }

  static async start(): Promise<NatsCluster> {
    const root = await mkdtemp(join(tmpdir(), 'kraftling-bench-nats-'));
    const ports = [];
    for (let index = 0; index < 3; index++) ports.push({ client: await freePort(), route: await freePort() });
    const routes = ports.map((port) => `nats://127.0.0.1:${port.route}`).join(',');
    const servers = ports.map((port, index) =>
      spawn(
        NATS_SERVER,
        [
          ...['-a', '127.0.0.1', '-p', String(port.client), '-js', '-sd', join(root, `n${index + 1}`)],
          ...['--server_name', `n${index + 1}`, '--cluster_name', 'bench'],
          ...['--cluster', `nats://127.0.0.1:${port.route}`, '--routes', routes],
        ],
        { stdio: 'ignore' },
      ),
    );
    return new NatsCluster(
      root,
      servers,
      ports.map((port) => `127.0.0.1:${port.client}`),
    );
  }

  /** Connects, and creates the R3 file stream once JetStream's meta group has a leader. */
  async connectWithStream(): Promise<NatsConnection> {
    let connection: NatsConnection | null = null;
    await waitFor('NATS JetStream cluster', 60_000, async () => {
      connection ??= await connect({ servers: [...this.clientUrls], maxReconnectAttempts: -1 });
      const manager = await connection.jetstreamManager({ timeout: 5000 });
      await manager.streams.add({
        name: STREAM,
        subjects: ['bench.>'],
        storage: StorageType.File,
        num_replicas: 3,
      });
      return true;
    });
    return connection!;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.exitCode !== null || server.signalCode !== null) return resolve();
            server.on('exit', () => resolve());
            server.kill('SIGKILL');
          }),
      ),
    );
    await rm(this.#root, { recursive: true, force: true });
  }

  killAllNow(): void {
    for (const server of this.#servers) server.kill('SIGKILL');
  }
}

export async function produceNats(options: {
  readonly connection: NatsConnection;
  readonly recordBytes: number;
  readonly shape: LoadShape;
  readonly counters: Counters;
}): Promise<ProduceOutcome> {
  const { shape } = options;
  const jetstream = options.connection.jetstream({ timeout: 30_000 });
  const value = new Uint8Array(recordValue(options.recordBytes));
  const measured = await closedLoop({
    inFlight: shape.inFlight,
    warmupSeconds: shape.warmupSeconds,
    seconds: shape.seconds,
    counters: options.counters,
    send: async (slot) => {
      const acks = await Promise.allSettled(
        Array.from({ length: shape.recordsPerRequest }, () => jetstream.publish(`bench.${slot}`, value)),
      );
      const acked = acks.filter((ack) => ack.status === 'fulfilled').length;
      return { acked, failed: acks.length - acked };
    },
  });
  return {
    ...measured,
    latencyUnit: 'request',
    recordsPerRequest: shape.recordsPerRequest,
  };
}
