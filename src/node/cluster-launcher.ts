// `npm run cluster`: the local development cluster, N combined nodes as child processes of this one.
//
//   node src/node/cluster-launcher.ts [--nodes 3] [--data ./data] [--override key=value]...
//
// Ensures the cluster id (<data>/cluster.id), starts `node src/node/main.ts --node-id N` per node with
// the same Node binary, prefixes each line of their output with [node-N], forwards SIGINT/SIGTERM (once)
// to every node so each shuts down cleanly, kills the ones still running after --shutdown-timeout-ms,
// and exits non-zero if any node failed. A node that dies on its own is reported; the others keep
// running, and the user can restart it with `npm run node -- --node-id N`.
//
// The nodes run in their own process groups (POSIX), so a Ctrl-C at the terminal reaches only this
// launcher, which then signals each node exactly once. A second, different signal (or the same one
// more than a second later: npm forwards the terminal's Ctrl-C too) kills the nodes at once.
//
// Testing seam: --node-command FILE runs FILE (same Node binary, same arguments) instead of main.ts.

import { type ChildProcess, spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { httpReadinessProbe, type ReadinessProbe, waitForReadyCluster } from './cluster-readiness.ts';
import {
  buildNodeConfig,
  ConfigError,
  commandLineError,
  formatEndpoint,
  localClusterProperties,
} from './config.ts';
import { LOCAL_CLUSTER } from './config-defaults.ts';
import { DataDirError, ensureLocalClusterId } from './data-dir.ts';
import { describeTakenPort, takenListenerPorts } from './listener-ports.ts';
import { prettyLogLine } from './pretty-log.ts';
import {
  ensureSecureLocalCluster,
  type SecureLocalCluster,
  secureBootstrapArgs,
  secureNodeSettings,
} from './secure-local-cluster.ts';

const MAIN_SCRIPT = fileURLToPath(new URL('./main.ts', import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 15_000;
/** The same signal again within this window is the same Ctrl-C delivered twice, not a second one. */
const DUPLICATE_SIGNAL_WINDOW_MS = 1000;
const READY_PROBE_INTERVAL_MS = 500;

export const LAUNCHER_USAGE = `Usage: npm run cluster -- [--nodes N] [--data DIR] [--override key=value]...

Starts a local cluster of N combined (broker + controller) nodes; Ctrl-C stops it cleanly.
Node K serves the client API on http://127.0.0.1:808K, internal traffic on 127.0.0.1:909K,
and keeps its data in DIR/node-K. The cluster id is kept in DIR/cluster.id.

  --nodes N                 number of nodes, 1..${LOCAL_CLUSTER.nodesMax} (default ${LOCAL_CLUSTER.nodes})
  --data DIR                data directory (default ${LOCAL_CLUSTER.dataRoot})
  --override key=value      a config for every node (repeatable), e.g. --override log.level=debug
  --secure                  security on: HTTPS + HTTP Basic on the client API, SASL_SSL for Kafka
                            clients, mutual TLS between nodes; a local CA, the nodes' certificates
                            and the admin password are made once under DIR/secure/
  --shutdown-timeout-ms MS  how long nodes may take to stop before they are killed (default ${SHUTDOWN_TIMEOUT_MS})
  --log-format FORMAT       pretty (readable lines) or json (the nodes' own JSON lines); default:
                            pretty in a terminal, json when the output is piped
  --no-color                no colours (also: NO_COLOR=1)
  --node-command FILE       testing seam: run FILE instead of src/node/main.ts
  --help                    this text
`;

export interface LauncherOptions {
  readonly nodes: number;
  readonly dataRoot: string;
  /** Testing seam: a script run (same Node binary, same arguments) instead of src/node/main.ts. */
  readonly nodeCommand: string | null;
  readonly shutdownTimeoutMs: number;
  /** key=value settings passed to every node as --override. */
  readonly overrides: readonly string[];
  readonly color: boolean;
  readonly logFormat: LogFormat;
  /** --secure: TLS everywhere, authentication required (secure-local-cluster.ts). */
  readonly secure: boolean;
}

export type LogFormat = 'pretty' | 'json';

function positiveInteger(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^[0-9]+$/.test(raw.trim())) throw new ConfigError(flag, raw, 'expected a non-negative integer');
  return Number(raw.trim());
}

/** Parses the launcher's argv; null means --help. Throws ConfigError. */
export function parseLauncherArgs(
  argv: readonly string[],
  environment: NodeJS.ProcessEnv,
  isTerminal: boolean,
): LauncherOptions | null {
  let values: ReturnType<typeof parseLauncherValues>;
  try {
    values = parseLauncherValues(argv);
  } catch (error) {
    throw commandLineError(argv, error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return null;
  const nodes = positiveInteger('--nodes', values.nodes, LOCAL_CLUSTER.nodes);
  if (nodes < 1 || nodes > LOCAL_CLUSTER.nodesMax)
    throw new ConfigError(
      '--nodes',
      String(nodes),
      `the local cluster has 1 to ${LOCAL_CLUSTER.nodesMax} nodes`,
    );
  const overrides = values.override ?? [];
  for (const override of overrides)
    if (override.indexOf('=') <= 0) throw new ConfigError('--override', override, 'expected key=value');
  const logFormat = values['log-format'] ?? (isTerminal ? 'pretty' : 'json');
  if (logFormat !== 'pretty' && logFormat !== 'json')
    throw new ConfigError('--log-format', logFormat, 'expected pretty or json');
  const noColor = values['no-color'] === true || (environment.NO_COLOR ?? '') !== '';
  const forceColor = (environment.FORCE_COLOR ?? '') !== '' && environment.FORCE_COLOR !== '0';
  return {
    nodes,
    dataRoot: values.data ?? LOCAL_CLUSTER.dataRoot,
    nodeCommand: values['node-command'] ?? null,
    shutdownTimeoutMs: positiveInteger(
      '--shutdown-timeout-ms',
      values['shutdown-timeout-ms'],
      SHUTDOWN_TIMEOUT_MS,
    ),
    overrides,
    color: !noColor && (isTerminal || forceColor),
    logFormat,
    secure: values.secure === true,
  };
}

function parseLauncherValues(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      nodes: { type: 'string' },
      data: { type: 'string' },
      override: { type: 'string', multiple: true },
      'shutdown-timeout-ms': { type: 'string' },
      'log-format': { type: 'string' },
      'no-color': { type: 'boolean' },
      'node-command': { type: 'string' },
      secure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

/**
 * Splits a byte stream into lines and writes each with a prefix, after `format` (which may turn one line
 * into several). A chunk may end mid-line or mid UTF-8 character; the rest of a last line without a
 * newline is written (with one) at end().
 */
export class LinePrefixer {
  readonly #prefix: string;
  readonly #write: (text: string) => void;
  readonly #format: (line: string) => string;
  readonly #decoder = new StringDecoder('utf8');
  #partial = '';

  constructor(
    prefix: string,
    write: (text: string) => void,
    format: (line: string) => string = (line) => line,
  ) {
    this.#prefix = prefix;
    this.#write = write;
    this.#format = format;
  }

  push(chunk: Buffer | string): void {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline < 0) {
      this.#partial = text;
      return;
    }
    this.#partial = text.slice(lastNewline + 1);
    const lines = text.slice(0, lastNewline).split('\n');
    this.#write(lines.map((line) => this.#prefixed(line)).join(''));
  }

  end(): void {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (rest !== '') this.#write(this.#prefixed(rest));
  }

  #prefixed(line: string): string {
    const formatted = this.#format(line).replace(/\n+$/, '');
    return formatted
      .split('\n')
      .map((part) => `${this.#prefix}${part}\n`)
      .join('');
  }
}

const COLORS = [36, 35, 33, 32, 34, 96, 95, 93, 92] as const;

function paint(color: boolean, code: number, text: string): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Where the launcher writes and which process signals it listens to (the real ones by default). */
export interface LauncherIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly signals: Pick<NodeJS.Process, 'on' | 'off'>;
  readonly probeReady: ReadinessProbe;
}

const processIo = (): LauncherIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signals: process,
  probeReady: httpReadinessProbe,
});

