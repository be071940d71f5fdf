// Which ACL each Kafka API asks for, in one place (the table is in src/kafka/README.md), as Kafka's
// KafkaApis and AuthHelper do: the handlers call these before acting, and answer a refusal with
// Kafka's codes (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED) per topic, group or request. A topic the
// principal may not see is refused the same way whether or not it exists: the refusal is decided
// before the image is looked at. Without an authorizer (authorizer.class.name unset) nothing is asked.
import {
  authorizedOperations,
  isAllowed,
  isAllowedOnCluster,
  operationsBitField,
} from '../../common/authorization.ts';
import { KafkaError } from '../../common/kafka-errors.ts';
import { type AclOperation, CLUSTER_RESOURCE_NAME } from '../../common/security.ts';
import type { RequestContext } from '../server/api-handler.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { BROKER_RESOURCE, TOPIC_RESOURCE } from './config-resources.ts';

/** May this request's principal do `operation` on topic `name`? */
export function topicAllowed(
  broker: KafkaBroker,
  context: RequestContext,
  operation: AclOperation,
  name: string,
): boolean {
  return isAllowed(broker.authorizer, context.session, operation, 'TOPIC', name);
}

/** May this request's principal do `operation` on group `groupId`? */
export function groupAllowed(
  broker: KafkaBroker,
  context: RequestContext,
  operation: AclOperation,
  groupId: string,
): boolean {
  return isAllowed(broker.authorizer, context.session, operation, 'GROUP', groupId);
}

/** May this request's principal do `operation` on the cluster? */
export function clusterAllowed(
  broker: KafkaBroker,
  context: RequestContext,
  operation: AclOperation,
): boolean {
  return isAllowedOnCluster(broker.authorizer, context.session, operation);
}

/** Throws CLUSTER_AUTHORIZATION_FAILED unless the principal may do `operation` on the cluster. */
export function requireCluster(broker: KafkaBroker, context: RequestContext, operation: AclOperation): void {
  if (!clusterAllowed(broker, context, operation)) throw clusterAuthorizationFailed(operation);
}

/** Throws GROUP_AUTHORIZATION_FAILED unless the principal may do `operation` on the group. */
export function requireGroup(
  broker: KafkaBroker,
  context: RequestContext,
  operation: AclOperation,
  groupId: string,
): void {
  if (!groupAllowed(broker, context, operation, groupId)) {
    throw new KafkaError('GROUP_AUTHORIZATION_FAILED', `Not authorized to access group: ${groupId}`);
  }
}

/** Throws TOPIC_AUTHORIZATION_FAILED unless the principal may do `operation` on topic `name`. */
export function requireTopic(
  broker: KafkaBroker,
  context: RequestContext,
  operation: AclOperation,
  name: string,
): void {
  if (!topicAllowed(broker, context, operation, name)) throw topicAuthorizationFailed(name);
}

export function topicAuthorizationFailed(name: string): KafkaError {
  return new KafkaError('TOPIC_AUTHORIZATION_FAILED', `Not authorized to access topics: [${name}]`);
}

export function clusterAuthorizationFailed(operation: AclOperation): KafkaError {
  return new KafkaError(
    'CLUSTER_AUTHORIZATION_FAILED',
    `Cluster authorization failed: ${operation} on the cluster is not allowed`,
  );
}

/**
 * CreateTopics and Metadata's auto-creation: CREATE on the cluster, or else CREATE on the topic
 * (Kafka asks the cluster first, once per request; callers may pass its answer).
 */
export function mayCreateTopic(
  broker: KafkaBroker,
  context: RequestContext,
  name: string,
  clusterCreate: boolean = clusterAllowed(broker, context, 'CREATE'),
): boolean {
  return clusterCreate || topicAllowed(broker, context, 'CREATE', name);
}

/**
 * InitProducerId without a transactional id: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic
 * (KIP-679). Kafka asks its authorizer whether any ACL could allow WRITE on a topic
 * (authorizeByResourceType); an authorizer without that question is asked about the topics that exist.
 */
export function mayWriteIdempotently(broker: KafkaBroker, context: RequestContext): boolean {
  const authorizer = broker.authorizer;
  if (!authorizer.enabled || clusterAllowed(broker, context, 'IDEMPOTENT_WRITE')) return true;
  if (authorizer.authorizeByResourceType !== undefined)
    return authorizer.authorizeByResourceType(context.session, 'WRITE', 'TOPIC');
  for (const topic of broker.image().topics.values())
    if (topicAllowed(broker, context, 'WRITE', topic.name)) return true;
  return false;
}

/** A topic's authorized operations as Kafka's wire carries them (Metadata v8+, include_topic_authorized_operations). */
export function topicOperations(broker: KafkaBroker, context: RequestContext, name: string): number {
  return operationsBitField(authorizedOperations(broker.authorizer, context.session, 'TOPIC', name));
}

/** A group's authorized operations (DescribeGroups v3+, include_authorized_operations). */
export function groupOperations(broker: KafkaBroker, context: RequestContext, groupId: string): number {
  return operationsBitField(authorizedOperations(broker.authorizer, context.session, 'GROUP', groupId));
}

/**
 * The cluster's authorized operations (Metadata v8-10, DescribeCluster): as Kafka, 0 (none) unless the
 * principal may DESCRIBE the cluster.
 */
export function clusterOperations(broker: KafkaBroker, context: RequestContext): number {
  if (!clusterAllowed(broker, context, 'DESCRIBE')) return 0;
  return operationsBitField(
    authorizedOperations(broker.authorizer, context.session, 'CLUSTER', CLUSTER_RESOURCE_NAME),
  );
}

/**
 * A config resource (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs): a TOPIC asks `operation`
 * (DESCRIBE_CONFIGS / ALTER_CONFIGS) on the topic, a BROKER on the cluster; other types are refused by
 * the handler anyway.
 */
export function requireConfigResource(
  broker: KafkaBroker,
  context: RequestContext,
  operation: 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS',
  resourceType: number,
  resourceName: string,
): void {
  if (resourceType === TOPIC_RESOURCE) requireTopic(broker, context, operation, resourceName);
  else if (resourceType === BROKER_RESOURCE) requireCluster(broker, context, operation);
}
