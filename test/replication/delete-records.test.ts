// DeleteRecords' decision on the leader (src/replication/delete-records.ts) against a naive model, on
// random positions and requests: the log start only moves forward, never past the high watermark, and
// -1 means the high watermark.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { DELETE_TO_HIGH_WATERMARK, deleteRecordsTarget } from '../../src/replication/delete-records.ts';

/** What Kafka's Partition.deleteRecordsOnLeader does, written the obvious way. */
function model(requested: number, logStart: number, highWatermark: number): number | 'OFFSET_OUT_OF_RANGE' {
  const wanted = requested === -1 ? highWatermark : requested;
  if (wanted < 0 || wanted > highWatermark) return 'OFFSET_OUT_OF_RANGE';
  return wanted > logStart ? wanted : logStart;
}

function outcome(requested: number, logStartOffset: number, highWatermark: number): number | string {
  try {
    return deleteRecordsTarget('t-0', requested, { logStartOffset, highWatermark }, { deletePolicy: true });
  } catch (error) {
    if (isKafkaError(error, 'OFFSET_OUT_OF_RANGE')) return 'OFFSET_OUT_OF_RANGE';
    throw error;
  }
}

const position = fc
  .tuple(fc.nat({ max: 1_000 }), fc.nat({ max: 1_000 }))
  .map(([logStartOffset, committed]) => ({ logStartOffset, highWatermark: logStartOffset + committed }));

describe('deleteRecordsTarget', () => {
  it('agrees with the model: within [log start, high watermark], monotone, -1 = high watermark', () => {
    fc.assert(
      fc.property(
        position,
        fc.integer({ min: -5, max: 2_100 }),
        ({ logStartOffset, highWatermark }, requested) => {
          const got = outcome(requested, logStartOffset, highWatermark);
          expect(got).toEqual(model(requested, logStartOffset, highWatermark));
          if (typeof got === 'number') {
            expect(got).toBeGreaterThanOrEqual(logStartOffset);
            expect(got).toBeLessThanOrEqual(highWatermark);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('edges: -1, the high watermark itself, one past it, below the log start', () => {
    expect(outcome(DELETE_TO_HIGH_WATERMARK, 3, 10)).toBe(10);
    expect(outcome(10, 3, 10)).toBe(10);
    expect(outcome(11, 3, 10)).toBe('OFFSET_OUT_OF_RANGE');
    expect(outcome(1, 3, 10)).toBe(3);
    expect(outcome(-2, 3, 10)).toBe('OFFSET_OUT_OF_RANGE');
  });

  it('a topic whose cleanup.policy lacks delete refuses (POLICY_VIOLATION); a position with the log start past the high watermark is a bug', () => {
    let refused: unknown = null;
    try {
      deleteRecordsTarget('t-0', 5, { logStartOffset: 0, highWatermark: 10 }, { deletePolicy: false });
    } catch (error) {
      refused = error;
    }
    expect(isKafkaError(refused, 'POLICY_VIOLATION')).toBe(true);
    expect(() =>
      deleteRecordsTarget('t-0', 5, { logStartOffset: 11, highWatermark: 10 }, { deletePolicy: true }),
    ).toThrow(/invariant violated/);
  });
});
