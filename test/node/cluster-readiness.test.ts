import { describe, expect, it } from 'vitest';
import { waitForReadyCluster } from '../../src/node/cluster-readiness.ts';

describe('waitForReadyCluster (the launcher\'s "ready" line)', () => {
  it('resolves true only once every node answers ready in the same round', async () => {
    // Node a is ready from round 2, b from round 4 but not in round 5 (restarting), c from round 3.
    let round = 0;
    const readyFrom: Record<string, (r: number) => boolean> = {
      a: (r) => r >= 2,
      b: (r) => r === 4 || r >= 6,
      c: (r) => r >= 3 && r !== 4,
    };
    const asked: string[] = [];
    const ready = await waitForReadyCluster({
      clientUrls: ['a', 'b', 'c'],
      clusterId: 'ours',
      probe: async (url) => {
        if (url === 'a') round++;
        asked.push(`${round}${url}`);
        return readyFrom[url]!(round);
      },
      intervalMs: 1,
      stopped: () => false,
    });
    expect(ready).toBe(true);
    expect(round).toBe(6);
    expect(asked).toHaveLength(18);
  });

  it('resolves false when stopped before every node is ready', async () => {
    let rounds = 0;
    const ready = await waitForReadyCluster({
      clientUrls: ['a', 'b'],
      clusterId: 'ours',
      probe: async (url) => {
        if (url === 'a') rounds++;
        return url === 'a';
      },
      intervalMs: 1,
      stopped: () => rounds >= 3,
    });
    expect(ready).toBe(false);
    expect(rounds).toBe(3);
  });

  it('asks each node for the cluster id it must serve', async () => {
    const asked: string[] = [];
    const ready = await waitForReadyCluster({
      clientUrls: ['a'],
      clusterId: 'ours',
      probe: async (url, clusterId) => {
        asked.push(`${url}:${clusterId}`);
        return true;
      },
      intervalMs: 1,
      stopped: () => false,
    });
    expect(ready).toBe(true);
    expect(asked).toEqual(['a:ours']);
  });
});
