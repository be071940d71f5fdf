// Committed proposals per second for a 3-node Raft group in one process: real HTTP/2 on loopback
// between the nodes, real files with fsync (group commit), batching of entries and messages.
//
//   npm run bench:raft -- [--seconds 10] [--inflight 1024] [--bytes 100]
//
// Not a test: it prints figures and asserts nothing about them.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RaftDriver, type StateMachine } from '../raft/driver.ts';
import { FileStorage } from '../raft/storage/file-storage.ts';
import { Http2Transport } from '../raft/transport/http2-transport.ts';
import { type NodeId, nodeId, type Random } from '../raft/types.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    inflight: { type: 'string', default: '1024' },
    bytes: { type: 'string', default: '100' },
    nodes: { type: 'string', default: '3' },
  },
});
const seconds = Number(values.seconds);
const inflight = Number(values.inflight);
const payloadBytes = Number(values.bytes);
const nodeCount = Number(values.nodes);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function seeded(seed: number): Random {
  let state = seed;
  return {
    nextInt(maxExclusive: number): number {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state % maxExclusive;
    },
  };
}

class CountingStateMachine implements StateMachine {
  applied = 0;
  apply(entries: readonly { data: Uint8Array }[]): void {
    for (const entry of entries) if (entry.data.length > 0) this.applied++;
  }
  restore(): void {}
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'raft-bench-'));
  const ids = Array.from({ length: nodeCount }, (_, i) => nodeId(i + 1));
  const ports = new Map<NodeId, number>();
  for (const id of ids) ports.set(id, await freePort());
  const peers = new Map<NodeId, string>(ids.map((id) => [id, `127.0.0.1:${ports.get(id)}`]));
  const drivers: RaftDriver[] = [];
  for (const id of ids) {
    const storage = await FileStorage.open({ dir: join(root, `node-${id}`) });
    const transport = await Http2Transport.start({
      id,
      listen: { host: '127.0.0.1', port: ports.get(id)! },
      peers,
    });
    drivers.push(
      await RaftDriver.start({
        id,
        voters: ids,
        storage,
        transport,
        stateMachine: new CountingStateMachine(),
        random: seeded(id),
        tickMs: 50,
        raft: { maxInflightAppends: 64, maxAppendBytes: 4 * 1024 * 1024 },
      }),
    );
  }
  const leader = await waitForLeader(drivers);
  const payload = new Uint8Array(payloadBytes).fill(120);

  const latenciesMs: number[] = [];
  let committed = 0;
  let failed = 0;
  const deadline = performance.now() + seconds * 1000;
  async function worker(): Promise<void> {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        await leader.propose(payload);
        committed++;
        if (latenciesMs.length < 1_000_000) latenciesMs.push(performance.now() - started);
      } catch {
        failed++;
      }
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: inflight }, () => worker()));
  const elapsedS = (performance.now() - started) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const percentile = (p: number): string =>
    (latenciesMs[Math.floor((latenciesMs.length - 1) * p)] ?? 0).toFixed(2);
  console.log(
    JSON.stringify({
      benchmark: 'raft committed proposals',
      nodes: nodeCount,
      payloadBytes,
      inflight,
      seconds: Number(elapsedS.toFixed(2)),
      committed,
      failed,
      proposalsPerSecond: Math.round(committed / elapsedS),
      latencyMs: { p50: percentile(0.5), p99: percentile(0.99), max: percentile(1) },
    }),
  );
  await Promise.all(drivers.map((driver) => driver.stop()));
  await rm(root, { recursive: true, force: true });
}

async function waitForLeader(drivers: readonly RaftDriver[]): Promise<RaftDriver> {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    const leader = drivers.find((driver) => driver.status().role === 'leader');
    if (leader !== undefined) return leader;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no leader within 10 s');
}

await main();
