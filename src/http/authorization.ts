// Which ACL each REST route asks for, through one helper (the table per route is in src/http/README.md):
// the same model as the Kafka listener (src/kafka/handlers/authorization.ts), so that a principal may do
// the same things through either. A refusal is 403 with Confluent REST Proxy's error_code 40301 and its
// messages ("Not authorized to access topics: [t]", "... group: g", "Cluster authorization failed.").
// A topic the principal may not DESCRIBE is refused the same way whether or not it exists: routes ask
// before they look the topic up. Without an authorizer (authorizer.class.name unset) nothing is asked.
import type { FastifyRequest } from 'fastify';
import { isAllowed } from '../common/authorization.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import { type AclOperation, type AclResourceType, CLUSTER_RESOURCE_NAME } from '../common/security.ts';
import { HttpError } from './errors.ts';
import type { RouteDeps } from './routes/context.ts';

/** May the request's principal do `operation` on the resource? */
export function allowed(
  request: FastifyRequest,
  deps: Pick<RouteDeps, 'authorizer'>,
  operation: AclOperation,
  resourceType: AclResourceType,
  resourceName: string,
): boolean {
  return isAllowed(deps.authorizer, request.session, operation, resourceType, resourceName);
}

/** Throws 403 (40301) unless the request's principal may do `operation` on the resource. */
export function authorize(
  request: FastifyRequest,
  deps: Pick<RouteDeps, 'authorizer'>,
  operation: AclOperation,
  resourceType: AclResourceType,
  resourceName: string,
): void {
  if (allowed(request, deps, operation, resourceType, resourceName)) return;
  throw new HttpError('FORBIDDEN', refusal(resourceType, resourceName));
}

export function authorizeTopic(
  request: FastifyRequest,
  deps: Pick<RouteDeps, 'authorizer'>,
  operation: AclOperation,
  topicName: string,
): void {
  authorize(request, deps, operation, 'TOPIC', topicName);
}

export function authorizeGroup(
  request: FastifyRequest,
  deps: Pick<RouteDeps, 'authorizer'>,
  operation: AclOperation,
  groupId: string,
): void {
  authorize(request, deps, operation, 'GROUP', groupId);
}

export function authorizeCluster(
  request: FastifyRequest,
  deps: Pick<RouteDeps, 'authorizer'>,
  operation: AclOperation,
): void {
  authorize(request, deps, operation, 'CLUSTER', CLUSTER_RESOURCE_NAME);
}

/** Keeps the items whose topic the principal may `operation` (DESCRIBE, for lists). */
export function allowedTopics<T>(
  request: FastifyRequest,
  deps: Pick<RouteDeps, 'authorizer'>,
  operation: AclOperation,
  items: readonly T[],
  nameOf: (item: T) => string,
): T[] {
  if (!deps.authorizer.enabled) return [...items];
  return items.filter((item) => allowed(request, deps, operation, 'TOPIC', nameOf(item)));
}

/**
 * InitProducerId through REST: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679), as
 * the Kafka listener asks; `topicNames` are the topics to ask about when the authorizer cannot answer
 * "some topic" itself.
 */
export function authorizeIdempotentWrite(
  request: FastifyRequest,
  deps: Pick<RouteDeps, 'authorizer'>,
  topicNames: () => Iterable<string>,
): void {
  const authorizer = deps.authorizer;
  if (!authorizer.enabled || allowed(request, deps, 'IDEMPOTENT_WRITE', 'CLUSTER', CLUSTER_RESOURCE_NAME))
    return;
  const anyTopic =
    authorizer.authorizeByResourceType !== undefined
      ? authorizer.authorizeByResourceType(request.session, 'WRITE', 'TOPIC')
      : [...topicNames()].some((name) => allowed(request, deps, 'WRITE', 'TOPIC', name));
  if (!anyTopic) throw new HttpError('FORBIDDEN', refusal('CLUSTER', CLUSTER_RESOURCE_NAME));
}

/**
 * For the native API, whose answers carry Kafka's codes: throws TOPIC_, GROUP_ or
 * CLUSTER_AUTHORIZATION_FAILED (a KafkaError) unless the principal may do `operation` on the resource.
 */
export function authorizeAsKafka(
  request: FastifyRequest,
  deps: Pick<RouteDeps, 'authorizer'>,
  operation: AclOperation,
  resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER',
  resourceName: string,
): void {
  if (allowed(request, deps, operation, resourceType, resourceName)) return;
  throw new KafkaError(`${resourceType}_AUTHORIZATION_FAILED`, refusal(resourceType, resourceName));
}

function refusal(resourceType: AclResourceType, resourceName: string): string {
  switch (resourceType) {
    case 'TOPIC':
      return `Not authorized to access topics: [${resourceName}]`;
    case 'GROUP':
      return `Not authorized to access group: ${resourceName}`;
    case 'CLUSTER':
      return 'Cluster authorization failed.';
    default:
      return `Not authorized to access ${resourceType.toLowerCase()}: ${resourceName}`;
  }
}
