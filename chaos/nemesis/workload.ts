// The clients, over the REST API through random nodes like a user: producers sending unique values with
// acks=all (the server's default) to a given partition, consumers reading every partition from their own
// positions with the group-less v2 read, and the final full reads (REST through every node, and the
// replica log files of every node once the cluster has stopped).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Prng } from '../sim/prng.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { parseLogFileName } from '../../src/storage/segment-files.ts';
import { isRecord, type NemesisCluster, sleep } from './cluster.ts';
import type {
  FinalRead,
  History,
  OffsetsObservation,
  PollComplete,
  PollInvoke,
  ReadRecord,
  SendComplete,
  SendInvoke,
} from './history.ts';

export const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';

export interface WorkloadOptions {
  readonly topic: string;
  readonly partitions: number;
  readonly produceTimeoutMs: number;
  readonly pollTimeoutMs: number;
}

/** A definite answer is one with an error_code; anything else (no answer, a cut answer) is indeterminate. */
export function describeError(error: unknown): { definite: boolean; text: string } {
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : '';
  const cause =
    isRecord(error) && isRecord(error.cause) && typeof error.cause.code === 'string' ? error.cause.code : '';
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  // Refused connections never carried the request: certainly not applied.
  const refused = code === 'ECONNREFUSED' || cause === 'ECONNREFUSED';
  return { definite: refused, text: `${code || cause || name}: ${message}`.slice(0, 200) };
}

export function errorOf(body: unknown): string | null {
  if (isRecord(body) && typeof body.error_code === 'number') {
    return `${body.error_code} ${typeof body.message === 'string' ? body.message : ''}`.trim().slice(0, 200);
  }
  return null;
}

export function decodeValue(value: unknown): string {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '<null>';
}

export interface ClientDeps {
  readonly cluster: NemesisCluster;
  readonly history: History;
  /** Picks the node of each request. */
  readonly random: Prng;
  readonly options: WorkloadOptions;
}

export class Producer {
  private seq = 0;
  private readonly index: number;
  private readonly cluster: NemesisCluster;
  private readonly history: History;
  private readonly random: Prng;
  private readonly options: WorkloadOptions;

  constructor(index: number, deps: ClientDeps) {
    this.index = index;
    ({ cluster: this.cluster, history: this.history, random: this.random, options: this.options } = deps);
  }

  async run(stop: AbortSignal): Promise<void> {
    const who = `p${this.index}`;
    const ids = this.cluster.clientNodes();
    // Each producer is the client of one node (its REST proxy), the producers in turn over the nodes:
    // a frozen node holds up its own clients' requests, not every producer's. When its node refuses the
    // connection (down) the producer goes to the others, picked at random, for a second, as a client fails
    // over to its next bootstrap server. An answer, even an error, says its node is up: it stays.
    const home = ids[this.index % ids.length]!;
    const others = ids.filter((id) => id !== home);
    let awayUntil = 0;
    while (!stop.aborted) {
      const seq = this.seq++;
      // Spread over the partitions: each producer starts on its own and walks through all of them.
      const partition = (this.index + seq) % this.options.partitions;
      const away = performance.now() < awayUntil && others.length > 0;
      const node = away ? this.random.pick(others) : home;
      const outcome = await sendOnce(this.cluster, this.history, this.options, {
        who,
        node,
        partition,
        value: `${who}-${seq}`,
      });
      if (outcome.refused && node === home) awayUntil = performance.now() + 1000;
      // Back off a little after an error, as a client would (and not to spin on a dead node).
      if (outcome.definiteFailure) await sleep(50, stop);
    }
  }
}

/**
 * One acks=all send of `value` to `partition` through `node` (REST v3 produce), written into the history
 * as an invoke and its completion: ok (acknowledged, with its offset), fail (a definite answer) or info.
 */
