// Kafka's ConsumerProtocol (org.apache.kafka.clients.consumer.internals.ConsumerProtocol): the bytes
// consumer group members exchange through the coordinator, an int16 version then a
// ConsumerProtocolSubscription (JoinGroup metadata) or ConsumerProtocolAssignment (SyncGroup
// assignment). The coordinator speaks it for the members it manages (REST consumers) and reads it to
// show members' topics and assignments. As Kafka, a version newer than the schema's is read with the
// newest format known (new versions only add fields at the end).
import type { TopicPartition } from '../../groups/api.ts';
import type { ConsumerProtocolCodec } from '../../groups/membership.ts';
import { MalformedMessageError } from './errors.ts';
import {
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
} from './generated/consumer-protocol-assignment.ts';
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
} from './generated/consumer-protocol-subscription.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

/** The newest version of both schemas (proto/kafka/ConsumerProtocol*.json). */
const NEWEST_VERSION = 3;
/** What the coordinator writes: version 0, which every consumer reads. */
const WRITTEN_VERSION = 0;

function readVersioned<T>(bytes: Uint8Array, decode: (reader: Reader, version: number) => T): T | null {
  try {
    const reader = new Reader(bytes);
    const version = reader.readInt16();
    if (version < 0) return null;
    return decode(reader, Math.min(version, NEWEST_VERSION));
  } catch (error) {
    if (error instanceof MalformedMessageError || error instanceof RangeError) return null;
    throw error;
  }
}

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = grouped.get(topic);
    if (list === undefined) grouped.set(topic, [partition]);
    else list.push(partition);
  }
  return [...grouped].map(([topic, list]) => ({ topic, partitions: list.sort((a, b) => a - b) }));
}

export const consumerProtocol: ConsumerProtocolCodec = {
  encodeSubscription(topics) {
    const writer = new Writer(64);
    writer.writeInt16(WRITTEN_VERSION);
    encodeConsumerProtocolSubscription(
      writer,
      { topics: [...topics], userData: null, ownedPartitions: [], generationId: -1, rackId: null },
      WRITTEN_VERSION,
    );
    return writer.toBuffer();
  },
  decodeSubscription(metadata) {
    return readVersioned(metadata, decodeConsumerProtocolSubscription)?.topics ?? null;
  },
  encodeAssignment(assignment) {
    const writer = new Writer(64);
    writer.writeInt16(WRITTEN_VERSION);
    encodeConsumerProtocolAssignment(
      writer,
      { assignedPartitions: byTopic(assignment), userData: null },
      WRITTEN_VERSION,
    );
    return writer.toBuffer();
  },
  decodeAssignment(bytes) {
    // An empty assignment is sent as no bytes at all by some leaders (and by Kafka for a member the
    // leader left out).
    if (bytes.length === 0) return [];
    const decoded = readVersioned(bytes, decodeConsumerProtocolAssignment);
    if (decoded === null) return null;
    return decoded.assignedPartitions.flatMap(({ topic, partitions }) =>
      partitions.map((partition) => ({ topic, partition })),
    );
  },
};
