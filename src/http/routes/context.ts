// What every route module shares: its dependencies, the path parameter types and schemas, and the lookups
// that turn a path into an entity of the image or a not-found error.

import type { StickyPartitioner } from '../../common/partitioner.ts';
import type { Authorizer } from '../../common/security.ts';
import type { PartitionSendOrder } from '../records/send-order.ts';
import type { PartitionId } from '../../metadata/ids.ts';
import { INT32_MAX, partitionId } from '../../metadata/ids.ts';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../../metadata/image.ts';
import { topicByName } from '../../metadata/queries.ts';
import { KafkaError } from '../../common/kafka-errors.ts';
import { HTTP_ERRORS, HttpError } from '../errors.ts';
import type { ClusterNode } from '../ports.ts';

export interface RouteDeps {
  readonly node: ClusterNode;
  /** The node's static config by broker config name (node.properties), for config describe and defaults. */
  readonly staticTopicConfig: ReadonlyMap<string, string>;
  /** How long a read waits on the read barrier before it answers from this node's image as it is. */
  readonly readBarrierTimeoutMs: number;
  /** Keyless records' partitions, per topic (one per app: stickiness spans requests). */
  readonly sticky: StickyPartitioner;
  /** Wall-clock ms: the timestamp of a produced record that has none. */
  readonly now: () => number;
  /** Largest body of a produce request. */
  readonly recordsBodyBytesMax: number;
  /** Keeps a partition's produces in order behind the acks=0 sends not settled yet (one per app). */
  readonly sendOrder: PartitionSendOrder;
  /** Who may do what (ALLOW_ALL without authorizer.class.name); the requester is `request.session`. */
  readonly authorizer: Authorizer;
}

export interface ClusterParams {
  readonly cluster_id: string;
}
export interface TopicParams extends ClusterParams {
  readonly topic_name: string;
}
export interface PartitionParams extends TopicParams {
  readonly partition_id: string;
}

/** A params schema: every listed path parameter is a string (fastify always gives strings). */
export function paramsSchema(...names: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    required: names,
    properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])),
  };
}

/** A Kafka int32 id in canonical decimal, or null (then the entity cannot exist: a 404, as Confluent). */
export function parseId(text: string): number | null {
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(text)) return null;
  const value = Number(text);
  return value <= INT32_MAX ? value : null;
}

/**
 * Answers a read from this node's image. Before it says that something does not exist (a 404), the node
 * catches up with the metadata committed at the active controller (a read barrier), so a topic created
 * through another node a moment ago is found here too, as Kafka users expect of one cluster.
 */
export async function readImage<T>(deps: RouteDeps, read: (image: MetadataImage) => T): Promise<T> {
  try {
    return read(deps.node.image());
  } catch (error) {
    if (!(error instanceof HttpError) || HTTP_ERRORS[error.errorName].status !== 404) throw error;
    return read(await caughtUpImage(deps));
  }
}

/**
 * This node's image once it holds everything committed when asked. Without a controller that answers in
 * time (no quorum), the image as it is: possibly behind, never ahead of what was committed.
 */
export async function caughtUpImage(deps: RouteDeps): Promise<MetadataImage> {
  try {
    await deps.node.admin.catchUp(deps.readBarrierTimeoutMs);
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
  }
  return deps.node.image();
}

export function requireTopic(image: MetadataImage, topicName: string): TopicImage {
  const topic = topicByName(image, topicName);
  if (topic === undefined) throw new HttpError('TOPIC_NOT_FOUND');
  return topic;
}

export function requirePartition(
  topic: TopicImage,
  partitionText: string,
): { readonly id: PartitionId; readonly partition: PartitionRegistration } {
  const number = parseId(partitionText);
  const partition = number === null ? undefined : topic.partitions.get(partitionId(number));
  if (number === null || partition === undefined) {
    throw new HttpError(
      'PARTITION_NOT_FOUND',
      `Partition ${partitionText} of topic ${topic.name} cannot be found.`,
    );
  }
  return { id: partitionId(number), partition };
}
