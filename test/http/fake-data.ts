// An in-memory DataApi for tests: per partition the stored batches with the offsets a leader assigns
// (stampBaseOffset over the producer's bytes, as the real log does), high watermark = log end (acks are
// not modelled: every ISR member "has" everything), reads of whole batches from the one holding the offset.
// Failure injection: `failure` fails every call; `maxBatchBytes` refuses big batches like message.max.bytes.

import { KafkaError } from '../../src/common/kafka-errors.ts';
import type {
  DataApi,
  PartitionOffsets,
  ProduceRequest,
  ProduceResult,
  ProducerIdentity,
  ReadRequest,
  ReadResult,
} from '../../src/http/ports.ts';
import { partitionId } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import { stampBaseOffset } from '../../src/storage/record-batch/header.ts';
import { RecordBatchHeader } from '../../src/storage/record-batch/header.ts';
import { offset } from '../../src/storage/types.ts';

interface PartitionLog {
  readonly batches: Buffer[];
  logStartOffset: number;
  endOffset: number;
}

export class FakeData implements DataApi {
  /** When set, every produce and read fails with it. */
  failure: KafkaError | null = null;
  /** Batches above this size fail with MESSAGE_TOO_LARGE (Kafka's message.max.bytes default). */
  maxBatchBytes = 1024 * 1024 + 12;
  /** Every call, in order (tests check acks, timeouts, how records were batched). */
  readonly produces: ProduceRequest[] = [];
  readonly reads: ReadRequest[] = [];
  readonly #image: () => MetadataImage;
  /** By topic id and partition: a topic deleted and created again starts empty. */
  readonly #logs = new Map<string, PartitionLog>();

  constructor(image: () => MetadataImage) {
    this.#image = image;
  }

  /** Producer ids handed out so far (InitProducerId): each call takes the next. */
  producerIdsIssued = 0;

  async initProducerId(): Promise<ProducerIdentity> {
    if (this.failure !== null) throw this.failure;
    return { producerId: this.producerIdsIssued++, producerEpoch: 0 };
  }

  #log(topicName: string, partition: number): PartitionLog {
    const topic = topicByName(this.#image(), topicName);
    if (
      topic === undefined ||
      !Number.isInteger(partition) ||
      partition < 0 ||
      !topic.partitions.has(partitionId(partition))
    ) {
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
    }
    const key = `${topic.id}/${partition}`;
    let log = this.#logs.get(key);
    if (log === undefined) {
      log = { batches: [], logStartOffset: 0, endOffset: 0 };
      this.#logs.set(key, log);
    }
    return log;
  }

  async produce(request: ProduceRequest): Promise<ProduceResult> {
    this.produces.push(request);
    if (this.failure !== null) throw this.failure;
    const log = this.#log(request.topicName, request.partitionId);
    const batches = [...batchesIn(request.records)];
    if (batches.length === 0) throw new KafkaError('CORRUPT_MESSAGE', 'no record batch in the request');
    const tooBig = batches.find(({ header }) => header.sizeBytes > this.maxBatchBytes);
    if (tooBig !== undefined) {
      throw new KafkaError(
        'MESSAGE_TOO_LARGE',
        `The request included a message larger than the max message size the server will accept.`,
      );
    }
    const baseOffset = log.endOffset;
    for (const { header } of batches) {
      const stored = Buffer.from(header.buffer);
      stampBaseOffset(stored, offset(log.endOffset));
      log.batches.push(stored);
      log.endOffset += header.lastOffsetDelta + 1;
    }
    return { baseOffset, lastOffset: log.endOffset - 1 };
  }

  async read(request: ReadRequest): Promise<ReadResult> {
    this.reads.push(request);
    if (this.failure !== null) throw this.failure;
    const log = this.#log(request.topicName, request.partitionId);
    if (request.offset < log.logStartOffset || request.offset > log.endOffset) {
      throw new KafkaError(
        'OFFSET_OUT_OF_RANGE',
        `Fetch position ${request.offset} is out of range [${log.logStartOffset}, ${log.endOffset}].`,
      );
    }
    const chosen: Buffer[] = [];
    let bytes = 0;
    for (const batch of log.batches) {
      const header = new RecordBatchHeader(batch);
      if (header.lastOffset < request.offset) continue;
      // At least one batch, however small maxBytes is (Kafka's KIP-74).
      if (chosen.length > 0 && bytes + batch.length > request.maxBytes) break;
      chosen.push(batch);
      bytes += batch.length;
    }
    return {
      records: Buffer.concat(chosen),
      highWatermark: log.endOffset,
      logStartOffset: log.logStartOffset,
    };
  }

  async offsets(request: { topicName: string; partitionId: number }): Promise<PartitionOffsets> {
    if (this.failure !== null) throw this.failure;
    const log = this.#log(request.topicName, request.partitionId);
    return { logStartOffset: log.logStartOffset, highWatermark: log.endOffset };
  }

  async offsetForTimestamp(request: {
    topicName: string;
    partitionId: number;
    timestamp: number;
  }): Promise<number | null> {
    if (this.failure !== null) throw this.failure;
    for (const batch of this.#log(request.topicName, request.partitionId).batches) {
      const found = decodeRecords(new RecordBatchHeader(batch)).find((r) => r.timestamp >= request.timestamp);
      if (found !== undefined) return found.offset;
    }
    return null;
  }

  /** Deletes whole batches below `before` (retention): the log start moves to the first batch kept. */
  truncateBefore(topicName: string, partition: number, before: number): void {
    const log = this.#log(topicName, partition);
    while (log.batches.length > 0 && new RecordBatchHeader(log.batches[0]!).lastOffset < before) {
      log.batches.shift();
    }
    log.logStartOffset =
      log.batches.length > 0 ? new RecordBatchHeader(log.batches[0]!).baseOffset : log.endOffset;
  }

  /** The decoded batches stored for a partition (tests look at how records were batched). */
  batchesOf(topicName: string, partition: number): RecordBatchHeader[] {
    return this.#log(topicName, partition).batches.map((batch) => new RecordBatchHeader(batch));
  }
}
