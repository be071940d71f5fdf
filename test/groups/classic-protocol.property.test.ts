// Random schedules of classic (Kafka protocol) and managed (REST) members against one group's
// Membership: joins, syncs, heartbeats, leaves, silence and session expiry. Invariants after every step:
// every request is answered at most once; generations only grow; answers of one generation agree on
// leader and protocol; in Stable no partition has two owners and nothing is owned from an older
// generation; a managed member owns nothing while the group rebalances. Liveness: once every client
// falls silent, time empties the group and every waiting request has been answered.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KafkaError } from '../../src/common/kafka-errors.ts';
import type { TopicPartition } from '../../src/groups/api.ts';
import { type JoinAnswer, Membership, type MembershipContext, type SyncAnswer } from '../../src/groups/membership.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';

const PARTITIONS = 6;
const SESSION_MS = 10_000;
const REBALANCE_MS = 20_000;

type Op =
  | { kind: 'join'; client: number }
  | { kind: 'sync'; client: number }
  | { kind: 'heartbeat'; client: number }
  | { kind: 'leave'; client: number }
  | { kind: 'managed-join'; client: number }
  | { kind: 'managed-heartbeat'; client: number }
  | { kind: 'managed-leave'; client: number }
  | { kind: 'wait'; ms: number };

const CLASSIC = 4;
const MANAGED = 2;

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('join' as const), client: fc.nat(CLASSIC - 1) }),
  fc.record({ kind: fc.constant('sync' as const), client: fc.nat(CLASSIC - 1) }),
  fc.record({ kind: fc.constant('heartbeat' as const), client: fc.nat(CLASSIC - 1) }),
  fc.record({ kind: fc.constant('leave' as const), client: fc.nat(CLASSIC - 1) }),
  fc.record({ kind: fc.constant('managed-join' as const), client: fc.nat(MANAGED - 1) }),
  fc.record({ kind: fc.constant('managed-heartbeat' as const), client: fc.nat(MANAGED - 1) }),
  fc.record({ kind: fc.constant('managed-leave' as const), client: fc.nat(MANAGED - 1) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 12_000 }) }),
);

interface ClassicClient {
  memberId: string;
  /** The last generation it joined, and whether it led it and which members it was given. */
  joined: { generation: number; leader: boolean; members: string[] } | null;
  waitingJoin: boolean;
  waitingSync: boolean;
  /** When it last renewed its session (a join, sync or heartbeat, or a join answered). */
  renewedAtMs: number;
}

function errorName(answer: { kind: string; error?: KafkaError }): string | null {
  return answer.kind === 'failed' ? (answer.error as KafkaError).errorName : null;
}

