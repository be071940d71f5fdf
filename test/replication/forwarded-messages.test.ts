// The forwarded produce/read messages: round trips, and the "appended" mark that forbids a retry.
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import {
  decodeProduce,
  decodeProduceAnswer,
  decodeRead,
  decodeReadAnswer,
  encodeProduce,
  encodeProduceAnswer,
  encodeRead,
  encodeReadAnswer,
  ForwardCodecError,
} from '../../src/replication/forwarded-messages.ts';
import { UnacknowledgedAppendError } from '../../src/replication/unacknowledged-append.ts';

describe('forwarded produce and read messages', () => {
  it('round-trip requests and answers', () => {
    const produce = {
      topicId: 't-id',
      partition: 2,
      acks: -1,
      timeoutMs: 30_000,
      records: new Uint8Array([1, 2, 3]),
    };
    const decoded = decodeProduce(encodeProduce(produce));
    expect({ ...decoded, records: [...decoded.records] }).toEqual({ ...produce, records: [1, 2, 3] });
    expect(decodeProduceAnswer(encodeProduceAnswer({ baseOffset: 7, lastOffset: 9 }))).toEqual({
      baseOffset: 7,
      lastOffset: 9,
    });
    const read = {
      topicId: 't-id',
      partition: 0,
      offset: 2 ** 40,
      maxBytes: 1024,
      maxWaitMs: 500,
      offsetsOnly: false,
    };
    expect(decodeRead(encodeRead(read))).toEqual(read);
    const answer = { highWatermark: 10, logStartOffset: 3, records: new Uint8Array([9]) };
    const back = decodeReadAnswer(encodeReadAnswer(answer));
    expect(back).not.toBeInstanceOf(KafkaError);
    expect({ ...back, records: [...(back as typeof answer).records] }).toEqual({ ...answer, records: [9] });
  });

  it('carries a ListOffsets by timestamp only when asked, and its answer (-1: none)', () => {
    const base = { topicId: 't-id', partition: 1, offset: 0, maxBytes: 0, maxWaitMs: 0, offsetsOnly: true };
    expect(decodeRead(encodeRead(base))).not.toHaveProperty('timestamp');
    expect(decodeRead(encodeRead({ ...base, timestamp: 0 }))).toMatchObject({ timestamp: 0 });
    expect(decodeRead(encodeRead({ ...base, timestamp: 1_700_000_000_123 }))).toMatchObject({
      timestamp: 1_700_000_000_123,
    });
    const positions = { highWatermark: 10, logStartOffset: 3, records: new Uint8Array(0) };
    expect(decodeReadAnswer(encodeReadAnswer(positions))).not.toHaveProperty('timestampOffset');
    for (const timestampOffset of [-1, 0, 7]) {
      expect(decodeReadAnswer(encodeReadAnswer({ ...positions, timestampOffset }))).toMatchObject({
        timestampOffset,
      });
    }
    expect(() => decodeReadAnswer(encodeReadAnswer({ ...positions, timestampOffset: -2 }))).toThrow(
      ForwardCodecError,
    );
  });

  it('keeps the error name and message, and whether the records were appended before it', () => {
    const before = decodeProduceAnswer(
      encodeProduceAnswer(new KafkaError('NOT_LEADER_OR_FOLLOWER', 'not the leader')),
    );
    expect(before).toBeInstanceOf(KafkaError);
    expect(before).not.toBeInstanceOf(UnacknowledgedAppendError);
    expect(before).toMatchObject({ errorName: 'NOT_LEADER_OR_FOLLOWER', message: 'not the leader' });
    const after = decodeProduceAnswer(
      encodeProduceAnswer(new UnacknowledgedAppendError('NOT_LEADER_OR_FOLLOWER', 'leadership moved')),
    );
    expect(after).toBeInstanceOf(UnacknowledgedAppendError);
    expect(after).toMatchObject({ errorName: 'NOT_LEADER_OR_FOLLOWER', message: 'leadership moved' });
  });

  it('refuses garbage', () => {
    expect(() => decodeRead(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(ForwardCodecError);
  });
});
