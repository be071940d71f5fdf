// The pure reducer of the metadata log: (image, record, offset) -> image. Every node applies the same
// committed records in the same order, so every node holds the same image at the same offset.
//
// The controller only writes records that keep the image's invariants; a record that would break one
// is a bug (of the controller, or corrupt storage), so it fails an assertion here and stops the node
// rather than letting nodes diverge. Invariants checked per entity (they hold after every record, not
// only after a batch): a partition's replicas are distinct and non-empty, its ISR is a subset of them,
// its leader is in the ISR or -1; topic names and ids are unique; partitions of a topic are 0..n-1;
// broker epochs, producer ids and controller epochs only grow; the security records' invariants are in
// security-reducer.ts. Cross-entity rules (a leader is an
// unfenced broker, ...) are the controller's: it establishes them over a whole batch.

import { assert, unreachable } from '../../raft/assert.ts';
import type { BrokerId, MetadataOffset, PartitionId, TopicId } from './ids.ts';
import { brokerEpoch, leaderEpoch, partitionEpoch } from './ids.ts';
import type {
  BrokerRegistration,
  ConfigResourceKey,
  MetadataImage,
  PartitionRegistration,
  TopicImage,
} from './image.ts';
import { configResourceKey, partitionProblem } from './image.ts';
import type {
  BrokerRegistrationChangeRecord,
  ConfigRecord,
  MetadataRecord,
  PartitionChangeRecord,
  PartitionRecord,
  RegisterBrokerRecord,
  TopicRecord,
} from './records.ts';
import { applySecurityRecord } from './security-reducer.ts';

type Changes = Partial<Omit<MetadataImage, 'offset'>>;

/**
 * Applies the records of one Raft entry, at metadata offset `offset` (the entry's index), atomically:
 * every record of the batch gets that offset. An empty batch only advances the offset.
 */
export function applyBatch(
  image: MetadataImage,
  records: readonly MetadataRecord[],
  offset: MetadataOffset,
): MetadataImage {
  assert(offset > image.offset, 'batch offset does not advance', { offset, imageOffset: image.offset });
  let next: MetadataImage = { ...image, offset };
  for (const record of records) next = applyRecord(next, record, offset);
  return next;
}

/** Applies one record at `offset`. Pure: `image` is not modified; unchanged parts are shared. */
export function applyRecord(
  image: MetadataImage,
  record: MetadataRecord,
  offset: MetadataOffset,
): MetadataImage {
  assert(offset >= image.offset, 'record offset goes back', { offset, imageOffset: image.offset });
  return { ...image, ...changesOf(image, record, offset), offset };
}

function changesOf(image: MetadataImage, record: MetadataRecord, offset: MetadataOffset): Changes {
  switch (record.type) {
    case 'registerBroker':
      return registerBroker(image, record, offset);
    case 'brokerRegistrationChange':
      return changeBrokerRegistration(image, record);
    case 'unregisterBroker': {
      currentRegistration(image, record.brokerId, record.brokerEpoch);
      const brokers = new Map(image.brokers);
      brokers.delete(record.brokerId);
      return { brokers };
    }
    case 'topic':
      return addTopic(image, record);
    case 'partition':
      return addPartition(image, record);
    case 'partitionChange':
      return changePartition(image, record);
    case 'removeTopic':
      return removeTopic(image, record.topicId);
    case 'config':
      return changeConfig(image, record);
    case 'producerIds':
      assert(record.nextProducerId > image.nextProducerId, 'producer ids go back', {
        next: record.nextProducerId,
        current: image.nextProducerId,
      });
      return { nextProducerId: record.nextProducerId };
    case 'noOp':
      return {};
    case 'leaderChange': {
      const previous = image.controllerLeader;
      // A repeated LeaderChange of the same leadership is harmless: controllers before the fix of
      // QuorumController.becomeLeader wrote one when a shutdown resigned while Raft still led, and
      // logs holding one must still replay. Another leader for the same epoch is a broken quorum.
      const repeated =
        previous !== null && record.epoch === previous.epoch && record.leaderId === previous.id;
      assert(
        previous === null || record.epoch > previous.epoch || repeated,
        'controller epoch does not grow',
        {
          record,
          previous,
        },
      );
      if (repeated) return {};
      return { controllerLeader: { id: record.leaderId, epoch: record.epoch } };
    }
    case 'accessControlEntry':
    case 'removeAccessControlEntry':
    case 'userScramCredential':
    case 'removeUserScramCredential':
    case 'clientQuota':
      return { security: applySecurityRecord(image.security, record) };
    default:
      return unreachable(record);
  }
}

// ---------------------------------------------------------------------------------------------------
// Brokers

function registerBroker(image: MetadataImage, record: RegisterBrokerRecord, offset: MetadataOffset): Changes {
  const previous = image.brokers.get(record.brokerId);
  // Broker epochs of one id strictly grow: a second registration in one batch would reuse the offset.
  assert(previous === undefined || previous.epoch < offset, 'broker epoch does not grow', {
    brokerId: record.brokerId,
    previousEpoch: previous?.epoch,
    offset,
  });
  const registration: BrokerRegistration = {
    id: record.brokerId,
    incarnationId: record.incarnationId,
    epoch: brokerEpoch(offset),
    endpoints: record.endpoints,
    rack: record.rack,
    fenced: record.fenced,
    inControlledShutdown: false,
    processRoles: record.processRoles,
  };
  return { brokers: new Map(image.brokers).set(record.brokerId, registration) };
}

