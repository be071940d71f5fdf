// A KafkaBroker for handler and listener tests: the image and admin of test/http/fake-node.ts (three
// brokers; partition i of a new topic is led by broker (i mod 3) + 1; this is broker 1), and partitions
// in memory that this broker leads as the image says, each a list of record batches given offsets.
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { ALLOW_ALL, type Authorizer } from '../../src/common/security.ts';
import { GroupCoordinator } from '../../src/groups/coordinator.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import { RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import type {
  Acks,
  KafkaBroker,
  LocalPartitions,
  PartitionRead,
} from '../../src/kafka/handlers/broker-ports.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';
import type { NodeSetting } from '../../src/metadata/broker-config-describe.ts';
import type { PartitionId } from '../../src/metadata/ids.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { deleteRecordsTarget } from '../../src/replication/delete-records.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { RecordBatchHeader } from '../../src/storage/record-batch/header.ts';
import { MemoryGroupStorage } from '../groups/helpers.ts';
import { FakeNode } from '../http/fake-node.ts';

/** Byte position of a v2 batch's lastOffsetDelta (Kafka's DefaultRecordBatch). */
const LAST_OFFSET_DELTA_AT = 23;

interface StoredBatch {
  readonly baseOffset: number;
  readonly bytes: Buffer;
}

export class FakePartitions implements LocalPartitions {
  private readonly node: FakeNode;
  private readonly logs = new Map<string, StoredBatch[]>();
  /** Log start offsets DeleteRecords moved, by "topic-partition" (0 otherwise). */
  private readonly logStarts = new Map<string, number>();
  private readonly appendWaiters = new Set<() => void>();
  /** The timeouts waitForRecords was called with. */
  readonly waits: number[] = [];

  constructor(node: FakeNode) {
    this.node = node;
  }

  async append(
    topicName: string,
    partitionId: number,
    records: Buffer,
    _options: { acks: Acks; timeoutMs: number },
  ): Promise<{ baseOffset: number; logStartOffset: number }> {
    const log = this.requireLeader(topicName, partitionId);
    const baseOffset = this.endOffset(log);
    const bytes = Buffer.from(records);
    bytes.writeBigInt64BE(BigInt(baseOffset), 0);
    log.push({ baseOffset, bytes });
    for (const wake of [...this.appendWaiters]) wake();
    return { baseOffset, logStartOffset: 0 };
  }

  async read(
    topicName: string,
    partitionId: number,
    options: { offset: number; maxBytes: number },
  ): Promise<PartitionRead> {
    const log = this.requireLeader(topicName, partitionId);
    const end = this.endOffset(log);
    const start = this.logStart(topicName, partitionId);
    if (options.offset > end || options.offset < start)
      throw new KafkaError('OFFSET_OUT_OF_RANGE', `offset ${options.offset} is outside [${start}, ${end}]`);
    const batches = log.filter((batch) => batch.baseOffset + lastOffsetDelta(batch.bytes) >= options.offset);
    return {
      records: Buffer.concat(batches.map((batch) => batch.bytes)),
      highWatermark: end,
      logStartOffset: start,
    };
  }

  waitForRecords(topicName: string, partitionId: number, offset: number, timeoutMs: number): Promise<void> {
    this.waits.push(timeoutMs);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appendWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if (this.endOffset(this.log(topicName, partitionId)) > offset) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.appendWaiters.add(check);
      check();
    });
  }

  offsets(
    topicName: string,
    partitionId: number,
  ): { logStartOffset: number; highWatermark: number; leaderEpoch: number } {
    return {
      logStartOffset: this.logStart(topicName, partitionId),
      highWatermark: this.endOffset(this.requireLeader(topicName, partitionId)),
      leaderEpoch: 0,
    };
  }

  /** As the leader's: every record here is committed, so the high watermark is the log end. */
  async deleteRecords(
    topicName: string,
    partitionId: number,
    offset: number,
  ): Promise<{ lowWatermark: number }> {
    const highWatermark = this.endOffset(this.requireLeader(topicName, partitionId));
    const logStartOffset = this.logStart(topicName, partitionId);
    const target = deleteRecordsTarget(
      `${topicName}-${partitionId}`,
      offset,
      { logStartOffset, highWatermark },
      { deletePolicy: true },
    );
    this.logStarts.set(`${topicName}-${partitionId}`, target);
    return { lowWatermark: target };
  }

  private logStart(topicName: string, partitionId: number): number {
    return this.logStarts.get(`${topicName}-${partitionId}`) ?? 0;
  }

  /** Every batch here is of leader epoch 0: epoch 0 ends at the log end, later ones are unknown. */
  epochEnd(
    topicName: string,
    partitionId: number,
    _current: number,
    leaderEpoch: number,
  ): { leaderEpoch: number; endOffset: number } {
    const end = this.endOffset(this.requireLeader(topicName, partitionId));
    return leaderEpoch === 0 ? { leaderEpoch: 0, endOffset: end } : { leaderEpoch: -1, endOffset: -1 };
  }

  async offsetForTimestamp(): Promise<{ offset: number; timestamp: number } | null> {
    return null;
  }

  /** The first record with the largest timestamp, as the partition log finds it (every batch is of epoch 0). */
  async maxTimestamp(
    topicName: string,
    partitionId: number,
  ): Promise<{ offset: number; timestamp: number; leaderEpoch: number } | null> {
    let best: { offset: number; timestamp: number; leaderEpoch: number } | null = null;
    for (const batch of this.requireLeader(topicName, partitionId)) {
      for (const record of decodeRecords(new RecordBatchHeader(batch.bytes))) {
        if (best === null || record.timestamp > best.timestamp)
          best = { offset: record.offset, timestamp: record.timestamp, leaderEpoch: 0 };
      }
    }
    return best;
  }

  private requireLeader(topicName: string, partitionId: number): StoredBatch[] {
    const partition = topicByName(this.node.image(), topicName)?.partitions.get(partitionId as PartitionId);
    if (partition === undefined)
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `no partition ${topicName}-${partitionId}`);
    if (partition.leader !== this.node.nodeId)
      throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `not the leader of ${topicName}-${partitionId}`);
    return this.log(topicName, partitionId);
  }

  private log(topicName: string, partitionId: number): StoredBatch[] {
    const key = `${topicName}-${partitionId}`;
    let log = this.logs.get(key);
    if (log === undefined) {
      log = [];
      this.logs.set(key, log);
    }
    return log;
  }

  private endOffset(log: readonly StoredBatch[]): number {
    const last = log.at(-1);
    return last === undefined ? 0 : last.baseOffset + lastOffsetDelta(last.bytes) + 1;
  }
}

