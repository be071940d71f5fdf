// ClusterData (Confluent v3: kind KafkaCluster). `acls` is served (routes/acls.ts); links to resources
// this API does not serve yet (broker_configs, partition_reassignments) are kept so that clients reading Confluent's shape find every
// field; `metadata_quorum` is our extension.

import type { MetadataImage } from '../../metadata/image.ts';
import type { UrlBuilder } from '../urls.ts';
import { crn } from '../urls.ts';
import type { Relationship, ResourceMetadata } from './resource.ts';
import { related } from './resource.ts';

export interface ClusterData {
  readonly kind: 'KafkaCluster';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  /** The active controller (image.controllerLeader); null before the first leader is known. */
  readonly controller: Relationship | null;
  readonly acls: Relationship;
  readonly brokers: Relationship;
  readonly broker_configs: Relationship;
  readonly consumer_groups: Relationship;
  readonly topics: Relationship;
  readonly partition_reassignments: Relationship;
  readonly metadata_quorum: Relationship;
}

export function renderCluster(url: UrlBuilder, clusterId: string, image: MetadataImage): ClusterData {
  const base = ['v3', 'clusters', clusterId] as const;
  const controller = image.controllerLeader;
  return {
    kind: 'KafkaCluster',
    metadata: { self: url(...base), resource_name: crn(clusterId) },
    cluster_id: clusterId,
    controller: controller === null ? null : related(url(...base, 'brokers', controller.id)),
    acls: related(url(...base, 'acls')),
    brokers: related(url(...base, 'brokers')),
    broker_configs: related(url(...base, 'broker-configs')),
    consumer_groups: related(url(...base, 'consumer-groups')),
    topics: related(url(...base, 'topics')),
    partition_reassignments: related(url(...base, 'topics', '-', 'partitions', '-', 'reassignment')),
    metadata_quorum: related(url(...base, 'metadata-quorum')),
  };
}