function currentRegistration(image: MetadataImage, id: BrokerId, epoch: number): BrokerRegistration {
  const registration = image.brokers.get(id);
  assert(registration !== undefined, 'unknown broker', { brokerId: id });
  assert(registration.epoch === epoch, 'broker epoch mismatch', {
    brokerId: id,
    epoch,
    current: registration.epoch,
  });
  return registration;
}

function changeBrokerRegistration(image: MetadataImage, record: BrokerRegistrationChangeRecord): Changes {
  const current = currentRegistration(image, record.brokerId, record.brokerEpoch);
  const registration: BrokerRegistration = {
    ...current,
    fenced: record.fenced ?? current.fenced,
    inControlledShutdown: record.inControlledShutdown ?? current.inControlledShutdown,
  };
  return { brokers: new Map(image.brokers).set(record.brokerId, registration) };
}

// ---------------------------------------------------------------------------------------------------
// Topics and partitions

function addTopic(image: MetadataImage, record: TopicRecord): Changes {
  assert(record.name.length > 0, 'empty topic name', { record });
  assert(!image.topics.has(record.topicId), 'duplicate topic id', { record });
  assert(!image.topicIdsByName.has(record.name), 'duplicate topic name', { record });
  const topic: TopicImage = { id: record.topicId, name: record.name, partitions: new Map() };
  return {
    topics: new Map(image.topics).set(record.topicId, topic),
    topicIdsByName: new Map(image.topicIdsByName).set(record.name, record.topicId),
  };
}

function existingTopic(image: MetadataImage, id: TopicId): TopicImage {
  const topic = image.topics.get(id);
  assert(topic !== undefined, 'unknown topic', { topicId: id });
  return topic;
}

function withPartition(
  image: MetadataImage,
  topic: TopicImage,
  id: PartitionId,
  partition: PartitionRegistration,
): Changes {
  const problem = partitionProblem(partition);
  assert(problem === null, () => `bad partition: ${problem}`, {
    topicId: topic.id,
    partitionId: id,
    partition,
  });
  const partitions = new Map(topic.partitions).set(id, partition);
  return { topics: new Map(image.topics).set(topic.id, { ...topic, partitions }) };
}

function addPartition(image: MetadataImage, record: PartitionRecord): Changes {
  const topic = existingTopic(image, record.topicId);
  assert(record.partitionId === topic.partitions.size, 'partition is not the next of its topic', {
    topicId: record.topicId,
    partitionId: record.partitionId,
    partitionCount: topic.partitions.size,
  });
  return withPartition(image, topic, record.partitionId, {
    replicas: record.replicas,
    isr: record.isr,
    leader: record.leader,
    leaderEpoch: record.leaderEpoch,
    partitionEpoch: record.partitionEpoch,
  });
}

// As Kafka's PartitionRegistration.merge: every change bumps the partition epoch; a present `leader`
// bumps the leader epoch, even when it names the current leader (the controller uses that to fence
// the followers of the old epoch, e.g. on reassignment).
function changePartition(image: MetadataImage, record: PartitionChangeRecord): Changes {
  const topic = existingTopic(image, record.topicId);
  const current = topic.partitions.get(record.partitionId);
  assert(current !== undefined, 'unknown partition', {
    topicId: record.topicId,
    partitionId: record.partitionId,
  });
  return withPartition(image, topic, record.partitionId, {
    replicas: record.replicas ?? current.replicas,
    isr: record.isr ?? current.isr,
    leader: record.leader ?? current.leader,
    leaderEpoch: record.leader === null ? current.leaderEpoch : leaderEpoch(current.leaderEpoch + 1),
    partitionEpoch: partitionEpoch(current.partitionEpoch + 1),
  });
}

function removeTopic(image: MetadataImage, id: TopicId): Changes {
  const topic = existingTopic(image, id);
  const topics = new Map(image.topics);
  topics.delete(id);
  const topicIdsByName = new Map(image.topicIdsByName);
  topicIdsByName.delete(topic.name);
  const key = configResourceKey('topic', topic.name);
  if (!image.configs.has(key)) return { topics, topicIdsByName };
  const configs = new Map(image.configs);
  configs.delete(key);
  return { topics, topicIdsByName, configs };
}

// ---------------------------------------------------------------------------------------------------
// Configs

const BROKER_RESOURCE_NAME = /^(?:0|[1-9][0-9]*)?$/;

function changeConfig(image: MetadataImage, record: ConfigRecord): Changes {
  assert(record.name.length > 0, 'empty config name', { record });
  if (record.resourceType === 'topic') {
    // Configs of a topic go with it (RemoveTopic), so they may only exist while it does.
    assert(image.topicIdsByName.has(record.resourceName), 'config of an unknown topic', { record });
  } else {
    assert(BROKER_RESOURCE_NAME.test(record.resourceName), 'broker config of no broker id', { record });
  }
  const key: ConfigResourceKey = configResourceKey(record.resourceType, record.resourceName);
  const entries = new Map(image.configs.get(key));
  if (record.value === null) entries.delete(record.name);
  else entries.set(record.name, record.value);
  const configs = new Map(image.configs);
  if (entries.size === 0) configs.delete(key);
  else configs.set(key, entries);
  return { configs };
}
