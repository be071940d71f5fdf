// BrokerData (Confluent v3: kind KafkaBroker). host and port are the broker's CLIENT listener (the one
// clients talk to), else its first listener; `fenced` and `in_controlled_shutdown` are our extensions.

import type { BrokerRegistration } from '../../metadata/image.ts';
import type { UrlBuilder } from '../urls.ts';
import { crn } from '../urls.ts';
import type { Relationship, ResourceMetadata } from './resource.ts';
import { related } from './resource.ts';

/** The listener name of the client API in RegisterBroker endpoints. */
export const CLIENT_LISTENER = 'CLIENT';

export interface BrokerData {
  readonly kind: 'KafkaBroker';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly broker_id: number;
  readonly host: string | null;
  readonly port: number | null;
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly in_controlled_shutdown: boolean;
  readonly configs: Relationship;
  readonly partition_replicas: Relationship;
}

export function renderBroker(url: UrlBuilder, clusterId: string, broker: BrokerRegistration): BrokerData {
  const self = ['v3', 'clusters', clusterId, 'brokers', broker.id] as const;
  const endpoint = broker.endpoints.find((e) => e.name === CLIENT_LISTENER) ?? broker.endpoints[0];
  return {
    kind: 'KafkaBroker',
    metadata: { self: url(...self), resource_name: crn(clusterId, ['broker', broker.id]) },
    cluster_id: clusterId,
    broker_id: broker.id,
    host: endpoint?.host ?? null,
    port: endpoint?.port ?? null,
    rack: broker.rack,
    fenced: broker.fenced,
    in_controlled_shutdown: broker.inControlledShutdown,
    configs: related(url(...self, 'configs')),
    partition_replicas: related(url(...self, 'partition-replicas')),
  };
}
