// TopicData (Confluent v3: kind KafkaTopic). replication_factor is the replica count of partition 0, as
// Confluent's Topic entity computes it.

import { isInternalTopic } from '../../metadata/topic-rules.ts';
import type { TopicImage } from '../../metadata/image.ts';
import type { UrlBuilder } from '../urls.ts';
import { crn } from '../urls.ts';
import type { Relationship, ResourceMetadata } from './resource.ts';
import { related } from './resource.ts';

export interface TopicData {
  readonly kind: 'KafkaTopic';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly topic_name: string;
  /** Our extension (Kafka's tools show it): null for a validate_only answer, before an id exists. */
  readonly topic_id: string | null;
  readonly is_internal: boolean;
  readonly replication_factor: number;
  readonly partitions_count: number;
  readonly partitions: Relationship;
  readonly configs: Relationship;
  readonly partition_reassignments: Relationship;
  readonly authorized_operations: readonly string[];
}

/** What a topic looks like on the wire: from the image, or from a validate_only create request. */
export interface TopicShape {
  readonly name: string;
  readonly id: string | null;
  readonly replicationFactor: number;
  readonly partitionsCount: number;
}

export function topicShape(topic: TopicImage): TopicShape {
  const first = topic.partitions.values().next();
  return {
    name: topic.name,
    id: topic.id,
    replicationFactor: first.done === true ? 0 : first.value.replicas.length,
    partitionsCount: topic.partitions.size,
  };
}

/**
 * `authorizedOperations`: what the requester may do on the topic (Kafka's operation names), given when
 * it asked (`?include_authorized_operations=true`, as Confluent's); empty otherwise.
 */
export function renderTopic(
  url: UrlBuilder,
  clusterId: string,
  topic: TopicShape,
  authorizedOperations: readonly string[] = [],
): TopicData {
  const self = ['v3', 'clusters', clusterId, 'topics', topic.name] as const;
  return {
    kind: 'KafkaTopic',
    metadata: { self: url(...self), resource_name: crn(clusterId, ['topic', topic.name]) },
    cluster_id: clusterId,
    topic_name: topic.name,
    topic_id: topic.id,
    is_internal: isInternalTopic(topic.name),
    replication_factor: topic.replicationFactor,
    partitions_count: topic.partitionsCount,
    partitions: related(url(...self, 'partitions')),
    configs: related(url(...self, 'configs')),
    partition_reassignments: related(url(...self, 'partitions', '-', 'reassignment')),
    authorized_operations: authorizedOperations,
  };
}
