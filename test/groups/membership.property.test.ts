// Random sequences of joins, subscription changes, leaves, heartbeats, session expiries and topic resizes
// against a deliberately naive model: after every step each subscribed partition is assigned to exactly
// one member subscribed to its topic, nothing else is assigned, and the generation moved by one exactly
// when the assignment's inputs (members, subscriptions, sizes of subscribed topics) changed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GroupDescription } from '../../src/http/ports.ts';
import { fcParameters, joinRequest, loadedHarness } from './helpers.ts';

const TOPICS = ['a', 'b', 'c'] as const;
const GROUPS = ['g1', 'g2'] as const;

type Op =
  | { kind: 'join'; group: number; topics: string[]; sessionTimeoutMs: number }
  | { kind: 'rejoin'; group: number; index: number; topics: string[] }
  | { kind: 'leave'; group: number; index: number }
  | { kind: 'heartbeat'; group: number; index: number }
  | { kind: 'tick'; advanceMs: number }
  | { kind: 'resize'; topic: string; count: number | null };

const topicsArbitrary = fc.subarray([...TOPICS]);
const groupArbitrary = fc.integer({ min: 0, max: GROUPS.length - 1 });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('join' as const),
    group: groupArbitrary,
    topics: topicsArbitrary,
    sessionTimeoutMs: fc.integer({ min: 6_000, max: 30_000 }),
  }),
  fc.record({
    kind: fc.constant('rejoin' as const),
    group: groupArbitrary,
    index: fc.nat(),
    topics: topicsArbitrary,
  }),
  fc.record({ kind: fc.constant('leave' as const), group: groupArbitrary, index: fc.nat() }),
  fc.record({ kind: fc.constant('heartbeat' as const), group: groupArbitrary, index: fc.nat() }),
  fc.record({ kind: fc.constant('tick' as const), advanceMs: fc.integer({ min: 0, max: 20_000 }) }),
  fc.record({
    kind: fc.constant('resize' as const),
    topic: fc.constantFrom(...TOPICS),
    count: fc.option(fc.integer({ min: 0, max: 7 }), { nil: null }),
  }),
);

interface ModelMember {
  readonly memberId: string;
  topics: Set<string>;
  readonly sessionTimeoutMs: number;
  renewedAtMs: number;
}

interface ModelGroup {
  readonly members: ModelMember[];
  generation: number;
}

describe('membership (property)', () => {
  it('keeps every subscribed partition assigned exactly once and moves generations exactly on changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { maxLength: 60 }), async (ops) => {
        const h = await loadedHarness({ topics: { a: 3, b: 1, c: 5 } });
        const model: ModelGroup[] = GROUPS.map(() => ({ members: [], generation: 0 }));
        for (const op of ops) {
          await step(h, model, op);
          for (let index = 0; index < GROUPS.length; index++) {
            await check(h, GROUPS[index]!, model[index]!);
          }
        }
      }),
      fcParameters('membership property', 150),
    );
  });
});

type Harness = Awaited<ReturnType<typeof loadedHarness>>;

async function step(h: Harness, model: ModelGroup[], op: Op): Promise<void> {
  const { coordinator } = h;
  switch (op.kind) {
    case 'join': {
      const group = model[op.group]!;
      const membership = await coordinator.join(
        joinRequest(GROUPS[op.group]!, op.topics, { sessionTimeoutMs: op.sessionTimeoutMs }),
      );
      group.members.push({
        memberId: membership.memberId,
        topics: new Set(op.topics),
        sessionTimeoutMs: op.sessionTimeoutMs,
        renewedAtMs: h.nowMs(),
      });
      group.generation += 1;
      return;
    }
    case 'rejoin': {
      const group = model[op.group]!;
      const member = group.members[op.index % Math.max(group.members.length, 1)];
      if (member === undefined) return;
      await coordinator.join(
        joinRequest(GROUPS[op.group]!, op.topics, {
          memberId: member.memberId,
          sessionTimeoutMs: member.sessionTimeoutMs,
        }),
      );
      const topics = new Set(op.topics);
      if (!sameSet(topics, member.topics)) group.generation += 1;
      member.topics = topics;
      member.renewedAtMs = h.nowMs();
      return;
    }
    case 'leave': {
      const group = model[op.group]!;
      const index = op.index % Math.max(group.members.length, 1);
      const member = group.members[index];
      if (member === undefined) return;
      await coordinator.leave({ groupId: GROUPS[op.group]!, memberId: member.memberId });
      group.members.splice(index, 1);
      group.generation += 1;
      return;
    }
    case 'heartbeat': {
      const group = model[op.group]!;
      const member = group.members[op.index % Math.max(group.members.length, 1)];
      if (member === undefined) return;
      const membership = await coordinator.heartbeat({
        groupId: GROUPS[op.group]!,
        memberId: member.memberId,
      });
      expect(membership.generation).toBe(group.generation);
      member.renewedAtMs = h.nowMs();
      return;
    }
    case 'tick': {
      h.advance(op.advanceMs);
      coordinator.tick();
      for (const group of model) {
        const before = group.members.length;
        const kept = group.members.filter(
          (member) => h.nowMs() < member.renewedAtMs + member.sessionTimeoutMs,
        );
        group.members.splice(0, group.members.length, ...kept);
        if (kept.length !== before) group.generation += 1;
      }
      return;
    }
    case 'resize': {
      const before = h.topics.get(op.topic) ?? null;
      if (op.count === null) h.topics.delete(op.topic);
      else h.topics.set(op.topic, op.count);
      coordinator.topicsChanged();
      if (before === op.count) return;
      for (const group of model) {
        if (group.members.some((member) => member.topics.has(op.topic))) group.generation += 1;
      }
      return;
    }
  }
}

async function check(h: Harness, groupId: string, group: ModelGroup): Promise<void> {
  // A group left without members (and, here, without offsets) is forgotten: Dead, generation 0.
  if (group.members.length === 0) group.generation = 0;
  const description: GroupDescription = await h.coordinator.describe(groupId);
  expect(description.generation).toBe(group.generation);
  expect(description.state).toBe(group.members.length === 0 ? 'Dead' : 'Stable');
  expect(description.members.map((member) => member.memberId).sort()).toEqual(
    group.members.map((member) => member.memberId).sort(),
  );
  const owners = new Map<string, string>();
  for (const member of description.members) {
    const subscribed = group.members.find((candidate) => candidate.memberId === member.memberId)!.topics;
    for (const { topic, partition } of member.assignment) {
      const key = `${topic}-${partition}`;
      expect(owners.has(key), `${key} assigned twice`).toBe(false);
      expect(subscribed.has(topic), `${key} assigned to a member not subscribed to it`).toBe(true);
      owners.set(key, member.memberId);
    }
  }
  const expected = new Set<string>();
  for (const member of group.members) {
    for (const topic of member.topics) {
      for (let partition = 0; partition < (h.topics.get(topic) ?? 0); partition++)
        expected.add(`${topic}-${partition}`);
    }
  }
  expect(new Set(owners.keys())).toEqual(expected);
}

function sameSet(left: ReadonlySet<string>, right: ReadonlySet<string>): boolean {
  return left.size === right.size && [...left].every((value) => right.has(value));
}
