// How the admin tools reach a cluster through the SDK's Admin (tool-start.ts): the next bootstrap server
// when one cannot be reached, a retriable answer asked again until default.api.timeout.ms, a final
// answer reported at once, and what they print when time runs out.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bufferedIo } from '../../src/cli/io.ts';
import { topicsMain } from '../../src/cli/topics.ts';
import { createCa, issueCertificate } from '../../src/node/local-ca.ts';
import { CLUSTER_ID, FakeCluster, refusedAddress } from './fake-cluster.ts';

const clusters: FakeCluster[] = [];
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'admin-failover-'));
});

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function startCluster(): Promise<{ cluster: FakeCluster; address: string }> {
  const cluster = new FakeCluster();
  clusters.push(cluster);
  return { cluster, address: await cluster.start() };
}

/** A --command-config with short admin timeouts, so that giving up is quick. */
function shortTimeouts(timeoutMs: number): string {
  const path = join(dir, 'client.properties');
  writeFileSync(path, `default.api.timeout.ms=${timeoutMs}\nretry.backoff.ms=20\n`);
  return path;
}

async function topics(...args: string[]) {
  const io = bufferedIo();
  const code = await topicsMain(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('admin tools: failover and retries', () => {
  it('goes on to the next bootstrap server when one cannot be reached', async () => {
    const dead = await refusedAddress();
    const { address } = await startCluster();
    expect(await topics('--list', '--bootstrap-server', `${dead},${address}`)).toEqual({
      code: 0,
      stdout: ['__consumer_offsets', 'orders', 'payments'],
      stderr: [],
    });
  });

  it('gives up at default.api.timeout.ms when no server can be reached, naming them', async () => {
    const first = await refusedAddress();
    const second = await refusedAddress();
    const started = Date.now();
    const result = await topics(
      '--list',
      '--bootstrap-server',
      `${first},${second}`,
      '--command-config',
      shortTimeouts(300),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(result.code).toBe(1);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(
      new RegExp(
        `^Error while executing topic command : GET /v3/clusters did not succeed within .*\\(300 ms\\): no broker could be reached \\(http://${first}, http://${second}\\): .*ECONNREFUSED`,
      ),
    );
  });

  it('does not move on after a final answer: the server answered', async () => {
    const first = await startCluster();
    const second = await startCluster();
    first.cluster.override = () => ({ status: 500, body: { error_code: 50002, message: 'Internal error' } });
    expect(await topics('--list', '--bootstrap-server', `${first.address},${second.address}`)).toEqual({
      code: 1,
      stdout: [],
      stderr: ['Error while executing topic command : Internal error'],
    });
    expect(second.cluster.requests).toEqual([]);
  });

  it('asks again after a retriable answer (no controller for a moment), and succeeds', async () => {
    const { cluster, address } = await startCluster();
    let refusals = 3;
    cluster.override = (request) =>
      request.method === 'POST' && request.path.endsWith('/topics') && refusals-- > 0
        ? { status: 503, body: { error_code: 50003, message: 'No active controller.' } }
        : undefined;
    expect(await topics('--create', '--topic', 'events', '--bootstrap-server', address)).toEqual({
      code: 0,
      stdout: ['Created topic events.'],
      stderr: [],
    });
    expect(
      cluster.actions().filter((request) => request.path === `/v3/clusters/${CLUSTER_ID}/topics`),
    ).toHaveLength(4);
  });

  it("reports a retriable answer that outlasts default.api.timeout.ms with the server's message", async () => {
    const { cluster, address } = await startCluster();
    cluster.override = (request) =>
      request.method === 'POST'
        ? { status: 503, body: { error_code: 50003, message: 'No active controller.' } }
        : undefined;
    const result = await topics(
      '--create',
      '--topic',
      'events',
      '--bootstrap-server',
      address,
      '--command-config',
      shortTimeouts(300),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([
      `Error while executing topic command : POST /v3/clusters/${CLUSTER_ID}/topics did not succeed within default.api.timeout.ms (300 ms): NOT_CONTROLLER: No active controller.`,
    ]);
    expect(cluster.topics.has('events')).toBe(false);
  });

  it('hints at --command-config when a TLS listener closes the plain-text requests', async () => {
    const ca = createCa('admin-failover test CA');
    const certificate = issueCertificate(ca, {
      commonName: 'node',
      ipAddresses: ['127.0.0.1'],
      serverAuth: true,
      clientAuth: false,
    });
    const server = tls.createServer({ key: certificate.keyPem, cert: certificate.certPem }, (socket) =>
      socket.on('error', () => undefined),
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const result = await topics(
        '--list',
        '--bootstrap-server',
        `127.0.0.1:${port}`,
        '--command-config',
        shortTimeouts(300),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toHaveLength(1);
      expect(result.stderr[0]).toMatch(
        /no broker could be reached .* \(if the listener is TLS, give --command-config with security\.protocol=SSL or SASL_SSL\)$/,
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
