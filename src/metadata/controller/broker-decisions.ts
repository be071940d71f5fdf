// Decisions on broker registration, heartbeats, fencing and ISR changes requested by partition leaders.
import { KafkaError } from '../../common/kafka-errors.ts';
import type { BrokerEpoch, BrokerId, LeaderEpoch, PartitionEpoch, PartitionId, TopicId } from '../ids.ts';
import type { BrokerRegistration, MetadataImage, TopicImage } from '../image.ts';
import { applyRecord } from '../reducer.ts';
import type { Endpoint, MetadataRecord } from '../records.ts';
import { electOnReturn, findPartition, isEligible, removeBrokerFromPartitions } from './partition-changes.ts';

export interface RegisterBrokerRequest {
  readonly brokerId: BrokerId;
  readonly incarnationId: string;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
  readonly processRoles: readonly string[];
}

export interface BrokerHeartbeatRequest {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
  /** The offset of the last metadata batch the broker has applied. */
  readonly currentMetadataOffset: number;
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
}

export interface BrokerHeartbeatResponse {
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  readonly shouldShutDown: boolean;
}

export interface AlterPartitionRequest {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
  readonly topicId: TopicId;
  readonly partitionId: PartitionId;
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
  readonly newIsr: readonly BrokerId[];
}

export type UncleanPolicy = (topic: TopicImage) => boolean;

export function requireRegistration(
  image: MetadataImage,
  broker: BrokerId,
  epoch: BrokerEpoch,
): BrokerRegistration {
  const registration = image.brokers.get(broker);
  if (registration === undefined || registration.epoch !== epoch) {
    throw new KafkaError(
      'STALE_BROKER_EPOCH',
      `Broker ${broker} epoch ${epoch} is not the registered one (${registration?.epoch ?? 'none'}); register again.`,
    );
  }
  return registration;
}

/** The broker leaves service: fenced (or marked shutting down) and removed from ISRs and leaderships. */
export function decideRemoval(
  image: MetadataImage,
  registration: BrokerRegistration,
  how: 'fence' | 'controlledShutdown',
  unclean: UncleanPolicy,
): MetadataRecord[] {
  const change: MetadataRecord = {
    type: 'brokerRegistrationChange',
    brokerId: registration.id,
    brokerEpoch: registration.epoch,
    fenced: how === 'fence' ? true : null,
    inControlledShutdown: how === 'controlledShutdown' ? true : null,
  };
  // Elections must not pick the broker that is leaving: decide on the image that already shows it gone.
  const after = applyRecord(image, change, image.offset);
  return [change, ...removeBrokerFromPartitions(after, registration.id, unclean)];
}

export function decideUnfence(
  image: MetadataImage,
  registration: BrokerRegistration,
  unclean: UncleanPolicy,
): MetadataRecord[] {
  const change: MetadataRecord = {
    type: 'brokerRegistrationChange',
    brokerId: registration.id,
    brokerEpoch: registration.epoch,
    fenced: false,
    inControlledShutdown: null,
  };
  const after = applyRecord(image, change, image.offset);
  return [change, ...electOnReturn(after, registration.id, unclean)];
}

/**
 * A new registration (a restart: new incarnation). A previous incarnation still in service is first
 * taken out of ISRs and leaderships: the new process has not caught up with anything yet.
 */
export function decideRegistration(
  image: MetadataImage,
  request: RegisterBrokerRequest,
  previousSessionAlive: boolean,
  unclean: UncleanPolicy,
): MetadataRecord[] {
  const existing = image.brokers.get(request.brokerId);
  if (existing !== undefined && !existing.fenced && previousSessionAlive) {
    throw new KafkaError(
      'DUPLICATE_BROKER_REGISTRATION',
      `Another broker is registered with id ${request.brokerId} and its session has not expired; retry later.`,
    );
  }
  const removal =
    existing !== undefined && !existing.fenced ? decideRemoval(image, existing, 'fence', unclean) : [];
  return [
    ...removal,
    {
      type: 'registerBroker',
      brokerId: request.brokerId,
      incarnationId: request.incarnationId,
      endpoints: request.endpoints,
      rack: request.rack,
      fenced: true,
      processRoles: request.processRoles,
    },
  ];
}

export function decideAlterPartition(image: MetadataImage, request: AlterPartitionRequest): MetadataRecord[] {
  requireRegistration(image, request.brokerId, request.brokerEpoch);
  const found = findPartition(image, request.topicId, request.partitionId);
  if (found === null) {
    throw new KafkaError(
      'UNKNOWN_TOPIC_OR_PARTITION',
      `Unknown partition ${request.topicId}-${request.partitionId}.`,
    );
  }
  const { partition } = found;
  if (partition.leader !== request.brokerId) {
    throw new KafkaError(
      'NOT_LEADER_OR_FOLLOWER',
      `Broker ${request.brokerId} does not lead this partition.`,
    );
  }
  if (request.leaderEpoch !== partition.leaderEpoch) {
    throw new KafkaError(
      'FENCED_LEADER_EPOCH',
      `Leader epoch ${request.leaderEpoch} is not ${partition.leaderEpoch}.`,
    );
  }
  if (request.partitionEpoch !== partition.partitionEpoch) {
    throw new KafkaError(
      'INVALID_UPDATE_VERSION',
      `Partition epoch ${request.partitionEpoch} is not the current ${partition.partitionEpoch}.`,
    );
  }
  const isr = request.newIsr;
  const valid =
    new Set(isr).size === isr.length &&
    isr.includes(request.brokerId) &&
    isr.every((member) => partition.replicas.includes(member));
  if (!valid)
    throw new KafkaError(
      'INVALID_REQUEST',
      `Invalid ISR ${isr.join(',')} for replicas ${partition.replicas.join(',')}.`,
    );
  const added = isr.filter((member) => !partition.isr.includes(member));
  const ineligible = added.filter((member) => !isEligible(image, member));
  if (ineligible.length > 0) {
    throw new KafkaError(
      'INVALID_REQUEST',
      `Brokers ${ineligible.join(',')} are fenced or shutting down and cannot join the ISR.`,
    );
  }
  return [
    {
      type: 'partitionChange',
      topicId: request.topicId,
      partitionId: request.partitionId,
      leader: null,
      isr,
      replicas: null,
    },
  ];
}
