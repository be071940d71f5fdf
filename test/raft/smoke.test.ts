import { describe, expect, it } from 'vitest';
import { TestCluster } from './harness.ts';

describe('raft smoke', () => {
  it('elects a leader, replicates to voters and an observer, and restarts', () => {
    const cluster = new TestCluster({ voters: 3, observers: 1 });
    cluster.campaign(1);
    expect(cluster.node(1).raft.status().role).toBe('leader');
    for (let i = 0; i < 10; i++) cluster.propose(1, `v${i}`);
    cluster.tickAll(30);
    for (const id of [1, 2, 3, 4])
      expect(cluster.node(id).applied).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
    expect(cluster.node(4).raft.status().role).toBe('observer');
    cluster.crash(2);
    cluster.propose(1, 'after-crash');
    cluster.restart(2);
    cluster.tickAll(5);
    expect(cluster.node(2).applied.at(-1)).toBe('after-crash');
  });
});
