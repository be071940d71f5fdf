// What the tests of Kafka's own clients share: the command-line clients come from Debian (kcat,
// python3-confluent-kafka, python3-kafka, golang-go and golang-github-shopify-sarama-dev; .ci/run
// installs them). Without one, a test is skipped with
// the reason printed, except under CI=true, where a missing client fails the test: CI must run every
// client.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, expect, type TestContext } from 'vitest';
import { ProcessCluster } from './process-cluster.ts';

export const run = promisify(execFile);
export const PYTHON = '/usr/bin/python3';

/** Whether a client is installed; without it the test is skipped (printed), or fails under CI=true. */
export async function requireClient(
  context: TestContext,
  name: string,
  probe: () => Promise<unknown>,
): Promise<void> {
  try {
    await probe();
  } catch (error) {
    const reason = `${name} is not installed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    if (process.env.CI === 'true')
      throw new Error(`${reason}: CI must run every Kafka client (.ci/run installs it)`);
    console.log(
      `skipped: ${reason}; apt-get install -y kcat python3-confluent-kafka python3-kafka golang-go golang-github-shopify-sarama-dev`,
    );
    context.skip();
  }
}

/** Runs a Python script with /usr/bin/python3 and parses the one JSON line it prints. */
export async function runPython<T>(script: string, args: readonly string[], timeoutMs = 60_000): Promise<T> {
  const { stdout } = await run(PYTHON, ['-c', script, ...args], { timeout: timeoutMs });
  return JSON.parse(stdout) as T;
}

/**
 * The 3-node cluster of a Kafka client test file: started before its tests (handed to `use`), each
 * node's log tail printed after a failed test, destroyed after the file.
 */
export function useKafkaTestCluster(use: (cluster: ProcessCluster) => void): void {
  let cluster: ProcessCluster | null = null;
  beforeAll(async () => {
    cluster = await ProcessCluster.create({ controllers: 3 });
    use(cluster);
    await cluster.startAll();
  });
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail' || cluster === null) return;
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  });
  afterAll(async () => {
    await cluster?.destroy();
  });
}

/** Node `id`'s Kafka listener, as a bootstrap server. */
export function kafkaBootstrap(cluster: ProcessCluster, id = 1): string {
  return `127.0.0.1:${cluster.node(id).kafkaPort}`;
}

/** Creates `name` through REST on node 1, replicated 3 times, with `configs`; 201 or the test fails. */
export async function createReplicatedTopic(
  cluster: ProcessCluster,
  name: string,
  partitions: number,
  configs: Record<string, string> = {},
): Promise<void> {
  const created = await cluster.http(1, 'POST', cluster.topicsPath(), {
    topic_name: name,
    partitions_count: partitions,
    replication_factor: 3,
    configs: Object.entries(configs).map(([configName, value]) => ({ name: configName, value })),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}
