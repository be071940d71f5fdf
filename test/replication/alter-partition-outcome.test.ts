import { describe, expect, it } from 'vitest';
import { KafkaError, type KafkaErrorName } from '../../src/common/kafka-errors.ts';
import { alterPartitionOutcome } from '../../src/replication/alter-partition-outcome.ts';

describe('alterPartitionOutcome', () => {
  it.each<[KafkaErrorName, ReturnType<typeof alterPartitionOutcome>]>([
    // Definite refusals: the controller wrote nothing (INVALID_REQUEST is this controller's answer for
    // an ineligible joiner, checked only after the partition epoch matched).
    ['OPERATION_NOT_ATTEMPTED', 'refused'],
    ['INELIGIBLE_REPLICA', 'refused'],
    ['INVALID_REQUEST', 'refused'],
    // The partition moved on at the controller: wait for the image.
    ['INVALID_UPDATE_VERSION', 'superseded'],
    ['FENCED_LEADER_EPOCH', 'superseded'],
    ['NOT_LEADER_OR_FOLLOWER', 'superseded'],
    ['UNKNOWN_TOPIC_OR_PARTITION', 'superseded'],
    ['UNKNOWN_TOPIC_ID', 'superseded'],
    // Committed or not, nobody knows: send it again.
    ['REQUEST_TIMED_OUT', 'unknown'],
    ['NOT_CONTROLLER', 'unknown'],
    ['NETWORK_EXCEPTION', 'unknown'],
    ['STALE_BROKER_EPOCH', 'unknown'],
    ['UNKNOWN_SERVER_ERROR', 'unknown'],
  ])('%s is %s', (name, outcome) => {
    expect(alterPartitionOutcome(new KafkaError(name, 'answer'))).toBe(outcome);
  });

  it('an error without a Kafka name (a connection reset) is an unknown outcome', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(alterPartitionOutcome(reset)).toBe('unknown');
    expect(alterPartitionOutcome('thrown string')).toBe('unknown');
  });
});
