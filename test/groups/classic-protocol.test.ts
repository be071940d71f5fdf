// The classic group protocol in Membership (src/groups/membership.ts): JoinGroup / SyncGroup /
// Heartbeat / LeaveGroup as Kafka's GroupCoordinator runs them, and members the coordinator manages
// (REST consumers) in the same group.
import { describe, expect, it } from 'vitest';
import type { KafkaError } from '../../src/common/kafka-errors.ts';
import type { TopicPartition } from '../../src/groups/api.ts';
import {
  type ClassicJoinRequest,
  type JoinAnswer,
  Membership,
  type MembershipContext,
  type SyncAnswer,
} from '../../src/groups/membership.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';

const TOPICS: Record<string, number> = { orders: 4, payments: 2 };

class Harness {
  nowMs = 1_000;
  private ids = 0;
  readonly group = new Membership('g', consumerProtocol);

  context(): MembershipContext {
    return {
      nowMs: this.nowMs,
      newMemberId: () => `m${++this.ids}`,
      partitionsOf: (topic) => TOPICS[topic] ?? null,
    };
  }

  /** A JoinGroup; the answer, once there is one (undefined while it waits). */
  join(memberId: string, options: Partial<ClassicJoinRequest> & { topics?: string[] } = {}) {
    const answers: JoinAnswer[] = [];
    const metadata = consumerProtocol.encodeSubscription(options.topics ?? ['orders']);
    this.group.joinClassic(
      {
        memberId,
        groupInstanceId: null,
        clientId: 'client',
        host: '/127.0.0.1',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 30_000,
        protocolType: 'consumer',
        protocols: [
          { name: 'range', metadata },
          { name: 'roundrobin', metadata },
        ],
        requireKnownMemberId: true,
        ...options,
      },
      this.context(),
      (answer) => answers.push(answer),
    );
    return {
      get answer(): JoinAnswer | undefined {
        expect(answers.length).toBeLessThanOrEqual(1);
        return answers[0];
      },
    };
  }

  /** MEMBER_ID_REQUIRED, then the join with the id given: the member's id and its pending join. */
  newMember(options: Partial<ClassicJoinRequest> & { topics?: string[] } = {}) {
    const first = this.join('', options).answer;
    expect(first?.kind).toBe('failed');
    const memberId = first!.memberId;
    expect(errorOf(first!)).toBe('MEMBER_ID_REQUIRED');
    return { memberId, join: this.join(memberId, options) };
  }

  sync(memberId: string, generation: number, assignments: Record<string, TopicPartition[]> = {}) {
    const answers: SyncAnswer[] = [];
    this.group.sync(
      {
        memberId,
        generation,
        protocolType: 'consumer',
        protocolName: null,
        assignments: new Map(
          Object.entries(assignments).map(([id, partitions]) => [
            id,
            consumerProtocol.encodeAssignment(partitions),
          ]),
        ),
      },
      this.nowMs,
      (answer) => answers.push(answer),
    );
    return {
      get answer(): SyncAnswer | undefined {
        return answers[0];
      },
    };
  }
}

function errorOf(answer: JoinAnswer | SyncAnswer): string | undefined {
  return answer.kind === 'failed' ? (answer.error as KafkaError).errorName : undefined;
}

function assigned(answer: SyncAnswer | undefined): TopicPartition[] | null {
  if (answer?.kind !== 'synced') return null;
  return consumerProtocol.decodeAssignment(answer.assignment);
}

function thrown(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as KafkaError).errorName;
  }
}

const P = (partition: number, topic = 'orders'): TopicPartition => ({ topic, partition });

