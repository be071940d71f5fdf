// The brokers a Kafka client may dial: registered, unfenced, with an endpoint on the client listener
// (PLAINTEXT). Metadata and DescribeCluster list these, and a partition leader outside them is
// "not available" to the client.
import type { BrokerId } from '../../metadata/ids.ts';
import type { MetadataImage } from '../../metadata/image.ts';

export interface ReachableBroker {
  readonly id: BrokerId;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export function reachableBrokers(image: MetadataImage, listenerName: string): ReachableBroker[] {
  const result: ReachableBroker[] = [];
  for (const broker of image.brokers.values()) {
    if (broker.fenced) continue;
    const endpoint = broker.endpoints.find((candidate) => candidate.name === listenerName);
    if (endpoint === undefined) continue;
    result.push({ id: broker.id, host: endpoint.host, port: endpoint.port, rack: broker.rack });
  }
  return result.sort((a, b) => a.id - b.id);
}

/**
 * The broker Kafka's KRaft brokers name as "controller" to clients (controllers are not reachable on
 * the client listener): the active controller when it is a reachable broker, else this node.
 */
export function controllerIdForClients(
  image: MetadataImage,
  brokers: readonly ReachableBroker[],
  self: BrokerId,
): number {
  const active: number | undefined = image.controllerLeader?.id;
  return brokers.some((broker) => Number(broker.id) === active) ? Number(active) : self;
}
