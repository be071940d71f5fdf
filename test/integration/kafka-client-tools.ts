// What the tests of Kafka's own clients share: the command-line clients come from Debian (kcat,
// python3-confluent-kafka, python3-kafka, golang-go and golang-github-shopify-sarama-dev; .ci/run
// installs them). Without one, a test is skipped with
// the reason printed, except under CI=true, where a missing client fails the test: CI must run every
// client.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestContext } from 'vitest';

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
