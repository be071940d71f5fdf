import { describe, expect, it } from 'vitest';
import {
  MAX_SESSION_TIMEOUT_MS,
  MIN_SESSION_TIMEOUT_MS,
  expectKafkaError,
  harness,
  joinRequest,
  loadedHarness,
} from './helpers.ts';

describe('membership and generations', () => {
  it('a new member gets a generated id, generation 1 and every partition of its topics', async () => {
    const { coordinator } = await loadedHarness();
    const membership = await coordinator.join(joinRequest('g', ['orders'], { clientId: 'rest' }));
    expect(membership.memberId).toBe('rest-0001');
    expect(membership.generation).toBe(1);
    expect(membership.assignment).toEqual([0, 1, 2].map((partition) => ({ topic: 'orders', partition })));
  });

  it('a second member starts a new generation and splits the partitions (range)', async () => {
    const { coordinator } = await loadedHarness();
    const first = await coordinator.join(joinRequest('g', ['orders', 'payments']));
    const second = await coordinator.join(joinRequest('g', ['orders']));
    expect(second.generation).toBe(2);
    expect(second.assignment).toEqual([{ topic: 'orders', partition: 2 }]);
    const renewed = await coordinator.heartbeat({ groupId: 'g', memberId: first.memberId });
    expect(renewed).toEqual({
      memberId: first.memberId,
      generation: 2,
      assignment: [
        { topic: 'orders', partition: 0 },
        { topic: 'orders', partition: 1 },
        { topic: 'payments', partition: 0 },
        { topic: 'payments', partition: 1 },
      ],
    });
  });

  it('a rejoin with the same subscription keeps the generation; a changed one starts a new one', async () => {
    const { coordinator } = await loadedHarness();
    const { memberId } = await coordinator.join(joinRequest('g', ['orders', 'payments']));
    const same = await coordinator.join(joinRequest('g', ['payments', 'orders', 'orders'], { memberId }));
    expect(same.generation).toBe(1);
    const changed = await coordinator.join(joinRequest('g', ['payments'], { memberId }));
    expect(changed.generation).toBe(2);
    expect(changed.assignment).toEqual([
      { topic: 'payments', partition: 0 },
      { topic: 'payments', partition: 1 },
    ]);
  });

  it('a join naming an unknown member is refused with UNKNOWN_MEMBER_ID', async () => {
    const { coordinator } = await loadedHarness();
    await expectKafkaError(
      coordinator.join(joinRequest('g', ['orders'], { memberId: 'ghost' })),
      'UNKNOWN_MEMBER_ID',
    );
    await coordinator.join(joinRequest('g', ['orders']));
    await expectKafkaError(
      coordinator.join(joinRequest('g', ['orders'], { memberId: 'ghost' })),
      'UNKNOWN_MEMBER_ID',
    );
  });

  it('validates the session timeout against group.min/max.session.timeout.ms (inclusive)', async () => {
    const { coordinator } = await loadedHarness();
    for (const sessionTimeoutMs of [MIN_SESSION_TIMEOUT_MS - 1, MAX_SESSION_TIMEOUT_MS + 1]) {
      await expectKafkaError(
        coordinator.join(joinRequest('g', [], { sessionTimeoutMs })),
        'INVALID_SESSION_TIMEOUT',
      );
    }
    expect((await coordinator.describe('g')).state).toBe('Dead');
    await coordinator.join(joinRequest('g', [], { sessionTimeoutMs: MIN_SESSION_TIMEOUT_MS }));
    await coordinator.join(joinRequest('g', [], { sessionTimeoutMs: MAX_SESSION_TIMEOUT_MS }));
  });

  it('refuses an empty group id with INVALID_GROUP_ID everywhere', async () => {
    const { coordinator } = await loadedHarness();
    await expectKafkaError(coordinator.join(joinRequest('', [])), 'INVALID_GROUP_ID');
    await expectKafkaError(coordinator.heartbeat({ groupId: '', memberId: 'm' }), 'INVALID_GROUP_ID');
    await expectKafkaError(coordinator.leave({ groupId: '', memberId: 'm' }), 'INVALID_GROUP_ID');
    await expectKafkaError(
      coordinator.commit({ groupId: '', memberId: null, generation: -1, offsets: [] }),
      'INVALID_GROUP_ID',
    );
    await expectKafkaError(coordinator.fetchOffsets({ groupId: '', partitions: null }), 'INVALID_GROUP_ID');
    await expectKafkaError(coordinator.describe(''), 'INVALID_GROUP_ID');
    await expectKafkaError(coordinator.deleteGroup(''), 'INVALID_GROUP_ID');
  });

  it('heartbeat and leave of an unknown member answer UNKNOWN_MEMBER_ID', async () => {
    const { coordinator } = await loadedHarness();
    await expectKafkaError(coordinator.heartbeat({ groupId: 'g', memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
    await coordinator.join(joinRequest('g', ['orders']));
    await expectKafkaError(coordinator.heartbeat({ groupId: 'g', memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
    await expectKafkaError(coordinator.leave({ groupId: 'g', memberId: 'ghost' }), 'UNKNOWN_MEMBER_ID');
  });

  it('a leave starts a new generation and gives the partitions to the others', async () => {
    const { coordinator } = await loadedHarness();
    const first = await coordinator.join(joinRequest('g', ['orders']));
    const second = await coordinator.join(joinRequest('g', ['orders']));
    await coordinator.leave({ groupId: 'g', memberId: first.memberId });
    const after = await coordinator.heartbeat({ groupId: 'g', memberId: second.memberId });
    expect(after.generation).toBe(3);
    expect(after.assignment).toHaveLength(3);
    await expectKafkaError(
      coordinator.heartbeat({ groupId: 'g', memberId: first.memberId }),
      'UNKNOWN_MEMBER_ID',
    );
  });

  it('a group left by its last member and without offsets is forgotten (Dead)', async () => {
    const { coordinator } = await loadedHarness();
    const { memberId } = await coordinator.join(joinRequest('g', ['orders']));
    await coordinator.leave({ groupId: 'g', memberId });
    expect(await coordinator.describe('g')).toMatchObject({ state: 'Dead', generation: 0, members: [] });
    expect(await coordinator.list()).toEqual([]);
  });

  it('tick() expires members whose session lapsed; heartbeats renew sessions', async () => {
    const h = await loadedHarness();
    const { coordinator } = h;
    const short = await coordinator.join(joinRequest('g', ['orders'], { sessionTimeoutMs: 10_000 }));
    const long = await coordinator.join(joinRequest('g', ['orders'], { sessionTimeoutMs: 30_000 }));
    h.advance(9_999);
    coordinator.tick();
    expect((await coordinator.describe('g')).members).toHaveLength(2);
    await coordinator.heartbeat({ groupId: 'g', memberId: short.memberId });
    h.advance(9_999);
    coordinator.tick();
    expect((await coordinator.describe('g')).generation).toBe(2);
    h.advance(1);
    coordinator.tick();
    const description = await coordinator.describe('g');
    expect(description.generation).toBe(3);
    expect(description.members.map((member) => member.memberId)).toEqual([long.memberId]);
    expect(description.members[0]!.assignment).toHaveLength(3);
    await expectKafkaError(
      coordinator.heartbeat({ groupId: 'g', memberId: short.memberId }),
      'UNKNOWN_MEMBER_ID',
    );
  });

  it('topicsChanged() rebalances groups whose subscribed topics changed size, only those', async () => {
    const h = await loadedHarness();
    const { coordinator } = h;
    const orders = await coordinator.join(joinRequest('orders-group', ['orders']));
    const payments = await coordinator.join(joinRequest('payments-group', ['payments']));
    h.topics.set('orders', 4);
    h.topics.set('unrelated', 9);
    coordinator.topicsChanged();
    const after = await coordinator.heartbeat({ groupId: 'orders-group', memberId: orders.memberId });
    expect(after.generation).toBe(2);
    expect(after.assignment).toHaveLength(4);
    expect(
      (await coordinator.heartbeat({ groupId: 'payments-group', memberId: payments.memberId })).generation,
    ).toBe(1);
    coordinator.topicsChanged();
    expect((await coordinator.describe('orders-group')).generation).toBe(2);
    h.topics.delete('orders');
    coordinator.topicsChanged();
    expect(await coordinator.heartbeat({ groupId: 'orders-group', memberId: orders.memberId })).toEqual({
      memberId: orders.memberId,
      generation: 3,
      assignment: [],
    });
  });

  it('describe() names members, assignments, the range assignor and this broker; list() the states', async () => {
    const h = await loadedHarness();
    const { coordinator } = h;
    const b = await coordinator.join(joinRequest('g', ['payments'], { clientId: 'b' }));
    const a = await coordinator.join(joinRequest('g', ['orders'], { clientId: 'a' }));
    expect(await coordinator.describe('g')).toEqual({
      groupId: 'g',
      state: 'Stable',
      generation: 2,
      coordinator: 1,
      partitionAssignor: 'range',
      members: [
        {
          memberId: b.memberId,
          clientId: 'b',
          host: '/127.0.0.1',
          assignment: [
            { topic: 'payments', partition: 0 },
            { topic: 'payments', partition: 1 },
          ],
        },
        { memberId: a.memberId, clientId: 'a', host: '/127.0.0.1', assignment: a.assignment },
      ].sort((left, right) => (left.memberId < right.memberId ? -1 : 1)),
    });
    await coordinator.commit({
      groupId: 'empty',
      memberId: null,
      generation: -1,
      offsets: [{ topic: 'orders', partition: 0, offset: 1, metadata: '' }],
    });
    expect(await coordinator.list()).toEqual([
      { groupId: 'empty', state: 'Empty' },
      { groupId: 'g', state: 'Stable' },
    ]);
    expect(await coordinator.describe('nope')).toEqual({
      groupId: 'nope',
      state: 'Dead',
      generation: 0,
      coordinator: 1,
      members: [],
      partitionAssignor: '',
    });
  });

  it('answers NOT_COORDINATOR for groups of partitions it does not lead', async () => {
    const { coordinator } = harness({ numPartitions: 50 });
    expect(coordinator.partitionFor('hello')).toBe(22);
    await coordinator.becomeCoordinator(22);
    await coordinator.join(joinRequest('hello', ['orders']));
    expect(coordinator.partitionFor('Hello World')).toBe(26);
    await expectKafkaError(coordinator.join(joinRequest('Hello World', ['orders'])), 'NOT_COORDINATOR');
    await expectKafkaError(coordinator.describe('Hello World'), 'NOT_COORDINATOR');
    await expectKafkaError(
      coordinator.fetchOffsets({ groupId: 'Hello World', partitions: null }),
      'NOT_COORDINATOR',
    );
    expect(await coordinator.list()).toEqual([{ groupId: 'hello', state: 'Stable' }]);
  });
});