describe('classic group protocol', () => {
  it('a first member: MEMBER_ID_REQUIRED, then it joins as leader of generation 1 and assigns', () => {
    const h = new Harness();
    const { memberId, join } = h.newMember();
    const answer = join.answer;
    expect(answer).toMatchObject({ kind: 'joined', generation: 1, leader: memberId, protocolName: 'range' });
    expect(answer?.kind === 'joined' && answer.members.map((m) => m.memberId)).toEqual([memberId]);
    expect(h.group.state).toBe('CompletingRebalance');
    const sync = h.sync(memberId, 1, { [memberId]: [P(0), P(1), P(2), P(3)] });
    expect(assigned(sync.answer)).toEqual([P(0), P(1), P(2), P(3)]);
    expect(h.group.state).toBe('Stable');
  });

  it('a second member starts a rebalance; the first learns it by heartbeat and both get generation 2', () => {
    const h = new Harness();
    const a = h.newMember();
    h.sync(a.memberId, 1, { [a.memberId]: [P(0), P(1), P(2), P(3)] });
    const b = h.newMember();
    expect(b.join.answer).toBeUndefined(); // waits for a to rejoin
    expect(h.group.state).toBe('PreparingRebalance');
    expect(thrown(() => h.group.heartbeatClassic(a.memberId, 1, h.nowMs))).toBe('REBALANCE_IN_PROGRESS');
    // A commit of the old generation is still accepted while members rejoin (eager revocation commits).
    expect(thrown(() => h.group.validateCommit(a.memberId, 1))).toBeUndefined();
    const aAgain = h.join(a.memberId);
    expect(aAgain.answer).toMatchObject({ kind: 'joined', generation: 2, leader: a.memberId });
    expect(b.join.answer).toMatchObject({ kind: 'joined', generation: 2, leader: a.memberId, members: [] });
    // Until the leader assigns, followers wait and commits are refused.
    const bSync = h.sync(b.memberId, 2);
    expect(bSync.answer).toBeUndefined();
    expect(thrown(() => h.group.validateCommit(b.memberId, 2))).toBe('REBALANCE_IN_PROGRESS');
    const aSync = h.sync(a.memberId, 2, { [a.memberId]: [P(0), P(1)], [b.memberId]: [P(2), P(3)] });
    expect(assigned(aSync.answer)).toEqual([P(0), P(1)]);
    expect(assigned(bSync.answer)).toEqual([P(2), P(3)]);
    expect(thrown(() => h.group.heartbeatClassic(b.memberId, 2, h.nowMs))).toBeUndefined();
    expect(thrown(() => h.group.validateCommit(b.memberId, 1))).toBe('ILLEGAL_GENERATION');
  });

  it('a member that does not rejoin within the rebalance timeout is removed; the others go on', () => {
    const h = new Harness();
    const a = h.newMember();
    h.sync(a.memberId, 1, { [a.memberId]: [P(0)] });
    const b = h.newMember({ rebalanceTimeoutMs: 5_000 });
    expect(b.join.answer).toBeUndefined();
    // a keeps heartbeating (each answered REBALANCE_IN_PROGRESS) but never rejoins; its rebalance
    // timeout (30 s, the largest) is the group's deadline.
    for (let elapsed = 0; elapsed < 29_999; elapsed += 5_000) {
      expect(thrown(() => h.group.heartbeatClassic(a.memberId, 1, h.nowMs))).toBe('REBALANCE_IN_PROGRESS');
      h.nowMs += Math.min(5_000, 29_999 - elapsed);
      expect(h.group.expire(h.context())).toEqual([]);
    }
    h.nowMs += 1;
    expect(h.group.expire(h.context())).toEqual([a.memberId]);
    expect(b.join.answer).toMatchObject({ kind: 'joined', generation: 2, leader: b.memberId });
    expect(thrown(() => h.group.heartbeatClassic(a.memberId, 2, h.nowMs))).toBe('UNKNOWN_MEMBER_ID');
  });

  it('a member whose session lapses is expired; leaving starts a rebalance at once; the last one empties the group', () => {
    const h = new Harness();
    const a = h.newMember();
    h.sync(a.memberId, 1, { [a.memberId]: [P(0)] });
    h.nowMs += 9_999;
    expect(h.group.expire(h.context())).toEqual([]);
    h.nowMs += 1;
    expect(h.group.expire(h.context())).toEqual([a.memberId]);
    expect(h.group.state).toBe('Empty');
    expect(h.group.generation).toBe(2);
    const b = h.newMember();
    h.sync(b.memberId, 3, { [b.memberId]: [P(0)] });
    h.group.leave(b.memberId, h.context());
    expect(h.group.state).toBe('Empty');
    expect(h.group.generation).toBe(4);
    expect(h.group.isEmpty).toBe(true);
  });

  it('the protocol is one every member supports, by vote; a member with none in common is refused', () => {
    const h = new Harness();
    const metadata = consumerProtocol.encodeSubscription(['orders']);
    const a = h.newMember({
      protocols: [
        { name: 'roundrobin', metadata },
        { name: 'range', metadata },
      ],
    });
    expect(a.join.answer).toMatchObject({ protocolName: 'roundrobin' });
    const refused = h.join('', { protocols: [{ name: 'sticky', metadata }] }).answer;
    expect(errorOf(refused!)).toBe('INCONSISTENT_GROUP_PROTOCOL');
    const other = h.join('', { protocolType: 'connect' }).answer;
    expect(errorOf(other!)).toBe('INCONSISTENT_GROUP_PROTOCOL');
  });

  it('a rejoin with nothing changed during CompletingRebalance or Stable gets the current generation again', () => {
    const h = new Harness();
    const a = h.newMember();
    const b = h.newMember();
    h.join(a.memberId);
    expect(b.join.answer).toMatchObject({ generation: 2 });
    const again = h.join(b.memberId).answer; // b missed its answer and asks again
    expect(again).toMatchObject({ kind: 'joined', generation: 2, memberId: b.memberId });
    expect(h.group.state).toBe('CompletingRebalance');
  });

  it('sync errors: unknown member, wrong generation, during PreparingRebalance', () => {
    const h = new Harness();
    const a = h.newMember();
    expect(errorOf(h.sync('nobody', 1).answer!)).toBe('UNKNOWN_MEMBER_ID');
    expect(errorOf(h.sync(a.memberId, 7).answer!)).toBe('ILLEGAL_GENERATION');
    h.sync(a.memberId, 1, {});
    h.newMember();
    expect(errorOf(h.sync(a.memberId, 1).answer!)).toBe('REBALANCE_IN_PROGRESS');
  });

  it('a static member rejoining under a new member id fences the old one', () => {
    const h = new Harness();
    const first = h.join('', { groupInstanceId: 'instance-1' }).answer;
    expect(first).toMatchObject({ kind: 'joined', generation: 1 });
    const oldId = first!.memberId;
    const second = h.join('', { groupInstanceId: 'instance-1' }).answer;
    expect(second).toMatchObject({ kind: 'joined', generation: 2 });
    expect(second!.memberId).not.toBe(oldId);
    expect(h.group.has(oldId)).toBe(false);
    expect(h.group.memberOfInstance('instance-1')).toBe(second!.memberId);
  });

  it('abandon answers every waiting request (the coordinator moved)', () => {
    const h = new Harness();
    const a = h.newMember();
    h.sync(a.memberId, 1, { [a.memberId]: [] });
    const b = h.newMember();
    const error = { errorName: 'NOT_COORDINATOR' } as KafkaError;
    h.group.abandon(error);
    expect(b.join.answer).toMatchObject({ kind: 'failed', error });
  });
});

