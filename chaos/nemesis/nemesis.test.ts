import { describe, expect, it } from 'vitest';
import { Prng } from '../sim/prng.ts';
import {
  COMPOUND_FAULT_KINDS,
  FAULT_KINDS,
  faultSchedule,
  PROCESS_FAULT_KINDS,
  partitionShape,
  restartOrder,
} from './nemesis.ts';

const NODES = [1, 2, 3];
const options = (kinds: typeof PROCESS_FAULT_KINDS) => ({
  topic: 'chaos',
  partitions: 3,
  minGapMs: 2000,
  maxGapMs: 5000,
  recoveryTimeoutMs: 30_000,
  kinds,
});

function first(seed: number, count: number, kinds: typeof PROCESS_FAULT_KINDS) {
  const schedule = faultSchedule(new Prng(seed).fork('nemesis'), NODES, options(kinds));
  return Array.from({ length: count }, () => schedule.next().value!);
}

describe('the nemesis schedule', () => {
  it('replays the regression seed 3552234627 as recorded: kill node 3 for 4914 ms, then terminate node 2', () => {
    const [kill, terminate] = first(3552234627, 2, PROCESS_FAULT_KINDS);
    expect([kill!.kind, kill!.node, kill!.downMs]).toEqual(['kill', 3, 4914]);
    expect([terminate!.kind, terminate!.node, terminate!.downMs]).toEqual(['terminate', 2, 550]);
  });

  it('draws partitions only when their kinds are listed', () => {
    expect(first(1, 50, PROCESS_FAULT_KINDS).every((fault) => fault.shape === null)).toBe(true);
    const all = first(1, 200, FAULT_KINDS);
    expect(all.some((fault) => fault.shape !== null)).toBe(true);
    expect(all.every((fault) => (fault.shape !== null) === fault.kind.startsWith('partition-'))).toBe(true);
  });
});

describe('partition shapes on three nodes', () => {
  const random = new Prng(42);
  const pairs = (shape: ReturnType<typeof partitionShape>) => [...shape!.blocked].sort();

  it('isolate and halves cut the node off from the others, both ways', () => {
    const expected = ['1>2', '2>1', '2>3', '3>2'];
    expect(pairs(partitionShape('partition-isolate', 2, NODES, random))).toEqual(expected);
    expect(pairs(partitionShape('partition-halves', 2, NODES, random))).toEqual(expected);
  });

  it('one-way blocks only what the peer sends to the node', () => {
    const shape = partitionShape('partition-one-way', 2, NODES, random)!;
    expect(shape.blocked.size).toBe(1);
    const [pair] = shape.blocked;
    expect(pair === '1>2' || pair === '3>2').toBe(true);
  });

  it('bridge keeps the node reaching both others and cuts them apart', () => {
    expect(pairs(partitionShape('partition-bridge', 2, NODES, random))).toEqual(['1>3', '3>1']);
  });

  it('process faults have no shape', () => {
    expect(partitionShape('kill', 2, NODES, random)).toBeNull();
  });
});

describe('compound faults', () => {
  it('draw a restart order of every node and a gap before each restart after the first', () => {
    for (const fault of first(5, 50, COMPOUND_FAULT_KINDS)) {
      expect([...fault.restart.order].sort()).toEqual(NODES);
      expect(fault.restart.gapsMs).toHaveLength(NODES.length - 1);
    }
  });

  it('restart the old leader first when the plan says so, else in the drawn order', () => {
    const plan = { order: [3, 1, 2], gapsMs: [0, 0], oldLeaderFirst: true };
    expect(restartOrder(plan, 2)).toEqual([2, 3, 1]);
    expect(restartOrder(plan, null)).toEqual([3, 1, 2]);
    expect(restartOrder({ ...plan, oldLeaderFirst: false }, 2)).toEqual([3, 1, 2]);
  });

  it('old leader first is drawn for some failovers and not for others', () => {
    const plans = first(9, 40, COMPOUND_FAULT_KINDS).map((fault) => fault.restart.oldLeaderFirst);
    expect(plans).toContain(true);
    expect(plans).toContain(false);
  });
});
