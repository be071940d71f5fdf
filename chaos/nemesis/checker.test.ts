import { describe, expect, it } from 'vitest';
import { type CheckInput, check } from './checker.ts';
import type { NewOp, Op } from './history.ts';

/** A history from ops in order, with their times given (index stamped here). */
function history(ops: readonly (NewOp & { time: number })[]): Op[] {
  return ops.map((op, index) => ({ index, ...op }) as unknown as Op);
}

function input(ops: Op[], extra: Partial<CheckInput> = {}): CheckInput {
  return {
    ops,
    topics: [
      { name: 'chaos', partitions: 1, acks: 'all' },
      { name: 'chaos-acks1', partitions: 1, acks: '1' },
    ],
    groupTopic: 'chaos',
    nodes: [1, 2],
    offsetsTopicReplicationFactor: 3,
    earlyNodeStartedAt: null,
    healed: { ok: true, ms: 1, boundMs: 60_000 },
    groupConsumers: 0,
    ...extra,
  };
}

const final = (topic: string, node: number, records: [number, string][], time = 1000) =>
  ({
    type: 'ok',
    f: 'final-read',
    process: 'final',
    source: 'rest',
    node,
    topic,
    partition: 0,
    records,
    time,
  }) as const;

const send = (topic: string, value: string, offset: number, time: number) => [
  { type: 'invoke', f: 'send', process: 'p0', node: 1, topic, partition: 0, value, time: time - 1 } as const,
  {
    type: 'ok',
    f: 'send',
    process: 'p0',
    node: 1,
    topic,
    partition: 0,
    value,
    ackPartition: 0,
    offset,
    latencyMs: 1,
    time,
  } as const,
];

const offsets = (node: number, end: number, invoked: number, done: number, process = 'c0') => [
  { type: 'invoke', f: 'offsets', process, node, topic: 'chaos', partition: 0, time: invoked } as const,
  {
    type: 'ok',
    f: 'offsets',
    process,
    node,
    topic: 'chaos',
    partition: 0,
    logStart: 0,
    end,
    time: done,
  } as const,
];

function verdict(ops: Op[], name: string, extra: Partial<CheckInput> = {}) {
  return check(input(ops, extra)).results.find((r) => r.name === name);
}

describe('the acks=1 topic', () => {
  const both = (records: [number, string][]) => [
    final('chaos-acks1', 1, records),
    final('chaos-acks1', 2, records),
  ];

  it('counts a lost acknowledged record as informational, and its offset may hold another record', () => {
    const ops = history([...send('chaos-acks1', 'a0-0', 0, 10), ...both([[0, 'a0-1']])]);
    const { results, info } = check(input(ops));
    expect(results.filter((r) => r.name.startsWith('acks1-')).every((r) => r.passed)).toBe(true);
    expect(info.topics.find((t) => t.topic === 'chaos-acks1')!.lostAcknowledged).toHaveLength(1);
  });

  it('fails a surviving record found at another offset than acknowledged', () => {
    const ops = history([
      ...send('chaos-acks1', 'a0-0', 0, 10),
      ...both([
        [0, 'x'],
        [1, 'a0-0'],
      ]),
    ]);
    expect(verdict(ops, 'acks1-inconsistent-offsets')!.passed).toBe(false);
    expect(verdict(ops, 'acks1-duplicates')!.passed).toBe(false);
  });

  it('keeps lost-writes exact on the acks=all topic', () => {
    const ops = history([...send('chaos', 'p0-0', 0, 10), final('chaos', 1, []), final('chaos', 2, [])]);
    expect(verdict(ops, 'lost-writes')!.passed).toBe(false);
  });
});

