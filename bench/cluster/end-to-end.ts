// End-to-end latency: one record at a time produced (REST v3, acks=all) to a one-partition topic at a
// steady rate (open loop) through a node that is not the partition's leader, its send time (this
// process's clock) in its value; two readers in this process see each record: a REST v2 long-poll group-less read on the partition's leader, and a kafkajs consumer group
// (Kafka Fetch with max wait: a long poll too). Latency = the moment a reader has the record - its send time.
import { Kafka, logLevel } from 'kafkajs';
import { Agent, request } from 'undici';
import { LatencyRecorder } from './latency.ts';
import type { BenchCluster } from './local-cluster.ts';
import { pauseUntil, waitFor } from './wait.ts';
import type { Counters } from './workload.ts';

export interface EndToEndOutcome {
  /** Records sent after the warm-up and acknowledged: the ones measured. */
  readonly produced: number;
  /** Send to acknowledgement of each produce (acks=all): the part of the end-to-end latency before a read. */
  readonly produceAck: LatencyRecorder;
  readonly restV2: LatencyRecorder;
  readonly kafkajs: LatencyRecorder;
}

export async function endToEnd(options: {
  readonly cluster: BenchCluster;
  readonly topic: string;
  /** Records sent during the first seconds are not measured (the new topic's first produces are slow). */
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly ratePerSecond: number;
  readonly counters: Counters;
}): Promise<EndToEndOutcome> {
  const { cluster, topic, counters } = options;
  const restV2 = new LatencyRecorder();
  const kafkajs = new LatencyRecorder();
  const produceAck = new LatencyRecorder();
  const [state] = await cluster.partitions(topic, cluster.nodes[0]!.id);
  const leaderUrl = cluster.node(state!.leaderId).clientUrl;
  const produceUrl = `${cluster.nodes.find((node) => node.id !== state!.leaderId)!.clientUrl}/v3/clusters/${cluster.clusterId}/topics/${topic}/records`;
  // Set when the first record is sent; until then nothing is measured.
  let measuredFrom = Number.POSITIVE_INFINITY;
  const measure = (recorder: LatencyRecorder, sent: number, now: number) => {
    if (sent >= measuredFrom) recorder.recordAt(now - sent, (now - measuredFrom) / 1000);
  };
  // The value is the send time as text: JSON (a number) to the REST reader, bytes to kafkajs.
  const seen = (recorder: LatencyRecorder, value: unknown) => {
    const sent = Number(value);
    if (Number.isFinite(sent)) measure(recorder, sent, performance.now());
  };

  const kafka = new Kafka({
    clientId: 'kraftling-bench-e2e',
    brokers: cluster.nodes.map((node) => node.kafkaAddress),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-e2e-${Date.now()}`, maxWaitTimeInMs: 5000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let hasJoined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    hasJoined = true;
  });
  await consumer.run({
    eachMessage: async ({ message }) => seen(kafkajs, message.value?.toString() ?? null),
  });
  // Records sent before the consumer has its partition would be seen late for a reason of their own.
  await waitFor('the kafkajs consumer to join its group', 60_000, async () => hasJoined);

  const agent = new Agent({ connections: 32, keepAliveTimeout: 30_000 });
  const readerAgent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  let producing = true;
  let produced = 0;
  const reader = (async () => {
    let offset = 0;
    while (producing || offset < produced) {
      const response = await request(
        `${leaderUrl}/topics/${topic}/partitions/0/records?offset=${offset}&timeout=1000`,
        { dispatcher: readerAgent, headers: { accept: 'application/vnd.kafka.json.v2+json' } },
      );
      const records = (await response.body.json()) as { offset: number; value: unknown }[];
      for (const record of records) seen(restV2, record.value);
      if (records.length > 0) offset = records.at(-1)!.offset + 1;
    }
  })();
  const produceOne = async (): Promise<void> => {
    const sent = performance.now();
    try {
      const response = await request(produceUrl, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ partition_id: 0, value: { type: 'STRING', data: String(sent) } }),
      });
      const report = (await response.body.json()) as { error_code: number };
      if (report.error_code !== 200) throw new Error(`error ${report.error_code}`);
      measure(produceAck, sent, performance.now());
      produced++;
      counters.acked++;
    } catch {
      counters.failed++;
    }
  };
  try {
    // Open loop: a record is sent at its time whether or not the one before has been acknowledged.
    const started = performance.now();
    measuredFrom = started + options.warmupSeconds * 1000;
    const intervalMs = 1000 / options.ratePerSecond;
    const sends: Promise<void>[] = [];
    for (let index = 0; performance.now() < measuredFrom + options.seconds * 1000; index++) {
      await pauseUntil(started + index * intervalMs);
      sends.push(produceOne());
    }
    await Promise.all(sends);
    producing = false;
    await reader;
    await waitFor(
      'the kafkajs consumer to see every record',
      30_000,
      async () => kafkajs.count >= produceAck.count,
    );
    return { produced: produceAck.count, produceAck, restV2, kafkajs };
  } finally {
    producing = false;
    await consumer.disconnect();
    await agent.close();
    await readerAgent.close();
  }
}
