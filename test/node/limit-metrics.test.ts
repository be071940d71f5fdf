// The node's metrics of its limits: connections refused by listener and reason (counted before the
// registry exists, read when scraped), and throttle times by principal and kind.
import { describe, expect, it } from 'vitest';
import type { RaftStatus } from '../../raft/node.ts';
import {
  ConnectionLimiter,
  ConnectionRefusalCounts,
  NO_CONNECTION_LIMITS,
} from '../../src/common/connection-limits.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import { NodeMetrics } from '../../src/node/metrics.ts';

describe('limit metrics', () => {
  it('kraftling_connections_refused_total and kraftling_throttle_time_ms', async () => {
    const refusals = new ConnectionRefusalCounts();
    const limiter = new ConnectionLimiter(
      'CLIENT',
      { ...NO_CONNECTION_LIMITS, maxConnectionsPerIp: 0 },
      refusals.observe,
    );
    limiter.admit('10.0.0.1');
    limiter.admit('10.0.0.2');
    const metrics = new NodeMetrics({
      raft: () => ({ term: 1, commit: 0, role: 'leader' }) as unknown as RaftStatus,
      image: emptyImage,
      replicas: () => null,
      connectionRefusals: refusals,
    });
    // Counted after the registry exists too.
    new ConnectionLimiter(
      'PLAINTEXT',
      { ...NO_CONNECTION_LIMITS, maxConnections: 0 },
      refusals.observe,
    ).admit('10.0.0.1');
    metrics.throttled({ type: 'User', name: 'alice' }, 'produce', 120);
    const { body } = await metrics.text();
    expect(body).toContain(
      'kraftling_connections_refused_total{listener="CLIENT",reason="max_connections_per_ip"} 2',
    );
    expect(body).toContain(
      'kraftling_connections_refused_total{listener="PLAINTEXT",reason="max_connections"} 1',
    );
    expect(body).toContain('kraftling_throttle_time_ms_count{principal="User:alice",kind="produce"} 1');
    expect(body).toContain('kraftling_throttle_time_ms_sum{principal="User:alice",kind="produce"} 120');
  });
});
