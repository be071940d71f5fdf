// DeleteRecords on a partition's leader (Kafka's Partition.deleteRecordsOnLeader and
// UnifiedLog.maybeIncrementLogStartOffset): where the log start moves. Pure; the leader's shell moves it
// (PartitionLog.deleteRecordsBefore, durably in the checkpoint) and followers follow it from the
// log_start_offset of their fetch answers.
//
// - -1 asks for the high watermark: everything committed goes.
// - Only committed records can be deleted: an offset above the high watermark, or below -1, is
//   OFFSET_OUT_OF_RANGE.
// - The log start never goes back: an offset at or below it changes nothing.
// - A topic whose cleanup.policy does not include delete refuses (POLICY_VIOLATION).
import { assert } from '../../raft/assert.ts';
import { KafkaError } from '../common/kafka-errors.ts';

/** DeleteRecordsRequest.HIGH_WATERMARK: delete every committed record. */
export const DELETE_TO_HIGH_WATERMARK = -1;

export interface DeleteRecordsPosition {
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/**
 * The log start offset after deleting the records before `requested`, for a leader at `position`.
 * Throws OFFSET_OUT_OF_RANGE or POLICY_VIOLATION (operating errors the request answers).
 */
export function deleteRecordsTarget(
  partition: string,
  requested: number,
  position: DeleteRecordsPosition,
  options: { readonly deletePolicy: boolean },
): number {
  const { logStartOffset, highWatermark } = position;
  assert(logStartOffset <= highWatermark, 'the log start is at or below the high watermark', {
    partition,
    ...position,
  });
  if (!options.deletePolicy) {
    throw new KafkaError(
      'POLICY_VIOLATION',
      `Records of partition ${partition} can not be deleted due to the configured policy`,
    );
  }
  const converted = requested === DELETE_TO_HIGH_WATERMARK ? highWatermark : requested;
  if (converted < 0)
    throw new KafkaError(
      'OFFSET_OUT_OF_RANGE',
      `The offset ${converted} for partition ${partition} is not valid`,
    );
  if (converted > highWatermark) {
    throw new KafkaError(
      'OFFSET_OUT_OF_RANGE',
      `Cannot increment the log start offset to ${converted} of partition ${partition} since it is larger than the high watermark ${highWatermark}`,
    );
  }
  const target = Math.max(logStartOffset, converted);
  assert(
    target >= logStartOffset && target <= highWatermark,
    'the new log start is within the committed log',
    {
      partition,
      target,
      ...position,
    },
  );
  return target;
}
