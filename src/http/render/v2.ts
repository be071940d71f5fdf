// REST v2 shapes (Confluent's entities/v2): Topic {name, configs, partitions}, Partition {partition,
// leader, replicas: [{broker, leader, in_sync}]}, and a record read back {topic, key, value, partition,
// offset}.

import type { PartitionRegistration } from '../../metadata/image.ts';

export interface V2Replica {
  readonly broker: number;
  readonly leader: boolean;
  readonly in_sync: boolean;
}

export interface V2Partition {
  readonly partition: number;
  /** -1 when the partition has no leader. */
  readonly leader: number;
  readonly replicas: readonly V2Replica[];
}

export interface V2Topic {
  readonly name: string;
  readonly configs: Readonly<Record<string, string>>;
  readonly partitions: readonly V2Partition[];
}

export interface V2Record {
  readonly topic: string;
  readonly key: unknown;
  readonly value: unknown;
  readonly partition: number;
  readonly offset: number;
}

export function renderV2Partition(partitionId: number, partition: PartitionRegistration): V2Partition {
  return {
    partition: partitionId,
    leader: partition.leader,
    replicas: partition.replicas.map((broker) => ({
      broker,
      leader: broker === partition.leader,
      in_sync: partition.isr.includes(broker),
    })),
  };
}

export function renderV2Partitions(partitions: ReadonlyMap<number, PartitionRegistration>): V2Partition[] {
  return [...partitions].sort(([a], [b]) => a - b).map(([id, partition]) => renderV2Partition(id, partition));
}
