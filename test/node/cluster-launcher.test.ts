import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinePrefixer, parseLauncherArgs } from '../../src/node/cluster-launcher.ts';
import { buildNodeConfig, ConfigError, localClusterProperties } from '../../src/node/config.ts';
import { ensureSecureLocalCluster, secureNodeSettings } from '../../src/node/secure-local-cluster.ts';
import { loadSecurityMaterial } from '../../src/node/tls-material.ts';

const LAUNCHER = fileURLToPath(new URL('../../src/node/cluster-launcher.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

// A stand-in for src/node/main.ts: prints a line in two writes, a line on stderr, then waits for a
// signal. FAKE_NODE_<id> picks a behaviour: crash (exit 3 at once), done (exit 0 at once, as a node
// stopped on its own by SIGTERM does), stubborn (ignore signals).
const FAKE_NODE = `
const id = process.argv[process.argv.indexOf('--node-id') + 1];
const mode = process.env['FAKE_NODE_' + id] ?? 'normal';
process.stdout.write('hello from ' + id + '\\npartial ');
setImmediate(() => {
  process.stdout.write('line ' + id + '\\n');
  process.stderr.write('warning from ' + id + '\\n');
  if (mode === 'crash') process.exit(3);
  if (mode === 'done') process.exit(0);
  const keepAlive = setInterval(() => {}, 60_000);
  const stop = (signal) => {
    if (mode === 'stubborn') return console.log('ignoring ' + signal);
    console.log('stopping ' + id + ' on ' + signal);
    clearInterval(keepAlive);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  console.log('ready ' + id + ' with ' + process.argv.slice(2).join(' '));
});
`;

/** The launcher as a real process, with its output collected and conditions awaited (no sleeps). */
class Launcher {
  readonly process: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters = new Set<() => void>();

  constructor(
    args: readonly string[],
    environment: Record<string, string> = {},
    command: readonly string[] = [process.execPath, LAUNCHER],
  ) {
    this.process = spawn(command[0]!, [...command.slice(1), ...args], {
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: REPO,
    });
    this.process.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      this.#notify();
    });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      this.#notify();
    });
    this.exited = new Promise((resolve) => {
      this.process.on('close', (code, signal) => {
        resolve({ code, signal });
        this.#notify();
      });
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /** Resolves once `condition` holds; fails with the output so far after `timeoutMs`. */
  waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(`timed out waiting for ${what}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`),
        );
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  waitForLine(line: string): Promise<void> {
    return this.waitFor(() => this.lines().includes(line), JSON.stringify(line));
  }

  lines(): string[] {
    return this.stdout.split('\n');
  }

  count(line: string): number {
    return this.lines().filter((candidate) => candidate === line).length;
  }
}

let root: string;
let fakeNode: string;
const launchers: Launcher[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kraftling-launcher-'));
  fakeNode = join(root, 'fake-node.mjs');
  await writeFile(fakeNode, FAKE_NODE);
});

afterEach(async () => {
  for (const launcher of launchers.splice(0)) {
    if (launcher.process.exitCode === null && launcher.process.signalCode === null)
      launcher.process.kill('SIGKILL');
    await launcher.exited;
  }
  await rm(root, { recursive: true, force: true });
});

function launch(
  extraArgs: readonly string[],
  environment: Record<string, string> = {},
  command?: readonly string[],
): Launcher {
  const dataRoot = join(root, 'data');
  const launcher = new Launcher(
    ['--data', dataRoot, '--node-command', fakeNode, '--no-color', ...extraArgs],
    environment,
    command,
  );
  launchers.push(launcher);
  return launcher;
}

async function allReady(launcher: Launcher, ids: readonly number[]): Promise<void> {
  for (const id of ids)
    await launcher.waitFor(() => launcher.stdout.includes(`[node-${id}] ready ${id}`), `node ${id}`);
}

