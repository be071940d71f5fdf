// Log compaction on three real nodes: a compacted topic written over and over keeps the latest value of
// each key at its offset, on every replica (each cleans its own log), and __consumer_offsets stays
// small under a consumer that commits again and again, its latest commit still there after its
// coordinator moved.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { Consumer, Producer } from '../../src/client/index.ts';
import { createReplicatedTopic, kafkaBootstrap, requireClient, run } from './kafka-client-tools.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';

const KEYS = 1_000;
const ROUNDS = 100;

let cluster: ProcessCluster;
const open: (Consumer | Producer)[] = [];

beforeAll(async () => {
  cluster = await ProcessCluster.create({
    controllers: 3,
    overrides: {
      'log.cleaner.backoff.ms': '100',
      'offsets.topic.num.partitions': '1',
      'offsets.topic.segment.bytes': '8192',
    },
  });
  await cluster.startAll();
  await cluster.waitReady();
});
afterEach(async (context) => {
  await Promise.all(open.splice(0).map((client) => client.close().catch(() => undefined)));
  if (context.task.result?.state !== 'fail') return;
  for (const id of cluster.nodes.keys())
    console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
});
afterAll(async () => {
  await cluster?.destroy();
});

const origin = (id: number) => `http://127.0.0.1:${cluster.node(id).clientPort}`;

/** kraftling_log_size_bytes of a partition's replica on node `id` (its /metrics), or null without one. */
async function logSizeBytes(id: number, topic: string, partition: number): Promise<number | null> {
  const response = await request(`${origin(id)}/metrics`);
  const text = await response.body.text();
  const line = text
    .split('\n')
    .find((candidate) =>
      candidate.startsWith(`kraftling_log_size_bytes{topic="${topic}",partition="${partition}"}`),
    );
  return line === undefined ? null : Number(line.split(' ').at(-1));
}

/** The partition's end offset (its high watermark), through the REST v2 offsets route. */
async function endOffset(topic: string): Promise<number> {
  const answer = await cluster.get(1, `/topics/${topic}/partitions/0/offsets`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.end_offset as number;
}

describe('log compaction on a 3-node cluster', () => {
  it('a compacted topic keeps the latest value of each key, at its offset, on every replica', {
    timeout: 120_000,
  }, async () => {
    await createReplicatedTopic(cluster, 'table', 1, {
      'cleanup.policy': 'compact',
      'segment.bytes': '262144',
      // Segments also roll by time: the last record written (the sentinel) rolls the data's segment.
      'segment.ms': '1000',
      'min.cleanable.dirty.ratio': '0.01',
    });
    const producer = new Producer({ bootstrap: origin(1), lingerMs: 5, batchSize: 65_536 });
    open.push(producer);
    for (let round = 0; round < ROUNDS; round++) {
      const sends: Promise<unknown>[] = [];
      for (let key = 0; key < KEYS; key++) {
        sends.push(producer.send({ topic: 'table', key: `key-${key}`, value: `${round}` }));
      }
      await Promise.all(sends);
    }
    // One more record, segment.ms after the last ones, rolls their segment: every value above is then in
    // a closed segment, which the cleaner may clean (a wait for time to pass, not for a state).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const sentinel = await producer.send({ topic: 'table', key: 'sentinel', value: 'end' });
    const end = await endOffset('table');
    expect(end).toBe(KEYS * ROUNDS + 1);
    expect(sentinel.offset).toBe(KEYS * ROUNDS);

    // Every replica cleans its own log down to about a value per key (100,000 records written).
    for (const id of [1, 2, 3]) {
      await waitFor(
        `node ${id}'s replica of table-0 cleaned`,
        async () => ((await logSizeBytes(id, 'table', 0)) ?? Number.POSITIVE_INFINITY) < 100_000,
        45_000,
      );
    }

    // A consumer reading from 0 sees the latest value of every key, offsets going up, and nothing else.
    const consumer = new Consumer({ bootstrap: origin(2), fetchMaxWaitMs: 100, requestTimeoutMs: 10_000 });
    open.push(consumer);
    const tp = { topic: 'table', partition: 0 };
    consumer.assign([tp]);
    consumer.seek({ ...tp, offset: 0 });
    const latest = new Map<string, string>();
    let previous = -1;
    let count = 0;
    const deadline = Date.now() + 45_000;
    while ((consumer.position(tp) ?? 0) < end && Date.now() < deadline) {
      for (const record of await consumer.poll(500)) {
        expect(record.offset, 'offsets go up').toBeGreaterThan(previous);
        previous = record.offset;
        latest.set(record.key!.toString(), record.value!.toString());
        count++;
      }
    }
    expect(consumer.position(tp)).toBe(end);
    expect(latest.size).toBe(KEYS + 1);
    for (let key = 0; key < KEYS; key++) expect(latest.get(`key-${key}`), `key-${key}`).toBe(`${ROUNDS - 1}`);
    expect(latest.get('sentinel')).toBe('end');
    expect(count).toBe(KEYS + 1);
  });

  it('kcat (librdkafka) reads the compacted topic from the beginning, empty batches and all', async (context) => {
    await requireClient(context, 'kcat', () => run('kcat', ['-V']));
    const { stdout } = await run(
      'kcat',
      ['-b', kafkaBootstrap(cluster, 3), '-C', '-t', 'table', '-o', 'beginning', '-e', '-f', '%k=%s@%o\n'],
      { timeout: 30_000, maxBuffer: 16 << 20 },
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(KEYS + 1);
    expect(lines.at(-1)).toBe(`sentinel=end@${KEYS * ROUNDS}`);
    const offsets = lines.map((line) => Number(line.split('@')[1]));
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(lines.slice(0, -1).map((line) => line.split('@')[0]))).toEqual(
      new Set(Array.from({ length: KEYS }, (_, key) => `key-${key}=${ROUNDS - 1}`)),
    );
  });

  it('__consumer_offsets stays small under a consumer committing many times', {
    timeout: 120_000,
  }, async () => {
    const committer = new Consumer({ bootstrap: origin(1), groupId: 'committer', requestTimeoutMs: 10_000 });
    open.push(committer);
    const tp = { topic: 'table', partition: 0 };
    committer.assign([tp]);
    const commits = 1_500;
    for (let at = 1; at <= commits; at++) await committer.commit([{ ...tp, offset: at }]);
    // About 1,500 commit records of ~100 bytes each: over 150 KB written to __consumer_offsets-0.
    for (const id of [1, 2, 3]) {
      await waitFor(
        `node ${id}'s replica of __consumer_offsets-0 cleaned`,
        async () => ((await logSizeBytes(id, '__consumer_offsets', 0)) ?? Number.POSITIVE_INFINITY) < 40_000,
        45_000,
      );
    }
    // The coordinator moves (its node stops): the next one loads the latest commit from its compacted log.
    const leader = (await cluster.partitions(1, '__consumer_offsets'))[0]!.leader_id;
    await cluster.stop(leader, 'SIGTERM');
    const other = [1, 2, 3].find((id) => id !== leader)!;
    const reader = new Consumer({ bootstrap: origin(other), groupId: 'committer', requestTimeoutMs: 10_000 });
    open.push(reader);
    const committed = await waitFor(
      'the committed offset through the next coordinator',
      async () => (await reader.committed([tp]))[0]?.offset,
      30_000,
    );
    expect(committed).toBe(commits);
  });
});
