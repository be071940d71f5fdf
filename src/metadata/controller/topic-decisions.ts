// Admin decisions on topics: each validates a request against the committed image and returns the
// records that carry it out, or throws the KafkaError a Kafka controller would answer with.
import { KafkaError } from '../../common/kafka-errors.ts';
import { brokerId as toBrokerId, leaderEpoch, partitionEpoch, partitionId, type TopicId } from '../ids.ts';
import type { MetadataImage, TopicImage } from '../image.ts';
import { topicByName } from '../queries.ts';
import type { ConfigRecord, MetadataRecord, PartitionRecord } from '../records.ts';
import { TOPIC_CONFIGS, topicConfigConflict, validateTopicConfig } from '../topic-configs.ts';
import { collidingTopic, collisionMessage, validateTopicName } from '../topic-rules.ts';
import { isEligible } from './partition-changes.ts';
import { type PlacementBroker, placeReplicas } from './placement.ts';

/** Partitions a topic may have; a bound on the records one request can produce. */
export const PARTITIONS_MAX = 10_000;

/** Replicas per partition as an operator chose them (Kafka's manual replica assignment), in order. */
export type ManualAssignment = readonly (readonly number[])[];

export interface CreateTopicDecision {
  readonly name: string;
  readonly partitionsCount: number;
  readonly replicationFactor: number;
  readonly configs: ReadonlyMap<string, string>;
  /** Instead of placement: partition i gets `assignments[i]` (the count and factor follow from it). */
  readonly assignments: ManualAssignment | null;
}

export function requireTopic(image: MetadataImage, name: string): TopicImage {
  const topic = topicByName(image, name);
  if (topic === undefined) {
    throw new KafkaError(
      'UNKNOWN_TOPIC_OR_PARTITION',
      `This server does not host this topic-partition: ${name}.`,
    );
  }
  return topic;
}

/** Brokers that can take new replicas, with their current replica counts (for balance). */
function placementBrokers(image: MetadataImage): PlacementBroker[] {
  const counts = new Map<number, number>();
  for (const topic of image.topics.values()) {
    for (const partition of topic.partitions.values()) {
      for (const replica of partition.replicas) counts.set(replica, (counts.get(replica) ?? 0) + 1);
    }
  }
  return [...image.brokers.values()]
    .filter((broker) => isEligible(image, broker.id))
    .map((broker) => ({ id: broker.id, rack: broker.rack, replicaCount: counts.get(broker.id) ?? 0 }));
}

function requirePartitionCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new KafkaError('INVALID_PARTITIONS', `Number of partitions must be larger than 0, got ${count}.`);
  }
  if (count > PARTITIONS_MAX) {
    throw new KafkaError(
      'INVALID_PARTITIONS',
      `Number of partitions ${count} exceeds the maximum of ${PARTITIONS_MAX}.`,
    );
  }
}

