// A manual replica assignment as a create-topic request carries it (Kafka's CreateTopics, Confluent's
// REST v3 `replicas_assignments`): partition indexes with their brokers, which must be 0..n-1 each once,
// and which replace the partition count and replication factor. Kafka's messages.
import { KafkaError } from '../common/kafka-errors.ts';

/**
 * Partition i's brokers at index i, or null without entries; a KafkaError (INVALID_REQUEST when a count
 * or factor is given too, INVALID_REPLICA_ASSIGNMENT when the indexes are not 0..n-1).
 */
export function manualAssignment(
  entries: readonly { readonly partition: number; readonly brokers: readonly number[] }[],
  countOrFactorGiven: boolean,
): number[][] | null {
  if (entries.length === 0) return null;
  if (countOrFactorGiven) {
    throw new KafkaError(
      'INVALID_REQUEST',
      'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
    );
  }
  const byPartition = new Map(entries.map(({ partition, brokers }) => [partition, brokers]));
  const assignments: number[][] = [];
  for (let partition = 0; partition < entries.length; partition++) {
    const brokers = byPartition.get(partition);
    if (brokers === undefined || byPartition.size !== entries.length) {
      throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'Partitions should be a consecutive 0-based integer sequence');
    }
    assignments.push([...brokers]);
  }
  return assignments;
}
