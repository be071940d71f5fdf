import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Producer } from '../../src/client/index.ts';
import { createReplicatedTopic, useKafkaTestCluster } from './kafka-client-tools.ts';
import { type ProcessCluster, waitFor } from './process-cluster.ts';

// console-consumer as a real child process (`node src/cli/main.ts console-consumer`) on a 3-node cluster:
// it is an SDK Consumer, so it bootstraps from either listener of a node (the Kafka port hands its h2c
// connection to the HTTP API), commits with --group when it ends (by itself or on SIGTERM), and keeps
// reading without a gap through the kill -9 of the node it bootstrapped from.

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let cluster: ProcessCluster;
useKafkaTestCluster((started) => {
  cluster = started;
});

/** A running tool: its output lines so far and its exit code once it ends. */
interface Tool {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

const running: Tool[] = [];
afterEach(async () => {
  for (const tool of running.splice(0)) {
    if (tool.child.exitCode === null && tool.child.signalCode === null) tool.child.kill('SIGKILL');
    await tool.exited;
  }
});

function lines(stream: NodeJS.ReadableStream, into: string[]): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    into.push(...parts);
  });
}

function consoleConsumer(...args: string[]): Tool {
  const child = spawn(process.execPath, [MAIN, 'console-consumer', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  lines(child.stdout!, stdout);
  lines(child.stderr!, stderr);
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => resolve(code));
  });
  const tool = { child, stdout, stderr, exited };
  running.push(tool);
  return tool;
}

/** The tool's exit code, once it ended (the test fails with its stderr if that takes too long). */
async function exitOf(tool: Tool, timeoutMs = 60_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`console-consumer still running; stderr: ${tool.stderr.join('\n')}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([tool.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

const httpServer = (id: number) => `127.0.0.1:${cluster.node(id).clientPort}`;
const kafkaServer = (id: number) => `127.0.0.1:${cluster.node(id).kafkaPort}`;

async function produce(topic: string, from: number, to: number, node = 1): Promise<void> {
  const producer = new Producer({
    bootstrap: `http://${httpServer(node)}`,
    lingerMs: 2,
    deliveryTimeoutMs: 60_000,
  });
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = from; i < to; i++) sends.push(producer.send({ topic, key: `k-${i % 50}`, value: `v-${i}` }));
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `v-${from + i}`);
const byNumber = (values: readonly string[]) =>
  [...values].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
const PRINT_POSITION = ['--property', 'print.partition=true', '--property', 'print.offset=true'];

/** Lines `Partition:P<TAB>Offset:O<TAB>value`: per partition the offsets run from 0 without a gap. */
function expectContiguous(printed: readonly string[]): string[] {
  const next = new Map<string, number>();
  return printed.map((line) => {
    const [partition, offset, value] = line.split('\t');
    expect(Number(offset!.slice('Offset:'.length)), line).toBe(next.get(partition!) ?? 0);
    next.set(partition!, (next.get(partition!) ?? 0) + 1);
    return value!;
  });
}

describe('console-consumer (an SDK consumer) on a 3-node cluster', () => {
  it('reads what was produced --from-beginning, bootstrapping through a Kafka listener', async () => {
    await createReplicatedTopic(cluster, 'cc-read', 3);
    await produce('cc-read', 0, 300);
    const tool = consoleConsumer(
      ...['--bootstrap-server', kafkaServer(1), '--topic', 'cc-read'],
      ...['--from-beginning', '--max-messages', '300', ...PRINT_POSITION],
    );
    expect(await exitOf(tool)).toBe(0);
    expect(tool.stderr).toEqual(['Processed a total of 300 messages']);
    expect(byNumber(expectContiguous(tool.stdout))).toEqual(range(0, 300));
  }, 120_000);

  it('with --group commits at the end (by itself or on SIGTERM): the next run prints only newer records', async () => {
    await createReplicatedTopic(cluster, 'cc-group', 3);
    await produce('cc-group', 0, 200);
    const group = ['--bootstrap-server', httpServer(2), '--topic', 'cc-group', '--group', 'cc'];
    const first = consoleConsumer(...group, '--from-beginning', '--max-messages', '200');
    expect(await exitOf(first)).toBe(0);
    expect(byNumber(first.stdout)).toEqual(range(0, 200));

    await produce('cc-group', 200, 300);
    const second = consoleConsumer(...group, '--from-beginning');
    await waitFor('the second run to print the 100 newer records', () => second.stdout.length >= 100, 60_000);
    second.child.kill('SIGTERM');
    expect(await exitOf(second)).toBe(0);
    expect(second.stderr).toEqual(['Processed a total of 100 messages']);
    expect(byNumber(second.stdout)).toEqual(range(200, 300));

    // SIGTERM closed the consumer, which committed: nothing is left for the group.
    const offsets = await cluster.get(2, `/v3/clusters/${cluster.clusterId}/consumer-groups/cc/lags`);
    expect(offsets.status).toBe(200);
    const lags = (offsets.body.data as { current_offset: number; log_end_offset: number }[]).map(
      (lag) => lag.log_end_offset - lag.current_offset,
    );
    expect(lags).toEqual([0, 0, 0]);
    const third = consoleConsumer(...group, '--from-beginning', '--timeout-ms', '3000');
    expect(await exitOf(third)).toBe(0);
    expect(third.stdout).toEqual([]);
    expect(third.stderr).toEqual(['Processed a total of 0 messages']);
  }, 180_000);

  it('keeps reading, without a gap, through the kill -9 of the node it bootstrapped from', async () => {
    await createReplicatedTopic(cluster, 'cc-failover', 3);
    await produce('cc-failover', 0, 600);
    const tool = consoleConsumer(
      ...['--bootstrap-server', httpServer(1), '--topic', 'cc-failover'],
      ...['--from-beginning', '--max-messages', '1200', ...PRINT_POSITION],
    );
    await waitFor('the first 600 records printed', () => tool.stdout.length >= 600, 60_000);
    // Node 1 is the bootstrap node and leads one of the partitions.
    await cluster.stop(1, 'SIGKILL');
    await produce('cc-failover', 600, 1200, 2);
    expect(await exitOf(tool, 120_000)).toBe(0);
    expect(tool.stderr).toEqual(['Processed a total of 1200 messages']);
    expect(byNumber(expectContiguous(tool.stdout))).toEqual(range(0, 1200));
    cluster.start(1);
    await cluster.waitReady(60_000);
  }, 240_000);
});
