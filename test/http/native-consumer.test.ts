import { afterEach, describe, expect, it } from 'vitest';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { clientCodec } from '../../src/http/native/codec.ts';
import { consumerCodec } from '../../src/http/native/consumer-codec.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { createTopic, type Harness, newHarness } from './harness.ts';

// The native API's consumer routes over the in-memory node: list-offsets and consumer groups, failures
// as Kafka's error codes in the answer.

let h: Harness;
afterEach(async () => h.close());

async function post(path: string, body: Buffer) {
  const response = await h.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-protobuf' },
    payload: body,
  });
  return { status: response.statusCode, bytes: response.rawPayload, text: response.body };
}

describe('native API consumer routes', () => {
  it('lists the earliest and latest offsets; an unknown topic is its error code', async () => {
    h = newHarness();
    await createTopic(h, 'orders', 1, 1);
    const records = buildRecordBatch({
      records: ['a', 'b', 'c'].map((v) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: 1 })),
    });
    await post(
      '/v1/produce',
      clientCodec.produceRequest({
        acks: -1,
        timeoutMs: 0,
        topics: [{ name: 'orders', partitions: [{ partition: 0, records }] }],
      }),
    );
    const listed = await post(
      '/v1/list-offsets',
      consumerCodec.listOffsetsRequest.encode({
        topics: [
          { name: 'orders', partitions: [0] },
          { name: 'missing', partitions: [0] },
        ],
      }),
    );
    expect(listed.status).toBe(200);
    const answer = consumerCodec.listOffsetsResponse.decodeAnswer(listed.bytes);
    expect(answer.topics[0]!.partitions[0]).toMatchObject({
      errorCode: 0,
      logStartOffset: 0,
      highWatermark: 3,
    });
    expect(answer.topics[1]!.partitions[0]!.errorCode).toBe(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code);
  });

  it('joins, heartbeats, commits with the generation, fetches the commits and leaves', async () => {
    h = newHarness();
    await createTopic(h, 'orders', 2, 1);
    const joined = consumerCodec.membershipResponse.decodeAnswer(
      (
        await post(
          '/v1/groups/join',
          consumerCodec.joinGroupRequest.encode({
            groupId: 'g',
            memberId: '',
            clientId: 'c',
            topics: ['orders'],
            sessionTimeoutMs: 10_000,
          }),
        )
      ).bytes,
    );
    expect(joined.errorCode).toBe(0);
    expect(joined.memberId).not.toBe('');
    expect(joined.assignment).toEqual([{ name: 'orders', partitions: [0, 1] }]);
    const member = { groupId: 'g', memberId: joined.memberId };
    const beat = consumerCodec.membershipResponse.decodeAnswer(
      (await post('/v1/groups/heartbeat', consumerCodec.heartbeatRequest.encode(member))).bytes,
    );
    expect(beat).toMatchObject({ errorCode: 0, generation: joined.generation });

    const commit = (generation: number) =>
      post(
        '/v1/groups/commit',
        consumerCodec.commitOffsetsRequest.encode({
          ...member,
          generation,
          offsets: [{ topic: 'orders', partition: 1, offset: 7, metadata: 'm' }],
        }),
      ).then((r) => consumerCodec.groupResponse.decodeAnswer(r.bytes));
    expect((await commit(joined.generation + 1)).errorCode).toBe(KafkaErrors.ILLEGAL_GENERATION.code);
    expect((await commit(joined.generation)).errorCode).toBe(0);
    const offsets = consumerCodec.fetchOffsetsResponse.decodeAnswer(
      (
        await post(
          '/v1/groups/offsets',
          consumerCodec.fetchOffsetsRequest.encode({ groupId: 'g', topics: [] }),
        )
      ).bytes,
    );
    expect(offsets).toMatchObject({
      errorCode: 0,
      offsets: [{ topic: 'orders', partition: 1, offset: 7, metadata: 'm' }],
    });

    const left = await post('/v1/groups/leave', consumerCodec.leaveGroupRequest.encode(member));
    expect(consumerCodec.groupResponse.decodeAnswer(left.bytes).errorCode).toBe(0);
    const gone = consumerCodec.membershipResponse.decodeAnswer(
      (await post('/v1/groups/heartbeat', consumerCodec.heartbeatRequest.encode(member))).bytes,
    );
    expect(gone.errorCode).toBe(KafkaErrors.UNKNOWN_MEMBER_ID.code);
  });

  it('an empty group id is INVALID_GROUP_ID; a body that does not decode is a 400', async () => {
    h = newHarness();
    const join = await post(
      '/v1/groups/join',
      consumerCodec.joinGroupRequest.encode({
        groupId: '',
        memberId: '',
        clientId: 'c',
        topics: ['orders'],
        sessionTimeoutMs: 0,
      }),
    );
    expect(consumerCodec.membershipResponse.decodeAnswer(join.bytes).errorCode).toBe(
      KafkaErrors.INVALID_GROUP_ID.code,
    );
    const garbage = await post('/v1/groups/commit', Buffer.from([0xff, 0xff, 0xff]));
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.text)).toMatchObject({ error_code: 400 });
  });
});