/** The extra flags node `id` needs beyond --node-id when the layout is not the default one. */
function localFlags(options: LauncherOptions): string[] {
  return [
    ...(options.dataRoot === LOCAL_CLUSTER.dataRoot ? [] : ['--data-root', options.dataRoot]),
    ...(options.nodes === LOCAL_CLUSTER.nodes ? [] : ['--local-nodes', String(options.nodes)]),
  ];
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code}`;
}

interface RunningNode {
  readonly id: number;
  readonly child: ChildProcess;
  done: boolean;
}

/** Starts the nodes and resolves with the launcher's exit code once all of them have exited. */
export async function runCluster(options: LauncherOptions, io: LauncherIo = processIo()): Promise<number> {
  const say = (text: string): void => io.stdout(`${paint(options.color, 1, '[cluster]')} ${text}\n`);
  const secure = options.secure ? await ensureSecureLocalCluster(options.dataRoot, options.nodes) : null;
  // Per node: the secure profile's settings, then the user's overrides (which win).
  const nodeOverrides = (id: number): string[] => [
    ...(secure === null ? [] : [...secureNodeSettings(secure, id)].map(([key, value]) => `${key}=${value}`)),
    ...options.overrides,
  ];
  // Building every node's config first checks the overrides before anything starts.
  const configs = Array.from({ length: options.nodes }, (_, index) => {
    const properties = localClusterProperties(index + 1, options.dataRoot, options.nodes);
    for (const override of nodeOverrides(index + 1)) {
      const separator = override.indexOf('=');
      properties.set(override.slice(0, separator).trim(), override.slice(separator + 1));
    }
    return buildNodeConfig(properties).config;
  });
  const clusterId = await ensureLocalClusterId(options.dataRoot);
  say(
    `Local ${secure === null ? '' : 'secure '}cluster of ${options.nodes} nodes, cluster id ${clusterId}, ` +
      `data in ${options.dataRoot}`,
  );
  const clientUrl = (config: (typeof configs)[number]): string =>
    `${config.listenerSsl.has('CLIENT') ? 'https' : 'http'}://${formatEndpoint(config.advertisedListeners.client)}`;
  for (const config of configs)
    say(
      `  node ${config.nodeId}: client API ${clientUrl(config)}, ` +
        (config.advertisedListeners.kafka === null
          ? ''
          : `Kafka ${formatEndpoint(config.advertisedListeners.kafka)}, `) +
        `internal ${formatEndpoint(config.advertisedListeners.internal)}, data ${config.logDirs.join(',')}`,
    );
  // The testing seam's stand-in nodes bind nothing.
  if (options.nodeCommand === null) {
    const taken = await takenListenerPorts(configs);
    if (taken.length > 0) {
      for (const port of taken)
        io.stderr(`${paint(options.color, 1, '[cluster]')} ${describeTakenPort(port)}\n`);
      say('Not starting: stop what holds these ports, then run this again.');
      return 1;
    }
  }
  say('Ctrl-C stops the cluster; every node shuts down cleanly.');

  const script = options.nodeCommand ?? MAIN_SCRIPT;
  const extraArgs = (id: number): string[] => [
    ...localFlags(options),
    ...nodeOverrides(id).flatMap((override) => ['--override', override]),
    // The admin user, written by the first controller of a new metadata log (kafka-storage --add-scram).
    ...(secure === null ? [] : secureBootstrapArgs(secure)),
  ];
  return new Promise<number>((resolveExitCode) => {
    const nodes: RunningNode[] = [];
    let failed = false;
    let stopping = false;
    let forceTimer: NodeJS.Timeout | null = null;
    const alive = (): RunningNode[] => nodes.filter((node) => !node.done);

    const forceKill = (reason: string): void => {
      for (const node of alive()) {
        say(`node ${node.id} ${reason}; killing it (SIGKILL)`);
        failed = true;
        node.child.kill('SIGKILL');
      }
    };
    let firstSignal: { readonly signal: NodeJS.Signals; readonly atMs: number } | null = null;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // Under `npm run`, a Ctrl-C arrives twice at once: from the terminal and forwarded by npm.
        if (firstSignal?.signal === signal && Date.now() - firstSignal.atMs < DUPLICATE_SIGNAL_WINDOW_MS)
          return;
        say(`${signal} while stopping: not waiting any longer`);
        forceKill('is still running');
        return;
      }
      stopping = true;
      firstSignal = { signal, atMs: Date.now() };
      const forwarded: NodeJS.Signals = signal === 'SIGHUP' ? 'SIGTERM' : signal;
      say(`${signal}: stopping the nodes (${forwarded} to each; they get ${options.shutdownTimeoutMs} ms)`);
      for (const node of alive()) node.child.kill(forwarded);
      forceTimer = setTimeout(
        () => forceKill(`did not stop within ${options.shutdownTimeoutMs} ms`),
        options.shutdownTimeoutMs,
      );
    };
    const onExitOfLauncher = (): void => {
      for (const node of alive()) node.child.kill('SIGKILL');
    };
    const handledSignals: NodeJS.Signals[] =
      process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const signal of handledSignals) io.signals.on(signal, onSignal);
    process.on('exit', onExitOfLauncher);

    const finish = (): void => {
      for (const signal of handledSignals) io.signals.off(signal, onSignal);
      process.off('exit', onExitOfLauncher);
      if (forceTimer !== null) clearTimeout(forceTimer);
      if (!stopping) say('All nodes have exited.');
      resolveExitCode(failed ? 1 : 0);
    };
    const onNodeExit = (node: RunningNode, how: string, ok: boolean): void => {
      if (node.done) return;
      node.done = true;
      if (!ok) failed = true;
      if (stopping) say(`node ${node.id} stopped (${how})`);
      else {
        // Exit 0 is a node stopped on purpose (SIGTERM: a controlled shutdown), not a failure.
        const what = ok ? 'stopped' : 'exited unexpectedly';
        say(
          `node ${node.id} ${what} (${how}); the other nodes keep running. Restart it with: ` +
            `npm run node -- ${['--node-id', String(node.id), ...localFlags(options)].join(' ')}`,
        );
      }
      if (alive().length === 0) finish();
    };

    const format = options.logFormat === 'pretty' ? prettyLogLine(options.color) : undefined;
    for (let id = 1; id <= options.nodes; id++) {
      const child = spawn(process.execPath, [script, '--node-id', String(id), ...extraArgs(id)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: process.platform !== 'win32',
      });
      const node: RunningNode = { id, child, done: false };
      nodes.push(node);
      const prefix = `${paint(options.color, COLORS[(id - 1) % COLORS.length]!, `[node-${id}]`)} `;
      const out = new LinePrefixer(prefix, io.stdout, format);
      const err = new LinePrefixer(prefix, io.stderr, format);
      child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
      child.stdout?.on('end', () => out.end());
      child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
      child.stderr?.on('end', () => err.end());
      child.on('error', (error) => onNodeExit(node, `could not start: ${error.message}`, false));
      child.on('close', (code, signal) => onNodeExit(node, describeExit(code, signal), code === 0));
    }
    const clientUrls = configs.map(clientUrl);
    void waitForReadyCluster({
      clientUrls,
      clusterId,
      probe: io.probeReady,
      tls: secure === null ? null : { ca: secure.ca, cert: secure.client.certPem, key: secure.client.keyPem },
      intervalMs: READY_PROBE_INTERVAL_MS,
      // "every node" is not true once one of them exited (e.g. its port was taken).
      stopped: () => stopping || alive().length < nodes.length,
    }).then((ready) => {
      if (!ready) return;
      say(`ready: every node has caught up with the metadata quorum (${clientUrls.join(', ')})`);
      const bootstrap = configs.flatMap((config) =>
        config.advertisedListeners.kafka === null ? [] : [formatEndpoint(config.advertisedListeners.kafka)],
      );
      if (bootstrap.length > 0) say(`Kafka clients: --bootstrap-server ${bootstrap.join(',')}`);
      if (secure !== null)
        for (const line of secureQuickStart(secure, clientUrls[0]!, bootstrap[0] ?? null)) say(line);
    });
  });
}