describe('offsets-monotonic', () => {
  it('fails an end offset below one seen before through another node', () => {
    const ops = history([...offsets(1, 5, 10, 20), ...offsets(2, 3, 30, 40, 'c1')]);
    expect(verdict(ops, 'offsets-monotonic')!.passed).toBe(false);
  });

  it('fails an end offset at or below an offset acknowledged with acks=all before it was asked', () => {
    const ops = history([...send('chaos', 'p0-0', 4, 10), ...offsets(2, 4, 30, 40)]);
    expect(verdict(ops, 'offsets-monotonic')!.passed).toBe(false);
  });

  it('does not order overlapping observations', () => {
    const ops = history([...offsets(1, 5, 10, 35), ...offsets(2, 3, 30, 40, 'c1')]);
    expect(verdict(ops, 'offsets-monotonic')!.passed).toBe(true);
  });

  it('takes no bound from acks=1 acknowledgements', () => {
    const ops = history([...send('chaos-acks1', 'a0-0', 4, 10)]);
    ops.push(
      ...history([
        {
          type: 'invoke',
          f: 'offsets',
          process: 'ac0',
          node: 1,
          topic: 'chaos-acks1',
          partition: 0,
          time: 30,
        },
        {
          type: 'ok',
          f: 'offsets',
          process: 'ac0',
          node: 1,
          topic: 'chaos-acks1',
          partition: 0,
          logStart: 0,
          end: 0,
          time: 40,
        },
      ]),
    );
    expect(verdict(ops, 'offsets-monotonic')!.passed).toBe(true);
  });
});

describe('committed-offsets-monotonic', () => {
  const lags = (node: number, committed: number, invoked: number, done: number) => [
    { type: 'invoke', f: 'group-lags', process: 'o0', node, topic: 'chaos', time: invoked } as const,
    {
      type: 'ok',
      f: 'group-lags',
      process: 'o0',
      node,
      topic: 'chaos',
      offsets: [[0, committed]],
      logEnds: [[0, 100]],
      time: done,
    } as const,
  ];
  const commit = (invoked: number, done: number, type: 'ok' | 'info' | 'fail') => [
    {
      type: 'invoke',
      f: 'group-commit',
      process: 'g0',
      node: 1,
      instance: 'g0-1',
      offsets: [[0, 3]],
      time: invoked,
    } as const,
    {
      type,
      f: 'group-commit',
      process: 'g0',
      node: 1,
      instance: 'g0-1',
      offsets: [[0, 3]],
      time: done,
    } as const,
  ];
  const group = { groupConsumers: 1 };

  it('fails a committed offset that goes backwards with no commit in flight', () => {
    const ops = history([...lags(1, 7, 10, 20), ...commit(22, 25, 'fail'), ...lags(2, 3, 30, 40)]);
    expect(verdict(ops, 'committed-offsets-monotonic', group)!.passed).toBe(false);
  });

  it('allows a lower commit that may have landed in between', () => {
    const ops = history([...lags(1, 7, 10, 20), ...commit(22, 25, 'ok'), ...lags(2, 3, 30, 40)]);
    expect(verdict(ops, 'committed-offsets-monotonic', group)!.passed).toBe(true);
  });
});

describe('offsets-topic-rf and early-groups', () => {
  it('fails __consumer_offsets with fewer replicas than offsets.topic.replication.factor', () => {
    const ops = history([
      {
        type: 'ok',
        f: 'offsets-topic',
        process: 'final',
        node: 1,
        exists: true,
        replicationFactor: 2,
        replicas: [[0, [1, 2]]],
        time: 10,
      },
    ]);
    expect(verdict(ops, 'offsets-topic-rf')!.violations).toBe(2);
  });

  it('fails a group request that succeeded before the broker that was down started', () => {
    const early = (type: 'ok' | 'fail', time: number, status: number, errorCode?: number) =>
      ({
        type,
        f: 'early-group',
        process: 'early',
        node: 1,
        request: 'subscribe',
        status,
        ...(errorCode !== undefined ? { errorCode } : {}),
        time,
      }) as const;
    expect(verdict(history([early('ok', 10, 204)]), 'early-groups', { earlyNodeStartedAt: 20 })!.passed).toBe(
      false,
    );
    expect(verdict(history([early('ok', 30, 204)]), 'early-groups', { earlyNodeStartedAt: 20 })!.passed).toBe(
      true,
    );
    expect(
      verdict(history([early('fail', 10, 500, 50003)]), 'early-groups', { earlyNodeStartedAt: 20 })!.passed,
    ).toBe(true);
    expect(
      verdict(history([early('fail', 10, 400, 40002)]), 'early-groups', { earlyNodeStartedAt: 20 })!.passed,
    ).toBe(false);
  });
});
