import { NO_LEADER } from '../../src/metadata/ids.ts';
import type { SimCluster } from './cluster.ts';
import { imageFingerprint } from './metadata-checkers.ts';

/**
 * What is still missing for the cluster to be whole after healing, or null when nothing is: an active
 * controller, every broker registered and running (unfenced), every node's image at the same offset
 * and equal, and in it every partition with a leader and a full ISR.
 */
export function livenessGap(cluster: SimCluster): string | null {
  const servers = [...cluster.servers.values()];
  if (!servers.some((server) => server.controllerActive())) return 'no active controller';
  for (const id of cluster.config.brokers) {
    const state = cluster.server(id).brokerState();
    if (state !== 'running') return `broker ${id} is ${state}`;
  }
  const images = servers.map((server) => server.image());
  const first = images[0];
  if (first === null || first === undefined) return 'a node is down';
  for (const [i, image] of images.entries()) {
    if (image === null) return `node ${servers[i]!.id} is down`;
    if (image.offset !== first.offset) return `images at offsets ${images.map((each) => each?.offset)}`;
  }
  const fingerprint = imageFingerprint(first);
  if (images.some((image) => image !== null && imageFingerprint(image) !== fingerprint)) {
    return 'images at one offset differ';
  }
  for (const id of cluster.config.brokers) {
    if (first.brokers.get(id as never)?.fenced !== false) return `broker ${id} is fenced in the image`;
  }
  for (const topic of first.topics.values()) {
    for (const [partitionId, partition] of topic.partitions) {
      if (partition.leader === NO_LEADER) return `${topic.name}-${partitionId} has no leader`;
      if (partition.isr.length !== partition.replicas.length) {
        const ends = partition.replicas.map((replica) => {
          const log = cluster
            .server(replica as never)
            .dataPlane()
            ?.replicas.hosted(topic.id, partitionId)?.log;
          return `${replica}:${log === undefined ? '-' : `${log.logStartOffset}..${log.logEndOffset}`}`;
        });
        return `${topic.name}-${partitionId} ISR [${partition.isr}] of replicas [${partition.replicas}] (logs ${ends.join(' ')})`;
      }
    }
  }
  return null;
}
