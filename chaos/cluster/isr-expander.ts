import type { BrokerId } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import type { ControllerClient } from '../../src/node/controller-client.ts';

/**
 * The partition leader's side of ISR expansion, for the metadata half of the simulation, which runs no
 * partition logs: a leader asks for an unfenced replica back in its ISR as if it had caught up (Kafka's
 * AlterPartition from Partition.maybeExpandIsr), through the product's controller client. The
 * controller validates it against the epochs and the broker's registration as for a real leader.
 */
export class IsrExpander {
  /** Partitions with a request in flight ("topicId/partition"): one at a time each, as Kafka's. */
  private readonly inFlight = new Set<string>();

  run(options: {
    self: BrokerId;
    image: MetadataImage;
    brokerEpoch: number | null;
    client: ControllerClient;
  }): void {
    const { self, image, brokerEpoch, client } = options;
    if (brokerEpoch === null) return;
    for (const topic of image.topics.values()) {
      for (const [partitionId, partition] of topic.partitions) {
        if (partition.leader !== self) continue;
        const joiner = partition.replicas.find((replica) => {
          const registration = image.brokers.get(replica);
          return !partition.isr.includes(replica) && registration !== undefined && !registration.fenced;
        });
        const key = `${topic.id}/${partitionId}`;
        if (joiner === undefined || this.inFlight.has(key)) continue;
        this.inFlight.add(key);
        client
          .call('alter-partition', {
            brokerId: self,
            brokerEpoch,
            topicId: topic.id,
            partitionId,
            leaderEpoch: partition.leaderEpoch,
            partitionEpoch: partition.partitionEpoch,
            newIsr: [...partition.isr, joiner],
          })
          .catch(() => undefined)
          .finally(() => this.inFlight.delete(key));
      }
    }
  }
}