function lastOffsetDelta(batch: Buffer): number {
  return batch.readInt32BE(LAST_OFFSET_DELTA_AT);
}

export interface FakeBroker extends KafkaBroker {
  readonly node: FakeNode;
  readonly partitions: FakePartitions;
  readonly coordinator: GroupCoordinator;
  /** Moves the coordinator's clock and runs its session and rebalance timers. */
  advanceClock(ms: number): void;
}

/** Broker 1 of the fake cluster; clients reach brokers at their CLIENT endpoints. */
export function fakeBroker(
  options: { autoCreateTopics?: boolean; authorizer?: Authorizer } = {},
): FakeBroker {
  const node = new FakeNode();
  let nextProducerId = 1000;
  let nowMs = 1_000_000;
  let memberIds = 0;
  // One __consumer_offsets partition in memory, led here: this broker coordinates every group.
  const coordinator = new GroupCoordinator({
    brokerId: 1,
    numPartitions: 1,
    storage: new MemoryGroupStorage(),
    nowMs: () => nowMs,
    newMemberId: (clientId) => `${clientId}-${String(++memberIds).padStart(4, '0')}`,
    minSessionTimeoutMs: 6_000,
    maxSessionTimeoutMs: 300_000,
    partitionsOf: (topic) => topicByName(node.image(), topic)?.partitions.size ?? null,
    topicIdOf: (topic) => topicByName(node.image(), topic)?.id ?? null,
    consumerProtocol,
  });
  void coordinator.becomeCoordinator(0);
  return {
    node,
    clusterId: node.clusterId,
    nodeId: node.nodeId,
    listenerName: 'CLIENT',
    image: () => node.image(),
    admin: node,
    partitions: new FakePartitions(node),
    autoCreateTopics: options.autoCreateTopics ?? true,
    initProducerId: async () => ({ producerId: nextProducerId++, producerEpoch: 0 }),
    groups: {
      coordinatorOf: async () => node.nodeId,
      local: () => coordinator,
      leadsGroup: () => true,
    },
    coordinator,
    advanceClock: (ms) => {
      nowMs += ms;
      coordinator.tick();
    },
    settings: FAKE_SETTINGS,
    authorizer: options.authorizer ?? ALLOW_ALL,
  };
}

/** The fake node's settings: given a retention and a partition count, the rest Kafka's defaults. */
export const FAKE_SETTINGS: readonly NodeSetting[] = [
  { name: 'broker.rack', type: 'string', value: null, isStatic: false, documentation: 'Rack' },
  { name: 'log.retention.ms', type: 'long', value: '3600000', isStatic: true, documentation: 'Retention' },
  { name: 'message.max.bytes', type: 'int', value: '1048588', isStatic: false, documentation: 'Largest' },
  { name: 'num.partitions', type: 'int', value: '3', isStatic: true, documentation: 'Partitions' },
];

/** One v2 batch of `values` (no keys), as a producer sends it. */
export function batchOf(...values: string[]): Buffer {
  return buildRecordBatch({
    records: values.map((value, index) => ({
      timestamp: 1_700_000_000_000 + index,
      key: null,
      value: Buffer.from(value),
      headers: [],
    })),
  });
}

/**
 * A fake broker with topic `orders` (`partitions`, `replicationFactor`, `configs`) and the listener's
 * dispatcher over its handlers: what most handler tests start from.
 */
export async function servedFakeBroker(
  options: {
    readonly partitions?: number;
    readonly replicationFactor?: number;
    readonly configs?: ReadonlyMap<string, string>;
    readonly authorizer?: Authorizer;
  } = {},
): Promise<{ broker: FakeBroker; dispatcher: RequestDispatcher }> {
  const broker = fakeBroker(options.authorizer === undefined ? {} : { authorizer: options.authorizer });
  await broker.node.createTopic({
    name: 'orders',
    partitionsCount: options.partitions ?? 3,
    replicationFactor: options.replicationFactor ?? 3,
    configs: options.configs ?? new Map(),
    validateOnly: false,
  });
  return { broker, dispatcher: new RequestDispatcher(kafkaApis(broker)) };
}
