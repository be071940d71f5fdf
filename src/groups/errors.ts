// The coordinator's operating errors, with the messages Kafka's Errors enum gives them (users know them
// from Kafka's tools and logs). The detail after the message says which group or member.

import { KafkaError } from '../common/kafka-errors.ts';

export function notCoordinator(groupId: string): KafkaError {
  return new KafkaError('NOT_COORDINATOR', `This is not the correct coordinator. (group ${groupId})`);
}

export function coordinatorLoadInProgress(groupId: string): KafkaError {
  return new KafkaError(
    'COORDINATOR_LOAD_IN_PROGRESS',
    `The coordinator is loading and hence can't process requests. (group ${groupId})`,
  );
}

export function invalidGroupId(): KafkaError {
  return new KafkaError('INVALID_GROUP_ID', 'The configured groupId is invalid.');
}

export function unknownMemberId(groupId: string, memberId: string | null): KafkaError {
  return new KafkaError(
    'UNKNOWN_MEMBER_ID',
    `The coordinator is not aware of this member. (group ${groupId}, member ${memberId ?? 'none'})`,
  );
}

export function illegalGeneration(groupId: string, given: number, current: number): KafkaError {
  return new KafkaError(
    'ILLEGAL_GENERATION',
    `Specified group generation id is not valid. (group ${groupId}: ${given}, current ${current})`,
  );
}

export function invalidSessionTimeout(sessionTimeoutMs: number, minMs: number, maxMs: number): KafkaError {
  return new KafkaError(
    'INVALID_SESSION_TIMEOUT',
    'The session timeout is not within the range allowed by the broker (as configured by ' +
      `group.min.session.timeout.ms and group.max.session.timeout.ms). (${sessionTimeoutMs} not in ` +
      `${minMs}..${maxMs})`,
  );
}

export function groupIdNotFound(groupId: string): KafkaError {
  return new KafkaError('GROUP_ID_NOT_FOUND', `The group id does not exist. (group ${groupId})`);
}

export function nonEmptyGroup(groupId: string): KafkaError {
  return new KafkaError('NON_EMPTY_GROUP', `The group is not empty. (group ${groupId})`);
}

export function invalidRequest(detail: string): KafkaError {
  return new KafkaError(
    'INVALID_REQUEST',
    `This most likely occurs because of a request being malformed by the client library or the message ` +
      `was sent to an incompatible broker. (${detail})`,
  );
}

export function unknownTopicOrPartition(topic: string, partition: number): KafkaError {
  return new KafkaError(
    'UNKNOWN_TOPIC_OR_PARTITION',
    `This server does not host this topic-partition. (${topic}-${partition})`,
  );
}

export function rebalanceInProgress(groupId: string): KafkaError {
  return new KafkaError(
    'REBALANCE_IN_PROGRESS',
    `The group is rebalancing, so a rejoin is needed. (group ${groupId})`,
  );
}

export function inconsistentGroupProtocol(groupId: string, detail: string): KafkaError {
  return new KafkaError(
    'INCONSISTENT_GROUP_PROTOCOL',
    "The group member's supported protocols are incompatible with those of existing members or first " +
      `group member tried to join with empty protocol type or empty protocol list. (group ${groupId}: ${detail})`,
  );
}

export function memberIdRequired(groupId: string): KafkaError {
  return new KafkaError(
    'MEMBER_ID_REQUIRED',
    'The group member needs to have a valid member id before actually entering a consumer group. ' +
      `(group ${groupId})`,
  );
}

export function fencedInstanceId(groupId: string, groupInstanceId: string): KafkaError {
  return new KafkaError(
    'FENCED_INSTANCE_ID',
    'The broker rejected this static consumer since another consumer with the same group.instance.id ' +
      `has registered with a different member.id. (group ${groupId}, instance ${groupInstanceId})`,
  );
}