describe('cluster launcher (with a fake node)', () => {
  it('starts the nodes, prefixes their lines, forwards SIGINT once to each, and exits 0', async () => {
    const launcher = launch([]);
    await allReady(launcher, [1, 2, 3]);
    const dataRoot = join(root, 'data');
    const clusterId = (await readFile(join(dataRoot, 'cluster.id'), 'utf8')).trim();
    expect(launcher.stdout).toContain(
      `[cluster] Local cluster of 3 nodes, cluster id ${clusterId}, data in ${dataRoot}`,
    );
    for (const id of [1, 2, 3]) {
      expect(launcher.lines()).toContain(
        `[cluster]   node ${id}: client API http://127.0.0.1:808${id}, Kafka 127.0.0.1:909${id + 1}, ` +
          `internal 127.0.0.1:1909${id}, data ${dataRoot}/node-${id}`,
      );
      expect(launcher.lines()).toContain(`[node-${id}] hello from ${id}`);
      expect(launcher.lines()).toContain(`[node-${id}] partial line ${id}`);
      expect(launcher.lines()).toContain(
        `[node-${id}] ready ${id} with --node-id ${id} --data-root ${dataRoot}`,
      );
      await launcher.waitFor(
        () => launcher.stderr.includes(`[node-${id}] warning from ${id}\n`),
        `stderr of ${id}`,
      );
    }

    launcher.process.kill('SIGINT');
    const { code } = await launcher.exited;
    expect(code).toBe(0);
    for (const id of [1, 2, 3]) {
      expect(launcher.count(`[node-${id}] stopping ${id} on SIGINT`)).toBe(1);
      expect(launcher.lines()).toContain(`[cluster] node ${id} stopped (exit code 0)`);
    }
    // Every line of output carries a prefix.
    for (const line of launcher.lines().filter((text) => text !== ''))
      expect(line).toMatch(/^\[(cluster|node-[1-3])\] /);
  });

  it('reports a node that dies, keeps the others running, and exits 1 after SIGTERM', async () => {
    const launcher = launch(['--nodes', '3'], { FAKE_NODE_2: 'crash' });
    await launcher.waitFor(
      () =>
        launcher.stdout.includes(
          '[cluster] node 2 exited unexpectedly (exit code 3); the other nodes keep running.',
        ),
      'the crash report',
    );
    expect(launcher.stdout).toContain(
      `Restart it with: npm run node -- --node-id 2 --data-root ${join(root, 'data')}`,
    );
    await allReady(launcher, [1, 3]);
    expect(launcher.process.exitCode).toBeNull();

    launcher.process.kill('SIGTERM');
    const { code } = await launcher.exited;
    expect(code).toBe(1);
    expect(launcher.count('[node-1] stopping 1 on SIGTERM')).toBe(1);
    expect(launcher.count('[node-3] stopping 3 on SIGTERM')).toBe(1);
  });

  it('reports a node that stopped by itself with exit code 0 as stopped, not as a failure', async () => {
    const launcher = launch(['--nodes', '3'], { FAKE_NODE_2: 'done' });
    await launcher.waitFor(
      () => launcher.stdout.includes('[cluster] node 2 stopped (exit code 0); the other nodes keep running.'),
      'the stop report',
    );
    await allReady(launcher, [1, 3]);
    launcher.process.kill('SIGTERM');
    const { code } = await launcher.exited;
    expect(code).toBe(0);
    expect(launcher.stdout).not.toContain('unexpectedly');
  });

  it('kills a node that does not stop within the shutdown timeout', async () => {
    const launcher = launch(['--shutdown-timeout-ms', '300'], { FAKE_NODE_1: 'stubborn' });
    await allReady(launcher, [1, 2, 3]);
    launcher.process.kill('SIGTERM');
    const { code } = await launcher.exited;
    expect(code).toBe(1);
    expect(launcher.lines()).toContain('[node-1] ignoring SIGTERM');
    expect(launcher.lines()).toContain('[cluster] node 1 did not stop within 300 ms; killing it (SIGKILL)');
    expect(launcher.lines()).toContain('[cluster] node 1 stopped (killed by SIGKILL)');
    expect(launcher.lines()).toContain('[cluster] node 2 stopped (exit code 0)');
  });

  it('takes the same signal twice at once as one (npm forwards Ctrl-C too)', async () => {
    const launcher = launch([]);
    await allReady(launcher, [1, 2, 3]);
    launcher.process.kill('SIGINT');
    await launcher.waitFor(
      () => launcher.stdout.includes('[cluster] SIGINT: stopping the nodes'),
      'the first SIGINT',
    );
    launcher.process.kill('SIGINT');
    const { code } = await launcher.exited;
    expect(code).toBe(0);
    for (const id of [1, 2, 3]) expect(launcher.count(`[node-${id}] stopping ${id} on SIGINT`)).toBe(1);
    expect(launcher.stdout).not.toContain('while stopping');
  });

  it('kills at once on a second, different signal', async () => {
    const launcher = launch(['--shutdown-timeout-ms', '600000'], { FAKE_NODE_3: 'stubborn' });
    await allReady(launcher, [1, 2, 3]);
    launcher.process.kill('SIGINT');
    await launcher.waitForLine('[node-3] ignoring SIGINT');
    launcher.process.kill('SIGTERM');
    const { code } = await launcher.exited;
    expect(code).toBe(1);
    expect(launcher.lines()).toContain('[cluster] SIGTERM while stopping: not waiting any longer');
    expect(launcher.lines()).toContain('[cluster] node 3 is still running; killing it (SIGKILL)');
    expect(launcher.lines()).toContain('[cluster] node 3 stopped (killed by SIGKILL)');
  });

  it('passes --nodes and --override on to the nodes', async () => {
    const launcher = launch(['--nodes', '2', '--override', 'log.level=debug']);
    await allReady(launcher, [1, 2]);
    expect(launcher.stdout).toContain(
      `[node-2] ready 2 with --node-id 2 --data-root ${join(root, 'data')} --local-nodes 2 --override log.level=debug`,
    );
    expect(launcher.stdout).not.toContain('[node-3]');
    launcher.process.kill('SIGTERM');
    expect((await launcher.exited).code).toBe(0);
  });

  it('--secure makes the CA, the certificates and the admin password once, and runs the nodes with them', async () => {
    const secureDir = join(root, 'data', 'secure');
    const first = launch(['--nodes', '2', '--secure']);
    await allReady(first, [1, 2]);
    expect(first.stdout).toContain('client API https://127.0.0.1:8081');
    const args = first.lines().find((line) => line.startsWith('[node-2] ready 2 with'))!;
    expect(args).toContain(
      '--override listener.security.protocol.map=CLIENT:SASL_SSL,SASL_SSL:SASL_SSL,INTERNAL:SSL',
    );
    expect(args).toContain(`--override ssl.keystore.location=${join(secureDir, 'node-2.pem')}`);
    expect(args).toContain(`--override ssl.truststore.location=${join(secureDir, 'ca.pem')}`);
    for (const file of ['ca-key.pem', 'node-1.pem', 'node-2.pem', 'client.pem', 'admin.properties'])
      expect((await stat(join(secureDir, file))).mode & 0o777, file).toBe(0o600);
    const admin = await readFile(join(secureDir, 'admin.properties'), 'utf8');
    const password = /^password=(.+)$/m.exec(admin)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    // The node's settings build a valid config whose files hold a key matching the certificate.
    const config = buildNodeConfig(
      new Map([
        ...localClusterProperties(2, join(root, 'data'), 2),
        ...secureNodeSettings(await ensureSecureLocalCluster(join(root, 'data'), 2), 2),
      ]),
    ).config;
    const material = await loadSecurityMaterial(config);
    expect([...material.listeners.keys()].sort()).toEqual(['CLIENT', 'INTERNAL', 'SASL_SSL']);
    expect(config.kafkaListenerName).toBe('SASL_SSL');
    first.process.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const caBefore = await readFile(join(secureDir, 'ca.pem'), 'utf8');
    const again = launch(['--nodes', '2', '--secure']);
    await allReady(again, [1, 2]);
    expect(await readFile(join(secureDir, 'ca.pem'), 'utf8')).toBe(caBefore);
    expect(await readFile(join(secureDir, 'admin.properties'), 'utf8')).toBe(admin);
    again.process.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  });

  it('stops every node when `npm run cluster` itself gets SIGTERM', async () => {
    // npm passes SIGTERM on to its child, the shell of the script; the script execs the launcher, so
    // the shell is the launcher and nothing is left running (a kill of npm once orphaned them all).
    const launcher = launch(['--nodes', '2'], {}, ['npm', 'run', '--silent', 'cluster', '--']);
    await allReady(launcher, [1, 2]);
    launcher.process.kill('SIGTERM');
    await launcher.waitFor(
      () => [1, 2].every((id) => launcher.lines().includes(`[cluster] node ${id} stopped (exit code 0)`)),
      'both nodes stopped',
    );
    for (const id of [1, 2]) expect(launcher.count(`[node-${id}] stopping ${id} on SIGTERM`)).toBe(1);
    await launcher.exited;
  });

  it('refuses bad arguments before starting anything', async () => {
    const badOverride = launch(['--override', 'num.partitions=0']);
    expect((await badOverride.exited).code).toBe(1);
    expect(badOverride.stderr).toContain('Invalid value 0 for configuration num.partitions');
    const badFlag = launch(['--nodes', '12']);
    expect((await badFlag.exited).code).toBe(2);
    expect(badFlag.stderr).toContain('Usage: npm run cluster');
    expect(badOverride.stdout + badFlag.stdout).not.toContain('[node-');
  });
});

