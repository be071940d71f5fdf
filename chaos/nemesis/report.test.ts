import { describe, expect, it } from 'vitest';
import type { FaultKind, FaultRecord } from './nemesis.ts';
import { oneFaultWindows } from './report.ts';

function fault(
  kind: FaultKind,
  at: number,
  downMs: number,
  recoveredMs: number | null,
  endedAt = at + downMs,
): FaultRecord {
  return {
    fault: {
      n: 1,
      kind,
      gapMs: 0,
      node: 1,
      partition: 0,
      downMs,
      shape: null,
      restart: { order: [1], gapsMs: [], oldLeaderFirst: false },
    },
    target: 1,
    who: 'node 1',
    at,
    endedAt,
    outcome: 'ok',
    recoveredMs,
  };
}

const acks = (...times: number[]) => times.map((time) => ({ time }));

describe('oneFaultWindows', () => {
  it('counts the whole 1 s windows with at most one faulty node and those with an acknowledged send', () => {
    // A kill from 1000 to 2500 (down 1000, healthy 500 ms later); windows [0,1000) .. [4000,5000).
    const windows = oneFaultWindows([fault('kill', 1000, 1000, 500)], 0, 5000, acks(4500, 500, 2600, 1900));
    expect(windows).toMatchObject({ counted: 5, acknowledged: 4 });
    expect(windows.missed).toEqual([{ startMs: 3000, fault: 'none' }]);
  });

  it('leaves out windows a fault of several nodes overlaps (kill-all, partitions in halves)', () => {
    const windows = oneFaultWindows(
      [fault('kill-all', 1000, 1500, 0), fault('partition-halves', 3000, 500, 0)],
      0,
      5000,
      acks(100),
    );
    expect(windows).toMatchObject({ counted: 2, acknowledged: 1 });
  });

  it('takes a fault the cluster was not seen to recover from to last until the next step', () => {
    // kill-all at 1000, down 500, never seen healthy: it lasts until the kill at 3000 (then to 4500).
    const windows = oneFaultWindows(
      [fault('kill-all', 1000, 500, null), fault('kill', 3000, 1000, 500)],
      0,
      6000,
      acks(100, 5100),
    );
    expect(windows).toMatchObject({ counted: 4, acknowledged: 2 });
    expect(windows.missed.map((window) => window.startMs)).toEqual([3000, 4000]);
    // The last one lasts until the end of the workload.
    expect(oneFaultWindows([fault('kill-all', 1000, 500, null)], 0, 6000, acks(100))).toMatchObject({
      counted: 1,
    });
  });

  it('takes a fault to last from its start until its last node is back, and then until healthy', () => {
    // crash-restart-order at 1000, every node down 500 ms but restarted one after another: the last one
    // back at 3200, healthy 300 ms later. Windows up to [3000,4000) are left out, acks or not.
    const windows = oneFaultWindows(
      [fault('crash-restart-order', 1000, 500, 300, 3200)],
      0,
      6000,
      acks(100, 4100, 5100),
    );
    expect(windows).toMatchObject({ counted: 3, acknowledged: 3 });
  });
});
