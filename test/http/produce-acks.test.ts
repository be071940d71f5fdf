import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type { ProduceRequest, ProduceResult } from '../../src/http/ports.ts';
import { acksParameter } from '../../src/http/records/acks.ts';
import { PartitionSendOrder } from '../../src/http/records/send-order.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import type { Harness } from './harness.ts';
import { BASE, createTopic, newHarness } from './harness.ts';

const BINARY = 'application/vnd.kafka.binary.v2+json';
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

let h: Harness;
beforeEach(async () => {
  h = newHarness();
  await createTopic(h, 'orders', 1, 2);
});
afterEach(async () => {
  await h.close();
});

function v3(query: string, value: string) {
  return h.send('POST', `${BASE}/topics/orders/records${query}`, {
    partition_id: 0,
    value: { type: 'STRING', data: value },
  });
}

function v2(query: string, values: string[]) {
  return h.request({
    method: 'POST',
    url: `/topics/orders${query}`,
    headers: { 'content-type': BINARY },
    payload: JSON.stringify({ records: values.map((value) => ({ value: b64(value), partition: 0 })) }),
  });
}

async function storedValues(): Promise<string[]> {
  const read = await h.node.data.read({
    topicName: 'orders',
    partitionId: 0,
    offset: 0,
    maxBytes: 1 << 30,
    maxWaitMs: 0,
  });
  return [...batchesIn(read.records)].flatMap(({ header }) =>
    decodeRecords(header).map((record) => record.value?.toString('utf8') ?? ''),
  );
}

const acksSent = (): number[] => h.node.data.produces.map((request) => request.acks);

describe('acks of a REST produce', () => {
  it('parses ?acks= as Kafka names it, and refuses anything else naming the valid values', () => {
    expect(acksParameter(undefined)).toBeNull();
    expect(acksParameter('all')).toBe(-1);
    expect(acksParameter('-1')).toBe(-1);
    expect(acksParameter('1')).toBe(1);
    expect(acksParameter('0')).toBe(0);
    for (const bad of ['2', 'ALL', '', ' 1', 'none']) {
      expect(() => acksParameter(bad)).toThrow(
        `Invalid value ${bad} for query parameter acks: must be one of all, -1, 0, 1.`,
      );
    }
    expect(() => acksParameter(['1', '0'])).toThrow(KafkaError);
  });

  it('uses all by default, the topic config when set, and ?acks= over both (v3 and v2)', async () => {
    expect((await v3('', 'a')).status).toBe(200);
    expect((await v2('', ['b'])).status).toBe(200);
    expect(acksSent()).toEqual([-1, -1]);

    const alter = await h.send('PUT', `${BASE}/topics/orders/configs/acks`, { value: '1' });
    expect(alter.status, alter.text).toBe(204);
    const described = await h.get(`${BASE}/topics/orders/configs/acks`);
    expect(described.json).toMatchObject({ name: 'acks', value: '1', source: 'DYNAMIC_TOPIC_CONFIG' });
    expect((await v3('', 'c')).json.offset).toBe(2);
    expect((await v2('', ['d'])).json.offsets).toEqual([
      { partition: 0, offset: 3, error_code: null, error: null },
    ]);
    expect(acksSent().slice(2)).toEqual([1, 1]);

    expect((await v3('?acks=all', 'e')).status).toBe(200);
    expect((await v2('?acks=-1', ['f'])).status).toBe(200);
    expect(
      (
        await h.send('POST', `${BASE}/topics/orders/records:batch?acks=all`, {
          entries: [{ id: 'x', partition_id: 0, value: { type: 'STRING', data: 'g' } }],
        })
      ).status,
    ).toBe(207);
    expect(acksSent().slice(4)).toEqual([-1, -1, -1]);
    expect(await storedValues()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('answers 400 / 40002 for a bad ?acks= and produces nothing', async () => {
    for (const reply of [await v3('?acks=2', 'a'), await v2('?acks=everything', ['a'])]) {
      expect(reply.status).toBe(400);
      expect(reply.json.error_code).toBe(40002);
      expect(reply.json.message).toMatch(/for query parameter acks: must be one of all, -1, 0, 1\.$/);
    }
    expect(h.node.data.produces).toHaveLength(0);
  });

  it('acks=0 answers offset -1 without waiting for the leader, and later produces keep their order', async () => {
    const fake = h.node.data;
    const original = fake.produce.bind(fake);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    fake.produce = async (request: ProduceRequest): Promise<ProduceResult> => {
      if (first) {
        first = false;
        await gate;
      }
      return original(request);
    };
    const zero = await v3('?acks=0', 'a');
    expect(zero.status).toBe(200);
    expect(zero.json).toMatchObject({ partition_id: 0, offset: -1 });
    const zeroV2 = await v2('?acks=0', ['b']);
    expect(zeroV2.json.offsets).toEqual([{ partition: 0, offset: -1, error_code: null, error: null }]);
    // An acks=all produce sent after them waits for them: it cannot overtake.
    const later = v3('', 'c');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await storedValues()).toEqual([]);
    release();
    expect((await later).json).toMatchObject({ offset: 2 });
    expect(await storedValues()).toEqual(['a', 'b', 'c']);
    expect(acksSent()).toEqual([0, 0, -1]);
  });

  it('acks=0 reports no failure to the client (it is logged)', async () => {
    h.node.data.failure = new KafkaError('NOT_ENOUGH_REPLICAS', 'too few');
    const reply = await v3('?acks=0', 'a');
    expect(reply.json).toMatchObject({ error_code: 200, offset: -1 });
    await expect.poll(() => h.logs.some((line) => line.msg.includes('acks=0 produce failed'))).toBe(true);
  });

  it('an idempotent record gets acks=all whatever the topic says, and refuses an explicit weaker ?acks=', async () => {
    expect((await h.send('PUT', `${BASE}/topics/orders/configs/acks`, { value: '0' })).status).toBe(204);
    const ids = await h.send('POST', `${BASE}/producer-ids`);
    const record = {
      partition_id: 0,
      producer_id: ids.json.producer_id,
      producer_epoch: 0,
      sequence: 0,
      value: { type: 'STRING', data: 'a' },
    };
    const produced = await h.send('POST', `${BASE}/topics/orders/records`, record);
    expect(produced.json).toMatchObject({ error_code: 200, offset: 0 });
    expect(acksSent()).toEqual([-1]);
    const refused = await h.send('POST', `${BASE}/topics/orders/records?acks=1`, { ...record, sequence: 1 });
    expect(refused.status).toBe(400);
    expect(refused.json.message).toBe(
      "An idempotent record (with 'producer_id') needs acks=all, not acks=1.",
    );
    expect(acksSent()).toEqual([-1]);
  });
});

describe('PartitionSendOrder', () => {
  it('chains a partition behind its unsettled sends, frees them when settled, and bounds the bytes', async () => {
    const order = new PartitionSendOrder(10);
    let settle: () => void = () => undefined;
    const send = new Promise<void>((resolve) => {
      settle = resolve;
    });
    expect(order.track('t', 0, send, 6)).toBe(true);
    // A send starts after the earlier ones settled (as produceRecords chains them); this one fails.
    const failing = order.settled('t', 0).then(() => Promise.reject(new Error('lost')));
    expect(order.track('t', 0, failing, 6)).toBe(false);
    let after = false;
    void order.settled('t', 0).then(() => {
      after = true;
    });
    await expect(order.settled('t', 1)).resolves.toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(after).toBe(false);
    settle();
    await order.settled('t', 0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(after).toBe(true);
    expect(order.pendingBytes).toBe(0);
  });
});
