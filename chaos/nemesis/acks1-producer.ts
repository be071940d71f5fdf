// The acks=1 producers: unique values `a<producer>-<seq>` to the topic chaos-acks1, each with acks=1.
// They were written before REST produce took `?acks=1` and still use the path a node itself uses for
// it, which needs no node in between: the protobuf produce a node forwards to a partition's leader
// (POST /internal/v1/partitions/produce on the leader's INTERNAL listener, proto/broker.proto), sent
// straight to the leader as shown by the v3 partitions of a random broker. The leader answers acks=1
// once the batch is in its log, before any follower has it: such records may be lost when leadership
// moves (Kafka allows it), and the checks of chaos-acks1 (checker.ts) say what may not happen even so.
import { KafkaError } from '../../src/common/kafka-errors.ts';
// NOT_APPENDED: errors a leader answers before it appends anything (the ones DataService retries on).
import { NOT_APPENDED } from '../../src/node/data-service.ts';
import {
  decodeProduceAnswer,
  encodeProduce,
  PRODUCE_PATH,
} from '../../src/replication/forwarded-messages.ts';
import { H2cClients } from '../../src/replication/h2c-clients.ts';
import { UnacknowledgedAppendError } from '../../src/replication/unacknowledged-append.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { isRecord, sleep } from './cluster.ts';
import type { SendComplete, SendInvoke } from './history.ts';
import { type ClientDeps, describeError } from './workload.ts';

const ACKS_ONE_PAUSE_MS = 10;

export class AcksOneProducer {
  private seq = 0;
  private readonly who: string;
  private readonly deps: ClientDeps;
  private readonly clients = new H2cClients();
  private topicId: string | null = null;
  /** partition -> the leader believed; forgotten after an error. */
  private readonly leaders = new Map<number, number>();

  constructor(index: number, deps: ClientDeps) {
    this.who = `a${index}`;
    this.deps = deps;
  }

  async run(stop: AbortSignal): Promise<void> {
    const index = Number(this.who.slice(1));
    try {
      while (!stop.aborted) {
        const seq = this.seq++;
        const partition = (index + seq) % this.deps.options.partitions;
        const definiteFailure = await this.send(partition, `${this.who}-${seq}`);
        // An acks=1 answer takes a few ms: without a pause two producers would write hundreds of records
        // a second and take the CPU of the two-core machine from the nodes.
        await sleep(definiteFailure ? 50 : ACKS_ONE_PAUSE_MS, stop);
      }
    } finally {
      await this.clients.close();
    }
  }

  /** The topic id and the partition's leader, asked of a random broker; null when not known. */
  private async locate(partition: number): Promise<{ topicId: string; leader: number } | null> {
    const { cluster, random, options } = this.deps;
    const node = random.pick(cluster.clientNodes());
    try {
      if (this.topicId === null) {
        const answer = await cluster.http(node, 'GET', `${cluster.topicsPath()}/${options.topic}`, {
          timeoutMs: 3000,
        });
        if (answer.status !== 200 || !isRecord(answer.body) || typeof answer.body.topic_id !== 'string')
          return null;
        this.topicId = answer.body.topic_id;
      }
      let leader = this.leaders.get(partition);
      if (leader === undefined) {
        const info = (await cluster.partitions(node, options.topic, 3000)).find(
          (p) => p.partitionId === partition,
        );
        if (info === undefined || info.leaderId < 1) return null;
        leader = info.leaderId;
        this.leaders.set(partition, leader);
      }
      return { topicId: this.topicId, leader };
    } catch {
      return null;
    }
  }

  /** One acks=1 send; true when it failed definitely (the caller backs off). */
  private async send(partition: number, value: string): Promise<boolean> {
    const { cluster, history, options } = this.deps;
    const located = await this.locate(partition);
    if (located === null) return true; // nothing sent: no history entry
    const { topicId, leader: node } = located;
    const topic = options.topic;
    history.append<SendInvoke>({
      type: 'invoke',
      f: 'send',
      process: this.who,
      node,
      topic,
      partition,
      value,
    });
    const started = performance.now();
    const complete = (type: SendComplete['type'], extra: { offset?: number; error?: string }): boolean => {
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      history.append<SendComplete>({
        type,
        f: 'send',
        process: this.who,
        node,
        topic,
        partition,
        value,
        latencyMs,
        ...(extra.offset !== undefined ? { ackPartition: partition } : {}),
        ...extra,
      });
      if (type !== 'ok') this.leaders.delete(partition);
      return type !== 'ok';
    };
    const body = encodeProduce({
      topicId,
      partition,
      acks: 1,
      timeoutMs: options.produceTimeoutMs,
      records: buildRecordBatch({
        records: [{ key: null, value: Buffer.from(value), headers: [], timestamp: Date.now() }],
      }),
    });
    try {
      const answer = await this.clients.post(
        `127.0.0.1:${cluster.node(node).internalPort}`,
        PRODUCE_PATH,
        body,
        {
          timeoutMs: options.produceTimeoutMs,
          signal: AbortSignal.timeout(options.produceTimeoutMs),
        },
      );
      if (answer.status !== 200) {
        const text = `${answer.status} ${Buffer.from(answer.bytes).toString('utf8').slice(0, 200)}`;
        // 503: not a broker or not caught up yet, nothing appended; 500: the leader failed somewhere.
        return complete(answer.status === 500 ? 'info' : 'fail', { error: text });
      }
      const decoded = decodeProduceAnswer(answer.bytes);
      if (decoded instanceof KafkaError) {
        const definite =
          !(decoded instanceof UnacknowledgedAppendError) && NOT_APPENDED.has(decoded.errorName);
        return complete(definite ? 'fail' : 'info', { error: `${decoded.errorName}: ${decoded.message}` });
      }
      complete('ok', { offset: decoded.baseOffset });
      return false;
    } catch (error) {
      const { definite, text } = describeError(error);
      complete(definite ? 'fail' : 'info', { error: text });
      return definite;
    }
  }
}
