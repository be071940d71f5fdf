// Issue 8: `console-producer`, run as a user runs it (a child process reading a pipe), loses nothing when
// its bootstrap node is killed under it: the lines sent before, during and after the kill -9 all land
// once, in order, because the SDK producer behind it retries until delivery.timeout.ms, fails over to the
// brokers it learned, and is idempotent.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientCodec } from '../../src/http/native/codec.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { createReplicatedTopic, kafkaBootstrap } from './kafka-client-tools.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TOPIC = 'lines';
const PARTITIONS = 3;
const LINES = 2000;
const KEYS = 12;

let cluster: ProcessCluster | null = null;
let tool: ChildProcessWithoutNullStreams | null = null;

beforeEach(async () => {
  cluster = await ProcessCluster.create({ controllers: 3 });
  await cluster.startAll();
});

afterEach(async (context) => {
  if (tool !== null && tool.exitCode === null && tool.signalCode === null) tool.kill('SIGKILL');
  tool = null;
  if (cluster !== null && context.task.result?.state === 'fail') {
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  }
  await cluster?.destroy();
  cluster = null;
});

/** Writes lines first..last-1 (key, tab, number), waiting whenever the pipe is full. */
async function writeLines(stdin: NodeJS.WritableStream, first: number, last: number): Promise<void> {
  for (let start = first; start < last; start += 100) {
    const chunk = Array.from(
      { length: Math.min(100, last - start) },
      (_, i) => `k${(start + i) % KEYS}\t${start + i}\n`,
    ).join('');
    if (!stdin.write(chunk)) await new Promise((resolve) => stdin.once('drain', resolve));
  }
}

/** The records a partition holds up to its high watermark, read with the native fetch through `via`. */
async function readPartition(via: number, partition: number): Promise<{ key: string; value: number }[]> {
  const node = cluster!.node(via);
  const records: { key: string; value: number }[] = [];
  let offset = 0;
  for (;;) {
    const response = await request(`http://127.0.0.1:${node.clientPort}/v1/fetch`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: clientCodec.fetchRequest({
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 0,
        topics: [{ name: TOPIC, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 0 }] }],
      }),
    });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    expect(response.statusCode, bytes.toString('utf8')).toBe(200);
    const fetched = clientCodec.fetchResponse(bytes).topics[0]!.partitions[0]!;
    expect(fetched.errorCode).toBe(0);
    let next = offset;
    for (const { header } of batchesIn(Buffer.from(fetched.records)))
      for (const record of decodeRecords(header)) {
        if (record.offset < offset) continue;
        records.push({ key: record.key!.toString('utf8'), value: Number(record.value!.toString('utf8')) });
        next = record.offset + 1;
      }
    if (next >= fetched.highWatermark || next === offset) return records;
    offset = next;
  }
}

/** The sum of the topic's high watermarks, as node `via` reports them (REST v2). */
async function recordsStored(via: number): Promise<number> {
  let total = 0;
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const answer = await cluster!.get(via, `/topics/${TOPIC}/partitions/${partition}/offsets`);
    if (answer.status !== 200) return -1;
    total += answer.body.end_offset as number;
  }
  return total;
}

describe('console-producer when its bootstrap node is killed', () => {
  it('kill -9 of the bootstrap node: the tool exits 0 and every line is stored once, in order', async () => {
    const c = cluster!;
    await createReplicatedTopic(c, TOPIC, PARTITIONS);
    await waitFor('the topic led by all of its replicas, one partition by node 1', async () => {
      const partitions = await c.partitions(2, TOPIC);
      return (
        partitions.length === PARTITIONS &&
        partitions.every((p) => p.isr.length === 3) &&
        partitions.some((p) => p.leader_id === 1)
      );
    });

    // The Kafka listener of node 1: the tool's HTTP/2 reaches the node's HTTP API through it.
    tool = spawn(
      process.execPath,
      [
        CLI,
        'console-producer',
        '--bootstrap-server',
        kafkaBootstrap(c, 1),
        '--topic',
        TOPIC,
        '--property',
        'parse.key=true',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    tool.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    let exited: { code: number | null } | undefined;
    tool.once('exit', (code) => {
      exited = { code };
    });

    const before = 700;
    await writeLines(tool.stdin, 0, before);
    await waitFor('the lines before the kill stored', async () => (await recordsStored(2)) >= before, 60_000);

    await c.stop(1, 'SIGKILL');
    const during = 1400;
    await writeLines(tool.stdin, before, during);
    await waitFor(
      'every partition led by a survivor',
      async () => (await c.partitions(2, TOPIC)).every((p) => p.leader_id === 2 || p.leader_id === 3),
      60_000,
    );
    await waitFor(
      'some of the lines written during the outage stored',
      async () => (await recordsStored(2)) > before,
      60_000,
    );
    await writeLines(tool.stdin, during, LINES);
    tool.stdin.end();

    const { code } = await waitFor('console-producer to exit', () => exited, 150_000);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    // Every line once; each partition holds its lines in the order they were written.
    const seen = new Set<number>();
    for (let partition = 0; partition < PARTITIONS; partition++) {
      let last = -1;
      for (const { key, value } of await readPartition(2, partition)) {
        expect(seen.has(value), `line ${value} stored twice`).toBe(false);
        seen.add(value);
        expect(key).toBe(`k${value % KEYS}`);
        expect(value, `partition ${partition} out of order`).toBeGreaterThan(last);
        last = value;
      }
    }
    expect(seen.size).toBe(LINES);
  }, 300_000);
});
