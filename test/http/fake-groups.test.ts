import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { FakeNode } from './fake-node.ts';

async function nodeWithTopics(): Promise<{ node: FakeNode; clock: { now: number } }> {
  const node = new FakeNode();
  const clock = { now: 1_000_000 };
  node.groups.now = () => clock.now;
  for (const [name, partitionsCount] of [
    ['a', 5],
    ['b', 2],
  ] as const) {
    await node.createTopic({
      name,
      partitionsCount,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
  }
  return { node, clock };
}

const join = (node: FakeNode, memberId: string | null, topics: string[], clientId = 'c') =>
  node.groups.join({
    groupId: 'g',
    memberId,
    clientId,
    host: '/127.0.0.1',
    topics,
    sessionTimeoutMs: 10_000,
  });

async function rejection(promise: Promise<unknown>): Promise<KafkaError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KafkaError) return error;
    throw error;
  }
  throw new Error('expected a KafkaError');
}

describe('FakeGroups', () => {
  it('assigns ranges per topic and bumps the generation on every membership or subscription change', async () => {
    const { node } = await nodeWithTopics();
    const first = await join(node, null, ['a', 'b']);
    expect(first.generation).toBe(1);
    expect(first.assignment).toHaveLength(7);
    const second = await join(node, null, ['a']);
    expect(second.generation).toBe(2);
    const [low, high] = [first.memberId, second.memberId].sort();
    const lowState = await node.groups.heartbeat({ groupId: 'g', memberId: low! });
    const highState = await node.groups.heartbeat({ groupId: 'g', memberId: high! });
    // a: 5 partitions over 2 members -> 3 + 2; b only subscribed by the first member.
    const aOf = (tps: readonly { topic: string; partition: number }[]) =>
      tps.filter((tp) => tp.topic === 'a').map((tp) => tp.partition);
    expect(aOf(lowState.assignment)).toEqual([0, 1, 2]);
    expect(aOf(highState.assignment)).toEqual([3, 4]);
    const firstNow = await node.groups.heartbeat({ groupId: 'g', memberId: first.memberId });
    expect(firstNow.assignment.filter((tp) => tp.topic === 'b')).toHaveLength(2);
    // Same subscription again: no new generation; another subscription: a new one.
    expect((await join(node, second.memberId, ['a'])).generation).toBe(2);
    expect((await join(node, second.memberId, ['a', 'b'])).generation).toBe(3);
    await node.groups.leave({ groupId: 'g', memberId: second.memberId });
    expect((await node.groups.heartbeat({ groupId: 'g', memberId: first.memberId })).generation).toBe(4);
    // More partitions in the image: a new generation with them.
    await node.createPartitions('b', 3, false);
    const after = await node.groups.heartbeat({ groupId: 'g', memberId: first.memberId });
    expect(after.generation).toBe(5);
    expect(after.assignment).toHaveLength(8);
  });

  it('checks members and generations of commits, and keeps committed offsets', async () => {
    const { node } = await nodeWithTopics();
    const member = await join(node, null, ['a']);
    const offsets = [{ topic: 'a', partition: 1, offset: 7, metadata: 'm' }];
    expect(
      (await rejection(node.groups.commit({ groupId: 'g', memberId: 'nobody', generation: 1, offsets })))
        .errorName,
    ).toBe('UNKNOWN_MEMBER_ID');
    expect(
      (
        await rejection(
          node.groups.commit({ groupId: 'g', memberId: member.memberId, generation: 9, offsets }),
        )
      ).errorName,
    ).toBe('ILLEGAL_GENERATION');
    expect(
      (await rejection(node.groups.commit({ groupId: 'g', memberId: null, generation: -1, offsets })))
        .errorName,
    ).toBe('UNKNOWN_MEMBER_ID');
    await node.groups.commit({
      groupId: 'g',
      memberId: member.memberId,
      generation: member.generation,
      offsets,
    });
    expect(await node.groups.fetchOffsets({ groupId: 'g', partitions: null })).toEqual(offsets);
    expect(
      await node.groups.fetchOffsets({ groupId: 'g', partitions: [{ topic: 'a', partition: 0 }] }),
    ).toEqual([{ topic: 'a', partition: 0, offset: -1, metadata: '' }]);
    expect(
      (
        await rejection(
          node.groups.commit({
            groupId: 'g',
            memberId: member.memberId,
            generation: member.generation,
            offsets: [{ topic: 'nope', partition: 0, offset: 1, metadata: '' }],
          }),
        )
      ).errorName,
    ).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    // A group without members takes commits without a member (and is created by them).
    await node.groups.commit({ groupId: 'simple', memberId: null, generation: -1, offsets });
    expect((await node.groups.describe('simple')).state).toBe('Empty');
  });

  it('expires members on its clock, lists, describes and deletes groups', async () => {
    const { node, clock } = await nodeWithTopics();
    const member = await join(node, null, ['a']);
    expect(await node.groups.list()).toEqual([{ groupId: 'g', state: 'Stable' }]);
    expect((await rejection(node.groups.deleteGroup('g'))).errorName).toBe('NON_EMPTY_GROUP');
    clock.now += 10_001;
    expect(
      (await rejection(node.groups.heartbeat({ groupId: 'g', memberId: member.memberId }))).errorName,
    ).toBe('UNKNOWN_MEMBER_ID');
    const described = await node.groups.describe('g');
    expect(described).toMatchObject({ state: 'Empty', generation: 2, members: [], coordinator: 1 });
    expect((await node.groups.describe('none')).state).toBe('Dead');
    await node.groups.deleteGroup('g');
    expect((await rejection(node.groups.deleteGroup('g'))).errorName).toBe('GROUP_ID_NOT_FOUND');
    expect(await node.groups.list()).toEqual([]);
  });

  it('refuses bad session timeouts and injects failures', async () => {
    const { node } = await nodeWithTopics();
    expect(
      (
        await rejection(
          node.groups.join({
            groupId: 'g',
            memberId: null,
            clientId: 'c',
            host: 'h',
            topics: [],
            sessionTimeoutMs: 10,
          }),
        )
      ).errorName,
    ).toBe('INVALID_SESSION_TIMEOUT');
    node.groups.failNext('list', new KafkaError('COORDINATOR_NOT_AVAILABLE', 'down'));
    expect((await rejection(node.groups.list())).errorName).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(await node.groups.list()).toEqual([]);
    node.groups.failure = new KafkaError('REQUEST_TIMED_OUT', 'slow');
    expect((await rejection(node.groups.describe('g'))).errorName).toBe('REQUEST_TIMED_OUT');
  });
});