export async function sendOnce(
  cluster: NemesisCluster,
  history: History,
  options: WorkloadOptions,
  send: { who: string; node: number; partition: number; value: string },
): Promise<{ type: SendComplete['type']; definiteFailure: boolean; refused: boolean }> {
  const { who, node, partition, value } = send;
  const topic = options.topic;
  history.append<SendInvoke>({ type: 'invoke', f: 'send', process: who, node, topic, partition, value });
  const started = performance.now();
  const complete = (
    type: SendComplete['type'],
    extra: { ackPartition?: number; offset?: number; error?: string },
  ): void => {
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    history.append<SendComplete>({
      type,
      f: 'send',
      process: who,
      node,
      topic,
      partition,
      value,
      latencyMs,
      ...extra,
    });
  };
  try {
    const answer = await cluster.http(node, 'POST', `${cluster.topicsPath()}/${topic}/records`, {
      body: { partition_id: partition, value: { type: 'STRING', data: value } },
      timeoutMs: options.produceTimeoutMs,
    });
    const body = answer.body;
    if (
      answer.status === 200 &&
      isRecord(body) &&
      body.error_code === 200 &&
      typeof body.offset === 'number'
    ) {
      complete('ok', { ackPartition: Number(body.partition_id), offset: body.offset });
      return { type: 'ok', definiteFailure: false, refused: false };
    }
    const error = errorOf(body);
    if (error !== null) complete('fail', { error: `${answer.status} ${error}` });
    else complete('info', { error: `${answer.status} ${JSON.stringify(body).slice(0, 200)}` });
    return { type: error !== null ? 'fail' : 'info', definiteFailure: true, refused: false };
  } catch (error) {
    const { definite, text } = describeError(error);
    complete(definite ? 'fail' : 'info', { error: text });
    // A definite failure here is a refused connection: the node is down.
    return { type: definite ? 'fail' : 'info', definiteFailure: definite, refused: definite };
  }
}

export class Consumer {
  /** Next offset per partition. */
  readonly positions: number[];
  private readonly who: string;
  private readonly cluster: NemesisCluster;
  private readonly history: History;
  private readonly random: Prng;
  private readonly options: WorkloadOptions;
  /** The partition whose offsets the next round observes. */
  private observed = 0;

  /** `prefix`: the process name's (c for the acks=all topic, ac for the acks=1 one). */
  constructor(index: number, deps: ClientDeps, prefix = 'c') {
    this.who = `${prefix}${index}`;
    ({ cluster: this.cluster, history: this.history, random: this.random, options: this.options } = deps);
    this.positions = Array.from({ length: deps.options.partitions }, () => 0);
  }

  async run(stop: AbortSignal): Promise<void> {
    const ids = this.cluster.clientNodes();
    while (!stop.aborted) {
      let errors = 0;
      for (let partition = 0; partition < this.options.partitions && !stop.aborted; partition++) {
        if (!(await this.poll(this.random.pick(ids), partition))) errors++;
      }
      // One partition's offsets per round (a ListOffsets of the earliest and latest offset).
      const partition = this.observed++ % this.options.partitions;
      if (!stop.aborted) {
        const observed = await observeOffsets(
          this.cluster,
          this.history,
          this.who,
          this.random.pick(ids),
          this.options.topic,
          partition,
        );
        if (observed.type !== 'ok') errors++;
      }
      if (errors > 0) await sleep(50, stop);
    }
  }

  /** One group-less read from the partition's position; false on an error. */
  private async poll(node: number, partition: number): Promise<boolean> {
    const who = this.who;
    const topic = this.options.topic;
    const offset = this.positions[partition]!;
    this.history.append<PollInvoke>({
      type: 'invoke',
      f: 'poll',
      process: who,
      node,
      topic,
      partition,
      offset,
    });
    const complete = (
      type: PollComplete['type'],
      extra: { records?: ReadRecord[]; error?: string },
    ): void => {
      this.history.append<PollComplete>({
        type,
        f: 'poll',
        process: who,
        node,
        topic,
        partition,
        offset,
        ...extra,
      });
    };
    try {
      const answer = await this.cluster.http(
        node,
        'GET',
        `/topics/${topic}/partitions/${partition}/records?offset=${offset}&timeout=200&max_bytes=65536`,
        { accept: BINARY_V2, timeoutMs: this.options.pollTimeoutMs },
      );
      if (answer.status === 200 && Array.isArray(answer.body)) {
        const records: ReadRecord[] = answer.body
          .filter(isRecord)
          .map((r) => [Number(r.offset), decodeValue(r.value)] as const);
        complete('ok', { records });
        if (records.length > 0)
          this.positions[partition] = Math.max(offset, records[records.length - 1]![0] + 1);
        return true;
      }
      complete(errorOf(answer.body) !== null ? 'fail' : 'info', {
        error: `${answer.status} ${errorOf(answer.body) ?? JSON.stringify(answer.body).slice(0, 200)}`,
      });
      return false;
    } catch (error) {
      const { definite, text } = describeError(error);
      complete(definite ? 'fail' : 'info', { error: text });
      return false;
    }
  }
}