describe('LinePrefixer', () => {
  it('prefixes whole lines across chunk boundaries, including a split UTF-8 character', () => {
    let out = '';
    const prefixer = new LinePrefixer('[n] ', (text) => {
      out += text;
    });
    const bytes = Buffer.from('caf\u00e9 one\ntwo\n\nthr', 'utf8');
    prefixer.push(bytes.subarray(0, 4)); // ends inside the two bytes of é
    expect(out).toBe('');
    prefixer.push(bytes.subarray(4));
    expect(out).toBe('[n] caf\u00e9 one\n[n] two\n[n] \n');
    prefixer.push('ee');
    prefixer.end();
    expect(out).toBe('[n] caf\u00e9 one\n[n] two\n[n] \n[n] three\n');
    prefixer.end();
    expect(out).toBe('[n] caf\u00e9 one\n[n] two\n[n] \n[n] three\n');
  });
});

describe('parseLauncherArgs', () => {
  it('has the documented defaults', () => {
    expect(parseLauncherArgs([], {}, false)).toEqual({
      nodes: 3,
      dataRoot: './data',
      nodeCommand: null,
      shutdownTimeoutMs: 15_000,
      overrides: [],
      color: false,
      logFormat: 'json',
      secure: false,
    });
    expect(parseLauncherArgs(['--secure'], {}, false)?.secure).toBe(true);
    expect(parseLauncherArgs([], {}, true)?.logFormat).toBe('pretty');
    expect(parseLauncherArgs(['--log-format', 'json'], {}, true)?.logFormat).toBe('json');
    expect(parseLauncherArgs(['--log-format', 'pretty'], {}, false)?.logFormat).toBe('pretty');
    expect(parseLauncherArgs(['--help'], {}, false)).toBeNull();
  });

  it('colours a terminal unless NO_COLOR or --no-color, and FORCE_COLOR forces it', () => {
    expect(parseLauncherArgs([], {}, true)?.color).toBe(true);
    expect(parseLauncherArgs([], { NO_COLOR: '1' }, true)?.color).toBe(false);
    expect(parseLauncherArgs(['--no-color'], {}, true)?.color).toBe(false);
    expect(parseLauncherArgs([], { FORCE_COLOR: '1' }, false)?.color).toBe(true);
    expect(parseLauncherArgs([], { FORCE_COLOR: '0' }, false)?.color).toBe(false);
  });

  it('refuses bad values', () => {
    expect(() => parseLauncherArgs(['--nodes', '0'], {}, false)).toThrow(ConfigError);
    expect(() => parseLauncherArgs(['--nodes', 'x'], {}, false)).toThrow(ConfigError);
    expect(() => parseLauncherArgs(['--override', 'x'], {}, false)).toThrow(ConfigError);
    expect(() => parseLauncherArgs(['--log-format', 'xml'], {}, false)).toThrow(ConfigError);
    expect(() => parseLauncherArgs(['--what'], {}, false)).toThrow(
      /Invalid command line: Unknown option '--what'/,
    );
  });
});
