import type { Entry, NodeId } from '../../raft/types.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { NO_LEADER } from '../../src/metadata/ids.ts';
import { Violation } from '../checkers/violation.ts';

/** FNV-1a of a text, as 8 hex digits. */
function digest(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function bytesDigest(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return `${bytes.length}:${(hash >>> 0).toString(16)}`;
}

/**
 * A canonical text of an image: every map in key order, so that two nodes that reached the same state
 * by different paths (a snapshot, or the records one by one) print the same.
 */
export function imageFingerprint(image: MetadataImage): string {
  const sorted = <K, V>(map: ReadonlyMap<K, V>) =>
    [...map].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  const parts: string[] = [`offset=${image.offset}`, `producer=${image.nextProducerId}`];
  const leader = image.controllerLeader;
  parts.push(`controller=${leader === null ? '-' : `${leader.id}@${leader.epoch}`}`);
  for (const [id, broker] of sorted(image.brokers)) {
    parts.push(
      `broker ${id} ${broker.incarnationId} ${broker.epoch} ${broker.fenced} ${broker.inControlledShutdown} ${JSON.stringify(broker.endpoints)}`,
    );
  }
  for (const [id, topic] of sorted(image.topics)) {
    parts.push(`topic ${id} ${topic.name}`);
    for (const [partitionId, p] of sorted(topic.partitions)) {
      parts.push(
        `  ${partitionId} r=${p.replicas} isr=${p.isr} l=${p.leader} le=${p.leaderEpoch} pe=${p.partitionEpoch}`,
      );
    }
  }
  for (const [key, configs] of sorted(image.configs))
    parts.push(`config ${key} ${JSON.stringify(sorted(configs))}`);
  return digest(parts.join('\n'));
}

/**
 * The metadata quorum's safety, observed as nodes apply: the committed log is one chain (every node
 * applies, at each index, the entry every other node applied there: the committed logs are prefixes
 * of each other); every node's image at an offset equals every other node's image at that offset; at
 * most one partition leader per (partition, leader epoch) across all images; and no fenced broker in
 * an ISR unless it is its last member (Kafka keeps the last one, to know who may lead again).
 */
export class MetadataChecker {
  private readonly chain = new Map<
    number,
    { readonly term: number; readonly data: string; readonly node: NodeId }
  >();
  private readonly images = new Map<number, { readonly fingerprint: string; readonly node: NodeId }>();
  private readonly leaders = new Map<
    string,
    { readonly leader: number; readonly node: NodeId; readonly offset: number }
  >();
  /** The highest epochs seen per partition ("topicId/partition"): they never go back in any image. */
  private readonly epochs = new Map<
    string,
    { readonly leaderEpoch: number; readonly partitionEpoch: number; readonly offset: number }
  >();
  /** Per node, the newest image its components were given, over all its incarnations. */
  private readonly published = new Map<NodeId, number>();
  /** The highest committed index any node applied. */
  highest = 0;

  observeApplied(node: NodeId, entries: readonly Entry[]): void {
    for (const entry of entries) {
      const data = bytesDigest(entry.data);
      const known = this.chain.get(entry.index);
      if (known === undefined) {
        this.chain.set(entry.index, { term: entry.term, data, node });
        this.highest = Math.max(this.highest, entry.index);
        continue;
      }
      if (known.term !== entry.term || known.data !== data) {
        throw new Violation(
          'metadata-chain',
          `node ${node} applied index ${entry.index} term ${entry.term} (${data}); node ${known.node} applied term ${known.term} (${known.data})`,
        );
      }
    }
  }

  observeImage(node: NodeId, image: MetadataImage): void {
    const fingerprint = imageFingerprint(image);
    const known = this.images.get(image.offset);
    if (known === undefined) this.images.set(image.offset, { fingerprint, node });
    else if (known.fingerprint !== fingerprint) {
      throw new Violation(
        'image-agreement',
        `node ${node}'s image at offset ${image.offset} differs from node ${known.node}'s`,
      );
    }
    this.checkPartitions(node, image);
  }

  /**
   * A node's components (replica manager, group coordinator) are given `image`: never older than one
   * they were given before, also by an earlier incarnation of the node. Kafka's MetadataLoader rule
   * (publish only once caught up with the quorum's high watermark) makes this hold: the image a
   * restarted node replays from its disk may stop before the last committed record (a hard state that
   * only moves the commit index is not fsynced), and acting on it can undo what the node did before.
   */
  observePublished(node: NodeId, image: MetadataImage): void {
    const before = this.published.get(node) ?? -1;
    if (image.offset < before) {
      throw new Violation(
        'published-image-monotonic',
        `node ${node}'s components were given the image at offset ${image.offset}, after one at ${before}`,
      );
    }
    this.published.set(node, image.offset);
  }

  private checkPartitions(node: NodeId, image: MetadataImage): void {
    for (const topic of image.topics.values()) {
      for (const [partitionId, partition] of topic.partitions) {
        const name = `${topic.name}-${partitionId}`;
        const epochKey = `${topic.id}/${partitionId}`;
        const seen = this.epochs.get(epochKey);
        if (seen !== undefined && image.offset >= seen.offset) {
          if (partition.leaderEpoch < seen.leaderEpoch || partition.partitionEpoch < seen.partitionEpoch) {
            throw new Violation(
              'epochs-monotonic',
              `${name}: leader epoch ${partition.leaderEpoch}, partition epoch ${partition.partitionEpoch} in node ${node}'s image at ${image.offset}, after ${seen.leaderEpoch}, ${seen.partitionEpoch} at ${seen.offset}`,
            );
          }
        }
        if (seen === undefined || image.offset >= seen.offset) {
          this.epochs.set(epochKey, {
            leaderEpoch: partition.leaderEpoch,
            partitionEpoch: partition.partitionEpoch,
            offset: image.offset,
          });
        }
        if (partition.leader !== NO_LEADER && image.brokers.get(partition.leader)?.fenced !== false) {
          throw new Violation(
            'fenced-leader',
            `${name}: leader ${partition.leader} is fenced or unregistered (node ${node}'s image at ${image.offset})`,
          );
        }
        if (partition.leader !== NO_LEADER) {
          const key = `${topic.id}/${partitionId}/${partition.leaderEpoch}`;
          const known = this.leaders.get(key);
          if (known === undefined)
            this.leaders.set(key, { leader: partition.leader, node, offset: image.offset });
          else if (known.leader !== partition.leader) {
            throw new Violation(
              'one-leader-per-epoch',
              `${name} leader epoch ${partition.leaderEpoch}: leader ${partition.leader} in node ${node}'s image at ${image.offset}, leader ${known.leader} in node ${known.node}'s at ${known.offset}`,
            );
          }
        }
        if (partition.isr.length <= 1) continue;
        for (const member of partition.isr) {
          if (image.brokers.get(member)?.fenced !== false) {
            throw new Violation(
              'fenced-in-isr',
              `${name}: broker ${member} is fenced or unregistered but in ISR [${partition.isr}] (node ${node}'s image at ${image.offset})`,
            );
          }
        }
      }
    }
  }
}
