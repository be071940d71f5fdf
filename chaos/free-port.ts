// Ports for the clusters that tests and the nemesis start. They are chosen before the nodes start (each
// node is configured with the others' addresses), so a port asked of the OS with `listen(0)` and freed
// again could be taken before its node binds it: by an outgoing connection of another test file (those
// take their local ports from the same ephemeral range) or by another vitest worker. CI once failed on
// exactly that (EADDRINUSE). Ports come instead from below the ephemeral range (32768-60999 on Linux),
// from a block of this process's own (one per vitest worker, so the workers of one run never meet), each
// at most once per process, and each checked free by binding it. The walk through the block starts at a
// random place, so that two test runs at once (two checkouts on one machine) do not walk it in step.
import { createServer } from 'node:net';

const FIRST_PORT = 10_000;
const BLOCK_SIZE = 1000;
const BLOCKS = 20;
/**
 * Someone else's fixed cluster uses these on this machine (the local profile's client API, Kafka and
 * internal ports of nodes 1-3): never bind them.
 */
const FORBIDDEN_PORTS = new Set([8081, 8082, 8083, 9092, 9093, 9094, 19091, 19092, 19093]);

// vitest numbers its workers from 1; other processes (the nemesis runner) take block 0.
const block = Number(process.env.VITEST_POOL_ID ?? 0) % BLOCKS;
const blockStart = FIRST_PORT + block * BLOCK_SIZE;
let handedOut = Math.floor(Math.random() * BLOCK_SIZE);

/** A port free a moment ago that no other caller in this process (or vitest worker) was given. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < BLOCK_SIZE; tries++) {
    // Wraps around the block: by then the clusters of earlier test files have stopped.
    const port = blockStart + (handedOut++ % BLOCK_SIZE);
    if (FORBIDDEN_PORTS.has(port)) continue;
    if (await bindable(port, host)) return port;
  }
  throw new Error(`no free port in ${blockStart}-${blockStart + BLOCK_SIZE - 1}`);
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
