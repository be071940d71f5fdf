// DataApi (src/http/ports.ts) for this node: a produce or read goes to the partition's leader, this
// node's ReplicaManager when it leads, else the leader's internal listener. While leadership moves
// (no leader yet, a stale image here or there) it retries until the request's deadline; a produce is
// retried only when the leader certainly did not append it, so a retry never writes a record twice.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { brokerAddress } from './broker-address.ts';
import { KafkaError, type KafkaErrorName } from '../common/kafka-errors.ts';
import type {
  DataApi,
  PartitionOffsets,
  ProduceRequest,
  ProduceResult,
  ProducerIdentity,
  ReadRequest,
  ReadResult,
} from '../http/ports.ts';
import type { BrokerId, PartitionId, TopicId } from '../metadata/ids.ts';
import { NO_LEADER } from '../metadata/ids.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { topicByName } from '../metadata/queries.ts';
import { isInternalTopic } from '../metadata/topic-rules.ts';
import {
  PRODUCE_PATH,
  READ_PATH,
  decodeProduceAnswer,
  decodeReadAnswer,
  encodeProduce,
  encodeRead,
} from '../replication/forwarded-messages.ts';
import { H2cClients } from '../replication/h2c-clients.ts';
import type { PeerDialer } from '../../raft/transport/peer-dialer.ts';
import type { ReplicaManager } from '../replication/replica-manager.ts';
import { UnacknowledgedAppendError } from '../replication/unacknowledged-append.ts';
import type { NodeMetrics } from './metrics.ts';
import type { ProducerIdManager } from './producer-id-manager.ts';

/** Errors a leader answers before it appends anything: a produce may be sent again. */
export const NOT_APPENDED: ReadonlySet<KafkaErrorName> = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_ENOUGH_REPLICAS',
  'FENCED_LEADER_EPOCH',
]);

/** Network errors raised before a request reached the leader. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH']);

const RETRY_BACKOFF_MS = 50;
/** Beyond a request's own timeout, how long the leader may take to answer it. */
const FORWARD_EXTRA_MS = 5_000;

/** How often forwarded produces are checked against this node's image for a new leader. */
const LEADERSHIP_CHECK_MS = 50;

interface ForwardedProduce {
  readonly request: ProduceRequest;
  readonly leader: BrokerId;
  readonly abort: AbortController;
}

interface Located {
  readonly topicId: TopicId;
  readonly partitionId: PartitionId;
  readonly leader: BrokerId;
}

export class DataService implements DataApi {
  private readonly options: {
    readonly metrics?: NodeMetrics;
    readonly self: BrokerId;
    readonly image: () => MetadataImage;
    /** The read barrier: catch up with the metadata committed at the controller. */
    readonly catchUp: (timeoutMs: number) => Promise<void>;
    readonly replicas: () => ReplicaManager | null;
    /** This broker's producer ids (producer-id-manager.ts); absent on a node that is not a broker. */
    readonly producerIds?: ProducerIdManager;
    /** inter.broker.listener.name: the leader's listener this node dials (default INTERNAL). */
    readonly interBrokerListener?: string;
    /** How other brokers are dialed (TLS and the peer preface when security is configured). */
    readonly dialer?: PeerDialer;
    readonly logger: Logger;
  };
  private readonly clients: H2cClients;
  /** Produces forwarded and not answered yet, watched for a move of their partition's leadership. */
  private readonly forwarded = new Set<ForwardedProduce>();
  private leadershipTimer: NodeJS.Timeout | null = null;

  constructor(options: DataService['options']) {
    this.options = options;
    this.clients = new H2cClients(options.dialer);
  }

  async produce(request: ProduceRequest): Promise<ProduceResult> {
    const metrics = this.options.metrics;
    const stop = metrics?.produceSeconds.startTimer({ acks: String(request.acks) });
    try {
      const result = await this.produceOnce(request);
      metrics?.produceRequests.inc({ result: 'ok' });
      metrics?.producedBytes.inc(request.records.length);
      return result;
    } catch (caught) {
      const error = caught instanceof KafkaError ? caught : lostConnection(caught, request);
      metrics?.produceRequests.inc({ result: resultOf(error) });
      throw error;
    } finally {
      stop?.();
    }
  }