/** GET /topics/{t}/partitions/{p}/offsets (REST v2) through `node`, written into the history. */
export async function observeOffsets(
  cluster: NemesisCluster,
  history: History,
  who: string,
  node: number,
  topic: string,
  partition: number,
): Promise<OffsetsObservation> {
  const base = { f: 'offsets', process: who, node, topic, partition } as const;
  history.append<OffsetsObservation>({ type: 'invoke', ...base });
  try {
    const answer = await cluster.http(node, 'GET', `/topics/${topic}/partitions/${partition}/offsets`, {
      timeoutMs: 3000,
    });
    const body = answer.body;
    if (
      answer.status === 200 &&
      isRecord(body) &&
      typeof body.beginning_offset === 'number' &&
      typeof body.end_offset === 'number'
    ) {
      return history.append<OffsetsObservation>({
        type: 'ok',
        ...base,
        logStart: body.beginning_offset,
        end: body.end_offset,
      });
    }
    return history.append<OffsetsObservation>({
      type: errorOf(body) !== null ? 'fail' : 'info',
      ...base,
      error: `${answer.status} ${errorOf(body) ?? JSON.stringify(body).slice(0, 200)}`,
    });
  } catch (error) {
    const { definite, text } = describeError(error);
    return history.append<OffsetsObservation>({ type: definite ? 'fail' : 'info', ...base, error: text });
  }
}

/** Every record of a partition through one node, read from offset 0 until an empty answer. */
export async function finalRestRead(
  cluster: NemesisCluster,
  history: History,
  options: WorkloadOptions,
  node: number,
  partition: number,
): Promise<FinalRead> {
  const records: ReadRecord[] = [];
  let offset = 0;
  let failures = 0;
  let lastError = '';
  while (failures < 20) {
    try {
      const answer = await cluster.http(
        node,
        'GET',
        `/topics/${options.topic}/partitions/${partition}/records?offset=${offset}&timeout=0&max_bytes=1048576`,
        { accept: BINARY_V2, timeoutMs: 10_000 },
      );
      if (answer.status !== 200 || !Array.isArray(answer.body)) {
        throw new Error(
          `${answer.status} ${errorOf(answer.body) ?? JSON.stringify(answer.body).slice(0, 200)}`,
        );
      }
      const batch = answer.body
        .filter(isRecord)
        .map((r) => [Number(r.offset), decodeValue(r.value)] as const);
      if (batch.length === 0) {
        return history.append<FinalRead>({
          type: 'ok',
          f: 'final-read',
          process: 'final',
          source: 'rest',
          node,
          topic: options.topic,
          partition,
          records,
        });
      }
      records.push(...batch);
      offset = Math.max(offset, batch[batch.length - 1]![0] + 1);
    } catch (error) {
      failures++;
      lastError = error instanceof Error ? error.message : String(error);
      await sleep(250);
    }
  }
  return history.append<FinalRead>({
    type: 'fail',
    f: 'final-read',
    process: 'final',
    source: 'rest',
    node,
    topic: options.topic,
    partition,
    records,
    error: `gave up at offset ${offset}: ${lastError}`,
  });
}

/**
 * The records of one replica's log files, read straight from the stopped node's data directory (every
 * segment from the lowest base offset on, up to the first torn or missing batch).
 */
export async function diskRead(
  cluster: NemesisCluster,
  history: History,
  options: WorkloadOptions,
  node: number,
  partition: number,
): Promise<FinalRead> {
  const dir = join(cluster.node(node).dataDir, `${options.topic}-${partition}`);
  const records: ReadRecord[] = [];
  try {
    const segments = (await readdir(dir))
      .map((name) => ({ name, base: parseLogFileName(name) }))
      .filter((s): s is { name: string; base: number } => s.base !== null)
      .sort((a, b) => a.base - b.base);
    for (const segment of segments) {
      const bytes = await readFile(join(dir, segment.name));
      for (const { header } of batchesIn(bytes)) {
        if (header.isControl) continue;
        for (const record of decodeRecords(header)) {
          records.push([record.offset, record.value === null ? '<null>' : record.value.toString('utf8')]);
        }
      }
    }
  } catch (error) {
    return history.append<FinalRead>({
      type: 'fail',
      f: 'final-read',
      process: 'final',
      source: 'disk',
      node,
      topic: options.topic,
      partition,
      records,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return history.append<FinalRead>({
    type: 'ok',
    f: 'final-read',
    process: 'final',
    source: 'disk',
    node,
    topic: options.topic,
    partition,
    records,
  });
}
