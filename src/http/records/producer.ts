// Produces the records of one request: picks each record's partition (explicit, else murmur2 of the key as
// Kafka's default partitioner, else the topic's sticky partition), encodes the records of a partition into
// as few v2 batches as fit, sends them through DataApi with the request's acks (30 s: Confluent's
// producer default) and gives every record its own outcome, in request order: offset = the batch's
// baseOffset + its index in it. With acks=0 the records are sent without waiting for the leader: the
// offset is unknown (-1, as Kafka's producer reports it) and a failure is only logged.
// An idempotent record (with producer fields) is a batch of its own carrying them: the partition leader
// answers a retry of it with the offset it was first written at, and refuses a sequence out of order.

import type { StickyPartitioner } from '../../common/partitioner.ts';
import { partitionForKey } from '../../common/partitioner.ts';
import { partitionId as toPartitionId } from '../../metadata/ids.ts';
import type { TopicImage } from '../../metadata/image.ts';
import { buildRecordBatch } from '../../storage/record-batch/builder.ts';
import { KafkaError } from '../../common/kafka-errors.ts';
import { HttpError } from '../errors.ts';
import type { Acks, DataApi } from '../ports.ts';
import type { RecordInput } from './record-input.ts';
import { recordBytes } from './record-input.ts';
import type { PartitionSendOrder } from './send-order.ts';

export const PRODUCE_TIMEOUT_MS = 30_000;
/** The offset of a record produced with acks=0 (Kafka's ProduceResponse.INVALID_OFFSET). */
export const UNKNOWN_OFFSET = -1;
/**
 * Records of one partition share a batch up to about this many bytes; a bigger request is sent as several
 * batches, so that one batch stays below Kafka's message.max.bytes (1 MiB) and one huge record fails alone.
 */
export const BATCH_BYTES_TARGET = 512 * 1024;

export interface ProducerDeps {
  readonly data: DataApi;
  readonly sticky: StickyPartitioner;
  readonly now: () => number;
  readonly sendOrder: PartitionSendOrder;
  /** Where the failure of an acks=0 send goes: nobody waits for it. */
  readonly onUnacknowledgedFailure: (error: unknown, topic: string, partition: number) => void;
}

/** The acks of a request: the client's `?acks=` (explicit), else the topic's `acks` config. */
export interface RequestAcks {
  readonly acks: Acks;
  readonly explicit: boolean;
}

/**
 * An idempotent record needs acks=all (Kafka's producer refuses idempotence with other acks): without a
 * choice of the client it gets all whatever the topic says; a client that asked for less is refused.
 */
function acksOfRecord(record: RecordInput, requested: RequestAcks): Acks {
  if (record.idempotence === null) return requested.acks;
  if (requested.explicit && requested.acks !== -1) {
    throw new KafkaError(
      'INVALID_REQUIRED_ACKS',
      `An idempotent record (with 'producer_id') needs acks=all, not acks=${requested.acks}.`,
    );
  }
  return -1;
}

export interface ProducedRecord {
  readonly partitionId: number;
  readonly offset: number;
  readonly timestamp: number;
}

export type ProduceOutcome =
  | { readonly ok: true; readonly produced: ProducedRecord }
  | { readonly ok: false; readonly error: unknown };

function partitionOf(deps: ProducerDeps, topic: TopicImage, record: RecordInput): number {
  const count = topic.partitions.size;
  if (record.partitionId !== null) {
    if (!topic.partitions.has(toPartitionId(record.partitionId))) {
      throw new HttpError(
        'PARTITION_NOT_FOUND',
        `Partition ${record.partitionId} of topic ${topic.name} cannot be found.`,
      );
    }
    return record.partitionId;
  }
  if (record.key !== null) return partitionForKey(record.key, count);
  return deps.sticky.partition(topic.name, count, recordBytes(record));
}

/**
 * Consecutive runs of `indexes` whose records add up to about BATCH_BYTES_TARGET (at least one each);
 * an idempotent record is a run of its own (its batch carries its producer fields).
 */