describe('managed (REST) and classic members in one group', () => {
  it('a managed-only group is assigned by the coordinator at once (range), generation by generation', () => {
    const h = new Harness();
    const one = h.group.joinManaged(
      { memberId: null, clientId: 'rest', host: 'h', topics: ['orders'], sessionTimeoutMs: 10_000 },
      h.context(),
    );
    expect(one).toEqual({ memberId: 'm1', generation: 1, assignment: [P(0), P(1), P(2), P(3)] });
    expect(h.group.state).toBe('Stable');
    expect(h.group.protocol).toBe('range');
  });

  it('a classic member joining a managed group leads; the managed member owns nothing until the leader assigned', () => {
    const h = new Harness();
    const rest = h.group.joinManaged(
      { memberId: null, clientId: 'rest', host: 'h', topics: ['orders'], sessionTimeoutMs: 10_000 },
      h.context(),
    );
    const kafka = h.newMember();
    const answer = kafka.join.answer;
    expect(answer).toMatchObject({ kind: 'joined', generation: 2, leader: kafka.memberId });
    // The leader sees the managed member's subscription as a ConsumerProtocolSubscription.
    const members = answer?.kind === 'joined' ? answer.members : [];
    const restEntry = members.find((m) => m.memberId === rest.memberId)!;
    expect(consumerProtocol.decodeSubscription(restEntry.metadata)).toEqual(['orders']);
    expect(h.group.heartbeatManaged(rest.memberId, h.nowMs).assignment).toEqual([]);
    h.sync(kafka.memberId, 2, { [kafka.memberId]: [P(0), P(1)], [rest.memberId]: [P(2), P(3)] });
    expect(h.group.heartbeatManaged(rest.memberId, h.nowMs)).toEqual({
      memberId: rest.memberId,
      generation: 2,
      assignment: [P(2), P(3)],
    });
    // The managed member leaves: the classic one rejoins and gets everything from its own assignor.
    h.group.leave(rest.memberId, h.context());
    expect(thrown(() => h.group.heartbeatClassic(kafka.memberId, 2, h.nowMs))).toBe('REBALANCE_IN_PROGRESS');
    expect(h.join(kafka.memberId).answer).toMatchObject({ generation: 3, leader: kafka.memberId });
  });

  it('the last classic member leaving hands assignment back to the coordinator', () => {
    const h = new Harness();
    const rest = h.group.joinManaged(
      { memberId: null, clientId: 'rest', host: 'h', topics: ['payments'], sessionTimeoutMs: 10_000 },
      h.context(),
    );
    const kafka = h.newMember({ topics: ['payments'] });
    h.sync(kafka.memberId, 2, {
      [kafka.memberId]: [P(0, 'payments'), P(1, 'payments')],
      [rest.memberId]: [],
    });
    h.group.leave(kafka.memberId, h.context());
    expect(h.group.state).toBe('Stable');
    expect(h.group.heartbeatManaged(rest.memberId, h.nowMs)).toEqual({
      memberId: rest.memberId,
      generation: 3,
      assignment: [P(0, 'payments'), P(1, 'payments')],
    });
  });
});