  initProducerId(): Promise<ProducerIdentity> {
    const producerIds = this.options.producerIds;
    if (producerIds === undefined) {
      return Promise.reject(new KafkaError('NOT_COORDINATOR', 'This node is not a broker.'));
    }
    return producerIds.initProducerId();
  }

  async read(request: ReadRequest): Promise<ReadResult> {
    try {
      const result = await this.readOnce(request);
      this.options.metrics?.readRequests.inc({ result: 'ok' });
      this.options.metrics?.readBytes.inc(result.records.length);
      return result;
    } catch (error) {
      this.options.metrics?.readRequests.inc({ result: resultOf(error) });
      throw error;
    }
  }

  private produceOnce(request: ProduceRequest): Promise<ProduceResult> {
    if (isInternalTopic(request.topicName)) {
      // Kafka's ReplicaManager: only the group coordinator writes __consumer_offsets.
      return Promise.reject(
        new KafkaError('INVALID_TOPIC_EXCEPTION', `Cannot append to internal topic ${request.topicName}`),
      );
    }
    const deadline = Date.now() + request.timeoutMs;
    return this.withRetries(
      request.topicName,
      request.partitionId,
      deadline,
      isProduceRetriable,
      async (at) => {
        const timeoutMs = Math.max(1, deadline - Date.now());
        if (at.leader === this.options.self) {
          const result = await this.local().appendRecords(at.topicId, at.partitionId, request.records, {
            acks: request.acks,
            timeoutMs,
          });
          return { baseOffset: result.firstOffset, lastOffset: result.lastOffset };
        }
        const body = encodeProduce({
          topicId: at.topicId,
          partition: at.partitionId,
          acks: request.acks,
          timeoutMs,
          records: request.records,
        });
        const answer = decodeProduceAnswer(
          await this.whileLeading(request, at.leader, (signal) =>
            this.forward(at.leader, PRODUCE_PATH, body, timeoutMs, signal),
          ),
        );
        if (answer instanceof KafkaError) throw answer;
        return answer;
      },
    );
  }

  private readOnce(request: ReadRequest): Promise<ReadResult> {
    // A read changes nothing: every failure short of a definite answer may be retried.
    const deadline = Date.now() + Math.max(request.maxWaitMs, RETRY_BACKOFF_MS * 20);
    return this.withRetries(request.topicName, request.partitionId, deadline, isReadRetriable, async (at) => {
      const options = {
        startOffset: request.offset,
        maxBytes: request.maxBytes,
        maxWaitMs: request.maxWaitMs,
      };
      if (at.leader === this.options.self) {
        const result = await this.local().readRecords(at.topicId, at.partitionId, options);
        return {
          records: result.bytes,
          highWatermark: result.highWatermark,
          logStartOffset: result.logStartOffset,
        };
      }
      const body = encodeRead({
        topicId: at.topicId,
        partition: at.partitionId,
        offset: request.offset,
        maxBytes: request.maxBytes,
        maxWaitMs: request.maxWaitMs,
      });
      const answer = decodeReadAnswer(await this.forward(at.leader, READ_PATH, body, request.maxWaitMs));
      if (answer instanceof KafkaError) throw answer;
      return {
        records: Buffer.from(answer.records),
        highWatermark: answer.highWatermark,
        logStartOffset: answer.logStartOffset,
      };
    });
  }

  /**
   * ListOffsets: the log start offset and the high watermark, from the leader this node finds once it has
   * caught up with the quorum (a read index of the active controller). Without that barrier a deposed
   * leader that has not learned of its successor (cut off from the controller) answered its own stale
   * high watermark, below one the new leader had already shown: end offsets went backwards across
   * nodes (the nemesis, seed 105: 851 through node 1, then 849 through node 2 for 3 s). After it, the
   * leader asked was the leader when the request was under way, so its high watermark is at least any
   * shown before. No controller within the deadline: the retriable REQUEST_TIMED_OUT.
   */
  async offsets(request: { topicName: string; partitionId: number }): Promise<PartitionOffsets> {
    const { logStartOffset, highWatermark } = await this.listOffsets(request);
    return { logStartOffset, highWatermark };
  }