function placeOrThrow(
  image: MetadataImage,
  firstPartition: number,
  partitionCount: number,
  replicationFactor: number,
) {
  const brokers = placementBrokers(image);
  if (!Number.isSafeInteger(replicationFactor) || replicationFactor < 1) {
    throw new KafkaError(
      'INVALID_REPLICATION_FACTOR',
      `Replication factor must be larger than 0, got ${replicationFactor}.`,
    );
  }
  if (replicationFactor > brokers.length) {
    throw new KafkaError(
      'INVALID_REPLICATION_FACTOR',
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`,
    );
  }
  return placeReplicas({ brokers, firstPartition, partitionCount, replicationFactor });
}

/**
 * A new partition's record: its replicas in order, the eligible ones (unfenced, not shutting down) in
 * its ISR, the first of them its leader. Placement picks eligible brokers only; a manual assignment may
 * name others, as long as each partition has an eligible one (checkManualAssignment).
 */
function partitionRecords(
  image: MetadataImage,
  topicId: TopicId,
  firstPartition: number,
  assignments: readonly (readonly number[])[],
): PartitionRecord[] {
  return assignments.map((replicas, i) => {
    const isr = replicas.map(toBrokerId).filter((replica) => isEligible(image, replica));
    return {
      type: 'partition',
      topicId,
      partitionId: partitionId(firstPartition + i),
      replicas: replicas.map(toBrokerId),
      isr,
      leader: isr[0]!,
      leaderEpoch: leaderEpoch(0),
      partitionEpoch: partitionEpoch(0),
    };
  });
}

/**
 * Kafka's checks of a manual replica assignment (ReplicationControlManager.validateManualPartitionAssignment):
 * every partition names the same number of replicas (`replicationFactor` when the topic has one), each
 * broker once, every broker registered, and each partition at least one broker that can lead now.
 */
function checkManualAssignment(
  image: MetadataImage,
  assignments: ManualAssignment,
  firstPartition: number,
  replicationFactor: number | null,
): void {
  const invalid = (message: string) => new KafkaError('INVALID_REPLICA_ASSIGNMENT', message);
  const factor = replicationFactor ?? assignments[0]?.length ?? 0;
  for (const [index, replicas] of assignments.entries()) {
    const partition = firstPartition + index;
    if (replicas.length === 0) throw invalid(`The manual partition assignment of partition ${partition} is empty.`);
    if (replicas.length !== factor) {
      throw invalid(
        `The manual partition assignment of partition ${partition} has ${replicas.length} replicas, but ` +
          `every partition of the topic must have ${factor}.`,
      );
    }
    const seen = new Set<number>();
    for (const replica of replicas) {
      if (seen.has(replica)) {
        throw invalid(`The manual partition assignment includes the broker ${replica} more than once.`);
      }
      seen.add(replica);
      if (!Number.isSafeInteger(replica) || replica < 0 || !image.brokers.has(toBrokerId(replica))) {
        throw invalid(`The manual partition assignment includes broker ${replica}, but no such broker is registered.`);
      }
    }
    if (!replicas.some((replica) => isEligible(image, toBrokerId(replica)))) {
      throw invalid(
        `All brokers specified in the manual partition assignment for partition ${partition} are fenced or in controlled shutdown.`,
      );
    }
  }
}

function validateConfigs(topicName: string, configs: ReadonlyMap<string, string>): Map<string, string> {
  const normalized = new Map<string, string>();
  for (const [name, value] of configs) {
    const result = validateTopicConfig(name, value);
    if (!result.ok) throw new KafkaError('INVALID_CONFIG', result.reason);
    normalized.set(name, result.value);
  }
  const conflict = topicConfigConflict(normalized, topicName);
  if (conflict !== null) throw new KafkaError('INVALID_CONFIG', conflict);
  return normalized;
}

export function decideCreateTopic(
  image: MetadataImage,
  request: CreateTopicDecision,
  topicId: TopicId,
): MetadataRecord[] {
  const nameCheck = validateTopicName(request.name);
  if (!nameCheck.ok) throw new KafkaError('INVALID_TOPIC_EXCEPTION', nameCheck.reason);
  if (topicByName(image, request.name) !== undefined) {
    throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${request.name}' already exists.`);
  }
  const colliding = collidingTopic(image, request.name);
  if (colliding !== null)
    throw new KafkaError('INVALID_TOPIC_EXCEPTION', collisionMessage(request.name, colliding));
  const configs = validateConfigs(request.name, request.configs);
  let assignments: readonly (readonly number[])[];
  if (request.assignments !== null) {
    requirePartitionCount(request.assignments.length);
    checkManualAssignment(image, request.assignments, 0, null);
    assignments = request.assignments;
  } else {
    requirePartitionCount(request.partitionsCount);
    assignments = placeOrThrow(image, 0, request.partitionsCount, request.replicationFactor);
  }
  const configRecords: ConfigRecord[] = [...configs].map(([name, value]) => ({
    type: 'config',
    resourceType: 'topic',
    resourceName: request.name,
    name,
    value,
  }));
  return [
    { type: 'topic', name: request.name, topicId },
    ...configRecords,
    ...partitionRecords(image, topicId, 0, assignments),
  ];
}

export function decideDeleteTopic(image: MetadataImage, name: string): MetadataRecord[] {
  const topic = requireTopic(image, name);
  return [{ type: 'removeTopic', topicId: topic.id }];
}

export function decideCreatePartitions(
  image: MetadataImage,
  name: string,
  partitionsCount: number,
  assignments: ManualAssignment | null = null,
): MetadataRecord[] {
  const topic = requireTopic(image, name);
  const current = topic.partitions.size;
  requirePartitionCount(partitionsCount);
  if (partitionsCount < current) {
    throw new KafkaError(
      'INVALID_PARTITIONS',
      `Topic currently has ${current} partitions, which is higher than the requested ${partitionsCount}.`,
    );
  }
  if (partitionsCount === current) {
    throw new KafkaError('INVALID_PARTITIONS', `Topic already has ${current} partitions.`);
  }
  const replicationFactor = topic.partitions.get(partitionId(0))?.replicas.length ?? 1;
  if (assignments !== null) {
    if (assignments.length !== partitionsCount - current) {
      throw new KafkaError(
        'INVALID_REPLICA_ASSIGNMENT',
        `Attempted to add ${partitionsCount - current} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
      );
    }
    checkManualAssignment(image, assignments, current, replicationFactor);
    return partitionRecords(image, topic.id, current, assignments);
  }
  return partitionRecords(image, topic.id, current, placeOrThrow(image, current, partitionsCount - current, replicationFactor));
}

export function decideAlterTopicConfigs(
  image: MetadataImage,
  name: string,
  alterations: readonly { name: string; value: string | null }[],
): MetadataRecord[] {
  requireTopic(image, name);
  const records: ConfigRecord[] = [];
  const resulting = new Map(image.configs.get(`topic:${name}`) ?? []);
  for (const alteration of alterations) {
    if (alteration.value === null) {
      if (!TOPIC_CONFIGS.has(alteration.name)) {
        throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${alteration.name}`);
      }
      resulting.delete(alteration.name);
      records.push({
        type: 'config',
        resourceType: 'topic',
        resourceName: name,
        name: alteration.name,
        value: null,
      });
      continue;
    }
    const result = validateTopicConfig(alteration.name, alteration.value);
    if (!result.ok) throw new KafkaError('INVALID_CONFIG', result.reason);
    resulting.set(alteration.name, result.value);
    records.push({
      type: 'config',
      resourceType: 'topic',
      resourceName: name,
      name: alteration.name,
      value: result.value,
    });
  }
  const conflict = topicConfigConflict(resulting, name);
  if (conflict !== null) throw new KafkaError('INVALID_CONFIG', conflict);
  return records;
}