function runSchedule(ops: readonly Op[]): void {
  let nowMs = 0;
  let ids = 0;
  const group = new Membership('g', consumerProtocol);
  const context = (): MembershipContext => ({
    nowMs,
    newMemberId: () => `m${++ids}`,
    partitionsOf: (topic) => (topic === 'orders' ? PARTITIONS : null),
  });
  const classic: ClassicClient[] = Array.from({ length: CLASSIC }, () => ({
    memberId: '',
    joined: null,
    waitingJoin: false,
    waitingSync: false,
    renewedAtMs: 0,
  }));
  /** Since when the group has been preparing a rebalance (null: it is not). */
  let preparingSinceMs: number | null = null;
  const managed: (string | null)[] = Array.from({ length: MANAGED }, () => null);
  /** Every generation's leader and protocol, as its join answers said. */
  const generations = new Map<number, { leader: string; protocol: string }>();
  let lastGeneration = 0;
  let outstanding = 0;

  const once = <A>(handle: (answer: A) => void) => {
    let called = false;
    outstanding++;
    return (answer: A) => {
      expect(called, 'a request is answered once').toBe(false);
      called = true;
      outstanding--;
      handle(answer);
    };
  };

  const onJoin = (client: ClassicClient) => (answer: JoinAnswer) => {
    client.waitingJoin = false;
    if (answer.kind === 'failed') {
      if (errorName(answer) === 'MEMBER_ID_REQUIRED') client.memberId = answer.memberId;
      else if (errorName(answer) === 'UNKNOWN_MEMBER_ID') client.memberId = '';
      client.joined = null;
      return;
    }
    expect(answer.generation, 'a join answers the current generation').toBe(group.generation);
    const agreed = generations.get(answer.generation);
    if (agreed === undefined) generations.set(answer.generation, { leader: answer.leader, protocol: answer.protocolName });
    else expect({ leader: answer.leader, protocol: answer.protocolName }).toEqual(agreed);
    client.memberId = answer.memberId;
    client.renewedAtMs = nowMs;
    client.joined = {
      generation: answer.generation,
      leader: answer.leader === answer.memberId,
      members: answer.members.map((member) => member.memberId),
    };
    if (client.joined.leader) expect(client.joined.members).toContain(answer.memberId);
  };

  const onSync = (client: ClassicClient) => (answer: SyncAnswer) => {
    client.waitingSync = false;
    if (answer.kind === 'failed' && errorName(answer) === 'UNKNOWN_MEMBER_ID') client.memberId = '';
  };

  const check = () => {
    expect(group.generation).toBeGreaterThanOrEqual(lastGeneration);
    lastGeneration = group.generation;
    const members = group.describeMembers();
    if (group.state === 'Stable') {
      const owners = new Map<string, string>();
      for (const member of members) {
        for (const { topic, partition } of member.assignment) {
          const key = `${topic}-${partition}`;
          expect(owners.get(key), `${key} has one owner`).toBeUndefined();
          owners.set(key, member.memberId);
        }
      }
    } else {
      for (const member of members.filter((m) => m.kind === 'managed')) {
        expect(group.heartbeatManaged(member.memberId, nowMs).assignment).toEqual([]);
      }
    }
    if (group.state === 'Empty') expect(members).toEqual([]);
  };

  const apply = (op: Op) => {
    switch (op.kind) {
      case 'join': {
        const client = classic[op.client]!;
        if (client.waitingJoin || client.waitingSync) return;
        client.waitingJoin = true;
        client.renewedAtMs = nowMs;
        const metadata = consumerProtocol.encodeSubscription(['orders']);
        group.joinClassic(
          {
            memberId: client.memberId,
            groupInstanceId: null,
            clientId: `c${op.client}`,
            host: '/h',
            sessionTimeoutMs: SESSION_MS,
            rebalanceTimeoutMs: REBALANCE_MS,
            protocolType: 'consumer',
            protocols: [{ name: 'range', metadata }],
            requireKnownMemberId: true,
          },
          context(),
          once(onJoin(client)),
        );
        return;
      }
      case 'sync': {
        const client = classic[op.client]!;
        if (client.joined === null || client.waitingJoin || client.waitingSync) return;
        const assignments = new Map<string, Uint8Array>();
        if (client.joined.leader) {
          // A leader's assignor: the partitions dealt round-robin over the members it was given.
          const { members } = client.joined;
          for (const [index, memberId] of members.entries()) {
            const mine: TopicPartition[] = [];
            for (let p = index; p < PARTITIONS; p += members.length) mine.push({ topic: 'orders', partition: p });
            assignments.set(memberId, consumerProtocol.encodeAssignment(mine));
          }
        }
        client.waitingSync = true;
        client.renewedAtMs = nowMs;
        group.sync(
          {
            memberId: client.memberId,
            generation: client.joined.generation,
            protocolType: 'consumer',
            protocolName: null,
            assignments,
          },
          nowMs,
          once(onSync(client)),
        );
        return;
      }
      case 'heartbeat': {
        const client = classic[op.client]!;
        if (client.joined === null || client.waitingJoin) return;
        client.renewedAtMs = nowMs;
        try {
          group.heartbeatClassic(client.memberId, client.joined.generation, nowMs);
        } catch (error) {
          if ((error as KafkaError).errorName === 'UNKNOWN_MEMBER_ID') client.memberId = '';
          client.joined = null; // rejoin on the next join op
        }
        return;
      }
      case 'leave': {
        const client = classic[op.client]!;
        if (client.memberId === '' || client.waitingJoin || client.waitingSync) return;
        try {
          group.leave(client.memberId, context());
        } catch (error) {
          expect((error as KafkaError).errorName).toBe('UNKNOWN_MEMBER_ID');
        }
        client.memberId = '';
        client.joined = null;
        return;
      }
      case 'managed-join': {
        if (managed[op.client] !== null && !group.has(managed[op.client]!)) {
          // Expired: the REST instance hears UNKNOWN_MEMBER_ID and joins as a new member.
          managed[op.client] = null;
        }
        const view = group.joinManaged(
          {
            memberId: managed[op.client] ?? null,
            clientId: `rest${op.client}`,
            host: 'h',
            topics: ['orders'],
            sessionTimeoutMs: SESSION_MS,
          },
          context(),
        );
        managed[op.client] = view.memberId;
        return;
      }
      case 'managed-heartbeat':
      case 'managed-leave': {
        const memberId = managed[op.client];
        if (memberId === null || memberId === undefined) return;
        try {
          if (op.kind === 'managed-heartbeat') group.heartbeatManaged(memberId, nowMs);
          else {
            group.leave(memberId, context());
            managed[op.client] = null;
          }
        } catch (error) {
          expect((error as KafkaError).errorName).toBe('UNKNOWN_MEMBER_ID');
          managed[op.client] = null;
        }
        return;
      }
      case 'wait':
        nowMs += op.ms;
        group.expire(context());
        return;
    }
  };

  for (const op of ops) {
    const membersBefore = classic.map((client) => (client.memberId !== '' && group.has(client.memberId) ? client.memberId : null));
    apply(op);
    // A member is removed only when it left, its session lapsed, or it missed the rebalance deadline.
    for (const [index, memberId] of membersBefore.entries()) {
      if (memberId === null || group.has(memberId) || (op.kind === 'leave' && op.client === index)) continue;
      const client = classic[index]!;
      const sessionLapsed = nowMs - client.renewedAtMs >= SESSION_MS;
      const missedDeadline = preparingSinceMs !== null && nowMs - preparingSinceMs >= REBALANCE_MS;
      expect(sessionLapsed || missedDeadline, `member ${memberId} removed at ${nowMs} without cause`).toBe(true);
    }
    if (group.state !== 'PreparingRebalance') preparingSinceMs = null;
    else preparingSinceMs ??= nowMs;
    check();
  }
  // Everyone falls silent: sessions lapse, rebalances time out, the group empties.
  for (let round = 0; round < 10 && !(group.isEmpty && outstanding === 0); round++) {
    nowMs += REBALANCE_MS + SESSION_MS;
    group.expire(context());
    check();
  }
  expect(group.isEmpty, 'silence empties the group').toBe(true);
  expect(outstanding, 'every waiting request was answered').toBe(0);
  expect(group.state).toBe('Empty');
}

describe('classic protocol (property)', () => {
  it('answers each request once, agrees per generation, never gives a partition two owners, and empties when silent', () => {
    const seed = Number(process.env.GROUPS_SEED ?? Date.now() % 2 ** 31);
    console.log(`[groups] classic protocol property: seed ${seed} (replay: GROUPS_SEED=${seed})`);
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 80 }), (ops) => runSchedule(ops)),
      { seed, numRuns: Number(process.env.GROUPS_RUNS ?? 300) },
    );
  });
});
