// DeleteRecords through the listener's dispatcher over the in-memory broker (fake-broker.ts): every
// advertised version, and the errors per partition.
import { beforeEach, describe, expect, it } from 'vitest';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { ADVERTISED_VERSIONS } from '../../src/kafka/protocol/api-keys.ts';
import { deleteRecordsApi, fetchApi } from '../../src/kafka/protocol/generated/apis.ts';
import type { DeleteRecordsRequest } from '../../src/kafka/protocol/generated/delete-records-request.ts';
import {
  defaultFetchPartition,
  defaultFetchRequest,
} from '../../src/kafka/protocol/generated/fetch-request.ts';
import type { RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { answer } from './exchange.ts';
import { batchOf, type FakeBroker, servedFakeBroker } from './fake-broker.ts';

let broker: FakeBroker;
let dispatcher: RequestDispatcher;

beforeEach(async () => {
  ({ broker, dispatcher } = await servedFakeBroker());
  // Partition 0 is led by this broker (1): ten records, offsets 0..9.
  await broker.partitions.append('orders', 0, batchOf(...'abcdefghij'), { acks: -1, timeoutMs: 1000 });
});

function request(partitions: Array<[number, bigint]>, topic = 'orders'): DeleteRecordsRequest {
  return {
    timeoutMs: 1000,
    topics: [
      { name: topic, partitions: partitions.map(([partitionIndex, offset]) => ({ partitionIndex, offset })) },
    ],
  };
}

describe('DeleteRecords', () => {
  it('at every advertised version, moves the log start forward and answers it as the low watermark', async () => {
    const versions = ADVERTISED_VERSIONS.get('DeleteRecords')!;
    for (let version = versions.lowest; version <= versions.highest; version++) {
      const offset = BigInt(version + 2);
      const response = await answer(dispatcher, deleteRecordsApi, version, request([[0, offset]]));
      expect(response.topics, `DeleteRecords v${version}`).toEqual([
        { name: 'orders', partitions: [{ partitionIndex: 0, lowWatermark: offset, errorCode: 0 }] },
      ]);
      expect(broker.partitions.offsets('orders', 0).logStartOffset).toBe(version + 2);
    }
  });

  it('-1 is the high watermark; a fetch below the new log start: OFFSET_OUT_OF_RANGE', async () => {
    const response = await answer(dispatcher, deleteRecordsApi, 2, request([[0, -1n]]));
    expect(response.topics[0]!.partitions[0]).toMatchObject({ lowWatermark: 10n, errorCode: 0 });
    const fetched = await answer(dispatcher, fetchApi, 11, {
      ...defaultFetchRequest(),
      topics: [
        {
          topic: 'orders',
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [
            { ...defaultFetchPartition(), partition: 0, fetchOffset: 4n, partitionMaxBytes: 1 << 20 },
          ],
        },
      ],
    });
    expect(fetched.responses[0]!.partitions[0]).toMatchObject({
      errorCode: KafkaErrors.OFFSET_OUT_OF_RANGE.code,
    });
  });

  it('errors per partition: above the high watermark, led elsewhere, unknown topic; low watermark -1', async () => {
    const response = await answer(
      dispatcher,
      deleteRecordsApi,
      2,
      request([
        [0, 11n],
        [1, 0n],
        [0, 5n],
      ]),
    );
    expect(response.topics[0]!.partitions).toEqual([
      { partitionIndex: 0, lowWatermark: -1n, errorCode: KafkaErrors.OFFSET_OUT_OF_RANGE.code },
      { partitionIndex: 1, lowWatermark: -1n, errorCode: KafkaErrors.NOT_LEADER_OR_FOLLOWER.code },
      { partitionIndex: 0, lowWatermark: 5n, errorCode: 0 },
    ]);
    const unknown = await answer(dispatcher, deleteRecordsApi, 2, request([[0, 1n]], 'nope'));
    expect(unknown.topics[0]!.partitions[0]!.errorCode).toBe(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code);
  });
});