/** What a user of the secure cluster needs once: the CA, the admin's credentials, working commands. */
export function secureQuickStart(
  secure: SecureLocalCluster,
  clientUrl: string,
  kafka: string | null,
): string[] {
  const { username, password } = secure.admin;
  return [
    `Security is on. CA certificate: ${secure.caFile}`,
    `  admin user: ${username}, password: ${password} (kept in ${secure.dir}/admin.properties)`,
    `  curl --cacert ${secure.caFile} -u ${username}:${password} ${clientUrl}/v3/clusters`,
    `  curl --cacert ${secure.caFile} --cert ${secure.clientFile} ${clientUrl}/v3/clusters   (client certificate)`,
    ...(kafka === null
      ? []
      : [
          `  kcat -b ${kafka.replace(/^127\.0\.0\.1:/, 'localhost:')} -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-256 ` +
            `-X sasl.username=${username} -X sasl.password=${password} -X ssl.ca.location=${secure.caFile} -L`,
          `  kcat -F ${secure.librdkafkaConfig} -b ${kafka} -L   (librdkafka settings, also for confluent-kafka)`,
          `  npm run topics -- --bootstrap-server ${clientUrl.replace(/^https:\/\//, '')} --command-config ${secure.clientProperties} --list`,
        ]),
  ];
}

async function main(): Promise<void> {
  let options: LauncherOptions | null;
  try {
    options = parseLauncherArgs(process.argv.slice(2), process.env, process.stdout.isTTY === true);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n\n${LAUNCHER_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === null) {
    process.stdout.write(LAUNCHER_USAGE);
    return;
  }
  try {
    process.exitCode = await runCluster(options);
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof DataDirError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}

if (import.meta.main) await main();
