// A produce that failed after its records were appended: they may survive (a follower copied them and
// leads now) or be truncated away. Nothing may send such a produce again on the client's behalf, or the
// records could be written twice; the client gets the Kafka error and decides (at-least-once).
import { KafkaError, type KafkaErrorName } from '../common/kafka-errors.ts';

export class UnacknowledgedAppendError extends KafkaError {
  constructor(errorName: KafkaErrorName, message: string, options?: { cause?: unknown }) {
    super(errorName, message, options);
  }
}

/** `error` as an UnacknowledgedAppendError (a KafkaError keeps its name and message). */
export function unacknowledged(
  error: unknown,
  partition: string,
  firstOffset: number,
): UnacknowledgedAppendError {
  if (error instanceof UnacknowledgedAppendError) return error;
  const name: KafkaErrorName = error instanceof KafkaError ? error.errorName : 'UNKNOWN_SERVER_ERROR';
  const reason = error instanceof Error ? error.message : String(error);
  return new UnacknowledgedAppendError(
    name,
    `${reason} The records were written to ${partition} at offset ${firstOffset} but not acknowledged: they may or may not be kept.`,
    { cause: error },
  );
}
