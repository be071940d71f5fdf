// Produce and consume over the Kafka protocol with two real clients: kafkajs (`inFlight` concurrent sends of
// `recordsPerRequest` records, its default partitioner spreading them) and confluent-kafka for Python
// (librdkafka, linger.ms=5, at most inFlight x recordsPerRequest records waiting for their ack), a
// separate process driven through bench/cluster/confluent_kafka_bench.py.
import { spawn, spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { LatencyRecorder } from './latency.ts';
import {
  type Acks,
  type Counters,
  closedLoop,
  type LoadShape,
  type ProduceOutcome,
  recordValue,
} from './workload.ts';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./confluent_kafka_bench.py', import.meta.url));

/** confluent-kafka's version in Debian's python3 (python3-confluent-kafka), or null without it. */
export function confluentKafkaVersion(): string | null {
  const answer = spawnSync(
    PYTHON,
    ['-c', 'import confluent_kafka; print(confluent_kafka.version()[0], confluent_kafka.libversion()[0])'],
    {
      encoding: 'utf8',
    },
  );
  if (answer.status !== 0) return null;
  const [python, librdkafka] = answer.stdout.trim().split(' ');
  return `confluent-kafka ${python}, librdkafka ${librdkafka}`;
}

export interface KafkaProduceOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly recordBytes: number;
  readonly acks: Acks;
  readonly shape: LoadShape;
  readonly counters: Counters;
}

export async function produceKafkajs(options: KafkaProduceOptions): Promise<ProduceOutcome> {
  const { shape } = options;
  const kafka = new Kafka({
    clientId: 'kraftling-bench',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const value = recordValue(options.recordBytes);
  const messages = Array.from({ length: shape.recordsPerRequest }, () => ({ value }));
  try {
    const measured = await closedLoop({
      inFlight: shape.inFlight,
      warmupSeconds: shape.warmupSeconds,
      seconds: shape.seconds,
      counters: options.counters,
      send: async () => {
        try {
          await producer.send({ topic: options.topic, acks: options.acks === 'all' ? -1 : 1, messages });
          return { acked: messages.length, failed: 0 };
        } catch {
          return { acked: 0, failed: messages.length };
        }
      },
    });
    return {
      ...measured,
      latencyUnit: 'request',
      recordsPerRequest: shape.recordsPerRequest,
    };
  } finally {
    await producer.disconnect();
  }
}

interface PythonLine {
  readonly done?: boolean;
  readonly acked?: number;
  readonly failed?: number;
  readonly seconds?: number;
  readonly records?: number;
  readonly value_bytes?: number;
  readonly first_record_after_s?: number | null;
}

/** Runs the Python script; `counters` follow its progress lines; resolves with its last line. */
async function runPython(args: readonly string[], counters: Counters): Promise<PythonLine> {
  const child = spawn(PYTHON, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let last: PythonLine | null = null;
  for await (const line of createInterface({ input: child.stdout })) {
    const parsed = JSON.parse(line) as PythonLine;
    counters.acked = parsed.acked ?? parsed.records ?? counters.acked;
    counters.failed = parsed.failed ?? counters.failed;
    last = parsed;
  }
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', resolve);
  });
  if (code !== 0 || last?.done !== true)
    throw new Error(`confluent-kafka script failed (exit ${code}): ${stderr.trim()}`);
  return last;
}

export async function produceConfluentKafka(options: KafkaProduceOptions): Promise<ProduceOutcome> {
  const { shape } = options;
  const maxInFlight = shape.inFlight * shape.recordsPerRequest;
  const out = join(tmpdir(), `kraftling-bench-latencies-${process.pid}-${Date.now()}.bin`);
  try {
    const last = await runPython(
      [
        'produce',
        ...['--bootstrap', options.brokers.join(','), '--topic', options.topic, '--acks', options.acks],
        ...['--bytes', String(options.recordBytes), '--seconds', String(shape.seconds)],
        ...['--warmup-seconds', String(shape.warmupSeconds)],
        ...['--max-in-flight', String(maxInFlight)],
        ...['--out', out],
      ],
      options.counters,
    );
    const bytes = await readFile(out);
    const pairs = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const latency = new LatencyRecorder();
    for (let index = 0; index + 1 < pairs.length; index += 2)
      latency.recordAt(pairs[index + 1]! / 1000, pairs[index]! / 1000);
    return {
      acked: last.acked ?? 0,
      failed: last.failed ?? 0,
      seconds: last.seconds ?? shape.seconds,
      latency,
      latencyUnit: 'record',
      recordsPerRequest: maxInFlight,
    };
  } finally {
    await rm(out, { force: true });
  }
}

export interface ConsumeOutcome {
  readonly records: number;
  readonly valueBytes: number;
  readonly seconds: number;
  /** From the start of the read to the first record (connecting, a group join). */
  readonly firstRecordAfterSeconds: number | null;
}

/** Reads `records` records of `topic` from the beginning with librdkafka (assigned partitions, no group). */
export async function consumeConfluentKafka(options: {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly records: number;
  readonly timeoutSeconds: number;
  readonly counters: Counters;
}): Promise<ConsumeOutcome> {
  const last = await runPython(
    [
      'consume',
      ...['--bootstrap', options.brokers.join(','), '--topic', options.topic],
      ...['--records', String(options.records), '--seconds', String(options.timeoutSeconds)],
    ],
    options.counters,
  );
  return {
    records: last.records ?? 0,
    valueBytes: last.value_bytes ?? 0,
    seconds: last.seconds ?? 0,
    firstRecordAfterSeconds: last.first_record_after_s ?? null,
  };
}

/** Reads `records` records of `topic` from the beginning with a kafkajs consumer group of its own. */
export async function consumeKafkajs(options: {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly records: number;
  readonly timeoutSeconds: number;
  readonly counters: Counters;
}): Promise<ConsumeOutcome> {
  const kafka = new Kafka({
    clientId: 'kraftling-bench',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `bench-kafkajs-reader-${Date.now()}`,
    maxBytes: 64 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  const started = performance.now();
  let first: number | null = null;
  let ended: number | null = null;
  let valueBytes = 0;
  const { counters } = options;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.timeoutSeconds * 1000);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            first ??= performance.now();
            counters.acked += batch.messages.length;
            for (const message of batch.messages) valueBytes += message.value?.length ?? 0;
            if (counters.acked >= options.records) {
              ended ??= performance.now();
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return {
      records: counters.acked,
      valueBytes,
      seconds: ((ended ?? performance.now()) - started) / 1000,
      firstRecordAfterSeconds: first === null ? null : (first - started) / 1000,
    };
  } finally {
    await consumer.disconnect();
  }
}
