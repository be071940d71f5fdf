// Vectors from Kafka's RangeAssignorTest (clients/src/test/java/.../consumer/RangeAssignorTest.java).
import { describe, expect, it } from 'vitest';
import { rangeAssign } from '../../src/groups/assignor.ts';
import type { TopicPartition } from '../../src/http/ports.ts';

const tp = (topic: string, ...partitions: number[]): TopicPartition[] =>
  partitions.map((partition) => ({ topic, partition }));

function assign(
  partitions: Record<string, number>,
  subscriptions: Record<string, string[]>,
): Record<string, TopicPartition[]> {
  const result = rangeAssign(
    Object.entries(subscriptions).map(([memberId, topics]) => ({ memberId, topics })),
    (topic) => partitions[topic] ?? null,
  );
  return Object.fromEntries(result);
}

describe('range assignor (Kafka RangeAssignorTest)', () => {
  it('testOneConsumerNoTopic', () => {
    expect(assign({}, { consumer1: [] })).toEqual({ consumer1: [] });
  });

  it('testOneConsumerNonexistentTopic', () => {
    expect(assign({}, { consumer1: ['topic'] })).toEqual({ consumer1: [] });
  });

  it('testOneConsumerOneTopic', () => {
    expect(assign({ topic: 3 }, { consumer1: ['topic'] })).toEqual({ consumer1: tp('topic', 0, 1, 2) });
  });

  it('testOnlyAssignsPartitionsFromSubscribedTopics', () => {
    expect(assign({ topic: 3, otherTopic: 3 }, { consumer1: ['topic'] })).toEqual({
      consumer1: tp('topic', 0, 1, 2),
    });
  });

  it('testOneConsumerMultipleTopics', () => {
    expect(assign({ topic1: 1, topic2: 2 }, { consumer1: ['topic1', 'topic2'] })).toEqual({
      consumer1: [...tp('topic1', 0), ...tp('topic2', 0, 1)],
    });
  });

  it('testTwoConsumersOneTopicOnePartition', () => {
    expect(assign({ topic: 1 }, { consumer1: ['topic'], consumer2: ['topic'] })).toEqual({
      consumer1: tp('topic', 0),
      consumer2: [],
    });
  });

  it('testTwoConsumersOneTopicTwoPartitions', () => {
    expect(assign({ topic: 2 }, { consumer1: ['topic'], consumer2: ['topic'] })).toEqual({
      consumer1: tp('topic', 0),
      consumer2: tp('topic', 1),
    });
  });

  it('testMultipleConsumersMixedTopics', () => {
    expect(
      assign(
        { topic1: 3, topic2: 2 },
        { consumer1: ['topic1'], consumer2: ['topic1', 'topic2'], consumer3: ['topic1'] },
      ),
    ).toEqual({
      consumer1: tp('topic1', 0),
      consumer2: [...tp('topic1', 1), ...tp('topic2', 0, 1)],
      consumer3: tp('topic1', 2),
    });
  });

  it('testTwoConsumersTwoTopicsSixPartitions', () => {
    expect(
      assign({ topic1: 3, topic2: 3 }, { consumer1: ['topic1', 'topic2'], consumer2: ['topic1', 'topic2'] }),
    ).toEqual({
      consumer1: [...tp('topic1', 0, 1), ...tp('topic2', 0, 1)],
      consumer2: [...tp('topic1', 2), ...tp('topic2', 2)],
    });
  });

  it('sorts members by id (Java String order), not by arrival', () => {
    expect(assign({ t: 7 }, { c: ['t'], a: ['t'], b: ['t'] })).toEqual({
      a: tp('t', 0, 1, 2),
      b: tp('t', 3, 4),
      c: tp('t', 5, 6),
    });
  });

  it('more members than partitions: the first ones get one each', () => {
    expect(assign({ t: 2 }, { m1: ['t'], m2: ['t'], m3: ['t'] })).toEqual({
      m1: tp('t', 0),
      m2: tp('t', 1),
      m3: [],
    });
  });
});
