// Ports for the clusters that tests and the nemesis start. They are chosen before the nodes start (each
// node is configured with the others' addresses, and a node killed and restarted binds its port again),
// so a port asked of the OS with `listen(0)` and freed again could be taken before its node binds it: by an
// outgoing connection (those take their local ports from the same ephemeral range) or by another test
// worker or test run. CI once failed on exactly that (EADDRINUSE). Ports come instead from below the
// ephemeral range (32768-60999 on Linux), at random, each claimed for this process by a file in the
// machine's temporary directory (created exclusively; a claim of a process that has exited is taken
// over), so that the workers of one run and two runs at once (two checkouts on one machine) never share
// a port; and each is checked free by binding it.
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIRST_PORT = 10_000;
const PORT_COUNT = 22_000;
/**
 * Someone else's fixed cluster uses these on this machine (the local profile's client API, Kafka and
 * internal ports of nodes 1-3): never bind them.
 */
const FORBIDDEN_PORTS = new Set([8081, 8082, 8083, 9092, 9093, 9094, 19091, 19092, 19093]);
const CLAIMS = join(tmpdir(), 'kraftling-test-ports');

/** A port free a moment ago that no other process using this module was given while it runs. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  mkdirSync(CLAIMS, { recursive: true });
  for (let tries = 0; tries < 1000; tries++) {
    const port = FIRST_PORT + Math.floor(Math.random() * PORT_COUNT);
    if (FORBIDDEN_PORTS.has(port) || !claim(port)) continue;
    if (await bindable(port, host)) return port;
  }
  throw new Error(`no free port in ${FIRST_PORT}-${FIRST_PORT + PORT_COUNT - 1} after 1000 tries`);
}

/** Claims `port` for this process: false if this or another live process holds it. */
export function claim(port: number): boolean {
  const file = join(CLAIMS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = Number(readFileSync(file, 'utf8').trim());
  if (owner === process.pid || isAlive(owner)) return false;
  // The owner has exited: move its claim aside (one process wins the rename), then claim afresh. A claim
  // made meanwhile by another process that got there first is put back.
  const aside = `${file}.stale.${process.pid}`;
  try {
    renameSync(file, aside);
    if (readFileSync(aside, 'utf8').trim() !== String(owner)) {
      renameSync(aside, file);
      return false;
    }
    unlinkSync(aside);
  } catch {
    return false;
  }
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
