// What a failed AlterPartition says about the controller's ISR, after Kafka's
// Partition.handleAlterPartitionError and AlterPartitionManager. The leader's maximal ISR (KIP-497)
// must count every member the controller may have committed, so only a definite refusal forgets a
// proposal; an unknown outcome keeps it and sends it again.
//
// What this controller answers (src/metadata/controller/broker-decisions.ts decideAlterPartition, which
// checks in this order, before writing anything): STALE_BROKER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION,
// NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, then INVALID_REQUEST (an invalid
// ISR, or a joiner that is fenced or shutting down: Kafka's INELIGIBLE_REPLICA). A proposal already
// committed by an earlier attempt has moved the partition epoch, so its resend stops at
// INVALID_UPDATE_VERSION (or earlier) and never reaches INVALID_REQUEST: INVALID_REQUEST is a definite
// refusal. The ControllerClient (src/node/controller-client.ts) retries NOT_CONTROLLER redirects and
// connection errors until its deadline and then throws REQUEST_TIMED_OUT: the request may have been
// committed by a controller that lost its leadership or its connection before answering.
import type { KafkaErrorName } from '../common/kafka-errors.ts';
import { KafkaError } from '../common/kafka-errors.ts';

export type AlterPartitionOutcome =
  /** The controller wrote nothing and will not: the proposal is forgotten, the next check proposes afresh. */
  | 'refused'
  /** The partition moved on at the controller (another leader or partition epoch): keep the proposal
   * pending until the committed image shows the move (which clears it). Kafka does not resend these. */
  | 'superseded'
  /** Committed or not, nobody knows: keep it pending and send the same proposal again. */
  | 'unknown';

const REFUSED: ReadonlySet<KafkaErrorName> = new Set([
  'OPERATION_NOT_ATTEMPTED',
  'INELIGIBLE_REPLICA',
  'INVALID_REQUEST',
]);

const SUPERSEDED: ReadonlySet<KafkaErrorName> = new Set([
  'FENCED_LEADER_EPOCH',
  'INVALID_UPDATE_VERSION',
  'NOT_LEADER_OR_FOLLOWER',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
]);

/**
 * Classifies the error an AlterPartition failed with. Anything not known to be a refusal or a move of
 * the partition (timeouts, NOT_CONTROLLER, connection errors, STALE_BROKER_EPOCH, errors of no Kafka
 * name) is an unknown outcome, as Kafka's `case _ => true` (retry).
 */
export function alterPartitionOutcome(error: unknown): AlterPartitionOutcome {
  if (!(error instanceof KafkaError)) return 'unknown';
  if (REFUSED.has(error.errorName)) return 'refused';
  if (SUPERSEDED.has(error.errorName)) return 'superseded';
  return 'unknown';
}