  /** ListOffsets by timestamp, from the leader found as for offsets(). */
  async offsetForTimestamp(request: {
    topicName: string;
    partitionId: number;
    timestamp: number;
  }): Promise<number | null> {
    const { timestampOffset } = await this.listOffsets(request, request.timestamp);
    if (timestampOffset === undefined) {
      // A leader of an older version ignores the field.
      throw new KafkaError(
        'UNKNOWN_SERVER_ERROR',
        `The leader of ${request.topicName}-${request.partitionId} does not look offsets up by timestamp.`,
      );
    }
    return timestampOffset === -1 ? null : timestampOffset;
  }

  private async listOffsets(
    request: { topicName: string; partitionId: number },
    timestamp?: number,
  ): Promise<PartitionOffsets & { readonly timestampOffset?: number }> {
    const deadline = Date.now() + RETRY_BACKOFF_MS * 20;
    // A node that has not caught up since its start says so first (the image throws).
    this.options.image();
    try {
      await this.options.catchUp(RETRY_BACKOFF_MS * 20);
    } catch (error) {
      throw new KafkaError(
        'REQUEST_TIMED_OUT',
        `The offsets of ${request.topicName}-${request.partitionId} need this node to catch up with the ` +
          `metadata quorum first, and it could not: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return this.withRetries(request.topicName, request.partitionId, deadline, isReadRetriable, async (at) => {
      if (at.leader === this.options.self) {
        const local = this.local();
        const positions = local.partitionOffsets(at.topicId, at.partitionId);
        if (timestamp === undefined) return positions;
        const found = await local.offsetForTimestamp(at.topicId, at.partitionId, timestamp);
        return { ...positions, timestampOffset: found?.offset ?? -1 };
      }
      const body = encodeRead({
        topicId: at.topicId,
        partition: at.partitionId,
        offset: 0,
        maxBytes: 0,
        maxWaitMs: 0,
        offsetsOnly: true,
        ...(timestamp !== undefined ? { timestamp } : {}),
      });
      const answer = decodeReadAnswer(await this.forward(at.leader, READ_PATH, body, 0));
      if (answer instanceof KafkaError) throw answer;
      return {
        logStartOffset: answer.logStartOffset,
        highWatermark: answer.highWatermark,
        ...(answer.timestampOffset !== undefined ? { timestampOffset: answer.timestampOffset } : {}),
      };
    });
  }

  close(): Promise<void> {
    return this.clients.close();
  }

  private async withRetries<T>(
    topicName: string,
    partitionId: number,
    deadline: number,
    retriable: (error: unknown) => boolean,
    attempt: (at: Located) => Promise<T>,
  ): Promise<T> {
    for (;;) {
      try {
        return await attempt(await this.locate(topicName, partitionId));
      } catch (error) {
        if (!retriable(error) || Date.now() + RETRY_BACKOFF_MS >= deadline) throw error;
        this.options.logger.debug(
          { err: error, topic: topicName, partition: partitionId },
          'retrying a partition request',
        );
        await sleep(RETRY_BACKOFF_MS);
      }
    }
  }

  /** The partition and its leader in this node's image (after the read barrier when it is missing). */
  private async locate(topicName: string, partitionId: number): Promise<Located> {
    let found = this.find(this.options.image(), topicName, partitionId);
    if (found === null) {
      await this.options.catchUp(RETRY_BACKOFF_MS * 20).catch(() => undefined);
      found = this.find(this.options.image(), topicName, partitionId);
    }
    if (found === null) {
      throw new KafkaError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `This server does not host this topic-partition: ${topicName}-${partitionId}.`,
      );
    }
    if (found.leader === NO_LEADER) {
      throw new KafkaError('LEADER_NOT_AVAILABLE', `Partition ${topicName}-${partitionId} has no leader.`);
    }
    return found;
  }

  private find(image: MetadataImage, topicName: string, partitionId: number): Located | null {
    const topic = topicByName(image, topicName);
    const partition = topic?.partitions.get(partitionId as PartitionId);
    if (topic === undefined || partition === undefined) return null;
    return { topicId: topic.id, partitionId: partitionId as PartitionId, leader: partition.leader };
  }

  private local(): ReplicaManager {
    const replicas = this.options.replicas();
    if (replicas === null) throw new KafkaError('NOT_LEADER_OR_FOLLOWER', 'This node is not a broker.');
    return replicas;
  }

  /**
   * Runs `send`, a produce forwarded to `leader`, and aborts it once this node's image names another
   * leader of the partition: a leader cut off from the others holds an acks=all produce until it learns
   * it was replaced, which it cannot while cut off, and its client would wait the whole timeout. The
   * records may have been appended there, so the answer is an unacknowledged append, never a retry.
   */
  private async whileLeading<T>(
    request: ProduceRequest,
    leader: BrokerId,
    send: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const watched: ForwardedProduce = { request, leader, abort: new AbortController() };
    this.forwarded.add(watched);
    this.leadershipTimer ??= setInterval(() => this.abortMovedForwards(), LEADERSHIP_CHECK_MS).unref();
    try {
      return await send(watched.abort.signal);
    } catch (error) {
      if (!watched.abort.signal.aborted) throw error;
      throw new UnacknowledgedAppendError(
        'NOT_LEADER_OR_FOLLOWER',
        `The leadership of ${request.topicName}-${request.partitionId} moved away from broker ${leader} while ` +
          'the produce was under way: the records may or may not have been written.',
        { cause: error },
      );
    } finally {
      this.forwarded.delete(watched);
      if (this.forwarded.size === 0 && this.leadershipTimer !== null) {
        clearInterval(this.leadershipTimer);
        this.leadershipTimer = null;
      }
    }
  }

  private abortMovedForwards(): void {
    let image: MetadataImage;
    try {
      image = this.options.image();
    } catch {
      return; // not caught up (restarting): nothing to compare with
    }
    for (const watched of this.forwarded) {
      const now = this.find(image, watched.request.topicName, watched.request.partitionId);
      if (now === null || now.leader !== watched.leader) watched.abort.abort();
    }
  }

  private async forward(
    leader: BrokerId,
    path: string,
    body: Uint8Array,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const listener = this.options.interBrokerListener ?? 'INTERNAL';
    const address = brokerAddress(this.options.image(), leader, listener);
    if (address === null)
      throw new KafkaError('LEADER_NOT_AVAILABLE', `Broker ${leader} has no ${listener} endpoint.`);
    const { status, bytes } = await this.clients.post(address, path, body, {
      timeoutMs: timeoutMs + FORWARD_EXTRA_MS,
      ...(signal !== undefined ? { signal } : {}),
    });
    if (status === 503)
      throw new KafkaError('LEADER_NOT_AVAILABLE', `Broker ${leader} is not serving partitions yet.`);
    if (status !== 200) {
      throw new KafkaError(
        'UNKNOWN_SERVER_ERROR',
        `Broker ${leader} answered ${status}: ${Buffer.from(bytes).toString('utf8').slice(0, 200)}`,
      );
    }
    return bytes;
  }
}

/**
 * The connection to the leader failed (it died, or this node is stopping) while a produce was on its
 * way: whether the leader appended it is unknown. A retriable Kafka error the client can act on, not an
 * internal error that reads as a definite failure.
 */
function lostConnection(error: unknown, request: ProduceRequest): KafkaError {
  const reason = error instanceof Error ? error.message : String(error);
  return new KafkaError(
    'NETWORK_EXCEPTION',
    `The connection to the leader of ${request.topicName}-${request.partitionId} failed (${reason}): the records may or may not have been written.`,
    { cause: error },
  );
}

/** A metric label: ok, a Kafka error name, or "error" (bounded cardinality). */
function resultOf(error: unknown): string {
  return error instanceof KafkaError ? error.errorName : 'error';
}

function isProduceRetriable(error: unknown): boolean {
  if (error instanceof UnacknowledgedAppendError) return false;
  if (error instanceof KafkaError) return NOT_APPENDED.has(error.errorName);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

function isReadRetriable(error: unknown): boolean {
  if (error instanceof KafkaError) return error.retriable;
  return typeof (error as { code?: unknown } | null)?.code === 'string';
}
