// Where this node reaches another broker: the endpoint the broker registered under this node's
// inter.broker.listener.name (Kafka: each broker dials the others on the listener it names, so one
// broker can be reached by different addresses depending on who asks).
import type { BrokerId } from '../metadata/ids.ts';
import type { MetadataImage } from '../metadata/image.ts';

/** "host:port" of `broker`'s listener `listenerName` in `image`, or null when it has none. */
export function brokerAddress(image: MetadataImage, broker: BrokerId, listenerName: string): string | null {
  const endpoint = image.brokers.get(broker)?.endpoints.find((candidate) => candidate.name === listenerName);
  return endpoint === undefined ? null : `${endpoint.host}:${endpoint.port}`;
}