function chunks(indexes: readonly number[], records: readonly RecordInput[]): number[][] {
  const result: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of indexes) {
    if (records[index]!.idempotence !== null) {
      if (current.length > 0) result.push(current);
      result.push([index]);
      current = [];
      bytes = 0;
      continue;
    }
    const size = recordBytes(records[index]!);
    if (current.length > 0 && bytes + size > BATCH_BYTES_TARGET) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** One outcome per record, in the order of `records`. Never throws for a record's failure. */
export async function produceRecords(
  deps: ProducerDeps,
  topic: TopicImage,
  records: readonly RecordInput[],
  requested: RequestAcks,
): Promise<ProduceOutcome[]> {
  const outcomes: ProduceOutcome[] = new Array(records.length);
  const byPartition = new Map<number, number[]>();
  const now = deps.now();
  records.forEach((record, index) => {
    try {
      acksOfRecord(record, requested);
      const partition = partitionOf(deps, topic, record);
      const indexes = byPartition.get(partition) ?? [];
      indexes.push(index);
      byPartition.set(partition, indexes);
    } catch (error) {
      outcomes[index] = { ok: false, error };
    }
  });
  // Partitions in parallel; the batches of one partition one after the other, to keep the request's order.
  await Promise.all(
    [...byPartition].map(async ([partition, indexes]) => {
      const earlier = deps.sendOrder.settled(topic.name, partition);
      if (requested.acks === 0 && indexes.every((index) => records[index]!.idempotence === null)) {
        const send = earlier.then(() => sendBatches(deps, topic, partition, indexes, records, now, 0));
        const bytes = indexes.reduce((sum, index) => sum + recordBytes(records[index]!), 0);
        const unacknowledged = send.then((sent) => {
          const failed = sent.find((outcome) => !outcome.ok);
          if (failed !== undefined && !failed.ok)
            deps.onUnacknowledgedFailure(failed.error, topic.name, partition);
        });
        if (!deps.sendOrder.track(topic.name, partition, unacknowledged, bytes)) await unacknowledged;
        for (const index of indexes) {
          const timestamp = records[index]!.timestamp ?? now;
          outcomes[index] = {
            ok: true,
            produced: { partitionId: partition, offset: UNKNOWN_OFFSET, timestamp },
          };
        }
        return;
      }
      await earlier;
      const sent = await sendBatches(deps, topic, partition, indexes, records, now, requested.acks);
      sent.forEach((outcome, i) => {
        outcomes[indexes[i]!] = outcome;
      });
    }),
  );
  return outcomes;
}

/** The records `indexes` of one partition, batch after batch: one outcome per index, in order. */
async function sendBatches(
  deps: ProducerDeps,
  topic: TopicImage,
  partition: number,
  indexes: readonly number[],
  records: readonly RecordInput[],
  now: number,
  acks: Acks,
): Promise<ProduceOutcome[]> {
  const outcomes = new Map<number, ProduceOutcome>();
  for (const chunk of chunks(indexes, records)) {
    const timestamps = chunk.map((index) => records[index]!.timestamp ?? now);
    try {
      const idempotence = records[chunk[0]!]!.idempotence;
      const batch = buildRecordBatch({
        records: chunk.map((index, i) => {
          const { key, value, headers } = records[index]!;
          return { key, value, headers, timestamp: timestamps[i]! };
        }),
        ...(idempotence !== null
          ? {
              producerId: idempotence.producerId,
              producerEpoch: idempotence.producerEpoch,
              baseSequence: idempotence.sequence,
            }
          : {}),
      });
      const result = await deps.data.produce({
        topicName: topic.name,
        partitionId: partition,
        records: batch,
        acks: idempotence !== null ? -1 : acks,
        timeoutMs: PRODUCE_TIMEOUT_MS,
      });
      chunk.forEach((index, i) => {
        outcomes.set(index, {
          ok: true,
          produced: { partitionId: partition, offset: result.baseOffset + i, timestamp: timestamps[i]! },
        });
      });
    } catch (error) {
      for (const index of chunk) outcomes.set(index, { ok: false, error });
    }
  }
  return indexes.map((index) => outcomes.get(index)!);
}
